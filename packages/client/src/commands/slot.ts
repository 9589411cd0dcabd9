// Redis Cluster hash slots: CRC16 (XMODEM) of the key, or of its hash tag `{...}`, modulo 16384.
// The client uses them to keep every command on one key on the same connection of its pool;
// @pyrsedis/cluster routes by them.
import type { CommandArgument } from './keys.js';

const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  TABLE[i] = crc & 0xffff;
}

function crc16(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc;
}

/** The hash slot (0..16383) of a key, honouring hash tags: `{user1}.name` hashes `user1`. */
export function keySlot(key: CommandArgument): number {
  let bytes: Uint8Array;
  if (typeof key === 'string') {
    // ASCII keys (the common case) hash without encoding them.
    let ascii = true;
    for (let i = 0; i < key.length; i++) {
      if (key.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) return asciiSlot(key);
    bytes = Buffer.from(key, 'utf8');
  } else if (key instanceof Uint8Array) {
    bytes = key;
  } else {
    return asciiSlot(String(key));
  }
  let start = 0;
  let end = bytes.length;
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  return crc16(bytes, start, end) & 0x3fff;
}

function asciiSlot(key: string): number {
  let start = 0;
  let end = key.length;
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++)
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ key.charCodeAt(i)) & 0xff]!;
  return crc & 0x3fff;
}

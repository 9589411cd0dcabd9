// SCAN / HSCAN / SSCAN / ZSCAN as async iterators. The cursor goes back to the server exactly
// as it came (a string: cursors are unsigned 64-bit and may exceed 2^53).
import { parseDouble } from '@pyrsedis/resp';
import type { CommandArgument, CommandSender, RedisArgument } from './sender.js';

/** Options of every scan iterator. */
export interface ScanIteratorOptions {
  /** MATCH pattern. */
  match?: string;
  /** COUNT hint per round trip. */
  count?: number;
  /** TYPE filter (SCAN only): string, list, set, zset, hash, stream. */
  type?: string;
}

async function* rounds(
  sender: CommandSender,
  head: CommandArgument[],
  options: ScanIteratorOptions,
): AsyncGenerator<unknown[], void, undefined> {
  let cursor: CommandArgument = '0';
  do {
    const argv: CommandArgument[] = [...head, cursor];
    if (options.match !== undefined) argv.push('MATCH', options.match);
    if (options.count !== undefined) argv.push('COUNT', options.count);
    if (options.type !== undefined) argv.push('TYPE', options.type);
    const [next, items] = (await sender.sendCommand(argv)) as [string | Buffer, unknown[]];
    // A Buffer in the Buffer view (withBuffers): sent back as it came, compared as text.
    cursor = next;
    yield items;
  } while (String(cursor) !== '0');
}

/** Every key matching the options (SCAN; a key may be yielded twice if the keyspace changes). */
export async function* scanIterator(
  sender: CommandSender,
  options: ScanIteratorOptions = {},
): AsyncGenerator<string> {
  for await (const keys of rounds(sender, ['SCAN'], options)) yield* keys as string[];
}

/** Every field and value of a hash (HSCAN). */
export async function* hscanIterator(
  sender: CommandSender,
  key: RedisArgument,
  options: ScanIteratorOptions = {},
): AsyncGenerator<{ field: string; value: string }> {
  for await (const flat of rounds(sender, ['HSCAN', key], options)) {
    for (let i = 0; i + 1 < flat.length; i += 2)
      yield { field: flat[i] as string, value: flat[i + 1] as string };
  }
}

/** Every member of a set (SSCAN). */
export async function* sscanIterator(
  sender: CommandSender,
  key: RedisArgument,
  options: ScanIteratorOptions = {},
): AsyncGenerator<string> {
  for await (const members of rounds(sender, ['SSCAN', key], options)) yield* members as string[];
}

/** Every member and score of a sorted set (ZSCAN). */
export async function* zscanIterator(
  sender: CommandSender,
  key: RedisArgument,
  options: ScanIteratorOptions = {},
): AsyncGenerator<{ member: string; score: number }> {
  for await (const flat of rounds(sender, ['ZSCAN', key], options)) {
    for (let i = 0; i + 1 < flat.length; i += 2)
      yield { member: flat[i] as string, score: parseDouble(String(flat[i + 1])) ?? Number.NaN };
  }
}

/** The scan iterators of a Buffer view (`withBuffers`): keys, fields and members as Buffers. */
export interface BufferScanIterators {
  /** Every key matching the options (SCAN), as Buffers. */
  scanIterator(options?: ScanIteratorOptions): AsyncGenerator<Buffer>;
  /** Every field and value of a hash (HSCAN), as Buffers. */
  hscanIterator(
    key: RedisArgument,
    options?: ScanIteratorOptions,
  ): AsyncGenerator<{ field: Buffer; value: Buffer }>;
  /** Every member of a set (SSCAN), as Buffers. */
  sscanIterator(key: RedisArgument, options?: ScanIteratorOptions): AsyncGenerator<Buffer>;
  /** Every member (a Buffer) and score of a sorted set (ZSCAN). */
  zscanIterator(
    key: RedisArgument,
    options?: ScanIteratorOptions,
  ): AsyncGenerator<{ member: Buffer; score: number }>;
}

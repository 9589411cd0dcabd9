// @pyrsedis/resp decoder and encoder vs the parsers the peers use, same bytes, same process.
// Run: npm run bench -w @pyrsedis/resp   (results: packages/resp/bench/results/latest.json)
//
// Peers: redis-parser 3 (ioredis <= 5 and others; RESP2 only), the RESP decoder of
// node-redis 6 (@redis/client), the RESP decoder of ioredis 6. Valkey GLIDE decodes in Rust
// inside its native module and can only be measured end to end (the client benchmark).
// "floor": building the same output (arrays + strings/Buffers) from offsets found beforehand,
// i.e. what any decoder must at least spend allocating the result (strings made with utf8Text,
// the fastest way measured: short ASCII in JS, the rest natively).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureCase, printCase, writeResults } from '@pyrsedis/bench';
import { encodeCommands, RespDecoder, utf8Text } from '../dist/index.js';

const require = createRequire(import.meta.url);
const RedisParser = require('redis-parser');
const { Decoder: NodeRedisDecoder, RESP_TYPES } = require('@redis/client/dist/lib/RESP/decoder.js');
const nodeRedisEncode = require('@redis/client/dist/lib/RESP/encoder.js').default;
const { Decoder: IoredisDecoder } = require('ioredis/built/resp/decoder.js');
const IoredisCommand = require('ioredis/built/Command.js').default;

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
// --only TEXT: only the cases whose name contains TEXT; --alone: without the peer decoders (ours,
// the floor and the yardsticks only: no other decoder's garbage or JIT state in the process).
// Either writes results/only.json.
const only = process.argv.flatMap((a, i) => (a === '--only' ? [process.argv[i + 1] ?? ''] : []))[0];
const alone = process.argv.includes('--alone');
const REPS = quick ? 3 : 9;
const CHUNK = 64 * 1024;

// ---- inputs ---------------------------------------------------------------------------------

const bulk = (s) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;

function chunked(bytes) {
  const out = [];
  for (let i = 0; i < bytes.length; i += CHUNK) out.push(bytes.subarray(i, i + CHUNK));
  return out;
}

function arrayOf(count, item) {
  const parts = [`*${count}\r\n`];
  for (let i = 0; i < count; i++) parts.push(item(i));
  return Buffer.from(parts.join(''));
}

const scale = quick ? 0.1 : 1;
const n = (x) => Math.max(1, Math.round(x * scale));

/** Offsets of every bulk string's data in a reply of nested arrays of bulks, in order. */
function allBulkOffsets(bytes) {
  const starts = [];
  let pos = 0;
  while (pos < bytes.length) {
    const cr = bytes.indexOf(13, pos);
    if (bytes[pos] === 0x2a) {
      pos = cr + 2; // an array header: its elements follow
      continue;
    }
    const len = Number(bytes.latin1Slice(pos + 1, cr));
    starts.push(cr + 2, cr + 2 + len);
    pos = cr + 4 + len;
  }
  return Int32Array.from(starts);
}

function floorStrings(bytes, offsets) {
  const count = offsets.length / 2;
  const out = new Array(count);
  for (let i = 0; i < count; i++) out[i] = utf8Text(bytes, offsets[2 * i], offsets[2 * i + 1]);
  return out;
}

function floorBuffers(bytes, offsets) {
  const count = offsets.length / 2;
  const out = new Array(count);
  for (let i = 0; i < count; i++) out[i] = bytes.subarray(offsets[2 * i], offsets[2 * i + 1]);
  return out;
}

// ---- contenders -------------------------------------------------------------------------------

/**
 * Reads the last character of a string reply: a decoder that hands out a rope (a string made by
 * `+=` of pieces, flattened only when first read — redis-parser does this for bulks that span
 * chunks) pays for the flattening here, inside the timed run, as its user would on first use.
 */
function flatten(reply) {
  if (typeof reply === 'string') reply.charCodeAt(reply.length - 1);
  return reply;
}

function ours(chunks, strings = 'string', maps = 'object', flat = false) {
  let reply;
  let count = 0;
  const decoder = new RespDecoder({
    strings,
    maps,
    onReply: (r) => {
      reply = flat ? flatten(r) : r;
      count++;
    },
  });
  for (const chunk of chunks) decoder.feed(chunk);
  return { reply, count };
}

function redisParser(chunks, buffers = false, flat = false) {
  let reply;
  let count = 0;
  const parser = new RedisParser({
    returnBuffers: buffers,
    returnReply: (r) => {
      reply = flat ? flatten(r) : r;
      count++;
    },
    returnError: (e) => {
      reply = e;
      count++;
    },
    returnFatalError: (e) => {
      throw e;
    },
  });
  for (const chunk of chunks) parser.execute(chunk);
  return { reply, count };
}

function peerDecoder(Decoder, chunks, buffers = false, flat = false) {
  let reply;
  let count = 0;
  const mapping = buffers ? { [RESP_TYPES.BLOB_STRING]: Buffer } : {};
  const decoder = new Decoder({
    onReply: (r) => {
      reply = flat ? flatten(r) : r;
      count++;
    },
    onErrorReply: (e) => {
      reply = e;
      count++;
    },
    onPush: () => {},
    getTypeMapping: () => mapping,
  });
  for (const chunk of chunks) decoder.write(chunk);
  return { reply, count };
}

// ---- cases ------------------------------------------------------------------------------------

const results = [];

async function decodeCase({
  name,
  bytes,
  elements,
  replies = 1,
  strings = 'string',
  resp3 = false,
  floor,
  references = {},
  flat = false,
  repeat = 1,
}) {
  const buffers = strings === 'buffer';
  if (only !== undefined && !name.includes(only)) return;
  for (const [feedName, chunks] of [
    ['whole', [bytes]],
    ['64 KiB chunks', chunked(bytes)],
  ]) {
    // Repeated replies go through one decoder, as they would on one connection.
    const stream = repeat === 1 ? chunks : Array.from({ length: repeat }, () => chunks).flat();
    const run = (fn) => () => fn(stream);
    const contenders = { pyrsedis: run((c) => ours(c, strings, 'object', flat)) };
    if (!alone) {
      if (!resp3) contenders['redis-parser'] = run((c) => redisParser(c, buffers, flat));
      contenders['node-redis 6'] = run((c) => peerDecoder(NodeRedisDecoder, c, buffers, flat));
      contenders['ioredis 6'] = run((c) => peerDecoder(IoredisDecoder, c, buffers, flat));
    }
    for (const [refName, reference] of Object.entries(references)) contenders[refName] = reference;
    if (floor) {
      contenders.floor = () => {
        let last;
        for (let i = 0; i < repeat; i++) last = floor(feedName);
        return last;
      };
    }
    const result = await measureCase({
      name: `${name} — ${feedName}${buffers ? ' (Buffer mode)' : ''}`,
      contenders,
      ours: 'pyrsedis',
      floor: floor ? 'floor' : undefined,
      references: Object.keys(references),
      bytes: bytes.length * repeat,
      elements: elements * repeat,
      reps: REPS,
      check: (who, out) => {
        if (who === 'floor' || who in references) return;
        if (out.count !== replies * repeat)
          throw new Error(`${who}: ${out.count} replies, expected ${replies * repeat}`);
      },
    });
    printCase(result);
    results.push(result);
  }
}

// 1M-element array of short bulk strings.
{
  const count = n(1_000_000);
  const bytes = arrayOf(count, (i) => bulk(`k:${String(i).padStart(6, '0')}`));
  const offsets = allBulkOffsets(bytes);
  await decodeCase({
    name: `${count} short bulks (10 B)`,
    bytes,
    elements: count,
    floor: () => floorStrings(bytes, offsets),
  });
  await decodeCase({
    name: `${count} short bulks (10 B)`,
    bytes,
    elements: count,
    strings: 'buffer',
    floor: () => floorBuffers(bytes, offsets),
  });
}

// 100k-element array of 100-byte bulks.
{
  const count = n(100_000);
  const bytes = arrayOf(count, (i) => bulk(String(i).padStart(100, 'v')));
  const offsets = allBulkOffsets(bytes);
  await decodeCase({
    name: `${count} bulks of 100 B`,
    bytes,
    elements: count,
    floor: () => floorStrings(bytes, offsets),
  });
  await decodeCase({
    name: `${count} bulks of 100 B`,
    bytes,
    elements: count,
    strings: 'buffer',
    floor: () => floorBuffers(bytes, offsets),
  });
}

// 1k bulks of 1 MiB: the same 1 MiB reply fed 1,000 times (Buffer mode: zero-copy vs copies).
{
  const size = 1024 * 1024;
  const reply = Buffer.concat([Buffer.from(`$${size}\r\n`), Buffer.alloc(size, 0x61), Buffer.from('\r\n')]);
  const offsets = Int32Array.from([reply.indexOf(10) + 1, reply.indexOf(10) + 1 + size]);
  await decodeCase({
    name: `${n(1000)} bulks of 1 MiB`,
    bytes: reply,
    elements: 1,
    repeat: n(1000),
    strings: 'buffer',
    // Whole: a view is all anyone needs. In chunks the bytes must be gathered: one copy.
    floor: (feed) =>
      feed === 'whole' ? floorBuffers(reply, offsets) : Buffer.from(reply.subarray(offsets[0], offsets[1])),
  });
  await decodeCase({
    name: `${n(100)} bulks of 1 MiB`,
    bytes: reply,
    elements: 1,
    repeat: n(100),
    flat: true,
    floor: () => floorStrings(reply, offsets),
  });
}

// 1M integers.
{
  const count = n(1_000_000);
  // Values in V8's small-integer range (< 2^30), like most counters and lengths; each larger
  // integer costs any JS decoder a heap allocation.
  const bytes = arrayOf(count, (i) => `:${i * 7}\r\n`);
  const floor = () => {
    const out = new Array(count);
    for (let i = 0; i < count; i++) out[i] = i * 7;
    return out;
  };
  // A yardstick, not a decoder: the smallest loop that parses exactly this reply (":digits\r\n"
  // only, no other type, no limits, no partial input) into a preallocated array — the parse work
  // no JavaScript decoder can avoid. Run on the whole bytes for both feeds.
  const minimalLoop = () => {
    let pos = bytes.indexOf(10) + 1;
    const end = bytes.length;
    const out = new Array(count);
    let k = 0;
    while (pos < end) {
      let i = pos + 1;
      let v = 0;
      let c = 0;
      while (i < end) {
        c = bytes[i];
        if (c < 48 || c > 57) break;
        v = v * 10 + (c - 48);
        i++;
      }
      if (c !== 13 || bytes[i + 1] !== 10) throw new Error('not an integer');
      out[k++] = v;
      pos = i + 2;
    }
    return out;
  };
  await decodeCase({
    name: `${count} integers`,
    bytes,
    elements: count,
    floor,
    references: { 'minimal loop': minimalLoop },
  });
}

// HGETALL of a 10k-field hash: RESP2 flat array, and RESP3 map.
{
  const fields = 10_000;
  const pairs = [];
  for (let i = 0; i < fields; i++) pairs.push(bulk(`field:${i}`), bulk(`value-${i * 31}`));
  const resp2 = Buffer.from(`*${fields * 2}\r\n${pairs.join('')}`);
  const resp3 = Buffer.from(`%${fields}\r\n${pairs.join('')}`);
  const offsets = allBulkOffsets(resp2);
  const floorMap = () => {
    const out = Object.create(null);
    for (let i = 0; i < fields; i++) {
      out[utf8Text(resp3, offsets[4 * i], offsets[4 * i + 1])] = utf8Text(
        resp3,
        offsets[4 * i + 2],
        offsets[4 * i + 3],
      );
    }
    return out;
  };
  await decodeCase({
    name: 'HGETALL 10k fields (RESP2 array) x20',
    bytes: resp2,
    elements: fields * 2,
    repeat: 20,
    floor: () => floorStrings(resp2, offsets),
  });
  await decodeCase({
    name: 'HGETALL 10k fields (RESP3 map) x20',
    bytes: resp3,
    elements: fields * 2,
    repeat: 20,
    resp3: true,
    floor: floorMap,
  });
}

// XRANGE: 10k entries of [id, [4 field/value pairs]].
{
  const entries = 10_000;
  const parts = [`*${entries}\r\n`];
  for (let i = 0; i < entries; i++) {
    parts.push(`*2\r\n${bulk(`1700000000000-${i}`)}*8\r\n`);
    for (let f = 0; f < 4; f++) parts.push(bulk(`f${f}`), bulk(`value ${i}.${f}`));
  }
  const bytes = Buffer.from(parts.join(''));
  // The floor: the same nested arrays, their strings made from the bulks' offsets.
  const offsets = allBulkOffsets(bytes);
  const floor = () => {
    const out = new Array(entries);
    let k = 0;
    for (let i = 0; i < entries; i++) {
      const id = utf8Text(bytes, offsets[k], offsets[k + 1]);
      k += 2;
      const fields = new Array(8);
      for (let f = 0; f < 8; f++, k += 2) fields[f] = utf8Text(bytes, offsets[k], offsets[k + 1]);
      out[i] = [id, fields];
    }
    return out;
  };
  await decodeCase({
    name: 'XRANGE 10k entries x 4 fields x10',
    bytes,
    elements: entries * 10,
    repeat: 10,
    floor,
  });
}

// ---- encoder ----------------------------------------------------------------------------------

if (only === undefined || 'encode'.includes(only)) {
  const count = 5000;
  const commands = Array.from({ length: count }, (_, i) => [
    'SET',
    `key:${i}`,
    `value:${i}:${'x'.repeat(16)}`,
  ]);
  const reps = 200;
  const contenders = {
    pyrsedis: () => {
      let out;
      for (let r = 0; r < reps; r++) out = encodeCommands(commands);
      return out;
    },
    'node-redis 6': () => {
      // node-redis writes the pieces with socket.cork(); Buffer.concat makes the same bytes.
      let out;
      for (let r = 0; r < reps; r++) {
        const pieces = [];
        for (const c of commands)
          for (const p of nodeRedisEncode(c)) pieces.push(typeof p === 'string' ? Buffer.from(p) : p);
        out = Buffer.concat(pieces);
      }
      return out;
    },
    'ioredis 6': () => {
      let out;
      for (let r = 0; r < reps; r++) {
        const pieces = [];
        for (const [name, ...args] of commands) {
          const w = new IoredisCommand(name, args).toWritable();
          pieces.push(typeof w === 'string' ? Buffer.from(w) : w);
        }
        out = Buffer.concat(pieces);
      }
      return out;
    },
  };
  const expected = contenders.pyrsedis();
  const result = await measureCase({
    name: `encode a ${count}-command SET pipeline to bytes (x${reps})`,
    contenders,
    ours: 'pyrsedis',
    bytes: expected.length * reps,
    elements: count * reps,
    reps: REPS,
    check: (who, out) => {
      if (!out.equals(expected)) throw new Error(`${who} encoded different bytes`);
    },
  });
  printCase(result);
  results.push(result);
}

const resultName = only !== undefined || alone ? 'only.json' : quick ? 'quick.json' : 'latest.json';
writeResults(path.join(here, 'results', resultName), {
  package: '@pyrsedis/resp',
  results,
});

// The cost of a reply stays linear in its size however it is chunked: a size sweep in 64 KiB
// chunks, where time per element must not grow. (A decoder that re-parses from the start on
// every chunk is quadratic: 100x more elements would cost ~100x more per element.)
import { describe, expect, it } from 'vitest';
import { ReaderError, RespDecoder } from '../src/index.js';
import { b } from './helpers.js';

const CHUNK = 64 * 1024;

function arrayOfBulks(count: number): Buffer {
  const parts: string[] = [`*${count}\r\n`];
  for (let i = 0; i < count; i++) parts.push(`$8\r\n${String(i % 100_000_000).padStart(8, '0')}\r\n`);
  return Buffer.from(parts.join(''));
}

function chunked(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK) out.push(bytes.subarray(i, i + CHUNK));
  return out;
}

/** Median nanoseconds per unit to decode `chunks` into exactly one reply. */
function nsPerUnit(chunks: Buffer[], units: number, runs: number, options = {}): number {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    let replies = 0;
    const decoder = new RespDecoder({ ...options, onReply: () => replies++ });
    const start = process.hrtime.bigint();
    for (const chunk of chunks) decoder.feed(chunk);
    times.push(Number(process.hrtime.bigint() - start) / units);
    expect(replies).toBe(1);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

describe('linear cost under chunking', () => {
  it('an array of short bulks: time per element does not grow from 10k to 1M elements', () => {
    const sizes = [10_000, 100_000, 1_000_000];
    const perElement = sizes.map((n) => {
      const chunks = chunked(arrayOfBulks(n));
      nsPerUnit(chunks, n, 1); // warm up
      return nsPerUnit(chunks, n, n >= 1_000_000 ? 3 : 7);
    });
    console.log(`ns/element at ${sizes.join(', ')}: ${perElement.map((t) => t.toFixed(0)).join(', ')}`);
    // Linear: the same per-element cost within noise (GC of a larger heap costs something).
    expect(perElement[2]!).toBeLessThan(perElement[0]! * 4);
    expect(perElement[1]!).toBeLessThan(perElement[0]! * 4);
  });

  it('a large bulk string: time per byte does not grow from 4 MiB to 64 MiB', () => {
    // From 4 MiB up: all sizes beyond the CPU caches, so only the algorithm differs.
    const sizes = [4, 16, 64].map((m) => m * 1024 * 1024);
    const perByte = sizes.map((size) => {
      const chunks = chunked(
        Buffer.concat([Buffer.from(`$${size}\r\n`), Buffer.alloc(size, 0x61), Buffer.from('\r\n')]),
      );
      nsPerUnit(chunks, size, 1, { strings: 'buffer' });
      return nsPerUnit(chunks, size, 3, { strings: 'buffer' });
    });
    console.log(`ns/byte at 4, 16, 64 MiB: ${perByte.map((t) => t.toFixed(3)).join(', ')}`);
    expect(perByte[2]!).toBeLessThan(perByte[0]! * 4);
  });

  it('a long simple-string line: time per byte does not grow from 1 MiB to 32 MiB', () => {
    // A line has no length header: its CR is searched for in each chunk once, not rescanned.
    const sizes = [1, 32].map((m) => m * 1024 * 1024);
    const perByte = sizes.map((size) => {
      const chunks = chunked(
        Buffer.concat([Buffer.from('+'), Buffer.alloc(size, 0x61), Buffer.from('\r\n')]),
      );
      nsPerUnit(chunks, size, 1);
      return nsPerUnit(chunks, size, 3);
    });
    console.log(`ns/byte of a + line at 1, 32 MiB: ${perByte.map((t) => t.toFixed(3)).join(', ')}`);
    // Quadratic would be 32x per byte (it was, before); linear stays flat, give or take GC of a
    // larger heap on a loaded machine.
    expect(perByte[1]!).toBeLessThan(perByte[0]! * 8);
  });
});

// Here, not with the other decoder tests: its 1 GB of buffers must not run beside the timing
// tests above (this file runs its tests one after another).
describe('bulks beyond the longest JS string', () => {
  it('string mode: a bulk longer than the longest JS string fails its reply (a ReaderError), not the stream', () => {
    const size = 536_870_900; // < Redis's 512 MiB bulk limit, > V8's 0x1fffffe8 characters
    const header = b(`$${size}\r\n`);
    const bytes = Buffer.allocUnsafe(header.length + size + 2 + 7);
    header.copy(bytes, 0);
    bytes.fill(0x61, header.length, header.length + size);
    b('\r\n+NEXT\r\n').copy(bytes, header.length + size);
    // As a socket delivers it: the bulk gathered across chunks (a whole buffer takes the same turn).
    for (const chunk of [64 * 1024 * 1024]) {
      const replies: unknown[] = [];
      const decoder = new RespDecoder({ onReply: (r) => replies.push(r) });
      for (let at = 0; at < bytes.length; at += chunk) decoder.feed(bytes.subarray(at, at + chunk));
      // Was the engine's error thrown out of feed(): the connection dropped with it.
      expect(replies).toHaveLength(2);
      expect(replies[0]).toBeInstanceOf(ReaderError);
      expect((replies[0] as Error).message).toMatch(/longer than the longest JS string/);
      expect(replies[1]).toBe('NEXT');
    }
  });
});

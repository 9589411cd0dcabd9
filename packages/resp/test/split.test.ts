// Every split point: a stream decoded in pieces must give exactly what it gives whole.
import { describe, expect, it } from 'vitest';
import { type DecodeOptions, ProtocolError, RespDecoder } from '../src/index.js';
import { b, decodeChunks as decodeRaw, fingerprint, randomChunks, splitAt } from './helpers.js';

const decodeChunks = (chunks: Buffer[], options: DecodeOptions = {}) =>
  fingerprint(decodeRaw(chunks, options));

function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

const STREAMS: Record<string, Buffer> = {
  scalars: b(
    '+OK\r\n-ERR bad\r\n:123\r\n:-9223372036854775808\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n_\r\n#t\r\n#f\r\n' +
      ',3.14\r\n,-inf\r\n,nan\r\n(123456789012345678901234567890\r\n!3\r\nERR\r\n=8\r\ntxt:abcd\r\n',
  ),
  aggregates: b(
    '*3\r\n:1\r\n*2\r\n$1\r\na\r\n$2\r\nbc\r\n%2\r\n+k\r\n~2\r\n:1\r\n:2\r\n+k2\r\n*0\r\n*-1\r\n' +
      '%1\r\n+__proto__\r\n:1\r\n~1\r\n#f\r\n',
  ),
  pushes: b('>3\r\n+message\r\n+ch\r\n$2\r\nhi\r\n+OK\r\n>2\r\n+invalidate\r\n*1\r\n$3\r\nkey\r\n:5\r\n'),
  attributes: b('|1\r\n+ttl\r\n:10\r\n*2\r\n|1\r\n+a\r\n#t\r\n:1\r\n:2\r\n|0\r\n+x\r\n'),
  utf8: Buffer.from(`${bulk('hé✓o')}+ünïcode\r\n*1\r\n${bulk('€\r\n')}`),
};

function whole(bytes: Buffer, options: DecodeOptions = {}) {
  return decodeChunks([bytes], options);
}

describe.each(Object.entries(STREAMS))('stream "%s"', (_name, bytes) => {
  const reference = whole(bytes);

  it('decodes whole to several values', () => {
    const { replies, pushes } = decodeRaw([bytes]);
    expect(replies.length + pushes.length).toBeGreaterThanOrEqual(2);
  });

  it('gives the same result split at every single point', () => {
    for (let i = 1; i < bytes.length; i++) {
      expect(decodeChunks(splitAt(bytes, i)), `split at ${i}`).toBe(reference);
    }
  });

  it('gives the same result split at every pair of points', () => {
    for (let i = 1; i < bytes.length; i++) {
      for (let j = i + 1; j < bytes.length; j++) {
        expect(decodeChunks(splitAt(bytes, i, j)), `split at ${i}, ${j}`).toBe(reference);
      }
    }
  });

  it('gives the same result one byte at a time, and in Buffer mode', () => {
    const bytewise = [...bytes].map((byte) => Buffer.from([byte]));
    expect(decodeChunks(bytewise)).toBe(reference);
    expect(decodeChunks(bytewise, { strings: 'buffer' })).toBe(whole(bytes, { strings: 'buffer' }));
  });
});

describe('large values in chunks', () => {
  // A bulk larger than the streaming threshold, among small frames.
  const big = Buffer.alloc(100_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  const bytes = Buffer.concat([b('*3\r\n:1\r\n$100000\r\n'), big, b('\r\n+after\r\n!5\r\nERR x\r\n')]);
  const reference = whole(bytes, { strings: 'buffer' });

  it('decodes whole', () => {
    const { replies } = decodeRaw([bytes], { strings: 'buffer' });
    expect(replies).toHaveLength(2);
    expect(((replies[0] as unknown[])[1] as Buffer).equals(big)).toBe(true);
  });

  it('splits around every boundary of the big bulk', () => {
    const header = 4 + 4 + 10;
    const points = new Set<number>();
    for (const anchor of [0, header - 10, header, header + big.length]) {
      for (let d = -12; d <= 12; d++) points.add(anchor + d);
    }
    for (let i = 1; i < 300; i++) points.add(Math.floor((bytes.length * i) / 300));
    for (const i of points) {
      if (i <= 0 || i >= bytes.length) continue;
      expect(decodeChunks(splitAt(bytes, i), { strings: 'buffer' }), `split at ${i}`).toBe(reference);
      expect(decodeChunks(splitAt(bytes, i, i + 1, i + 5000), { strings: 'buffer' }), `split at ${i}+`).toBe(
        reference,
      );
    }
  });

  it('a large UTF-8 bulk decodes the same in string mode however multi-byte characters are cut', () => {
    // Multi-byte characters, plus invalid sequences (decoded as U+FFFD either way).
    const text = Buffer.concat([
      Buffer.from('€✓a😀'.repeat(6000)),
      Buffer.from([0xe2, 0x82, 0x41, 0xff]),
      Buffer.from('é'.repeat(9000)),
    ]);
    const stream = Buffer.concat([b(`*2\r\n$${text.length}\r\n`), text, b('\r\n:7\r\n')]);
    const ref = whole(stream);
    expect(decodeRaw([stream]).replies[0]).toEqual([text.toString('utf8'), 7]);
    const header = stream.indexOf('\r\n', 4) + 2;
    for (let i = 1; i < 400; i++) {
      const at = Math.floor((stream.length * i) / 400);
      expect(decodeChunks(splitAt(stream, at)), `split at ${at}`).toBe(ref);
    }
    for (let d = -3; d <= 3; d++) {
      for (const anchor of [header, header + text.length, header + 1, header + 2]) {
        expect(
          decodeChunks(splitAt(stream, anchor + d, anchor + d + 1, anchor + d + 3)),
          `split near ${anchor + d}`,
        ).toBe(ref);
      }
    }
    for (let seed = 1; seed <= 10; seed++) expect(decodeChunks(randomChunks(stream, seed, 3000))).toBe(ref);
  });

  it('large ASCII texts (decoded as latin1) and near-ASCII ones (one high byte) equal their UTF-8 decoding', () => {
    const ascii = Buffer.alloc(200_000);
    for (let i = 0; i < ascii.length; i++) ascii[i] = i & 0x7f;
    const nearly = Buffer.from(ascii);
    nearly[nearly.length - 1] = 0xc3; // a cut two-byte sequence: U+FFFD
    for (const text of [ascii, nearly, ascii.subarray(0, 70_000)]) {
      const stream = Buffer.concat([b(`$${text.length}\r\n`), text, b('\r\n')]);
      expect(decodeRaw([stream]).replies[0]).toBe(text.toString('utf8'));
      expect(decodeRaw(splitAt(stream, 1000, 65_000)).replies[0]).toBe(text.toString('utf8'));
    }
  });

  it('random chunkings of a long multi-frame stream', () => {
    const parts: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      parts.push(b(`*3\r\n$${String(i).length}\r\n${i}\r\n:${i * 1000003}\r\n%1\r\n+f\r\n,${i / 7}\r\n`));
      if (i % 50 === 0) parts.push(b(`$40000\r\n${'x'.repeat(40000)}\r\n`));
    }
    const stream = Buffer.concat(parts);
    const ref = whole(stream);
    for (let seed = 1; seed <= 40; seed++) {
      const max = seed % 4 === 0 ? 70_000 : seed % 2 === 0 ? 997 : 13;
      expect(decodeChunks(randomChunks(stream, seed, max)), `seed ${seed}`).toBe(ref);
    }
  });
});

describe('a cut token finished from the next chunk (stitched: the chunk itself is not copied)', () => {
  const parts: Buffer[] = [];
  for (let i = 0; i < 3000; i++) {
    parts.push(
      b(
        `*4\r\n$${String(i).length}\r\n${i}\r\n:${i * 7919}\r\n%1\r\n+k\r\n,${i / 3}\r\n|1\r\n+a\r\n#t\r\n_\r\n`,
      ),
    );
    // Bulks around the stitch size (1 KiB) and beyond it, so that cuts land in every kind.
    if (i % 97 === 0) parts.push(b(bulk('y'.repeat(900 + (i % 5) * 100))));
    if (i % 500 === 0) parts.push(b(bulk('z'.repeat(30_000))));
    if (i % 301 === 0) parts.push(b(`>2\r\n+message\r\n${bulk(`push ${i}`)}`));
  }
  const stream = Buffer.concat(parts);

  it('gives the whole-stream result for chunks of 2 KiB to 70 KiB, strings and Buffers', () => {
    for (const options of [{}, { strings: 'buffer' as const }]) {
      const ref = whole(stream, options);
      for (let seed = 1; seed <= 30; seed++) {
        const chunks = randomChunks(stream, seed, seed % 3 === 0 ? 70_000 : seed % 3 === 1 ? 9_000 : 3_000);
        expect(decodeChunks(chunks, options), `seed ${seed}`).toBe(ref);
      }
    }
  });

  it('gives the whole-stream result with the cut at every offset inside a token longer than the stitch', () => {
    const token = b(bulk('w'.repeat(1500)));
    const before = b(':1\r\n');
    const after = Buffer.concat([b('+after\r\n'), b(bulk('v'.repeat(5000)))]);
    const s = Buffer.concat([before, token, after]);
    const ref = whole(s);
    for (let cut = 1; cut < before.length + token.length; cut++) {
      expect(decodeChunks([s.subarray(0, cut), s.subarray(cut)]), `cut at ${cut}`).toBe(ref);
    }
  });

  it('hands out Buffer views of the chunk itself after a cut (no copy of the chunk)', () => {
    const head = b(`*2\r\n$3\r\nabc\r\n$3\r\nd`);
    const rest = Buffer.concat([b('ef\r\n'), ...Array.from({ length: 2000 }, (_, i) => b(bulk(`v${i}`)))]);
    const { replies } = decodeRaw([head, rest], { strings: 'buffer' });
    expect(replies).toHaveLength(2001);
    const last = replies[2000] as Buffer;
    expect(last.toString()).toBe('v1999');
    expect(last.buffer).toBe(rest.buffer);
  });

  it('reports a malformed byte after a stitch at its offset in the stream', () => {
    const good = Buffer.concat(Array.from({ length: 400 }, (_, i) => b(bulk(`v${i}`))));
    const bad = Buffer.concat([good, b('?oops\r\n')]);
    const cut = 10; // inside the first bulk: the second chunk is stitched
    let caught: unknown;
    try {
      decodeRaw([bad.subarray(0, cut), bad.subarray(cut)]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ProtocolError);
    expect((caught as ProtocolError).offset).toBe(good.length);
  });

  it('the buffered-bytes limit does not depend on where a completed reply was cut', () => {
    // One 4,807-byte reply, limit 3,000: complete in the second chunk however the first is cut.
    const reply = b(`*1200\r\n${':1\r\n'.repeat(1200)}`);
    for (const cut of [2101, 2900, 2999]) {
      const { replies } = decodeRaw([reply.subarray(0, cut), reply.subarray(cut)], {
        limits: { maxBufferedBytes: 3000 },
      });
      expect(replies, `cut at ${cut}`).toHaveLength(1);
    }
    // ...and still enforced when the reply stays incomplete.
    expect(() =>
      decodeRaw([reply.subarray(0, 2101), reply.subarray(2101, 4000)], {
        limits: { maxBufferedBytes: 3000 },
      }),
    ).toThrow(/maxBufferedBytes/);
  });

  it('a callback that throws during a stitch loses none of the chunk', () => {
    const s = b(`+first\r\n${Array.from({ length: 600 }, (_, i) => `:${i}\r\n`).join('')}+last\r\n`);
    const got: unknown[] = [];
    let thrown = false;
    const decoder = new RespDecoder({
      onReply: (r) => {
        got.push(r);
        if (r === 'first' && !thrown) {
          thrown = true;
          throw new Error('user callback');
        }
      },
    });
    decoder.feed(s.subarray(0, 3));
    expect(() => decoder.feed(s.subarray(3))).toThrow('user callback');
    decoder.feed(b('+after\r\n'));
    expect(got).toHaveLength(603);
    expect(got.slice(-2)).toEqual(['last', 'after']);
  });

  it('a callback that throws after a streamed bulk loses none of the chunk either', () => {
    for (const cutAt of [100, 40_005, 40_007]) {
      const s = b(`$40000\r\n${'x'.repeat(40_000)}\r\n:2\r\n`);
      const got: unknown[] = [];
      let thrown = false;
      const decoder = new RespDecoder({
        onReply: (r) => {
          got.push(typeof r === 'string' ? r.length : r);
          if (!thrown) {
            thrown = true;
            throw new Error('user callback');
          }
        },
      });
      decoder.feed(s.subarray(0, cutAt));
      expect(() => decoder.feed(s.subarray(cutAt))).toThrow('user callback');
      decoder.feed(b(':3\r\n'));
      expect(got, `cut at ${cutAt}`).toEqual([40_000, 2, 3]);
    }
  });

  it('a large bulk begun inside the stitch: the limit counts the whole chunk as here', () => {
    const reply = b(`*2\r\n:1\r\n$40000\r\n${'x'.repeat(40000)}\r\n`);
    for (const cut of [5, 8, 12]) {
      const { replies } = decodeRaw([reply.subarray(0, cut), reply.subarray(cut)], {
        limits: { maxBufferedBytes: 20000 },
      });
      expect((replies[0] as string[])[1], `cut at ${cut}`).toHaveLength(40000);
    }
  });
});

// Property tests: random bytes only ever yield values or a ProtocolError; any RESP value
// survives any chunking.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, ProtocolError, RespDecoder } from '../src/index.js';
import { decodeChunks, fingerprint, splitAt } from './helpers.js';

const PREFIXES = ['+', '-', ':', '$', '*', '_', '#', ',', '(', '!', '=', '%', '~', '|', '>'];

/** Random bytes biased towards RESP-looking input, so the fuzzer gets past the first byte. */
const respLikeBytes = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        ...PREFIXES,
        '\r\n',
        '\r',
        '\n',
        '-1',
        '0',
        '1',
        '2',
        '3',
        '10',
        '-',
        'inf',
        'nan',
        't',
        'f',
      ),
      fc.string({ maxLength: 4 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => Buffer.from(parts.join(''), 'latin1'));

describe('fuzz', () => {
  it('random bytes yield values or ProtocolError, never anything else, never a hang', () => {
    fc.assert(
      fc.property(fc.oneof(respLikeBytes, fc.uint8Array({ maxLength: 64 })), fc.nat(64), (bytes, cut) => {
        const replies: unknown[] = [];
        const decoder = new RespDecoder({
          onReply: (r) => replies.push(r),
          onPush: (p) => replies.push(p),
          limits: { maxDepth: 8, maxAggregateLength: 1000, maxBulkLength: 1000 },
        });
        const buf = Buffer.from(bytes);
        try {
          for (const chunk of splitAt(buf, Math.min(cut, buf.length))) decoder.feed(chunk);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          expect(err.offset).toBeGreaterThanOrEqual(0);
          expect(err.offset).toBeLessThanOrEqual(buf.length);
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it('decode() of random bytes: a value or a ProtocolError', () => {
    fc.assert(
      fc.property(respLikeBytes, (bytes) => {
        try {
          decode(bytes);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }),
      { numRuns: 10_000 },
    );
  });

  // Generate well-formed RESP3 values with their encoding, and check any chunking of the
  // encoding decodes to the same thing.
  const { value: respValue } = fc.letrec<{ value: string }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.string({ unit: 'grapheme' }).map((s) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`),
      fc.stringMatching(/^[a-zA-Z0-9 ]{0,10}$/).map((s) => `+${s}\r\n`),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => `:${n}\r\n`),
      fc.double({ noNaN: true }).map((d) => `,${Number.isFinite(d) ? d : d > 0 ? 'inf' : '-inf'}\r\n`),
      fc.bigInt().map((n) => `(${n}\r\n`),
      fc.boolean().map((v) => `#${v ? 't' : 'f'}\r\n`),
      fc.constant('_\r\n'),
      fc.constant('$-1\r\n'),
      fc.array(tie('value'), { maxLength: 5 }).map((items) => `*${items.length}\r\n${items.join('')}`),
      fc.array(tie('value'), { maxLength: 5 }).map((items) => `~${items.length}\r\n${items.join('')}`),
      fc
        .array(fc.tuple(fc.string({ maxLength: 6 }), tie('value')), { maxLength: 4 })
        .map(
          (entries) =>
            `%${entries.length}\r\n${entries.map(([k, v]) => `$${Buffer.byteLength(k)}\r\n${k}\r\n${v}`).join('')}`,
        ),
    ),
  }));

  it('any well-formed value decodes the same whole and in any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(respValue, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (values, cuts) => {
          const bytes = Buffer.from(values.join(''));
          const whole = decodeChunks([bytes]);
          expect(whole.replies).toHaveLength(values.length);
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
          expect(fingerprint(decodeChunks(splitAt(bytes, ...points)))).toBe(fingerprint(whole));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

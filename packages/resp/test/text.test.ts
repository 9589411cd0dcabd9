// utf8Text must equal Buffer#toString('utf8') for any bytes: ASCII (the JS fast path up to 16
// bytes), multi-byte, invalid sequences (replacement characters), every length around the cut-off.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8Text } from '../src/index.js';

describe('utf8Text', () => {
  it('equals toString("utf8") for every length 0..40 of ASCII, UTF-8 and invalid bytes', () => {
    const samples = [
      Buffer.from('person-1234567890abcdefghijklmnopqrstuvwxyz'),
      Buffer.from('héllo wörld ✓ 名前 🎉 and more text'),
      Buffer.from([0x41, 0xff, 0x42, 0xc3, 0x28, 0xe2, 0x82, 0x41, 0x80, 0x7f, 0x00, 0x43, 0xf0, 0x9f, 0x98]),
      Buffer.from('\u0000\u0001\u007f\r\n"\\'),
    ];
    for (const sample of samples) {
      const bytes = Buffer.concat([sample, sample, sample]);
      for (let start = 0; start < 8; start++)
        for (let len = 0; len <= 40 && start + len <= bytes.length; len++)
          expect(utf8Text(bytes, start, start + len)).toBe(bytes.toString('utf8', start, start + len));
    }
  });

  it('a single non-ASCII byte anywhere in a short text takes the UTF-8 decoder', () => {
    // The fast path reads each byte of a 1..16-byte text once: every one must be checked.
    for (let n = 1; n <= 17; n++)
      for (let at = 0; at < n; at++)
        for (const high of [0x80, 0xc3, 0xff]) {
          const bytes = Buffer.alloc(n + 2, 0x61);
          bytes[1 + at] = high;
          expect(utf8Text(bytes, 1, 1 + n)).toBe(bytes.toString('utf8', 1, 1 + n));
        }
  });

  it('equals toString("utf8") on random bytes (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 48 }), fc.uint8Array({ max: 127, maxLength: 24 })),
        fc.nat(8),
        (array, cut) => {
          const bytes = Buffer.from(array);
          const start = Math.min(cut, bytes.length);
          expect(utf8Text(bytes, start, bytes.length)).toBe(bytes.toString('utf8', start));
        },
      ),
      { numRuns: 5000 },
    );
  });
});

// Bytes to JS strings, the fastest correct way for each size (measured on Node 20).

type SliceBuffer = Buffer & {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
};

// Buffer#utf8Slice is what Buffer#toString('utf8') calls after its argument checks; fall back
// where a runtime lacks it.
const hasFastSlice = typeof (Buffer.prototype as Partial<SliceBuffer>).utf8Slice === 'function';

/** UTF-8 bytes to a string through the native decoder (no size fast path). */
export function utf8Slice(buf: Buffer, start: number, end: number): string {
  return hasFastSlice ? (buf as SliceBuffer).utf8Slice(start, end) : buf.toString('utf8', start, end);
}

/** Latin-1 bytes (or ASCII) to a one-byte string. */
export function latin1Slice(buf: Buffer, start: number, end: number): string {
  return hasFastSlice ? (buf as SliceBuffer).latin1Slice(start, end) : buf.toString('latin1', start, end);
}

/**
 * UTF-8 bytes `buf[start..end)` to a string, exactly as `buf.toString('utf8', start, end)`.
 * Texts of up to 16 bytes that are all ASCII (keys, names, ids: most of what Redis and FalkorDB
 * send) are built in JS with one `String.fromCharCode` call: a native slice costs a call into C++
 * each (~90 ns here), the JS path ~35 ns (100k 12-byte strings: 9.2 ms vs 5.7 ms). Longer or
 * non-ASCII texts go to the native decoder. For {@link ReplyParser} authors as much as for the
 * decoder itself.
 */
export function utf8Text(buf: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n <= 16) {
    const text = shortAscii(buf, start, n);
    if (text !== undefined) return text;
  }
  return utf8Slice(buf, start, end);
}

const chars = String.fromCharCode;

/**
 * `n` (0..16) bytes at `a` as a string if they are all ASCII, else undefined. Each byte is read
 * once, into a local, with no loop: V8 checks `b` again at every turn of a loop, so a loop that
 * first tests the bytes for ASCII costs ~10 percent more per string (1M strings of 4-15 bytes:
 * 62-71 vs 70-82 ms here).
 */
function shortAscii(b: Buffer, a: number, n: number): string | undefined {
  switch (n) {
    case 0:
      return '';
    case 1: {
      const c0 = b[a]!;
      return c0 < 0x80 ? chars(c0) : undefined;
    }
    case 2: {
      const c0 = b[a]!;
      const c1 = b[a + 1]!;
      return (c0 | c1) < 0x80 ? chars(c0, c1) : undefined;
    }
    case 3: {
      const c0 = b[a]!;
      const c1 = b[a + 1]!;
      const c2 = b[a + 2]!;
      return (c0 | c1 | c2) < 0x80 ? chars(c0, c1, c2) : undefined;
    }
    case 4: {
      const c0 = b[a]!;
      const c1 = b[a + 1]!;
      const c2 = b[a + 2]!;
      const c3 = b[a + 3]!;
      return (c0 | c1 | c2 | c3) < 0x80 ? chars(c0, c1, c2, c3) : undefined;
    }
    case 5: {
      const c0 = b[a]!;
      const c1 = b[a + 1]!;
      const c2 = b[a + 2]!;
      const c3 = b[a + 3]!;
      const c4 = b[a + 4]!;
      return (c0 | c1 | c2 | c3 | c4) < 0x80 ? chars(c0, c1, c2, c3, c4) : undefined;
    }
    case 6: {
      const c0 = b[a]!;
      const c1 = b[a + 1]!;
      const c2 = b[a + 2]!;
      const c3 = b[a + 3]!;
      const c4 = b[a + 4]!;
      const c5 = b[a + 5]!;
      return (c0 | c1 | c2 | c3 | c4 | c5) < 0x80 ? chars(c0, c1, c2, c3, c4, c5) : undefined;
    }
    case 7: {
      const c0 = b[a]!;
      const c1 = b[a + 1]!;
      const c2 = b[a + 2]!;
      const c3 = b[a + 3]!;
      const c4 = b[a + 4]!;
      const c5 = b[a + 5]!;
      const c6 = b[a + 6]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6) < 0x80 ? chars(c0, c1, c2, c3, c4, c5, c6) : undefined;
    }
    case 8: {
      const c0 = b[a]!;
      const c1 = b[a + 1]!;
      const c2 = b[a + 2]!;
      const c3 = b[a + 3]!;
      const c4 = b[a + 4]!;
      const c5 = b[a + 5]!;
      const c6 = b[a + 6]!;
      const c7 = b[a + 7]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7) < 0x80
        ? chars(c0, c1, c2, c3, c4, c5, c6, c7)
        : undefined;
    }
    case 9: {
      const c0 = b[a]!;
      const c1 = b[a + 1]!;
      const c2 = b[a + 2]!;
      const c3 = b[a + 3]!;
      const c4 = b[a + 4]!;
      const c5 = b[a + 5]!;
      const c6 = b[a + 6]!;
      const c7 = b[a + 7]!;
      const c8 = b[a + 8]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8) < 0x80
        ? chars(c0, c1, c2, c3, c4, c5, c6, c7, c8)
        : undefined;
    }
    case 10: {
      const c0 = b[a]!;
      const c1 = b[a + 1]!;
      const c2 = b[a + 2]!;
      const c3 = b[a + 3]!;
      const c4 = b[a + 4]!;
      const c5 = b[a + 5]!;
      const c6 = b[a + 6]!;
      const c7 = b[a + 7]!;
      const c8 = b[a + 8]!;
      const c9 = b[a + 9]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9) < 0x80
        ? chars(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9)
        : undefined;
    }
    case 11: {
      const c0 = b[a]!;
      const c1 = b[a + 1]!;
      const c2 = b[a + 2]!;
      const c3 = b[a + 3]!;
      const c4 = b[a + 4]!;
      const c5 = b[a + 5]!;
      const c6 = b[a + 6]!;
      const c7 = b[a + 7]!;
      const c8 = b[a + 8]!;
      const c9 = b[a + 9]!;
      const c10 = b[a + 10]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10) < 0x80
        ? chars(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10)
        : undefined;
    }
    case 12: {
      const c0 = b[a]!;
      const c1 = b[a + 1]!;
      const c2 = b[a + 2]!;
      const c3 = b[a + 3]!;
      const c4 = b[a + 4]!;
      const c5 = b[a + 5]!;
      const c6 = b[a + 6]!;
      const c7 = b[a + 7]!;
      const c8 = b[a + 8]!;
      const c9 = b[a + 9]!;
      const c10 = b[a + 10]!;
      const c11 = b[a + 11]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11) < 0x80
        ? chars(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11)
        : undefined;
    }
    case 13: {
      const c0 = b[a]!;
      const c1 = b[a + 1]!;
      const c2 = b[a + 2]!;
      const c3 = b[a + 3]!;
      const c4 = b[a + 4]!;
      const c5 = b[a + 5]!;
      const c6 = b[a + 6]!;
      const c7 = b[a + 7]!;
      const c8 = b[a + 8]!;
      const c9 = b[a + 9]!;
      const c10 = b[a + 10]!;
      const c11 = b[a + 11]!;
      const c12 = b[a + 12]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12) < 0x80
        ? chars(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12)
        : undefined;
    }
    case 14: {
      const c0 = b[a]!;
      const c1 = b[a + 1]!;
      const c2 = b[a + 2]!;
      const c3 = b[a + 3]!;
      const c4 = b[a + 4]!;
      const c5 = b[a + 5]!;
      const c6 = b[a + 6]!;
      const c7 = b[a + 7]!;
      const c8 = b[a + 8]!;
      const c9 = b[a + 9]!;
      const c10 = b[a + 10]!;
      const c11 = b[a + 11]!;
      const c12 = b[a + 12]!;
      const c13 = b[a + 13]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13) < 0x80
        ? chars(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13)
        : undefined;
    }
    case 15: {
      const c0 = b[a]!;
      const c1 = b[a + 1]!;
      const c2 = b[a + 2]!;
      const c3 = b[a + 3]!;
      const c4 = b[a + 4]!;
      const c5 = b[a + 5]!;
      const c6 = b[a + 6]!;
      const c7 = b[a + 7]!;
      const c8 = b[a + 8]!;
      const c9 = b[a + 9]!;
      const c10 = b[a + 10]!;
      const c11 = b[a + 11]!;
      const c12 = b[a + 12]!;
      const c13 = b[a + 13]!;
      const c14 = b[a + 14]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14) < 0x80
        ? chars(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14)
        : undefined;
    }
    case 16: {
      const c0 = b[a]!;
      const c1 = b[a + 1]!;
      const c2 = b[a + 2]!;
      const c3 = b[a + 3]!;
      const c4 = b[a + 4]!;
      const c5 = b[a + 5]!;
      const c6 = b[a + 6]!;
      const c7 = b[a + 7]!;
      const c8 = b[a + 8]!;
      const c9 = b[a + 9]!;
      const c10 = b[a + 10]!;
      const c11 = b[a + 11]!;
      const c12 = b[a + 12]!;
      const c13 = b[a + 13]!;
      const c14 = b[a + 14]!;
      const c15 = b[a + 15]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15) < 0x80
        ? chars(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15)
        : undefined;
    }
    default:
      return undefined;
  }
}

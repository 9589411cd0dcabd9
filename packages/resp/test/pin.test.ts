// pinHiddenClass: without it, a full GC between two decode() calls threw away the decoder's
// optimised code (V8 "weak objects" deopts). Checked on the built package in a child Node with
// --trace-deopt: the bundler once dropped the pin list as write-only, which only the dist shows.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pinHiddenClass } from '../src/index.js';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '../dist/index.js');

describe('pinHiddenClass', () => {
  it('returns the instance with its field values unchanged', () => {
    const object = { a: 1, b: 'x', c: undefined as unknown };
    expect(pinHiddenClass(object, ['a', 'b', 'c'])).toBe(object);
    expect(object).toEqual({ a: 1, b: 'x', c: undefined });
  });

  it('keeps decode() optimised across full GCs (no "weak objects" deopt of the decoder)', () => {
    const script = `
      const { decode } = await import(${JSON.stringify(dist)});
      const parts = ['*50000\\r\\n'];
      for (let i = 0; i < 50000; i++) parts.push('$5\\r\\nabcde\\r\\n');
      const bytes = Buffer.from(parts.join(''));
      for (let k = 0; k < 8; k++) { globalThis.gc(); if (decode(bytes).length !== 50000) process.exit(3); }
    `;
    const trace = execFileSync(
      process.execPath,
      ['--expose-gc', '--trace-opt', '--trace-deopt', '--input-type=module', '-e', script],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    // The decoder's loop was optimised (so that a deopt could show)...
    expect(trace).toMatch(/completed optimizing[^\n]*_fillArrays/);
    const weak = trace
      .split('\n')
      .filter((line) => line.includes('weak objects') && /_fill|_parse|_decode|RespDecoder/.test(line));
    // ...and not thrown away by the GCs between replies.
    expect(weak).toEqual([]);
  });
});

// Row objects are built by a function made per column list (rows.ts): column names come from the
// query (aliases), so hostile names must stay data — also where code generation from strings is
// disallowed and rows are built key by key instead. Replies here are hand-made compact bytes.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProtocolError } from '@pyrsedis/client';
import { AttributedValue, RespDecoder } from '@pyrsedis/resp';
import { describe, expect, it } from 'vitest';
import { CompactParser, type CompactResult, type SchemaNames } from '../src/parser.js';
import { decodeWith } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const names: SchemaNames = { labels: ['L'], relationshipTypes: ['T'], propertyKeys: ['p', '__proto__'] };

const bulk = (text: string) => `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
const int = (n: number) => `:${n}\r\n`;
const arr = (n: number) => `*${n}\r\n`;
const STATS = `${arr(1)}${bulk('Query internal execution time: 0.1 milliseconds')}`;

/** A compact reply: columns, then rows of [type, value] cells given as raw RESP text. */
function reply(columns: string[], rows: string[][]): Buffer {
  let text = arr(3) + arr(columns.length);
  for (const name of columns) text += arr(2) + int(1) + bulk(name);
  text += arr(rows.length);
  for (const row of rows) text += arr(row.length) + row.join('');
  return Buffer.from(text + STATS);
}
const str = (s: string) => arr(2) + int(2) + bulk(s);
const num = (n: number) => arr(2) + int(3) + int(n);

const HOSTILE = [
  '__proto__',
  'constructor',
  'a"b',
  "c'd",
  'e\\f',
  'g\nh',
  'i\u2028j',
  '}; globalThis.pwned = 1; ({',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a column name that looks like code
  '`${globalThis.pwned = 2}`',
  'ü 名前',
  '',
  'toString',
];

const hostileBytes = reply(HOSTILE, [HOSTILE.map((_, i) => num(i)), HOSTILE.map((c) => str(c))]);

describe('row objects', () => {
  it('keep every column name as data: quotes, newlines, code, __proto__ (own), empty', () => {
    const { rows } = decodeWith([hostileBytes], names).result as CompactResult;
    expect(rows).toHaveLength(2);
    for (const [r, row] of (rows as Record<string, unknown>[]).entries()) {
      expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
      expect(Object.keys(row)).toEqual(HOSTILE);
      HOSTILE.forEach((name, i) => {
        expect(Object.getOwnPropertyDescriptor(row, name)?.value).toBe(r === 0 ? i : name);
      });
    }
    expect((globalThis as { pwned?: unknown }).pwned).toBeUndefined();
    expect(({} as Record<string, unknown>).constructor).toBe(Object);
  });

  it('are the same when code generation from strings is disallowed (rows built key by key)', () => {
    // A child Node with the flag, decoding the same bytes with the built package.
    const script = `
      const { RespDecoder } = await import('@pyrsedis/resp');
      const { CompactParser } = await import(${JSON.stringify(path.join(here, '../dist/index.js'))});
      let threw = false;
      try { new Function('return 1'); } catch { threw = true; }
      let out;
      const d = new RespDecoder({ onReply: (r) => { out = r; }, planReply: () => new CompactParser(${JSON.stringify(names)}) });
      d.feed(Buffer.from(${JSON.stringify(hostileBytes.toString('base64'))}, 'base64'));
      const rows = out.rows.map((row) => ({
        proto: Object.getPrototypeOf(row) === Object.prototype,
        entries: Object.keys(row).map((k) => [k, Object.getOwnPropertyDescriptor(row, k).value]),
      }));
      process.stdout.write(JSON.stringify({ threw, rows, pwned: globalThis.pwned ?? null }));
    `;
    const output = execFileSync(
      process.execPath,
      ['--disallow-code-generation-from-strings', '--input-type=module', '-e', script],
      { cwd: here, encoding: 'utf8' },
    );
    const child = JSON.parse(output);
    expect(child.threw).toBe(true);
    expect(child.pwned).toBeNull();
    const { rows } = decodeWith([hostileBytes], names).result as CompactResult;
    expect(child.rows).toEqual(
      (rows as Record<string, unknown>[]).map((row) => ({
        proto: true,
        entries: Object.keys(row).map((k) => [k, Object.getOwnPropertyDescriptor(row, k)?.value]),
      })),
    );
  });

  it('rows of many columns and many column lists (the factory cache is bounded)', () => {
    const wide = Array.from({ length: 600 }, (_, i) => `c${i}`);
    const { rows } = decodeWith([reply(wide, [wide.map((_, i) => num(i))])], names).result as CompactResult;
    expect(Object.values(rows[0] as object)).toEqual(wide.map((_, i) => i));
    for (let k = 0; k < 300; k++) {
      const columns = [`x${k}`, `y${k}`];
      const result = decodeWith([reply(columns, [[num(k), str('v')]])], names).result as CompactResult;
      expect(result.rows).toEqual([{ [`x${k}`]: k, [`y${k}`]: 'v' }]);
    }
  });

  it('a row whose length differs from the columns is a ProtocolError, whole or split', () => {
    const bytes = reply(['a', 'b'], [[num(1), num(2)], [num(3)]]);
    for (const chunks of [[bytes], [bytes.subarray(0, 60), bytes.subarray(60)]]) {
      expect(() => decodeWith(chunks, names)).toThrow(ProtocolError);
      expect(() => decodeWith(chunks, names)).toThrow(/a row of 1 values for 2 columns/);
    }
  });

  it('a malformed type code is a ProtocolError, never another type (every split point)', () => {
    // `:3\x1f` once parsed as 3 * 10 + (0x1f - 0x30) = 13 (datetime) by an unchecked fast path.
    const good = reply(['a'], [[num(7)]]);
    const bad = Buffer.from(
      good.toString('latin1').replace(`${arr(2)}${int(3)}${int(7)}`, `${arr(2)}:3\x1f\r\n${int(7)}`),
      'latin1',
    );
    expect(bad.length).toBe(good.length + 1);
    for (let cut = 0; cut <= bad.length; cut++) {
      const chunks = cut === 0 ? [bad] : [bad.subarray(0, cut), bad.subarray(cut)];
      expect(() => decodeWith(chunks, names), `cut at ${cut}`).toThrow(ProtocolError);
    }
  });

  it('properties named __proto__ on nodes are own data', () => {
    const node = `${arr(2)}${int(8)}${arr(3)}${int(5)}${arr(1)}${int(0)}${arr(2)}${arr(3)}${int(0)}${int(3)}${int(1)}${arr(3)}${int(1)}${int(2)}${bulk('x')}`;
    const bytes = reply(['n'], [[node]]);
    for (let cut = 0; cut <= bytes.length; cut += 7) {
      const chunks = cut === 0 ? [bytes] : [bytes.subarray(0, cut), bytes.subarray(cut)];
      const { rows } = decodeWith(chunks, names).result as CompactResult;
      const n = (rows[0] as { n: { id: number; labels: string[]; properties: object } }).n;
      expect(n.id).toBe(5);
      expect(n.labels).toEqual(['L']);
      expect(Object.getPrototypeOf(n.properties)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(n.properties, '__proto__')?.value).toBe('x');
      expect((n.properties as { p: number }).p).toBe(1);
    }
  });

  it('node properties in more key orders than the shape cache holds: all decoded right', () => {
    const keys = Array.from({ length: 80 }, (_, i) => `k${i}`);
    const schema: SchemaNames = { labels: ['L'], relationshipTypes: [], propertyKeys: keys };
    const rows: string[][] = [];
    const expected: Record<string, number>[] = [];
    for (let i = 0; i < 80; i++)
      for (let j = 0; j < 80; j++) {
        if (i === j) continue;
        const props = `${arr(2)}${arr(3)}${int(i)}${int(3)}${int(j)}${arr(3)}${int(j)}${int(3)}${int(i)}`;
        rows.push([`${arr(2)}${int(8)}${arr(3)}${int(rows.length)}${arr(1)}${int(0)}${props}`]);
        expected.push({ [`k${i}`]: j, [`k${j}`]: i });
      }
    expect(rows.length).toBeGreaterThan(4096);
    const { rows: decoded } = decodeWith([reply(['n'], rows)], schema).result as CompactResult;
    expect(decoded.map((r) => (r as { n: { properties: object } }).n.properties)).toEqual(expected);
    expect(decoded.map((r) => Object.keys((r as { n: { properties: object } }).n.properties))).toEqual(
      expected.map((e) => Object.keys(e)),
    );
  });

  it('the parser stays optimised across full GCs between replies (no "weak objects" deopt)', () => {
    const many = reply(
      ['a', 'b'],
      Array.from({ length: 20_000 }, (_, i) => [num(i), str(`s${i}`)]),
    );
    const script = `
      const { RespDecoder } = await import('@pyrsedis/resp');
      const { CompactParser } = await import(${JSON.stringify(path.join(here, '../dist/index.js'))});
      const bytes = (await import('node:fs')).readFileSync(0);
      for (let k = 0; k < 8; k++) {
        globalThis.gc();
        let out;
        const d = new RespDecoder({ onReply: (r) => { out = r; }, planReply: () => new CompactParser(${JSON.stringify(names)}) });
        d.feed(bytes);
        if (out.rows.length !== 20000) process.exit(3);
      }
    `;
    const trace = execFileSync(
      process.execPath,
      ['--expose-gc', '--trace-opt', '--trace-deopt', '--input-type=module', '-e', script],
      { cwd: here, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, input: many },
    );
    expect(trace).toMatch(/completed optimizing[^\n]*_inlineRow/);
    const weak = trace
      .split('\n')
      .filter((line) => line.includes('weak objects') && /_inline|parse|_give/.test(line));
    expect(weak).toEqual([]);
  });

  it('malformed bytes found by review: a null without CRLF, a hostile aggregate length', () => {
    const nullCell = `${arr(2)}${int(1)}`;
    for (const bad of [reply(['a'], [[`${nullCell}_XY`]]), reply(['a'], [[`${nullCell}$-2\r\n`]])])
      for (const chunks of [[bad], Array.from(bad, (_, i) => bad.subarray(i, i + 1))])
        expect(() => decodeWith(chunks, names)).toThrow(ProtocolError);
    // A vector of 300M elements announced: refused before anything is allocated for it.
    const before = process.memoryUsage().arrayBuffers;
    const vector = reply(['v'], [[`${arr(2)}${int(12)}${arr(300_000_000)}`]]);
    expect(() => decodeWith([vector], names)).toThrow(/an aggregate of 300000000 elements/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
    expect(() => decodeWith([reply(['v'], [[`${arr(2)}${int(6)}${arr(99_999_999_999)}`]])], names)).toThrow(
      ProtocolError,
    );
  });

  it('malformed structure found by a second review: refused, never a wrong value or an allocation storm', () => {
    const str = (t: string) => `$${Buffer.byteLength(t)}\r\n${t}\r\n`;
    const bad = [
      `${arr(2)}${int(8)}${arr(0)}`, // a node of 0 parts
      `${arr(2)}${int(7)}${arr(3)}${int(1)}${int(0)}${int(0)}`, // an edge of 3 parts
      `${arr(2)}${int(11)}${arr(1)}${str('1.5')}`, // a point of 1 part
      `${arr(2)}${int(9)}${arr(3)}`, // a path of 3 parts
      `${arr(2)}${int(10)}${arr(1)}${str('k')}`, // a map of an odd count
      `${arr(2)}${int(4)}${str('yes')}`, // a boolean that is neither true nor false
      `${arr(2)}${int(2)}$99999999999999999999\r\n`, // a bulk length beyond any limit
      `${arr(2)}${int(2)}$600000000\r\nabc`, // beyond 512 MiB: it would swallow every later reply
    ];
    for (const cell of bad) {
      const bytes = reply(['a'], [[cell]]);
      expect(() => decodeWith([bytes], names), cell).toThrow(ProtocolError);
    }
    // A bulk length of 16+ digits (leading zeros included) says so, not "longer than 512 MiB".
    const padded = reply(['a'], [[`${arr(2)}${int(2)}$0000000000000001\r\nx\r\n`]]);
    expect(() => decodeWith([padded], names)).toThrow(/a bulk length of more than 15 digits/);
    // Headers announcing 16M-element lists, nested: ~2 KB that allocated gigabytes.
    const before = process.memoryUsage().heapUsed;
    const nested = `${arr(2)}${int(6)}${arr(16_000_000)}`.repeat(100);
    expect(() => decodeWith([reply(['a'], [[nested]])], names)).toThrow(ProtocolError); // incomplete
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(128 * 1024 * 1024);
    // The [error, version] form holds the version check only, and nothing after the error.
    const top = (body: string) => Buffer.from(`*2\r\n${body}`);
    expect(() => decodeWith([top('-version mismatch\r\n*0\r\n')], names)).toThrow(ProtocolError);
    expect(() => decodeWith([top('-some other error\r\n:7\r\n')], names)).toThrow(
      /an error inside a compact reply: some other error/,
    );
    expect(
      (decodeWith([top('-version mismatch\r\n:7\r\n')], names).result as CompactResult).versionMismatch,
    ).toBe(7);
    expect(() => decodeWith([Buffer.from('*0\r\n')], names)).toThrow(/a compact reply of 0 parts/);
    // Nesting deeper than 512 is refused.
    const deep = `${arr(2)}${int(6)}${arr(1)}`.repeat(600);
    expect(() => decodeWith([reply(['a'], [[deep]])], names)).toThrow(/nesting deeper than 512/);
  });

  it('a node as a property value reads the same whole and split (the fast path defers to the general one)', () => {
    const inner = `${arr(3)}${int(7)}${arr(0)}${arr(1)}${arr(3)}${int(1)}${int(3)}${int(5)}`;
    const outer = `${arr(2)}${int(8)}${arr(3)}${int(1)}${arr(0)}${arr(1)}${arr(3)}${int(0)}${int(8)}${inner}`;
    const bytes = reply(['c'], [[outer]]);
    const whole = decodeWith([bytes], names).result as CompactResult;
    const props = (whole.rows[0] as { c: { properties: Record<string, unknown> } }).c.properties;
    expect(Object.keys(props)).toEqual(['p']);
    for (let cut = 1; cut < bytes.length; cut++)
      expect(
        (decodeWith([bytes.subarray(0, cut), bytes.subarray(cut)], names).result as CompactResult).rows,
      ).toEqual(whole.rows);
  });

  it('error offsets are stream offsets, wherever the chunks were cut', () => {
    const bad = reply(
      ['a'],
      [...Array.from({ length: 200 }, () => [num(1)]), [`${arr(2)}${int(99)}${int(7)}`]],
    );
    const offsets = new Set<number>();
    for (const cut of [bad.length, 40, 1000, bad.length - 30]) {
      try {
        decodeWith(cut === bad.length ? [bad] : [bad.subarray(0, cut), bad.subarray(cut)], names);
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError);
        offsets.add((err as ProtocolError).offset);
      }
    }
    expect(offsets.size).toBe(1);
    expect([...offsets][0]).toBeGreaterThan(bad.indexOf(':99') - 1);
  });

  it('the general path refuses what the fast path refuses: bad bulk lengths and nulls', () => {
    for (const cell of [
      `${arr(2)}${int(2)}$1x\r\nA\r\n`,
      `${arr(2)}${int(1)}$-1x\r\n`,
      `${arr(2)}${int(1)}_5\r\n`,
      `${arr(2)}${int(1)}_-\r\n`,
    ])
      expect(() => decodeWith([reply(['a'], [[cell]])], names), JSON.stringify(cell)).toThrow(ProtocolError);
  });

  it('a malformed double is reported at its stream offset however the chunks were cut', () => {
    const bad = reply(
      ['a'],
      [...Array.from({ length: 100 }, () => [num(1)]), [`${arr(2)}${int(5)}${bulk('1x5')}`]],
    );
    const offsets = new Set<number>();
    for (const cut of [bad.length, 30, 1000]) {
      try {
        decodeWith(cut === bad.length ? [bad] : [bad.subarray(0, cut), bad.subarray(cut)], names);
      } catch (err) {
        expect((err as Error).message).toMatch(/double "1x5"/);
        offsets.add((err as ProtocolError).offset);
      }
    }
    expect(offsets.size).toBe(1);
  });

  it('a compact reply counts toward maxBufferedBytes like any other, and keeps the attributes sent before it', () => {
    const rows = Array.from({ length: 2000 }, (_, i) => [num(i)]);
    const bytes = reply(['a'], rows);
    const chunks = [bytes.subarray(0, 60)];
    for (let o = 60; o < bytes.length; o += 900) chunks.push(bytes.subarray(o, o + 900));
    const decoder = new RespDecoder({
      limits: { maxBufferedBytes: 4000 },
      onReply: () => {},
      planReply: () => new CompactParser(names),
    });
    expect(() => {
      for (const c of chunks) decoder.feed(c);
    }).toThrow(/maxBufferedBytes/);
    const out: unknown[] = [];
    let n = 0;
    const d2 = new RespDecoder({
      onReply: (r) => out.push(r),
      planReply: () => (n++ === 0 ? new CompactParser(names) : undefined),
    });
    d2.feed(
      Buffer.concat([
        Buffer.from('|1\r\n+key\r\n+val\r\n'),
        reply(['a'], [[num(1)]]),
        Buffer.from('+OK\r\n'),
      ]),
    );
    expect(out[0]).toBeInstanceOf(AttributedValue);
    expect(out[1]).toBe('OK');
  });
});

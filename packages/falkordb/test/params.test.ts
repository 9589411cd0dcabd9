// The parameter header encoder: exact text for every rule and every refusal, then live round trips
// through a real FalkorDB 4.16 (`RETURN $p` gives back what the server's header parser read), a
// fast-check property over hostile nested values, and the injection fixture made harmless.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, createClient, PyrsedisError } from '@pyrsedis/client';
import { type RedisServer, startServer } from '@pyrsedis/test-server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CypherParams,
  type CypherValue,
  Float,
  float,
  formatParams,
  MAX_PARAM_DEPTH,
  ParamError,
  withParams,
} from '../src/params.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The header text for a single parameter `p`, without `CYPHER ` and the trailing space. */
const one = (value: unknown): string => {
  const header = formatParams({ p: value as CypherValue });
  expect(header.startsWith('CYPHER `p`=') && header.endsWith(' ')).toBe(true);
  return header.slice('CYPHER `p`='.length, -1);
};

/** The ParamError `formatParams(params)` throws. */
const refusal = (params: unknown): ParamError => {
  try {
    formatParams(params as CypherParams);
  } catch (err) {
    expect(err).toBeInstanceOf(ParamError);
    return err as ParamError;
  }
  throw new Error('expected a ParamError');
};

/** `depth` lists nested in each other: `[[[]]]` is depth 3. */
const nested = (depth: number): unknown[] => {
  let value: unknown[] = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
};

describe('formatParams: header shape', () => {
  it('is empty without parameters', () => {
    expect(formatParams(undefined)).toBe('');
    expect(formatParams({})).toBe('');
    expect(formatParams(new Map())).toBe('');
    expect(withParams('RETURN 1')).toBe('RETURN 1');
    expect(withParams('RETURN 1', {})).toBe('RETURN 1');
  });

  it('backtick-quotes every name, separates with single spaces, ends with one space', () => {
    expect(formatParams({ a: 1, b: 'x' })).toBe('CYPHER `a`=1 `b`="x" ');
    expect(formatParams(new Map([['a', 1]]))).toBe('CYPHER `a`=1 ');
    expect(formatParams({ 'my param': 1, é: 2, '1x': 3, MATCH: 4 })).toBe(
      'CYPHER `my param`=1 `é`=2 `1x`=3 `MATCH`=4 ',
    );
    expect(withParams('RETURN $a', { a: null })).toBe('CYPHER `a`=null RETURN $a');
  });

  it('writes lists and maps compactly, map keys backtick-quoted', () => {
    expect(one([1, 'a', [true, null], []])).toBe('[1,"a",[true,null],[]]');
    expect(one({ k: 'v', 'odd key': 1, nested: { x: [] }, empty: {} })).toBe(
      '{`k`:"v",`odd key`:1,`nested`:{`x`:[]},`empty`:{}}',
    );
    const nullProto = Object.assign(Object.create(null) as Record<string, CypherValue>, { a: 1 });
    expect(one(nullProto)).toBe('{`a`:1}');
    expect(
      one(
        new Map<string, CypherValue>([
          ['b', 2],
          ['a', new Map()],
        ]),
      ),
    ).toBe('{`b`:2,`a`:{}}');
    expect(one({ 'a:1} MATCH (s) RETURN count(s) AS leaked //': 'x' })).toBe(
      '{`a:1} MATCH (s) RETURN count(s) AS leaked //`:"x"}',
    );
  });
});

describe('formatParams: scalars', () => {
  it('null and booleans', () => {
    expect(one(null)).toBe('null');
    expect(one(true)).toBe('true');
    expect(one(false)).toBe('false');
  });

  it('strings: double quotes, only \\ and " escaped, everything else raw', () => {
    expect(one('')).toBe('""');
    expect(one(`it's "q" \\`)).toBe(`"it's \\"q\\" \\\\"`);
    expect(one('a\nb\r\tc')).toBe('"a\nb\r\tc"');
    expect(one('\\u0041')).toBe('"\\\\u0041"');
    expect(one('é 😀 𝄞 \u2028')).toBe('"é 😀 𝄞 \u2028"');
    expect(one('"} RETURN 1 //')).toBe('"\\"} RETURN 1 //"');
  });

  it('safe integers as digits; -0 is the integer 0', () => {
    expect(one(0)).toBe('0');
    expect(one(-0)).toBe('0');
    expect(one(42)).toBe('42');
    expect(one(-7)).toBe('-7');
    expect(one(Number.MAX_SAFE_INTEGER)).toBe('9007199254740991');
    expect(one(Number.MIN_SAFE_INTEGER)).toBe('-9007199254740991');
  });

  it('other numbers as doubles, always in float syntax', () => {
    expect(one(0.5)).toBe('0.5');
    expect(one(-1.5)).toBe('-1.5');
    expect(one(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(one(1e-7)).toBe('1e-7');
    expect(one(5e-324)).toBe('5e-324');
    expect(one(1e21)).toBe('1e+21');
    expect(one(Number.MAX_VALUE)).toBe('1.7976931348623157e+308');
    // Integral but beyond 2^53: not an exact integer any more, so a double (`.0` keeps the
    // server's strtoll from reading it as an integer, or clamping it beyond int64).
    // String(n) prints the shortest digits that read back as n, so as an integer these would
    // even be a different number (1152921504606847000 is not 2^60); strtod reads them exactly.
    expect(one(2 ** 53)).toBe('9007199254740992.0');
    expect(one(2 ** 60)).toBe('1152921504606847000.0');
    expect(one(-(2 ** 63))).toBe('-9223372036854776000.0');
    expect(one(2 ** 64)).toBe('18446744073709552000.0');
  });

  it('Float / float() force a double', () => {
    expect(one(float(5))).toBe('5.0');
    expect(one(new Float(-0))).toBe('-0.0');
    expect(one(float(0))).toBe('0.0');
    expect(one(float(0.5))).toBe('0.5');
    expect(one(float(1e21))).toBe('1e+21');
    expect(one(float(-(2 ** 60)))).toBe('-1152921504606847000.0');
    expect(float(3).value).toBe(3);
    expect(() => new Float('5' as never)).toThrow(new TypeError('Float: expected a number, got string'));
  });

  it('bigints as digits across the whole int64 range', () => {
    expect(one(0n)).toBe('0');
    expect(one(2n ** 53n + 1n)).toBe('9007199254740993');
    expect(one(INT64_MAX)).toBe('9223372036854775807');
    expect(one(INT64_MIN)).toBe('-9223372036854775808');
  });

  it('typed arrays as lists: float arrays send doubles, integer arrays integers', () => {
    expect(one(new Float64Array([-0, 2, 0.5]))).toBe('[-0.0,2.0,0.5]');
    expect(one(new Float32Array([0.1, 1]))).toBe('[0.10000000149011612,1.0]');
    expect(one(new Int8Array([-128, 127]))).toBe('[-128,127]');
    expect(one(new Uint8Array([0, 255]))).toBe('[0,255]');
    expect(one(new Uint8ClampedArray([255]))).toBe('[255]');
    expect(one(new Int16Array([-32768]))).toBe('[-32768]');
    expect(one(new Uint16Array([65535]))).toBe('[65535]');
    expect(one(new Int32Array([-(2 ** 31)]))).toBe('[-2147483648]');
    expect(one(new Uint32Array([2 ** 32 - 1]))).toBe('[4294967295]');
    expect(one(new BigInt64Array([INT64_MIN, INT64_MAX]))).toBe('[-9223372036854775808,9223372036854775807]');
    expect(one(new BigUint64Array([INT64_MAX]))).toBe('[9223372036854775807]');
    expect(one(new Float64Array(0))).toBe('[]');
  });

  it('shared (non-cyclic) references are fine', () => {
    const shared = { a: [1] };
    expect(one([shared, shared, { x: shared }])).toBe('[{`a`:[1]},{`a`:[1]},{`x`:{`a`:[1]}}]');
  });

  it(`nesting up to ${MAX_PARAM_DEPTH} lists/maps`, () => {
    expect(one(nested(MAX_PARAM_DEPTH))).toBe(`${'['.repeat(MAX_PARAM_DEPTH)}${']'.repeat(MAX_PARAM_DEPTH)}`);
  });
});

describe('formatParams: refusals (exact messages)', () => {
  const cyclicList: unknown[] = [1];
  cyclicList.push([cyclicList]);
  const cyclicObject: Record<string, unknown> = { a: { b: [] } };
  ((cyclicObject.a as Record<string, unknown[]>).b as unknown[]).push(cyclicObject);
  const cyclicMap = new Map<string, unknown>();
  cyclicMap.set('self', cyclicMap);
  class User {
    name = 'x';
  }
  const holey: unknown[] = [1];
  holey[2] = 3;

  it.each([
    ['undefined', undefined, 'params.p: undefined is not a Cypher value: use null, or leave the key out'],
    [
      'undefined in a list',
      [1, undefined],
      'params.p[1]: undefined is not a Cypher value: use null (a sparse array has undefined holes)',
    ],
    [
      'an array hole',
      holey,
      'params.p[1]: undefined is not a Cypher value: use null (a sparse array has undefined holes)',
    ],
    [
      'undefined in a map',
      { user: { tags: ['a', 'b', undefined] } },
      'params.p.user.tags[2]: undefined is not a Cypher value: use null (a sparse array has undefined holes)',
    ],
    [
      'NaN',
      NaN,
      'params.p: NaN is not a Cypher number (FalkorDB parameters have no NaN or Infinity literal)',
    ],
    [
      'Infinity',
      Number.POSITIVE_INFINITY,
      'params.p: Infinity is not a Cypher number (FalkorDB parameters have no NaN or Infinity literal)',
    ],
    [
      '-Infinity in a list',
      [0, Number.NEGATIVE_INFINITY],
      'params.p[1]: -Infinity is not a Cypher number (FalkorDB parameters have no NaN or Infinity literal)',
    ],
    [
      'float(NaN)',
      float(Number.NaN),
      'params.p: NaN is not a Cypher number (FalkorDB parameters have no NaN or Infinity literal)',
    ],
    [
      'NaN in a Float64Array',
      new Float64Array([1, Number.NaN]),
      'params.p[1]: NaN is not a Cypher number (FalkorDB parameters have no NaN or Infinity literal)',
    ],
    [
      'bigint above int64',
      INT64_MAX + 1n,
      'params.p: bigint outside the int64 range (the server would clamp it silently)',
    ],
    [
      'bigint below int64',
      INT64_MIN - 1n,
      'params.p: bigint outside the int64 range (the server would clamp it silently)',
    ],
    [
      'BigUint64Array element above int64',
      new BigUint64Array([1n, 2n ** 64n - 1n]),
      'params.p[1]: bigint outside the int64 range (the server would clamp it silently)',
    ],
    ['NUL in a string', 'ab\0c', 'params.p: string contains U+0000 (the server cuts the query at a NUL)'],
    [
      'lone high surrogate',
      'a\uD83D',
      'params.p: string contains a lone UTF-16 surrogate (not encodable as UTF-8)',
    ],
    [
      'lone low surrogate',
      '\uDE00b',
      'params.p: string contains a lone UTF-16 surrogate (not encodable as UTF-8)',
    ],
    [
      'reversed pair',
      '\uDE00\uD83D',
      'params.p: string contains a lone UTF-16 surrogate (not encodable as UTF-8)',
    ],
    ['empty map key', { '': 1 }, 'params.p[""]: empty map key'],
    [
      'backtick in a map key',
      { 'a`b': 1 },
      'params.p["a`b"]: map key contains a backtick (Cypher has no escape for it)',
    ],
    [
      'NUL in a map key',
      { 'a\0': 1 },
      'params.p["a\\u0000"]: map key contains U+0000 (the server cuts the query at a NUL)',
    ],
    [
      'lone surrogate in a map key',
      new Map([['\uD800', 1]]),
      'params.p["\\ud800"]: map key contains a lone UTF-16 surrogate (not encodable as UTF-8)',
    ],
    [
      'non-string Map key',
      new Map([[1, 'x']]),
      'params.p: Map key of type number (map keys must be strings)',
    ],
    [
      'symbol-keyed property',
      { [Symbol('s')]: 1 },
      'params.p: symbol-keyed property (map keys must be strings)',
    ],
    ['a function', () => 1, 'params.p: a function is not a Cypher value'],
    ['a symbol', Symbol('s'), 'params.p: a symbol is not a Cypher value'],
    [
      'a Date',
      new Date(0),
      'params.p: Date is not a Cypher value: parameters have no temporal type; send an ISO string and convert it in the query (localdatetime($p), date($p))',
    ],
    [
      'a Buffer',
      Buffer.from('x'),
      'params.p: Buffer is not a Cypher value: FalkorDB has no byte type; send a string, or Array.from(buffer) for a list of integers',
    ],
    [
      'a class instance',
      new User(),
      'params.p: an instance of User is not a Cypher value: only arrays, typed arrays, plain objects and Maps are sent',
    ],
    [
      'a Set',
      new Set([1]),
      'params.p: an instance of Set is not a Cypher value: only arrays, typed arrays, plain objects and Maps are sent',
    ],
    [
      'a boxed string',
      new String('x'),
      'params.p: an instance of String is not a Cypher value: only arrays, typed arrays, plain objects and Maps are sent',
    ],
    [
      'a DataView',
      new DataView(new ArrayBuffer(1)),
      'params.p: an instance of DataView is not a Cypher value: only arrays, typed arrays, plain objects and Maps are sent',
    ],
    ['a cyclic list', cyclicList, 'params.p[1][0]: cyclic structure (the value contains itself)'],
    ['a cyclic object', cyclicObject, 'params.p.a.b[0]: cyclic structure (the value contains itself)'],
    ['a cyclic Map', cyclicMap, 'params.p.self: cyclic structure (the value contains itself)'],
    [
      `nesting deeper than ${MAX_PARAM_DEPTH}`,
      nested(MAX_PARAM_DEPTH + 1),
      `params.p${'[0]'.repeat(MAX_PARAM_DEPTH)}: nested deeper than ${MAX_PARAM_DEPTH} lists/maps`,
    ],
  ])('%s', (_name, value, message) => {
    const err = refusal({ p: value });
    expect(err.message).toBe(message);
    expect(err.path).toBe(message.slice(0, message.indexOf(': ')));
  });

  it('refuses bad parameter names and bad parameter containers', () => {
    expect(refusal({ '': 1 }).message).toBe('params[""]: empty parameter name');
    expect(refusal({ 'x`=1 RETURN 1 //': 1 }).message).toBe(
      'params["x`=1 RETURN 1 //"]: parameter name contains a backtick (Cypher has no escape for it)',
    );
    expect(refusal({ 'a\0': 1 }).message).toBe(
      'params["a\\u0000"]: parameter name contains U+0000 (the server cuts the query at a NUL)',
    );
    expect(refusal(new Map([[Symbol.iterator, 1]])).message).toBe(
      'params: Map key of type symbol (parameter names are strings)',
    );
    expect(refusal('x').message).toBe('params: expected a plain object or a Map of parameters, got a string');
    expect(refusal([1]).message).toBe('params: expected a plain object or a Map of parameters, got an array');
    expect(refusal(new Date()).message).toBe(
      'params: expected a plain object or a Map of parameters, got an instance of Date',
    );
  });

  it('paths name keys (long ones cut), never string values', () => {
    const long = 'k'.repeat(100);
    expect(refusal({ [long]: undefined }).path).toBe(`params["${'k'.repeat(64)}…"]`);
    expect(refusal({ user: { 'first name': 'x', password: 'hunter2\0' } }).message).toBe(
      'params.user.password: string contains U+0000 (the server cuts the query at a NUL)',
    );
    expect(refusal({ m: new Map([['a b', [undefined]]]) }).path).toBe('params.m["a b"][0]');
  });

  it('ParamError is a TypeError and a PyrsedisError with a stable code', () => {
    const err = refusal({ p: undefined });
    expect(err).toBeInstanceOf(TypeError);
    expect(err).toBeInstanceOf(PyrsedisError);
    expect(err.name).toBe('ParamError');
    expect(err.code).toBe('ERR_PARAM');
    expect(new TypeError('x')).not.toBeInstanceOf(ParamError);
  });
});

// ---------------------------------------------------------------------------------------------
// Live: what the server's header parser reads, seen through `RETURN $p` (compact reply, §1).

/** A DOUBLE cell: the server's `%.15g` text (§1.5). */
class Double {
  constructor(readonly text: string) {}
}
type Decoded = null | boolean | string | bigint | Double | Decoded[] | { pairs: [string, Decoded][] };

/** Test-local decoder of the compact cell types a parameter can produce. Integers → bigint. */
function decodeCell(cell: unknown): Decoded {
  const [type, value] = cell as [number, unknown];
  switch (type) {
    case 1:
      return null;
    case 2:
      return value as string;
    case 3:
      return BigInt(value as number | bigint);
    case 4:
      if (value !== 'true' && value !== 'false') throw new Error(`bad boolean ${String(value)}`);
      return value === 'true';
    case 5:
      return new Double(value as string);
    case 6:
      return (value as unknown[]).map(decodeCell);
    case 10: {
      const flat = value as unknown[];
      const pairs: [string, Decoded][] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i] as string, decodeCell(flat[i + 1])]);
      return { pairs };
    }
    default:
      throw new Error(`unexpected value type ${type}`);
  }
}

type Expected =
  | null
  | boolean
  | string
  | bigint
  | { double: number }
  | Expected[]
  | { pairs: [string, Expected][] };

/** What the server must give back for `value`, by the encoder's type rules. */
function expectedOf(value: CypherValue): Expected {
  if (
    value === null ||
    typeof value === 'boolean' ||
    typeof value === 'string' ||
    typeof value === 'bigint'
  ) {
    return value;
  }
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : { double: value };
  if (value instanceof Float) return { double: value.value };
  if (Array.isArray(value)) return value.map(expectedOf);
  if (value instanceof Float32Array || value instanceof Float64Array)
    return Array.from(value, (x) => ({ double: x }));
  if (ArrayBuffer.isView(value)) return Array.from(value as Iterable<number | bigint>, (x) => BigInt(x));
  if (value instanceof Map) return { pairs: [...value].map(([k, v]) => [k, expectedOf(v)]) };
  const record = value as Record<string, CypherValue>;
  return { pairs: Object.keys(record).map((k) => [k, expectedOf(record[k]!)]) };
}

/** Asserts `got` is `want` (doubles: the same type, equal to `%.15g` precision, zero's sign kept). */
function assertSame(want: Expected, got: Decoded, at: string): void {
  const mismatch = (why: string): Error => new Error(`${at}: ${why}; want ${show(want)}, got ${show(got)}`);
  if (want !== null && typeof want === 'object' && 'double' in want) {
    if (!(got instanceof Double)) throw mismatch('not a DOUBLE');
    if (Object.is(want.double, -0) !== (got.text === '-0')) throw mismatch('sign of zero');
    if (got.text === g15(want.double)) return;
    // Exact ties may round the other way in glibc (half-even) than in JS (half-up).
    const y = Number(got.text);
    if (!(Math.abs(y - want.double) <= Math.abs(want.double) * 1e-14)) throw mismatch('double differs');
  } else if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) throw mismatch('list differs');
    for (let i = 0; i < want.length; i++) assertSame(want[i]!, got[i]!, `${at}[${i}]`);
  } else if (want !== null && typeof want === 'object' && 'pairs' in want) {
    if (
      got === null ||
      typeof got !== 'object' ||
      Array.isArray(got) ||
      !('pairs' in got) ||
      got.pairs.length !== want.pairs.length
    ) {
      throw mismatch('map differs');
    }
    for (let i = 0; i < want.pairs.length; i++) {
      const [key, value] = want.pairs[i]!;
      const entry = got.pairs[i]!;
      if (entry[0] !== key) throw mismatch(`key ${JSON.stringify(entry[0])} at ${i}`);
      assertSame(value, entry[1], `${at}[${JSON.stringify(key)}]`);
    }
  } else if (got !== want) {
    throw mismatch('differs');
  }
}

/** C's `printf('%.15g', x)` for a finite x, the server's DOUBLE text (§1.5). */
function g15(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const trim = (digits: string): string => (digits.includes('.') ? digits.replace(/\.?0+$/, '') : digits);
  const [mantissa, exponent] = x.toExponential(14).split('e') as [string, string];
  const e = Number(exponent);
  if (e < -4 || e >= 15)
    return `${trim(mantissa)}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return trim(x.toFixed(14 - e));
}

const show = (value: unknown): string =>
  JSON.stringify(value, (_k, v) =>
    typeof v === 'bigint' ? `${v}n` : v instanceof Double ? `D(${v.text})` : v,
  );

let server: RedisServer;
let client: Client;
beforeAll(async () => {
  server = await startServer({ falkordb: true });
  client = await createClient({ port: server.port }).connect();
});
afterAll(async () => {
  await client?.close();
  await server?.stop();
});

type Reply = [header: [number, string][], rows: unknown[][], stats: string[]];
const query = async (graph: string, text: string): Promise<Reply> =>
  (await client.sendCommand(['GRAPH.QUERY', graph, text, '--compact'])) as Reply;

/** Sends every value as `$p<i>` in one `RETURN` and decodes the single row. */
async function roundTrip(values: readonly CypherValue[]): Promise<Decoded[]> {
  const params: Record<string, CypherValue> = {};
  const columns: string[] = [];
  values.forEach((value, i) => {
    params[`p${i}`] = value;
    columns.push(`$p${i} AS p${i}`);
  });
  const [header, rows] = await query('params', withParams(`RETURN ${columns.join(', ')}`, params));
  expect(header.map(([, name]) => name)).toEqual(columns.map((_c, i) => `p${i}`));
  expect(rows).toHaveLength(1);
  return rows[0]!.map(decodeCell);
}

async function expectRoundTrip(values: readonly CypherValue[]): Promise<void> {
  const got = await roundTrip(values);
  for (let i = 0; i < values.length; i++) assertSame(expectedOf(values[i]!), got[i]!, `p${i}`);
}

describe('live: FalkorDB reads back what was sent', () => {
  it('scalars keep their value and their type', async () => {
    const [nul, t, f, zero, negZero, big, small, bigint1, max, min, str] = await roundTrip([
      null,
      true,
      false,
      0,
      -0,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
      2n ** 53n + 1n,
      INT64_MAX,
      INT64_MIN,
      '',
    ]);
    expect([nul, t, f, zero, negZero]).toEqual([null, true, false, 0n, 0n]);
    expect([big, small, bigint1, max, min, str]).toEqual([
      9007199254740991n,
      -9007199254740991n,
      9007199254740993n,
      9223372036854775807n,
      -9223372036854775808n,
      '',
    ]);
  });

  it('doubles arrive as DOUBLE, in the server’s %.15g text', async () => {
    const cases: [CypherValue, string][] = [
      [0.5, '0.5'],
      [-1.5, '-1.5'],
      [0.1 + 0.2, '0.3'],
      [1 / 3, '0.333333333333333'],
      [1e-7, '1e-07'],
      [5e-324, '4.94065645841247e-324'],
      [1e21, '1e+21'],
      [Number.MAX_VALUE, '1.79769313486232e+308'],
      [2 ** 53, '9.00719925474099e+15'],
      [2 ** 60, '1.15292150460685e+18'],
      [-(2 ** 63), '-9.22337203685478e+18'],
      [2 ** 64, '1.84467440737096e+19'],
      [float(5), '5'],
      [float(-0), '-0'],
      [float(0), '0'],
      [float(2 ** 60), '1.15292150460685e+18'],
    ];
    const got = await roundTrip(cases.map(([value]) => value));
    expect(got.map((d) => (d instanceof Double ? d.text : show(d)))).toEqual(cases.map(([, text]) => text));
  });

  it('strings come back byte for byte, however hostile', async () => {
    const strings = [
      `it's "q" \\`,
      'a\nb\r\n\tc',
      '\\u0041 \\x \\n \\',
      '\\',
      '"',
      '"} RETURN 666 AS leaked //',
      "'} MATCH (s) DETACH DELETE s //",
      'é 😀 𝄞 \u2028 \uFEFF 中文',
      'CYPHER x=1 RETURN $x',
      '\u0001\u001f\u007f',
      'x'.repeat(10_000),
    ];
    expect(await roundTrip(strings)).toEqual(strings);
  });

  it('names: backticked, any characters but a backtick', async () => {
    const names = ['my param', 'é', '1x', 'MATCH', '}', 'a=1 b', 'x=1} RETURN 666 AS leaked //'];
    const params = Object.fromEntries(names.map((name, i) => [name, i]));
    const columns = names.map((name, i) => `$\`${name}\` AS c${i}`).join(', ');
    const [header, rows] = await query('params', withParams(`RETURN ${columns}`, params));
    expect(header.map(([, name]) => name)).toEqual(names.map((_n, i) => `c${i}`));
    expect(rows[0]!.map(decodeCell)).toEqual(names.map((_n, i) => BigInt(i)));
  });

  it('lists, typed arrays and maps, nested to the depth limit', async () => {
    await expectRoundTrip([
      [],
      {},
      new Map(),
      [1, 'a', [2.5, [null, true]], float(2)],
      { k: 'v', 'odd key': [1, { deep: -0.25 }], __proto__x: 1, '0': 'zero' },
      new Map<string, CypherValue>([
        ['z', 1],
        ['a', new Map([['b', [1n]]])],
      ]),
      Object.assign(Object.create(null) as Record<string, CypherValue>, { a: 1 }),
      new Float64Array([-0, 2, 0.5, 1e300]),
      new Float32Array([0.1, -3]),
      new Int32Array([-(2 ** 31), 2 ** 31 - 1]),
      new Uint8Array([0, 255]),
      new BigInt64Array([INT64_MIN, INT64_MAX]),
      nested(MAX_PARAM_DEPTH) as CypherValue,
    ]);
  });

  it('the plan is cached across different values (the header is not part of the cache key)', async () => {
    await query('params', withParams('RETURN $a AS a', { a: 1 }));
    const [, rows, stats] = await query('params', withParams('RETURN $a AS a', { a: 'other' }));
    expect(rows[0]!.map(decodeCell)).toEqual(['other']);
    expect(stats).toContain('Cached execution: 1');
  });
});

describe('live: injection (fixture params-injection-mapkey)', () => {
  const hostileKey = 'a:1} MATCH (s) RETURN count(s) AS leaked //';

  beforeAll(async () => {
    await query('inj', 'CREATE (:S), (:S), (:S)');
  });

  it('the fixture: an unquoted map key runs the injected clause', async () => {
    // The text a client writing map keys unquoted (falkordb-ts 6.6.2) sends for `{props: {[hostileKey]: 'x'}}`.
    const args = readFileSync(path.join(fixtures, 'params-injection-mapkey.query.txt'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('"'))
      .map((line) => JSON.parse(line) as string);
    const [header, rows] = await query('inj', args[2]!);
    expect(header).toEqual([[1, 'leaked']]);
    expect(rows.map((row) => row.map(decodeCell))).toEqual([[3n]]);
  });

  it('our header keeps the hostile key a key: no injected clause runs', async () => {
    const text = withParams('CREATE (n:User) SET n = $props RETURN properties(n) AS p', {
      props: { [hostileKey]: 'x' },
    });
    expect(text).toBe(
      'CYPHER `props`={`a:1} MATCH (s) RETURN count(s) AS leaked //`:"x"} CREATE (n:User) SET n = $props RETURN properties(n) AS p',
    );
    const [header, rows] = await query('inj', text);
    expect(header).toEqual([[1, 'p']]);
    expect(rows.map((row) => row.map(decodeCell))).toEqual([[{ pairs: [[hostileKey, 'x']] }]]);
    const [, counts] = await query('inj', 'MATCH (s:S) WITH count(s) AS s MATCH (u:User) RETURN s, count(u)');
    expect(counts.map((row) => row.map(decodeCell))).toEqual([[3n, 1n]]);
  });

  it('hostile names and string values stay names and values', async () => {
    const [header, rows] = await query(
      'inj',
      withParams('RETURN $s AS ok', { 'x=1} RETURN 666 AS leaked //': 1, s: '"} RETURN 666 AS leaked //' }),
    );
    expect(header).toEqual([[1, 'ok']]);
    expect(rows.map((row) => row.map(decodeCell))).toEqual([['"} RETURN 666 AS leaked //']]);
  });
});

describe('live: property (fast-check)', () => {
  const fragments = [
    '"',
    "'",
    '\\',
    '\\"',
    '\\\\',
    '\\n',
    '\\u0041',
    '\n',
    '\r\n',
    '\t',
    '`',
    '}',
    '{',
    ']',
    ')',
    ',',
    ':',
    '=',
    '{a:1}',
    '//',
    '/*',
    '$p0',
    ' RETURN 666 AS leaked //',
    ' MATCH (s) DETACH DELETE s //',
    'CYPHER x=1 ',
    'null',
    'TRUE',
    '-0.0',
    '1e400',
    'é',
    '😀',
    '𝄞',
    '\u2028',
    '\uFEFF',
  ];
  const text = fc
    .array(fc.oneof(fc.constantFrom(...fragments), fc.string({ unit: 'binary', maxLength: 6 })), {
      maxLength: 5,
    })
    .map((parts) => parts.join('').replaceAll('\0', ''));
  const key = fc.oneof(
    fc.constantFrom(
      'a:1} MATCH (s) RETURN count(s) AS leaked //',
      '__proto__',
      'constructor',
      '0',
      '17',
      ' ',
      'a b',
      'MATCH',
    ),
    text.map((s) => s.replaceAll('`', '')).filter((s) => s.length > 0),
  );
  const finite = { noNaN: true, noDefaultInfinity: true } as const;
  const leaf: fc.Arbitrary<CypherValue> = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    text,
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double(finite),
    fc.constantFrom(-0, 2 ** 53, 2 ** 60, -(2 ** 63), 1e21, 5e-324, Number.MAX_VALUE, 0.1 + 0.2),
    fc.double(finite).map(float),
    fc.constantFrom(float(-0), float(0), float(5), float(2 ** 60)),
    fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
    fc.constantFrom(INT64_MIN, INT64_MAX, 2n ** 53n + 1n),
    fc.float64Array({ ...finite, maxLength: 4 }),
    fc.float32Array({ ...finite, maxLength: 4 }),
    fc.int32Array({ maxLength: 4 }),
    fc.bigInt64Array({ maxLength: 3 }),
  );
  const { value } = fc.letrec<{
    value: CypherValue;
    list: CypherValue;
    object: CypherValue;
    map: CypherValue;
  }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      tie('list'),
      tie('object'),
      tie('map'),
    ),
    list: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    map: fc
      .uniqueArray(fc.tuple(key, tie('value')), { selector: ([k]) => k, maxLength: 3 })
      .map((entries) => new Map(entries)),
  }));

  it('every generated value comes back equal to itself (10 queries × 50 values)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(value, { minLength: 50, maxLength: 50 }), async (values) => {
        await expectRoundTrip(values);
      }),
      { numRuns: 10 },
    );
  });
});

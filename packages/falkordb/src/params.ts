// Query parameters: FalkorDB has no binding API, so values travel as a text header in front of the
// query (`CYPHER name=value ... <query>`), read by the server's own literal parser (4.16:
// src/ast/param_parser.c), not by the Cypher grammar. Protocol doc §3.1 is the grammar, §3.4 the
// rules below. Everything the header parser could misread is refused here, before sending: a
// formatting gap in this file is a Cypher injection (§3.3, fixture params-injection-mapkey).

/** Deepest nesting of lists and maps a parameter value may have (the encoder recurses). */
export const MAX_PARAM_DEPTH = 64;

/** Typed arrays accepted as lists. Float arrays send doubles, integer arrays integers. */
export type CypherTypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/**
 * A value that can be sent as a query parameter.
 *
 * | JS | Cypher |
 * | --- | --- |
 * | `null` | null |
 * | `boolean` | boolean |
 * | `number`, safe integer (`Number.isSafeInteger`) | integer (`-0` is sent as `0`) |
 * | any other finite `number` | double (`2 ** 60` too: beyond 2^53 a number is not an exact integer; use a bigint) |
 * | {@link Float} (`float(n)`) | double, also for integral values (`float(5)` → `5.0`, `float(-0)` → `-0.0`) |
 * | `bigint` in the int64 range | integer |
 * | `string` | string |
 * | array, typed array | list (`Float32Array`/`Float64Array` elements are doubles, `BigUint64Array` ones must fit int64) |
 * | plain object (prototype `Object.prototype` or `null`), `Map<string, …>` | map |
 *
 * Refused with a {@link ParamError}: `undefined`, NaN and ±Infinity, bigints outside int64, strings
 * or keys holding U+0000 or a lone surrogate, empty or backtick-holding keys, `Date` and every other
 * class instance (including `Buffer`, `Set` and the decoded `Node`/`Edge`/`Path`/`Point`),
 * functions, symbols, cyclic structures and nesting deeper than {@link MAX_PARAM_DEPTH}.
 */
export type CypherValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Float
  | readonly CypherValue[]
  | CypherTypedArray
  | { readonly [key: string]: CypherValue }
  | ReadonlyMap<string, CypherValue>;

/** The parameters of one query: names to values, as a plain object or a `Map`. */
export type CypherParams = { readonly [name: string]: CypherValue } | ReadonlyMap<string, CypherValue>;

// Shared with @pyrsedis/resp's PyrsedisError: its `instanceof` reads this registry symbol.
const ERROR_BRANDS: symbol = Symbol.for('@pyrsedis/error-brands');
const FLOAT_BRAND: symbol = Symbol.for('@pyrsedis/falkordb:Float');

/**
 * A parameter value that cannot be sent. The message starts with the value's path
 * (`params.user.tags[2]: …`); it may name map keys, never string contents (they may be secrets).
 *
 * A `TypeError` (the caller passed a value of the wrong kind) that also answers
 * `instanceof PyrsedisError`, like every pyrsedis error, including across two loaded copies.
 */
export class ParamError extends TypeError {
  /** Stable error code. */
  readonly code: string = 'ERR_PARAM';
  /** Where the bad value is, e.g. `params.user.tags[2]`. */
  readonly path: string;
  /** No command is involved: the query was refused before being sent. */
  command: string | undefined = undefined;

  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.path = path;
    Object.defineProperty(this, ERROR_BRANDS, { value: ['ParamError', 'PyrsedisError'], enumerable: false });
    Object.defineProperty(this, 'name', { value: 'ParamError', enumerable: false, writable: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const brands = (value as Record<symbol, unknown>)[ERROR_BRANDS];
    return Array.isArray(brands) && brands.includes('ParamError');
  }
}

/**
 * A number sent as a Cypher double even when it is integral: `new Float(5)` is sent as `5.0`
 * (a plain `5` is an integer), `new Float(-0)` as `-0.0` (a plain `-0` is the integer `0`).
 * NaN and ±Infinity are refused when the value is encoded. See also {@link float}.
 */
export class Float {
  /** The number to send. */
  readonly value: number;

  constructor(value: number) {
    if (typeof value !== 'number') throw new TypeError(`Float: expected a number, got ${typeof value}`);
    this.value = value;
    Object.defineProperty(this, FLOAT_BRAND, { value: true, enumerable: false });
  }

  // A brand, not the prototype: a Float made by another loaded copy (ESM and CJS) still counts.
  static [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[FLOAT_BRAND] === true
    );
  }
}

/** Shorthand for `new Float(value)`: send `value` as a double (`float(5)` → `5.0`). */
export function float(value: number): Float {
  return new Float(value);
}

/**
 * The parameter header for `params`: `` CYPHER `a`=1 `b`="x" `` with one trailing space, ready to
 * be put in front of a query; `''` when there are no parameters. Throws a {@link ParamError} for a
 * value that cannot be sent (see {@link CypherValue}).
 */
export function formatParams(params: CypherParams | undefined): string {
  if (params === undefined || params === null) return '';
  const path: Segment[] = [];
  const ancestors: object[] = [];
  let header = '';
  if (params instanceof Map) {
    for (const [name, value] of params) {
      if (typeof name !== 'string') {
        throw fail(path, `Map key of type ${typeof name} (parameter names are strings)`);
      }
      path.push(name);
      header += `${quoteName(name, path, 'parameter name')}=${encode(value, path, ancestors)} `;
      path.pop();
    }
  } else if (typeof params === 'object' && isPlainObject(params)) {
    const record = params as Readonly<Record<string, unknown>>;
    rejectSymbolKeys(record, path);
    for (const name of Object.keys(record)) {
      path.push(name);
      header += `${quoteName(name, path, 'parameter name')}=${encode(record[name], path, ancestors)} `;
      path.pop();
    }
  } else {
    throw fail(path, `expected a plain object or a Map of parameters, got ${describe(params)}`);
  }
  return header === '' ? '' : `CYPHER ${header}`;
}

/**
 * `query` with its parameter header in front (`` CYPHER `p`=1 RETURN $p ``); `query` unchanged when
 * there are no parameters. Throws a {@link ParamError} for a value that cannot be sent.
 */
export function withParams(query: string, params?: CypherParams): string {
  return formatParams(params) + query;
}

// ---------------------------------------------------------------------------------------------
// Encoding. Recursive: nesting is bounded by MAX_PARAM_DEPTH, far below the JS stack.

/** A path step: a map key or parameter name (string) or a list index (number). */
type Segment = string | number;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// One scan decides whether the slower checks are needed: NUL or any surrogate half.
const NUL_OR_SURROGATE = /[\0\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// §3.1: the server decodes \\ and \" (and \n \t ...), and takes raw newlines and any other
// non-NUL byte literally. Only the two escapes every official client uses are emitted.
const STRING_ESCAPES = /[\\"]/g;

function encode(value: unknown, path: Segment[], ancestors: object[]): string {
  switch (typeof value) {
    case 'string':
      return encodeString(value, path);
    case 'number':
      // -0 is a safe integer: sent as the integer 0 (integers have no sign of zero; use float(-0)).
      return Number.isSafeInteger(value) ? String(value) : encodeDouble(value, path);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return encodeBigInt(value, path);
    case 'undefined':
      throw fail(path, UNDEFINED_IN_MAP);
    case 'function':
      throw fail(path, 'a function is not a Cypher value');
    case 'symbol':
      throw fail(path, 'a symbol is not a Cypher value');
  }
  if (value === null) return 'null';
  const object = value as object;
  if (object instanceof Float) return encodeDouble(object.value, path);
  if (ancestors.includes(object)) throw fail(path, 'cyclic structure (the value contains itself)');
  if (ancestors.length >= MAX_PARAM_DEPTH) {
    throw fail(path, `nested deeper than ${MAX_PARAM_DEPTH} lists/maps`);
  }
  if (Array.isArray(object)) return encodeList(object, path, ancestors);
  if (ArrayBuffer.isView(object) && TYPED_ARRAYS.has(Object.getPrototypeOf(object))) {
    return encodeTypedArray(object as CypherTypedArray, path);
  }
  if (object instanceof Map) return encodeMap(object, path, ancestors);
  if (isPlainObject(object)) return encodeObject(object as Record<string, unknown>, path, ancestors);
  throw fail(path, rejectReason(object));
}

const UNDEFINED_IN_MAP = 'undefined is not a Cypher value: use null, or leave the key out';
const UNDEFINED_IN_LIST = 'undefined is not a Cypher value: use null (a sparse array has undefined holes)';

function encodeString(value: string, path: Segment[]): string {
  if (NUL_OR_SURROGATE.test(value)) {
    // The query is a C string on the server: it would end at the NUL.
    if (value.includes('\0')) throw fail(path, 'string contains U+0000 (the server cuts the query at a NUL)');
    // UTF-8 encoding would silently replace it with U+FFFD.
    if (LONE_SURROGATE.test(value)) {
      throw fail(path, 'string contains a lone UTF-16 surrogate (not encodable as UTF-8)');
    }
  }
  return `"${value.replace(STRING_ESCAPES, '\\$&')}"`;
}

function encodeDouble(value: number, path: Segment[]): string {
  if (!Number.isFinite(value)) {
    throw fail(path, `${value} is not a Cypher number (FalkorDB parameters have no NaN or Infinity literal)`);
  }
  if (Object.is(value, -0)) return '-0.0'; // String(-0) is '0', which the server reads as an integer.
  // String(n) is always in the server's float syntax (`0.1`, `1e-7`, `5e-324`, `1e+21`) except for
  // integral values below 1e21, which print as bare digits: strtoll would read those as integers
  // (and clamp beyond int64), so they get `.0`.
  const text = String(value);
  return text.includes('.') || text.includes('e') ? text : `${text}.0`;
}

function encodeBigInt(value: bigint, path: Segment[]): string {
  // strtoll on the server clamps out-of-range digits to int64 max/min silently [params-int-overflow].
  if (value < INT64_MIN || value > INT64_MAX) {
    throw fail(path, 'bigint outside the int64 range (the server would clamp it silently)');
  }
  return value.toString();
}

function encodeList(list: readonly unknown[], path: Segment[], ancestors: object[]): string {
  ancestors.push(list);
  let out = '[';
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    path.push(i);
    if (item === undefined) throw fail(path, UNDEFINED_IN_LIST);
    out += i === 0 ? encode(item, path, ancestors) : `,${encode(item, path, ancestors)}`;
    path.pop();
  }
  ancestors.pop();
  return `${out}]`;
}

const TYPED_ARRAYS: ReadonlySet<unknown> = new Set(
  [
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array,
  ].map((ctor) => ctor.prototype),
);

function encodeTypedArray(array: CypherTypedArray, path: Segment[]): string {
  const parts: string[] = new Array(array.length);
  if (array instanceof Float32Array || array instanceof Float64Array) {
    // Float arrays (embeddings for vecf32($v), ...) stay doubles even where an element is integral.
    for (let i = 0; i < array.length; i++) {
      path.push(i);
      parts[i] = encodeDouble(array[i]!, path);
      path.pop();
    }
  } else if (array instanceof BigUint64Array) {
    for (let i = 0; i < array.length; i++) {
      path.push(i);
      parts[i] = encodeBigInt(array[i]!, path);
      path.pop();
    }
  } else {
    // Integer elements, and BigInt64Array's bigints, which always fit int64.
    for (let i = 0; i < array.length; i++) parts[i] = String(array[i]);
  }
  return `[${parts.join(',')}]`;
}

function encodeMap(map: ReadonlyMap<unknown, unknown>, path: Segment[], ancestors: object[]): string {
  ancestors.push(map);
  let out = '{';
  for (const [key, item] of map) {
    if (typeof key !== 'string') throw fail(path, `Map key of type ${typeof key} (map keys must be strings)`);
    path.push(key);
    out += `${out === '{' ? '' : ','}${quoteName(key, path, 'map key')}:${encode(item, path, ancestors)}`;
    path.pop();
  }
  ancestors.pop();
  return `${out}}`;
}

function encodeObject(object: Record<string, unknown>, path: Segment[], ancestors: object[]): string {
  rejectSymbolKeys(object, path);
  ancestors.push(object);
  let out = '{';
  for (const key of Object.keys(object)) {
    path.push(key);
    out += `${out === '{' ? '' : ','}${quoteName(key, path, 'map key')}:${encode(object[key], path, ancestors)}`;
    path.pop();
  }
  ancestors.pop();
  return `${out}}`;
}

/**
 * A parameter name or map key, always in backticks: the server reads any bytes up to the next
 * backtick (§3.1), so `a:1} MATCH ...` stays a key [params-injection-mapkey].
 */
function quoteName(name: string, path: Segment[], what: 'parameter name' | 'map key'): string {
  if (name.length === 0) throw fail(path, `empty ${what}`);
  if (name.includes('`')) throw fail(path, `${what} contains a backtick (Cypher has no escape for it)`);
  if (NUL_OR_SURROGATE.test(name)) {
    if (name.includes('\0')) throw fail(path, `${what} contains U+0000 (the server cuts the query at a NUL)`);
    if (LONE_SURROGATE.test(name)) {
      throw fail(path, `${what} contains a lone UTF-16 surrogate (not encodable as UTF-8)`);
    }
  }
  return `\`${name}\``;
}

// Plain: made by `{}`, `Object.create(null)` or JSON.parse, also in another realm (vm, iframes),
// whose Object.prototype differs but whose prototype chain ends right after it.
function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null;
}

// Object.keys skips symbol keys: refuse them rather than drop data silently.
function rejectSymbolKeys(object: object, path: Segment[]): void {
  for (const symbol of Object.getOwnPropertySymbols(object)) {
    if (Object.prototype.propertyIsEnumerable.call(object, symbol)) {
      throw fail(path, 'symbol-keyed property (map keys must be strings)');
    }
  }
}

function rejectReason(object: object): string {
  if (object instanceof Date) {
    return 'Date is not a Cypher value: parameters have no temporal type; send an ISO string and convert it in the query (localdatetime($p), date($p))';
  }
  if (typeof Buffer === 'function' && Buffer.isBuffer(object)) {
    return 'Buffer is not a Cypher value: FalkorDB has no byte type; send a string, or Array.from(buffer) for a list of integers';
  }
  return `${describe(object)} is not a Cypher value: only arrays, typed arrays, plain objects and Maps are sent`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return `a ${typeof value}`;
  if (Array.isArray(value)) return 'an array';
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor
    ?.name;
  return typeof name === 'string' && name !== ''
    ? `an instance of ${name}`
    : 'an instance of an anonymous class';
}

function fail(path: Segment[], reason: string): ParamError {
  return new ParamError(formatPath(path), reason);
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const MAX_KEY_SHOWN = 64;

/** `params.user.tags[2]`, `params["odd key"]`; long keys are cut (messages stay readable). */
function formatPath(path: Segment[]): string {
  let out = 'params';
  for (const segment of path) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
    } else if (segment.length > MAX_KEY_SHOWN) {
      out += `[${JSON.stringify(`${segment.slice(0, MAX_KEY_SHOWN)}…`)}]`;
    } else {
      out += IDENTIFIER.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
    }
  }
  return out;
}

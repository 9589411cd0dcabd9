// The fused decoder of FalkorDB's compact result format: a byte-level ReplyParser (see
// @pyrsedis/resp), so one walk over the wire bytes builds rows, Node/Edge/Path values and the
// statistics directly — no intermediate arrays, no string made for a boolean or an id, no second
// pass. Resumable: it parses what has arrived and goes on when the next chunk comes, so decoding
// overlaps the transfer. Format: ../shared/falkordb-protocol.md §1.
import {
  createReplyError,
  ProtocolError,
  parseDouble,
  pinHiddenClass,
  type ReplyParser,
  utf8Text as utf8,
} from '@pyrsedis/client';
import { type RowFactory, rowFactory, type Shape, setKey, shapesFor } from './rows.js';
import {
  Duration,
  Edge,
  LocalDate,
  LocalDateTime,
  LocalTime,
  Node,
  Path,
  Point,
  type Properties,
  type QueryStats,
} from './values.js';

/** Names of labels, relationship types and property keys by id (the row index of db.labels() & co.). */
export interface SchemaNames {
  /** Label names by id (`CALL db.labels()` order). */
  labels: string[];
  /** Relationship type names by id. */
  relationshipTypes: string[];
  /** Property key names by id (shared by nodes and edges). */
  propertyKeys: string[];
}

/** How rows come out. */
export type RowShape = 'object' | 'array';

/** What the parser produces for one reply. */
export interface CompactResult {
  /** Column names. */
  columns: string[];
  /** Rows (objects or arrays); empty when they were handed to `onRow`. */
  rows: unknown[];
  /** The statistics. */
  stats: QueryStats;
  /** Set instead of the rest when the server answered `version mismatch` (the query did not run). */
  versionMismatch?: number;
  /** Ids not in the schema names while decoding: resolve after a refresh with {@link CompactParser.resolve}. */
  unresolved: boolean;
}

// Numbers compared on the hot paths are `const enum` members: esbuild writes them as literals.
// Module-level `const`s become `var`s in the bundle, which V8 re-loads from the module context at
// every use (and a `switch` over them is a chain of such loads and compares, never a jump table).

/** Value type codes of FalkorDB 4.16 (ValueType). */
const enum Value {
  NULL = 1,
  STRING = 2,
  INTEGER = 3,
  BOOLEAN = 4,
  DOUBLE = 5,
  ARRAY = 6,
  EDGE = 7,
  NODE = 8,
  PATH = 9,
  MAP = 10,
  POINT = 11,
  VECTORF32 = 12,
  DATETIME = 13,
  DATE = 14,
  TIME = 15,
  DURATION = 16,
}

/** Frames: where the parser is. Each reads its elements in steps (`i`). */
const enum Tag {
  TOP = 0, // [header, rows, stats] | [stats] | [error, version]
  HEADER = 1, // [[1, name], ...]
  HEADER_PAIR = 2,
  ROWS = 3,
  ROW = 4,
  CELL = 5, // [type, value]
  LIST = 6,
  MAP_BODY = 7, // [key, [type, value], ...]
  NODE_BODY = 8, // [id, [labelIds], [props]]
  LABELS = 9,
  PROPS = 10, // [[keyId, type, value], ...]
  PROP = 11,
  EDGE_BODY = 12, // [id, typeId, src, dst, [props]]
  PATH_BODY = 13, // [[6, [nodes]], [6, [edges]]]
  POINT_BODY = 14,
  VECTOR = 15,
  STATS = 16,
}

/** Limits. */
const enum Limit {
  /** Elements of one aggregate at most (as the RESP decoder's default limit): lists, vectors and
   * rows are allocated from their announced length, so a hostile length must not allocate first. */
  MAX_ELEMENTS = 16 * 1024 * 1024,
  /** Longest bulk string accepted (the generic decoder's default maxBulkLength). */
  MAX_BULK = 512 * 1024 * 1024,
  /** Deepest nesting accepted (the generic decoder's default maxDepth). */
  MAX_DEPTH = 512,
  /** Label ids above this get a fresh labels array per node (a shared one per id below it). */
  MAX_SHARED_LABELS = 4096,
}

/**
 * Elements to allocate up front for an aggregate announced with `n` whose bytes so far end at
 * `room` bytes after it: no more than those bytes could fill (an element takes 3 bytes or more) —
 * a header alone never claims more memory than its bytes justify. Arrays grow as elements come.
 */
function preallocate(n: number, room: number): number {
  return n <= 1024 ? n : Math.min(n, Math.max(1024, Math.floor(room / 3)));
}
/** The bytes the scanner compares. */
const enum Byte {
  CR = 0x0d,
  STAR = 0x2a,
  COLON = 0x3a,
  DOLLAR = 0x24,
  UNDERSCORE = 0x5f,
  COMMA = 0x2c,
  MINUS = 0x2d,
  BANG = 0x21,
}

/**
 * One open aggregate. A single class (monomorphic), reused per depth: aggregates nest strictly,
 * so one reply allocates only the values it returns.
 */
class Frame {
  tag = 0;
  /** Elements consumed. */
  i = 0;
  /** Elements in all (aggregate length). */
  n = 0;
  /** The value being built (row, list, properties...). */
  a: unknown = undefined;
  /** Slots: a cell's type, a property's key id and type, a node's id, an edge's fields. */
  b: unknown = undefined;
  c: unknown = undefined;
  d: unknown = undefined;
  e: unknown = undefined;
}

/** A name to set once the schema is refreshed. */
type Fixup =
  | { kind: 'label'; target: string[]; index: number; id: number }
  | { kind: 'type'; target: Edge; id: number }
  | { kind: 'property'; target: Properties; id: number; value: unknown; at: number };

function emptyStats(): QueryStats {
  return {
    labelsAdded: 0,
    labelsRemoved: 0,
    nodesCreated: 0,
    nodesDeleted: 0,
    propertiesSet: 0,
    propertiesRemoved: 0,
    relationshipsCreated: 0,
    relationshipsDeleted: 0,
    indicesCreated: 0,
    indicesDeleted: 0,
    constraintsCreated: 0,
    constraintsDeleted: 0,
    cachedExecution: false,
    executionTimeMs: 0,
    raw: [],
  };
}

const STAT_FIELDS: Record<string, keyof QueryStats> = {
  __proto__: null as never,
  'Labels added': 'labelsAdded',
  'Labels removed': 'labelsRemoved',
  'Nodes created': 'nodesCreated',
  'Nodes deleted': 'nodesDeleted',
  'Properties set': 'propertiesSet',
  'Properties removed': 'propertiesRemoved',
  'Relationships created': 'relationshipsCreated',
  'Relationships deleted': 'relationshipsDeleted',
  'Indices created': 'indicesCreated',
  'Indices deleted': 'indicesDeleted',
  'Constraints created': 'constraintsCreated',
  'Constraints deleted': 'constraintsDeleted',
};

function addStat(stats: QueryStats, text: string): void {
  stats.raw.push(text);
  const colon = text.indexOf(': ');
  if (colon < 0) return;
  const name = text.slice(0, colon);
  const value = text.slice(colon + 2);
  if (name === 'Cached execution') stats.cachedExecution = value === '1';
  else if (name === 'Query internal execution time') stats.executionTimeMs = Number.parseFloat(value);
  else {
    const field = STAT_FIELDS[name];
    if (field !== undefined) (stats as unknown as Record<string, number>)[field] = Number(value);
  }
}

// Doubles' special texts and integers beyond 2^53 are read from latin1 text.
function latin1(buf: Buffer, start: number, end: number): string {
  return buf.toString('latin1', start, end);
}

/** `%.15g` text to a number; `inf`, `-inf`, `nan`, `-nan` mapped explicitly (Number() says NaN). */
function doubleText(text: string, offset: number): number {
  const n = parseDouble(text);
  if (n === undefined) throw new ProtocolError(`FalkorDB double "${text}" is not a number`, offset);
  return n;
}

/** A temporal value from its whole seconds (protocol doc §1.6: TIME counts from 1900-01-01). */
function temporal(type: number, seconds: number): LocalDateTime | LocalDate | LocalTime | Duration {
  if (type === Value.DATETIME) return new LocalDateTime(seconds);
  if (type === Value.DATE) return new LocalDate(Math.floor(seconds / 86400));
  if (type === Value.TIME) return new LocalTime(seconds + 2_208_988_800);
  return new Duration(seconds);
}

const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
];

/**
 * A double from its bytes. The server prints `%.15g`: at most 15 significant digits, so for the
 * plain forms (`-12.375`, `0.000123`) the digits make an integer below 2^53 and one division by
 * an exact power of ten gives the correctly rounded value (Clinger's fast path) without making a
 * string. Exponents, `inf`, `nan` and anything longer go through Number().
 * @internal
 */
export function doubleBytes(buf: Buffer, start: number, stop: number, offset: number): number {
  let i = start;
  const negative = buf[i] === Byte.MINUS;
  if (negative) i++;
  let m = 0;
  let scale = -1;
  let digits = 0;
  let seen = false;
  for (; i < stop; i++) {
    const c = buf[i]!;
    if (c >= 0x30 && c <= 0x39) {
      m = m * 10 + (c - 0x30);
      // Leading zeros (`0.000123`) are not significant: only digits from the first non-zero count.
      if (m !== 0 && ++digits > 15) return doubleText(latin1(buf, start, stop), offset);
      if (scale >= 0) scale++;
      seen = true;
    } else if (c === 0x2e && scale < 0) scale = 0;
    else return doubleText(latin1(buf, start, stop), offset);
  }
  if (!seen || scale === 0 || scale > 22) return doubleText(latin1(buf, start, stop), offset);
  const v = scale > 0 ? m / POW10[scale]! : m;
  return negative ? -v : v;
}

/** Token kinds the scanner reports. */
const enum Token {
  ARRAY = 1,
  INT = 2,
  BULK = 3,
  NULL = 4,
  DOUBLE = 5,
  ERROR = 6,
}

const labelArrays = new WeakMap<readonly string[], (readonly string[])[]>();

/**
 * The shared one-label arrays for a list of label names (one list per graph and schema version):
 * most nodes carry one label, and one frozen `['Person']` for all of them spares an array per
 * node. An entry is checked against the current name before use, so a list refreshed in place
 * never hands out a stale name.
 */
function sharedLabelArrays(names: readonly string[]): (readonly string[])[] {
  let arrays = labelArrays.get(names);
  if (arrays === undefined) {
    arrays = [];
    labelArrays.set(names, arrays);
  }
  return arrays;
}

/**
 * Decodes one compact reply from raw bytes. (TypeScript-private members: `#private` fields cost
 * ~2x in this hot loop on Node 20.) Give it to the client per call (`{ reader }`): the
 * RESP decoder hands it the bytes of that reply as they arrive.
 */
export class CompactParser implements ReplyParser {
  /** True once the reply is complete. */
  done = false;
  /** The decoded reply (a {@link CompactResult}, or a ReplyError for an error reply). */
  result: unknown = undefined;
  /** Bytes needed before parsing can go on (a long bulk string cut by a chunk boundary). */
  need = 0;
  private readonly _names: SchemaNames;
  /** Frozen one-label arrays by label id, shared by every node carrying just that label. */
  private readonly _singleLabels: (readonly string[])[];
  private readonly _rowShape: RowShape;
  private readonly _onRow: ((row: unknown) => void) | undefined;
  private _columns: string[] = [];
  /** Builds a row object from its values (per column list, see rows.ts). */
  private _makeRow: RowFactory | undefined = undefined;
  /** Scratch values of the row being read inline (object rows copy them out). */
  private _cells: unknown[] = [];
  /** Inline rows that failed one after another: the rows are not all-scalar, stop trying. */
  private _rowMisses = 0;
  /** Length of the last array header read inline. */
  private _n = 0;
  /** Property maps by key-id sequence (shared by the parsers of one schema). */
  private readonly _shapes: Shape;
  /** Scratch: the values and key ids of the properties being read inline. */
  private _propValues: unknown[] = [];
  private _propIds: number[] = [];
  private _fixups: Fixup[] = [];
  private readonly _stack: Frame[] = [];
  private _depth = -1;
  /** Stream offset of buf[0] of the current call, for error offsets. */
  private _base = 0;
  // The last token.
  private _kind = 0;
  private _num = 0;
  private _big: bigint | number = 0;
  private _start = 0;
  private _end = 0;

  static {
    // A parser is made per reply: keep the hidden classes of the hot ones (see pinHiddenClass).
    pinHiddenClass(new CompactParser({ labels: [], relationshipTypes: [], propertyKeys: [] }), [
      'result',
      '_v',
      '_big',
    ]);
    pinHiddenClass(new Frame(), ['a', 'b', 'c', 'd', 'e']);
    pinHiddenClass(new Node(0, [], {}));
    pinHiddenClass(new Edge(0, '', 0, 0, {}));
    pinHiddenClass(new Path([], []));
    pinHiddenClass(new Point(0, 0));
  }

  constructor(names: SchemaNames, options: { rowShape?: RowShape; onRow?: (row: unknown) => void } = {}) {
    this._names = names;
    this._singleLabels = sharedLabelArrays(names.labels);
    this._shapes = shapesFor(names.propertyKeys);
    this._rowShape = options.rowShape ?? 'object';
    this._onRow = options.onRow;
  }

  /** Whether names were missing (ids newer than the cached schema). */
  get unresolved(): boolean {
    return this._fixups.length > 0;
  }

  private _push(tag: number, n: number, a: unknown): Frame {
    if (this._depth + 1 >= Limit.MAX_DEPTH) this._fail(`nesting deeper than ${Limit.MAX_DEPTH}`, 0);
    const depth = ++this._depth;
    let f = this._stack[depth];
    if (f === undefined) {
      f = new Frame();
      this._stack[depth] = f;
    }
    f.tag = tag;
    f.i = 0;
    f.n = n;
    f.a = a;
    f.b = undefined;
    f.c = undefined;
    f.d = undefined;
    f.e = undefined;
    return f;
  }

  private _fail(message: string, pos: number): never {
    throw new ProtocolError(`FalkorDB compact reply: ${message}`, this._base + pos);
  }

  /**
   * Reads one RESP token at `pos`: its kind, and its number (array length, integer) or bulk
   * payload range. Returns the position after it, or -1 when it is not complete yet.
   */
  private _token(buf: Buffer, pos: number, end: number): number {
    if (pos >= end) return -1;
    const type = buf[pos]!;
    let i = pos + 1;
    let negative = false;
    if (i < end && buf[i] === Byte.MINUS) {
      negative = true;
      i++;
    }
    let n = 0;
    let digits = 0;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (c === Byte.CR) break;
      if (c < 0x30 || c > 0x39) {
        if (type === Byte.COMMA || type === Byte.DOLLAR || type === Byte.MINUS || type === Byte.BANG) {
          // a double's text or an error line: found below by scanning to CR
          digits = -1;
          break;
        }
        this._fail(`unexpected byte 0x${c.toString(16)} in a length or integer`, i);
      }
      n = n * 10 + (c - 0x30);
      digits++;
    }
    // Only a double's text or an error line may hold other bytes than digits.
    if (digits < 0 && type === Byte.DOLLAR) this._fail('unexpected byte in a bulk length', i);
    if (type === Byte.UNDERSCORE && (digits !== 0 || negative))
      this._fail('a null is `_` alone on its line', pos);
    let lineEnd = i;
    if (digits < 0 || type === Byte.MINUS || type === Byte.BANG || type === Byte.COMMA) {
      lineEnd = buf.indexOf(Byte.CR, pos + 1);
      if (lineEnd < 0 || lineEnd >= end) return -1;
    } else if (i >= end) return -1;
    if (lineEnd + 1 >= end) return -1;
    if (buf[lineEnd + 1] !== 10) this._fail('expected LF after CR', lineEnd + 1);
    const next = lineEnd + 2;
    if (digits === 0 && (type === Byte.STAR || type === Byte.COLON || type === Byte.DOLLAR))
      this._fail('a length or integer without digits', pos);
    switch (type) {
      case Byte.STAR:
        if (negative) this._fail('a null array', pos);
        if (n > Limit.MAX_ELEMENTS)
          this._fail(`an aggregate of ${n} elements (at most ${Limit.MAX_ELEMENTS})`, pos);
        this._kind = Token.ARRAY;
        this._num = n;
        return next;
      case Byte.COLON:
        this._kind = Token.INT;
        if (digits > 15) {
          const big = BigInt(latin1(buf, pos + 1, lineEnd));
          if (big > 9223372036854775807n || big < -9223372036854775808n)
            this._fail('integer beyond int64', pos);
          this._big = big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big;
        } else {
          this._big = negative ? -n : n;
        }
        return next;
      case Byte.DOLLAR: {
        if (negative) {
          if (n !== 1) this._fail('a negative bulk length other than -1', pos);
          this._kind = Token.NULL;
          return next;
        }
        // Else a bad length would hold every later byte (and reply) as this string's.
        if (digits > 15) this._fail('a bulk length of more than 15 digits', pos);
        if (n > Limit.MAX_BULK) this._fail(`a bulk string longer than ${Limit.MAX_BULK} bytes`, pos);
        if (next + n + 2 > end) {
          this.need = next + n + 2 - pos;
          return -1;
        }
        if (buf[next + n] !== Byte.CR || buf[next + n + 1] !== 10)
          this._fail('bulk string not followed by CRLF', next + n);
        this._kind = Token.BULK;
        this._start = next;
        this._end = next + n;
        return next + n + 2;
      }
      case Byte.UNDERSCORE:
        this._kind = Token.NULL;
        return next;
      case Byte.COMMA:
        this._kind = Token.DOUBLE;
        this._start = pos + 1;
        this._end = lineEnd;
        return next;
      case Byte.MINUS:
        this._kind = Token.ERROR;
        this._start = pos + 1;
        this._end = lineEnd;
        return next;
      default:
        return this._fail(`unexpected RESP type byte 0x${type.toString(16)}`, pos);
    }
  }

  /** The value of the last inline read. */
  private _v: unknown = undefined;

  /**
   * Fast path: a whole `*2 :type <scalar>` cell when all its bytes are here and its value is a
   * plain scalar — no frame, no token bookkeeping. Returns the position after it, or -1 (then the
   * general path reads it, token by token). Never consumes part of a cell.
   */
  private _inlineCell(buf: Buffer, pos: number, end: number): number {
    if (
      pos + 8 > end ||
      buf[pos] !== Byte.STAR ||
      buf[pos + 1] !== 0x32 ||
      buf[pos + 2] !== Byte.CR ||
      buf[pos + 3] !== 10 ||
      buf[pos + 4] !== Byte.COLON
    )
      return -1;
    const p = this._inlineInt(buf, pos + 4, end);
    if (p < 0) return -1;
    return this._inlineScalar(buf, p, end, this._v as number);
  }

  /** `*<n>\r\n` at `pos`, its length in `_n`; -1 when it is not one or not all here. */
  private _inlineCount(buf: Buffer, pos: number, end: number): number {
    // Never a read past `end` (a chunk's end): V8 deoptimises on one and keeps slower loads after.
    if (pos >= end || buf[pos] !== Byte.STAR) return -1;
    const p = this._digits(buf, pos + 1, end);
    const n = this._d;
    if (p <= pos + 1 || p + 1 >= end || buf[p] !== Byte.CR || buf[p + 1] !== 10 || n > Limit.MAX_ELEMENTS)
      return -1;
    this._n = n;
    return p + 2;
  }

  /** The value of the digits read last by {@link _digits}. */
  private _d = 0;

  /**
   * Reads the decimal digits at `q` (at most 15): the value in `_d`, the position of the first
   * byte that is not a digit returned (`q` when there is none; -1 past 15 digits or when the
   * digits run into `end`). With room to spare it reads four bytes per loop turn: V8 checks `buf`
   * (map, data pointer, length) again at every turn, which costs more than the digits themselves.
   */
  private _digits(buf: Buffer, q: number, end: number): number {
    const first = q;
    let n = 0;
    let c = 0;
    if (q + 20 <= end) {
      for (;;) {
        c = buf[q]!;
        if (c < 0x30 || c > 0x39) break;
        n = n * 10 + (c - 0x30);
        c = buf[q + 1]!;
        if (c < 0x30 || c > 0x39) {
          q += 1;
          break;
        }
        n = n * 10 + (c - 0x30);
        c = buf[q + 2]!;
        if (c < 0x30 || c > 0x39) {
          q += 2;
          break;
        }
        n = n * 10 + (c - 0x30);
        c = buf[q + 3]!;
        if (c < 0x30 || c > 0x39) {
          q += 3;
          break;
        }
        n = n * 10 + (c - 0x30);
        q += 4;
        if (q - first > 15) return -1;
      }
    } else {
      for (; q < end; q++) {
        c = buf[q]!;
        if (c < 0x30 || c > 0x39) break;
        n = n * 10 + (c - 0x30);
      }
      if (q === end) return -1;
    }
    if (q - first > 15) return -1;
    this._d = n;
    return q;
  }

  /**
   * Fast path: a whole row whose cells are all inline values (scalars, nodes, edges), built in
   * one step (the row object from its column list's factory). The row in `_v`; -1 when a cell is
   * not inline or not all here — the general path then reads the row.
   */
  private _inlineRow(buf: Buffer, pos: number, end: number): number {
    let p = this._inlineCount(buf, pos, end);
    const n = this._n;
    if (p < 0 || n !== this._columns.length) return -1;
    const array = this._rowShape === 'array';
    const values = array ? new Array(n) : this._cells;
    for (let i = 0; i < n; i++) {
      p = this._inlineCell(buf, p, end);
      if (p < 0) return -1;
      values[i] = this._v;
    }
    this._v = array ? values : this._makeRow!(values);
    return p;
  }

  /** A whole node value `*3 :id *L [:labelId...] *P [props...]` at `pos`, as a Node in `_v`. */
  private _inlineNode(buf: Buffer, pos: number, end: number): number {
    let p = this._inlineCount(buf, pos, end);
    if (p < 0 || this._n !== 3) return -1;
    p = this._inlineInt(buf, p, end);
    if (p < 0) return -1;
    const id = this._v as number;
    p = this._inlineCount(buf, p, end);
    if (p < 0) return -1;
    const count = this._n as number; // set again by the _inlineCount above
    let labels: readonly string[];
    if (count === 1) {
      p = this._inlineInt(buf, p, end);
      if (p < 0) return -1;
      labels = this._oneLabel(this._v as number);
    } else {
      if (count * 4 > end - p) return -1; // not all here (each id takes 4 bytes or more)
      const fresh = new Array<string>(count);
      for (let i = 0; i < count; i++) {
        p = this._inlineInt(buf, p, end);
        if (p < 0) return -1;
        this._setLabel(fresh, i, this._v as number);
      }
      labels = fresh;
    }
    p = this._inlineProps(buf, p, end);
    if (p < 0) return -1;
    this._v = new Node(id, labels, this._v as Properties);
    return p;
  }

  /** A whole edge value `*5 :id :typeId :src :dst *P [props...]` at `pos`, as an Edge in `_v`. */
  private _inlineEdge(buf: Buffer, pos: number, end: number): number {
    let p = this._inlineCount(buf, pos, end);
    if (p < 0 || this._n !== 5) return -1;
    p = this._inlineInt(buf, p, end);
    if (p < 0) return -1;
    const id = this._v as number;
    p = this._inlineInt(buf, p, end);
    if (p < 0) return -1;
    const typeId = this._v as number;
    p = this._inlineInt(buf, p, end);
    if (p < 0) return -1;
    const source = this._v as number;
    p = this._inlineInt(buf, p, end);
    if (p < 0) return -1;
    const destination = this._v as number;
    p = this._inlineProps(buf, p, end);
    if (p < 0) return -1;
    this._v = this._edge(id, typeId, source, destination, this._v as Properties);
    return p;
  }

  /**
   * `*P` then P whole scalar properties, as a new properties object in `_v`: values gathered,
   * then one object made for their key-id sequence (see Shape); key by key when an id is new to
   * the schema names.
   */
  private _inlineProps(buf: Buffer, pos: number, end: number): number {
    let p = this._inlineCount(buf, pos, end);
    if (p < 0) return -1;
    const count = this._n;
    const values = this._propValues;
    const ids = this._propIds;
    const keys = this._names.propertyKeys;
    let shape: Shape | undefined = this._shapes;
    for (let i = 0; i < count; i++) {
      p = this._inlinePropValue(buf, p, end);
      if (p < 0) return -1;
      values[i] = this._v;
      ids[i] = this._pid;
      if (shape !== undefined) shape = shape.child(this._pid, keys);
    }
    if (shape !== undefined) {
      this._v = shape.make(values);
      return p;
    }
    const properties: Properties = {};
    for (let i = 0; i < count; i++) this._setProperty(properties, ids[i]!, values[i]);
    this._v = properties;
    return p;
  }

  /** Key id of the last property read inline. */
  private _pid = 0;

  /** A whole `*3 :keyId :type <scalar>` property: its key id in `_pid`, its value in `_v`. */
  private _inlinePropValue(buf: Buffer, pos: number, end: number): number {
    if (
      pos + 12 > end ||
      buf[pos] !== Byte.STAR ||
      buf[pos + 1] !== 0x33 ||
      buf[pos + 2] !== Byte.CR ||
      buf[pos + 3] !== 10
    )
      return -1;
    let p = this._inlineInt(buf, pos + 4, end);
    if (p < 0) return -1;
    this._pid = this._v as number;
    p = this._inlineInt(buf, p, end);
    if (p < 0) return -1;
    const type = this._v as number;
    // Properties hold no nodes or edges; if a reply says otherwise, the general path reads it (an
    // inline node here would reuse the property scratch it is being read into).
    if (type === Value.NODE || type === Value.EDGE) return -1;
    return this._inlineScalar(buf, p, end, type);
  }

  /** Fast path for a whole `*3 :keyId :type <scalar>` property, set on `target`. */
  private _inlineProp(buf: Buffer, pos: number, end: number, target: Properties): number {
    const p = this._inlinePropValue(buf, pos, end);
    if (p >= 0) this._setProperty(target, this._pid, this._v);
    return p;
  }

  /** Sets property `id` on `target`, or notes it for after a schema refresh. */
  private _setProperty(target: Properties, id: number, value: unknown): void {
    const name = this._names.propertyKeys[id];
    if (name === undefined) {
      // Its place among the properties (the wire's order), kept for when it is named.
      let at = Object.keys(target).length;
      for (const fix of this._fixups) if (fix.kind === 'property' && fix.target === target) at++;
      this._fixups.push({ kind: 'property', target, id, value, at });
    } else setKey(target, name, value);
  }

  /** Label `id`'s name into `labels[index]`, or '' noted for after a schema refresh. */
  private _setLabel(labels: string[], index: number, id: number): void {
    const name = this._names.labels[id];
    if (name === undefined) {
      this._fixups.push({ kind: 'label', target: labels, index, id });
      labels[index] = '';
    } else labels[index] = name;
  }

  /**
   * The labels of a node carrying label `id` alone: the shared frozen array when the name is known
   * (checked against the current name), else a fresh one through {@link _setLabel}.
   */
  private _oneLabel(id: number): readonly string[] {
    const name = this._names.labels[id];
    const shared = this._singleLabels[id];
    if (shared !== undefined && shared[0] === name) return shared;
    if (name === undefined || id >= Limit.MAX_SHARED_LABELS) {
      const fresh = new Array<string>(1);
      this._setLabel(fresh, 0, id);
      return fresh;
    }
    const frozen = Object.freeze([name]);
    this._singleLabels[id] = frozen;
    return frozen;
  }

  /** An edge with its type's name, or '' noted for after a schema refresh. */
  private _edge(
    id: number,
    typeId: number,
    source: number,
    destination: number,
    properties: Properties,
  ): Edge {
    const type = this._names.relationshipTypes[typeId];
    const edge = new Edge(id, type ?? '', source, destination, properties);
    if (type === undefined) this._fixups.push({ kind: 'type', target: edge, id: typeId });
    return edge;
  }

  /** `:<n>\r\n` with at most 15 digits at `pos`; the value in `_v`. */
  private _inlineInt(buf: Buffer, pos: number, end: number): number {
    if (pos + 1 >= end || buf[pos] !== Byte.COLON) return -1;
    let first = pos + 1;
    const negative = buf[first] === Byte.MINUS;
    if (negative) first++;
    const q = this._digits(buf, first, end);
    if (q <= first || q + 1 >= end || buf[q] !== Byte.CR || buf[q + 1] !== 10) return -1;
    this._v = negative ? -this._d : this._d;
    return q + 2;
  }

  /** A scalar value of `type` at `pos`, whole; -1 when it is not one or not all here. */
  private _inlineScalar(buf: Buffer, pos: number, end: number, type: number): number {
    if (pos >= end) return -1;
    switch (type) {
      case Value.INTEGER:
        return this._inlineInt(buf, pos, end);
      case Value.STRING:
      case Value.DOUBLE:
      case Value.BOOLEAN: {
        if (buf[pos] !== Byte.DOLLAR) return -1;
        const q = this._digits(buf, pos + 1, end);
        const len = this._d;
        const start = q + 2;
        const stop = start + len;
        if (
          q <= pos + 1 ||
          stop + 2 > end ||
          buf[q] !== Byte.CR ||
          buf[q + 1] !== 10 ||
          buf[stop] !== Byte.CR ||
          buf[stop + 1] !== 10
        )
          return -1;
        if (type === Value.BOOLEAN) {
          // Exactly true or false; anything else goes to the general path, which refuses it.
          const text = len === 4 || len === 5 ? latin1(buf, start, stop) : '';
          if (text !== 'true' && text !== 'false') return -1;
          this._v = text === 'true';
          return stop + 2;
        }
        this._v =
          type === Value.STRING ? utf8(buf, start, stop) : doubleBytes(buf, start, stop, this._base + pos);
        return stop + 2;
      }
      case Value.NULL:
        if (
          buf[pos] === Byte.UNDERSCORE &&
          pos + 2 < end &&
          buf[pos + 1] === Byte.CR &&
          buf[pos + 2] === 10
        ) {
          this._v = null;
          return pos + 3;
        }
        if (
          buf[pos] === Byte.DOLLAR &&
          pos + 4 < end &&
          buf[pos + 1] === Byte.MINUS &&
          buf[pos + 2] === 0x31 &&
          buf[pos + 3] === Byte.CR &&
          buf[pos + 4] === 10
        ) {
          this._v = null;
          return pos + 5;
        }
        return -1;
      case Value.DATETIME:
      case Value.DATE:
      case Value.TIME:
      case Value.DURATION: {
        const q = this._inlineInt(buf, pos, end);
        if (q < 0) return -1;
        this._v = temporal(type, this._v as number);
        return q;
      }
      case Value.NODE:
        return this._inlineNode(buf, pos, end);
      case Value.EDGE:
        return this._inlineEdge(buf, pos, end);
      default:
        return -1;
    }
  }

  private _text(buf: Buffer): string {
    return utf8(buf, this._start, this._end);
  }

  /** The token just read, as the scalar of value type `type`. */
  private _scalar(buf: Buffer, type: number, pos: number): unknown {
    const kind = this._kind;
    if (kind === Token.NULL) {
      if (type === Value.NULL) return null;
      this._fail(`null where a value of type ${type} was expected`, pos);
    }
    switch (type) {
      case Value.STRING:
        if (kind !== Token.BULK) this._fail('a string is a bulk string', pos);
        return utf8(buf, this._start, this._end);
      case Value.INTEGER:
        if (kind !== Token.INT) this._fail('an integer is a RESP integer', pos);
        return this._big;
      case Value.BOOLEAN: {
        if (kind !== Token.BULK) this._fail('a boolean is a bulk string', pos);
        const text = latin1(buf, this._start, this._end);
        if (text !== 'true' && text !== 'false') this._fail(`a boolean is true or false, got ${text}`, pos);
        return text === 'true';
      }
      case Value.DOUBLE:
        if (kind === Token.DOUBLE || kind === Token.BULK)
          return doubleBytes(buf, this._start, this._end, this._base + pos);
        return this._fail('a double is a bulk string', pos);
      case Value.DATETIME:
      case Value.DATE:
      case Value.TIME:
      case Value.DURATION: {
        if (kind !== Token.INT) this._fail('a temporal value is a RESP integer', pos);
        return temporal(type, Number(this._big));
      }
      default:
        return this._fail(`unknown FalkorDB value type ${type}`, pos);
    }
  }

  /** After a cell's or property's type: an aggregate frame for its value, or undefined for scalars. */
  private _openValue(buf: Buffer, type: number, pos: number): Frame | undefined {
    if (type < Value.ARRAY || type > Value.VECTORF32) return undefined;
    if (this._kind !== Token.ARRAY) this._fail(`a value of type ${type} is an array`, pos);
    const n = this._num;
    switch (type) {
      case Value.ARRAY:
        return this._push(Tag.LIST, n, new Array(preallocate(n, buf.length - pos)));
      case Value.MAP:
        if (n % 2 !== 0) this._fail('a map of an odd number of elements', pos);
        return this._push(Tag.MAP_BODY, n, {});
      case Value.NODE:
        if (n !== 3) this._fail(`a node of ${n} parts (3: id, labels, properties)`, pos);
        return this._push(Tag.NODE_BODY, n, undefined);
      case Value.EDGE:
        if (n !== 5) this._fail(`an edge of ${n} parts (5: id, type, source, destination, properties)`, pos);
        return this._push(Tag.EDGE_BODY, n, undefined);
      case Value.PATH:
        if (n !== 2) this._fail(`a path of ${n} parts (2: nodes, edges)`, pos);
        return this._push(Tag.PATH_BODY, n, undefined);
      case Value.POINT:
        if (n !== 2) this._fail(`a point of ${n} parts (2: latitude, longitude)`, pos);
        return this._push(Tag.POINT_BODY, n, undefined);
      default:
        // Grown (copied into a larger one) as elements come, up to n.
        return this._push(Tag.VECTOR, n, new Float32Array(preallocate(n, buf.length - pos)));
    }
  }

  /** A value is complete: hand it to the frame below. */
  private _give(value: unknown): void {
    const f = this._stack[this._depth]!;
    const i = f.i++;
    switch (f.tag) {
      case Tag.ROW:
      case Tag.LIST:
        (f.a as unknown[])[i] = value;
        return;
      case Tag.MAP_BODY:
        setKey(f.a as Record<string, unknown>, f.b as string, value);
        f.b = undefined;
        return;
      case Tag.PROP:
        this._setProperty(f.a as Properties, f.b as number, value);
        return;
      case Tag.NODE_BODY:
        if (i === 1) f.c = value;
        else f.d = value;
        return;
      case Tag.EDGE_BODY:
        f.a = value;
        return;
      case Tag.PATH_BODY:
        if (i === 0) f.b = value;
        else f.c = value;
        return;
      case Tag.ROWS:
        if (this._onRow !== undefined) this._onRow(value);
        else (f.a as unknown[])[i] = value;
        return;
      default:
        f.a = value;
    }
  }

  /** Closes the top frame; returns its value. */
  private _close(): unknown {
    const f = this._stack[this._depth--]!;
    switch (f.tag) {
      case Tag.NODE_BODY:
        return new Node(f.b as number, (f.c as string[]) ?? [], (f.d as Properties) ?? {});
      case Tag.EDGE_BODY:
        return this._edge(
          f.b as number,
          f.c as number,
          f.d as number,
          f.e as number,
          (f.a as Properties) ?? {},
        );
      case Tag.PATH_BODY:
        return new Path((f.b as Node[]) ?? [], (f.c as Edge[]) ?? []);
      case Tag.POINT_BODY:
        return new Point(f.b as number, f.c as number);
      case Tag.ROW:
        return this._rowShape === 'array' ? f.a : this._makeRow!(f.a as unknown[]);
      default:
        return f.a;
    }
  }

  /** Parses what has arrived (called by the RESP decoder); returns where it stopped. */
  parse(buf: Buffer, pos: number, end: number, offset = 0): number {
    this.need = 0;
    this._base = offset;
    for (;;) {
      if (this._depth < 0) {
        // The reply's first token.
        if (this.result !== undefined) return pos;
        const next = this._token(buf, pos, end);
        if (next < 0) return pos;
        if (this._kind === Token.ERROR) {
          this.result = createReplyError(utf8(buf, this._start, this._end));
          this.done = true;
          return next;
        }
        if (this._kind !== Token.ARRAY) this._fail('a compact reply is an array', pos);
        // [stats], [error, version] or [header, rows, stats] (protocol doc §1.8).
        if (this._num < 1 || this._num > 3) this._fail(`a compact reply of ${this._num} parts`, pos);
        const result: CompactResult = { columns: [], rows: [], stats: emptyStats(), unresolved: false };
        this.result = result;
        this._push(Tag.TOP, this._num, result);
        pos = next;
        continue;
      }
      const f = this._stack[this._depth]!;
      // A frame whose elements are all in: close it and give its value to its parent.
      if (f.i >= f.n && f.tag !== Tag.CELL && f.tag !== Tag.PROP) {
        if (f.tag === Tag.TOP) {
          const result = f.a as CompactResult;
          result.unresolved = this._fixups.length > 0;
          this._depth = -1;
          this.done = true;
          return pos;
        }
        if (f.tag === Tag.HEADER) {
          const columns = f.a as string[];
          this._columns = columns;
          this._makeRow = rowFactory(columns);
          this._cells = new Array(columns.length);
        }
        const value = this._close();
        const parent = this._stack[this._depth]!;
        if (parent.tag === Tag.TOP) parent.i++;
        else if (parent.tag === Tag.CELL) {
          // The cell's value: the cell is done too.
          this._depth--;
          this._give(value);
        } else if (parent.tag === Tag.PROP) {
          this._give(value);
          this._depth--;
          this._stack[this._depth]!.i++;
        } else this._give(value);
        continue;
      }
      const tag = f.tag;
      if (tag === Tag.ROWS && this._rowMisses < 8) {
        const q = this._inlineRow(buf, pos, end);
        if (q >= 0) {
          this._rowMisses = 0;
          this._give(this._v);
          pos = q;
          continue;
        }
        this._rowMisses++;
      } else if (tag === Tag.ROW || tag === Tag.LIST || (tag === Tag.MAP_BODY && (f.i & 1) === 1)) {
        const q = this._inlineCell(buf, pos, end);
        if (q >= 0) {
          this._give(this._v);
          pos = q;
          continue;
        }
      } else if (tag === Tag.PROPS) {
        const q = this._inlineProp(buf, pos, end, f.a as Properties);
        if (q >= 0) {
          f.i++;
          pos = q;
          continue;
        }
      }
      const next = this._token(buf, pos, end);
      if (next < 0) return pos;
      switch (tag) {
        case Tag.TOP: {
          const result = f.a as CompactResult;
          if (this._kind === Token.ERROR && f.n === 2 && f.i === 0) {
            // The only error inside the reply (protocol doc §6): the schema version check.
            const text = latin1(buf, this._start, this._end);
            if (text !== 'version mismatch') this._fail(`an error inside a compact reply: ${text}`, pos);
            result.versionMismatch = -1;
            f.i++;
          } else if (this._kind === Token.INT && f.n === 2 && f.i === 1 && result.versionMismatch === -1) {
            result.versionMismatch = Number(this._big);
            f.i++;
          } else if (
            this._kind === Token.ARRAY &&
            result.versionMismatch === undefined &&
            (f.n === 1 || f.n === 3)
          ) {
            if (f.n === 3 && f.i === 0) this._push(Tag.HEADER, this._num, result.columns);
            else if (f.n === 3 && f.i === 1) this._push(Tag.ROWS, this._num, result.rows);
            else this._push(Tag.STATS, this._num, result.stats);
          } else this._fail('unexpected element at the top of a compact reply', pos);
          break;
        }
        case Tag.HEADER:
          if (this._kind !== Token.ARRAY || this._num !== 2) this._fail('a column is [type, name]', pos);
          this._push(Tag.HEADER_PAIR, 2, undefined);
          break;
        case Tag.HEADER_PAIR:
          if (f.i === 1) {
            if (this._kind !== Token.BULK) this._fail('a column name is a bulk string', pos);
            (this._stack[this._depth - 1]!.a as string[]).push(this._text(buf));
          }
          f.i++;
          if (f.i === 2) {
            this._depth--;
            this._stack[this._depth]!.i++;
          }
          break;
        case Tag.STATS:
          if (this._kind !== Token.BULK) this._fail('a statistic is a bulk string', pos);
          addStat(f.a as QueryStats, this._text(buf));
          f.i++;
          break;
        case Tag.ROWS:
          if (this._kind !== Token.ARRAY) this._fail('a row is an array', pos);
          if (this._num !== this._columns.length)
            this._fail(`a row of ${this._num} values for ${this._columns.length} columns`, pos);
          this._push(Tag.ROW, this._num, new Array(this._num));
          break;
        case Tag.ROW:
        case Tag.LIST:
        case Tag.PATH_BODY:
          if (this._kind !== Token.ARRAY || this._num !== 2) this._fail('a value is [type, value]', pos);
          this._push(Tag.CELL, 2, undefined).b = -1;
          break;
        case Tag.MAP_BODY:
          if ((f.i & 1) === 0) {
            // The key (a plain bulk string); the next token opens its [type, value].
            if (this._kind !== Token.BULK) this._fail('a map key is a bulk string', pos);
            f.b = this._text(buf);
            f.i++;
          } else {
            if (this._kind !== Token.ARRAY || this._num !== 2)
              this._fail('a map value is [type, value]', pos);
            this._push(Tag.CELL, 2, undefined).b = -1;
          }
          break;
        case Tag.CELL:
          if (f.b === -1) {
            if (this._kind !== Token.INT) this._fail('a value type is an integer', pos);
            f.b = this._big;
          } else {
            const type = f.b as number;
            const opened = this._openValue(buf, type, pos);
            if (opened === undefined) {
              const value = this._scalar(buf, type, pos);
              this._depth--;
              this._give(value);
            }
          }
          break;
        case Tag.NODE_BODY:
          if (f.i === 0) {
            if (this._kind !== Token.INT) this._fail('a node id is an integer', pos);
            f.b = this._big;
            f.i++;
          } else if (f.i === 1) {
            if (this._kind !== Token.ARRAY) this._fail('node labels are an array', pos);
            this._push(Tag.LABELS, this._num, new Array(preallocate(this._num, buf.length - pos)));
          } else {
            if (this._kind !== Token.ARRAY) this._fail('node properties are an array', pos);
            this._push(Tag.PROPS, this._num, {});
          }
          break;
        case Tag.LABELS: {
          if (this._kind !== Token.INT) this._fail('a label id is an integer', pos);
          this._setLabel(f.a as string[], f.i, this._big as number);
          f.i++;
          break;
        }
        case Tag.PROPS:
          if (this._kind !== Token.ARRAY || this._num !== 3)
            this._fail('a property is [keyId, type, value]', pos);
          this._push(Tag.PROP, 3, f.a).b = -1;
          break;
        case Tag.PROP:
          if (f.b === -1) {
            if (this._kind !== Token.INT) this._fail('a property key id is an integer', pos);
            f.b = this._big;
          } else if (f.c === undefined) {
            if (this._kind !== Token.INT) this._fail('a value type is an integer', pos);
            f.c = this._big;
          } else {
            const type = f.c as number;
            const opened = this._openValue(buf, type, pos);
            if (opened === undefined) {
              const value = this._scalar(buf, type, pos);
              this._give(value);
              this._depth--;
              this._stack[this._depth]!.i++;
            }
          }
          break;
        case Tag.EDGE_BODY:
          if (f.i < 4) {
            if (this._kind !== Token.INT) this._fail('edge ids are integers', pos);
            if (f.i === 0) f.b = this._big;
            else if (f.i === 1) f.c = this._big;
            else if (f.i === 2) f.d = this._big;
            else f.e = this._big;
            f.i++;
          } else {
            if (this._kind !== Token.ARRAY) this._fail('edge properties are an array', pos);
            this._push(Tag.PROPS, this._num, {});
          }
          break;
        case Tag.POINT_BODY: {
          if (this._kind !== Token.BULK && this._kind !== Token.DOUBLE)
            this._fail('a coordinate is a number', pos);
          const v = doubleBytes(buf, this._start, this._end, this._base + pos);
          if (f.i === 0) f.b = v;
          else f.c = v;
          f.i++;
          break;
        }
        case Tag.VECTOR:
          if (this._kind !== Token.BULK && this._kind !== Token.DOUBLE)
            this._fail('a vector element is a number', pos);
          if (f.i === (f.a as Float32Array).length) {
            const grown = new Float32Array(Math.min(f.n, f.i * 2));
            grown.set(f.a as Float32Array);
            f.a = grown;
          }
          (f.a as Float32Array)[f.i++] = doubleBytes(buf, this._start, this._end, this._base + pos);
          break;
        default:
          this._fail('unexpected state', pos);
      }
      pos = next;
    }
  }

  /** The ids the schema lacked, by kind: what a refresh must cover. */
  missing(): { labels: number; relationshipTypes: number; propertyKeys: number } {
    const max = { labels: -1, relationshipTypes: -1, propertyKeys: -1 };
    for (const fix of this._fixups) {
      const kind =
        fix.kind === 'label' ? 'labels' : fix.kind === 'type' ? 'relationshipTypes' : 'propertyKeys';
      if (fix.id > max[kind]) max[kind] = fix.id;
    }
    return max;
  }

  /**
   * Sets the names that were missing, from refreshed schema names. Throws a ProtocolError if an
   * id is still unknown (the server sent an id it does not list).
   */
  resolve(names: SchemaNames): void {
    const late = new Map<Properties, Extract<Fixup, { kind: 'property' }>[]>();
    for (const fix of this._fixups) {
      if (fix.kind === 'label') {
        const name = names.labels[fix.id];
        if (name === undefined) throw new ProtocolError(`unknown label id ${fix.id}`, 0);
        fix.target[fix.index] = name;
      } else if (fix.kind === 'type') {
        const name = names.relationshipTypes[fix.id];
        if (name === undefined) throw new ProtocolError(`unknown relationship type id ${fix.id}`, 0);
        (fix.target as { type: string }).type = name;
      } else {
        if (names.propertyKeys[fix.id] === undefined)
          throw new ProtocolError(`unknown property key id ${fix.id}`, 0);
        const list = late.get(fix.target);
        if (list === undefined) late.set(fix.target, [fix]);
        else list.push(fix);
      }
    }
    // Properties named late take their place in the wire's order, among the others.
    for (const [target, fixes] of late) {
      const known = Object.keys(target).map((key) => [key, target[key]] as const);
      for (const [key] of known) delete target[key];
      let k = 0;
      let f = 0;
      for (let at = 0; at < known.length + fixes.length; at++) {
        if (f < fixes.length && fixes[f]!.at === at) {
          const fix = fixes[f++]!;
          setKey(target, names.propertyKeys[fix.id]!, fix.value);
        } else {
          const [key, value] = known[k++]!;
          setKey(target, key, value);
        }
      }
    }
    this._fixups = [];
  }
}

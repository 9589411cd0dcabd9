// The fused decoder of FalkorDB's compact result format: a ReplyReader of @pyrsedis/resp, so the
// RESP decoder's single walk over the bytes builds rows, Node/Edge/Path values and statistics
// directly — no intermediate tree of arrays, no second pass. Format: ../shared/falkordb-protocol.md
// §1 (reply = [header, rows, stats] | [stats] | [error, version]).
import type { AggregateKind, ReplyReader } from '@pyrsedis/client';
import { ProtocolError, ReplyError } from '@pyrsedis/client';
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

/** Value type codes of FalkorDB 4.16 (ValueType). */
const NULL = 1;
const STRING = 2;
const INTEGER = 3;
const BOOLEAN = 4;
const DOUBLE = 5;
const ARRAY = 6;
const EDGE = 7;
const NODE = 8;
const PATH = 9;
const MAP = 10;
const POINT = 11;
const VECTORF32 = 12;
const DATETIME = 13;
const DATE = 14;
const TIME = 15;
const DURATION = 16;

// What an aggregate is, from where it sits.
const TOP = 0;
const HEADER = 1;
const HEADER_PAIR = 2;
const ROWS = 3;
const ROW = 4;
const CELL = 5; // [type, value]: rows' cells, list elements, map values, path parts
const LIST = 6;
const MAP_BODY = 7;
const NODE_BODY = 8;
const LABELS = 9;
const PROPS = 10;
const PROP = 11; // [keyId, type, value]
const EDGE_BODY = 12;
const PATH_BODY = 13;
const POINT_BODY = 14;
const VECTOR = 15;
const STATS = 16;
const SCHEMA_TOP = 17; // an aggregate where none is expected: a protocol error

/**
 * One open aggregate. A single class (monomorphic field access in the hot calls), and reused:
 * aggregates nest strictly, so one frame per depth serves a whole reply without allocating.
 */
class Frame {
  tag = 0;
  /** Elements seen so far. */
  i = 0;
  /** The value being built (row, list, properties, node fields...). */
  a: unknown = undefined;
  /** A second slot: the cell's type code, the property's key id, the node's id... */
  b: unknown = undefined;
  /** A third slot: the value type of a property, the node's labels, the edge's type... */
  c: unknown = undefined;
  d: unknown = undefined;
  e: unknown = undefined;
}

/** How rows come out. */
export type RowShape = 'object' | 'array';

/** What the reader produces for one reply. */
export interface CompactResult {
  /** Column names. */
  columns: string[];
  /** Rows (objects or arrays); empty when they were handed to `onRow`. */
  rows: unknown[];
  /** The statistics. */
  stats: QueryStats;
  /** Set instead of the rest when the server answered `version mismatch` (the query did not run). */
  versionMismatch?: number;
  /** Ids not in the schema names while decoding: resolve after a refresh with {@link CompactReader.resolve}. */
  unresolved: boolean;
}

/** A name to set once the schema is refreshed. */
type Fixup =
  | { kind: 'label'; target: string[]; index: number; id: number }
  | { kind: 'type'; target: Edge; id: number }
  | { kind: 'property'; target: Properties; id: number; value: unknown };

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

function addStat(stats: QueryStats, line: unknown): void {
  const text = String(line);
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

/** `%.15g` text (or a RESP3 double) to a number; `inf`, `-inf`, `nan`, `-nan` mapped explicitly. */
function double(value: unknown): number {
  if (typeof value === 'number') return value;
  const text = String(value);
  const n = Number(text);
  if (!Number.isNaN(n) && text.length > 0) return n;
  switch (text) {
    case 'inf':
      return Number.POSITIVE_INFINITY;
    case '-inf':
      return Number.NEGATIVE_INFINITY;
    case 'nan':
    case '-nan':
      return Number.NaN;
  }
  throw new ProtocolError(`FalkorDB double "${text}" is not a number`, 0);
}

function seconds(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : (value as number);
}

/** A scalar cell: the value of a [type, value] pair whose value is not an aggregate. */
function scalar(type: number, value: unknown): unknown {
  switch (type) {
    case STRING:
    case INTEGER:
      return value;
    case NULL:
      return null;
    case BOOLEAN:
      return value === 'true';
    case DOUBLE:
      return double(value);
    case DATETIME:
      return new LocalDateTime(seconds(value));
    case DATE:
      return new LocalDate(Math.floor(seconds(value) / 86400));
    case TIME:
      return new LocalTime(seconds(value) + 2_208_988_800);
    case DURATION:
      return new Duration(seconds(value));
    case ARRAY:
    case MAP:
    case NODE:
    case EDGE:
    case PATH:
    case POINT:
    case VECTORF32:
      throw new ProtocolError(`FalkorDB value of type ${type} is not an aggregate`, 0);
    default:
      throw new ProtocolError(`unknown FalkorDB value type ${type}`, 0);
  }
}

/** The value of a [type, value] pair: aggregates arrive built; scalars are converted by type. */
function cellValue(type: number, value: unknown): unknown {
  if (type === INTEGER || type === STRING) return value;
  if (type >= ARRAY && type <= VECTORF32 && value !== null && typeof value === 'object') return value;
  return scalar(type, value);
}

/** The tag of the aggregate that holds the value of a [type, value] pair. */
function bodyTag(type: unknown): number {
  switch (type) {
    case ARRAY:
      return LIST;
    case MAP:
      return MAP_BODY;
    case NODE:
      return NODE_BODY;
    case EDGE:
      return EDGE_BODY;
    case PATH:
      return PATH_BODY;
    case POINT:
      return POINT_BODY;
    case VECTORF32:
      return VECTOR;
    default:
      throw new ProtocolError(`FalkorDB value of type ${String(type)} cannot be an aggregate`, 0);
  }
}

/** Sets a key on an object built from server data: `__proto__` becomes an own property. */
function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * Decodes one compact reply. Give it to the client per call (`{ reader }`): the RESP decoder calls
 * it for every aggregate of that reply, in one pass, across however many chunks.
 */
export class CompactReader implements ReplyReader {
  /** Bulk strings reach the reader as JS strings. */
  readonly strings = 'string' as const;
  readonly #names: SchemaNames;
  readonly #rowShape: RowShape;
  readonly #onRow: ((row: unknown) => void) | undefined;
  #columns: string[] = [];
  /** Column names that must be set with defineProperty (`__proto__`). */
  #unsafeColumn = false;
  #fixups: Fixup[] = [];
  readonly #pool: Frame[] = [];
  #depth = 0;

  constructor(names: SchemaNames, options: { rowShape?: RowShape; onRow?: (row: unknown) => void } = {}) {
    this.#names = names;
    this.#rowShape = options.rowShape ?? 'object';
    this.#onRow = options.onRow;
  }

  /** Whether names were missing (ids newer than the cached schema). */
  get unresolved(): boolean {
    return this.#fixups.length > 0;
  }

  #frame(tag: number, a: unknown): Frame {
    const depth = this.#depth++;
    let f = this.#pool[depth];
    if (f === undefined) {
      f = new Frame();
      this.#pool[depth] = f;
    }
    f.tag = tag;
    f.i = 0;
    f.a = a;
    f.b = undefined;
    f.c = undefined;
    f.d = undefined;
    f.e = undefined;
    return f;
  }

  /** @internal Called by the RESP decoder when an aggregate starts. */
  begin(_kind: AggregateKind, length: number, parent: unknown): unknown {
    if (parent === undefined) {
      this.#depth = 0;
      const result: CompactResult = { columns: [], rows: [], stats: emptyStats(), unresolved: false };
      const frame = this.#frame(TOP, result);
      frame.b = length;
      return frame;
    }
    const p = parent as Frame;
    switch (p.tag) {
      case TOP: {
        const result = p.a as CompactResult;
        if (p.b === 3 && p.i === 0) return this.#frame(HEADER, result.columns);
        if (p.b === 3 && p.i === 1) return this.#frame(ROWS, result.rows);
        return this.#frame(STATS, result.stats);
      }
      case HEADER:
        return this.#frame(HEADER_PAIR, undefined);
      case ROWS:
        return this.#frame(ROW, this.#rowShape === 'array' ? new Array(length) : {});
      case ROW:
      case LIST:
      case MAP_BODY:
      case PATH_BODY:
        return this.#frame(CELL, undefined);
      case CELL:
        return this.#body(p.b, length);
      case NODE_BODY:
        return p.i === 1 ? this.#frame(LABELS, new Array(length)) : this.#frame(PROPS, {});
      case EDGE_BODY:
        return this.#frame(PROPS, {});
      case PROPS: {
        const f = this.#frame(PROP, undefined);
        f.e = p.a;
        return f;
      }
      case PROP:
        return this.#body(p.c, length);
      default:
        return this.#frame(SCHEMA_TOP, undefined);
    }
  }

  #body(type: unknown, length: number): Frame {
    const tag = bodyTag(type);
    switch (tag) {
      case LIST:
        return this.#frame(LIST, new Array(length));
      case MAP_BODY:
        return this.#frame(MAP_BODY, {});
      case VECTOR:
        return this.#frame(VECTOR, new Float32Array(length));
      default:
        return this.#frame(tag, undefined);
    }
  }

  /** @internal Called by the RESP decoder for each element. */
  add(state: unknown, value: unknown): void {
    const f = state as Frame;
    const i = f.i++;
    switch (f.tag) {
      case CELL:
        if (i === 0) f.b = value;
        else f.a = cellValue(f.b as number, value);
        return;
      case ROW: {
        if (this.#rowShape === 'array') (f.a as unknown[])[i] = value;
        else if (this.#unsafeColumn) setKey(f.a as Record<string, unknown>, this.#columns[i]!, value);
        else (f.a as Record<string, unknown>)[this.#columns[i]!] = value;
        return;
      }
      case ROWS:
        if (this.#onRow !== undefined) this.#onRow(value);
        else (f.a as unknown[])[i] = value;
        return;
      case LIST:
        (f.a as unknown[])[i] = value;
        return;
      case PROP:
        if (i === 0) f.b = value;
        else if (i === 1) f.c = value;
        else {
          // The triple is complete: set the property on the entity's properties at once.
          const v = cellValue(f.c as number, value);
          const target = f.e as Properties;
          const name = this.#names.propertyKeys[f.b as number];
          if (name === undefined)
            this.#fixups.push({ kind: 'property', target, id: f.b as number, value: v });
          else setKey(target, name, v);
        }
        return;
      case PROPS:
        return;
      case MAP_BODY:
        if ((i & 1) === 0) f.b = String(value);
        else setKey(f.a as Record<string, unknown>, f.b as string, value);
        return;
      case LABELS: {
        const name = this.#names.labels[value as number];
        if (name === undefined) {
          this.#fixups.push({ kind: 'label', target: f.a as string[], index: i, id: value as number });
          (f.a as string[])[i] = '';
        } else (f.a as string[])[i] = name;
        return;
      }
      case NODE_BODY:
        if (i === 0) f.b = value;
        else if (i === 1) f.c = value;
        else f.d = value;
        return;
      case EDGE_BODY:
        if (i === 0) f.b = value;
        else if (i === 1) f.c = value;
        else if (i === 2) f.d = value;
        else if (i === 3) f.e = value;
        else f.a = value;
        return;
      case PATH_BODY:
        if (i === 0) f.b = value;
        else f.c = value;
        return;
      case POINT_BODY:
        if (i === 0) f.b = double(value);
        else f.c = double(value);
        return;
      case VECTOR:
        (f.a as Float32Array)[i] = double(value);
        return;
      case HEADER:
        (f.a as string[])[i] = value as string;
        return;
      case HEADER_PAIR:
        if (i === 1) f.a = String(value);
        return;
      case STATS:
        addStat(f.a as QueryStats, value);
        return;
      case TOP: {
        const result = f.a as CompactResult;
        if (f.b === 2 && i === 0 && value instanceof ReplyError) result.versionMismatch = -1;
        else if (f.b === 2 && i === 1 && result.versionMismatch === -1)
          result.versionMismatch = Number(value);
        else if (value instanceof ReplyError) throw value;
        return;
      }
      default:
        throw new ProtocolError('unexpected value in a FalkorDB compact reply', 0);
    }
  }

  /** @internal Called by the RESP decoder when an aggregate is complete. */
  end(state: unknown): unknown {
    const f = state as Frame;
    this.#depth--;
    switch (f.tag) {
      case CELL:
        return f.a;
      case PROP:
        return undefined;
      case HEADER: {
        const columns = f.a as string[];
        this.#columns = columns;
        this.#unsafeColumn = columns.includes('__proto__');
        return columns;
      }
      case HEADER_PAIR:
        return f.a;
      case NODE_BODY:
        return new Node(f.b as number, f.c as string[], (f.d as Properties) ?? {});
      case EDGE_BODY: {
        const type = this.#names.relationshipTypes[f.c as number];
        const edge = new Edge(
          f.b as number,
          type ?? '',
          f.d as number,
          f.e as number,
          (f.a as Properties) ?? {},
        );
        if (type === undefined) this.#fixups.push({ kind: 'type', target: edge, id: f.c as number });
        return edge;
      }
      case PATH_BODY:
        return new Path((f.b as Node[]) ?? [], (f.c as Edge[]) ?? []);
      case POINT_BODY:
        return new Point(f.b as number, f.c as number);
      case TOP: {
        const result = f.a as CompactResult;
        result.unresolved = this.#fixups.length > 0;
        return result;
      }
      case SCHEMA_TOP:
        throw new ProtocolError('unexpected aggregate in a FalkorDB compact reply', 0);
      default:
        return f.a;
    }
  }

  /** The ids the schema lacked, by kind: what a refresh must cover. */
  missing(): { labels: number; relationshipTypes: number; propertyKeys: number } {
    const max = { labels: -1, relationshipTypes: -1, propertyKeys: -1 };
    for (const fix of this.#fixups) {
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
    for (const fix of this.#fixups) {
      if (fix.kind === 'label') {
        const name = names.labels[fix.id];
        if (name === undefined) throw new ProtocolError(`unknown label id ${fix.id}`, 0);
        fix.target[fix.index] = name;
      } else if (fix.kind === 'type') {
        const name = names.relationshipTypes[fix.id];
        if (name === undefined) throw new ProtocolError(`unknown relationship type id ${fix.id}`, 0);
        (fix.target as { type: string }).type = name;
      } else {
        const name = names.propertyKeys[fix.id];
        if (name === undefined) throw new ProtocolError(`unknown property key id ${fix.id}`, 0);
        setKey(fix.target, name, fix.value);
      }
    }
    this.#fixups = [];
  }
}

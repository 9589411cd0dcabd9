// RESP2 replies converted to the RESP3 shapes the generated types describe. The shapes come from
// the reply schemas (codegen/src/emit/command-table.ts resp2Shape): maps arrive as flat arrays
// (XREAD's as [key, value] pairs), doubles as strings, booleans as 0/1, and WITHSCORES-like pair
// lists flattened.
import { MapKeyError, parseDouble } from '@pyrsedis/resp';
import type { CommandInfo } from './command-info.js';
import { type CommandArgument, commandKeyIndexes, lookupCommand } from './keys.js';

/** How one RESP2 reply differs from its RESP3 form (generated data, see COMMAND_TABLE). */
export type Resp2Shape =
  | 'double'
  | 'bool'
  | { readonly keep: string }
  | { readonly map: { readonly fields?: Readonly<Record<string, Resp2Shape>>; readonly values?: Resp2Shape } }
  | { readonly array: Resp2Shape }
  | { readonly tuple: readonly (Resp2Shape | null)[]; readonly rest?: Resp2Shape }
  | { readonly pairs: readonly [Resp2Shape | null, Resp2Shape | null] }
  | { readonly union: readonly Resp2Shape[] }
  /** The shape at this path from the top (a recursive reply: COMMAND DOCS's subcommands). */
  | { readonly ref: readonly (string | number)[] };

function isText(value: unknown): value is string | Buffer {
  return typeof value === 'string' || Buffer.isBuffer(value);
}

/** The shape a `ref` points at: the path walked from the top shape. */
function resolveRef(root: Resp2Shape, path: readonly (string | number)[]): Resp2Shape {
  let node: unknown = root;
  for (let i = 0; i < path.length; i++) node = (node as Record<string | number, unknown>)[path[i]!];
  return node as Resp2Shape;
}

/**
 * Whether a union alternative fits a RESP2 value. Lists look at their first item, so a list of
 * [member, coordinates] pairs is told from a list of names; a flat list is never taken for a list
 * of pairs (that depends on the arguments: see resp2ShapeOf).
 */
function accepts(value: unknown, shape: Resp2Shape, root: Resp2Shape): boolean {
  if (shape === 'double') return isText(value) || typeof value === 'number';
  if (shape === 'bool') return typeof value === 'number' || typeof value === 'boolean';
  if ('keep' in shape) {
    switch (shape.keep) {
      case 'string':
        return isText(value);
      case 'integer':
      case 'number':
        return typeof value === 'number' || typeof value === 'bigint';
      case 'null':
        return value === null;
      case 'array':
        return Array.isArray(value);
      case 'boolean':
        return typeof value === 'boolean';
      case 'object':
        return value !== null && typeof value === 'object';
      default:
        return true;
    }
  }
  if ('ref' in shape) return accepts(value, resolveRef(root, shape.ref), root);
  if ('union' in shape) return shape.union.some((alternative) => accepts(value, alternative, root));
  if ('map' in shape) {
    if (!Array.isArray(value)) return value !== null && typeof value === 'object';
    // Flat [k, v, k, v] or pairs [[k, v], ...] (XREAD's streams).
    return value.length % 2 === 0 || Array.isArray(value[0]);
  }
  if (!Array.isArray(value)) return false;
  if ('array' in shape) return value.length === 0 || accepts(value[0], shape.array, root);
  if ('pairs' in shape) return value.length === 0 || Array.isArray(value[0]);
  return true;
}

/**
 * Converts a RESP2 reply to the RESP3 shape `shape` describes. Values already in shape pass.
 * `root`: the top shape, which `ref`s inside `shape` refer to (the same by default).
 */
export function fromResp2(value: unknown, shape: Resp2Shape, root: Resp2Shape = shape): unknown {
  if (value === null || value instanceof Error) return value;
  if (shape === 'double') return isText(value) ? (parseDouble(value.toString()) ?? Number.NaN) : value;
  if (shape === 'bool') return typeof value === 'number' ? value === 1 : value;
  if ('keep' in shape) return value;
  if ('ref' in shape) return fromResp2(value, resolveRef(root, shape.ref), root);
  if ('union' in shape) {
    const chosen = shape.union.find((alternative) => accepts(value, alternative, root));
    return chosen === undefined ? value : fromResp2(value, chosen, root);
  }
  if (!Array.isArray(value)) return value;
  if ('map' in shape) {
    const out: Record<string, unknown> = Object.create(null);
    const { fields, values } = shape.map;
    const put = (k: unknown, v: unknown) => {
      const key = String(k);
      // A Buffer key (the Buffer view) made text: only UTF-8 makes it without loss.
      if (Buffer.isBuffer(k) && key.includes('\uFFFD') && !Buffer.from(key, 'utf8').equals(k))
        throw new MapKeyError(Buffer.from(k));
      const field = fields?.[key] ?? values;
      out[key] = field === undefined ? v : fromResp2(v, field, root);
    };
    // RESP2 maps are flat [k, v, k, v]; XREAD's stream map is a list of [key, entries] pairs.
    if (value.length > 0 && Array.isArray(value[0]))
      for (const pair of value as unknown[][]) put(pair[0], pair[1]);
    else for (let i = 0; i + 1 < value.length; i += 2) put(value[i], value[i + 1]);
    return out;
  }
  if ('array' in shape) return value.map((item) => fromResp2(item, shape.array, root));
  if ('tuple' in shape) {
    const { tuple, rest } = shape;
    return value.map((item, i) => {
      const itemShape = i < tuple.length ? tuple[i] : rest;
      return itemShape ? fromResp2(item, itemShape, root) : item;
    });
  }
  // pairs: [a, b, a, b] → [[a, b], [a, b]] (already nested pairs are converted in place).
  const [first, second] = shape.pairs;
  const convert = (a: unknown, b: unknown) => [
    first ? fromResp2(a, first, root) : a,
    second ? fromResp2(b, second, root) : b,
  ];
  if (value.length > 0 && Array.isArray(value[0]))
    return value.map((pair: unknown[]) => convert(pair[0], pair[1]));
  const out: unknown[] = [];
  for (let i = 0; i + 1 < value.length; i += 2) out.push(convert(value[i], value[i + 1]));
  return out;
}

const SCORED_PAIRS: Resp2Shape = { pairs: [null, 'double'] };
const WITHSCORES = { token: 'WITHSCORES', shape: SCORED_PAIRS };

/**
 * Replies that are flat lists in RESP2 whether or not an option (after the keys) was given, and
 * pairs in RESP3 when it was: member/score pairs with WITHSCORES, field/value pairs with
 * WITHVALUES.
 */
const PAIRED_BY: ReadonlyMap<string, { token: string; shape: Resp2Shape }> = new Map([
  ['ZRANGE', WITHSCORES],
  ['ZRANGEBYSCORE', WITHSCORES],
  ['ZREVRANGE', WITHSCORES],
  ['ZREVRANGEBYSCORE', WITHSCORES],
  ['ZUNION', WITHSCORES],
  ['ZINTER', WITHSCORES],
  ['ZDIFF', WITHSCORES],
  ['ZRANDMEMBER', WITHSCORES],
  ['HRANDFIELD', { token: 'WITHVALUES', shape: { pairs: [null, null] } }],
]);

/**
 * `ZPOPMIN` / `ZPOPMAX key [count]`: with a count, a list of [member, score] pairs in RESP3 (even
 * for one), a flat list in RESP2 — like the one pair of the call without a count.
 */
const PAIRED_BY_COUNT = new Set(['ZPOPMIN', 'ZPOPMAX']);

/** Whether an argument is `token` (upper case, letters only), in any case, as a string or bytes. */
function isToken(arg: CommandArgument | undefined, token: string): boolean {
  if (typeof arg === 'string') return arg.length === token.length && arg.toUpperCase() === token;
  if (!(arg instanceof Uint8Array) || arg.length !== token.length) return false;
  for (let i = 0; i < arg.length; i++) {
    const c = arg[i]!;
    if ((c >= 0x61 && c <= 0x7a ? c - 0x20 : c) !== token.charCodeAt(i)) return false;
  }
  return true;
}

/** A RESP2 reply to `argv` in the RESP3 shape its types describe (as it is when they agree). */
export function replyFromResp2(argv: readonly CommandArgument[], value: unknown): unknown {
  const found = lookupCommand(argv);
  const shape = found?.info.resp2;
  return shape === undefined ? value : fromResp2(value, resp2ShapeOf(found!, shape, argv));
}

/**
 * A reply as the caller of `argv` gets it: reshaped from RESP2 when `protocol` is 2, then through
 * the command's transform (which may throw). Single commands, pipelines and each reply inside
 * EXEC go through here.
 */
export function shapeReply(
  argv: readonly CommandArgument[] | undefined,
  value: unknown,
  protocol: 2 | 3 | undefined,
  transform: ((reply: unknown) => unknown) | undefined,
): unknown {
  const shaped = protocol === 2 && argv !== undefined ? replyFromResp2(argv, value) : value;
  return transform === undefined ? shaped : transform(shaped);
}

/**
 * The RESP2 shape of one call: the table's, except where the reply depends on the arguments —
 * `WITHSCORES` / `WITHVALUES` (after the keys), or ZPOPMIN's count, turn a flat list into pairs.
 */
export function resp2ShapeOf(
  found: { name: string; info: CommandInfo },
  shape: Resp2Shape,
  argv: readonly CommandArgument[],
): Resp2Shape {
  if (PAIRED_BY_COUNT.has(found.name)) return argv.length > 2 ? SCORED_PAIRS : shape;
  const paired = PAIRED_BY.get(found.name);
  if (paired === undefined) return shape;
  // Only after the keys: a key may be named WITHSCORES.
  const lastKey = Math.max(-1, ...commandKeyIndexes(argv, found.info));
  for (let i = Math.max(lastKey + 1, 2); i < argv.length; i++) {
    if (isToken(argv[i], paired.token)) return paired.shape;
  }
  return shape;
}

// RESP2 replies converted to the RESP3 shapes the generated types describe. The shapes come from
// the reply schemas (codegen/src/emit/command-table.ts resp2Shape): maps arrive as flat arrays,
// doubles as strings, booleans as 0/1, and WITHSCORES-like pair lists flattened.
import { parseDouble } from '@pyrsedis/resp';
import type { CommandInfo } from './command-info.js';
import { type CommandArgument, commandKeyIndexes, lookupCommand } from './keys.js';

/** How one RESP2 reply differs from its RESP3 form (generated data, see COMMAND_TABLE). */
export type Resp2Shape =
  | 'double'
  | 'bool'
  | { readonly keep: string }
  | { readonly map: { readonly fields?: Readonly<Record<string, Resp2Shape>>; readonly values?: Resp2Shape } }
  | { readonly array: Resp2Shape }
  | { readonly tuple: readonly (Resp2Shape | null)[] }
  | { readonly pairs: readonly [Resp2Shape | null, Resp2Shape | null] }
  | { readonly union: readonly Resp2Shape[] };

function isText(value: unknown): value is string | Buffer {
  return typeof value === 'string' || Buffer.isBuffer(value);
}

function accepts(value: unknown, shape: Resp2Shape): boolean {
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
  if ('map' in shape)
    return (Array.isArray(value) && value.length % 2 === 0) || (value !== null && typeof value === 'object');
  return Array.isArray(value);
}

/** Converts a RESP2 reply to the RESP3 shape `shape` describes. Values already in shape pass. */
export function fromResp2(value: unknown, shape: Resp2Shape): unknown {
  if (value === null || value instanceof Error) return value;
  if (shape === 'double') return isText(value) ? (parseDouble(value.toString()) ?? Number.NaN) : value;
  if (shape === 'bool') return typeof value === 'number' ? value === 1 : value;
  if ('keep' in shape) return value;
  if ('union' in shape) {
    const chosen = shape.union.find((alternative) => accepts(value, alternative));
    return chosen === undefined ? value : fromResp2(value, chosen);
  }
  if (!Array.isArray(value)) return value;
  if ('map' in shape) {
    const out: Record<string, unknown> = Object.create(null);
    const { fields, values } = shape.map;
    for (let i = 0; i + 1 < value.length; i += 2) {
      const key = String(value[i]);
      const field = fields?.[key] ?? values;
      out[key] = field === undefined ? value[i + 1] : fromResp2(value[i + 1], field);
    }
    return out;
  }
  if ('array' in shape) return value.map((item) => fromResp2(item, shape.array));
  if ('tuple' in shape)
    return value.map((item, i) => (shape.tuple[i] ? fromResp2(item, shape.tuple[i]!) : item));
  // pairs: [a, b, a, b] → [[a, b], [a, b]] (already nested pairs are converted in place).
  const [first, second] = shape.pairs;
  const convert = (a: unknown, b: unknown) => [
    first ? fromResp2(a, first) : a,
    second ? fromResp2(b, second) : b,
  ];
  if (value.length > 0 && Array.isArray(value[0]))
    return value.map((pair: unknown[]) => convert(pair[0], pair[1]));
  const out: unknown[] = [];
  for (let i = 0; i + 1 < value.length; i += 2) out.push(convert(value[i], value[i + 1]));
  return out;
}

/** Commands whose RESP2 reply is a flat member/score list with WITHSCORES, pairs in RESP3. */
const SCORED = new Set([
  'ZRANGE',
  'ZRANGEBYSCORE',
  'ZREVRANGE',
  'ZREVRANGEBYSCORE',
  'ZUNION',
  'ZINTER',
  'ZDIFF',
  'ZRANDMEMBER',
]);
const SCORED_PAIRS: Resp2Shape = { pairs: [null, 'double'] };

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
 * The RESP2 shape of one call: the table's, except where the reply depends on an argument —
 * `WITHSCORES` (after the keys) turns a flat list into [member, score] pairs.
 */
export function resp2ShapeOf(
  found: { name: string; info: CommandInfo },
  shape: Resp2Shape,
  argv: readonly CommandArgument[],
): Resp2Shape {
  if (!SCORED.has(found.name)) return shape;
  // Only after the keys: a key may be named WITHSCORES.
  const lastKey = Math.max(-1, ...commandKeyIndexes(argv, found.info));
  for (let i = Math.max(lastKey + 1, 2); i < argv.length; i++) {
    const arg = argv[i];
    if (typeof arg === 'string' && arg.length === 10 && arg.toUpperCase() === 'WITHSCORES')
      return SCORED_PAIRS;
  }
  return shape;
}

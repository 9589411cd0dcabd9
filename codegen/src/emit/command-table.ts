// Emits the command metadata the runtime needs, as data: arity, flags and where the keys are.
// The client routes blocking commands with it; the cluster package hashes the keys it finds.
import { Project, VariableDeclarationKind } from 'ts-morph';
import type { CommandModel, KeySpecModel, Model } from '../model.js';
import { generatedHeader } from './header.js';

export const COMMAND_TABLE_FILE = 'packages/client/src/generated/command-table.ts';

function constName(flag: string): string {
  return flag.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

function keySpecLiteral(spec: KeySpecModel): string {
  const parts: string[] = [];
  if ('index' in spec.begin) parts.push(`index: ${spec.begin.index}`);
  else if ('keyword' in spec.begin)
    parts.push(`keyword: ${JSON.stringify(spec.begin.keyword)}, startFrom: ${spec.begin.startFrom}`);
  else parts.push('unknownBegin: true');
  if ('range' in spec.find) {
    const { lastKey, step, limit } = spec.find.range;
    parts.push(`lastKey: ${lastKey}, step: ${step}, limit: ${limit}`);
  } else if ('keynum' in spec.find) {
    const { index, firstKey, step } = spec.find.keynum;
    parts.push(`keyNumIndex: ${index}, firstKey: ${firstKey}, step: ${step}`);
  } else {
    parts.push('unknownFind: true');
  }
  const flags = spec.flags.map((f) => `K.${constName(f)}`).join(' | ') || '0';
  parts.push(`flags: ${flags}`);
  return `{ ${parts.join(', ')} }`;
}

/** A reference to an enclosing shape (a recursive schema), replaced by its path when done. */
class ShapeRef {
  constructor(readonly target: object) {}
}

interface ShapeContext {
  /** The whole schema, for `$ref` pointers (`#`, `#/patternProperties/...`). */
  root: unknown;
  /** The schemas being converted (the current one's ancestors) → their shape, filled in when done. */
  open: Map<unknown, Record<string, unknown>>;
  /** Shapes some `$ref` refers to. */
  referenced: Set<object>;
}

/** Resolves a JSON pointer of this schema (`#/a/b`). */
function resolvePointer(root: unknown, pointer: string): unknown {
  if (!pointer.startsWith('#')) throw new Error(`unsupported $ref ${pointer}`);
  let node = root;
  for (const part of pointer.slice(1).split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    node = (node as Record<string, unknown> | undefined)?.[key];
    if (node === undefined) throw new Error(`$ref ${pointer} points nowhere`);
  }
  return node;
}

/**
 * How a RESP2 reply differs from the RESP3 reply the schema describes, as data for the client's
 * converter: maps arrive as flat arrays, doubles as strings, booleans as 0/1, and lists of pairs
 * the schema notes as "flat array in RESP2" arrive flattened. `undefined`: nothing to convert.
 * Recursive schemas (`$ref` to an enclosing schema: COMMAND DOCS's subcommands and nested
 * arguments) give `{ ref: path }`, the path of the enclosing shape from the top.
 */
export function resp2Shape(schema: unknown, flatHint = false): unknown {
  const shape = shapeOf(schema, flatHint, { root: schema, open: new Map(), referenced: new Set() });
  if (shape === undefined || typeof shape !== 'object') return shape;
  // Paths of every shape object, then references replaced by them.
  const paths = new Map<object, (string | number)[]>();
  const walk = (node: unknown, path: (string | number)[]) => {
    if (node === null || typeof node !== 'object' || node instanceof ShapeRef) return;
    paths.set(node, path);
    for (const [k, v] of Object.entries(node)) walk(v, [...path, Array.isArray(node) ? Number(k) : k]);
  };
  walk(shape, []);
  const link = (node: unknown): unknown => {
    if (node instanceof ShapeRef) {
      const path = paths.get(node.target);
      if (path === undefined) throw new Error('a recursive reply schema refers to a dropped shape');
      return { ref: path };
    }
    if (Array.isArray(node)) return node.map(link);
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, link(v)]));
  };
  return link(shape);
}

function shapeOf(schema: unknown, flatHint: boolean, ctx: ShapeContext): unknown {
  if (schema === null || typeof schema !== 'object') return undefined;
  const s = schema as Record<string, unknown>;
  if (typeof s.$ref === 'string') {
    const target = resolvePointer(ctx.root, s.$ref);
    const open = ctx.open.get(target);
    if (open === undefined) return shapeOf(target, flatHint, ctx);
    ctx.referenced.add(open);
    return new ShapeRef(open);
  }
  // Filled in when done: shapes inside that refer back to this schema point at it.
  const slot: Record<string, unknown> = {};
  ctx.open.set(schema, slot);
  let shape: unknown;
  try {
    shape = nodeShape(s, flatHint, ctx);
  } finally {
    ctx.open.delete(schema);
  }
  if (!ctx.referenced.has(slot)) return shape;
  if (shape === undefined || typeof shape !== 'object')
    throw new Error('a recursive reply schema whose RESP2 form needs no conversion');
  return Object.assign(slot, shape);
}

const isKeep = (shape: unknown) => typeof shape === 'object' && shape !== null && 'keep' in shape;
const isMap = (shape: unknown): shape is { map: { fields?: Record<string, unknown>; values?: unknown } } =>
  typeof shape === 'object' && shape !== null && 'map' in shape;

/** Two shapes for the same value (union alternatives, fields of merged maps) as one. */
function either(shapes: unknown[]): unknown {
  const distinct = [...new Map(shapes.map((x) => [JSON.stringify(x, refSafe), x])).values()];
  if (distinct.length === 1) return distinct[0];
  // The converter takes the first alternative that accepts a value: converting ones first (a
  // list of arrays before "any array"), those that keep the value as it is last.
  return {
    union: [
      ...distinct.flatMap((x) => (isUnion(x) ? x.union : [x])).filter((x) => !isKeep(x)),
      ...distinct.flatMap((x) => (isUnion(x) ? x.union : [x])).filter(isKeep),
    ],
  };
}

const isUnion = (shape: unknown): shape is { union: unknown[] } =>
  typeof shape === 'object' && shape !== null && 'union' in shape;

const refIds = new WeakMap<object, number>();
let refCount = 0;

/** JSON.stringify replacer for shapes under construction (references are not followed). */
function refSafe(_key: string, value: unknown): unknown {
  if (!(value instanceof ShapeRef)) return value;
  if (!refIds.has(value.target)) refIds.set(value.target, refCount++);
  return { ref: refIds.get(value.target) };
}

/**
 * Map alternatives of a union merged into one (XINFO STREAM's summary and FULL forms): RESP2
 * sends both as flat arrays, so nothing could choose between them. A field both have with
 * different shapes gets a union of the two (the summary's `groups` count, FULL's group list).
 */
function mergeMaps(
  maps: { map: { fields?: Record<string, unknown>; values?: unknown } }[],
  kinds: Map<string, unknown>[],
): unknown {
  const names = [...new Set(maps.flatMap((m) => Object.keys(m.map.fields ?? {})))];
  const fields: Record<string, unknown> = {};
  for (const name of names) {
    fields[name] = either(maps.map((m, i) => m.map.fields?.[name] ?? kinds[i]!.get(name) ?? { keep: 'any' }));
  }
  const values = maps.map((m) => m.map.values).filter((v) => v !== undefined);
  return {
    map: {
      ...(names.length ? { fields } : {}),
      ...(values.length ? { values: either(values) } : {}),
    },
  };
}

function nodeShape(s: Record<string, unknown>, flatHint: boolean, ctx: ShapeContext): unknown {
  const hint = flatHint || (typeof s.description === 'string' && /RESP2[^.]*flat array/i.test(s.description));
  const union = (s.oneOf ?? s.anyOf) as unknown[] | undefined;
  if (union) {
    const shapes = union.map((m) => shapeOf(m, hint, ctx));
    if (shapes.every((x) => x === undefined)) return undefined;
    const alternatives = shapes.map((x, i) => x ?? { keep: kindOf(union[i]) });
    const maps = alternatives.filter(isMap);
    if (maps.length > 1) {
      const kinds = union
        .filter((_, i) => isMap(alternatives[i]))
        .map((m) => {
          const props = ((m as Record<string, unknown>).properties ?? {}) as Record<string, unknown>;
          return new Map(Object.entries(props).map(([k, v]) => [k, { keep: kindOf(v) }]));
        });
      const merged = mergeMaps(maps, kinds);
      const first = alternatives.findIndex(isMap);
      return either(alternatives.flatMap((x, i) => (i === first ? [merged] : isMap(x) ? [] : [x])));
    }
    return either(alternatives);
  }
  switch (s.type) {
    case 'number':
      return 'double';
    case 'boolean':
      return 'bool';
    case 'object': {
      const props = s.properties as Record<string, unknown> | undefined;
      // Values of fields not listed: additionalProperties, or patternProperties (COMMAND DOCS's
      // command names, FUNCTION STATS's engines) — their patterns match any name there.
      const patterns = Object.values((s.patternProperties ?? {}) as Record<string, unknown>);
      const extra = typeof s.additionalProperties === 'object' ? s.additionalProperties : patterns[0];
      const fields: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(props ?? {})) {
        const shape = shapeOf(v, false, ctx);
        if (shape !== undefined) fields[k] = shape;
      }
      const values = extra ? shapeOf(extra, false, ctx) : undefined;
      return {
        map: {
          ...(Object.keys(fields).length ? { fields } : {}),
          ...(values !== undefined ? { values } : {}),
        },
      };
    }
    case 'array': {
      if (Array.isArray(s.items)) {
        const items = s.items.map((i) => shapeOf(i, false, ctx));
        // Items past the listed ones (GEOSEARCH's WITHDIST / WITHHASH / WITHCOORD).
        const rest =
          typeof s.additionalItems === 'object' ? shapeOf(s.additionalItems, false, ctx) : undefined;
        if (!items.some((x) => x !== undefined) && rest === undefined) return undefined;
        return { tuple: items.map((x) => x ?? null), ...(rest !== undefined ? { rest } : {}) };
      }
      const item = s.items as Record<string, unknown> | undefined;
      if (hint && item && item.type === 'array' && Array.isArray(item.items) && item.items.length === 2) {
        return { pairs: (item.items as unknown[]).map((i) => shapeOf(i, false, ctx) ?? null) };
      }
      const shape = item ? shapeOf(item, false, ctx) : undefined;
      return shape === undefined ? undefined : { array: shape };
    }
    default:
      return undefined;
  }
}

/** The RESP type an unconverted union alternative has, so the converter can pick alternatives. */
function kindOf(schema: unknown): string {
  const s = (schema ?? {}) as Record<string, unknown>;
  if (s.const !== undefined) return typeof s.const === 'string' ? 'string' : String(typeof s.const);
  return typeof s.type === 'string' ? s.type : 'any';
}

function entryLiteral(command: CommandModel, containers: Set<string>): string {
  const parts = [`arity: ${command.arity}`];
  parts.push(`flags: ${command.flags.map((f) => `F.${constName(f)}`).join(' | ') || '0'}`);
  if (command.keySpecs.length) parts.push(`keys: [${command.keySpecs.map(keySpecLiteral).join(', ')}]`);
  if (command.keysFunction) parts.push(`keysFunction: ${JSON.stringify(command.keysFunction)}`);
  const resp2 = resp2Shape(command.spec.reply_schema);
  if (resp2 !== undefined) parts.push(`resp2: ${JSON.stringify(resp2)}`);
  if (containers.has(command.name)) parts.push('container: true');
  return `{ ${parts.join(', ')} }`;
}

/** Returns the generated source of packages/client/src/generated/command-table.ts. */
export function emitCommandTable(model: Model): string {
  const commandFlags = new Set<string>();
  const keyFlags = new Set<string>();
  const containers = new Set<string>();
  for (const c of model.commands) {
    for (const f of c.flags) commandFlags.add(f);
    for (const k of c.keySpecs) for (const f of k.flags) keyFlags.add(f);
    if (c.container) containers.add(c.container);
  }
  const project = new Project({ useInMemoryFileSystem: true });
  const file = project.createSourceFile('command-table.ts');
  file.addImportDeclaration({
    moduleSpecifier: '../commands/command-info.js',
    namedImports: [{ name: 'CommandInfo', isTypeOnly: true }],
  });
  for (const [kind, names] of [
    ['command', commandFlags],
    ['key', keyFlags],
  ] as const) {
    // The runtime combines flags with `|`, which works on 31 bits.
    if (names.size > 31) throw new Error(`${names.size} ${kind} flags do not fit the 31-bit flag words`);
  }
  const bitConstants = (names: Set<string>) =>
    `{\n${[...names]
      .sort()
      .map((name, i) => `  ${constName(name)}: ${2 ** i},`)
      .join('\n')}\n} as const`;
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: ['Command flags (`COMMAND INFO` flags) as bits of {@link CommandInfo.flags}.'],
    declarations: [{ name: 'CommandFlag', initializer: bitConstants(commandFlags) }],
  });
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: ["Key-spec flags (`RO`, `RW`, `ACCESS`, ...) as bits of a key spec's `flags`."],
    declarations: [{ name: 'KeyFlag', initializer: bitConstants(keyFlags) }],
  });
  file.addVariableStatement({
    declarationKind: VariableDeclarationKind.Const,
    declarations: [
      { name: 'F', initializer: 'CommandFlag' },
      { name: 'K', initializer: 'KeyFlag' },
    ],
  });
  const sorted = [...model.commands].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const entries = sorted
    .map((c) => `  ${JSON.stringify(c.name)}: ${entryLiteral(c, containers)},`)
    .join('\n');
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [
      'Every core command and subcommand (`"CLIENT KILL"`), upper case, with its arity, flags and key specs.',
      'Containers (`CLIENT`) are marked `container: true`; look their subcommands up by both words.',
    ],
    declarations: [
      {
        name: 'COMMAND_TABLE',
        type: 'Readonly<Record<string, CommandInfo>>',
        initializer: `{\n${entries}\n}`,
      },
    ],
  });
  return generatedHeader('codegen/src/emit/command-table.ts', model.inputHash) + file.getFullText();
}

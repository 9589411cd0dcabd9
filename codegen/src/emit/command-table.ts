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

/**
 * How a RESP2 reply differs from the RESP3 reply the schema describes, as data for the client's
 * converter: maps arrive as flat arrays, doubles as strings, booleans as 0/1, and lists of pairs
 * the schema notes as "flat array in RESP2" arrive flattened. `undefined`: nothing to convert.
 */
export function resp2Shape(schema: unknown, flatHint = false): unknown {
  if (schema === null || typeof schema !== 'object') return undefined;
  const s = schema as Record<string, unknown>;
  const hint = flatHint || (typeof s.description === 'string' && /RESP2[^.]*flat array/i.test(s.description));
  const union = (s.oneOf ?? s.anyOf) as unknown[] | undefined;
  if (union) {
    const shapes = union.map((m) => resp2Shape(m, hint));
    if (shapes.every((x) => x === undefined)) return undefined;
    return { union: shapes.map((x, i) => x ?? { keep: kindOf(union[i]) }) };
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
        const shape = resp2Shape(v);
        if (shape !== undefined) fields[k] = shape;
      }
      const values = extra ? resp2Shape(extra) : undefined;
      return {
        map: {
          ...(Object.keys(fields).length ? { fields } : {}),
          ...(values !== undefined ? { values } : {}),
        },
      };
    }
    case 'array': {
      if (Array.isArray(s.items)) {
        const items = s.items.map((i) => resp2Shape(i));
        return items.some((x) => x !== undefined) ? { tuple: items.map((x) => x ?? null) } : undefined;
      }
      const item = s.items as Record<string, unknown> | undefined;
      if (hint && item && item.type === 'array' && Array.isArray(item.items) && item.items.length === 2) {
        return { pairs: (item.items as unknown[]).map((i) => resp2Shape(i) ?? null) };
      }
      const shape = item ? resp2Shape(item) : undefined;
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

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

function entryLiteral(command: CommandModel, containers: Set<string>): string {
  const parts = [`arity: ${command.arity}`];
  parts.push(`flags: ${command.flags.map((f) => `F.${constName(f)}`).join(' | ') || '0'}`);
  if (command.keySpecs.length) parts.push(`keys: [${command.keySpecs.map(keySpecLiteral).join(', ')}]`);
  if (command.keysFunction) parts.push(`keysFunction: ${JSON.stringify(command.keysFunction)}`);
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

// Emits the typed command surface: one method per command and subcommand, with typed
// arguments (required arguments positional, optional ones in an options object), TSDoc from
// the spec, and reply types from the reply schemas. The methods only build argv and hand it to
// the sender: connections, pipelines and the Buffer view all reuse the same generated code.
import { Project } from 'ts-morph';
import { REPLY_TRANSFORMS } from '../../transforms.js';
import type { CommandModel, Model } from '../model.js';
import { generatedHeader } from './header.js';

export const COMMANDS_FILE = 'packages/client/src/generated/commands.ts';

/** One argument of the spec (spec-file form). */
export interface ArgumentSpec {
  name: string;
  type: string;
  token?: string;
  optional?: boolean;
  multiple?: boolean;
  multiple_token?: boolean;
  arguments?: ArgumentSpec[];
  summary?: string;
  since?: string;
  deprecated_since?: string;
  /** Set by the model: this argument is the length of the named sibling list. */
  count_of?: string;
  /** Set in commands.json when only some servers accept this argument. */
  servers?: string[];
}

/** Tokens of an argument tree that only some servers accept, as `servers: tokens` notes. */
function onlyOn(arg: ArgumentSpec, notes: Map<string, string[]> = new Map()): Map<string, string[]> {
  if (arg.servers) {
    const key = arg.servers.join(', ');
    notes.set(key, [...(notes.get(key) ?? []), arg.token ?? arg.name]);
  }
  for (const child of arg.arguments ?? []) onlyOn(child, notes);
  return notes;
}

const RESERVED = new Set([
  'break',
  'case',
  'catch',
  'class',
  'const',
  'continue',
  'debugger',
  'default',
  'delete',
  'do',
  'else',
  'enum',
  'export',
  'extends',
  'false',
  'finally',
  'for',
  'function',
  'if',
  'import',
  'in',
  'instanceof',
  'new',
  'null',
  'return',
  'super',
  'switch',
  'this',
  'throw',
  'true',
  'try',
  'typeof',
  'var',
  'void',
  'while',
  'with',
  'yield',
  'let',
  'static',
  'implements',
  'interface',
  'package',
  'private',
  'protected',
  'public',
  'await',
  'arguments',
  'argv',
  'options',
  'eval',
]);

/** `count-block` → `countBlock`; reserved words get a `Value` suffix. */
export function propertyName(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  let out = words
    .map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1).toLowerCase()))
    .join('');
  if (/^[0-9]/.test(out)) out = `n${out}`;
  return RESERVED.has(out) ? `${out}Value` : out || 'value';
}

function pascal(name: string): string {
  return name[0]!.toUpperCase() + name.slice(1);
}

function unique(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const count = (seen.get(n) ?? 0) + 1;
    seen.set(n, count);
    return count === 1 ? n : `${n}${count}`;
  });
}

const isPureToken = (a: ArgumentSpec) => a.type === 'pure-token';

/** Arguments that take no value: a required pure token is always sent; a count is computed. */
const takesValue = (a: ArgumentSpec) => !(isPureToken(a) && !a.optional) && a.count_of === undefined;

/** The TS type of one argument's value (without `multiple`). */
function valueType(arg: ArgumentSpec): string {
  switch (arg.type) {
    case 'key':
      return 'RedisArgument';
    case 'string':
    case 'pattern':
      // Values are bytes on the wire; numbers are written in decimal.
      return 'RedisArgument | number';
    case 'integer':
      // A SCAN reply gives its cursor back as a string (it may exceed 2^53): passed back as is.
      return arg.name === 'cursor' ? 'number | bigint | RedisArgument' : 'number | bigint';
    case 'double':
      // Scores and ranges also take '+inf', '-inf' (or ±Infinity) and exclusive '(1.5'.
      return 'number | string';
    case 'unix-time':
      return 'number';
    case 'pure-token':
      return 'boolean';
    case 'block':
      return objectType(arg.arguments ?? []);
    case 'oneof': {
      const alternatives = arg.arguments ?? [];
      const names = unique(alternatives.map((a) => propertyName(a.name)));
      return alternatives
        .map((a, i) => (isPureToken(a) ? JSON.stringify(a.token) : `{ ${names[i]}: ${fullType(a)} }`))
        .join(' | ');
    }
    default:
      throw new Error(`unknown argument type ${arg.type}`);
  }
}

function fullType(arg: ArgumentSpec): string {
  const t = valueType(arg);
  return arg.multiple ? `ReadonlyArray<${t}>` : t;
}

function objectType(children: ArgumentSpec[]): string {
  const valued = children.filter(takesValue);
  const names = unique(valued.map((a) => propertyName(a.name)));
  const props = valued.map((a, i) => `${names[i]}${a.optional ? '?' : ''}: ${fullType(a)}`);
  return `{ ${props.join('; ')} }`;
}

/**
 * Where argv-building code is emitted: the command (named in the TypeErrors of bad arguments)
 * and the expressions already checked to be arrays or objects (hoisted checks).
 */
interface EmitContext {
  command: string;
  checked: Set<string>;
}

/** A string literal for generated code. */
const lit = (text: string) => JSON.stringify(text);

/** How a block's value is described in errors: `an object { field, value }`. */
function blockExpectation(arg: ArgumentSpec): string {
  const valued = (arg.arguments ?? []).filter(takesValue);
  return `an object { ${unique(valued.map((a) => propertyName(a.name))).join(', ')} }`;
}

/** How a oneof's value is described in errors: `"NX" | "XX" | { comparisonValue }`. */
function oneofExpectation(arg: ArgumentSpec): string {
  const alternatives = arg.arguments ?? [];
  const names = unique(alternatives.map((a) => propertyName(a.name)));
  return `one of ${alternatives.map((a, i) => (isPureToken(a) ? lit(a.token!) : `{ ${names[i]} }`)).join(' | ')}`;
}

/** The check that `v` is an array (nothing when already checked). */
function arrayCheck(v: string, label: string, ctx: EmitContext): string[] {
  if (ctx.checked.delete(v)) return [];
  return [
    `if (!Array.isArray(${v})) throw invalidArgument(${lit(ctx.command)}, ${lit(label)}, 'an array', ${v});`,
  ];
}

/** The check that `v` is an object (nothing when already checked). */
function objectCheck(v: string, label: string, expected: string, ctx: EmitContext): string[] {
  if (ctx.checked.delete(v)) return [];
  return [
    `if (typeof ${v} !== 'object' || ${v} === null) throw invalidArgument(${lit(ctx.command)}, ${lit(label)}, ${lit(expected)}, ${v});`,
  ];
}

/**
 * Code that appends `arg`'s value (the expression `v`, known to be present) to `argv`. Values of
 * the wrong shape (a string where a list goes, a number where an object goes) throw a TypeError
 * naming the command and `label`, the parameter.
 */
function emitValue(arg: ArgumentSpec, v: string, label: string, depth: number, ctx: EmitContext): string[] {
  const item = `x${depth}`;
  if (arg.multiple) {
    const inner = emitSingle(
      { ...arg, multiple: false, token: arg.multiple_token ? arg.token : undefined },
      item,
      `${label}[]`,
      depth + 1,
      ctx,
    );
    const head = arg.token && !arg.multiple_token ? [`argv.push(${JSON.stringify(arg.token)});`] : [];
    // An index loop over the list (known to be an array): cheaper than the iterator of for-of.
    return [
      ...arrayCheck(v, label, ctx),
      ...head,
      `for (let i${depth} = 0, l${depth} = ${v}; i${depth} < l${depth}.length; i${depth}++) {`,
      `  const ${item} = l${depth}[i${depth}]!;`,
      ...inner.map((l) => `  ${l}`),
      '}',
    ];
  }
  return emitSingle(arg, v, label, depth, ctx);
}

function emitSingle(arg: ArgumentSpec, v: string, label: string, depth: number, ctx: EmitContext): string[] {
  // (A pure token may be the empty string: MIGRATE's `""` key placeholder.)
  const token = arg.token !== undefined ? [`argv.push(${JSON.stringify(arg.token)});`] : [];
  switch (arg.type) {
    case 'pure-token':
      return token;
    case 'block': {
      const lines = [...objectCheck(v, label, blockExpectation(arg), ctx), ...token];
      const children = arg.arguments ?? [];
      const valued = children.filter(takesValue);
      const names = unique(valued.map((a) => propertyName(a.name)));
      for (const child of children) {
        if (child.count_of !== undefined) {
          const list = valued.findIndex((a) => a.name === child.count_of);
          const optional = valued[list]!.optional === true;
          const expr = `${v}.${names[list]}`;
          // The list is checked before its length is sent (a string has a length too).
          const check = `!Array.isArray(${expr})) throw invalidArgument(${lit(ctx.command)}, ${lit(`${label}.${names[list]}`)}, 'an array', ${expr});`;
          lines.push(optional ? `if (${expr} !== undefined && ${check}` : `if (${check}`);
          ctx.checked.add(expr);
          lines.push(`argv.push(${expr}${optional ? '?' : ''}.length${optional ? ' ?? 0' : ''});`);
          continue;
        }
        if (!takesValue(child)) {
          lines.push(...emitSingle(child, '', label, depth + 1, ctx));
          continue;
        }
        const name = names[valued.indexOf(child)];
        lines.push(...guarded(child, `${v}.${name}`, `${label}.${name}`, depth + 1, ctx));
      }
      return lines;
    }
    case 'oneof': {
      const lines = [...token];
      const alternatives = arg.arguments ?? [];
      const names = unique(alternatives.map((a) => propertyName(a.name)));
      const tokens = alternatives.filter(isPureToken);
      const valued = alternatives.map((a, i) => [a, names[i]!] as const).filter(([a]) => !isPureToken(a));
      const refuse = `throw invalidArgument(${lit(ctx.command)}, ${lit(label)}, ${lit(oneofExpectation(arg))}, ${v});`;
      const branches: string[] = [];
      if (tokens.length) branches.push(`if (typeof ${v} === 'string') {`, `  argv.push(${v});`);
      if (valued.length) {
        // `in` on a number or a string throws an engine TypeError: refuse those first.
        branches.push(
          `${branches.length ? '} else if' : 'if'} (typeof ${v} !== 'object' || ${v} === null) {`,
          `  ${refuse}`,
        );
      }
      for (const [alt, name] of valued) {
        branches.push(`} else if (${JSON.stringify(name)} in ${v}) {`);
        branches.push(
          ...emitValue(alt, `${v}.${name}`, `${label}.${name}`, depth + 1, ctx).map((l) => `  ${l}`),
        );
      }
      // No alternative matched: nothing would be sent for it.
      if (branches.length) branches.push('} else {', `  ${refuse}`, '}');
      return [...lines, ...branches];
    }
    default: {
      // A double may be ±Infinity (a score read back, a range without end): Redis spells it.
      const value = arg.type === 'double' ? `doubleArgument(${v})` : v;
      return arg.token ? [`argv.push(${JSON.stringify(arg.token)}, ${value});`] : [`argv.push(${value});`];
    }
  }
}

/** Emits an optional argument only when given (a pure token only when true). */
function guarded(arg: ArgumentSpec, expr: string, label: string, depth: number, ctx: EmitContext): string[] {
  const body = emitValue(arg, expr, label, depth, ctx);
  if (!arg.optional) return body;
  const test = isPureToken(arg) && !arg.multiple ? `${expr} === true` : `${expr} !== undefined`;
  return [`if (${test}) {`, ...body.map((l) => `  ${l}`), '}'];
}

/** A JSON schema (reply_schema) → a TS type; `S` is the string type of the view. */
export function replyType(schema: unknown, depth = 0): string {
  if (schema === undefined || schema === null || typeof schema !== 'object' || depth > 12)
    return 'RespValue<S>';
  const s = schema as Record<string, unknown>;
  if (s.const !== undefined)
    return typeof s.const === 'string' ? `${JSON.stringify(s.const)}` : typeof s.const;
  const union = (s.oneOf ?? s.anyOf) as unknown[] | undefined;
  if (union) return [...new Set(union.map((m) => replyType(m, depth + 1)))].join(' | ');
  switch (s.type) {
    case 'string':
      // A simple (status) string is a JS string in every view; a bulk string is the view's `S`.
      return s['x-status'] === true ? 'string' : 'S';
    case 'integer':
    case 'number':
      return 'number';
    case 'null':
      return 'null';
    case 'boolean':
      return 'boolean';
    case 'array': {
      if (Array.isArray(s.items)) {
        // Items past minItems may be missing (LATENCY LATEST: 4 of 6 on Redis).
        const min = typeof s.minItems === 'number' ? s.minItems : s.items.length;
        const items = s.items.map((i, at) => {
          const t = replyType(i, depth + 1);
          return at < min ? t : t.includes(' | ') ? `(${t})?` : `${t}?`;
        });
        return s.additionalItems === false || s.maxItems === items.length
          ? `[${items.join(', ')}]`
          : `[${items.join(', ')}, ...RespValue<S>[]]`;
      }
      if (s.items && typeof s.items === 'object') return `Array<${replyType(s.items, depth + 1)}>`;
      return 'RespValue<S>[]';
    }
    case 'object': {
      const parts: string[] = [];
      const props = s.properties as Record<string, unknown> | undefined;
      if (props) {
        parts.push(
          `{ ${Object.entries(props)
            .map(([k, v]) => `${JSON.stringify(k)}?: ${replyType(v, depth + 1)}`)
            .join('; ')} }`,
        );
      }
      // Fields not listed: additionalProperties, or patternProperties (COMMAND DOCS's command
      // names, XREAD's stream names, MEMORY STATS's db.N). Next to listed fields, the record's
      // values include theirs: an intersection must not make a listed field's type `never`.
      const extra = s.additionalProperties;
      const patterns = Object.values((s.patternProperties ?? {}) as Record<string, unknown>);
      const others = [...(extra && typeof extra === 'object' ? [extra] : []), ...patterns];
      if (others.length) {
        const values = new Set(others.map((o) => replyType(o, depth + 1)));
        if (props && values.size) for (const v of Object.values(props)) values.add(replyType(v, depth + 1));
        parts.push(`Record<string, ${[...values].join(' | ')}>`);
      } else if (extra !== false && !props) parts.push('Record<string, RespValue<S>>');
      return parts.join(' & ') || 'Record<string, never>';
    }
    default:
      return 'RespValue<S>';
  }
}

interface Emitted {
  signature: string;
  implementation: string;
  optionsInterface: string | undefined;
  exactReply: boolean;
}

function docs(command: CommandModel): string[] {
  const spec = command.spec;
  const lines = [String(spec.summary ?? command.name).replace(/\*\//g, '*\\/')];
  lines.push('');
  lines.push(
    `\`${command.name}\` — ${spec.complexity ? `complexity: ${String(spec.complexity).replace(/\*\//g, '*\\/')}` : 'no stated complexity'}`,
  );
  if (spec.since) lines.push(`@since ${spec.since as string} (${command.servers.join(', ')})`);
  lines.push(`@see https://redis.io/docs/latest/commands/${command.name.toLowerCase().replace(/ /g, '-')}/`);
  if (spec.deprecated_since) {
    const replaced = spec.replaced_by
      ? ` Use ${String(spec.replaced_by).replace(/\*\//g, '*\\/')} instead.`
      : '';
    lines.push(`@deprecated since ${spec.deprecated_since as string}.${replaced}`);
  }
  return lines;
}

function emitCommand(command: CommandModel): Emitted {
  const args = ((command.spec.arguments as ArgumentSpec[] | undefined) ?? []).slice();
  // For subcommands the spec lists only what follows the subcommand name.
  const words = command.name.split(' ');
  // A lone optional trailing list of plain values (PFADD key [element ...]) reads best as rest
  // arguments: treat it as the last positional.
  const tail = args.at(-1);
  const restTail =
    tail !== undefined &&
    tail.optional === true &&
    tail.multiple === true &&
    !tail.token &&
    !['block', 'oneof', 'pure-token'].includes(tail.type) &&
    args.filter((a) => a.optional).length === 1;
  const isPositional = (a: ArgumentSpec) => (!a.optional && takesValue(a)) || (restTail && a === tail);
  const required = args.filter(isPositional);
  const optional = args.filter((a) => a.optional && !isPositional(a));
  const paramNames = unique(required.map((a) => propertyName(a.name)));
  const optionNames = unique(optional.map((a) => propertyName(a.name)));
  const last = required.at(-1);
  const rest =
    optional.length === 0 &&
    last?.multiple === true &&
    !['block', 'oneof'].includes(last.type) &&
    !last.multiple_token &&
    !last.token;
  const params = required.map((a, i) => {
    if (rest && a === last) return `...${paramNames[i]}: Array<${valueType(a)}>`;
    return `${paramNames[i]}: ${fullType(a)}`;
  });
  const optionsType = `${pascal(command.methodName)}Options`;
  const optionsInterface = optional.length
    ? `export interface ${optionsType} {\n${optional
        .map((a, i) => {
          const notes = [...onlyOn(a)].map(
            ([servers, tokens]) => `\`${tokens.join('`, `')}\`: ${servers} only.`,
          );
          const note = `${a.summary && notes.length ? ' ' : ''}${notes.join(' ')}`;
          const text = `${a.summary ?? ''}${note}`.replace(/\*\//g, '*\\/');
          const doc = text ? `  /** ${text} */\n` : '';
          return `${doc}  ${optionNames[i]}?: ${fullType(a)};`;
        })
        .join('\n')}\n}`
    : undefined;
  if (optional.length) params.push(`options?: ${optionsType}`);
  const schema = command.spec.reply_schema;
  const transform = REPLY_TRANSFORMS[command.name];
  const reply = transform ? transform.type : replyType(schema);
  const signature = `${command.methodName}(${params.join(', ')}): Promise<${reply}>`;
  const ctx: EmitContext = { command: command.name, checked: new Set() };
  // Checks of whole parameters, before argv is built: lists and blocks given positionally, and
  // lists whose length is sent first (a string has a length too: never iterate one).
  const checks: string[] = [];
  const listCheck = (v: string, label: string, optionalValue: boolean) => {
    const test = `!Array.isArray(${v})`;
    checks.push(
      `if (${optionalValue ? `${v} !== undefined && ` : ''}${test}) throw invalidArgument(${lit(command.name)}, ${lit(label)}, 'an array', ${v});`,
    );
    ctx.checked.add(v);
  };
  required.forEach((arg, i) => {
    const name = paramNames[i]!;
    if (rest && arg === last) ctx.checked.add(name);
    else if (arg.multiple) listCheck(name, name, false);
    else if (arg.type === 'block') {
      checks.push(...objectCheck(name, name, blockExpectation(arg), ctx));
      ctx.checked.add(name);
    }
  });
  if (optional.length) {
    // The options object itself: an object of known names (a misspelt `{ ex: 60 }` for SET, or a
    // bare count, would be ignored: the command would run without it).
    checks.unshift(
      `if (options !== undefined) checkOptions(${lit(command.name)}, options, ${JSON.stringify(optionNames)});`,
    );
  }
  for (const arg of args) {
    if (arg.count_of === undefined) continue;
    const list = args.find((a) => a.name === arg.count_of)!;
    if (isPositional(list)) continue;
    const name = optionNames[optional.indexOf(list)]!;
    listCheck(`options?.${name}`, `options.${name}`, true);
  }
  const body: string[] = [
    `const argv: CommandArgument[] = [${words.map((w) => JSON.stringify(w)).join(', ')}];`,
  ];
  for (const arg of args) {
    if (arg.count_of !== undefined) {
      const list = args.find((a) => a.name === arg.count_of)!;
      const expr = isPositional(list)
        ? `${paramNames[required.indexOf(list)]}.length`
        : `(options?.${optionNames[optional.indexOf(list)]}?.length ?? 0)`;
      body.push(`argv.push(${expr});`);
    } else if (!takesValue(arg)) {
      body.push(...emitSingle(arg, '', '', 0, ctx));
    } else if (isPositional(arg)) {
      const name = paramNames[required.indexOf(arg)]!;
      body.push(...emitValue({ ...arg, optional: false }, name, name, 0, ctx));
    } else {
      const name = optionNames[optional.indexOf(arg)]!;
      body.push(...guarded(arg, `options?.${name}`, `options.${name}`, 0, ctx));
    }
  }
  if (ctx.checked.size) throw new Error(`${command.name}: checks emitted for values never used`);
  // Unconditional leading pushes go into the array literal: one allocation, no pushes.
  const initial = words.map((w) => JSON.stringify(w));
  let firstConditional = 1;
  while (firstConditional < body.length) {
    const match = /^argv\.push\((.*)\);$/.exec(body[firstConditional]!);
    if (!match) break;
    initial.push(match[1]!);
    firstConditional++;
  }
  body.splice(0, firstConditional, `argv = [${initial.join(', ')}];`);
  const send = transform
    ? `return this.sendCommand(argv, ${transform.transform});`
    : 'return this.sendCommand(argv);';
  const lines =
    checks.length === 0 && body.length === 1
      ? // Nothing here can throw: the argv literal only.
        [`const ${body[0]!.replace('argv =', 'argv: CommandArgument[] =')}`, send]
      : // A bad argument must not throw synchronously: the call rejects (or, in a pipeline, the
        // error takes the command's place), naming the command and the parameter.
        [
          'let argv: CommandArgument[];',
          'try {',
          ...[...checks, ...body].map((l) => `  ${l}`),
          '} catch (error) {',
          `  return refused(this, [${words.map(lit).join(', ')}], error);`,
          '}',
          send,
        ];
  const implementation = `${command.methodName}(${['this: CommandSender', ...params].join(', ')}): Promise<unknown> {\n${lines
    .map((l) => `  ${l}`)
    .join('\n')}\n}`;
  return {
    signature,
    implementation,
    optionsInterface,
    exactReply: schema !== undefined || transform !== undefined,
  };
}

/**
 * The helpers the generated methods refuse bad arguments with (emitted into commands.ts). Error
 * messages name the command and the parameter, and say what the value is, never the value
 * itself (it may be a secret).
 */
const ARGUMENT_ERRORS = `/** What a value is, for an error message (not the value: it may be a secret). */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'undefined' ? 'undefined' : type === 'object' ? 'an object' : \`a \${type}\`;
}

/** A double argument: \`Infinity\` and \`-Infinity\` as Redis writes them (NaN is the encoder's to refuse). */
function doubleArgument(value: number | string): number | string {
  return value === Infinity ? '+inf' : value === -Infinity ? '-inf' : value;
}

/** An options object: an object whose names are all known (an unknown one would be ignored). */
function checkOptions(command: string, options: unknown, known: readonly string[]): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw invalidArgument(command, 'options', \`an object { \${known.join(', ')} }\`, options);
  for (const name in options) {
    if (!known.includes(name))
      throw new TypeError(\`\${command}: unknown option "\${name}" (known: \${known.join(', ')})\`);
  }
}

/** The TypeError for an argument of the wrong shape, naming the command and the parameter. */
function invalidArgument(command: string, parameter: string, expected: string, value: unknown): TypeError {
  return new TypeError(\`\${command}: \${parameter} must be \${expected}, got \${describeValue(value)}\`);
}

/**
 * A command refused for a bad argument, before anything is sent: a rejected promise (never a
 * synchronous throw). A pipeline's methods queue and return the chain instead: there the refusal
 * is queued (\`refuse\`): the error in its place, and \`multi()\` rejects with it, sending nothing.
 */
function refused(sender: CommandSender, words: CommandArgument[], error: unknown): Promise<unknown> {
  const pipeline = sender as { refuse?: (words: CommandArgument[], error: unknown) => Promise<unknown> };
  if (typeof pipeline.refuse === 'function') return pipeline.refuse(words, error);
  return Promise.reject(error);
}`;

export interface CommandsEmitResult {
  source: string;
  /** Commands whose reply type comes from a reply schema. */
  exactReplyTypes: number;
  total: number;
}

/** Returns the generated source of packages/client/src/generated/commands.ts. */
export function emitCommands(model: Model): CommandsEmitResult {
  const commands = [...model.commands]
    .filter((c) => c.hasMethod)
    .filter((c) => !(c.spec.arguments === undefined && model.commands.some((o) => o.container === c.name)))
    .sort((a, b) => (a.methodName < b.methodName ? -1 : a.methodName > b.methodName ? 1 : 0));
  const emitted = commands.map((c) => [c, emitCommand(c)] as const);
  const project = new Project({ useInMemoryFileSystem: true });
  const file = project.createSourceFile('commands.ts');
  file.addImportDeclaration({
    moduleSpecifier: '../commands/sender.js',
    namedImports: ['CommandArgument', 'CommandSender', 'RedisArgument', 'RespValue'].map((name) => ({
      name,
      isTypeOnly: true,
    })),
  });
  const transforms = Object.values(REPLY_TRANSFORMS);
  file.addImportDeclaration({
    moduleSpecifier: '../commands/transforms.js',
    namedImports: [
      ...[...new Set(transforms.map((t) => t.transform))].sort().map((name) => ({ name })),
      ...[...new Set(transforms.flatMap((t) => t.types))].sort().map((name) => ({ name, isTypeOnly: true })),
    ],
  });
  for (const [, e] of emitted) if (e.optionsInterface) file.addStatements(e.optionsInterface);
  file.addStatements(
    `/**\n * Every core command as a typed method. \`S\` is the type bulk strings arrive as: \`string\`, or\n * \`Buffer\` in the binary-safe view.\n */\nexport interface Commands<S = string> {\n${emitted
      .map(
        ([c, e]) =>
          `  /**\n${docs(c)
            .map((l) => `   * ${l}`.trimEnd())
            .join('\n')}\n   */\n  ${e.signature};`,
      )
      .join('\n')}\n}`,
  );
  file.addStatements(ARGUMENT_ERRORS);
  file.addStatements(
    `/** The implementations of {@link Commands}: each builds argv and hands it to the sender. */\nexport const COMMAND_METHODS: Readonly<Record<string, (this: CommandSender, ...args: never[]) => Promise<unknown>>> = {\n${emitted
      .map(([, e]) => e.implementation.replace(/^/gm, '  '))
      .join(',\n')}\n};`,
  );
  const source = generatedHeader('codegen/src/emit/commands.ts', model.inputHash) + file.getFullText();
  return { source, exactReplyTypes: emitted.filter(([, e]) => e.exactReply).length, total: emitted.length };
}

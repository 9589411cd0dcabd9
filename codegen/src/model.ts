// commands.json → the model the emitters use. Special cases come only from codegen/overrides.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { defaultOverride, OVERRIDES } from '../overrides/index.js';
import type { CommandSpec, CommandsJson } from './spec.js';

/** A hand correction of one command; see codegen/overrides. */
export interface CommandOverride {
  reason: string;
  /** Use a named, hand-written key extractor of the client instead of the key specs. */
  keysFunction?: 'sort' | 'migrate';
  /** `false`: no generated method (the client offers a dedicated API instead). */
  method?: false;
  /**
   * Corrects the reply schema (given a copy of the spec's, returns the one to use): where it is
   * wrong for a server, or leaves out what the types and the RESP2 conversion need.
   */
  replySchema?: (schema: Record<string, unknown>) => Record<string, unknown>;
  /** Corrects the argument tree (given a copy of the normalised one, returns the one to use). */
  arguments?: (args: Record<string, unknown>[]) => Record<string, unknown>[];
}

/** Where the keys of a command are, in the runtime's form. */
export interface KeySpecModel {
  begin: { index: number } | { keyword: string; startFrom: number } | { unknown: true };
  find:
    | { range: { lastKey: number; step: number; limit: number } }
    | { keynum: { index: number; firstKey: number; step: number } }
    | { unknown: true };
  flags: string[];
}

export interface CommandModel {
  /** `SET`, `CLIENT KILL` */
  name: string;
  /** `set`, `clientKill`: one name per command, derived mechanically. */
  methodName: string;
  container: string | undefined;
  arity: number;
  flags: string[];
  keySpecs: KeySpecModel[];
  keysFunction: CommandOverride['keysFunction'];
  /** Whether the command gets a generated method. */
  hasMethod: boolean;
  servers: string[];
  spec: CommandSpec;
}

export interface Model {
  commands: CommandModel[];
  /** sha256 of commands.json, written into every generated file's header. */
  inputHash: string;
}

/** `CLIENT KILL` → `clientKill`, `GEORADIUS_RO` → `georadiusRo`, `CLUSTER ADDSLOTSRANGE` → `clusterAddslotsrange`. */
export function methodName(command: string): string {
  const words = command
    .toLowerCase()
    .split(/[\s_\-.|]+/)
    .filter(Boolean);
  return words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
}

function keySpec(raw: Record<string, unknown>): KeySpecModel {
  const begin = raw.begin_search as Record<string, Record<string, unknown>>;
  const find = raw.find_keys as Record<string, Record<string, unknown>>;
  let b: KeySpecModel['begin'] = { unknown: true };
  if (begin.index) b = { index: Number(begin.index.pos) };
  else if (begin.keyword)
    b = { keyword: String(begin.keyword.keyword), startFrom: Number(begin.keyword.startfrom) };
  let f: KeySpecModel['find'] = { unknown: true };
  if (find.range) {
    f = {
      range: {
        lastKey: Number(find.range.lastkey),
        step: Number(find.range.step),
        limit: Number(find.range.limit),
      },
    };
  } else if (find.keynum) {
    f = {
      keynum: {
        index: Number(find.keynum.keynumidx),
        firstKey: Number(find.keynum.firstkey),
        step: Number(find.keynum.step),
      },
    };
  }
  return {
    begin: b,
    find: f,
    flags: ((raw.flags as string[] | undefined) ?? []).map((x) => x.toUpperCase()),
  };
}

/**
 * Normalises argument trees:
 * - a pure token without a token names itself (SENTINEL SIMULATE-FAILURE's modes);
 * - a token spelled `""` is the empty string;
 * - an integer `num...` argument directly followed by a list counts that list (`numkeys` of
 *   EVAL, LMPOP, ZUNIONSTORE; `numfields` of HSETEX, HTTL; `numids` of XACKDEL): it is marked
 *   `count_of` and the client computes it from the list, so callers cannot get it wrong.
 */
function normaliseArguments(args: unknown): unknown {
  if (!Array.isArray(args)) return args;
  return args.map((raw: Record<string, unknown>, i: number) => {
    const arg = { ...raw };
    if (arg.type === 'pure-token' && arg.token === undefined) arg.token = String(arg.name).toUpperCase();
    // The spec spells an empty-string token as two quotes (MIGRATE's key placeholder with KEYS).
    if (arg.token === '""') arg.token = '';
    const next = args[i + 1] as Record<string, unknown> | undefined;
    if (arg.type === 'integer' && /^num/.test(String(arg.name)) && next?.multiple === true && !arg.optional) {
      arg.count_of = next.name;
    }
    if (arg.arguments) arg.arguments = normaliseArguments(arg.arguments);
    return arg;
  });
}

export function buildModel(json: CommandsJson, inputHash: string): Model {
  const commands: CommandModel[] = [];
  for (const [name, spec] of Object.entries(json.commands)) {
    const override = OVERRIDES[name] ?? defaultOverride(name);
    commands.push({
      name,
      methodName: methodName(name),
      container: spec.container as string | undefined,
      arity: Number(spec.arity),
      flags: ((spec.command_flags as string[] | undefined) ?? []).map((f) => f.toUpperCase()),
      keySpecs: ((spec.key_specs as Record<string, unknown>[] | undefined) ?? []).map(keySpec),
      keysFunction: override?.keysFunction,
      hasMethod: override?.method !== false,
      servers: spec.servers,
      spec: {
        ...spec,
        ...(spec.arguments
          ? {
              arguments: ((args) => (override?.arguments ? override.arguments(structuredClone(args)) : args))(
                normaliseArguments(spec.arguments) as Record<string, unknown>[],
              ),
            }
          : {}),
        ...(override?.replySchema && spec.reply_schema
          ? {
              reply_schema: override.replySchema(
                structuredClone(spec.reply_schema) as Record<string, unknown>,
              ),
            }
          : {}),
      },
    });
  }
  const names = new Map<string, string>();
  for (const c of commands) {
    const clash = names.get(c.methodName);
    if (clash) throw new Error(`method name ${c.methodName} derived from both ${clash} and ${c.name}`);
    names.set(c.methodName, c.name);
  }
  return { commands, inputHash };
}

/** Loads commands.json from disk into the model. */
export function loadModel(file: string): Model {
  const text = readFileSync(file, 'utf8');
  return buildModel(JSON.parse(text) as CommandsJson, createHash('sha256').update(text).digest('hex'));
}

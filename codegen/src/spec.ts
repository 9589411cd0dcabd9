// Builds commands.json: the Valkey spec files as the base (BSD-3-Clause), checked and completed
// against a live Redis 8.2 (COMMAND DOCS + COMMAND INFO). Module commands are left out: the
// add-on packages define their own APIs.
import type { LiveServer } from './live.js';
import type { RawCommand, SpecFiles } from './valkey-source.js';

/** One entry of commands.json, in the spec files' own vocabulary (snake_case keys). */
export type CommandSpec = Record<string, unknown> & {
  /** Which servers have this command: from the Valkey files, the live Redis, or both. */
  servers: ('redis' | 'valkey')[];
  /** Where the entry's data comes from, with the version. */
  source: string;
};

export interface CommandsJson {
  generatedBy: string;
  notice: string;
  sources: { valkey: string; redis: string };
  /** Commands whose arity, flags or argument tokens differ between the live Redis and the Valkey file. */
  differences: Record<string, { valkey: unknown; redis: unknown }>;
  commands: Record<string, CommandSpec>;
}

const upper = (values: unknown): string[] =>
  Array.isArray(values) ? values.map((v) => String(v).replace(/^@/, '').toUpperCase()) : [];

/** Converts a COMMAND INFO key spec (RESP3 map) to the spec files' form. */
export function keySpecFromInfo(spec: Record<string, unknown>): Record<string, unknown> {
  const begin = spec.begin_search as { type: string; spec: Record<string, unknown> };
  const find = spec.find_keys as { type: string; spec: Record<string, unknown> };
  const out: Record<string, unknown> = {};
  if (spec.notes) out.notes = spec.notes;
  out.flags = upper(spec.flags);
  if (begin.type === 'index') out.begin_search = { index: { pos: begin.spec.index } };
  else if (begin.type === 'keyword') out.begin_search = { keyword: { ...begin.spec } };
  else out.begin_search = { unknown: null };
  if (find.type === 'range') {
    out.find_keys = {
      range: { lastkey: find.spec.lastkey, step: find.spec.keystep, limit: find.spec.limit },
    };
  } else if (find.type === 'keynum') {
    out.find_keys = {
      keynum: { keynumidx: find.spec.keynumidx, firstkey: find.spec.firstkey, step: find.spec.keystep },
    };
  } else {
    out.find_keys = { unknown: null };
  }
  return out;
}

/** Converts a COMMAND DOCS argument to the spec files' form (flags become booleans). */
export function argumentFromDocs(arg: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { name: arg.name, type: arg.type };
  if (arg.display_text !== undefined) out.display = arg.display_text;
  if (arg.key_spec_index !== undefined) out.key_spec_index = arg.key_spec_index;
  if (arg.token !== undefined) out.token = arg.token;
  if (arg.summary !== undefined) out.summary = arg.summary;
  if (arg.since !== undefined) out.since = arg.since;
  if (arg.deprecated_since !== undefined) out.deprecated_since = arg.deprecated_since;
  const flags = Array.isArray(arg.flags) ? arg.flags.map(String) : [];
  if (flags.includes('optional')) out.optional = true;
  if (flags.includes('multiple')) out.multiple = true;
  if (flags.includes('multiple_token')) out.multiple_token = true;
  if (Array.isArray(arg.arguments))
    out.arguments = arg.arguments.map((a) => argumentFromDocs(a as Record<string, unknown>));
  if (arg.value !== undefined && out.arguments === undefined && arg.type === 'pure-token')
    out.value = arg.value;
  return out;
}

interface InfoRow {
  name: string;
  arity: number;
  flags: string[];
  acl: string[];
  tips: string[];
  keySpecs: Record<string, unknown>[];
}

function flattenInfo(rows: unknown[][], out = new Map<string, InfoRow>()): Map<string, InfoRow> {
  for (const row of rows) {
    const [name, arity, flags, , , , acl, tips, keySpecs, subcommands] = row as [
      string,
      number,
      string[],
      number,
      number,
      number,
      string[],
      string[],
      Record<string, unknown>[],
      unknown[][],
    ];
    out.set(name.toUpperCase().replace('|', ' '), {
      name,
      arity,
      flags: upper(flags),
      acl: upper(acl),
      tips: (tips ?? []).map((t) => String(t).toUpperCase()),
      keySpecs: keySpecs ?? [],
    });
    if (Array.isArray(subcommands) && subcommands.length) flattenInfo(subcommands, out);
  }
  return out;
}

function flattenDocs(
  docs: Record<string, Record<string, unknown>>,
  container?: string,
  out = new Map<string, { docs: Record<string, unknown>; container: string | undefined }>(),
) {
  for (const [name, entry] of Object.entries(docs)) {
    const full = name.toUpperCase().replace('|', ' ');
    out.set(full, { docs: entry, container });
    const sub = entry.subcommands as Record<string, Record<string, unknown>> | undefined;
    if (sub) flattenDocs(sub, full, out);
  }
  return out;
}

/** Every token an argument tree can send (`EX`, `NX`, `IFEQ`...). */
function tokens(args: unknown, out = new Set<string>()): Set<string> {
  if (!Array.isArray(args)) return out;
  for (const arg of args as Record<string, unknown>[]) {
    if (typeof arg.token === 'string') out.add(arg.token.toUpperCase());
    else if (arg.type === 'pure-token') out.add(String(arg.name).toUpperCase());
    tokens(arg.arguments, out);
  }
  return out;
}

/** Marks the arguments whose token only some servers accept. */
function markServers(args: unknown, only: Set<string>, servers: string[]): void {
  if (!Array.isArray(args)) return;
  for (const arg of args as Record<string, unknown>[]) {
    const token =
      typeof arg.token === 'string'
        ? arg.token.toUpperCase()
        : arg.type === 'pure-token'
          ? String(arg.name).toUpperCase()
          : undefined;
    if (token !== undefined && only.has(token)) arg.servers = servers;
    markServers(arg.arguments, only, servers);
  }
}

function sortObject<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Merges the Valkey spec files with a live server's tables into commands.json. */
export function buildSpec(valkey: SpecFiles, live: LiveServer): CommandsJson {
  const commands: Record<string, CommandSpec> = {};
  const info = flattenInfo(live.info);
  const docs = flattenDocs(live.docs);
  const differences: CommandsJson['differences'] = {};
  for (const [file, content] of valkey.files) {
    for (const [name, raw] of Object.entries(content) as [string, RawCommand][]) {
      const full = raw.container ? `${String(raw.container)} ${name}` : name;
      if (raw.group === 'module') continue;
      const { function: _implementation, ...entry } = raw;
      const liveRow = info.get(full);
      const servers: CommandSpec['servers'] = liveRow ? ['redis', 'valkey'] : ['valkey'];
      commands[full] = { ...entry, servers, source: `valkey ${valkey.version}: src/commands/${file}` };
      if (liveRow) {
        // SENTINEL / ONLY_SENTINEL say where a command exists, which a standalone server does not report.
        const flags = upper(raw.command_flags)
          .filter((f) => f !== 'SENTINEL' && f !== 'ONLY_SENTINEL')
          .sort();
        // MOVABLEKEYS is derived by the server from the key specs; the files never carry it.
        const liveFlags = liveRow.flags.filter((f) => f !== 'MODULE' && f !== 'MOVABLEKEYS').sort();
        const valkeyTokens = tokens(raw.arguments);
        const redisTokens = tokens(docs.get(full)?.docs.arguments);
        const onlyValkey = [...valkeyTokens].filter((t) => !redisTokens.has(t)).sort();
        const onlyRedis = [...redisTokens].filter((t) => !valkeyTokens.has(t)).sort();
        const sameFlags = JSON.stringify(flags) === JSON.stringify(liveFlags);
        const entrySpec = commands[full]!;
        if (onlyRedis.length && !onlyValkey.length) {
          // Redis 8.2 accepts more (BITOP DIFF/ONE..., XADD KEEPREF...): its arguments are a superset.
          entrySpec.arguments = (docs.get(full)!.docs.arguments as Record<string, unknown>[]).map(
            argumentFromDocs,
          );
          entrySpec.arguments_source = `redis ${live.version}: COMMAND DOCS (a superset of the Valkey file's)`;
        } else if (onlyValkey.length) {
          // Valkey-only tokens stay, marked, so the docs can say so (SET IFEQ, ZSCAN NOSCORES...).
          markServers(entrySpec.arguments, new Set(onlyValkey), ['valkey']);
        }
        if (liveRow.arity !== raw.arity || !sameFlags || onlyValkey.length || onlyRedis.length) {
          differences[full] = {
            valkey: { arity: raw.arity, flags, ...(onlyValkey.length ? { onlyTokens: onlyValkey } : {}) },
            redis: {
              arity: liveRow.arity,
              flags: liveFlags,
              ...(onlyRedis.length ? { onlyTokens: onlyRedis } : {}),
            },
          };
        }
      }
    }
  }
  // Commands only the live Redis has (e.g. HSETEX, HGETEX, vector sets): taken from its answers.
  for (const [full, row] of info) {
    if (commands[full]) continue;
    const doc = docs.get(full);
    if (!doc || doc.docs.group === 'module' || doc.docs.module !== undefined || row.flags.includes('MODULE'))
      continue;
    const d = doc.docs;
    const entry: Record<string, unknown> = {};
    for (const key of [
      'summary',
      'complexity',
      'group',
      'since',
      'deprecated_since',
      'replaced_by',
      'doc_flags',
    ]) {
      if (d[key] !== undefined) entry[key] = d[key];
    }
    entry.arity = row.arity;
    if (doc.container) entry.container = doc.container;
    if (Array.isArray(d.history) && d.history.length) entry.history = d.history;
    if (row.flags.length) entry.command_flags = row.flags;
    if (row.acl.length) entry.acl_categories = row.acl;
    if (row.tips.length) entry.command_tips = row.tips;
    if (row.keySpecs.length) entry.key_specs = row.keySpecs.map(keySpecFromInfo);
    if (Array.isArray(d.arguments))
      entry.arguments = d.arguments.map((a) => argumentFromDocs(a as Record<string, unknown>));
    commands[full] = {
      ...entry,
      servers: ['redis'],
      source: `redis ${live.version}: COMMAND DOCS + COMMAND INFO`,
    };
  }
  return {
    generatedBy: 'codegen (npm run codegen): Valkey spec files + a live Redis; do not edit by hand',
    notice:
      'Entries with a "valkey" source derive from the Valkey source tree (BSD-3-Clause, Copyright (c) ' +
      'the Valkey contributors); entries with a "redis" source are facts read from a live Redis server.',
    sources: {
      valkey: `${valkey.version} (${valkey.tarball}, Debian 13 source package)`,
      redis: `${live.version} (live COMMAND DOCS + COMMAND INFO)`,
    },
    differences: sortObject(differences),
    commands: sortObject(commands),
  };
}

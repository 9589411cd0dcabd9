// Where a command's keys are: the server's key specs, read from the generated table, applied the
// way the server applies them (db.c getKeysUsingKeySpecs). The cluster package hashes these keys
// to route a command; nothing re-parses argv by hand except the two named extractors below.
import { PyrsedisError } from '@pyrsedis/resp';
import { COMMAND_TABLE, CommandFlag } from '../generated/command-table.js';
import type { CommandInfo, KeySpec } from './command-info.js';

/** A command argument as the encoder accepts it. */
export type CommandArgument = string | Buffer | Uint8Array | number | bigint;

function text(arg: CommandArgument | undefined): string {
  if (arg === undefined) return '';
  if (typeof arg === 'string') return arg;
  if (arg instanceof Uint8Array)
    return Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength).toString('latin1');
  return String(arg);
}

function same(arg: CommandArgument | undefined, word: string): boolean {
  return text(arg).toUpperCase() === word;
}

/** The table entry of argv's command, or of its subcommand for containers (`CLIENT KILL`). */
export function lookupCommand(
  argv: readonly CommandArgument[],
): { name: string; info: CommandInfo } | undefined {
  const name = text(argv[0]).toUpperCase();
  const info = COMMAND_TABLE[name];
  if (info === undefined) return undefined;
  if (info.container && argv.length > 1) {
    const full = `${name} ${text(argv[1]).toUpperCase()}`;
    const sub = COMMAND_TABLE[full];
    if (sub !== undefined) return { name: full, info: sub };
  }
  return { name, info };
}

/**
 * A key or channel name as the server sees it: its bytes as a latin1 string (one char per byte) —
 * text as its UTF-8 (a lone surrogate as the U+FFFD the encoder sends), Buffers as they are — so
 * that a name given as text and the same name coming back as bytes meet, and binary names never
 * collide. ASCII text is its own key.
 */
export function bytesKey(name: unknown): string {
  if (typeof name === 'string') {
    for (let i = 0; i < name.length; i++)
      if (name.charCodeAt(i) > 0x7f) return Buffer.from(name, 'utf8').toString('latin1');
    return name;
  }
  if (Buffer.isBuffer(name)) return name.toString('latin1');
  if (name instanceof Uint8Array)
    return Buffer.from(name.buffer, name.byteOffset, name.byteLength).toString('latin1');
  return String(name);
}

/** {@link commandRoute}: an ordinary command, on a shared connection. */
export const ROUTE_SHARED = 0;
/** {@link commandRoute}: a blocking command, on a leased connection. */
export const ROUTE_BLOCKING = 1;
/** {@link commandRoute}: SELECT, which the client applies to every connection. */
export const ROUTE_SELECT = 2;
/** {@link commandRoute}: a command that would change a shared connection's state: refused there. */
export const ROUTE_STATE = 3;
/** {@link commandRoute}: CLIENT SETNAME, which the client applies to every connection. */
export const ROUTE_SETNAME = 4;

/**
 * Commands that change a connection's state in ways the client manages itself (protocol, user,
 * reply mode, subscriptions — a RESP3 SUBSCRIBE is answered by a push, not a reply — and
 * transactions: `multi()`, or WATCH in `isolated()`): on a connection other callers share, they
 * would break every command after them.
 */
/** The raw subscription commands (refused in sessions too: no one there delivers messages). */
export const SUBSCRIPTION_COMMANDS: ReadonlySet<string> = new Set([
  'SUBSCRIBE',
  'PSUBSCRIBE',
  'SSUBSCRIBE',
  'UNSUBSCRIBE',
  'PUNSUBSCRIBE',
  'SUNSUBSCRIBE',
]);

const SHARED_STATE = new Set([
  ...SUBSCRIPTION_COMMANDS,
  'HELLO',
  'AUTH',
  'RESET',
  'QUIT',
  'MONITOR',
  'CLIENT REPLY',
  // Tracking is the client's (`clientCache`): switched off or to another mode by hand, its cache
  // would go on serving values the server no longer reports changes of.
  'CLIENT TRACKING',
  'CLIENT CACHING',
  // A transaction or a WATCH opened by hand would take in every other caller's commands.
  'MULTI',
  'EXEC',
  'DISCARD',
  'WATCH',
  'UNWATCH',
]);

const routeByName = new Map<string, number>();

/**
 * Where the client sends a command: {@link ROUTE_SHARED}, {@link ROUTE_BLOCKING} (the spec's
 * BLOCKING flag: BLPOP, XREAD, BLMOVE...: a connection of its own, retired if it gives up),
 * {@link ROUTE_SELECT}, {@link ROUTE_SETNAME} or {@link ROUTE_STATE}. Not WAIT / WAITAOF, flagged blocking too: they
 * count acknowledgements of the writes of the connection they run on, so they must run where
 * those writes went, and a late reply takes nothing from anyone. Memoised per name as sent (one
 * map lookup on the hot path), except for container commands, whose subcommand decides.
 */
export function commandRoute(argv: readonly CommandArgument[]): number {
  const name = argv[0];
  if (typeof name === 'string') {
    const known = routeByName.get(name);
    if (known !== undefined) return known;
  }
  const found = lookupCommand(argv);
  let route = ROUTE_SHARED;
  if (found !== undefined) {
    if ((found.info.flags & CommandFlag.BLOCKING) !== 0 && found.name !== 'WAIT' && found.name !== 'WAITAOF')
      route = ROUTE_BLOCKING;
    else if (found.name === 'SELECT') route = ROUTE_SELECT;
    else if (found.name === 'CLIENT SETNAME') route = ROUTE_SETNAME;
    else if (SHARED_STATE.has(found.name)) route = ROUTE_STATE;
  }
  // A subcommand's name has a space; a container not matched to one is flagged container.
  const container = found === undefined || found.name.includes(' ') || found.info.container === true;
  if (typeof name === 'string' && !container && routeByName.size < 4096) routeByName.set(name, route);
  return route;
}

/**
 * The error for a command that would change the state of a connection other commands share
 * ({@link ROUTE_STATE}; SELECT inside a transaction there).
 */
export function refusedOnShared(argv: readonly CommandArgument[]): PyrsedisError {
  const name = String(argv[0]).toUpperCase();
  return new PyrsedisError(
    `${name} would change the state of a connection other commands share: use the client's options ` +
      '(password, credentials, protocol, database, clientCache), its methods (select(), subscribe()...), or run it ' +
      'in client.isolated()',
    'ERR_SHARED_STATE',
    { command: name },
  );
}

/** Whether a command blocks waiting for data it will consume (see {@link commandRoute}). */
export function isBlockingCommand(argv: readonly CommandArgument[]): boolean {
  return commandRoute(argv) === ROUTE_BLOCKING;
}

function beginPosition(spec: KeySpec, argv: readonly CommandArgument[]): number {
  if (spec.index !== undefined) return spec.index;
  if (spec.keyword === undefined) return 0;
  const argc = argv.length;
  const from = spec.startFrom ?? 1;
  const start = from > 0 ? from : argc + from;
  const stop = from > 0 ? argc - 1 : 0;
  for (let i = start; ; i = start <= stop ? i + 1 : i - 1) {
    if (i >= argc || i < 1) return 0;
    if (same(argv[i], spec.keyword)) return i + 1;
    if (i === stop) return 0;
  }
}

function fromSpec(spec: KeySpec, argv: readonly CommandArgument[], out: number[]): void {
  let first = beginPosition(spec, argv);
  if (first === 0) return;
  const argc = argv.length;
  let last: number;
  let step: number;
  if (spec.lastKey !== undefined) {
    step = spec.step ?? 1;
    if (spec.lastKey >= 0) last = first + spec.lastKey;
    else if (!spec.limit) last = argc + spec.lastKey;
    else last = first + (Math.floor((argc - first) / spec.limit) + spec.lastKey);
  } else if (spec.keyNumIndex !== undefined) {
    step = spec.step ?? 1;
    if (spec.keyNumIndex >= argc - first) return;
    const count = Number(text(argv[first + spec.keyNumIndex]));
    if (!Number.isSafeInteger(count) || count < 0) return;
    first += spec.firstKey ?? 1;
    last = first + count - 1;
  } else {
    return;
  }
  // Variadic commands given too few arguments have no keys there: the server reports the error.
  for (let i = first; i <= last && i < argc; i += step) out.push(i);
}

// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE dest]
// (server: sortGetKeys; the last STORE wins).
function sortKeys(argv: readonly CommandArgument[]): number[] {
  const keys = [1];
  let store = 0;
  for (let i = 2; i < argv.length; i++) {
    const word = text(argv[i]).toUpperCase();
    if (word === 'LIMIT') i += 2;
    else if (word === 'GET' || word === 'BY') i += 1;
    else if (word === 'STORE' && i + 1 < argv.length) store = i + 1;
  }
  if (store) keys.push(store);
  return keys;
}

// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS key ...]
// (server: migrateGetKeys): with KEYS, the key slot holds "" and the keys follow KEYS.
function migrateKeys(argv: readonly CommandArgument[]): number[] {
  for (let i = 6; i < argv.length; i++) {
    const word = text(argv[i]).toUpperCase();
    if (word === 'AUTH2') i += 2;
    else if (word === 'AUTH') i += 1;
    else if (word === 'KEYS') {
      if (text(argv[3]).length > 0) return [];
      return Array.from({ length: argv.length - i - 1 }, (_, k) => i + 1 + k);
    }
  }
  return argv.length > 3 ? [3] : [];
}

/** Positions in argv (argv[0] is the command name) of the keys of the command. */
export function commandKeyIndexes(argv: readonly CommandArgument[], info?: CommandInfo): number[] {
  const entry = info ?? lookupCommand(argv)?.info;
  if (entry === undefined) return [];
  if (entry.keysFunction === 'sort') return sortKeys(argv);
  if (entry.keysFunction === 'migrate') return migrateKeys(argv);
  const out: number[] = [];
  for (const spec of entry.keys ?? []) fromSpec(spec, argv, out);
  return out;
}

/** The keys of a command, in argv order of the key specs. */
export function commandKeys(argv: readonly CommandArgument[], info?: CommandInfo): CommandArgument[] {
  return commandKeyIndexes(argv, info).map((i) => argv[i]!);
}

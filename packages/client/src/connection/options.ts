// Client options and the redis:// URL forms.
import type tls from 'node:tls';
import type { ClientCacheOptions } from '../cache.js';
import { ClientOptionsError } from '../errors.js';
import type { PoolOptions } from '../pool.js';

/** Credentials for AUTH / HELLO ... AUTH; `username` defaults to `default`. */
export interface Credentials {
  /** ACL user; `default` when absent. */
  username?: string;
  /** Password or token. */
  password: string;
}

/**
 * Called before every handshake (first connect and each reconnect) for rotating passwords or
 * tokens (cloud IAM, Vault). A rejection fails that connection attempt; its message is kept, the
 * credentials never appear in errors.
 */
export type CredentialsProvider = () => Credentials | Promise<Credentials>;

/** How to reach and set up a server. */
export interface ClientOptions {
  /**
   * A `redis://`, `rediss://` or `unix://` URL (see {@link parseUrl}); options given beside it
   * override what it says (`{ url, commandTimeoutMs: 500 }`).
   */
  url?: string;
  /** Host name or IP, default `127.0.0.1`. */
  host?: string;
  /** TCP port, default 6379. */
  port?: number;
  /** A Unix socket path instead of host/port. */
  path?: string;
  /** ACL user name (AUTH username password); `default` when only a password is given. */
  username?: string;
  /** Password for AUTH; never shown in errors or inspect() output. */
  password?: string;
  /** Credentials fetched on every (re)connect; takes the place of `username` / `password`. */
  credentials?: CredentialsProvider;
  /** Database index (SELECT), default 0. */
  database?: number;
  /** Client name (CLIENT SETNAME). */
  name?: string;
  /** 3 (default) or 2: RESP2 replies are converted to the RESP3 shapes the types describe. */
  protocol?: 2 | 3;
  /** TLS options for `node:tls` (CA, client cert/key, servername, rejectUnauthorized). */
  tls?: tls.ConnectionOptions | boolean;
  /** Bound on one connection attempt — connect, credentials, handshake — in ms; default 10,000. */
  connectTimeoutMs?: number;
  /**
   * After a connection that was ready is lost: the delay before reconnect attempt `attempt`
   * (1, 2, ...), or `false` to give up. Default: exponential backoff from 50 ms to 2 s with
   * jitter, giving up after 20 attempts. A first connection that fails is not retried: its
   * error is the configuration's.
   */
  retryStrategy?: (attempt: number, error: Error) => number | false;
  /** Commands accepted while not connected (sent after the handshake); `false`: reject at once. Default 10,000. */
  offlineQueue?: number | false;
  /** Default deadline of every command, from the call, in ms (up to 2^31 - 1); none by default. */
  commandTimeoutMs?: number;
  /**
   * Read-only commands (the server's READONLY flag: GET, HGETALL, ...) whose connection died after
   * they were written are sent once more on the next connection instead of failing. Off by
   * default; writes are never re-sent.
   */
  retryReadOnly?: boolean;
  /**
   * Multiplexed connections for ordinary commands, default 1 (enough for most loads: one
   * connection carries ~600k small commands/s here). With more, commands on the same key (or
   * hash tag) always use the same connection, so their order is kept; pipelines spread by key;
   * transactions, pub/sub and blocking commands are unaffected.
   */
  connections?: number;
  /** Leased connections (blocking commands, isolated()). */
  pool?: PoolOptions;
  /**
   * Client-side caching (RESP3 only): replies of read-only commands on keys (GET, HGETALL,
   * LRANGE, ZRANGE, ...) are served from a bounded LRU until the server says a key changed
   * (CLIENT TRACKING). `true` for the defaults. See `client.cacheStats()`.
   */
  clientCache?: boolean | ClientCacheOptions;
}

/** Exponential backoff with jitter: 50 ms, 100 ms, ... up to 2 s; gives up after 20 attempts. */
export function defaultRetryStrategy(attempt: number): number | false {
  if (attempt > 20) return false;
  const base = Math.min(2000, 50 * 2 ** (attempt - 1));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/** Parsed, validated options. */
export interface ResolvedOptions {
  host: string;
  port: number;
  path: string | undefined;
  username: string | undefined;
  password: string | undefined;
  credentials: CredentialsProvider | undefined;
  database: number;
  name: string | undefined;
  protocol: 2 | 3;
  tls: tls.ConnectionOptions | undefined;
  connectTimeoutMs: number;
  retryStrategy: (attempt: number, error: Error) => number | false;
  offlineQueue: number | false;
  commandTimeoutMs: number | undefined;
  retryReadOnly: boolean;
  connections: number;
  /** The cache options when client-side caching is on: CLIENT TRACKING ON in every handshake. */
  clientCache: ClientCacheOptions | undefined;
}

/**
 * Parses `redis://[user:pass@]host[:port][/db][?protocol=2&name=x]`, `rediss://` (TLS) and
 * `unix:///path/to.sock`. Sentinel and cluster URLs belong to @pyrsedis/cluster.
 */
export function parseUrl(url: string): ClientOptions {
  const family = /^redis\+(sentinel|cluster):\/\//i.exec(url);
  if (family) {
    throw new ClientOptionsError(
      `redis+${family[1]!.toLowerCase()} URLs are handled by @pyrsedis/cluster: npm install @pyrsedis/cluster`,
    );
  }
  let parsed: URL;
  try {
    // `redis:host` (no //) would parse as a path with no host: 127.0.0.1, silently.
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new TypeError('no //');
    parsed = new URL(url);
  } catch {
    throw new ClientOptionsError(
      'invalid Redis URL (expected redis://host:port, rediss://... or unix:///path)',
    );
  }
  const options: ClientOptions = {};
  switch (parsed.protocol) {
    case 'redis:':
    case 'rediss:':
      options.host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
      if (parsed.port) options.port = Number(parsed.port);
      if (parsed.protocol === 'rediss:') options.tls = true;
      if (parsed.pathname.includes('@')) {
        // `redis://user:12/pa@host`: a password with an unescaped '/' — never quote any of it.
        throw new ClientOptionsError(
          "invalid Redis URL: an '@' after the host (a '/' in the password must be written %2F)",
        );
      }
      if (parsed.pathname.length > 1) options.database = databaseOf(parsed.pathname.slice(1), 'the URL path');
      break;
    case 'unix:':
      options.path = decoded(parsed.pathname, 'the socket path');
      if (options.path === '' || options.path === '/')
        throw new ClientOptionsError('a unix: URL needs a socket path (unix:///path/to/redis.sock)');
      break;
    case 'redis+sentinel:':
    case 'redis+cluster:':
      throw new ClientOptionsError(
        `${parsed.protocol.slice(0, -1)} URLs are handled by @pyrsedis/cluster: npm install @pyrsedis/cluster`,
      );
    default:
      throw new ClientOptionsError(
        `unsupported URL scheme "${parsed.protocol}" (use redis:, rediss: or unix:)`,
      );
  }
  if (parsed.username) options.username = decoded(parsed.username, 'the user name');
  if (parsed.password) options.password = decoded(parsed.password, 'the password');
  const seen = new Set<string>();
  for (const key of parsed.searchParams.keys()) {
    // A misspelt or unsupported option is an error, as in an options object (never ignored:
    // `?password=` would connect without one).
    if (!URL_QUERY_OPTIONS.has(key))
      throw new ClientOptionsError(
        `unknown URL option "${key.length > 32 ? `${key.slice(0, 32)}...` : key}" (known: protocol, name, db)`,
      );
    if (seen.has(key)) throw new ClientOptionsError(`the URL option "${key}" is given twice`);
    seen.add(key);
  }
  const protocol = parsed.searchParams.get('protocol');
  if (protocol !== null) {
    if (protocol !== '2' && protocol !== '3')
      throw new ClientOptionsError(`the URL option protocol must be 2 or 3, got "${protocol.slice(0, 16)}"`);
    options.protocol = Number(protocol) as 2 | 3;
  }
  const name = parsed.searchParams.get('name');
  if (name !== null) options.name = name;
  const db = parsed.searchParams.get('db');
  if (db !== null) {
    if (options.database !== undefined)
      throw new ClientOptionsError('the database is given twice in the URL (a /db path and ?db=)');
    options.database = databaseOf(db, '?db=');
  }
  return options;
}

/** The options a URL's query may carry. */
const URL_QUERY_OPTIONS = new Set(['protocol', 'name', 'db']);

/** A database number from a URL: decimal digits only (`/1e1`, `/0x2`, `?db=` are no database). */
function databaseOf(text: string, where: string): number {
  if (!/^\d{1,9}$/.test(text))
    throw new ClientOptionsError(`the database in ${where} must be a number, got "${text}"`);
  return Number(text);
}

/** A percent-decoded URL part; malformed escapes are an options error that does not quote it. */
function decoded(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ClientOptionsError(`the URL has a malformed percent-escape in ${what}`);
  }
}

const OPTION_NAMES = new Set([
  'url',
  'host',
  'port',
  'path',
  'username',
  'password',
  'credentials',
  'database',
  'name',
  'protocol',
  'tls',
  'connectTimeoutMs',
  'retryStrategy',
  'offlineQueue',
  'commandTimeoutMs',
  'retryReadOnly',
  'connections',
  'pool',
  'clientCache',
]);

/** The most setTimeout can wait (2^31 - 1 ms, ~24.8 days); longer delays fire at once. */
export const MAX_TIMER_MS: number = 2 ** 31 - 1;

/** A timeout option: a number of ms in (0, MAX_TIMER_MS], or Infinity (none) where allowed. */
function checkTimeout(name: string, value: number | undefined, infinite = false): void {
  if (value === undefined || (infinite && value === Number.POSITIVE_INFINITY)) return;
  if (typeof value !== 'number' || !(value > 0) || value > MAX_TIMER_MS)
    throw new ClientOptionsError(
      `${name} must be a number of ms in (0, ${MAX_TIMER_MS}]${infinite ? ' or Infinity (none)' : ''}, got ${String(value)}`,
    );
}

/** Validates options up front with exact messages; passwords never appear in them. */
export function resolveOptions(input: ClientOptions | string = {}): ResolvedOptions {
  let options = typeof input === 'string' ? parseUrl(input) : input;
  if (typeof options !== 'object' || options === null)
    throw new ClientOptionsError('options must be an object or a URL string');
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) throw new ClientOptionsError(`unknown option "${key}"`);
  }
  if (options.url !== undefined) {
    if (typeof options.url !== 'string') throw new ClientOptionsError('url must be a string');
    const { url, ...rest } = options;
    const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    options = { ...parseUrl(url), ...defined };
  }
  const port = options.port ?? 6379;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ClientOptionsError(`port must be 1..65535, got ${port}`);
  const database = options.database ?? 0;
  if (!Number.isInteger(database) || database < 0) {
    throw new ClientOptionsError(`database must be a non-negative integer, got ${database}`);
  }
  const protocol = options.protocol ?? 3;
  if (protocol !== 2 && protocol !== 3)
    throw new ClientOptionsError(`protocol must be 2 or 3, got ${String(protocol)}`);
  for (const key of ['username', 'password', 'name', 'path', 'host'] as const) {
    const value: unknown = options[key];
    // Never the value itself in the message: it may be a password.
    if (value !== undefined && typeof value !== 'string')
      throw new ClientOptionsError(`${key} must be a string, got ${value === null ? 'null' : typeof value}`);
  }
  if (options.path !== undefined && options.tls !== undefined && options.tls !== false) {
    throw new ClientOptionsError('path (a Unix socket) and tls do not go together: give one or the other');
  }
  if (options.name !== undefined && /\s/.test(options.name)) {
    throw new ClientOptionsError('name must not contain spaces (CLIENT SETNAME refuses them)');
  }
  if (options.name !== undefined && !/^[!-~]*$/.test(options.name)) {
    // Refused here rather than by every handshake (each reconnect would fail the same way).
    throw new ClientOptionsError('name must be printable ASCII (CLIENT SETNAME refuses other characters)');
  }
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  checkTimeout('connectTimeoutMs', connectTimeoutMs);
  const offlineQueue = options.offlineQueue ?? 10_000;
  if (offlineQueue !== false && !(Number.isInteger(offlineQueue) && offlineQueue >= 0)) {
    throw new ClientOptionsError(
      `offlineQueue must be false or a non-negative integer, got ${String(offlineQueue)}`,
    );
  }
  checkTimeout('commandTimeoutMs', options.commandTimeoutMs, true);
  if (options.credentials !== undefined && typeof options.credentials !== 'function') {
    throw new ClientOptionsError(
      'credentials must be a function () => { username?, password } (or a promise of it)',
    );
  }
  const connections = options.connections ?? 1;
  if (!Number.isInteger(connections) || connections < 1 || connections > 64) {
    throw new ClientOptionsError(`connections must be an integer 1..64, got ${String(connections)}`);
  }
  const clientCache =
    options.clientCache === true ? {} : options.clientCache === false ? undefined : options.clientCache;
  if (clientCache !== undefined) {
    if (protocol !== 3) throw new ClientOptionsError('clientCache needs RESP3 (protocol 3)');
    const { maxEntries, ttlMs } = clientCache;
    if (maxEntries !== undefined && !(Number.isInteger(maxEntries) && maxEntries > 0))
      throw new ClientOptionsError(`clientCache.maxEntries must be a positive integer, got ${maxEntries}`);
    checkTimeout('clientCache.ttlMs', ttlMs);
  }
  if (options.retryStrategy !== undefined && typeof options.retryStrategy !== 'function') {
    throw new ClientOptionsError('retryStrategy must be a function (attempt, error) => delay in ms | false');
  }
  return {
    // An IPv6 address as URLs write it (`[::1]`): the socket wants it bare.
    host: options.host?.replace(/^\[(.*)\]$/, '$1') ?? '127.0.0.1',
    port,
    path: options.path,
    username: options.username,
    password: options.password,
    credentials: options.credentials,
    database,
    name: options.name,
    protocol,
    tls: options.tls === true ? {} : options.tls === false ? undefined : options.tls,
    connectTimeoutMs,
    retryStrategy: options.retryStrategy ?? defaultRetryStrategy,
    offlineQueue,
    commandTimeoutMs: options.commandTimeoutMs,
    retryReadOnly: options.retryReadOnly === true,
    connections,
    clientCache,
  };
}

// Client-side caching (RESP3 CLIENT TRACKING, default mode): replies of read-only, deterministic
// commands are kept in a bounded LRU; the server pushes `invalidate` for every key this client
// read once it changes (or expires, or is evicted), and the entry goes. Writes issued by this
// client drop their keys locally at once (read-your-writes within a tick); a dropped connection
// empties the cache (invalidations may have been lost with it).
import { bytesKey, commandKeys, lookupCommand } from './commands/keys.js';
import type { CommandArgument } from './commands/sender.js';
import { CommandFlag } from './generated/command-table.js';

/** Options of `clientCache`. */
export interface ClientCacheOptions {
  /** Most replies kept; the least recently used goes first. Default 10,000. */
  maxEntries?: number;
  /**
   * Longest time an entry is served, in ms (default: no limit). Invalidations keep entries
   * correct; a key that expires stays cached until the server actually deletes it (active
   * expiry, usually well under a second), which this bounds.
   */
  ttlMs?: number;
}

/** What `client.cacheStats()` reports. */
export interface CacheStats {
  /** Calls answered from the cache. */
  hits: number;
  /** Cacheable calls sent to the server. */
  misses: number;
  /** Replies held now. */
  entries: number;
  /** Entries dropped by invalidations (server pushes, own writes, reconnects). */
  invalidations: number;
  /** Entries dropped to stay within `maxEntries`. */
  evictions: number;
}

/**
 * Read-only commands whose reply depends only on the keys' contents — never on time (TTL, PTTL,
 * OBJECT IDLETIME), randomness (SRANDMEMBER, RANDOMKEY), or anything but the keys.
 */
const CACHEABLE = new Set([
  'BITCOUNT',
  'BITPOS',
  'EXISTS',
  'GEODIST',
  'GEOHASH',
  'GEOPOS',
  'GET',
  'GETBIT',
  'GETRANGE',
  'HEXISTS',
  'HGET',
  'HGETALL',
  'HKEYS',
  'HLEN',
  'HMGET',
  'HSTRLEN',
  'HVALS',
  'LINDEX',
  'LLEN',
  'LPOS',
  'LRANGE',
  'MGET',
  'SCARD',
  'SDIFF',
  'SINTER',
  'SISMEMBER',
  'SMEMBERS',
  'SMISMEMBER',
  'STRLEN',
  'SUBSTR',
  'SUNION',
  'TYPE',
  'XLEN',
  'XRANGE',
  'XREVRANGE',
  'ZCARD',
  'ZCOUNT',
  'ZLEXCOUNT',
  'ZMSCORE',
  'ZRANGE',
  'ZRANGEBYLEX',
  'ZRANGEBYSCORE',
  'ZRANK',
  'ZREVRANGE',
  'ZREVRANGEBYLEX',
  'ZREVRANGEBYSCORE',
  'ZREVRANK',
  'ZSCORE',
]);

interface Entry {
  value: unknown;
  keys: string[];
  at: number;
}

/** A read in flight: its reply is stored only if none of its keys was invalidated meanwhile. */
interface Flight {
  valid: boolean;
}

/**
 * A command that may write: the keys it touches were dropped. Its write may reach the server
 * after reads sent on other connections (the server's invalidation then arrives on those, maybe
 * after the write's own reply): drop them again once it settles ({@link ClientCache.probeWrite}).
 */
export const WROTE = { wrote: true } as const;

/** What the client does with a command: serve it, fetch and store it, or just send it. */
export type CacheProbe =
  | { hit: true; value: unknown }
  | { hit: false; store: (value: unknown) => void; release: () => void }
  | typeof WROTE
  | undefined;

/** Copies a reply so a caller mutating what it got cannot change the cached copy. */
function copy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(copy);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [copy(k), copy(v)]));
  if (value instanceof Set) return new Set([...value].map(copy));
  const proto = Object.getPrototypeOf(value);
  if (proto !== null && proto !== Object.prototype) return value;
  const out = Object.create(proto) as Record<string, unknown>;
  for (const key of Object.keys(value)) out[key] = copy((value as Record<string, unknown>)[key]);
  return out;
}

/** @internal The cache of one client. */
/** JSON for cache keys: a bigint argument as its digits (`1n` and `1` are the same argument). */
function bigintAsText(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export class ClientCache {
  readonly #max: number;
  readonly #ttlMs: number | undefined;
  readonly #entries = new Map<string, Entry>();
  /** Redis key → cache keys of the entries that depend on it. */
  readonly #byKey = new Map<string, Set<string>>();
  readonly #flights = new Map<string, Set<Flight>>();
  #hits = 0;
  #misses = 0;
  #invalidations = 0;
  #evictions = 0;

  constructor(options: ClientCacheOptions) {
    this.#max = options.maxEntries ?? 10_000;
    this.#ttlMs = options.ttlMs;
  }

  stats(): CacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      entries: this.#entries.size,
      invalidations: this.#invalidations,
      evictions: this.#evictions,
    };
  }

  /**
   * Looks a command up. Cacheable: a hit, or a miss with `store` for its reply. Anything else
   * that may write drops the keys it touches (everything, when they cannot be known).
   */
  probe(argv: CommandArgument[], buffers: boolean): CacheProbe {
    const found = lookupCommand(argv);
    if (found === undefined || !CACHEABLE.has(found.name))
      return this.#dropWritten(found, argv) ? WROTE : undefined;
    const { info } = found;
    // Binary arguments are sent as bytes; invalidations name keys as strings: not cached.
    for (let i = 1; i < argv.length; i++) if (typeof argv[i] === 'object') return undefined;
    const cacheKey = (buffers ? 'b' : 's') + JSON.stringify(argv, bigintAsText);
    const entry = this.#entries.get(cacheKey);
    if (entry !== undefined) {
      if (this.#ttlMs === undefined || performance.now() - entry.at < this.#ttlMs) {
        this.#hits++;
        // Most recently used goes last.
        this.#entries.delete(cacheKey);
        this.#entries.set(cacheKey, entry);
        return { hit: true, value: copy(entry.value) };
      }
      this.#drop(cacheKey);
    }
    this.#misses++;
    const keys = commandKeys(argv, info).map(bytesKey);
    const flight: Flight = { valid: true };
    for (const key of keys) {
      const set = this.#flights.get(key) ?? new Set();
      set.add(flight);
      this.#flights.set(key, set);
    }
    const release = () => {
      for (const key of keys) {
        const set = this.#flights.get(key);
        set?.delete(flight);
        if (set?.size === 0) this.#flights.delete(key);
      }
    };
    return {
      hit: false,
      release,
      store: (value) => {
        release();
        if (!flight.valid) return;
        // Two reads of the same miss in flight: the later store is the most recently used.
        this.#drop(cacheKey);
        this.#entries.set(cacheKey, { value: copy(value), keys, at: performance.now() });
        for (const key of keys) {
          const set = this.#byKey.get(key) ?? new Set();
          set.add(cacheKey);
          this.#byKey.set(key, set);
        }
        if (this.#entries.size > this.#max) {
          this.#evictions++;
          this.#drop(this.#entries.keys().next().value!);
        }
      },
    };
  }

  /**
   * A command that is not served from the cache: if it may write, drop the keys it touches
   * (everything, when they cannot be known) so that a read issued after it is not answered from
   * before it. True when it may write.
   */
  probeWrite(argv: CommandArgument[]): boolean {
    return this.#dropWritten(lookupCommand(argv), argv);
  }

  #dropWritten(found: ReturnType<typeof lookupCommand>, argv: CommandArgument[]): boolean {
    if (found === undefined) {
      // A module command (GRAPH.QUERY, JSON.SET...): its keys are unknown; it may write any.
      this.clear();
      return true;
    }
    if (found.name === 'SELECT' || found.name === 'SWAPDB') {
      // Cached values belong to the database they were read from: another one is now in use.
      this.clear();
      return true;
    }
    const flags = found.info.flags;
    if ((flags & CommandFlag.PUBSUB) !== 0) return false;
    if ((flags & (CommandFlag.WRITE | CommandFlag.MAY_REPLICATE | CommandFlag.TOUCHES_ARBITRARY_KEYS)) === 0)
      return false;
    const keys = commandKeys(argv, found.info);
    if (keys.length === 0 || (flags & CommandFlag.TOUCHES_ARBITRARY_KEYS) !== 0) this.clear();
    else for (const key of keys) this.invalidate(bytesKey(key));
    return true;
  }

  #drop(cacheKey: string): void {
    const entry = this.#entries.get(cacheKey);
    if (entry === undefined) return;
    this.#entries.delete(cacheKey);
    for (const key of entry.keys) {
      const set = this.#byKey.get(key);
      set?.delete(cacheKey);
      if (set?.size === 0) this.#byKey.delete(key);
    }
  }

  /** A key changed: drop what depends on it, and do not store replies of reads in flight on it. */
  invalidate(key: string): void {
    const flights = this.#flights.get(key);
    if (flights !== undefined) for (const flight of flights) flight.valid = false;
    const dependents = this.#byKey.get(key);
    if (dependents === undefined) return;
    for (const cacheKey of [...dependents]) {
      this.#invalidations++;
      this.#drop(cacheKey);
    }
  }

  /** Everything may have changed (FLUSHALL from the server, a lost connection). */
  clear(): void {
    for (const set of this.#flights.values()) for (const flight of set) flight.valid = false;
    this.#invalidations += this.#entries.size;
    this.#entries.clear();
    this.#byKey.clear();
  }

  /** A push from the server: `invalidate` with keys, or with null after FLUSHALL / FLUSHDB. */
  onPush(push: unknown[]): void {
    if (String(push[0]) !== 'invalidate') return; // push frames arrive with Buffers
    const keys = push[1];
    if (!Array.isArray(keys)) this.clear();
    else for (const key of keys) this.invalidate(bytesKey(key));
  }
}

// Leased connections: exclusive connections for blocking commands (BLPOP, BLMOVE, XREAD BLOCK,
// WAIT...: from the generated BLOCKING flag), WATCH transactions and client.isolated(). LIFO
// reuse of idle ones, a bounded size with a FIFO queue of waiters and an acquire timeout, idle
// eviction, a health check on checkout.
import { Connection } from './connection/connection.js';
import type { ResolvedOptions } from './connection/options.js';
import { ClientOptionsError, ConnectionError, TimeoutError } from './errors.js';

/** Pool sizes and timings. */
export interface PoolOptions {
  /** Most leased connections open at once; default 16. */
  maxLeased?: number;
  /** How long a lease may wait for a free connection; default 10,000 ms. */
  acquireTimeoutMs?: number;
  /** Idle leased connections are closed after this long; default 30,000 ms. */
  idleTimeoutMs?: number;
}

/** What `client.poolStats()` reports. */
export interface PoolStats {
  /** Leased connections in use (or opening for a caller). */
  leased: number;
  /** Open, idle, ready for the next lease. */
  idle: number;
  /** Callers waiting for a connection. */
  waiting: number;
}

interface Waiter {
  resolve: (connection: Connection) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** A pool option: a positive number (an integer for counts), or its default when absent. */
function poolOption(pool: PoolOptions, name: keyof PoolOptions, fallback: number, integer: boolean): number {
  const value = pool[name];
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !(value > 0) ||
    (integer && !Number.isInteger(value)) ||
    !Number.isFinite(value)
  )
    throw new ClientOptionsError(
      `pool.${name} must be a positive ${integer ? 'integer' : 'number of ms'}, got ${String(value)}`,
    );
  return value;
}

/** @internal */
export class LeasePool {
  readonly #options: ResolvedOptions;
  readonly #max: number;
  readonly #acquireTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  #idle: { connection: Connection; timer: NodeJS.Timeout }[] = [];
  #leased = new Set<Connection>();
  #opening = new Set<Connection>();
  #waiters: Waiter[] = [];
  /** Connections on a database the client no longer uses: closed when released. */
  #stale = new Set<Connection>();
  #closed = false;

  constructor(options: ResolvedOptions, pool: PoolOptions = {}) {
    // A leased connection that fails is dropped, not reconnected: the next lease opens another.
    // They do not track keys for the client-side cache (writes there still drop cached keys).
    this.#options = { ...options, retryStrategy: () => false, offlineQueue: false, clientCache: undefined };
    this.#max = poolOption(pool, 'maxLeased', 16, true);
    this.#acquireTimeoutMs = poolOption(pool, 'acquireTimeoutMs', 10_000, false);
    this.#idleTimeoutMs = poolOption(pool, 'idleTimeoutMs', 30_000, false);
  }

  stats(): PoolStats {
    // A connection still opening for a caller is already theirs.
    return {
      leased: this.#leased.size + this.#opening.size,
      idle: this.#idle.length,
      waiting: this.#waiters.length,
    };
  }

  /**
   * A connection of its own for the caller. `deadline`: the caller's command deadline (ms from
   * now) and abort signal also bound the wait for a free connection — a command's timeout runs
   * from its call, not from when a connection was free.
   */
  async acquire(
    deadline: { timeoutMs?: number; signal?: AbortSignal; command?: string } = {},
  ): Promise<Connection> {
    if (this.#closed) throw new ConnectionError('client is closed', { mayHaveExecuted: false });
    deadline.signal?.throwIfAborted();
    // LIFO: the most recently used connection is the warmest; unhealthy ones are dropped.
    while (this.#idle.length) {
      const { connection, timer } = this.#idle.pop()!;
      clearTimeout(timer);
      if (connection.state === 'ready') {
        this.#leased.add(connection);
        return connection;
      }
      connection.destroy();
    }
    if (this.#leased.size + this.#opening.size < this.#max) {
      const connection = new Connection(this.#options);
      connection.on('error', () => {});
      this.#opening.add(connection);
      try {
        await connection.ready;
      } finally {
        this.#opening.delete(connection);
        // A slot is free again whether it opened or not: a waiter queued meanwhile must not wait
        // for a release that may never come.
        if (connection.state !== 'ready') this.#serveWaiter();
      }
      if (this.#closed) {
        // The client closed while this connection was opening.
        connection.destroy();
        throw new ConnectionError('client closed while a connection was opening', { mayHaveExecuted: false });
      }
      this.#leased.add(connection);
      // The client selected another database while this one was opening: switch it too.
      if (this.#stale.delete(connection)) {
        try {
          await connection.sendCommand(['SELECT', this.#options.database]);
        } catch (err) {
          this.#leased.delete(connection);
          connection.destroy();
          this.#serveWaiter();
          throw err;
        }
      }
      return connection;
    }
    return new Promise<Connection>((resolve, reject) => {
      const commandFirst = deadline.timeoutMs !== undefined && deadline.timeoutMs < this.#acquireTimeoutMs;
      const leave = (error: Error) => {
        const at = this.#waiters.indexOf(waiter);
        if (at < 0) return;
        this.#waiters.splice(at, 1);
        clearTimeout(waiter.timer);
        deadline.signal?.removeEventListener('abort', onAbort);
        reject(error);
      };
      const onAbort = () => leave(deadline.signal!.reason as Error);
      const waiter: Waiter = {
        resolve: (connection) => {
          deadline.signal?.removeEventListener('abort', onAbort);
          resolve(connection);
        },
        reject: (error) => {
          deadline.signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
        timer: setTimeout(
          () =>
            leave(
              commandFirst
                ? new TimeoutError(
                    `no reply within ${deadline.timeoutMs} ms (waited for a leased connection)`,
                    {
                      command: deadline.command,
                      mayHaveExecuted: false,
                    },
                  )
                : new TimeoutError(
                    `no leased connection free within ${this.#acquireTimeoutMs} ms (maxLeased ${this.#max})`,
                    { mayHaveExecuted: false },
                  ),
            ),
          commandFirst ? deadline.timeoutMs : this.#acquireTimeoutMs,
        ),
      };
      deadline.signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Hands a free slot to the first waiter (a new connection for it). */
  #serveWaiter(): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) return;
    clearTimeout(waiter.timer);
    this.acquire().then(waiter.resolve, waiter.reject);
  }

  /**
   * The client selected another database: connections opened from now on select it, idle ones
   * are closed, and the ones in use are closed when they come back (they are on the old one).
   */
  setDatabase(database: number): void {
    this.#options.database = database;
    for (const connection of this.#leased) this.#stale.add(connection);
    for (const connection of this.#opening) this.#stale.add(connection);
    for (const { connection, timer } of this.#idle) {
      clearTimeout(timer);
      void connection.close();
    }
    this.#idle = [];
  }

  release(connection: Connection): void {
    this.#leased.delete(connection);
    const healthy = connection.state === 'ready' && !this.#closed && !this.#stale.delete(connection);
    const waiter = this.#waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      if (healthy) {
        this.#leased.add(connection);
        waiter.resolve(connection);
        return;
      }
      connection.destroy();
      this.acquire().then(waiter.resolve, waiter.reject);
      return;
    }
    if (!healthy) {
      connection.destroy();
      return;
    }
    const timer = setTimeout(() => {
      this.#idle = this.#idle.filter((entry) => entry.connection !== connection);
      void connection.close();
    }, this.#idleTimeoutMs);
    timer.unref();
    this.#idle.push({ connection, timer });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(
        new ConnectionError('client closed while waiting for a connection', { mayHaveExecuted: false }),
      );
    }
    const idle = this.#idle.splice(0);
    for (const entry of idle) clearTimeout(entry.timer);
    for (const connection of this.#opening) connection.destroy();
    // Leased connections are busy with blocking commands that may never return (BLPOP ... 0):
    // waiting for them would hang close(), so they are closed at once (their callers get a
    // ConnectionError; the server unblocks a disconnected client without popping).
    for (const connection of this.#leased) connection.destroy();
    await Promise.all(idle.map((e) => e.connection.close()));
  }

  destroy(): void {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new ConnectionError('client destroyed', { mayHaveExecuted: false }));
    }
    for (const entry of this.#idle.splice(0)) {
      clearTimeout(entry.timer);
      entry.connection.destroy();
    }
    for (const connection of this.#leased) connection.destroy();
    for (const connection of this.#opening) connection.destroy();
  }
}

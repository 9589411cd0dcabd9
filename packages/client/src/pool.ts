// Leased connections: exclusive connections for blocking commands (BLPOP, BLMOVE, XREAD BLOCK,
// WAIT...: from the generated BLOCKING flag), WATCH transactions and client.isolated(). LIFO
// reuse of idle ones, a bounded size with a FIFO queue of waiters and an acquire timeout, idle
// eviction, a health check on checkout.
import { Connection } from './connection/connection.js';
import { Fifo } from './connection/fifo.js';
import { MAX_TIMER_MS, type ResolvedOptions } from './connection/options.js';
import { SignalWaiters } from './connection/signals.js';
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

/** A caller waiting for a connection: settled once, by a connection or by its deadline. */
interface Waiter {
  /** It gave up (timed out, aborted) or was served. */
  readonly settled: boolean;
  /** Taken out of the queue (to be served). */
  dequeued(): void;
  /** Hands over a connection; false if the caller already gave up (timeout, abort). */
  give(connection: Connection): boolean;
  /** Rejects the caller (no effect once settled). */
  fail(error: Error): void;
}

/** A pool option: a positive number (an integer for counts), or its default when absent. */
function poolOption(pool: PoolOptions, name: keyof PoolOptions, fallback: number, integer: boolean): number {
  const value = pool[name];
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !(value > 0) ||
    (integer && !Number.isInteger(value)) ||
    !Number.isFinite(value) ||
    (!integer && value > MAX_TIMER_MS)
  )
    throw new ClientOptionsError(
      `pool.${name} must be a positive ${integer ? 'integer' : `number of ms up to ${MAX_TIMER_MS}`}, got ${String(value)}`,
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
  /** Callers waiting for a slot, in order; those that gave up stay until reached (skipped). */
  #waiters = new Fifo<Waiter>();
  /** Waiters in #waiters that have not given up. */
  #waiting = 0;
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
      waiting: this.#waiting,
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
    const room = this.#leased.size + this.#opening.size < this.#max;
    return new Promise<Connection>((resolve, reject) => {
      const waiter = this.#waiter(deadline, !room, resolve, reject);
      if (room) this.#openFor(waiter);
      else {
        this.#waiters.push(waiter);
        this.#waiting++;
      }
    });
  }

  /**
   * A caller's wait, bounded by its command's deadline and abort signal — also while a connection
   * is being opened for it — and, while queued for a free slot, by `acquireTimeoutMs`.
   */
  #waiter(
    deadline: { timeoutMs?: number; signal?: AbortSignal; command?: string },
    queued: boolean,
    resolve: (connection: Connection) => void,
    reject: (error: Error) => void,
  ): Waiter {
    let settled = false;
    // A command deadline the timers can express (Infinity: none).
    const commandMs =
      deadline.timeoutMs !== undefined && Number.isFinite(deadline.timeoutMs)
        ? Math.min(deadline.timeoutMs, MAX_TIMER_MS)
        : undefined;
    const commandFirst = commandMs !== undefined && (!queued || commandMs < this.#acquireTimeoutMs);
    let inQueue = queued;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      if (deadline.signal !== undefined) this.#aborts.delete(deadline.signal, onAbort);
      // Left in the queue (removing it would scan the queue): skipped when reached — and the
      // queue compacted once most of it gave up, so that waits given up never pile up.
      if (inQueue) {
        this.#waiting--;
        inQueue = false;
        if (this.#waiters.length > 64 && this.#waiting * 2 < this.#waiters.length) this.#compact();
      }
      return true;
    };
    const waiter: Waiter = {
      get settled() {
        return settled;
      },
      dequeued: () => {
        if (inQueue) this.#waiting--;
        inQueue = false;
      },
      give: (connection) => {
        if (!settle()) return false;
        resolve(connection);
        return true;
      },
      fail: (error) => {
        if (settle()) reject(error);
      },
    };
    const onAbort = (): void => waiter.fail(deadline.signal!.reason as Error);
    const timer =
      commandFirst || queued
        ? setTimeout(
            () =>
              waiter.fail(
                commandFirst
                  ? new TimeoutError(
                      `no reply within ${deadline.timeoutMs} ms (waited for a leased connection)`,
                      { command: deadline.command, mayHaveExecuted: false },
                    )
                  : new TimeoutError(
                      `no leased connection free within ${this.#acquireTimeoutMs} ms (maxLeased ${this.#max})`,
                      { mayHaveExecuted: false },
                    ),
              ),
            commandFirst ? commandMs : this.#acquireTimeoutMs,
          )
        : undefined;
    if (deadline.signal !== undefined) this.#aborts.add(deadline.signal, onAbort);
    return waiter;
  }

  /** Waits given up on an abort: one listener per signal, not per waiter. */
  readonly #aborts = new SignalWaiters<() => void>((onAbort) => onAbort());

  /** Drops the waiters that gave up from the queue (keeping the others' order). */
  #compact(): void {
    const live = new Fifo<Waiter>();
    for (const waiter of this.#waiters.drain()) if (!waiter.settled) live.push(waiter);
    this.#waiters = live;
  }

  /**
   * Opens a connection for a waiter (a slot is free). Should the waiter give up before it is
   * open, the connection goes to the next waiter or the idle list — it is not wasted.
   */
  #openFor(waiter: Waiter): void {
    const connection = new Connection(this.#options, { leased: true });
    connection.on('error', () => {});
    this.#opening.add(connection);
    connection.ready.then(
      async () => {
        this.#opening.delete(connection);
        if (this.#closed) {
          connection.destroy();
          waiter.fail(
            new ConnectionError('client closed while a connection was opening', { mayHaveExecuted: false }),
          );
          return;
        }
        this.#leased.add(connection);
        // The client selected another database, or named its connections otherwise, while this
        // one was opening (with the old ones): switch it too.
        if (this.#stale.delete(connection)) {
          const { database, name } = this.#options;
          try {
            await Promise.all([
              connection.sendCommand(['SELECT', database]),
              connection.sendCommand(['CLIENT', 'SETNAME', name ?? '']),
            ]);
            connection.useDatabase(database);
          } catch (err) {
            this.#leased.delete(connection);
            connection.destroy();
            waiter.fail(err as Error);
            this.#serveWaiter();
            return;
          }
        }
        if (!waiter.give(connection)) this.release(connection);
      },
      (err: Error) => {
        this.#opening.delete(connection);
        waiter.fail(
          this.#closed
            ? new ConnectionError('client closed while a connection was opening', { mayHaveExecuted: false })
            : err,
        );
        // The slot is free again: a waiter queued meanwhile must not wait for a release that may
        // never come.
        this.#serveWaiter();
      },
    );
  }

  /** The first waiter that has not given up, taken out of the queue. */
  #nextWaiter(): Waiter | undefined {
    for (let waiter = this.#waiters.shift(); waiter !== undefined; waiter = this.#waiters.shift()) {
      if (waiter.settled) continue;
      waiter.dequeued();
      return waiter;
    }
    return undefined;
  }

  /** A slot is free and no connection to hand over: open one for the first waiter. */
  #serveWaiter(): void {
    if (this.#closed) return;
    const waiter = this.#nextWaiter();
    if (waiter !== undefined) this.#openFor(waiter);
  }

  /**
   * The client selected another database: connections opened from now on select it, idle ones
   * are closed, and the ones in use are closed when they come back (they are on the old one).
   */
  setDatabase(database: number): void {
    this.#options.database = database;
    this.#retireAll();
  }

  /** The connection name from now on: leased connections named otherwise are retired. */
  setName(name: string | undefined): void {
    this.#options.name = name;
    this.#retireAll();
  }

  /** Every connection opened so far goes: idle ones now, leased and opening ones when released. */
  #retireAll(): void {
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
    if (!healthy) {
      connection.destroy();
      this.#serveWaiter();
      return;
    }
    // The first waiter that has not given up gets it.
    for (let waiter = this.#nextWaiter(); waiter !== undefined; waiter = this.#nextWaiter()) {
      this.#leased.add(connection);
      if (waiter.give(connection)) return;
      this.#leased.delete(connection);
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
    for (const waiter of this.#waiters.drain()) {
      waiter.fail(
        new ConnectionError('client closed while waiting for a connection', { mayHaveExecuted: false }),
      );
    }
    const idle = this.#idle.splice(0);
    for (const entry of idle) clearTimeout(entry.timer);
    for (const connection of this.#opening) connection.destroy();
    // A leased connection with a blocking command that may never return (BLPOP ... 0) is closed
    // at once: waiting for it would hang close() (its caller gets a ConnectionError; the server
    // unblocks a disconnected client without popping). The others — isolated() sessions doing
    // ordinary work — are closed gracefully: the replies in flight arrive first.
    const leased: Promise<void>[] = [];
    for (const connection of this.#leased) {
      if (connection.blocking) connection.destroy();
      else leased.push(connection.close());
    }
    await Promise.all([...idle.map((e) => e.connection.close()), ...leased]);
  }

  destroy(): void {
    this.#closed = true;
    for (const waiter of this.#waiters.drain()) {
      waiter.fail(new ConnectionError('client destroyed', { mayHaveExecuted: false }));
    }
    for (const entry of this.#idle.splice(0)) {
      clearTimeout(entry.timer);
      entry.connection.destroy();
    }
    for (const connection of this.#leased) connection.destroy();
    for (const connection of this.#opening) connection.destroy();
  }
}

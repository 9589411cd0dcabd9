// createClient: a client over one multiplexed connection, with the whole typed command surface.
import { EventEmitter } from 'node:events';
import { PyrsedisError } from '@pyrsedis/resp';
import { type CacheStats, ClientCache, WROTE } from './cache.js';
import {
  commandKeyIndexes,
  commandRoute,
  lookupCommand,
  ROUTE_BLOCKING,
  ROUTE_SELECT,
  ROUTE_SETNAME,
  ROUTE_SHARED,
  refusedOnShared,
  SUBSCRIPTION_COMMANDS,
} from './commands/keys.js';
import {
  hscanIterator,
  type ScanIteratorOptions,
  scanIterator,
  sscanIterator,
  zscanIterator,
} from './commands/scan.js';
import {
  type CommandArgument,
  type CommandSender,
  type RedisArgument,
  type ReplyTransformFunction,
  type SendOptions,
  viewOptions,
  withOptions,
} from './commands/sender.js';
import { keySlot } from './commands/slot.js';
import { Connection, type ConnectionState, commandName } from './connection/connection.js';
import {
  type ClientOptions,
  MAX_TIMER_MS,
  type ResolvedOptions,
  resolveOptions,
} from './connection/options.js';
import { commandChannel, commandTraced } from './diagnostics.js';
import { ConnectionError, TimeoutError } from './errors.js';
import { COMMAND_METHODS, type Commands } from './generated/commands.js';
import { type Chain, Pipeline } from './pipeline.js';
import { LeasePool, type PoolStats } from './pool.js';
import {
  type BufferMessageListener,
  type ChannelName,
  type MessageListener,
  Subscriptions,
} from './pubsub.js';

/** Whether a failed command may have run on the server (a ConnectionError or TimeoutError says). */
function mayHaveRun(err: unknown): boolean {
  return (err as { mayHaveExecuted?: boolean } | undefined)?.mayHaveExecuted === true;
}

/**
 * A write sent on another connection than the cache's reads (a lease, a session, another of the
 * shared ones): its keys were dropped when it was sent and are dropped again when it settles.
 * The server's invalidation reaches the reading connection, maybe after this reply; meanwhile a
 * read sent before the write ran may come back with the old value and be stored — or be in
 * flight, and dropping marks it not to be stored.
 */
function dropAgain<T>(cache: ClientCache, argvs: readonly CommandArgument[][], sent: Promise<T>): Promise<T> {
  return sent.finally(() => {
    for (const argv of argvs) cache.probeWrite(argv);
  });
}

/**
 * A Redis client. Commands issued in the same tick are auto-pipelined: one write, one buffer.
 *
 * ```ts
 * await using client = await createClient('redis://127.0.0.1:6379').connect();
 * await client.set('greeting', 'hello', { expiration: { seconds: 60 } });
 * ```
 *
 * Events: `connect`, `ready`, `reconnecting` ({ attempt, delayMs, error }), `error`, `end`,
 * `push` (RESP3 push messages), `state` (every transition of the connection's state machine).
 * With `connections: N`, each connection emits its own connection events.
 */
export class Client extends EventEmitter implements CommandSender, AsyncDisposable {
  /** The multiplexed connections (`connections` option); the first also carries RESP3 pub/sub. */
  readonly #connections: Connection[];
  readonly #connection: Connection;
  readonly #subscriptions: Subscriptions;
  readonly #pool: LeasePool;
  readonly #cache: ClientCache | undefined;
  readonly #commandTimeoutMs: number | undefined;
  /** The options every shared connection handshakes with (SELECT updates the database). */
  readonly #options: ResolvedOptions;
  #nextKeyless = 0;
  /** close() or destroy() was called. */
  #closing = false;
  /**
   * What messages() loops run when the client ends (or their subscriber connection does): one
   * Set, not one 'end' listener per loop (11 loops passed EventEmitter's listener warning).
   */
  readonly #endWatchers = new Set<(error?: ConnectionError) => void>();
  /** 'end' was emitted (once, when every connection is closed). */
  #ended = false;

  constructor(options?: ClientOptions | string) {
    super();
    const resolved = resolveOptions(options);
    this.#options = resolved;
    this.#commandTimeoutMs = resolved.commandTimeoutMs;
    // The pool first: it validates its options before any connection is opened.
    this.#pool = new LeasePool(resolved, typeof options === 'object' ? options.pool : undefined);
    this.#connections = Array.from({ length: resolved.connections }, () => new Connection(resolved));
    this.#connection = this.#connections[0]!;
    // A message listener that throws: reported on 'error' (a process warning when nobody listens).
    const report = (error: unknown): void => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
      else process.emitWarning(error instanceof Error ? error : new Error(String(error)), 'PyrsedisWarning');
    };
    this.#subscriptions = new Subscriptions(this.#connection, resolved, report, (error) => {
      // RESP2's dedicated subscriber connection gave up: reported, and messages() loops end.
      report(error);
      for (const watcher of [...this.#endWatchers]) watcher(error);
    });
    const cache = resolved.clientCache === undefined ? undefined : new ClientCache(resolved.clientCache);
    this.#cache = cache;
    for (const connection of this.#connections) {
      if (cache !== undefined) {
        connection.on('push', (push: unknown[]) => cache.onPush(push));
        // Invalidations may be lost with a connection: nothing cached survives it.
        connection.on('state', (state: ConnectionState) => {
          if (state !== 'ready') cache.clear();
        });
      }
      for (const event of ['connect', 'ready', 'reconnecting', 'push', 'state'] as const) {
        connection.on(event, (...args: unknown[]) => this.emit(event, ...args));
      }
      // One connection closed for good (its reconnecting gave up, or close/destroy): the client
      // ends with it — all of it, once — rather than run on with some keys unreachable.
      connection.on('end', () => {
        if (!this.#closing) this.#teardown();
        if (this.#connections.every((c) => c.state === 'closed') && !this.#ended) {
          this.#ended = true;
          for (const watcher of [...this.#endWatchers]) watcher();
          this.emit('end');
        }
      });
      // Errors reach the client's listeners; unobserved ones do not crash the process, since every
      // command waiting on the connection is rejected with them anyway.
      connection.on('error', (err: Error) => {
        if (this.listenerCount('error') > 0) this.emit('error', err);
      });
    }
  }

  /**
   * The client behind `this`: itself, or the client a view (`withOptions`, `withBuffers`: an
   * object whose prototype chain leads to it) was made from — private state lives there only.
   */
  static #own(target: Client): Client {
    let o: object | null = target;
    while (o !== null && !(#cache in o)) o = Object.getPrototypeOf(o) as object | null;
    if (o === null) throw new TypeError('not a pyrsedis Client (nor a view of one)');
    return o as Client;
  }

  /** The state of the (first) connection: connecting, handshake, ready, reconnecting, closing, closed. */
  get state(): ConnectionState {
    const self = Client.#own(this);
    return self.#connection.state;
  }

  /** The protocol in use: 3, or 2 (asked for, or the server has no HELLO). */
  get protocol(): 2 | 3 {
    const self = Client.#own(this);
    return self.#connection.protocol;
  }

  /** Waits until every connection's handshake is done; rejects with the reason one could not connect. */
  async connect(): Promise<this> {
    const self = Client.#own(this);
    try {
      await Promise.all(self.#connections.map((c) => c.ready));
    } catch (err) {
      // A first connection that fails is not retried: the others (several connections) are not
      // left open behind a client the caller never got.
      self.#teardown();
      throw err;
    }
    // Ready once is not ready now: a closed client (close(), or reconnecting gave up) says so.
    if (self.#connections.some((c) => c.state === 'closed'))
      throw new ConnectionError('the client is closed', { mayHaveExecuted: false });
    return this;
  }

  /**
   * The connection for a command: with one connection, that one; with several, the connection
   * of the first key's hash slot (commands on one key keep their order), keyless ones in turn.
   */
  #route(argv: CommandArgument[]): Connection {
    const connections = this.#connections;
    if (connections.length === 1) return this.#connection;
    const found = lookupCommand(argv);
    if (found !== undefined) {
      const at = commandKeyIndexes(argv, found.info)[0];
      if (at !== undefined) return connections[keySlot(argv[at]!) % connections.length]!;
    } else if (argv.length > 1) {
      // A command the table does not know (a module's: VADD, JSON.SET, FT.SEARCH...): their first
      // argument is the key by convention, so commands on one key keep their order.
      return connections[keySlot(argv[1]!) % connections.length]!;
    }
    this.#nextKeyless = (this.#nextKeyless + 1) % connections.length;
    return connections[this.#nextKeyless]!;
  }

  /**
   * The sender of a `multi()`: a transaction stays on one connection from MULTI to EXEC — the
   * connection of its first key's slot (so that commands on that key, before and after it, keep
   * their order), chosen when it is sent.
   */
  #pinned(): CommandSender {
    const cache = this.#cache;
    const primary = this.#connection;
    let chosen: Connection | undefined = this.#connections.length === 1 ? primary : undefined;
    const connectionFor = (argvs: CommandArgument[][]): Connection => {
      if (chosen !== undefined) return chosen;
      // The first command with a key, by #route's rule (a module command's first argument).
      const keyed = argvs.find((argv) => {
        const found = lookupCommand(argv);
        return found === undefined ? argv.length > 1 : commandKeyIndexes(argv, found.info).length > 0;
      });
      // Keyless (PING): the next connection in turn.
      chosen = this.#route(keyed ?? ['PING']);
      return chosen;
    };
    // One connection: the server's invalidations reach it before the replies of the writes.
    const elsewhere = cache !== undefined && this.#connections.length > 1 ? cache : undefined;
    return {
      shared: true,
      sendCommand: (argv, transform, opts) => {
        const wrote = cache?.probeWrite(argv) === true;
        const sent = connectionFor([argv]).sendCommand(argv, transform, opts);
        return wrote && elsewhere !== undefined ? dropAgain(elsewhere, [argv], sent) : sent;
      },
      sendTransaction: (argvs, opts) => {
        if (cache !== undefined) for (const argv of argvs) cache.probeWrite(argv);
        const sent = connectionFor(argvs).sendTransaction(argvs, opts);
        return elsewhere !== undefined ? dropAgain(elsewhere, argvs, sent) : sent;
      },
      get protocol() {
        return (chosen ?? primary).protocol;
      },
    };
  }

  /** Sends any command: `client.sendCommand(['GET', 'key'])`. */
  sendCommand(
    argv: CommandArgument[],
    transform?: ReplyTransformFunction,
    options?: SendOptions,
  ): Promise<unknown> {
    const route = commandRoute(argv);
    if (route !== ROUTE_SHARED) {
      // Blocking commands (the generated BLOCKING flag, WAIT aside: see commandRoute) get a
      // leased connection of their own, so they never hold up the commands on the shared one.
      if (route === ROUTE_BLOCKING) {
        // A write (BLPOP, BLMOVE...): the keys it touches leave the cache before and after it, not
        // only when the server's invalidation arrives (later, on the shared connection).
        const cache = this.#cache;
        if (cache === undefined) return this.#leased(argv, transform, options);
        cache.probeWrite(argv);
        return dropAgain(cache, [argv], this.#leased(argv, transform, options));
      }
      if (route === ROUTE_SELECT) return this.#select(argv, transform, options);
      if (route === ROUTE_SETNAME) return this.#setName(argv, transform, options);
      return this.#refused(argv, refusedOnShared(argv));
    }
    if (this.#connections.length > 1 && isWait(argv)) return this.#waitAll(argv, transform, options);
    if (this.#cache !== undefined) return this.#cached(this.#cache, argv, transform, options);
    return this.#route(argv).sendCommand(argv, transform, options);
  }

  /**
   * WAIT / WAITAOF with several connections: they count the acknowledgements of the writes of
   * the connection they run on, and writes are spread over all of them — so they run on every
   * connection and the smallest count is the answer (what all writes so far reached).
   */
  async #waitAll(
    argv: CommandArgument[],
    transform: ReplyTransformFunction | undefined,
    options: SendOptions | undefined,
  ): Promise<unknown> {
    const replies = await Promise.all(this.#connections.map((c) => c.sendCommand(argv, undefined, options)));
    const first = replies[0];
    const least = Array.isArray(first)
      ? first.map((_, i) => Math.min(...replies.map((r) => Number((r as unknown[])[i]))))
      : Math.min(...replies.map(Number));
    return transform ? transform(least) : least;
  }

  /**
   * SELECT on the client: every shared connection switches (in order with the commands around
   * it), and the database is kept for reconnects and for leased connections opened afterwards
   * (idle leased ones, on the old database, are closed) — like the `database` option.
   */
  async #select(
    argv: CommandArgument[],
    transform: ReplyTransformFunction | undefined,
    options: SendOptions | undefined,
  ): Promise<unknown> {
    this.#cache?.clear();
    // (Not a database number: the server refuses it, nothing to switch.)
    const database = Number(String(argv[1]));
    const valid = Number.isInteger(database) && database >= 0;
    // Each connection reselects, after a reconnect, the database of its last SELECT answered — or
    // one that may have run (timed out, connection lost after writing it): a command queued
    // before this SELECT while reconnecting runs on the old database, as issued.
    const replies = this.#connections.map((c) =>
      c.sendCommand(argv, transform, options).then(
        (reply) => {
          if (valid) c.useDatabase(database);
          return reply;
        },
        (err: unknown) => {
          if (valid && mayHaveRun(err)) c.useDatabase(database);
          throw err;
        },
      ),
    );
    // Leases taken from now on (a BLPOP issued right after, in the same tick) are on the new
    // database, as the shared connections' commands are; back to the old one only if it was
    // refused everywhere (a SELECT that may have run leaves them on the new one, as it does the
    // shared connections).
    const previous = this.#options.database;
    const switching = valid && database !== previous;
    if (switching) this.#useDatabase(database);
    const settled = await Promise.allSettled(replies);
    const unswitched = settled.every((r) => r.status === 'rejected' && !mayHaveRun(r.reason));
    if (switching && unswitched) this.#useDatabase(previous);
    this.#cache?.clear();
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return (settled[0] as PromiseFulfilledResult<unknown>).value;
  }

  /**
   * CLIENT SETNAME on the client: every shared connection takes the name (in order with the
   * commands around it), kept for reconnects and for leased connections opened afterwards (idle
   * ones, named before, are closed) — like the `name` option. On one connection only, a reconnect
   * would lose it and the other connections would never have had it.
   */
  async #setName(
    argv: CommandArgument[],
    transform: ReplyTransformFunction | undefined,
    options: SendOptions | undefined,
  ): Promise<unknown> {
    const settled = await Promise.allSettled(
      this.#connections.map((c) => c.sendCommand(argv, transform, options)),
    );
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    // `CLIENT SETNAME ""` removes the name.
    const name = argv.length > 2 ? String(argv[2]) : '';
    this.#options.name = name === '' ? undefined : name;
    this.#pool.setName(this.#options.name);
    return (settled[0] as PromiseFulfilledResult<unknown>).value;
  }

  /** The database for reconnects and leases from now on. */
  #useDatabase(database: number): void {
    this.#options.database = database;
    this.#pool.setDatabase(database);
  }

  /**
   * @internal An explicit pipeline as one unit on the one connection (see
   * {@link CommandSender.sendBatch}); undefined with several connections (commands spread by
   * key) or a client-side cache (each command probes it).
   */
  sendBatch(
    argvs: CommandArgument[][],
    transforms: readonly (ReplyTransformFunction | undefined)[] | undefined,
    options?: SendOptions,
  ): Promise<unknown[]> | undefined {
    // A subclass or hand-made view that overrides sendCommand must see every command.
    if (this.sendCommand !== Client.prototype.sendCommand || !(#cache in this)) return undefined;
    if (this.#cache !== undefined || this.#connections.length !== 1) return undefined;
    // Blocking commands, SELECT (it must reach every connection and the pool) and the commands
    // refused on a shared connection: one by one (rare), each settled in its place.
    for (let i = 0; i < argvs.length; i++) if (commandRoute(argvs[i]!) !== ROUTE_SHARED) return undefined;
    return this.#connection.sendBatch(argvs, transforms, options);
  }

  #cached(
    cache: ClientCache,
    argv: CommandArgument[],
    transform: ReplyTransformFunction | undefined,
    options: SendOptions | undefined,
  ): Promise<unknown> {
    const probe =
      // A call with a reader of its own gets the reader's value, not a cacheable reply.
      options?.cache === false || options?.reader !== undefined
        ? cache.probeWrite(argv)
          ? WROTE
          : undefined
        : cache.probe(argv, options?.strings === 'buffer');
    if (probe === undefined) return this.#route(argv).sendCommand(argv, transform, options);
    if ('wrote' in probe) {
      const sent = this.#route(argv).sendCommand(argv, transform, options);
      // Several connections: reads of its keys may run on another one than this write.
      return this.#connections.length > 1 ? dropAgain(cache, [argv], sent) : sent;
    }
    if (probe.hit) {
      const served = (): Promise<unknown> => {
        // An aborted call is refused, served from the cache or not.
        if (options?.signal?.aborted) return Promise.reject(options.signal.reason);
        try {
          return Promise.resolve(transform ? transform(probe.value) : probe.value);
        } catch (err) {
          return Promise.reject(err);
        }
      };
      if (!commandTraced()) return served();
      // Traced like a sent command (an instrumentation sees every call), marked as cached.
      const server = this.#route(argv).server;
      return commandChannel.tracePromise(served, {
        command: commandName(argv),
        argc: argv.length,
        server,
        cached: true,
      });
    }
    // The raw reply is stored (a copy), the caller gets it transformed.
    return this.#route(argv)
      .sendCommand(argv, undefined, options)
      .then(
        (raw) => {
          probe.store(raw);
          return transform ? transform(raw) : raw;
        },
        (err: unknown) => {
          probe.release();
          throw err;
        },
      );
  }

  /**
   * A command refused before any connection took it (a state command on a shared connection, no
   * leased connection in time): rejected, and traced like a command that failed (an
   * instrumentation sees every call; the trace starts at the refusal).
   */
  #refused(argv: CommandArgument[], error: unknown): Promise<never> {
    if (!commandTraced()) return Promise.reject(error);
    return commandChannel.tracePromise(() => Promise.reject(error), {
      command: commandName(argv),
      argc: argv.length,
      server: this.#connection.server,
    });
  }

  /** Client-side cache counters, when `clientCache` is on. */
  cacheStats(): CacheStats | undefined {
    const self = Client.#own(this);
    return self.#cache?.stats();
  }

  async #leased(
    argv: CommandArgument[],
    transform?: ReplyTransformFunction,
    options?: SendOptions,
  ): Promise<unknown> {
    // The command's deadline runs from this call: the wait for a free connection counts.
    const timeoutMs = options?.timeoutMs ?? this.#commandTimeoutMs;
    const started = performance.now();
    let connection: Connection;
    try {
      connection = await this.#pool.acquire({
        timeoutMs,
        signal: options?.signal,
        command: commandName(argv),
      });
    } catch (err) {
      return this.#refused(argv, err);
    }
    try {
      if (timeoutMs === undefined) return await connection.sendCommand(argv, transform, options);
      const left = Math.round(timeoutMs - (performance.now() - started));
      if (left < 1) {
        // The wait for the connection used the whole budget: not sent at all.
        const late = new TimeoutError(`no reply within ${timeoutMs} ms (waited for a leased connection)`, {
          command: commandName(argv),
          mayHaveExecuted: false,
        });
        return await this.#refused(argv, late);
      }
      return await connection.sendCommand(argv, transform, { ...options, timeoutMs: left });
    } finally {
      this.#pool.release(connection);
    }
  }

  /**
   * Runs `work` with a connection of its own (leased from the pool): for WATCH transactions and
   * anything that must not share a connection. The connection returns to the pool afterwards.
   */
  async isolated<T>(work: (session: Session) => Promise<T>): Promise<T> {
    const self = Client.#own(this);
    // Called on a view (withOptions...): its deadline and signal bound the wait for a connection.
    const options = viewOptions(this);
    const connection = await self.#pool.acquire({
      timeoutMs: options?.timeoutMs,
      signal: options?.signal,
      command: 'isolated()',
    });
    try {
      // Called on a view (withBuffers...): the session is a view with the same options.
      const session = new Session(connection, self.#cache);
      try {
        return await work(options === undefined ? session : withOptions(session, options));
      } finally {
        session.end();
        // The next lease must not inherit this one's state: a WATCH is undone; a connection
        // whose database, name, tracking or reply mode changed, that is inside a MULTI, still has
        // commands in flight (a callback that stopped waiting on a BLPOP) or is paused, is retired.
        if (session.dirty || session.inMulti || connection.busy) connection.destroy();
        else if (session.watched) await connection.sendCommand(['UNWATCH']).catch(() => connection.destroy());
      }
    } finally {
      self.#pool.release(connection);
    }
  }

  /** Leased connections in use, idle, and callers waiting for one. */
  poolStats(): PoolStats {
    const self = Client.#own(this);
    return self.#pool.stats();
  }

  /**
   * A pipeline: chain commands, then `exec()` sends them in one write and resolves with every
   * reply in order, errors in place (`[ 'OK', ReplyError, 3 ]`). Typed per command.
   */
  pipeline(): Chain<[]> {
    return new Pipeline(this, false) as unknown as Chain<[]>;
  }

  /**
   * A transaction: the chained commands between MULTI and EXEC. `exec()` resolves with every reply
   * in order (errors in place), `null` when a WATCHed key changed, and rejects with EXECABORT
   * (naming the refused command) when a command was refused while queuing.
   */
  multi(): Chain<[]> {
    const self = Client.#own(this);
    const pinned = self.#pinned();
    const options = viewOptions(this);
    return new Pipeline(
      options === undefined ? pinned : withOptions(pinned, options),
      true,
    ) as unknown as Chain<[]>;
  }

  /**
   * Subscribes `listener` to channels; resolves when the server confirmed every channel. Over
   * RESP3 on the shared connection: other commands keep working. Resubscribed after reconnects.
   * Names may be Buffers; `{ strings: 'buffer' }` (or a `withBuffers()` view) delivers payloads
   * and names as Buffers, byte for byte.
   */
  subscribe(
    channels: ChannelNames,
    listener: MessageListener,
    options?: SubscribeOptions<'string'>,
  ): Promise<void>;
  /** The same, delivering Buffers (`{ strings: 'buffer' }`). */
  subscribe(
    channels: ChannelNames,
    listener: BufferMessageListener,
    options: SubscribeOptions<'buffer'>,
  ): Promise<void>;
  /** Implementation of the overloads above. */
  subscribe(channels: ChannelNames, listener: AnyMessageListener, options?: SubscribeOptions): Promise<void> {
    return Client.#own(this).#subscribe(this, 'channel', channels, listener, options);
  }

  /** Removes `listener` (or every listener) from channels (or from all of them). */
  unsubscribe(channels?: ChannelNames, listener?: AnyMessageListener): Promise<void> {
    return Client.#own(this).#unsubscribe('channel', channels, listener);
  }

  /** Subscribes to patterns (PSUBSCRIBE); the listener also gets the pattern. */
  psubscribe(
    patterns: ChannelNames,
    listener: MessageListener,
    options?: SubscribeOptions<'string'>,
  ): Promise<void>;
  /** The same, delivering Buffers (`{ strings: 'buffer' }`). */
  psubscribe(
    patterns: ChannelNames,
    listener: BufferMessageListener,
    options: SubscribeOptions<'buffer'>,
  ): Promise<void>;
  /** Implementation of the overloads above. */
  psubscribe(
    patterns: ChannelNames,
    listener: AnyMessageListener,
    options?: SubscribeOptions,
  ): Promise<void> {
    return Client.#own(this).#subscribe(this, 'pattern', patterns, listener, options);
  }

  /** Removes `listener` (or every listener) from patterns (or from all of them). */
  punsubscribe(patterns?: ChannelNames, listener?: AnyMessageListener): Promise<void> {
    return Client.#own(this).#unsubscribe('pattern', patterns, listener);
  }

  /** Subscribes to shard channels (SSUBSCRIBE). */
  ssubscribe(
    channels: ChannelNames,
    listener: MessageListener,
    options?: SubscribeOptions<'string'>,
  ): Promise<void>;
  /** The same, delivering Buffers (`{ strings: 'buffer' }`). */
  ssubscribe(
    channels: ChannelNames,
    listener: BufferMessageListener,
    options: SubscribeOptions<'buffer'>,
  ): Promise<void>;
  /** Implementation of the overloads above. */
  ssubscribe(
    channels: ChannelNames,
    listener: AnyMessageListener,
    options?: SubscribeOptions,
  ): Promise<void> {
    return Client.#own(this).#subscribe(this, 'shard', channels, listener, options);
  }

  /** Removes `listener` (or every listener) from shard channels (or from all of them). */
  sunsubscribe(channels?: ChannelNames, listener?: AnyMessageListener): Promise<void> {
    return Client.#own(this).#unsubscribe('shard', channels, listener);
  }

  #subscribe(
    view: object,
    kind: 'channel' | 'pattern' | 'shard',
    names: ChannelNames,
    listener: AnyMessageListener,
    options: SubscribeOptions | undefined,
  ): Promise<void> {
    const list = channelList(names);
    if (typeof listener !== 'function')
      return Promise.reject(new TypeError('the listener must be a function'));
    if (list instanceof Error) return Promise.reject(list);
    const given = viewOptions(view);
    const buffers = (options?.strings ?? given?.strings) === 'buffer';
    // What a timeout or an abort undoes: the names this listener was not on before this call.
    const added = this.#subscriptions.newFor(kind, list, listener);
    const subscribed = this.#subscriptions.subscribe(kind, list, listener, buffers, added);
    // A deadline (the view's timeoutMs, else commandTimeoutMs) and an abort signal, as for any call.
    const timeoutMs = given?.timeoutMs ?? this.#commandTimeoutMs;
    const bounded = timeoutMs !== undefined && Number.isFinite(timeoutMs);
    const signal = given?.signal;
    if (!bounded && signal === undefined) return subscribed;
    return new Promise<void>((resolve, reject) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => giveUp(signal!.reason as Error);
      const settle = (): boolean => {
        if (done) return false;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const giveUp = (error: Error): void => {
        if (!settle()) return;
        reject(error);
        // Not listened to any more: unsubscribed (after the SUBSCRIBE, in order, if it was sent) —
        // only what this call added (the listener keeps the names it was on before).
        if (added.length > 0) void this.#subscriptions.unsubscribe(kind, added, listener).catch(() => {});
      };
      subscribed.then(
        () => {
          if (settle()) resolve();
        },
        (err: unknown) => {
          if (settle()) reject(err);
        },
      );
      if (signal?.aborted) return giveUp(signal.reason as Error);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (bounded)
        timer = setTimeout(
          () =>
            giveUp(
              new TimeoutError(`no confirmation within ${timeoutMs} ms`, {
                command: kind === 'channel' ? 'SUBSCRIBE' : kind === 'pattern' ? 'PSUBSCRIBE' : 'SSUBSCRIBE',
                mayHaveExecuted: true,
              }),
            ),
          Math.min(timeoutMs, MAX_TIMER_MS),
        );
    });
  }

  #unsubscribe(
    kind: 'channel' | 'pattern' | 'shard',
    names: ChannelNames | undefined,
    listener: AnyMessageListener | undefined,
  ): Promise<void> {
    const list = names === undefined ? undefined : channelList(names);
    if (list instanceof Error) return Promise.reject(list);
    return this.#subscriptions.unsubscribe(kind, list, listener);
  }

  /**
   * The messages of channels as an async iterator (subscribed on the first `next()`); leaving the
   * loop, `return()` — even while it waits for a message — or `await using` unsubscribes.
   * Messages that arrive faster than the loop consumes them are buffered. `{ strings: 'buffer' }`
   * (or a `withBuffers()` view) yields Buffers.
   */
  messages(
    channels: ChannelNames,
    options?: SubscribeOptions<'string'>,
  ): AsyncIterableIterator<ChannelMessage> & AsyncDisposable;
  /** The same, yielding Buffers (`{ strings: 'buffer' }`). */
  messages(
    channels: ChannelNames,
    options: SubscribeOptions<'buffer'>,
  ): AsyncIterableIterator<ChannelMessage<Buffer>> & AsyncDisposable;
  /** Implementation of the overloads above. */
  messages(
    channels: ChannelNames,
    options?: SubscribeOptions,
  ): AsyncIterableIterator<ChannelMessage<string | Buffer>> & AsyncDisposable {
    const self = Client.#own(this);
    const queue: ChannelMessage<string | Buffer>[] = [];
    // Every next() waiting (several may be, e.g. a Promise.race with a timeout): woken together.
    const sleepers: (() => void)[] = [];
    const wake = (): void => {
      for (const sleeper of sleepers.splice(0)) sleeper();
    };
    let finished = false;
    /** The client ended under the loop: why, unless close() / destroy() ended it. */
    let ended: Error | undefined;
    let subscribed: Promise<void> | undefined;
    const listener = (message: string | Buffer, channel: string | Buffer): void => {
      queue.push({ channel, message });
      wake();
    };
    // The client closing, or giving up reconnecting, ends the loop (it would wait forever).
    const onEnd = (error?: ConnectionError): void => {
      self.#endWatchers.delete(onEnd);
      if (!self.#closing)
        ended =
          error ??
          new ConnectionError('the connection ended (reconnecting gave up)', {
            mayHaveExecuted: false,
          });
      // Only the subscriber connection ended: this loop's listener must not be asked for again.
      if (error !== undefined) void this.unsubscribe(channels, listener).catch(() => {});
      finished = true;
      wake();
    };
    const finish = async (): Promise<void> => {
      self.#endWatchers.delete(onEnd);
      if (finished) return;
      finished = true;
      wake();
      if (subscribed === undefined) return;
      await subscribed.catch(() => {});
      // Leaving must not throw: a client closed meanwhile has no subscriptions left anyway.
      await this.unsubscribe(channels, listener).catch(() => {});
    };
    const end: IteratorResult<ChannelMessage<string | Buffer>> = { done: true, value: undefined };
    /** The loop is over: done, or the error of a client that ended under it (thrown once). */
    const over = (): IteratorResult<ChannelMessage<string | Buffer>> => {
      self.#endWatchers.delete(onEnd);
      const error = ended;
      ended = undefined;
      if (error !== undefined) throw error;
      return end;
    };
    return {
      next: async () => {
        if (finished) return over();
        if (subscribed === undefined) {
          self.#endWatchers.add(onEnd);
          subscribed = self.#subscribe(this, 'channel', channels, listener as AnyMessageListener, options);
        }
        try {
          await subscribed;
        } catch (err) {
          // Never subscribed: nothing to leave, and no listener left behind.
          self.#endWatchers.delete(onEnd);
          finished = true;
          throw err;
        }
        while (queue.length === 0 && !finished) {
          await new Promise<void>((resolve) => {
            sleepers.push(resolve);
          });
        }
        if (queue.length > 0) return { done: false, value: queue.shift()! };
        return over();
      },
      return: async () => {
        await finish();
        return end;
      },
      throw: async (error?: unknown) => {
        await finish();
        throw error;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
      [Symbol.asyncDispose]: finish,
    };
  }

  /** Every key matching the options (SCAN), as an async iterator. */
  scanIterator(options?: ScanIteratorOptions): AsyncGenerator<string> {
    return scanIterator(this, options);
  }

  /** Every field and value of a hash (HSCAN). */
  hscanIterator(
    key: RedisArgument,
    options?: ScanIteratorOptions,
  ): AsyncGenerator<{ field: string; value: string }> {
    return hscanIterator(this, key, options);
  }

  /** Every member of a set (SSCAN). */
  sscanIterator(key: RedisArgument, options?: ScanIteratorOptions): AsyncGenerator<string> {
    return sscanIterator(this, key, options);
  }

  /** Every member and score of a sorted set (ZSCAN). */
  zscanIterator(
    key: RedisArgument,
    options?: ScanIteratorOptions,
  ): AsyncGenerator<{ member: string; score: number }> {
    return zscanIterator(this, key, options);
  }

  /** Waits for the replies in flight, then closes (leased and pub/sub connections too). */
  async close(): Promise<void> {
    const self = Client.#own(this);
    self.#closing = true;
    await Promise.all([
      ...self.#connections.map((c) => c.close()),
      self.#pool.close(),
      self.#subscriptions.close(),
    ]);
  }

  /** Closes at once, rejecting everything pending. */
  destroy(): void {
    const self = Client.#own(this);
    self.#closing = true;
    self.#teardown();
  }

  /** Closes every connection at once (destroy(), or a connection that closed for good). */
  #teardown(): void {
    for (const connection of this.#connections) connection.destroy();
    this.#pool.destroy();
    this.#subscriptions.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

// The generated methods, attached once (like undici attaches its API to Dispatcher.prototype).
// Class + interface merging is how they are typed (biome.json turns its lint off for this file:
// a suppression comment would sit between the classes and their TSDoc and hide it).
Object.assign(Client.prototype, COMMAND_METHODS);

/** Every command of the server as a typed method (generated from its command spec). */
export interface Client extends Commands<string> {}

/**
 * A connection of its own, from `client.isolated()`: the whole command surface, `pipeline()` and
 * `multi()` — with `watch()`, since nothing else runs on this connection.
 */
export class Session implements CommandSender {
  readonly #connection: Connection;
  readonly #cache: ClientCache | undefined;

  /** @internal */
  constructor(connection: Connection, cache?: ClientCache) {
    this.#connection = connection;
    this.#cache = cache;
  }

  /** @internal The session changed its connection's state (database, name, tracking...). */
  dirty = false;
  /** @internal The session sent WATCH. */
  watched = false;
  /** @internal The session sent MULTI and no EXEC or DISCARD yet. */
  inMulti = false;
  #ended = false;

  /** @internal Its isolated() call returned: the connection goes back to the pool. */
  end(): void {
    this.#ended = true;
  }

  /** Notes what a command (`name`: its upper-case name) does to the session's connection. */
  #note(name: string): void {
    if (name === 'WATCH') this.watched = true;
    else if (name === 'MULTI') this.inMulti = true;
    else if (name === 'EXEC' || name === 'DISCARD') this.inMulti = false;
    else if (SESSION_STATE.has(name)) this.dirty = true;
  }

  /** Sends any command on this connection: `session.sendCommand(['GET', 'key'])`. */
  sendCommand(
    argv: CommandArgument[],
    transform?: ReplyTransformFunction,
    options?: SendOptions,
  ): Promise<unknown> {
    const self = Session.#own(this);
    if (self.#ended) return Promise.reject(sessionEnded(commandName(argv)));
    const name = String(argv[0]).toUpperCase();
    if (SUBSCRIPTION_COMMANDS.has(name)) return Promise.reject(subscribeInSession(commandName(argv)));
    self.#note(name);
    // Not served from the client's cache (this connection is not tracked); writes drop keys.
    const cache = this.#cache;
    const wrote = cache?.probeWrite(argv) === true;
    const sent = this.#connection.sendCommand(argv, transform, options);
    return wrote ? dropAgain(cache!, [argv], sent) : sent;
  }

  /** @internal A transaction as one unit (see {@link CommandSender.sendTransaction}). */
  sendTransaction(argvs: CommandArgument[][], options?: SendOptions): Promise<unknown[]> {
    const self = Session.#own(this);
    if (self.#ended) return Promise.reject(sessionEnded('MULTI'));
    for (const argv of argvs) {
      self.#note(String(argv[0]).toUpperCase());
      self.#cache?.probeWrite(argv);
    }
    const sent = self.#connection.sendTransaction(argvs, options);
    return self.#cache === undefined ? sent : dropAgain(self.#cache, argvs, sent);
  }

  /** The protocol of this session's connection: 3, or 2. */
  get protocol(): 2 | 3 {
    return Session.#own(this).#connection.protocol;
  }

  /** @internal An explicit pipeline as one unit (see {@link CommandSender.sendBatch}). */
  sendBatch(
    argvs: CommandArgument[][],
    transforms: readonly (ReplyTransformFunction | undefined)[] | undefined,
    options?: SendOptions,
  ): Promise<unknown[]> | undefined {
    // A subclass or hand-made view that overrides sendCommand must see every command.
    if (this.sendCommand !== Session.prototype.sendCommand || !(#cache in this)) return undefined;
    if (this.#cache !== undefined || this.#ended) return undefined;
    for (const argv of argvs) this.#note(String(argv[0]).toUpperCase());
    return this.#connection.sendBatch(argvs, transforms, options);
  }

  /**
   * Stops reading replies from this session's socket until {@link resumeReading}: back-pressure
   * for a consumer of a streamed reply (the server's writes wait in the kernel's buffers).
   */
  pauseReading(): void {
    const self = Session.#own(this);
    if (!self.#ended) self.#connection.pauseReading();
  }

  /** Reads replies again after {@link pauseReading}. */
  resumeReading(): void {
    const self = Session.#own(this);
    if (!self.#ended) self.#connection.resumeReading();
  }

  /** The session behind `this`: itself, or the session a view was made from. */
  static #own(target: Session): Session {
    let o: object | null = target;
    while (o !== null && !(#connection in o)) o = Object.getPrototypeOf(o) as object | null;
    if (o === null) throw new TypeError('not a pyrsedis Session (nor a view of one)');
    return o as Session;
  }

  /** A pipeline on this connection: one write, every reply in order, errors in place. */
  pipeline(): Chain<[]> {
    return new Pipeline(this, false) as unknown as Chain<[]>;
  }

  /** MULTI ... EXEC on this connection: `null` when a key given to `watch()` changed. */
  multi(): Chain<[], null> {
    return new Pipeline(this, true) as unknown as Chain<[], null>;
  }
}

Object.assign(Session.prototype, COMMAND_METHODS);

/** Every command of the server as a typed method, on this session's connection. */
export interface Session extends Commands<string> {}

/** One pub/sub message, as `client.messages()` yields it: text, or Buffers in Buffer mode. */
export interface ChannelMessage<T extends string | Buffer = string> {
  /** The channel it was published to. */
  channel: T;
  /** The payload (UTF-8 text, or the bytes). */
  message: T;
}

/** One channel (or pattern) name or several: text (sent as UTF-8) or bytes. */
export type ChannelNames = ChannelName | readonly ChannelName[];

/**
 * The pub/sub methods of a Buffer view (`withBuffers(client)`): payloads, channels and patterns
 * arrive as Buffers, unless a call asks for strings (`{ strings: 'string' }`).
 */
export interface BufferPubSub {
  /** SUBSCRIBE, delivering Buffers. */
  subscribe(
    channels: ChannelNames,
    listener: BufferMessageListener,
    options?: SubscribeOptions<'buffer'>,
  ): Promise<void>;
  /** SUBSCRIBE, delivering text as asked. */
  subscribe(
    channels: ChannelNames,
    listener: MessageListener,
    options: SubscribeOptions<'string'>,
  ): Promise<void>;
  /** PSUBSCRIBE, delivering Buffers. */
  psubscribe(
    patterns: ChannelNames,
    listener: BufferMessageListener,
    options?: SubscribeOptions<'buffer'>,
  ): Promise<void>;
  /** PSUBSCRIBE, delivering text as asked. */
  psubscribe(
    patterns: ChannelNames,
    listener: MessageListener,
    options: SubscribeOptions<'string'>,
  ): Promise<void>;
  /** SSUBSCRIBE, delivering Buffers. */
  ssubscribe(
    channels: ChannelNames,
    listener: BufferMessageListener,
    options?: SubscribeOptions<'buffer'>,
  ): Promise<void>;
  /** SSUBSCRIBE, delivering text as asked. */
  ssubscribe(
    channels: ChannelNames,
    listener: MessageListener,
    options: SubscribeOptions<'string'>,
  ): Promise<void>;
  /** The messages of channels as Buffers. */
  messages(
    channels: ChannelNames,
    options?: SubscribeOptions<'buffer'>,
  ): AsyncIterableIterator<ChannelMessage<Buffer>> & AsyncDisposable;
  /** The messages of channels as text, as asked. */
  messages(
    channels: ChannelNames,
    options: SubscribeOptions<'string'>,
  ): AsyncIterableIterator<ChannelMessage> & AsyncDisposable;
}

/** How a subscription delivers messages: text (default) or, with `'buffer'`, Buffers. */
export interface SubscribeOptions<S extends 'string' | 'buffer' = 'string' | 'buffer'> {
  /** `'buffer'`: payload, channel and pattern as Buffers (binary-safe). */
  strings?: S;
}

type AnyMessageListener = MessageListener | BufferMessageListener;

/** A session kept past its isolated() call: its connection may be someone else's lease by now. */
function sessionEnded(command: string): ConnectionError {
  return new ConnectionError('this session ended when its isolated() callback returned', {
    command,
    mayHaveExecuted: false,
  });
}

/** Names as a list, or a TypeError for anything but strings and Buffers. */
function channelList(names: ChannelNames): ChannelName[] | TypeError {
  const list =
    typeof names === 'string' || Buffer.isBuffer(names)
      ? [names]
      : Array.isArray(names)
        ? [...names]
        : undefined;
  if (list === undefined || list.some((n) => typeof n !== 'string' && !Buffer.isBuffer(n)))
    return new TypeError('channel and pattern names must be strings or Buffers (or an array of them)');
  return list;
}

/** Commands that change a connection's state beyond the session: its connection is retired after. */
/**
 * A raw SUBSCRIBE & co. in a session: over RESP3 it is confirmed by a push, not a reply (the next
 * command's reply would be taken for it), and no one would receive the messages of either protocol.
 */
function subscribeInSession(command: string): PyrsedisError {
  return new PyrsedisError(
    `${command} in isolated(): use client.subscribe() / client.messages() (the client delivers the ` +
      'messages, resubscribes after reconnects, and keeps the connection in step)',
    'ERR_SESSION_SUBSCRIBE',
    { command },
  );
}

const SESSION_STATE = new Set([
  'SELECT',
  'CLIENT',
  'HELLO',
  'RESET',
  'AUTH',
  'MONITOR',
  'SUBSCRIBE',
  'PSUBSCRIBE',
  'SSUBSCRIBE',
  'READONLY',
  'READWRITE',
]);

/** WAIT or WAITAOF, in any case. */
function isWait(argv: CommandArgument[]): boolean {
  const name = argv[0];
  return typeof name === 'string' && name.length <= 7 && /^wait(aof)?$/i.test(name);
}

/** Creates a client and starts connecting; `await client.connect()` to wait for it. */
export function createClient(options?: ClientOptions | string): Client {
  return new Client(options);
}

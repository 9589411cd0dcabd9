// One connection: handshake, auto-pipelining (every command issued in the same tick goes out in
// one write, encoded into one buffer), replies matched in order, reconnection with backoff, and
// failures that say whether a command may have run. One explicit state machine; every
// transition emits `state`.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import {
  encodeCommands,
  isRespArgument,
  MapKeyError,
  type ProtocolError,
  ReaderError,
  ReplyError,
  type ReplyPlan,
  RespDecoder,
} from '@pyrsedis/resp';
import { isBlockingCommand, lookupCommand } from '../commands/keys.js';
import { shapeReply } from '../commands/resp2.js';
import type { CommandArgument, ReplyTransformFunction, SendOptions } from '../commands/sender.js';
import { commandChannel, commandTraced, connectionChannel } from '../diagnostics.js';
import { ClientOptionsError, ConnectionError, TimeoutError } from '../errors.js';
import { CommandFlag } from '../generated/command-table.js';
import { Fifo } from './fifo.js';
import { type Credentials, MAX_TIMER_MS, type ResolvedOptions } from './options.js';
import { SignalWaiters } from './signals.js';

/** The states of a connection. */
export type ConnectionState = 'connecting' | 'handshake' | 'ready' | 'reconnecting' | 'closing' | 'closed';

interface Pending {
  argv: CommandArgument[] | undefined;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  transform: ReplyTransformFunction | undefined;
  /** How its reply is decoded: Buffers, or a ReplyReader of the caller's (one pass). */
  strings: ReplyPlan | undefined;
  /** Timed out or aborted: a late reply is discarded. */
  settled: boolean;
  written: boolean;
  timer: NodeJS.Timeout | undefined;
  signal: AbortSignal | undefined;
  /**
   * A SUBSCRIBE & co.: answered by this many push messages (`ackKind`: subscribe, unsubscribe...)
   * instead of a reply — or by an error reply when the server refuses it. 0 for other commands.
   */
  acks: number;
  ackKind: string | undefined;
  /** Written once on a connection that died, queued again (retryReadOnly). */
  retried: boolean;
  /** A whole explicit pipeline in one entry (see {@link Connection.sendBatch}). */
  batch: Batch | undefined;
}

/**
 * The commands of an explicit pipeline as one queue entry: checked up front, encoded as they are
 * written, their replies collected in order (errors in place) and handed over together — no
 * promise per command.
 */
interface Batch {
  argvs: CommandArgument[][];
  /** Each reply's transform (applied here, as for single commands), or none. */
  transforms: readonly (ReplyTransformFunction | undefined)[] | undefined;
  /** The encoded commands of a transaction (encoded up front, written whole), until written. */
  bytes: Buffer | undefined;
  replies: unknown[];
  /** Replies received so far. */
  received: number;
  /** Replies kept as they arrive (a transaction: the caller shapes EXEC's elements). */
  raw: boolean;
}

/** A fresh queue entry; `written` for the handshake, `acks` for push-answered commands. */
function newPending(
  argv: CommandArgument[],
  resolve: (value: unknown) => void,
  reject: (error: Error) => void,
  fields: Partial<Pick<Pending, 'transform' | 'strings' | 'written' | 'signal' | 'acks' | 'ackKind'>> = {},
): Pending {
  return {
    argv,
    resolve,
    reject,
    transform: fields.transform,
    strings: fields.strings,
    settled: false,
    written: fields.written ?? false,
    timer: undefined,
    signal: fields.signal,
    acks: fields.acks ?? 0,
    ackKind: fields.ackKind,
    retried: false,
    batch: undefined,
  };
}

/**
 * Commands per write when many go out at once: each piece is encoded just before it is written,
 * so the server works on one while the next is encoded. 512 SETs are ~18 KB (Redis reads 16 KB
 * of a client's input per turn of its event loop).
 */
const PIECE = 512;

/**
 * An error the decoder put in a reply's place: the server's (ReplyError), a caller's reader that
 * threw (ReaderError), a map key that could not be kept (MapKeyError). The stream is fine.
 */
function failedReply(reply: unknown): reply is ReplyError | ReaderError | MapKeyError {
  return reply instanceof ReplyError || reply instanceof ReaderError || reply instanceof MapKeyError;
}

/** A connection up at least this long before it drops restarts the reconnect attempt count. */
const STABLE_CONNECTION_MS = 1_000;

let capturedResolve: ((value: unknown) => void) | undefined;
let capturedReject: ((error: Error) => void) | undefined;
/** A promise executor that hands its settlers over through the two variables above. */
function captureSettlers(resolve: (value: unknown) => void, reject: (error: Error) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/**
 * A queue entry settled by the promise just made with {@link captureSettlers}; the variables are
 * cleared (they must not keep the last promise, and its value, alive).
 */
function capturedPending(argv: CommandArgument[], fields: Parameters<typeof newPending>[3]): Pending {
  const pending = newPending(argv, capturedResolve!, capturedReject!, fields);
  capturedResolve = undefined;
  capturedReject = undefined;
  return pending;
}

const LIB_NAME = 'pyrsedis';
const LIB_VERSION = '0.1.0';

/** @internal A command's name for errors (never its arguments). */
export function commandName(argv: CommandArgument[] | undefined): string {
  const first = argv?.[0];
  return typeof first === 'string' ? first.toUpperCase() : String(first ?? '');
}

const RESP2_PUSHES = new Set([
  'message',
  'pmessage',
  'smessage',
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
]);

/** A RESP2 subscriber connection's message or confirmation (an array led by its kind). */
function isResp2Push(reply: unknown): boolean {
  if (!Array.isArray(reply)) return false;
  const kind = reply[0];
  return (
    (typeof kind === 'string' || Buffer.isBuffer(kind)) && kind.length <= 12 && RESP2_PUSHES.has(String(kind))
  );
}

function isReadOnly(argv: CommandArgument[]): boolean {
  const info = lookupCommand(argv)?.info;
  return (
    info !== undefined &&
    (info.flags & (CommandFlag.READONLY | CommandFlag.BLOCKING)) === CommandFlag.READONLY
  );
}

function isBlocking(argv: CommandArgument[] | undefined): boolean {
  return argv !== undefined && isBlockingCommand(argv);
}

/**
 * A single connection to a server. Use it through a client; its `sendCommand` is the verb the
 * generated command methods call.
 */
export class Connection extends EventEmitter {
  readonly options: ResolvedOptions;
  #state: ConnectionState = 'connecting';
  #socket: net.Socket | undefined;
  #decoder: RespDecoder;
  /** Commands not yet written: this tick's, or those waiting for a (re)connection. */
  #outbox: Pending[] = [];
  /** Per abort signal, the commands waiting on it and its one listener. */
  /** Commands waiting on abort signals: one listener per signal, not per command. */
  readonly #aborts = new SignalWaiters<Pending>((pending, reason) => this.#giveUp(pending, reason as Error));
  /** Entries of the outbox settled before they were written (timed out, aborted): skipped. */
  #outboxSettled = 0;
  /** Commands in the outbox's batch entries beyond one each (a pipeline is many commands). */
  #outboxExtra = 0;

  /** Commands waiting in the outbox, as the offline queue's limit counts them. */
  #queuedCommands(): number {
    return this.#outbox.length - this.#outboxSettled + this.#outboxExtra;
  }

  /**
   * Why `count` more commands cannot be queued while the connection is not ready (closed, or the
   * offline queue off or full), or undefined when they can.
   */
  #refusal(count: number, command: string): ConnectionError | undefined {
    const state = this.#state;
    if (state === 'closing' || state === 'closed')
      return new ConnectionError(`connection is ${state}`, { command, mayHaveExecuted: false });
    const limit = this.options.offlineQueue;
    if (limit !== false && this.#queuedCommands() + count <= limit) return undefined;
    return new ConnectionError(
      limit === false
        ? `not connected (${state}) and the offline queue is off`
        : `offline queue full (${limit} commands${count > 1 ? `; ${count} more do not fit` : ''})`,
      { command, mayHaveExecuted: false },
    );
  }
  #flushScheduled = false;
  /** Written, waiting for their replies, in order. */
  #inflight = new Fifo<Pending>();
  #protocol: 2 | 3;
  #attempt = 0;
  /** When the current connection became ready (undefined while there is none). */
  #readyAt: number | undefined = undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #ready: Promise<void>;
  #resolveReady!: () => void;
  #rejectReady!: (error: Error) => void;
  #everReady = false;
  #closed: Promise<void>;
  #resolveClosed!: () => void;

  /** RESP2 pub/sub: message and confirmation arrays are pushes, not replies. */
  readonly #subscriber: boolean;
  /** Cancels the connection attempt in progress (close/destroy while connecting). */
  #cancelConnect: (() => void) | undefined;
  /**
   * Leased (blocking commands, isolated()): a blocking command that gives up retires it. On a
   * shared connection a blocking command only appears inside MULTI, where it does not block.
   */
  readonly #leased: boolean;

  constructor(options: ResolvedOptions, role: { subscriber?: boolean; leased?: boolean } = {}) {
    super();
    this.options = options;
    this.#database = options.database;
    this.#subscriber = role.subscriber === true;
    this.#leased = role.leased === true;
    this.#protocol = options.protocol;
    // Push messages (and a RESP2 subscriber's messages, which are replies to nothing) arrive with
    // Buffers: channel names and payloads byte for byte; pub/sub decodes them per listener.
    const unplanned = this.#subscriber ? 'buffer' : undefined;
    this.#decoder = new RespDecoder({
      onReply: (reply) => this.#onReply(reply),
      onPush: (push) => this.#onPush(push),
      pushStrings: 'buffer',
      planReply: () => this.#inflight.peek()?.strings ?? unplanned,
    });
    this.#ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.#ready.catch(() => {});
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    void this.#open();
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The protocol negotiated: 3, or 2 (asked for, or the server has no HELLO). */
  get protocol(): 2 | 3 {
    return this.#protocol;
  }

  /** Resolves when the first handshake is done; rejects when the first connection fails. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** Waiting for the connection attempt under way to end (see {@link close}). */
  #attemptWaiters: (() => void)[] = [];

  /** Resolves when the attempt under way ends: ready, failed (reconnecting), or closed. */
  #attemptEnded(): Promise<void> {
    return new Promise((resolve) => this.#attemptWaiters.push(resolve));
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    const from = this.#state;
    this.#state = state;
    if (
      this.#attemptWaiters.length > 0 &&
      (state === 'ready' || state === 'reconnecting' || state === 'closed')
    )
      for (const resolve of this.#attemptWaiters.splice(0)) resolve();
    this.#announce('state', state, from);
    if (connectionChannel.hasSubscribers)
      connectionChannel.publish({ server: this.#serverName(), state, from });
  }

  /**
   * Emits an event the user listens to (through the client): a listener that throws must not
   * stop the connection's own work half-way (a handshake never finished, `ready` never resolved,
   * queued commands never sent). Its error goes to the `error` listeners, or is thrown on a tick
   * of its own (an uncaught exception, as from any throwing listener) when there are none.
   */
  #announce(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      if (event !== 'error' && this.listenerCount('error') > 0) {
        try {
          this.emit('error', err);
          return;
        } catch (again) {
          err = again;
        }
      }
      process.nextTick(() => {
        throw err;
      });
    }
  }

  #serverName(): string {
    const { host, path, port } = this.options;
    // An IPv6 address in brackets, as in URLs: `[::1]:6379`, not `::1:6379`.
    return path ?? (net.isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`);
  }

  /**
   * The database this connection's session is on, which a reconnect selects again: the option's
   * at first, then each SELECT's once answered (see {@link useDatabase}). Not the client's newest
   * choice: commands queued before a SELECT while reconnecting must run where they were issued.
   */
  #database: number;

  /** @internal A SELECT sent on this connection was answered (or may have run): its database. */
  useDatabase(database: number): void {
    this.#database = database;
  }

  /** @internal `host:port` or the socket path (the `server` of diagnostics events). */
  get server(): string {
    return this.#serverName();
  }

  #connectSocket(deadline: number): Promise<net.Socket> {
    const o = this.options;
    return new Promise<net.Socket>((resolve, reject) => {
      const s = o.tls
        ? tls.connect({
            host: o.host,
            port: o.port,
            // SNI carries host names only (RFC 6066): none for an IP address.
            ...(net.isIP(o.host) === 0 ? { servername: o.host } : {}),
            ...o.tls,
          })
        : o.path
          ? net.connect({ path: o.path })
          : net.connect({ host: o.host, port: o.port });
      const fail = (error: ConnectionError): void => {
        clearTimeout(timer);
        this.#cancelConnect = undefined;
        s.destroy();
        reject(error);
      };
      const timer = setTimeout(
        () =>
          fail(
            new ConnectionError(`connect timed out after ${o.connectTimeoutMs} ms`, {
              mayHaveExecuted: false,
            }),
          ),
        Math.max(1, deadline - performance.now()),
      );
      // close() / destroy() while connecting: no socket or timer left behind.
      this.#cancelConnect = () =>
        fail(new ConnectionError('connection closed while connecting', { mayHaveExecuted: false }));
      s.once(o.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        this.#cancelConnect = undefined;
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err) =>
        fail(
          new ConnectionError(`could not connect: ${err.message}`, { cause: err, mayHaveExecuted: false }),
        ),
      );
    });
  }

  async #open(): Promise<void> {
    // One budget for the whole attempt: connect, credentials, handshake.
    const deadline = performance.now() + this.options.connectTimeoutMs;
    let socket: net.Socket;
    try {
      socket = await this.#connectSocket(deadline);
    } catch (err) {
      this.#lost(err as Error, undefined);
      return;
    }
    if (this.#state === 'closing' || this.#state === 'closed') {
      socket.destroy();
      return;
    }
    this.#socket = socket;
    this.#decoder.reset();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (chunk: Buffer) => {
      if (this.#socket !== socket) return;
      try {
        this.#decoder.feed(chunk);
      } catch (err) {
        // A malformed reply: the stream is out of step, nothing after it can be trusted.
        this.#lost(err as ProtocolError, socket);
      }
    });
    socket.on('error', (err) =>
      this.#lost(
        new ConnectionError(`connection error: ${err.message}`, { cause: err, mayHaveExecuted: true }),
        socket,
      ),
    );
    socket.on('close', () =>
      this.#lost(new ConnectionError('connection closed', { mayHaveExecuted: true }), socket),
    );
    this.#announce('connect');
    this.#setState('handshake');
    // A server that accepts but never answers (or a credentials provider that never returns)
    // must not hold the attempt forever.
    const handshakeTimer = setTimeout(
      () =>
        this.#lost(
          new ConnectionError(`handshake timed out after ${this.options.connectTimeoutMs} ms`, {
            mayHaveExecuted: false,
          }),
          socket,
        ),
      Math.max(1, deadline - performance.now()),
    );
    try {
      await this.#handshake();
    } catch (err) {
      this.#lost(err as Error, socket);
      return;
    } finally {
      clearTimeout(handshakeTimer);
    }
    if (this.#socket !== socket || this.#state !== 'handshake') return;
    // The attempt count starts again only once this connection has stayed up (see #lost).
    this.#readyAt = performance.now();
    this.#everReady = true;
    this.#setState('ready');
    this.#announce('ready');
    this.#resolveReady();
    if (this.#outbox.length) this.#flush();
  }

  async #handshake(): Promise<void> {
    const o = this.options;
    const socket = this.#socket;
    let username = o.username;
    let password = o.password;
    if (o.credentials !== undefined) {
      let given: Credentials;
      try {
        given = await o.credentials();
      } catch (err) {
        throw new ConnectionError(
          `the credentials provider failed: ${(err as Error)?.message ?? String(err)}`,
          {
            cause: err,
            mayHaveExecuted: false,
          },
        );
      }
      if (given === null || typeof given !== 'object' || typeof given.password !== 'string') {
        throw new ConnectionError('the credentials provider must return { username?, password: string }', {
          mayHaveExecuted: false,
        });
      }
      username = given.username;
      password = given.password;
      if (this.#socket !== socket) {
        throw new ConnectionError('connection lost during the handshake', { mayHaveExecuted: false });
      }
    }
    // A user name alone (a `nopass` ACL user) authenticates too: never silently the default user.
    const auth =
      password !== undefined || username !== undefined ? ['AUTH', username ?? 'default', password ?? ''] : [];
    const hello: CommandArgument[] = ['HELLO', o.protocol, ...auth, ...(o.name ? ['SETNAME', o.name] : [])];
    const steps: Promise<unknown>[] = [];
    const helloReply = this.#direct(hello).catch((err: Error) => err);
    const select = this.#database ? this.#direct(['SELECT', this.#database]) : undefined;
    // Optional: older servers do not know CLIENT SETINFO.
    steps.push(this.#direct(['CLIENT', 'SETINFO', 'LIB-NAME', LIB_NAME]).catch(() => undefined));
    steps.push(this.#direct(['CLIENT', 'SETINFO', 'LIB-VER', LIB_VERSION]).catch(() => undefined));
    const hello3 = await helloReply;
    this.#protocol = o.protocol;
    if (
      hello3 instanceof ReplyError &&
      (/unknown command/i.test(hello3.message) || (/NOPROTO/i.test(hello3.message) && o.protocol === 3))
    ) {
      // A server without HELLO (Redis < 6; `protocol: 2` too) or without RESP3: RESP2 with AUTH
      // and SETNAME.
      this.#protocol = 2;
      if (password !== undefined || username !== undefined) {
        // Redis < 6 knows AUTH <password> only: the default user's name is left out.
        await this.#direct(
          username && username !== 'default' ? ['AUTH', username, password ?? ''] : ['AUTH', password ?? ''],
        );
        // Again, now authenticated (the first ones, sent before AUTH, may have been refused).
        steps.push(this.#direct(['CLIENT', 'SETINFO', 'LIB-NAME', LIB_NAME]).catch(() => undefined));
        steps.push(this.#direct(['CLIENT', 'SETINFO', 'LIB-VER', LIB_VERSION]).catch(() => undefined));
      }
      if (o.name) await this.#direct(['CLIENT', 'SETNAME', o.name]);
      if (this.#database) await this.#direct(['SELECT', this.#database]);
    } else if (hello3 instanceof Error) {
      throw hello3;
    } else if (select !== undefined) {
      steps.push(select);
    }
    if (o.clientCache !== undefined) {
      if (this.#protocol !== 3) {
        throw new ClientOptionsError('clientCache needs RESP3, and this server has no HELLO 3');
      }
      // Invalidations arrive as pushes on this same connection.
      steps.push(this.#direct(['CLIENT', 'TRACKING', 'ON']));
    }
    await Promise.all(steps);
  }

  /** Writes one command now, ahead of the outbox (handshake only). */
  #direct(argv: CommandArgument[]): Promise<unknown> {
    const reply = new Promise((resolve, reject) => {
      this.#inflight.push(newPending(argv, resolve, reject, { written: true }));
      this.#socket!.write(encodeCommands([argv]));
    });
    // Handshake steps are awaited together, and not at all once one fails: none may surface as
    // an unhandled rejection (the failure is reported once, by the handshake).
    reply.catch(() => {});
    return reply;
  }

  /**
   * Queues a command; it is written with every other command issued in the same tick, in one
   * buffer. The promise settles with the reply (error replies reject with a ReplyError).
   */
  sendCommand(
    argv: CommandArgument[],
    transform?: ReplyTransformFunction,
    options?: SendOptions,
  ): Promise<unknown> {
    if (this.#state !== 'ready') {
      const refusal = this.#refusal(1, commandName(argv));
      // Refused (closed, offline queue off or full): traced like any call that fails.
      if (refusal !== undefined)
        return this.#traced(commandName(argv), argv.length, () => Promise.reject(refusal));
    }
    if (commandTraced()) {
      const context = { command: commandName(argv), argc: argv.length, server: this.#serverName() };
      return commandChannel.tracePromise(() => this.#enqueue(argv, transform, options), context);
    }
    return this.#enqueue(argv, transform, options);
  }

  /** `run()`, traced as the command `command` when anyone listens. */
  #traced<T>(command: string, argc: number, run: () => Promise<T>): Promise<T> {
    if (!commandTraced()) return run();
    return commandChannel.tracePromise(run, { command, argc, server: this.#serverName() });
  }

  #enqueue(
    argv: CommandArgument[],
    transform: ReplyTransformFunction | undefined,
    options: SendOptions | undefined,
  ): Promise<unknown> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    // The executor is a module function, not a closure per command (one allocation less each).
    const promise = new Promise(captureSettlers);
    {
      const pending = capturedPending(argv, {
        transform,
        strings: options?.reader ?? (options?.strings === 'buffer' ? 'buffer' : undefined),
        signal,
      });
      this.#watch(pending, options);
      this.#outbox.push(pending);
      this.#scheduleFlush();
    }
    return promise;
  }

  /**
   * Queues a SUBSCRIBE & co. (answered by push messages, RESP2 subscriber replies included): it
   * keeps its place among the other commands and resolves once its `count` acknowledgements of
   * kind `ackKind` arrived — or rejects with the error reply of a server that refuses it (an ACL's
   * NOPERM, a cluster's MOVED), which then never reaches another command.
   */
  sendSubscription(argv: CommandArgument[], ackKind: string, count: number): Promise<void> {
    if (commandTraced()) {
      const context = { command: commandName(argv), argc: argv.length, server: this.#serverName() };
      return commandChannel.tracePromise(() => this.#subscription(argv, ackKind, count), context);
    }
    return this.#subscription(argv, ackKind, count);
  }

  #subscription(argv: CommandArgument[], ackKind: string, count: number): Promise<void> {
    if (this.#state === 'closing' || this.#state === 'closed') {
      return Promise.reject(
        new ConnectionError(`connection is ${this.#state}`, {
          command: commandName(argv),
          mayHaveExecuted: false,
        }),
      );
    }
    return new Promise((resolve, reject) => {
      this.#outbox.push(
        newPending(argv, resolve as (value: unknown) => void, reject, { acks: count, ackKind }),
      );
      this.#scheduleFlush();
    });
  }

  /** A push message: an acknowledgement the command at the head waits for, then the listeners. */
  #onPush(push: unknown[]): void {
    const head = this.#inflight.peek();
    if (head !== undefined && head.acks > 0 && String(push[0]) === head.ackKind && --head.acks === 0) {
      this.#inflight.shift();
      head.settled = true;
      head.resolve(undefined);
      if (this.#state === 'closing') this.#endIfDone();
    }
    this.emit('push', push);
  }

  /**
   * Sends the commands of an explicit pipeline as one queue entry (one promise, not one per
   * command): resolves with the replies in order, errors in place (a reply error, or the
   * timeout/abort/connection error of each command left unanswered); never rejects. Returns
   * undefined when the commands must go one by one instead: not ready (offline queue), tracing
   * on (an event per command), a blocking command, retryReadOnly, a subscriber connection, an
   * argument that does not encode (rejected alone), or an already aborted signal.
   */
  sendBatch(
    argvs: CommandArgument[][],
    transforms: readonly (ReplyTransformFunction | undefined)[] | undefined,
    options?: SendOptions,
  ): Promise<unknown[]> | undefined {
    if (argvs.length === 0 || this.#state !== 'ready' || this.#subscriber || commandTraced())
      return undefined;
    if (this.options.retryReadOnly || options?.reader !== undefined || options?.signal?.aborted)
      return undefined;
    for (let i = 0; i < argvs.length; i++) {
      const argv = argvs[i]!;
      if (!Array.isArray(argv) || argv.length === 0 || isBlocking(argv)) return undefined;
      // Encoded when written, in pieces (see #flush): every argument is checked now.
      for (let j = 0; j < argv.length; j++) if (!isRespArgument(argv[j])) return undefined;
    }
    return this.#queueBatch(argvs, transforms, undefined, options, false);
  }

  /**
   * Sends a transaction — MULTI, its commands, EXEC, all in `argvs` — as one queue entry: let into
   * the offline queue whole or not at all, one deadline and one signal for the whole, written in
   * one piece (never a MULTI without its EXEC, never commands outside it). Resolves with the raw
   * replies in order, errors in place (a lost connection's in the place of each unanswered one);
   * rejects only when it cannot be queued (closed, offline queue off or full, a bad argument).
   */
  sendTransaction(argvs: CommandArgument[][], options?: SendOptions): Promise<unknown[]> {
    let refusal: unknown = this.#state === 'ready' ? undefined : this.#refusal(argvs.length, 'MULTI');
    const signal = options?.signal;
    if (refusal === undefined && signal?.aborted) refusal = signal.reason;
    let bytes: Buffer | undefined;
    if (refusal === undefined) {
      try {
        bytes = encodeCommands(argvs);
      } catch (err) {
        refusal = err;
      }
    }
    if (!commandTraced()) {
      return bytes === undefined
        ? Promise.reject(refusal)
        : this.#queueBatch(argvs, undefined, bytes, options, true);
    }
    // Traced as one MULTI (argc: the commands in it, MULTI and EXEC included). The transaction's
    // promise resolves with the replies, errors in place; its trace fails when the transaction
    // did — MULTI or EXEC answered by an error (EXECABORT, a timeout, an abort, a lost
    // connection) — with that error.
    const context = { command: 'MULTI', argc: argvs.length, server: this.#serverName() };
    if (bytes === undefined) return commandChannel.tracePromise(() => Promise.reject(refusal), context);
    const queued = this.#queueBatch(argvs, undefined, bytes, options, true);
    commandChannel
      .tracePromise(
        () =>
          queued.then((replies) => {
            const failed = [replies[0], replies[replies.length - 1]].find((r) => r instanceof Error);
            if (failed !== undefined) throw failed;
            return replies;
          }),
        context,
      )
      .catch(() => {}); // the caller gets `queued`; this copy only feeds the trace
    return queued;
  }

  /** Queues commands encoded together as one entry (see sendBatch, sendTransaction). */
  #queueBatch(
    argvs: CommandArgument[][],
    transforms: readonly (ReplyTransformFunction | undefined)[] | undefined,
    bytes: Buffer | undefined,
    options: SendOptions | undefined,
    raw: boolean,
  ): Promise<unknown[]> {
    const promise = new Promise(captureSettlers) as Promise<unknown[]>;
    const pending = capturedPending(argvs[0]!, {
      strings: options?.strings === 'buffer' ? 'buffer' : undefined,
      signal: options?.signal,
    });
    pending.argv = undefined;
    pending.batch = { argvs, transforms, bytes, replies: new Array(argvs.length), received: 0, raw };
    this.#watch(pending, options);
    this.#outbox.push(pending);
    this.#outboxExtra += argvs.length - 1;
    this.#scheduleFlush();
    return promise;
  }

  /** One flush per tick: every command issued until then goes out in the same write. */
  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#state !== 'ready') return;
    this.#flushScheduled = true;
    process.nextTick(() => this.#flush());
  }

  /** Arms the command timeout and the abort signal of a queue entry. */
  #watch(pending: Pending, options: SendOptions | undefined): void {
    const timeoutMs = options?.timeoutMs ?? this.options.commandTimeoutMs;
    // Infinity: no deadline (a per-call override of commandTimeoutMs).
    if (timeoutMs !== undefined && timeoutMs !== Number.POSITIVE_INFINITY) {
      const timedOut = (argv: CommandArgument[] | undefined) =>
        new TimeoutError(`no reply within ${timeoutMs} ms`, {
          command: commandName(argv),
          mayHaveExecuted: pending.written || pending.retried,
        });
      pending.timer = setTimeout(
        () => this.#giveUp(pending, pending.batch === undefined ? timedOut(pending.argv) : timedOut),
        Math.min(timeoutMs, MAX_TIMER_MS),
      );
    }
    if (pending.signal !== undefined) this.#aborts.add(pending.signal, pending);
  }

  #clearWatch(pending: Pending): void {
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    if (pending.signal !== undefined) this.#aborts.delete(pending.signal, pending);
    pending.timer = undefined;
  }

  /** A timeout or an abort: settle now; the reply slot stays so a late reply is discarded. */
  #giveUp(pending: Pending, error: Error | ((argv: CommandArgument[]) => Error)): void {
    if (pending.settled) return;
    if (pending.batch !== undefined) {
      // Every command not yet answered gets the error in its place; late replies are dropped.
      // Never sent: it stays in the outbox, settled, and is skipped when written (removing it now
      // would cost a scan of the outbox per command: 60k queued commands timing out froze).
      if (!pending.written) {
        this.#outboxSettled++;
        this.#outboxExtra -= pending.batch.argvs.length - 1;
      }
      this.#failBatch(pending, pending.batch, error);
      this.#closeIfNothingAwaited();
      return;
    }
    if (typeof error === 'function') error = error(pending.argv!);
    this.#clearWatch(pending);
    pending.settled = true;
    if (!pending.written) {
      this.#outboxSettled++; // never sent: skipped by the next flush
    } else if (this.#leased && isBlocking(pending.argv) && this.#socket !== undefined) {
      // A blocked BLPOP & co. would pop an item later and hand it to nobody: retire the connection
      // (the server unblocks a client that disconnects, popping nothing).
      this.#lost(
        new ConnectionError(`${commandName(pending.argv)} gave up; its connection was retired`, {
          mayHaveExecuted: true,
        }),
        this.#socket,
      );
    }
    pending.reject(error);
    this.#closeIfNothingAwaited();
  }

  /**
   * Closing gracefully, and every reply still in flight was given up on (timed out, aborted): no
   * one waits for them — the socket goes now, not when a frozen or sleeping server answers.
   */
  #closeIfNothingAwaited(): void {
    if (this.#state !== 'closing' || this.#inflight.length === 0 || this.#closeCheck !== undefined) return;
    // Once per turn of the event loop, not per command given up on: 100k commands aborted by
    // one signal (or timed out by one timer tick) would each scan the queue (quadratic).
    this.#closeCheck = setImmediate(() => {
      this.#closeCheck = undefined;
      if (this.#state !== 'closing' || this.#inflight.length === 0) return;
      if (!this.#inflight.some((pending) => !pending.settled)) this.destroy();
    });
  }

  #closeCheck: NodeJS.Immediate | undefined = undefined;

  /** Closing, a reply just settled: the socket ends once none is in flight, or none is awaited. */
  #endIfDone(): void {
    if (this.#inflight.length === 0) this.#socket?.end();
    else this.#closeIfNothingAwaited();
  }

  #flush(): void {
    this.#flushScheduled = false;
    let batch = this.#outbox;
    const socket = this.#socket;
    if (batch.length === 0 || socket === undefined || this.#state !== 'ready') return;
    this.#outbox = [];
    this.#outboxExtra = 0;
    if (this.#outboxSettled > 0) {
      // Timed out or aborted before they were written: never sent.
      batch = batch.filter((pending) => !pending.settled);
      this.#outboxSettled = 0;
      if (batch.length === 0) return;
    }
    // Written in pieces of at most PIECE commands, each encoded just before it is written: the
    // server starts on the first piece while the next ones are encoded (a 5,000-SET pipeline:
    // ~15-20% less time here than one write of the whole). A transaction's bytes (encoded when it
    // was queued) go as they are. All in this one call: nothing comes between the pieces.
    let singles: Pending[] = [];
    for (let i = 0; i < batch.length; i++) {
      const pending = batch[i]!;
      if (pending.batch === undefined) {
        singles.push(pending);
        if (singles.length === PIECE) {
          this.#writeSingles(socket, singles);
          singles = [];
        }
        continue;
      }
      if (singles.length > 0) this.#writeSingles(socket, singles);
      singles = [];
      const failure = this.#writeBatch(socket, pending, pending.batch);
      if (failure !== undefined) {
        // Part of a pipeline written, the rest not encodable: the stream cannot be trusted. What
        // was not written yet goes back to the queue (sent again after a reconnect, as if queued
        // while offline); what was written fails with the connection.
        const rest = batch.slice(i + 1);
        this.#outbox = rest.concat(this.#outbox);
        for (const each of rest)
          if (each.batch !== undefined) this.#outboxExtra += each.batch.argvs.length - 1;
        this.#lost(failure, socket);
        return;
      }
    }
    if (singles.length > 0) this.#writeSingles(socket, singles);
  }

  /** Encodes and writes single commands (a bad argument rejects its command alone). */
  #writeSingles(socket: net.Socket, singles: Pending[]): void {
    const bytes = this.#encode(singles);
    for (let i = 0; i < singles.length; i++) {
      const pending = singles[i]!;
      if (pending.settled) continue; // refused by the encoder (nothing else settles in the outbox)
      pending.written = true;
      this.#inflight.push(pending);
    }
    socket.write(bytes);
  }

  /**
   * Writes an explicit pipeline (encoded piece by piece) or a transaction (encoded already).
   * A pipeline whose first piece does not encode (an argument array changed after it was
   * queued) fails alone, in place, unwritten. Returns the error of a later piece that does not
   * encode: part of the pipeline is written, so the connection must be dropped.
   */
  #writeBatch(socket: net.Socket, pending: Pending, batch: Batch): Error | undefined {
    const encoded = batch.bytes;
    if (encoded !== undefined) {
      batch.bytes = undefined; // the write holds them now
      pending.written = true;
      this.#inflight.push(pending);
      socket.write(encoded);
      return undefined;
    }
    const argvs = batch.argvs;
    let first: Buffer;
    try {
      first = encodeCommands(argvs.length <= PIECE ? argvs : argvs.slice(0, PIECE));
    } catch (err) {
      this.#failBatch(pending, batch, err as Error);
      return undefined;
    }
    pending.written = true;
    this.#inflight.push(pending);
    socket.write(first);
    for (let i = PIECE; i < argvs.length; i += PIECE) {
      let bytes: Buffer;
      try {
        bytes = encodeCommands(argvs.slice(i, i + PIECE));
      } catch (err) {
        return this.#brokenBatch(pending, batch, i, err);
      }
      socket.write(bytes);
    }
    return undefined;
  }

  /**
   * A pipeline's piece at `written` no longer encodes (its arguments changed after exec()): the
   * pieces before it are written, so the connection must go. Settles the pipeline now — the
   * commands written may have run, the others were not sent — and returns the connection's error.
   */
  #brokenBatch(pending: Pending, batch: Batch, written: number, err: unknown): ConnectionError {
    let at = written;
    const encodable = (argv: CommandArgument[]) => argv.length > 0 && argv.every(isRespArgument);
    while (at < batch.argvs.length && encodable(batch.argvs[at]!)) at++;
    const message =
      `pipeline command ${at} (${commandName(batch.argvs[at])}) no longer encodes: its arguments ` +
      `changed after exec() (${(err as Error)?.message ?? String(err)})`;
    this.#failBatch(
      pending,
      batch,
      (argv, i) =>
        new ConnectionError(
          `${message}; ${i < written ? 'the command was sent and may have executed' : 'the command was not sent'}`,
          { cause: err, command: commandName(argv), mayHaveExecuted: i < written },
        ),
    );
    return new ConnectionError(message, { cause: err, mayHaveExecuted: true });
  }

  /**
   * Encodes single commands into one buffer. One bad argument must not sink the others: then
   * each is encoded alone, and the bad one rejected (and marked settled: left out of the write).
   */
  #encode(singles: Pending[]): Buffer {
    const argvs: CommandArgument[][] = new Array(singles.length);
    for (let i = 0; i < singles.length; i++) argvs[i] = singles[i]!.argv!;
    try {
      return encodeCommands(argvs);
    } catch {
      const chunks: Buffer[] = [];
      for (const pending of singles) {
        try {
          chunks.push(encodeCommands([pending.argv!]));
        } catch (err) {
          this.#clearWatch(pending);
          pending.settled = true;
          pending.reject(err as Error);
        }
      }
      return Buffer.concat(chunks);
    }
  }

  #onReply(reply: unknown): void {
    if (this.#subscriber && isResp2Push(reply)) {
      this.#onPush(reply as unknown[]);
      return;
    }
    const head = this.#inflight.peek();
    if (head === undefined) {
      this.#lost(
        new ConnectionError('reply without a command: the stream is out of step', { mayHaveExecuted: true }),
        this.#socket,
      );
      return;
    }
    if (head.acks > 0) {
      // A SUBSCRIBE & co. answered by a reply: the server refused it (its acks never come).
      this.#inflight.shift();
      head.settled = true;
      if (reply instanceof Error) head.reject(reply);
      else {
        head.reject(
          new ConnectionError(`unexpected reply to ${commandName(head.argv)}`, { mayHaveExecuted: true }),
        );
        this.#lost(
          new ConnectionError('reply to a subscription: the stream is out of step', {
            mayHaveExecuted: true,
          }),
          this.#socket,
        );
        return;
      }
    } else if (head.batch === undefined) {
      this.#inflight.shift();
      this.#settle(head, reply);
    } else if (this.#batchReply(head, head.batch, reply)) {
      this.#inflight.shift();
    }
    // Closing gracefully: the last reply awaited (whatever became of it) lets the socket go.
    if (this.#state === 'closing') this.#endIfDone();
  }

  /** A single command's reply: resolved (reshaped, transformed) or rejected; dropped if settled. */
  #settle(pending: Pending, reply: unknown): void {
    const argv = pending.argv;
    pending.argv = undefined;
    if (pending.settled) return; // timed out or aborted: the late reply is dropped here
    this.#clearWatch(pending);
    pending.settled = true;
    if (failedReply(reply)) {
      reply.command = commandName(argv);
      pending.reject(reply);
      return;
    }
    let value: unknown;
    try {
      // A caller's reader built the value itself: no RESP2 reshaping on top of it.
      value =
        typeof pending.strings === 'object'
          ? pending.transform === undefined
            ? reply
            : pending.transform(reply)
          : shapeReply(argv, reply, this.#protocol, pending.transform);
    } catch (err) {
      // A MapKeyError from the RESP2 conversion: named like the decoder's.
      if (err instanceof MapKeyError) err.command = commandName(argv);
      pending.reject(err as Error);
      return;
    }
    pending.resolve(value);
  }

  /** One reply of a batch at the head of the queue; true once the batch has all its replies. */
  #batchReply(pending: Pending, batch: Batch, reply: unknown): boolean {
    const at = batch.received++;
    if (!pending.settled) {
      const argv = batch.argvs[at]!;
      if (failedReply(reply)) {
        reply.command = commandName(argv);
      } else if (!batch.raw) {
        try {
          reply = shapeReply(argv, reply, this.#protocol, batch.transforms?.[at]);
        } catch (err) {
          if (err instanceof MapKeyError) err.command = commandName(argv);
          reply = err;
        }
      }
      batch.replies[at] = reply;
    }
    if (batch.received < batch.argvs.length) return false;
    if (!pending.settled) {
      this.#clearWatch(pending);
      pending.settled = true;
      pending.resolve(batch.replies);
    }
    return true;
  }

  /** Settles a batch with an error (the same, or one per command) in the place of every reply it lacks. */
  #failBatch(
    pending: Pending,
    batch: Batch,
    error: Error | ((argv: CommandArgument[], index: number) => Error),
  ): void {
    this.#clearWatch(pending);
    pending.settled = true;
    for (let i = batch.received; i < batch.argvs.length; i++)
      batch.replies[i] = typeof error === 'function' ? error(batch.argvs[i]!, i) : error;
    pending.resolve(batch.replies);
  }

  #rejectAll(items: Iterable<Pending>, error: Error, wasWritten: boolean): void {
    for (const pending of items) {
      if (pending.settled) continue;
      const written = wasWritten || pending.retried;
      const lost = (argv: CommandArgument[] | undefined) =>
        new ConnectionError(
          written
            ? `${error.message}; the command was sent and may have executed`
            : `${error.message}; the command was not sent`,
          { cause: error, command: commandName(argv), mayHaveExecuted: written },
        );
      if (pending.batch !== undefined) {
        this.#failBatch(pending, pending.batch, lost);
        continue;
      }
      this.#clearWatch(pending);
      pending.settled = true;
      pending.reject(lost(pending.argv));
    }
  }

  /** The socket (or the attempt to open one) is gone: settle what it carried, maybe reconnect. */
  #lost(error: Error, socket: net.Socket | undefined): void {
    if (socket !== undefined && socket !== this.#socket) return;
    if (this.#state === 'closed') return;
    this.#socket = undefined;
    socket?.destroy();
    // What the decoder holds of a reply cut short (a 200 MB bulk half received) goes now, not at
    // the next connect — which may never come. (From inside one of its callbacks it cannot be
    // reset: the next connect does it.)
    try {
      this.#decoder.reset();
    } catch {}
    // Written commands may have run: never re-sent, rejected saying so — except read-only ones
    // when retryReadOnly asks for it (once each, ahead of the commands queued since).
    const state = this.#state;
    let inflight = this.#inflight.drain();
    if (this.options.retryReadOnly && state !== 'closing' && this.#everReady) {
      const again: Pending[] = [];
      inflight = inflight.filter((pending) => {
        if (pending.settled || pending.retried || pending.acks > 0 || pending.argv === undefined) return true;
        if (!isReadOnly(pending.argv)) return true;
        pending.retried = true;
        pending.written = false;
        again.push(pending);
        return false;
      });
      if (again.length) this.#outbox = again.concat(this.#outbox);
    }
    this.#rejectAll(inflight, error, true);
    if (state === 'closing') {
      this.#finish(error, false);
      return;
    }
    // A connection that stayed up a while starts the count again; one dropped right after its
    // handshake (a server or proxy that accepts and closes) counts on: backoff grows, and the
    // strategy may give up — it reconnected every few ms for ever.
    if (this.#readyAt !== undefined && performance.now() - this.#readyAt >= STABLE_CONNECTION_MS)
      this.#attempt = 0;
    this.#readyAt = undefined;
    this.#attempt++;
    let delay: number | false = false;
    if (this.#everReady) {
      // A strategy that throws gives up with its error; anything but a number >= 0 gives up too.
      try {
        const asked: unknown = this.options.retryStrategy(this.#attempt, error);
        if (typeof asked === 'number' && asked >= 0) delay = Math.min(asked, MAX_TIMER_MS);
      } catch (err) {
        error = new ConnectionError(`retryStrategy threw: ${(err as Error)?.message ?? String(err)}`, {
          cause: err,
          mayHaveExecuted: false,
        });
      }
    }
    if (delay === false) {
      // The first connection failed (a configuration problem), or the strategy gave up.
      this.#finish(error, true);
      return;
    }
    this.#setState('reconnecting');
    if (this.listenerCount('error') > 0) this.#announce('error', error);
    this.#announce('reconnecting', { attempt: this.#attempt, delayMs: delay, error });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.#open();
    }, delay);
  }

  #finish(error: Error, report: boolean): void {
    if (this.#closeCheck !== undefined) clearImmediate(this.#closeCheck);
    this.#closeCheck = undefined;
    this.#setState('closed');
    this.#cancelConnect?.();
    this.#rejectAll(this.#outbox.splice(0), error, false);
    this.#outboxSettled = 0;
    this.#outboxExtra = 0;
    this.#rejectReady(error);
    if (report && this.listenerCount('error') > 0) this.#announce('error', error);
    this.#announce('end');
    this.#resolveClosed();
  }

  /** Waits for the replies in flight, then closes. Commands issued after this are rejected. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state === 'connecting' || this.#state === 'handshake') {
      // Nothing queued to send first (commands that timed out or were aborted while queued do not
      // count): no reason to wait for a server that may never answer (up to connectTimeoutMs) —
      // the attempt is cancelled.
      if (this.#queuedCommands() === 0) {
        this.destroy();
        await this.#closed;
        return;
      }
      // Commands queued: sent if this attempt succeeds (first connect or a reconnect — `ready`
      // settled with the first one), rejected unsent if it fails.
      await this.#attemptEnded();
    }
    if (this.#outbox.length) this.#flush();
    if ((this.#state as ConnectionState) === 'closed') return;
    if (this.#reconnectTimer !== undefined || this.#socket === undefined) {
      clearTimeout(this.#reconnectTimer);
      this.#setState('closing');
      this.#finish(new ConnectionError('connection closed by the client', { mayHaveExecuted: false }), false);
      return;
    }
    this.#setState('closing');
    if (this.#inflight.length === 0) this.#socket.end();
    else this.#closeIfNothingAwaited();
    await this.#closed;
  }

  /** Stops reading from the socket (a consumer that cannot keep up); replies wait in the kernel. */
  pauseReading(): void {
    this.#paused = true;
    this.#socket?.pause();
  }

  /** Reads from the socket again. */
  resumeReading(): void {
    this.#paused = false;
    this.#socket?.resume();
  }

  #paused = false;

  /** @internal A blocking command (BLPOP...) is queued or waiting for its reply here. */
  get blocking(): boolean {
    const blocked = (pending: Pending): boolean => !pending.settled && isBlocking(pending.argv);
    return this.#inflight.some(blocked) || this.#outbox.some(blocked);
  }

  /**
   * @internal Whether a lease may not go back to the pool as it is: commands queued or awaiting
   * replies, or reading paused (the next user would wait on someone else's replies, or forever).
   */
  get busy(): boolean {
    return this.#paused || this.#outbox.length > 0 || this.#inflight.length > 0;
  }

  /** Closes at once; everything pending is rejected with a ConnectionError. */
  destroy(): void {
    if (this.#state === 'closed') return;
    clearTimeout(this.#reconnectTimer);
    this.#setState('closing');
    const socket = this.#socket;
    if (socket === undefined)
      this.#finish(new ConnectionError('connection destroyed', { mayHaveExecuted: false }), false);
    else this.#lost(new ConnectionError('connection destroyed', { mayHaveExecuted: true }), socket);
  }
}

// One connection: handshake, auto-pipelining (every command issued in the same tick goes out in
// one write, encoded into one buffer), replies matched in order, failures that say whether a
// command may have run.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { encodeCommands, ProtocolError, ReplyError, RespDecoder } from '@pyrsedis/resp';
import { lookupCommand } from '../commands/keys.js';
import { fromResp2 } from '../commands/resp2.js';
import type { CommandArgument, ReplyTransformFunction, StringMode } from '../commands/sender.js';
import { ConnectionError } from '../errors.js';
import { Fifo } from './fifo.js';
import type { ResolvedOptions } from './options.js';

/** The states of a connection; every transition emits `state`. */
export type ConnectionState = 'connecting' | 'handshake' | 'ready' | 'closing' | 'closed';

interface Pending {
  argv: CommandArgument[] | undefined;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  transform: ReplyTransformFunction | undefined;
  strings: StringMode | undefined;
}

const LIB_NAME = 'pyrsedis';
const LIB_VERSION = '0.1.0';

function commandName(argv: CommandArgument[] | undefined): string {
  const first = argv?.[0];
  return typeof first === 'string' ? first.toUpperCase() : String(first ?? '');
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
  /** Commands issued in this tick, not yet written. */
  #outbox: Pending[] = [];
  #flushScheduled = false;
  /** Written, waiting for their replies, in order. */
  #inflight = new Fifo<Pending>();
  /** The protocol in use after the handshake (HELLO may be missing on old servers). */
  #protocol: 2 | 3;
  #ready: Promise<void>;
  #closed: Promise<void>;
  #resolveClosed!: () => void;

  constructor(options: ResolvedOptions) {
    super();
    this.options = options;
    this.#protocol = options.protocol;
    this.#decoder = new RespDecoder({
      onReply: (reply) => this.#onReply(reply),
      onPush: (push) => this.emit('push', push),
      planReply: () => this.#inflight.peek()?.strings,
    });
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#ready = this.#connect();
    this.#ready.catch(() => {});
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The protocol negotiated: 3, or 2 (asked for, or the server has no HELLO). */
  get protocol(): 2 | 3 {
    return this.#protocol;
  }

  /** Resolves when the handshake is done; rejects when the connection could not be set up. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    const from = this.#state;
    this.#state = state;
    this.emit('state', state, from);
  }

  async #connect(): Promise<void> {
    const o = this.options;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = o.tls
        ? tls.connect({ host: o.host, port: o.port, servername: o.host, ...o.tls })
        : o.path
          ? net.connect({ path: o.path })
          : net.connect({ host: o.host, port: o.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(
          new ConnectionError(`connect timed out after ${o.connectTimeoutMs} ms`, { mayHaveExecuted: false }),
        );
      }, o.connectTimeoutMs);
      s.once(o.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(
          new ConnectionError(`could not connect: ${err.message}`, { cause: err, mayHaveExecuted: false }),
        );
      });
    }).catch((err: Error) => {
      this.#fail(err);
      throw err;
    });
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#decoder.feed(chunk);
      } catch (err) {
        // A malformed reply: the stream is out of step, nothing after it can be trusted.
        this.#fail(
          err instanceof ProtocolError
            ? err
            : new ConnectionError(String(err), { cause: err, mayHaveExecuted: true }),
        );
      }
    });
    socket.on('error', (err) =>
      this.#fail(
        new ConnectionError(`connection error: ${err.message}`, { cause: err, mayHaveExecuted: true }),
      ),
    );
    socket.on('close', () => this.#fail(new ConnectionError('connection closed', { mayHaveExecuted: true })));
    this.emit('connect');
    this.#setState('handshake');
    try {
      await this.#handshake();
    } catch (err) {
      this.#fail(err as Error);
      throw err;
    }
    if (this.#state !== 'handshake') return;
    this.#setState('ready');
    this.emit('ready');
    if (this.#outbox.length) this.#flush();
  }

  async #handshake(): Promise<void> {
    const o = this.options;
    const auth = o.password !== undefined ? ['AUTH', o.username ?? 'default', o.password] : [];
    const hello: CommandArgument[] = ['HELLO', o.protocol, ...auth, ...(o.name ? ['SETNAME', o.name] : [])];
    const steps: Promise<unknown>[] = [];
    const helloReply = this.#direct(hello).catch((err: Error) => err);
    steps.push(helloReply);
    if (o.database) steps.push(this.#direct(['SELECT', o.database]));
    // Optional: older servers do not know CLIENT SETINFO.
    steps.push(this.#direct(['CLIENT', 'SETINFO', 'LIB-NAME', LIB_NAME]).catch(() => undefined));
    steps.push(this.#direct(['CLIENT', 'SETINFO', 'LIB-VER', LIB_VERSION]).catch(() => undefined));
    const hello3 = await helloReply;
    if (hello3 instanceof ReplyError && /unknown command|NOPROTO/i.test(hello3.message) && o.protocol === 3) {
      // A server without HELLO (Redis < 6) or without RESP3: RESP2 with AUTH and SETNAME.
      this.#protocol = 2;
      if (o.password !== undefined) {
        await this.#direct(o.username ? ['AUTH', o.username, o.password] : ['AUTH', o.password]);
      }
      if (o.name) await this.#direct(['CLIENT', 'SETNAME', o.name]);
    } else if (hello3 instanceof Error) {
      throw hello3;
    }
    await Promise.all(steps.slice(1));
  }

  /** Writes one command now, ahead of the outbox (handshake only). */
  #direct(argv: CommandArgument[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const pending: Pending = { argv: undefined, resolve, reject, transform: undefined, strings: undefined };
      this.#inflight.push(pending);
      this.#socket!.write(encodeCommands([argv]));
      pending.argv = argv;
    });
  }

  /**
   * Queues a command; it is written with every other command issued in the same tick, in one
   * buffer. The promise settles with the reply (error replies reject with a ReplyError).
   */
  sendCommand(
    argv: CommandArgument[],
    transform?: ReplyTransformFunction,
    strings?: StringMode,
  ): Promise<unknown> {
    if (this.#state === 'closing' || this.#state === 'closed') {
      return Promise.reject(
        new ConnectionError(`connection is ${this.#state}`, {
          command: commandName(argv),
          mayHaveExecuted: false,
        }),
      );
    }
    return new Promise((resolve, reject) => {
      this.#outbox.push({
        argv,
        resolve,
        reject,
        transform,
        strings: strings === 'buffer' ? 'buffer' : undefined,
      });
      if (!this.#flushScheduled && this.#state === 'ready') {
        this.#flushScheduled = true;
        process.nextTick(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#outbox;
    if (batch.length === 0 || !this.#socket || this.#state !== 'ready') return;
    this.#outbox = [];
    const argvs: CommandArgument[][] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) argvs[i] = batch[i]!.argv!;
    let bytes: Buffer;
    try {
      bytes = encodeCommands(argvs);
    } catch {
      // One bad argument must not sink the others: encode one by one and reject only the bad.
      const good: Pending[] = [];
      const chunks: Buffer[] = [];
      for (const pending of batch) {
        try {
          chunks.push(encodeCommands([pending.argv!]));
          good.push(pending);
        } catch (err) {
          pending.reject(err as Error);
        }
      }
      for (const pending of good) this.#inflight.push(pending);
      this.#socket.write(Buffer.concat(chunks));
      return;
    }
    for (let i = 0; i < batch.length; i++) this.#inflight.push(batch[i]!);
    this.#socket.write(bytes);
  }

  #onReply(reply: unknown): void {
    const pending = this.#inflight.shift();
    if (pending === undefined) {
      this.#fail(
        new ConnectionError('reply without a command: the stream is out of step', { mayHaveExecuted: true }),
      );
      return;
    }
    const argv = pending.argv;
    pending.argv = undefined;
    if (reply instanceof ReplyError) {
      reply.command = commandName(argv);
      pending.reject(reply);
      return;
    }
    let value = reply;
    if (this.#protocol === 2 && argv !== undefined) {
      const shape = lookupCommand(argv)?.info.resp2;
      if (shape !== undefined) value = fromResp2(value, shape);
    }
    if (pending.transform !== undefined) {
      try {
        value = pending.transform(value);
      } catch (err) {
        pending.reject(err as Error);
        return;
      }
    }
    pending.resolve(value);
    if (this.#state === 'closing' && this.#inflight.length === 0) this.#socket?.end();
  }

  /** Rejects everything pending and closes; idempotent. */
  #fail(error: Error): void {
    if (this.#state === 'closed') return;
    const wasClosing = this.#state === 'closing';
    this.#setState('closed');
    this.#socket?.destroy();
    for (const pending of this.#inflight.drain()) {
      pending.reject(
        new ConnectionError(`${error.message}; the command was sent and may have executed`, {
          cause: error,
          command: commandName(pending.argv),
          mayHaveExecuted: true,
        }),
      );
    }
    for (const pending of this.#outbox.splice(0)) {
      pending.reject(
        new ConnectionError(`${error.message}; the command was not sent`, {
          cause: error,
          command: commandName(pending.argv),
          mayHaveExecuted: false,
        }),
      );
    }
    if (!wasClosing) this.emit('error', error);
    this.emit('end');
    this.#resolveClosed();
  }

  /** Waits for the replies in flight, then closes. Commands issued after this are rejected. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    await this.#ready.catch(() => {});
    if (this.#outbox.length) this.#flush();
    if ((this.#state as ConnectionState) === 'closed') return;
    this.#setState('closing');
    if (this.#inflight.length === 0) this.#socket?.end();
    await this.#closed;
  }

  /** Closes at once; everything pending is rejected with a ConnectionError. */
  destroy(): void {
    this.#fail(new ConnectionError('connection destroyed', { mayHaveExecuted: true }));
  }
}

// A deliberately tiny RESP2 client the harness uses to check readiness and to wire up
// clusters and sentinels. It must not depend on @pyrsedis/resp: resp's own tests use this
// package, so the harness cannot sit on the code it helps to test.
import net from 'node:net';
import tls from 'node:tls';

/** A reply as the harness sees it: RESP2 values, errors as {@link AdminReplyError}. */
export type AdminReply = string | number | null | AdminReply[];

/** An error reply (`-ERR ...`) from a server the harness talks to. */
export class AdminReplyError extends Error {
  override name = 'AdminReplyError';
}

/** How the harness reaches a server. */
export interface AdminTarget {
  host: string;
  port: number;
  username?: string | undefined;
  password?: string | undefined;
  tls?: tls.ConnectionOptions | undefined;
  connectTimeoutMs?: number;
}

const CR = 0x0d;

interface Parsed {
  value: AdminReply | AdminReplyError;
  end: number;
}

/** Parses one RESP2 reply at `start`; `undefined` when more bytes are needed. */
function parseReply(buf: Buffer, start: number): Parsed | undefined {
  const lineEnd = buf.indexOf(CR, start);
  if (lineEnd < 0 || lineEnd + 1 >= buf.length) return undefined;
  const type = String.fromCharCode(buf[start]!);
  const line = buf.toString('utf8', start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new AdminReplyError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return undefined;
      return { value: buf.toString('utf8', next, next + len), end: next + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: AdminReply[] = [];
      let pos = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, pos);
        if (!item) return undefined;
        // An error inside an array (EXEC) is kept as its message: the harness never needs more.
        items.push(item.value instanceof AdminReplyError ? item.value.message : item.value);
        pos = item.end;
      }
      return { value: items, end: pos };
    }
    default:
      throw new AdminReplyError(`unexpected RESP type byte ${JSON.stringify(type)} from server`);
  }
}

function encode(args: readonly (string | number)[]): Buffer {
  let out = `*${args.length}\r\n`;
  for (const arg of args) {
    const s = String(arg);
    out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  }
  return Buffer.from(out);
}

/** One connection, one command at a time. */
export class AdminConnection {
  #socket: net.Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #waiting: { resolve: (v: AdminReply) => void; reject: (e: Error) => void } | undefined;
  #closedError: Error | undefined;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#drain();
    });
    const fail = (err: Error) => {
      this.#closedError ??= err;
      const w = this.#waiting;
      this.#waiting = undefined;
      w?.reject(this.#closedError);
    };
    socket.on('error', (err: Error) => fail(err));
    socket.on('close', () => fail(new Error('connection closed')));
  }

  /** Connects (and authenticates when a password is given). */
  static async connect(target: AdminTarget): Promise<AdminConnection> {
    const timeoutMs = target.connectTimeoutMs ?? 2000;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = target.tls
        ? tls.connect({ host: target.host, port: target.port, ...target.tls })
        : net.connect({ host: target.host, port: target.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${target.host}:${target.port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      s.once(target.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const conn = new AdminConnection(socket);
    if (target.password !== undefined) {
      const auth = target.username ? ['AUTH', target.username, target.password] : ['AUTH', target.password];
      try {
        await conn.call(...auth);
      } catch (err) {
        conn.close();
        throw err;
      }
    }
    return conn;
  }

  /**
   * Sends one command and waits for its reply; an error reply rejects. A server that never
   * answers (frozen with SIGSTOP: the kernel still accepts connections) fails the call after
   * {@link AdminConnection.replyTimeoutMs} instead of hanging the caller.
   */
  call(...args: (string | number)[]): Promise<AdminReply> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    if (this.#waiting) return Promise.reject(new Error('AdminConnection runs one command at a time'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting = undefined;
        this.#socket.destroy();
        reject(new Error(`no reply to ${String(args[0])} within ${AdminConnection.replyTimeoutMs} ms`));
      }, AdminConnection.replyTimeoutMs);
      timer.unref();
      this.#waiting = {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.#socket.write(encode(args));
    });
  }

  /** How long {@link AdminConnection.call} waits for a reply (ms). */
  static replyTimeoutMs = 60_000;

  #drain(): void {
    if (!this.#waiting) return;
    let parsed: Parsed | undefined;
    try {
      parsed = parseReply(this.#buffer, 0);
    } catch (err) {
      this.#waiting.reject(err as Error);
      this.#waiting = undefined;
      this.#socket.destroy();
      return;
    }
    if (!parsed) return;
    this.#buffer = this.#buffer.subarray(parsed.end);
    const w = this.#waiting;
    this.#waiting = undefined;
    if (parsed.value instanceof AdminReplyError) w.reject(parsed.value);
    else w.resolve(parsed.value);
  }

  close(): void {
    this.#closedError ??= new Error('connection closed');
    this.#socket.destroy();
  }
}

/** Opens a connection, runs one command, closes. */
export async function adminCall(target: AdminTarget, ...args: (string | number)[]): Promise<AdminReply> {
  const conn = await AdminConnection.connect(target);
  try {
    return await conn.call(...args);
  } finally {
    conn.close();
  }
}

/** Parses `INFO` text into a flat record of `field -> value`. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const line of text.split('\r\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.indexOf(':');
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

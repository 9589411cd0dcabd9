// A minimal sender for tests of the generated surface: one socket, RESP3, a FIFO of waiting
// calls. The real connection (pool, reconnects, timeouts) is the client package's own work.
import net from 'node:net';
import { encodeCommand, ReplyError, RespDecoder } from '@pyrsedis/resp';
import { lookupCommand } from '../src/commands/keys.js';
import { fromResp2 } from '../src/commands/resp2.js';
import type {
  CommandArgument,
  CommandSender,
  ReplyTransformFunction,
  SendOptions,
} from '../src/commands/sender.js';
import { COMMAND_METHODS, type Commands } from '../src/generated/commands.js';

export class TestSender implements CommandSender {
  readonly sent: CommandArgument[][] = [];
  /** The last reply as decoded, before any transform. */
  lastRaw: unknown;
  #socket: net.Socket;
  #waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void; buffer: boolean }[] = [];

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    const decoder = new RespDecoder({
      planReply: () => (this.#waiting[0]?.buffer ? 'buffer' : undefined),
      onReply: (reply) => {
        const w = this.#waiting.shift()!;
        if (reply instanceof ReplyError) w.reject(reply);
        else w.resolve(reply);
      },
    });
    socket.on('data', (chunk) => decoder.feed(chunk));
  }

  /** 2 or 3: RESP2 replies are converted to the RESP3 shapes with the generated data. */
  protocol: 2 | 3 = 3;

  static async connect(port: number, protocol: 2 | 3 = 3): Promise<TestSender & Commands> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const sender = new TestSender(socket);
    await sender.sendCommand(['HELLO', protocol]);
    sender.protocol = protocol;
    return sender as TestSender & Commands;
  }

  sendCommand(
    argv: CommandArgument[],
    transform?: ReplyTransformFunction,
    options?: SendOptions,
  ): Promise<unknown> {
    return this.#send(argv, options?.strings === 'buffer').then((decoded) => {
      const shape = this.protocol === 2 ? lookupCommand(argv)?.info.resp2 : undefined;
      const reply = shape === undefined ? decoded : fromResp2(decoded, shape);
      this.lastRaw = reply;
      return transform ? transform(reply) : reply;
    });
  }

  /** Sends with bulk strings decoded as Buffers (DUMP payloads). */
  sendBuffer(argv: CommandArgument[]): Promise<unknown> {
    return this.#send(argv, true);
  }

  #send(argv: CommandArgument[], buffer: boolean): Promise<unknown> {
    this.sent.push(argv);
    return new Promise((resolve, reject) => {
      // Encoded first: an argument the encoder refuses must not leave a waiter behind.
      const bytes = encodeCommand(argv);
      this.#waiting.push({ resolve, reject, buffer });
      this.#socket.write(bytes);
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

Object.assign(TestSender.prototype, COMMAND_METHODS);

// COMMAND DOCS and COMMAND INFO from a live server, over RESP3, decoded with @pyrsedis/resp.
import net from 'node:net';
import { encodeCommand, ReplyError, type RespArgument, RespDecoder } from '@pyrsedis/resp';

export interface LiveServer {
  /** `redis_version` from INFO */
  version: string;
  /** COMMAND DOCS, as a map: lower-case name → docs (subcommands nested). */
  docs: Record<string, Record<string, unknown>>;
  /** COMMAND INFO rows: [name, arity, flags, first, last, step, acl, tips, keySpecs, subcommands] */
  info: unknown[][];
}

/** Connects to `url` (redis://host:port), reads the command tables, disconnects. */
export async function readLiveServer(url: string): Promise<LiveServer> {
  const { hostname, port, password } = new URL(url);
  const socket = net.connect(Number(port || 6379), hostname);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const waiting: ((reply: unknown) => void)[] = [];
  const decoder = new RespDecoder({ onReply: (reply) => waiting.shift()?.(reply) });
  socket.on('data', (chunk) => decoder.feed(chunk));
  const call = (...args: RespArgument[]) =>
    new Promise<unknown>((resolve, reject) => {
      waiting.push((reply) => (reply instanceof ReplyError ? reject(reply) : resolve(reply)));
      socket.write(encodeCommand(args));
    });
  try {
    await call('HELLO', 3, ...(password ? ['AUTH', 'default', decodeURIComponent(password)] : []));
    const infoText = String(await call('INFO', 'server'));
    const version = /redis_version:(\S+)/.exec(infoText)?.[1] ?? 'unknown';
    const docs = (await call('COMMAND', 'DOCS')) as Record<string, Record<string, unknown>>;
    const info = (await call('COMMAND', 'INFO')) as unknown[][];
    return { version, docs, info };
  } finally {
    socket.destroy();
  }
}

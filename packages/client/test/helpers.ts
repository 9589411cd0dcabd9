// Small tools the client's tests share.
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { type Client, createClient } from '../src/index.js';

/** A function that runs a full GC, on Node (exposing gc on demand) and on Bun. */
export function fullGc(): () => void {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun) return () => bun.gc(true);
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** Runs `work`, then returns the names of the process warnings raised meanwhile. */
export async function warningsDuring(work: () => Promise<void>): Promise<string[]> {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  try {
    await work();
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  } finally {
    process.off('warning', onWarning);
  }
  return warnings;
}

/**
 * A client that retries every 100 ms (errors listened to), subscribed to `warm` — on RESP2 its
 * dedicated subscriber connection is open.
 */
export async function warmSubscriber(port: number, protocol: 2 | 3): Promise<Client> {
  const client = await createClient({ port, protocol, retryStrategy: () => 100 }).connect();
  client.on('error', () => {});
  await client.subscribe('warm', () => {});
  return client;
}

/**
 * A TCP proxy in front of 127.0.0.1:`port`: what clients send goes through as is; what the
 * server answers goes through `relay(data, write, nth, close)` (`nth`: which connection, from 1;
 * `close()` ends that one) — delayed, cut short... Disposing it closes every connection.
 */
export async function replyProxy(
  port: number,
  relay: (data: Buffer, write: (bytes: Buffer) => void, nth: number, close: () => void) => void,
): Promise<{ port: number; dropAll(): void } & AsyncDisposable> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const proxy = net.createServer((downstream) => {
    const nth = ++accepted;
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(downstream).add(upstream);
    const end = () => {
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => relay(d, (bytes) => downstream.write(bytes), nth, end));
    for (const socket of [downstream, upstream]) socket.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as net.AddressInfo).port,
    /** Closes every connection open now. */
    dropAll() {
      for (const socket of sockets) socket.destroy();
    },
    async [Symbol.asyncDispose]() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}

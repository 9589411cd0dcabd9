// Small tools the client's tests share.
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

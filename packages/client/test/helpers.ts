// Small tools the client's tests share.
import v8 from 'node:v8';
import vm from 'node:vm';

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

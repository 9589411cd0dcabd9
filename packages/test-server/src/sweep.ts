// Reaps servers whose owning process died without stopping them (a crashed test worker).
import { readFileSync, readlinkSync, rmSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { cacheDir, listDir } from './util.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills every recorded harness server whose owner process is gone; returns the PIDs killed. */
export async function sweep(options: { all?: boolean } = {}): Promise<number[]> {
  const dir = path.join(cacheDir(), 'run');
  const killed: number[] = [];
  for (const file of await listDir(dir)) {
    if (!file.endsWith('.json')) continue;
    const full = path.join(dir, file);
    let record: { pid: number; dir: string; owner: number };
    try {
      record = JSON.parse(readFileSync(full, 'utf8'));
    } catch {
      continue;
    }
    if (!options.all && alive(record.owner)) continue;
    let cwd = '';
    try {
      cwd = readlinkSync(`/proc/${record.pid}/cwd`);
    } catch {}
    // Only a process that is still the server we started: it runs in its own temp dir.
    // (Its command line is no help: Redis rewrites its process title.)
    if (cwd === record.dir) {
      try {
        process.kill(record.pid, 'SIGKILL');
        killed.push(record.pid);
      } catch {}
    }
    rmSync(record.dir, { recursive: true, force: true });
    try {
      unlinkSync(full);
    } catch {}
  }
  return killed;
}

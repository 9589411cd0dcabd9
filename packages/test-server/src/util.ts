import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Raised when the harness cannot provide what was asked for; the message says what to do. */
export class HarnessError extends Error {
  override name = 'HarnessError';
  /** Waiting longer cannot help (the server exited): `waitFor` gives up at once. */
  fatal = false;
}

/** A HarnessError that stops `waitFor` at once. */
export function fatalError(message: string): HarnessError {
  const error = new HarnessError(message);
  error.fatal = true;
  return error;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a program; rejects with its stderr tail when it exits non-zero. */
export function run(
  file: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 600_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (err) {
          const tail = `${stderr}${stdout}`.trim().split('\n').slice(-15).join('\n');
          reject(new HarnessError(`${file} ${args.join(' ')} failed: ${err.message}\n${tail}`));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

/** The repository root: the nearest folder above this file holding turbo.json. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'turbo.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** Where provisioned binaries and run records live (git-ignored). */
export function cacheDir(): string {
  return process.env.PYRSEDIS_CACHE_DIR ?? path.join(repoRoot(), '.cache', 'pyrsedis');
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new HarnessError('could not read a free port'));
      });
    });
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `check` until it returns a value other than `undefined`/`false`, or fails after
 * `timeoutMs` with the last error seen. The harness polls servers; tests never sleep.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      if (err instanceof HarnessError && err.fatal) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new HarnessError(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await delay(intervalMs);
  }
}

/** Takes a cross-process lock (a directory); stale after `staleMs`. */
export async function withLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  staleMs: number = 15 * 60_000,
): Promise<T> {
  await mkdir(path.dirname(lockPath), { recursive: true });
  for (;;) {
    try {
      await mkdir(lockPath);
      // The holder's PID: a lock whose holder died (Ctrl-C while provisioning) is stale at once.
      await writeFile(path.join(lockPath, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const info = await stat(lockPath).catch(() => undefined);
      const holder = Number(await readFile(path.join(lockPath, 'pid'), 'utf8').catch(() => ''));
      const dead = holder > 0 && !isAlive(holder);
      // A lock just made may not have its pid file yet: only its age can tell then.
      if (info && (dead || Date.now() - info.mtimeMs > staleMs))
        await rm(lockPath, { recursive: true, force: true });
      else await delay(200);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { recursive: true, force: true });
  }
}

/** Whether a process with this PID exists (signal 0 checks without sending anything). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function listDir(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

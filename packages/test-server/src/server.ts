// One real server process: configuration file, start, readiness, chaos, teardown by PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AdminConnection, type AdminReply, type AdminTarget } from './admin-connection.js';
import { ensureServer, type Flavor, type ServerBinary } from './provision.js';
import { type TlsMaterial, testCertificates } from './tls.js';
import { cacheDir, fatalError, freePort, HarnessError, waitFor } from './util.js';

/** An ACL user created at startup (`ACL SETUSER name on >password <rules>`). */
export interface AclUser {
  name: string;
  password: string;
  /** ACL rules; default `~* &* +@all`. */
  rules?: string;
}

/** TLS settings for a server (Debian's valkey-server and redis-server only). */
export interface ServerTlsOptions {
  /** Require client certificates (mTLS). Default false. */
  mutual?: boolean;
}

/** What {@link startServer} starts. */
export interface StartServerOptions {
  /** Which build; default `redis8` (Redis 8.2.3). */
  flavor?: Flavor;
  /** Load the FalkorDB module (redis8 and valkey8 only). */
  falkordb?: boolean;
  /** `requirepass` for the default user. */
  password?: string;
  /** Extra ACL users. */
  users?: AclUser[];
  /** Serve TLS only (the plain port is closed). */
  tls?: boolean | ServerTlsOptions;
  /** Extra configuration directives, e.g. `{ 'maxmemory': '64mb' }`; several words as an array (`{ 'rename-command': ['HELLO', ''] }`). */
  config?: Record<string, string | number | readonly (string | number)[]>;
  /** How long to wait for PING to answer; default 20 s. */
  startTimeoutMs?: number;
}

/** A running (or stopped, or paused) server process started by the harness. */
export interface RedisServer extends AsyncDisposable {
  readonly flavor: Flavor;
  /** `x.y.z` of the server binary. */
  readonly version: string;
  readonly host: string;
  readonly port: number;
  /** `redis://` or `rediss://` URL, with the password when one is set. */
  readonly url: string;
  /** Client TLS material when the server serves TLS. */
  readonly tls: TlsMaterial | undefined;
  readonly password: string | undefined;
  /** PID of the current process (changes on restart). */
  readonly pid: number;
  /** The server's working directory. */
  readonly dir: string;
  /** Whether the process is running (and not stopped by {@link RedisServer.kill}). */
  readonly running: boolean;
  /** Runs one admin command on a fresh connection (for setup and assertions). */
  call(...args: (string | number)[]): Promise<AdminReply>;
  /** The last lines of the server's log and stderr. */
  logTail(lines?: number): string;
  /** Kills the process (SIGKILL by default) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Freezes the process (SIGSTOP); resumes after `ms` when given, resolving then. */
  pause(ms?: number): Promise<void>;
  /** Resumes a paused process (SIGCONT). */
  resume(): void;
  /** Starts the process again on the same port and directory (stopping it first if it runs). */
  restart(): Promise<void>;
  /** Stops the process and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

interface LaunchSpec {
  binary: ServerBinary;
  dir: string;
  confFile: string;
  extraArgs: string[];
}

/** Every live server of this process, killed when the process exits whatever happens. */
const live = new Set<ServerProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const server of live) server.killSync();
  };
  process.once('exit', killAll);
  // A test runner ends its workers with a signal, which skips 'exit' handlers: kill the servers,
  // then let the signal do what it would have done.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAll();
      process.removeListener(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function quote(value: string): string {
  return /^[^\s"'\\]+$/.test(value) ? value : `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Formats configuration directives for a redis.conf file. */
export function formatConfig(lines: readonly (readonly (string | number)[])[]): string {
  return `${lines.map((words) => words.map((w) => quote(String(w))).join(' ')).join('\n')}\n`;
}

/** @internal Process wrapper shared by standalone, cluster and sentinel nodes. */
export class ServerProcess implements RedisServer {
  /** @internal A cluster node's bus port (`cluster-port`), when it has one. */
  busPort: number | undefined = undefined;
  readonly flavor: Flavor;
  readonly version: string;
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly tls: TlsMaterial | undefined;
  readonly password: string | undefined;
  readonly dir: string;
  #spec: LaunchSpec;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #stopped = false;
  #paused = false;

  constructor(
    spec: LaunchSpec,
    port: number,
    tlsMaterial: TlsMaterial | undefined,
    password: string | undefined,
  ) {
    this.#spec = spec;
    this.flavor = spec.binary.flavor;
    this.version = spec.binary.version;
    this.port = port;
    this.tls = tlsMaterial;
    this.password = password;
    this.dir = spec.dir;
  }

  get url(): string {
    const auth = this.password === undefined ? '' : `:${encodeURIComponent(this.password)}@`;
    return `${this.tls ? 'rediss' : 'redis'}://${auth}${this.host}:${this.port}`;
  }

  get pid(): number {
    return this.#child?.pid ?? -1;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  get adminTarget(): AdminTarget {
    return {
      host: this.host,
      port: this.port,
      password: this.password,
      tls: this.tls
        ? { ca: this.tls.ca, cert: this.tls.cert, key: this.tls.key, servername: 'localhost' }
        : undefined,
    };
  }

  async call(...args: (string | number)[]): Promise<AdminReply> {
    const conn = await AdminConnection.connect(this.adminTarget);
    try {
      return await conn.call(...args);
    } finally {
      conn.close();
    }
  }

  logTail(lines = 30): string {
    const read = (file: string) => {
      try {
        return readFileSync(path.join(this.dir, file), 'utf8');
      } catch {
        return '';
      }
    };
    return `${read('server.log')}${read('stderr.log')}`.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** How long start() waited for PING the first time: restart() waits as long. */
  #startTimeoutMs = 20_000;

  /** Spawns the process and waits until it answers PING. */
  async start(timeoutMs: number = this.#startTimeoutMs): Promise<void> {
    this.#startTimeoutMs = timeoutMs;
    installExitHook();
    const { binary, confFile, extraArgs } = this.#spec;
    const [file, ...prefix] = binary.launcher.length ? binary.launcher : [binary.server];
    const args = [...(binary.launcher.length ? [...prefix, binary.server] : []), confFile, ...extraArgs];
    const errFd = openSync(path.join(this.dir, 'stderr.log'), 'a');
    let child: ChildProcess;
    try {
      child = spawn(file!, args, { cwd: this.dir, stdio: ['ignore', errFd, errFd] });
    } finally {
      closeSync(errFd);
    }
    this.#child = child;
    this.#stopped = false;
    this.#paused = false;
    live.add(this);
    this.#exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    this.#exited.then(() => {
      if (this.#child === child) live.delete(this);
    });
    recordPid(child.pid, this.dir);
    try {
      await waitFor(
        `${this.flavor} on port ${this.port} to answer PING`,
        async () => {
          if (!this.running) {
            // No point waiting out the timeout (a bad config, a port taken meanwhile).
            throw fatalError(
              `${this.flavor} exited during startup (code ${child.exitCode ?? child.signalCode})`,
            );
          }
          const reply = await this.call('PING');
          if (reply !== 'PONG') return false;
          // The port may have been taken between probing and binding: whoever answers must be
          // this process (our server then exits with "Address already in use").
          const info = String(await this.call('INFO', 'server'));
          const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
          if (pid !== child.pid) {
            throw fatalError(
              `another process (pid ${pid}) answers on port ${this.port}: Address already in use`,
            );
          }
          return true;
        },
        timeoutMs,
      );
    } catch (err) {
      const tail = this.logTail();
      await this.#terminate('SIGKILL');
      throw new HarnessError(
        `${this.flavor} ${this.version} failed to start on 127.0.0.1:${this.port}: ${(err as Error).message}\n` +
          `--- server log (${this.dir}) ---\n${tail}`,
      );
    }
  }

  async #terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) {
      forgetPid(child?.pid);
      return;
    }
    if (this.#paused) child.kill('SIGCONT');
    this.#paused = false;
    child.kill(signal);
    if (signal !== 'SIGKILL') {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await this.#exited;
      clearTimeout(timer);
    } else {
      await this.#exited;
    }
    forgetPid(child.pid);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.#terminate(signal);
  }

  pause(ms?: number): Promise<void> {
    if (!this.running) return Promise.reject(new HarnessError('cannot pause a server that is not running'));
    this.#child!.kill('SIGSTOP');
    this.#paused = true;
    if (ms === undefined) return Promise.resolve();
    const child = this.#child;
    return new Promise((resolve) => {
      setTimeout(() => {
        // Only the pause it belongs to: not a restarted process's (paused again, say).
        if (this.#child === child) this.resume();
        resolve();
      }, ms);
    });
  }

  resume(): void {
    if (this.#paused && this.running) this.#child!.kill('SIGCONT');
    this.#paused = false;
  }

  async restart(): Promise<void> {
    if (this.#stopped) throw new HarnessError('cannot restart a server after stop()');
    await this.#terminate('SIGTERM');
    await this.start();
  }

  killSync(): void {
    const child = this.#child;
    if (child?.pid && this.running) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {}
      forgetPid(child.pid);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    // SIGTERM makes Redis shut down cleanly (nothing to save: `save ""`); SIGKILL after 5 s.
    await this.#terminate('SIGTERM');
    live.delete(this);
    await rm(this.dir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

function runDir(): string {
  return path.join(cacheDir(), 'run');
}

/** Records a server PID so that `pyrsedis-test-server sweep` can reap it if this process dies. */
function recordPid(pid: number | undefined, dir: string): void {
  if (!pid) return;
  try {
    mkdirSync(runDir(), { recursive: true });
    writeFileSync(path.join(runDir(), `${pid}.json`), JSON.stringify({ pid, dir, owner: process.pid }));
  } catch {}
}

function forgetPid(pid: number | undefined): void {
  if (!pid) return;
  try {
    unlinkSync(path.join(runDir(), `${pid}.json`));
  } catch {}
}

/** The configuration lines every harness server shares. */
export function baseConfig(dir: string, port: number): (string | number)[][] {
  return [
    ['bind', '127.0.0.1'],
    ['port', port],
    ['dir', dir],
    ['logfile', path.join(dir, 'server.log')],
    ['daemonize', 'no'],
    ['protected-mode', 'no'],
    ['save', ''],
    ['appendonly', 'no'],
    ['enable-debug-command', 'yes'],
    // A replica's full sync starts at once (the default waits 5 s for more replicas to share it).
    ['repl-diskless-sync-delay', 0],
  ];
}

export interface NodeSpec {
  flavor: Flavor;
  falkordb?: boolean | undefined;
  password?: string | undefined;
  users?: AclUser[] | undefined;
  tls?: boolean | ServerTlsOptions | undefined;
  config?: Record<string, string | number | readonly (string | number)[]> | undefined;
  /** Extra directive lines (cluster, replication, sentinel). */
  lines?: (string | number)[][];
  /** Command-line flags after the config file (e.g. `--sentinel`). */
  extraArgs?: string[];
  port?: number;
  startTimeoutMs?: number | undefined;
  /** A cluster node: a bus port of its own (`cluster-port`), chosen per attempt. */
  clusterBus?: boolean;
}

/** @internal Writes the configuration for one node and starts it; retries on a port race. */
export async function launchNode(spec: NodeSpec): Promise<ServerProcess> {
  if (spec.password === '') {
    // `requirepass ""` means no password at all: the server would start open, and every
    // authenticated health check would fail until the start timeout.
    throw new HarnessError('an empty password: Redis reads it as no password at all; leave password out');
  }
  const binary = await ensureServer(spec.flavor);
  if (spec.falkordb && !binary.falkordbModule) {
    throw new HarnessError(
      `flavor ${spec.flavor} cannot load FalkorDB (it needs a server >= 7.2): use 'redis8' or 'valkey8'`,
    );
  }
  const wantTls = spec.tls === true || (typeof spec.tls === 'object' && spec.tls !== null);
  if (wantTls && !binary.tls) {
    throw new HarnessError(
      `flavor ${spec.flavor} has no TLS (the bundled Redis 8.2 is built without it): use 'valkey8' or 'redis7'`,
    );
  }
  const tlsMaterial = wantTls ? await testCertificates() : undefined;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = spec.port ?? (await freePort());
    const dir = await mkdtemp(path.join(os.tmpdir(), `pyrsedis-${spec.flavor}-`));
    const lines = baseConfig(dir, port);
    if (tlsMaterial) {
      const f = tlsMaterial.files;
      lines.push(
        ['port', 0], // TLS only: the plain port is closed.
        ['tls-port', port],
        ['tls-cert-file', f.serverCert],
        ['tls-key-file', f.serverKey],
        ['tls-ca-cert-file', f.ca],
        ['tls-auth-clients', typeof spec.tls === 'object' && spec.tls.mutual ? 'yes' : 'no'],
      );
    }
    if (spec.password !== undefined)
      lines.push(['requirepass', spec.password], ['masterauth', spec.password]);
    for (const user of spec.users ?? []) {
      lines.push([
        'user',
        user.name,
        'on',
        `>${user.password}`,
        ...(user.rules ?? '~* &* +@all').split(/\s+/),
      ]);
    }
    if (spec.falkordb) lines.push(['loadmodule', binary.falkordbModule!]);
    lines.push(...(spec.lines ?? []));
    // A cluster node's bus port is probed anew on each attempt, like its port (a port taken
    // between probe and bind fails the attempt either way).
    const busPort = spec.clusterBus ? await freePort() : undefined;
    if (busPort !== undefined) lines.push(['cluster-port', busPort]);
    // A directive of several words (`rename-command: ['HELLO', '']`) as an array.
    for (const [key, value] of Object.entries(spec.config ?? {}))
      lines.push([key, ...(Array.isArray(value) ? value : [value as string | number])]);
    const confFile = path.join(dir, 'server.conf');
    await writeFile(confFile, formatConfig(lines));
    const server = new ServerProcess(
      { binary, dir, confFile, extraArgs: spec.extraArgs ?? [] },
      port,
      tlsMaterial,
      spec.password,
    );
    try {
      server.busPort = busPort;
      await server.start(spec.startTimeoutMs);
      return server;
    } catch (err) {
      lastError = err;
      const log = await readFile(path.join(dir, 'server.log'), 'utf8').catch(() => '');
      await rm(dir, { recursive: true, force: true });
      // Another process may have taken the probed port between probe and bind: try another.
      if (spec.port !== undefined || !/Address already in use/i.test(`${log}${(err as Error).message}`))
        throw err;
    }
  }
  throw lastError;
}

/**
 * Starts one real server on a free port of 127.0.0.1 and waits until it answers PING.
 *
 * ```ts
 * await using server = await startServer({ flavor: 'redis8', falkordb: true });
 * ```
 */
export async function startServer(options: StartServerOptions = {}): Promise<RedisServer> {
  if (process.env.PYRSEDIS_TEST_BACKEND === 'docker') {
    const { startDockerServer } = await import('./docker.js');
    return startDockerServer(options);
  }
  return launchNode({ ...options, flavor: options.flavor ?? 'redis8' });
}

/** Kills a server (SIGKILL): for chaos tests. */
export function kill(node: RedisServer, signal?: NodeJS.Signals): Promise<void> {
  return node.kill(signal);
}

/** Freezes a server with SIGSTOP for `ms` milliseconds, then resumes it (SIGCONT). */
export function pause(node: RedisServer, ms: number): Promise<void> {
  return node.pause(ms);
}

/** Starts a server again on its port and directory. */
export function restart(node: RedisServer): Promise<void> {
  return node.restart();
}

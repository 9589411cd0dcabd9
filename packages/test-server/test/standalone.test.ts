import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  AdminConnection,
  AdminReplyError,
  HarnessError,
  kill,
  parseInfo,
  pause,
  provision,
  restart,
  startSentinel,
  startServer,
  sweep,
  waitFor,
} from '../src/index.js';
import { withLock } from '../src/util.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function serverVersion(server: {
  call(...a: string[]): Promise<unknown>;
}): Promise<string | undefined> {
  return parseInfo(String(await server.call('INFO', 'server'))).redis_version;
}

describe('provision', () => {
  it('provides all three flavors with the expected versions', async () => {
    const binaries = await provision();
    expect(binaries.map((b) => [b.flavor, b.version])).toEqual([
      ['redis8', '8.2.3'],
      ['valkey8', '8.0.1'],
      ['redis7', '7.0.15'],
    ]);
    expect(binaries.find((b) => b.flavor === 'redis8')!.falkordbModule).toMatch(/falkordb\.so$/);
    expect(binaries.find((b) => b.flavor === 'redis7')!.falkordbModule).toBeUndefined();
  });
});

describe('startServer', () => {
  it('starts Redis 8.2 with FalkorDB that answers a graph query, and stops it completely', async () => {
    const server = await startServer({ flavor: 'redis8', falkordb: true });
    const { pid, dir, port } = server;
    expect(server.url).toBe(`redis://127.0.0.1:${port}`);
    expect(await serverVersion(server)).toBe('8.2.3');
    const reply = (await server.call('GRAPH.QUERY', 'g', 'RETURN 1')) as unknown[];
    expect(reply[0]).toEqual(['1']);
    expect(reply[1]).toEqual([[1]]);
    expect(alive(pid)).toBe(true);
    await server.stop();
    expect(alive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await expect(AdminConnection.connect({ host: '127.0.0.1', port })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('starts Valkey 8 with FalkorDB loaded', async () => {
    await using server = await startServer({ flavor: 'valkey8', falkordb: true });
    expect(server.version).toBe('8.0.1');
    const modules = JSON.stringify(await server.call('MODULE', 'LIST'));
    expect(modules).toContain('"graph"');
    const reply = (await server.call('GRAPH.QUERY', 'g', 'RETURN 2')) as unknown[];
    expect(reply[1]).toEqual([[2]]);
  });

  it('starts Redis 7.0 and refuses FalkorDB on it with a clear error', async () => {
    await using server = await startServer({ flavor: 'redis7' });
    expect(await serverVersion(server)).toBe('7.0.15');
    await expect(startServer({ flavor: 'redis7', falkordb: true })).rejects.toThrow(
      "flavor redis7 cannot load FalkorDB (it needs a server >= 7.2): use 'redis8' or 'valkey8'",
    );
  });

  it('refuses TLS on the bundled Redis 8.2 with a clear error', async () => {
    await expect(startServer({ flavor: 'redis8', tls: true })).rejects.toBeInstanceOf(HarnessError);
    await expect(startServer({ flavor: 'redis8', tls: true })).rejects.toThrow(
      /no TLS.*use 'valkey8' or 'redis7'/,
    );
  });

  it('sets a password and ACL users', async () => {
    await using server = await startServer({
      password: 's3cret pass',
      users: [{ name: 'reader', password: 'r-pass', rules: '~* +get +ping' }],
    });
    expect(server.url).toBe(`redis://:s3cret%20pass@127.0.0.1:${server.port}`);
    const anonymous = await AdminConnection.connect({ host: '127.0.0.1', port: server.port });
    await expect(anonymous.call('PING')).rejects.toThrow(/NOAUTH/);
    anonymous.close();
    const reader = await AdminConnection.connect({
      host: '127.0.0.1',
      port: server.port,
      username: 'reader',
      password: 'r-pass',
    });
    expect(await reader.call('PING')).toBe('PONG');
    await expect(reader.call('SET', 'k', 'v')).rejects.toThrow(/NOPERM/);
    reader.close();
    await expect(
      AdminConnection.connect({
        host: '127.0.0.1',
        port: server.port,
        username: 'reader',
        password: 'wrong',
      }),
    ).rejects.toBeInstanceOf(AdminReplyError);
  });

  it('attaches the server log tail when a server cannot start, and fails at once (not after the start timeout)', async () => {
    const started = Date.now();
    const failure = startServer({ config: { 'no-such-directive': 'x' } });
    await expect(failure).rejects.toThrow(/failed to start[\s\S]*server log[\s\S]*no-such-directive/);
    expect(Date.now() - started).toBeLessThan(10_000); // waited the full 20 s before
  });

  it('a port another server holds is never taken for a started server', async () => {
    await using first = await startServer();
    await first.call('SET', 'owner', 'first');
    // The second server cannot bind; the first one answers PING on that port.
    const second = startServer({ port: first.port } as never);
    await expect(second).rejects.toThrow(/another process \(pid \d+\) answers on port/);
    expect(await first.call('GET', 'owner')).toBe('first');
  });

  it('the CLI exits non-zero on an unknown command; startSentinel validates its counts', async () => {
    const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
    const code = await new Promise<number | null>((resolve) =>
      spawn(process.execPath, [cli, 'bogus'], { stdio: 'ignore' }).once('exit', resolve),
    );
    expect(code).toBe(2);
    await expect(startSentinel({ replicas: -1 })).rejects.toThrow('replicas must be an integer >= 0, got -1');
  });

  it('the CLI start command exits 1 with the log when its server dies, 0 on Ctrl-C', async () => {
    const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
    for (const how of ['server dies', 'SIGINT'] as const) {
      const child = spawn(process.execPath, [cli, 'start'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.stderr.on('data', (d: Buffer) => (err += d));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      await waitFor('the CLI to print its server', async () => /\(pid (\d+)\)/.test(out), 20_000);
      const pid = Number(/\(pid (\d+)\)/.exec(out)![1]);
      if (how === 'server dies') process.kill(pid, 'SIGKILL');
      else child.kill('SIGINT');
      const code = await exited;
      if (how === 'server dies') {
        expect(code).toBe(1);
        expect(err).toMatch(/exited unexpectedly; its log/);
      } else expect(code).toBe(0);
    }
  });

  it('a provisioning lock left by a process that died is taken over at once', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pyrsedis-lock-'));
    try {
      const lock = path.join(dir, 'x.lock');
      // A lock whose holder (a finished child process) no longer exists.
      const child = spawn(process.execPath, ['-e', '0']);
      await new Promise((resolve) => child.once('exit', resolve));
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), String(child.pid));
      const started = Date.now();
      expect(await withLock(lock, async () => 'mine')).toBe('mine');
      expect(Date.now() - started).toBeLessThan(2000); // waited 15 minutes before
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown flavor with the list of flavors', async () => {
    await expect(startServer({ flavor: 'redis9' as never })).rejects.toThrow(
      'unknown flavor "redis9" (one of redis8, valkey8, redis7)',
    );
  });
});

describe('TLS', () => {
  for (const flavor of ['valkey8', 'redis7'] as const) {
    it(`${flavor} answers PING over TLS only`, async () => {
      await using server = await startServer({ flavor, tls: true });
      expect(server.url).toBe(`rediss://127.0.0.1:${server.port}`);
      const tls = { ca: server.tls!.ca, servername: 'localhost' };
      const secure = await AdminConnection.connect({ host: '127.0.0.1', port: server.port, tls });
      expect(await secure.call('PING')).toBe('PONG');
      secure.close();
      // The same port spoken to in plain text never answers PONG.
      const plain = await AdminConnection.connect({ host: '127.0.0.1', port: server.port });
      await expect(plain.call('PING')).rejects.toThrow(/closed|ECONNRESET|unexpected/);
      plain.close();
    });
  }

  it('mTLS rejects a client without a certificate and accepts one with it', async () => {
    await using server = await startServer({ flavor: 'valkey8', tls: { mutual: true } });
    const { ca, cert, key } = server.tls!;
    const withCert = await AdminConnection.connect({
      host: '127.0.0.1',
      port: server.port,
      tls: { ca, cert, key, servername: 'localhost' },
    });
    expect(await withCert.call('PING')).toBe('PONG');
    withCert.close();
    const attempt = AdminConnection.connect({
      host: '127.0.0.1',
      port: server.port,
      tls: { ca, servername: 'localhost' },
    }).then((conn) => conn.call('PING').finally(() => conn.close()));
    await expect(attempt).rejects.toThrow();
  });
});

describe('chaos helpers', () => {
  it('pause freezes the server and resumes it', async () => {
    await using server = await startServer();
    const conn = await AdminConnection.connect({ host: '127.0.0.1', port: server.port });
    const paused = pause(server, 400);
    const started = Date.now();
    const reply = await conn.call('PING');
    const waited = Date.now() - started;
    await paused;
    conn.close();
    expect(reply).toBe('PONG');
    expect(waited).toBeGreaterThanOrEqual(300);
  });

  it('a timed pause resumes only its own process: not the restarted one paused again', async () => {
    await using server = await startServer();
    const timed = server.pause(200);
    await server.restart(); // a new process
    await server.pause(); // paused until resume()
    await timed;
    const state = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[0];
    expect(state).toBe('T'); // still stopped
    server.resume();
    expect(await server.call('PING')).toBe('PONG');
  });

  it('a call to a server that stays frozen fails after the reply timeout instead of hanging', async () => {
    await using server = await startServer();
    await server.pause();
    const saved = AdminConnection.replyTimeoutMs;
    AdminConnection.replyTimeoutMs = 300;
    try {
      await expect(server.call('PING')).rejects.toThrow('no reply to PING within 300 ms');
    } finally {
      AdminConnection.replyTimeoutMs = saved;
      server.resume();
    }
    expect(await server.call('PING')).toBe('PONG');
  });

  it('kill and restart bring the server back on the same port', async () => {
    await using server = await startServer();
    const before = server.pid;
    await kill(server);
    expect(server.running).toBe(false);
    expect(alive(before)).toBe(false);
    await expect(AdminConnection.connect({ host: '127.0.0.1', port: server.port })).rejects.toThrow(
      /ECONNREFUSED/,
    );
    await restart(server);
    expect(server.running).toBe(true);
    expect(server.pid).not.toBe(before);
    expect(await server.call('PING')).toBe('PONG');
  });

  it('restart waits as long as the first start was told to (startTimeoutMs), not the default', async () => {
    await using server = await startServer({ startTimeoutMs: 600 });
    // A dataset that takes well over 600 ms to load: PING answers LOADING until it is in.
    await server.call('DEBUG', 'POPULATE', '3000000');
    await server.call('SAVE');
    const started = Date.now();
    await expect(server.restart()).rejects.toThrow(/timed out after 600 ms[\s\S]*LOADING/);
    expect(Date.now() - started).toBeLessThan(10_000); // the default would wait 20 s and succeed
  });

  it('refuses an empty password at once (Redis reads it as no password at all)', async () => {
    const started = Date.now();
    await expect(startServer({ password: '' })).rejects.toThrow(/empty password/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('sweep reaps the servers of a test process that died without stopping them', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const script = `
      import { startServer } from ${JSON.stringify(path.join(here, '..', 'dist', 'index.js'))};
      const s = await startServer();
      console.log(s.pid);
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise((resolve) => child.once('exit', resolve));
    const orphan = Number(out.trim());
    expect(orphan).toBeGreaterThan(0);
    expect(alive(orphan)).toBe(true);
    const killed = await sweep();
    expect(killed).toContain(orphan);
    // Gone, or a zombie waiting for init to reap it: either way it no longer runs.
    await waitFor('the orphan to die', async () => !alive(orphan) || isZombie(orphan), 5000);
  });
});

function isZombie(pid: number): boolean {
  try {
    return /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('a test process ended by a signal', () => {
  it('kills its servers on SIGTERM before dying', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const script = `
      import { startServer } from ${JSON.stringify(path.join(here, '..', 'dist', 'index.js'))};
      const s = await startServer();
      console.log(s.pid);
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve) =>
      child.stdout.once('data', (d) => resolve(Number(String(d).trim()))),
    );
    expect(alive(pid)).toBe(true);
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    await waitFor('the server to die with its test process', async () => !alive(pid) || isZombie(pid), 5000);
  });
});

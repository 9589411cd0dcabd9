// The client over one connection, against real servers.
import diagnostics from 'node:diagnostics_channel';
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { startServer } from '@pyrsedis/test-server';
import { describe, expect, it } from 'vitest';
import {
  AuthError,
  ClientOptionsError,
  type Commands,
  ConnectionError,
  createClient,
  MapKeyError,
  ReplyError,
  TimeoutError,
  withBuffers,
  withOptions,
} from '../src/index.js';
import { fullGc, replyProxy } from './helpers.js';

/** Open sockets of this process (Linux): Bun has no getActiveResourcesInfo() to ask. */
function openSockets(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;
}

describe('createClient against Redis 8.2', () => {
  it('connects, runs typed commands, and auto-pipelines 100k commands issued in one tick', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    expect(client.state).toBe('ready');
    expect(client.protocol).toBe(3);
    expect(await client.set('k', 'v')).toBe('OK');
    expect(await client.get('k')).toBe('v');
    const replies = await Promise.all(Array.from({ length: 100_000 }, () => client.incr('counter')));
    expect(replies[0]).toBe(1);
    expect(replies.at(-1)).toBe(100_000);
    expect(await client.get('counter')).toBe('100000');
  });

  it('an error reply rejects only its own command, with its code and name', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    await client.set('str', 'x');
    const results = await Promise.allSettled([
      client.get('str'),
      client.lpush('str', 'a'),
      client.get('str'),
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'x' });
    const rejected = results[1] as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(ReplyError);
    expect(rejected.reason.code).toBe('WRONGTYPE');
    expect(rejected.reason.command).toBe('LPUSH');
    expect(results[2]).toEqual({ status: 'fulfilled', value: 'x' });
    // A bad argument rejects before anything is written; the others in the same tick still run.
    const mixed = await Promise.allSettled([
      client.sendCommand(['SET', 'a', undefined as never]),
      client.get('str'),
    ]);
    expect((mixed[0] as PromiseRejectedResult).reason).toBeInstanceOf(TypeError);
    expect(mixed[1]).toEqual({ status: 'fulfilled', value: 'x' });
  });

  it('a server killed with 100k commands in flight: every promise settles, then the client reconnects', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const reconnecting: unknown[] = [];
    client.on('reconnecting', (e) => reconnecting.push(e));
    client.on('error', () => {});
    const promises = Array.from({ length: 100_000 }, (_, i) => client.set(`k${i}`, 'v'));
    const killed = server.kill();
    const settled = await Promise.allSettled(promises);
    await killed;
    const rejected = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
    expect(settled.length).toBe(100_000);
    for (const r of rejected) {
      expect(r.reason).toBeInstanceOf(ConnectionError);
      expect(typeof r.reason.mayHaveExecuted).toBe('boolean');
      expect(r.reason.command).toBe('SET');
    }
    // Commands issued while it is down wait in the offline queue and run after the reconnect.
    const queued = client.incr('after');
    await server.restart();
    expect(await queued).toBe(1);
    expect(client.state).toBe('ready');
    expect(reconnecting.length).toBeGreaterThan(0);
  });

  it('timeouts are end-to-end deadlines; a late reply never settles another command', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    await client.set('a', 'A');
    await client.set('b', 'B');
    const fast = withOptions(client, { timeoutMs: 150 });
    // The server is frozen: the deadline fires although the command was written long ago.
    const paused = server.pause(600);
    const started = Date.now();
    const err = await fast.get('a').catch((e: Error) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).mayHaveExecuted).toBe(true);
    expect(Date.now() - started).toBeLessThan(500);
    await paused;
    // Its reply arrives late and is dropped: the next command gets its own reply.
    expect(await client.get('b')).toBe('B');
    // DEBUG SLEEP longer than the deadline: same story.
    await expect(fast.sendCommand(['DEBUG', 'SLEEP', '0.4'])).rejects.toBeInstanceOf(TimeoutError);
    expect(await client.get('a')).toBe('A');
  });

  it('a blocking command that times out retires its connection: a later push is not lost', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    client.on('error', () => {});
    await expect(withOptions(client, { timeoutMs: 100 }).blpop(['queue'], 0)).rejects.toBeInstanceOf(
      TimeoutError,
    );
    await using other = await createClient({ port: server.port }).connect();
    expect(await other.lpush('queue', 'item')).toBe(1);
    // Nobody popped it: the abandoned BLPOP's connection is gone, the item waits in the list.
    expect(await other.llen('queue')).toBe(1);
    expect(await client.lpop('queue')).toBe('item');
  });

  it('AbortSignal: an aborted command is rejected, and never sent if it was not yet', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const controller = new AbortController();
    const aborted = withOptions(client, { signal: controller.signal }).set('never', '1');
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    expect(await client.get('never')).toBeNull();
    await expect(withOptions(client, { signal: AbortSignal.abort() }).get('x')).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('one signal for many commands: one listener (no listener-leak warning), every command aborted', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const view = withOptions(client, { signal: controller.signal });
      const asleep = client.sendCommand(['DEBUG', 'SLEEP', '0.2']);
      const many = Array.from({ length: 50 }, (_, i) => view.get(`k${i}`).catch((e: unknown) => e));
      controller.abort(new Error('enough'));
      expect((await Promise.all(many)).every((e) => e instanceof Error && e.message === 'enough')).toBe(true);
      await asleep;
      // Settled commands leave no listener behind: a later round on the same signal is fine too.
      const again = new AbortController();
      const next = withOptions(client, { signal: again.signal });
      expect(await Promise.all(Array.from({ length: 50 }, () => next.ping()))).toHaveLength(50);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
    // An option given as undefined keeps what an inner view set.
    const inner = withOptions(client, { timeoutMs: 100 });
    await expect(
      withOptions(inner, { timeoutMs: undefined }).sendCommand(['DEBUG', 'SLEEP', '0.5']),
    ).rejects.toBeInstanceOf(TimeoutError);
  });

  it('with the offline queue off, commands fail at once while reconnecting', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, offlineQueue: false }).connect();
    client.on('error', () => {});
    await server.kill();
    if (client.state !== 'reconnecting')
      await new Promise<void>((resolve) => client.once('reconnecting', () => resolve()));
    await expect(client.get('k')).rejects.toThrow(/offline queue is off/);
    await server.restart();
    await new Promise<void>((resolve) =>
      client.state === 'ready' ? resolve() : client.once('ready', () => resolve()),
    );
    expect(await client.ping()).toBe('PONG');
  });

  it('100k queued commands timing out while disconnected settle without a scan of the queue each; the rest is sent in order', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, offlineQueue: 200_000 }).connect();
    client.on('error', () => {});
    await server.kill();
    if (client.state !== 'reconnecting')
      await new Promise<void>((resolve) => client.once('reconnecting', () => resolve()));
    const view = withOptions(client, { timeoutMs: 100 });
    const doomed = Array.from({ length: 100_000 }, (_, i) => view.set(`k${i}`, 'x').catch((e: unknown) => e));
    const kept = Array.from({ length: 3 }, (_, i) => client.rpush('order', String(i)));
    const deadline = performance.now() + 100;
    const settled = await Promise.all(doomed);
    // ~0.5-1 s here; removing each from the queue (indexOf + splice) took ~10 s for 100k.
    expect(performance.now() - deadline).toBeLessThan(5000);
    expect(settled.every((e) => e instanceof TimeoutError && e.mayHaveExecuted === false)).toBe(true);
    await server.restart();
    expect(await Promise.all(kept)).toEqual([1, 2, 3]);
    expect(await client.lrange('order', 0, -1)).toEqual(['0', '1', '2']);
    expect(await client.exists('k0')).toBe(0);
  });

  it('handshake: password, name and database in one round trip; wrong password fails clearly', async () => {
    await using server = await startServer({ password: 's3cret' });
    await using client = await createClient(
      `redis://:s3cret@127.0.0.1:${server.port}/2?name=pyr-test`,
    ).connect();
    const info = await client.clientInfo();
    expect(info.name).toBe('pyr-test');
    expect(info.db).toBe('2');
    expect(info['lib-name']).toBe('pyrsedis');
    const wrong = createClient({ port: server.port, password: 'nope' });
    const failure = await wrong.connect().catch((e: Error) => e);
    expect(failure).toBeInstanceOf(ReplyError);
    expect(String((failure as Error).message)).not.toContain('nope');
  });

  it('close() waits for replies in flight; destroy() rejects them; both leave no open socket', async () => {
    await using server = await startServer();
    const client = await createClient({ port: server.port }).connect();
    const pending = client.set('a', '1');
    await client.close();
    expect(await pending).toBe('OK');
    expect(client.state).toBe('closed');
    const other = await createClient({ port: server.port }).connect();
    const lost = other.sendCommand(['BLPOP', 'empty', 0]);
    await new Promise((resolve) => setImmediate(resolve));
    other.destroy();
    await expect(lost).rejects.toBeInstanceOf(ConnectionError);
  });

  it('close() also ends when the last reply awaited is an error, or belongs to a timed-out command', async () => {
    await using server = await startServer();
    const client = await createClient({ port: server.port, commandTimeoutMs: 100 }).connect();
    await client.set('str', 'x');
    const wrong = client.lpush('str', 'y').catch((e: unknown) => e);
    await client.close();
    expect(((await wrong) as ReplyError).code).toBe('WRONGTYPE');
    const other = await createClient({ port: server.port, commandTimeoutMs: 100 }).connect();
    const slow = other.sendCommand(['DEBUG', 'SLEEP', '0.3']).catch((e: unknown) => e);
    expect(await slow).toBeInstanceOf(TimeoutError);
    const started = Date.now();
    await other.close(); // the late reply arrives, is dropped, and lets the socket go
    expect(other.state).toBe('closed');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a view (withBuffers, withOptions) has the whole client: multi(), isolated(), state, close()', async () => {
    await using server = await startServer();
    const client = await createClient({ port: server.port }).connect();
    const bytes = withBuffers(client);
    await client.set('bin', Buffer.from([1, 2, 255]));
    const [set, got] = (await bytes.multi().set('other', 'x').get('bin').exec()) as unknown[];
    expect(set).toBe('OK'); // a simple string; bulk strings come as Buffers, as the view asks:
    expect(Buffer.isBuffer(got) && (got as Buffer).equals(Buffer.from([1, 2, 255]))).toBe(true);
    const inSession = await bytes.isolated((session) => session.get('bin'));
    expect(Buffer.isBuffer(inSession)).toBe(true);
    const quick = withOptions(bytes, { timeoutMs: 100 });
    await expect(
      quick.isolated((session) => session.sendCommand(['DEBUG', 'SLEEP', '0.3'])),
    ).rejects.toBeInstanceOf(TimeoutError);
    expect(quick.state).toBe('ready');
    expect(quick.poolStats().leased).toBe(0);
    await quick.close();
    expect(client.state).toBe('closed');
  });

  it('the Buffer view returns bulk strings as Buffers', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const bytes = Buffer.from([0, 0xff, 0x80]);
    await client.set('bin', bytes);
    const view = withBuffers(client) as unknown as Commands<Buffer>;
    expect((await view.get('bin'))!.equals(bytes)).toBe(true);
  });
});

describe('other servers', () => {
  it('RESP2 on Redis 7.0: replies are converted to the RESP3 shapes', async () => {
    await using server = await startServer({ flavor: 'redis7' });
    await using client = await createClient({ port: server.port, protocol: 2 }).connect();
    expect(client.protocol).toBe(2);
    await client.hset('h', [{ field: 'f', value: 'v' }]);
    const hash = await client.hgetall('h');
    expect(Object.getPrototypeOf(hash)).toBeNull();
    expect({ ...hash }).toEqual({ f: 'v' });
    await client.zadd('z', [{ score: 1.5, member: 'm' }]);
    expect(await client.zscore('z', 'm')).toBe(1.5);
    // WITHSCORES: flat in RESP2, pairs in RESP3 — the same values either way.
    await client.sendCommand(['ZADD', 'z', -2, 'n', '+inf', 'WITHSCORES']);
    const scored = [
      { member: 'n', score: -2 },
      { member: 'm', score: 1.5 },
      { member: 'WITHSCORES', score: Number.POSITIVE_INFINITY },
    ];
    expect(await client.zrange('z', 0, -1, { withscores: true })).toEqual(scored);
    expect(await client.zrange('z', 0, -1)).toEqual(['n', 'm', 'WITHSCORES']);
    expect(await client.sendCommand(['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'WITHSCORES'])).toEqual(
      scored.map((s) => [s.member, s.score]),
    );
    expect(await client.sendCommand(['ZUNION', 1, 'z', 'withscores'])).toEqual(
      scored.map((s) => [s.member, s.score]),
    );
    expect(await client.sendCommand(['ZRANDMEMBER', 'z', 1, 'WITHSCORES'])).toEqual([
      [expect.any(String), expect.any(Number)],
    ]);
    // A key named WITHSCORES is a key, not the option.
    await client.zadd('WITHSCORES', [{ score: 1, member: 'a' }]);
    expect(await client.sendCommand(['ZUNION', 1, 'WITHSCORES'])).toEqual(['a']);
    await using resp3 = await createClient({ port: server.port }).connect();
    expect(await resp3.zrange('z', 0, -1, { withscores: true })).toEqual(scored);
  });

  it('TLS against Valkey 8 (rediss:// with the test CA)', async () => {
    await using server = await startServer({ flavor: 'valkey8', tls: true });
    await using client = await createClient({
      port: server.port,
      tls: { ca: server.tls!.ca, servername: 'localhost' },
    }).connect();
    expect(await client.ping()).toBe('PONG');
  });

  it('TLS to an IP address sends no SNI (no DEP0123 warning)', async () => {
    await using server = await startServer({ flavor: 'valkey8', tls: true });
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(w.code ?? w.message);
    process.on('warning', onWarning);
    try {
      // The test certificate names localhost: its identity check is waived here, the chain is not.
      await using client = await createClient({
        host: '127.0.0.1',
        port: server.port,
        tls: { ca: server.tls!.ca, checkServerIdentity: () => undefined },
      }).connect();
      expect(await client.ping()).toBe('PONG');
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain('DEP0123');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('mTLS against Valkey 8: refused without a client certificate, served with one', async () => {
    await using server = await startServer({ flavor: 'valkey8', tls: { mutual: true } });
    const material = server.tls!;
    const anonymous = createClient({
      port: server.port,
      tls: { ca: material.ca, servername: 'localhost' },
      connectTimeoutMs: 3000,
    });
    await expect(anonymous.connect()).rejects.toBeInstanceOf(ConnectionError);
    await using client = await createClient({
      port: server.port,
      tls: { ca: material.ca, cert: material.cert, key: material.key, servername: 'localhost' },
    }).connect();
    expect(await client.set('k', 'v')).toBe('OK');
  });

  it('a Unix socket (unix:// URL), and no handle left open after close()', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pyr-sock-'));
    const socket = path.join(dir, 'redis.sock');
    await using server = await startServer({ config: { unixsocket: socket, unixsocketperm: 700 } });
    const pipes = openSockets;
    const before = pipes();
    const client = await createClient(`unix://${socket}`).connect();
    expect(await client.set('over', 'a socket')).toBe('OK');
    expect((await client.clientInfo()).laddr).toContain(socket);
    await client.blpop(['nothing'], 0.01); // a leased connection too
    expect(pipes()).toBe(before + 2);
    await client.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(pipes()).toBe(before);
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('passwords appear in no error message and no inspect() output', async () => {
    await using server = await startServer({ password: 'p4ssw0rd-secret' });
    await using client = await createClient(`redis://:p4ssw0rd-secret@127.0.0.1:${server.port}`).connect();
    expect(inspect(client, { depth: 10, showHidden: true })).not.toContain('p4ssw0rd-secret');
    const refused = createClient({ port: server.port, password: 'wrong-secret-value' });
    const err = await refused.connect().catch((e: Error) => e);
    expect(inspect(err, { depth: 10 })).not.toContain('wrong-secret-value');
    const refusal = (url: string): unknown => {
      try {
        createClient(url);
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const invalid = refusal('redis://:secret-in-url@host:6379/x');
    expect(String(invalid)).toContain('the database in the URL path must be a number');
    expect(inspect(invalid)).not.toContain('secret-in-url');
    // A password with an unescaped '/': the rest of it would be quoted as "the database".
    const slashed = refusal('redis://default:2024/Sup3rS3cret@cache.internal:6379');
    expect(String(slashed)).toContain("an '@' after the host");
    expect(inspect(slashed)).not.toContain('Sup3rS3cret');
  });

  it('URLs: no // is no URL; unknown, repeated or malformed query options are refused, not ignored', () => {
    for (const url of ['redis:h', 'redis:6380', 'rediss:h', 'redis:cache-host']) {
      // Were 127.0.0.1:6379, silently (or a database error quoting the host).
      expect(() => createClient(url), url).toThrow(
        'invalid Redis URL (expected redis://host:port, rediss://... or unix:///path)',
      );
    }
    // ?password= connected without a password, ?database=5 stayed on 0.
    expect(() => createClient('redis://h/?password=hunter2')).toThrow(
      'unknown URL option "password" (known: protocol, name, db)',
    );
    expect(() => createClient('redis://h?database=5')).toThrow('unknown URL option "database"');
    expect(() => createClient('redis://h?db=1&db=2')).toThrow('the URL option "db" is given twice');
    for (const protocol of ['0x2', '%202.0', '2.0', '']) {
      expect(() => createClient(`redis://h?protocol=${protocol}`), protocol).toThrow(
        /the URL option protocol must be 2 or 3/,
      );
    }
    const fine = createClient('redis://h:1?protocol=2&name=app&db=3');
    fine.destroy();
  });
});

describe('reconnecting to a server that drops every connection right after the handshake', () => {
  it('counts the attempts on (backoff grows, the strategy can give up) instead of starting again each time', async () => {
    await using server = await startServer();
    // After the first connection, every one is closed 20 ms after its first reply.
    await using proxy = await replyProxy(server.port, (data, write, nth, close) => {
      write(data);
      if (nth > 1) setTimeout(close, 20);
    });
    const attempts: number[] = [];
    const client = await createClient({
      port: proxy.port,
      retryStrategy: (attempt) => (attempt > 4 ? false : 10),
    }).connect();
    client.on('error', () => {});
    client.on('reconnecting', ({ attempt }: { attempt: number }) => attempts.push(attempt));
    const ended = new Promise((resolve) => client.once('end', resolve));
    proxy.dropAll();
    await ended; // was never: it reconnected every ~40 ms for ever, attempt always 1
    expect(attempts).toEqual([1, 2, 3, 4]);
  });
});

describe('a reply cut short', () => {
  it('the part of a large reply received before the connection went is let go at once', async () => {
    await using server = await startServer();
    await using admin = await createClient({ port: server.port }).connect();
    await admin.set('big', Buffer.alloc(64 * 1024 * 1024, 0x61));
    // A proxy that passes the first 1 MiB of the replies only: the 64 MiB bulk stays half-received.
    let passed = 0;
    await using proxy = await replyProxy(server.port, (data, write) => {
      const room = 1024 * 1024 - passed;
      if (room > 0) write(data.subarray(0, room));
      passed += data.length;
    });
    const gc = fullGc();
    const client = await createClient({ port: proxy.port, retryStrategy: () => false }).connect();
    client.on('error', () => {});
    gc();
    const before = process.memoryUsage().arrayBuffers;
    const cut = client.get('big').catch((err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 300));
    client.destroy();
    expect(await cut).toBeInstanceOf(ConnectionError);
    gc();
    // The client is still referenced: its decoder must not hold the 64 MiB it had begun to fill.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    expect(client.state).toBe('closed');
  });
});

describe('views and per-call options', () => {
  it('a call option given as undefined keeps the view option (it erased it)', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const view = withOptions(client, { timeoutMs: 100 });
    const forwarded = { timeoutMs: undefined, signal: undefined };
    const slow = await view
      .isolated((session) => session.sendCommand(['DEBUG', 'SLEEP', '0.5'], undefined, forwarded))
      .catch((err: unknown) => err);
    expect(slow).toBeInstanceOf(TimeoutError); // resolved after 500 ms
    const echoed = await withBuffers(client).sendCommand(['ECHO', 'x'], undefined, { strings: undefined });
    expect(Buffer.isBuffer(echoed)).toBe(true); // was the string 'x'
  });
});

describe('listeners that throw', () => {
  it('a throwing connect or ready listener is reported on error; the connection finishes its work', async () => {
    await using server = await startServer();
    for (const event of ['connect', 'ready'] as const) {
      await using client = createClient({ port: server.port });
      const reported: unknown[] = [];
      client.on('error', (err) => reported.push(err));
      let thrown = false;
      client.on(event, () => {
        if (thrown) return;
        thrown = true;
        throw new Error(`bug in my ${event} listener`);
      });
      const connected = client.connect();
      const got = client.get('k');
      // Were: an unhandled rejection, and connect() and the GET pending for ever.
      await connected;
      expect(await got).toBeNull();
      expect(reported.map((e) => (e as Error).message)).toEqual([`bug in my ${event} listener`]);
    }
  });
});

describe('closing with replies given up on', () => {
  it('close(): once the last awaited reply arrives, late replies of commands given up on are not waited for', async () => {
    await using server = await startServer();
    const client = await createClient({ port: server.port }).connect();
    const awaited = client.sendCommand(['DEBUG', 'SLEEP', '0.3']);
    // Written in a later tick: the server reads it after answering the first one.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const givenUp = withOptions(client, { timeoutMs: 100 })
      .sendCommand(['DEBUG', 'SLEEP', '2'])
      .catch((err: unknown) => err);
    expect(await givenUp).toBeInstanceOf(TimeoutError);
    const started = Date.now();
    await client.close(); // waits for the first reply, not for the second one's 2 s
    expect(await awaited).toBe('OK');
    expect(Date.now() - started).toBeLessThan(1_200);
  });

  it('40k commands in flight aborted by one signal while closing: linear, not quadratic', async () => {
    await using server = await startServer();
    const client = await createClient({ port: server.port }).connect();
    const frozen = server.pause(3_000);
    const controller = new AbortController();
    const view = withOptions(client, { signal: controller.signal });
    const calls = Array.from({ length: 40_000 }, (_, i) => view.get(`k${i}`).catch((err: unknown) => err));
    await new Promise((resolve) => setTimeout(resolve, 100)); // written: in flight
    const closing = client.close();
    const started = Date.now();
    controller.abort(new Error('stop'));
    await Promise.all(calls);
    await closing;
    expect(Date.now() - started).toBeLessThan(1_500); // 2.8–3.5 s with a scan per command; 36 ms now
    server.resume();
    await frozen;
  });

  it('close() does not wait for late replies no one awaits (timed out, aborted) from a frozen server', async () => {
    await using server = await startServer();
    const client = await createClient({ port: server.port, commandTimeoutMs: 100 }).connect();
    const frozen = server.pause(3_000);
    expect(await client.get('k').catch((err: unknown) => err)).toBeInstanceOf(TimeoutError);
    const controller = new AbortController();
    const aborted = withOptions(client, { signal: controller.signal, timeoutMs: 10_000 })
      .get('k')
      .catch((err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    const closing = client.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort(new Error('stop')); // the last reply awaited is given up on while closing
    expect(await aborted).toHaveProperty('message', 'stop');
    await closing;
    expect(Date.now() - started).toBeLessThan(1_000); // waited for the server to wake up
    expect(client.state).toBe('closed');
    server.resume();
    await frozen;
  });
});

describe('closing while connecting', () => {
  it('close() during a reconnect: the queued commands are sent once it is ready, as on the first connect', async () => {
    await using server = await startServer();
    await using admin = await createClient({ port: server.port }).connect();
    const client = await createClient({ port: server.port, retryStrategy: () => 10 }).connect();
    client.on('error', () => {});
    const reconnecting = new Promise((resolve) => client.once('reconnecting', resolve));
    await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
    await reconnecting;
    const queued = client.set('queued', '1').catch((err: unknown) => err);
    await new Promise<void>((resolve) =>
      client.on('state', (state: string) => {
        if (state === 'handshake') resolve();
      }),
    );
    await client.close();
    expect(await queued).toBe('OK'); // was: rejected, never sent
    expect(await admin.get('queued')).toBe('1');
  });

  it('close() does not wait out connectTimeoutMs for queued commands that already timed out or were aborted', async () => {
    await using server = await startServer();
    const paused = server.pause(2_500);
    for (const how of ['timeout', 'abort'] as const) {
      const client = createClient({ port: server.port, connectTimeoutMs: 2_000 });
      client.on('error', () => {});
      const connecting = client.connect().catch(() => {});
      const controller = new AbortController();
      const queued = withOptions(
        client,
        how === 'timeout' ? { timeoutMs: 50 } : { signal: controller.signal },
      )
        .get('k')
        .catch((err: unknown) => err);
      if (how === 'abort') controller.abort(new Error('stop'));
      await queued;
      const started = Date.now();
      await client.close();
      expect(Date.now() - started, how).toBeLessThan(1_000); // waited out connectTimeoutMs before
      await connecting;
    }
    server.resume();
    await paused;
  });

  it('close() with nothing queued does not wait out connectTimeoutMs for a server that never answers', async () => {
    await using server = await startServer();
    const paused = server.pause(4_000); // accepts connections (the kernel does), answers nothing
    const client = createClient({ port: server.port, connectTimeoutMs: 3_000 });
    client.on('error', () => {});
    const connecting = client.connect().catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await client.close();
    expect(Date.now() - started).toBeLessThan(1_000); // waited ~2.9 s before
    expect(await connecting).toBeInstanceOf(ConnectionError);
    expect(client.state).toBe('closed');
    server.resume();
    await paused;
  });
});

describe('CLIENT SETNAME at run time', () => {
  it('names every connection, survives reconnects, and names leased connections opened later', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, connections: 2, name: 'before' }).connect();
    await using admin = await createClient({ port: server.port }).connect();
    const names = async () =>
      (await admin.clientList())
        .filter((c) => c.name === 'before' || c.name === 'after')
        .map((c) => c.name)
        .sort();
    await client.blpop(['nothing'], 0.01); // a leased connection, idle afterwards
    expect(await names()).toEqual(['before', 'before', 'before']);
    expect(await client.clientSetname('after')).toBe('OK');
    // Both shared connections (was: one), the idle lease closed (it had the old name).
    const settled = async (expected: string[]) => {
      for (let i = 0; i < 20 && JSON.stringify(await names()) !== JSON.stringify(expected); i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await names()).toEqual(expected);
    };
    await settled(['after', 'after']);
    await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await client.ping()).toBe('PONG');
    await client.blpop(['nothing'], 0.01);
    await settled(['after', 'after', 'after']); // was: the option's name again
    expect(await client.clientGetname()).toBe('after');
  });
});

describe('options', () => {
  it('parses URLs and validates options with exact messages', () => {
    expect(() => createClient('redis+cluster://a:1,b:2')).toThrow(
      'redis+cluster URLs are handled by @pyrsedis/cluster: npm install @pyrsedis/cluster',
    );
    expect(() => createClient('http://x')).toThrow(
      'unsupported URL scheme "http:" (use redis:, rediss: or unix:)',
    );
    expect(() => createClient({ port: 70000 })).toThrow(
      new ClientOptionsError('port must be 1..65535, got 70000'),
    );
    expect(() => createClient({ protocol: 4 as never })).toThrow('protocol must be 2 or 3, got 4');
    expect(() => createClient({ name: 'has space' })).toThrow(
      'name must not contain spaces (CLIENT SETNAME refuses them)',
    );
    expect(() => createClient({ name: 'café' })).toThrow(
      'name must be printable ASCII (CLIENT SETNAME refuses other characters)',
    );
    // A misspelt option is an error, not a silent default (node-redis users write `url`: it works).
    expect(() => createClient({ prot: 6380 } as never)).toThrow('unknown option "prot"');
    const fromUrl = createClient({ url: 'redis://u:p%40ss@127.0.0.1:1/3', connectTimeoutMs: 50 });
    fromUrl.on('error', () => {});
    fromUrl.connect().catch(() => {});
    // Timeouts a timer cannot express (they would fire at once) are refused; Infinity means none.
    expect(() => createClient({ commandTimeoutMs: 2 ** 31 })).toThrow(
      /commandTimeoutMs must be a number of ms/,
    );
    expect(() => createClient({ connectTimeoutMs: Number.POSITIVE_INFINITY })).toThrow(/connectTimeoutMs/);
    expect(() => withOptions(fromUrl, { timeoutMs: 0 })).toThrow(TypeError);
    expect(() => withOptions(fromUrl, { timeoutMs: Number.POSITIVE_INFINITY })).not.toThrow();
    fromUrl.destroy();
    // URL mistakes are options errors that do not quote the secret.
    const bad = (() => {
      try {
        createClient('redis://:pa%ss@host:1');
      } catch (err) {
        return err as Error;
      }
    })();
    expect(bad).toBeInstanceOf(ClientOptionsError);
    expect(bad!.message).toBe('the URL has a malformed percent-escape in the password');
    expect(() => createClient('unix://')).toThrow(/needs a socket path/);
    // The database in a URL is decimal digits, given once (/1e1 was 10, /0x2 was 2, ?db= was 0).
    for (const url of [
      'redis://h/1e1',
      'redis://h/0x2',
      'redis://h/1.0',
      'redis://h?db=',
      'redis://h/1?db=2',
    ])
      expect(() => createClient(url), url).toThrow(ClientOptionsError);
  });

  it('url: options beside it override it; the database and credentials come from it', async () => {
    await using server = await startServer({ password: 'p@ss' });
    await using client = await createClient({
      url: `redis://:p%40ss@127.0.0.1:${server.port}/3`,
      name: 'from-url',
    }).connect();
    expect(await client.clientGetname()).toBe('from-url');
    expect(String(await client.sendCommand(['CLIENT', 'INFO']))).toMatch(/ db=3 /);
  });

  it('a connection attempt has one deadline, handshake included: a frozen server fails it, reconnects keep trying', async () => {
    await using server = await startServer();
    await server.pause();
    try {
      const started = performance.now();
      const frozen = createClient({ port: server.port, connectTimeoutMs: 300 });
      await expect(frozen.connect()).rejects.toThrow('handshake timed out after 300 ms');
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      server.resume();
    }
    await using client = await createClient({
      port: server.port,
      connectTimeoutMs: 200,
      retryStrategy: () => 20,
    }).connect();
    client.on('error', () => {});
    let attempts = 0;
    client.on('reconnecting', () => attempts++);
    await using admin = await createClient({ port: server.port }).connect();
    const lost = new Promise((resolve) => client.once('reconnecting', resolve));
    await admin.sendCommand(['CLIENT', 'KILL', 'ID', String(await client.clientId())]);
    await lost;
    // Frozen: each attempt connects (the kernel accepts) and times out in its handshake.
    await server.pause(1200);
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(await client.ping()).toBe('PONG');
  });

  it('a wrong password with a database fails connect() with an AuthError and nothing unhandled', async () => {
    await using server = await startServer({ password: 'right' });
    const client = createClient({ port: server.port, password: 'wrong', database: 2 });
    const err = await client.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    // An unhandled rejection (the SELECT refused with NOAUTH) would fail this file.
    await new Promise((resolve) => setTimeout(resolve, 50));
  });

  it('a retryStrategy that throws, or returns no number, ends the client instead of crashing or spinning', async () => {
    await using server = await startServer();
    const strategies: [(attempt: number, error: Error) => number | false, RegExp | undefined][] = [
      [
        () => {
          throw new Error('strategy boom');
        },
        /retryStrategy threw: strategy boom/,
      ],
      [() => undefined as unknown as number, undefined],
      [() => Number.NaN, undefined],
    ];
    for (const [retryStrategy, reported] of strategies) {
      const client = await createClient({ port: server.port, retryStrategy }).connect();
      const errors: Error[] = [];
      client.on('error', (e: Error) => errors.push(e));
      const ended = new Promise((resolve) => client.once('end', resolve));
      await using admin = await createClient({ port: server.port }).connect();
      await admin.sendCommand(['CLIENT', 'KILL', 'ID', String(await client.clientId())]);
      await ended;
      expect(client.state).toBe('closed');
      await expect(client.ping()).rejects.toBeInstanceOf(ConnectionError);
      if (reported !== undefined)
        expect(errors.map((e) => e.message)).toContainEqual(expect.stringMatching(reported));
    }
  });

  it('destroy() while a TLS connection is still being set up leaves no socket or timer', async () => {
    await using server = await startServer();
    await server.pause(); // TCP accepted by the kernel, the TLS handshake never answered
    try {
      const sockets = openSockets;
      const before = sockets();
      const client = createClient({ port: server.port, tls: {}, connectTimeoutMs: 60_000 });
      client.connect().catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(client.state).toBe('connecting');
      client.destroy();
      await new Promise((resolve) => setImmediate(resolve));
      expect(sockets()).toBe(before);
      expect(client.state).toBe('closed');
    } finally {
      server.resume();
    }
  });

  it('a refused connection rejects connect() and every queued command, saying they were not sent', async () => {
    const client = createClient({ port: 1, connectTimeoutMs: 2000 });
    const queued = client.get('k');
    await expect(client.connect()).rejects.toThrow(/could not connect/);
    const err = await queued.catch((e: ConnectionError) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).mayHaveExecuted).toBe(false);
  });
});

describe('IPv6 hosts', () => {
  it('connects to [::1] written with brackets (as in URLs) or bare', async () => {
    await using server = await startServer({ config: { bind: '127.0.0.1 ::1' } });
    for (const host of ['[::1]', '::1']) {
      await using client = await createClient({ host, port: server.port }).connect(); // '[::1]' failed DNS
      expect(await client.ping()).toBe('PONG');
      const info = await client.clientInfo();
      expect(info.addr).toMatch(/^\[::1\]:/);
    }
    // The server of diagnostics events: bracketed (was ::1:port).
    const servers: string[] = [];
    const seen = (event: unknown) => servers.push((event as { server: string }).server);
    diagnostics.subscribe('pyrsedis:connection', seen);
    try {
      await using fromUrl = await createClient(`redis://[::1]:${server.port}`).connect();
      expect(await fromUrl.ping()).toBe('PONG');
    } finally {
      diagnostics.unsubscribe('pyrsedis:connection', seen);
    }
    expect(servers.length).toBeGreaterThan(0);
    expect(new Set(servers)).toEqual(new Set([`[::1]:${server.port}`]));
  });
});

describe('the Buffer view and binary map keys', () => {
  it('HGETALL of fields that are not UTF-8 rejects with a MapKeyError (RESP3 and RESP2), never merges them', async () => {
    await using server = await startServer();
    for (const protocol of [3, 2] as const) {
      await using client = await createClient({ port: server.port, protocol }).connect();
      await client.del('hb');
      await client.hset('hb', [
        { field: Buffer.from([0xff]), value: 'a' },
        { field: Buffer.from([0xfe]), value: 'b' },
      ]);
      const bytes = withBuffers(client);
      // Was { '\ufffd': <Buffer 62> }: one field of two, silently.
      const failed = await bytes.hgetall('hb').catch((err: unknown) => err);
      expect(failed, `protocol ${protocol}`).toBeInstanceOf(MapKeyError);
      expect((failed as MapKeyError).command).toBe('HGETALL');
      // In a pipeline: in its place; the connection goes on.
      const [inPlace, after] = await bytes.pipeline().hgetall('hb').get('hb:none').exec();
      expect(inPlace).toBeInstanceOf(MapKeyError);
      expect(after).toBeNull();
      const fields: Buffer[] = [];
      for await (const { field } of bytes.hscanIterator('hb')) fields.push(field);
      expect(fields.sort(Buffer.compare)).toEqual([Buffer.from([0xfe]), Buffer.from([0xff])]);
      // UTF-8 fields are keys as before.
      await client.hset('hu', [{ field: 'é', value: 'v' }]);
      expect(await bytes.hgetall('hu')).toEqual(Object.assign(Object.create(null), { é: Buffer.from('v') }));
    }
  });
});

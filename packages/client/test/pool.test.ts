// Leased connections: blocking commands never hold up the shared connection; isolated() gives
// WATCH transactions a connection of their own; the pool is bounded.
import { startServer } from '@pyrsedis/test-server';
import { describe, expect, it } from 'vitest';
import { ConnectionError, createClient, type Session, TimeoutError, withOptions } from '../src/index.js';
import { fullGc, replyProxy, warningsDuring } from './helpers.js';

describe('leased connections', () => {
  it('a BLPOP waits on a leased connection while other commands keep flowing', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const popped = client.blpop(['queue'], 0);
    // The shared connection is not blocked behind the BLPOP.
    expect(await client.set('x', '1')).toBe('OK');
    expect(await client.get('x')).toBe('1');
    expect(client.poolStats()).toEqual({ leased: 1, idle: 0, waiting: 0 });
    expect(await client.lpush('queue', 'item')).toBe(1);
    expect(await popped).toEqual(['queue', 'item']);
    expect(client.poolStats()).toEqual({ leased: 0, idle: 1, waiting: 0 });
    // LIFO reuse: the next blocking command takes the idle connection.
    await client.lpush('queue', 'again');
    expect(await client.blpop(['queue'], 0)).toEqual(['queue', 'again']);
    expect(client.poolStats()).toEqual({ leased: 0, idle: 1, waiting: 0 });
  });

  it('isolated(): WATCH on a connection of its own; EXEC returns null when the key changed', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    await client.set('balance', '10');
    const untouched = await client.isolated(async (session) => {
      await session.watch('balance');
      const value = Number(await session.get('balance'));
      return session
        .multi()
        .set('balance', String(value - 1))
        .exec();
    });
    expect(untouched).toEqual(['OK']);
    const raced = await client.isolated(async (session) => {
      await session.watch('balance');
      await client.set('balance', '100'); // another writer, on the shared connection
      return session.multi().set('balance', '0').exec();
    });
    expect(raced).toBeNull();
    expect(await client.get('balance')).toBe('100');
  });

  it('is bounded: callers wait in order and time out with a clear error', async () => {
    await using server = await startServer();
    const client = await createClient({
      port: server.port,
      pool: { maxLeased: 1, acquireTimeoutMs: 200 },
    }).connect();
    const first = client.blpop(['never'], 0);
    first.catch(() => {});
    await new Promise((resolve) => setImmediate(resolve));
    const second = client.blpop(['never2'], 0);
    expect(client.poolStats().waiting).toBe(1);
    await expect(second).rejects.toBeInstanceOf(TimeoutError);
    await expect(second).rejects.toThrow(/no leased connection free within 200 ms \(maxLeased 1\)/);
    client.destroy();
    await expect(first).rejects.toThrow();
  });
});

describe('closing with a blocking command in flight', () => {
  it('close() does not hang on a BLPOP that would wait forever', async () => {
    await using server = await startServer();
    const client = await createClient({ port: server.port }).connect();
    const blocked = client.blpop(['nothing'], 0);
    blocked.catch(() => {});
    while (
      client.poolStats().leased === 0 ||
      String(await server.call('CLIENT', 'LIST'))
        .split('\n')
        .filter((l) => l.includes('cmd=blpop')).length === 0
    ) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    await client.close();
    await expect(blocked).rejects.toThrow();
    expect(client.state).toBe('closed');
  });

  it('close() lets the replies in flight on an isolated() session arrive (only blocking commands are cut)', async () => {
    await using server = await startServer();
    const client = await createClient({ port: server.port }).connect();
    await client.set('k', '1');
    await client.isolated((s) => s.ping()); // a leased connection, open and idle
    let go!: () => void;
    const ready = new Promise<void>((r) => {
      go = r;
    });
    let watched!: () => void;
    const watching = new Promise<void>((r) => {
      watched = r;
    });
    const session = client.isolated(async (s) => {
      await s.watch('k');
      const value = await s.get('k');
      watched();
      await ready;
      return s
        .multi()
        .set('k', String(Number(value) + 1))
        .exec();
    });
    await watching;
    // The server sleeps 300 ms: the session's transaction waits behind it.
    const busy = client.sendCommand(['DEBUG', 'SLEEP', '0.3']);
    await new Promise((r) => setTimeout(r, 20));
    go();
    await new Promise((r) => setTimeout(r, 50));
    await client.close(); // the transaction is in flight on the lease
    expect(await busy).toBe('OK');
    expect(await session).toEqual(['OK']); // was a ConnectionError (may have executed): the lease was destroyed
    await using check = await createClient({ port: server.port }).connect();
    expect(await check.get('k')).toBe('2');
  });
});

describe('WAIT, found by a bug hunt', () => {
  it('WAIT and WAITAOF run on the shared connection (they count acks of its own writes), not a leased one', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    await client.set('k', 'v');
    expect(await client.wait(0, 10)).toBe(0);
    expect(await client.sendCommand(['wait', 0, 10])).toBe(0);
    expect(client.poolStats()).toEqual({ leased: 0, idle: 0, waiting: 0 });
    await client.blpop(['nothing'], 0.01); // a real blocking command still leases
    expect(client.poolStats().idle).toBe(1);
  });

  it('isolated() hands the next lease a clean connection: a WATCH is undone, a changed database retired', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, pool: { maxLeased: 1 } }).connect();
    await client.set('w', '1');
    await expect(
      client.isolated(async (session) => {
        await session.watch('w');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await client.set('w', '2'); // would abort a transaction still watching it
    const tx = await client.isolated((session) => session.multi().set('other', 'x').exec());
    expect(tx).toEqual(['OK']); // was null: the WATCH had leaked into this lease
    await client.isolated(async (session) => {
      await session.select(7);
    });
    await client.rpush('jobs', 'job-1');
    expect(await client.blpop(['jobs'], 1)).toEqual(['jobs', 'job-1']); // was null: it ran in db 7
  });

  it('a blocking command or isolated() issued right after select(), in the same tick, runs on the new database', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    await client.select(3);
    await client.rpush('q', 'db3-item');
    await client.select(0);
    await client.rpush('q', 'db0-item');
    await client.isolated((s) => s.ping()); // an idle leased connection, on db 0
    const selected = client.select(3);
    const popped = client.blpop(['q'], 1);
    const seen = client.lrange('q', 0, -1);
    const info = client.isolated((s) => s.clientInfo());
    expect(await selected).toBe('OK');
    expect(await popped).toEqual(['q', 'db3-item']); // was db0-item: the lease was still on db 0
    expect(await seen).not.toContain('db0-item'); // the shared connection: db 3 too
    expect((await info).db).toBe('3');
    // A SELECT the server refuses leaves leases on the database they were on.
    await expect(client.select(100_000)).rejects.toThrow(/out of range/i);
    await client.rpush('q', 'still-db3');
    expect(await client.blpop(['q'], 1)).toEqual(['q', 'still-db3']);
  });

  it('a lease still opening when clientSetname() completes is renamed before anyone gets it', async () => {
    await using server = await startServer();
    // A proxy that slows the second connection's replies: the lease opens slowly.
    await using proxy = await replyProxy(server.port, (data, write, nth) =>
      nth === 2 ? setTimeout(() => write(data), 200) : write(data),
    );
    await using client = await createClient({ port: proxy.port, name: 'old' }).connect();
    const blocked = client.blpop(['q'], 0.1); // opens a lease (slowly)
    await new Promise((resolve) => setTimeout(resolve, 20));
    await client.clientSetname('new'); // answered while the lease still opens
    await blocked;
    const name = await client.isolated((session) => session.clientGetname());
    expect(name).toBe('new'); // was 'old': the lease was only re-SELECTed
  });

  it('isolated() retires a connection left inside MULTI, with a command in flight, or paused', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, pool: { maxLeased: 1 } }).connect();
    const within = <T>(promise: Promise<T>, ms = 5_000): Promise<T | 'still pending'> =>
      Promise.race([promise, new Promise<'still pending'>((r) => setTimeout(() => r('still pending'), ms))]);
    // A raw MULTI, then the callback throws before EXEC.
    await expect(
      client.isolated(async (s) => {
        await s.sendCommand(['MULTI']);
        await s.sendCommand(['SET', 'tx-key', 'from-aborted-tx']);
        throw new Error('before EXEC');
      }),
    ).rejects.toThrow('before EXEC');
    expect(await within(client.isolated((s) => s.incr('counter')))).toBe(1); // was 'QUEUED'
    expect(await client.get('tx-key')).toBeNull();
    // The callback stops waiting on a BLPOP and returns: the BLPOP must not pop the next item.
    let abandoned: Promise<unknown> | undefined;
    await client.isolated(async (s) => {
      abandoned = s.blpop(['q'], 0);
      abandoned.catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
    });
    await expect(abandoned).rejects.toThrow(ConnectionError);
    expect(await within(client.blpop(['other'], 1))).toBeNull(); // was: queued behind the BLPOP
    await client.lpush('q', 'item');
    expect(await within(client.blpop(['q'], 1))).toEqual(['q', 'item']); // not taken by the abandoned one
    // Reading paused, then the callback throws.
    await expect(
      client.isolated(async (s) => {
        s.pauseReading();
        throw new Error('paused');
      }),
    ).rejects.toThrow('paused');
    expect(await within(client.isolated((s) => s.ping()))).toBe('PONG');
  });
  it('a WAIT that times out client-side leaves the shared connection and its other commands alone', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    let reconnects = 0;
    client.on('reconnecting', () => reconnects++);
    await client.set('k', 'v');
    const waited = withOptions(client, { timeoutMs: 50 }).wait(1, 300); // no replica: 300 ms
    const behind = client.get('k');
    await expect(waited).rejects.toBeInstanceOf(TimeoutError);
    expect(await behind).toBe('v');
    expect(reconnects).toBe(0);
  });

  it('a blocking command waiting for a free leased connection keeps its deadline and abort signal', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, pool: { maxLeased: 1 } }).connect();
    const holder = client.blpop(['held'], 1); // takes the only lease for a second
    await new Promise((resolve) => setTimeout(resolve, 50));
    let started = Date.now();
    await expect(withOptions(client, { timeoutMs: 200 }).blpop(['other'], 0.1)).rejects.toBeInstanceOf(
      TimeoutError,
    );
    expect(Date.now() - started).toBeLessThan(600); // was ~1,100 ms: the timer began at the lease
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop waiting')), 100);
    started = Date.now();
    await expect(withOptions(client, { signal: controller.signal }).blpop(['other'], 0.1)).rejects.toThrow(
      'stop waiting',
    );
    expect(Date.now() - started).toBeLessThan(500);
    expect(await holder).toBeNull();
    expect(client.poolStats()).toMatchObject({ leased: 0, waiting: 0 });
  });

  it('the deadline and abort signal also bound the opening of a leased connection; the connection is kept', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    await server.pause(); // a new connection is accepted by the kernel but never answered
    try {
      let started = Date.now();
      await expect(withOptions(client, { timeoutMs: 200 }).blpop(['q'], 0)).rejects.toBeInstanceOf(
        TimeoutError,
      );
      expect(Date.now() - started).toBeLessThan(1000);
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('stop waiting')), 100);
      started = Date.now();
      await expect(withOptions(client, { signal: controller.signal }).blpop(['q'], 0)).rejects.toThrow(
        'stop waiting',
      );
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      server.resume();
    }
    // Opened after their callers left: idle in the pool for the next one, not lost.
    for (let i = 0; i < 50 && client.poolStats().idle < 2; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(client.poolStats()).toEqual({ leased: 0, idle: 2, waiting: 0 });
    await client.rpush('q', 'x');
    expect(await client.blpop(['q'], 1)).toEqual(['q', 'x']);
  });

  it('a blocking command inside multi() that times out does not retire the shared connection', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    let reconnects = 0;
    client.on('reconnecting', () => reconnects++);
    const asleep = client.sendCommand(['DEBUG', 'SLEEP', '0.3']);
    const tx = withOptions(client, { timeoutMs: 100 }).multi().blpop(['q'], 0).exec();
    const behind = client.incr('counter');
    await expect(tx).rejects.toBeInstanceOf(TimeoutError);
    expect(await asleep).toBe('OK');
    expect(await behind).toBe(1);
    expect(reconnects).toBe(0);
  });

  it("a view's deadline and signal bound isolated()'s wait for a connection; one listener per shared signal", async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, pool: { maxLeased: 1 } }).connect();
    const held = client.blpop(['never'], 3); // holds the one leased connection for 3 s
    let started = Date.now();
    await expect(withOptions(client, { timeoutMs: 200 }).isolated((s) => s.ping())).rejects.toThrow(
      TimeoutError,
    );
    expect(Date.now() - started).toBeLessThan(1_500); // waited for the BLPOP's 3 s before
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    started = Date.now();
    await expect(
      withOptions(client, { signal: controller.signal }).isolated((s) => s.ping()),
    ).rejects.toThrow(/abort/i);
    expect(Date.now() - started).toBeLessThan(1_500);
    // 30 blocking commands waiting on one signal: no MaxListenersExceededWarning.
    const warnings = await warningsDuring(async () => {
      const shared = new AbortController();
      const waiting = Array.from({ length: 30 }, () =>
        withOptions(client, { signal: shared.signal })
          .blpop(['never'], 1)
          .catch((e: unknown) => e),
      );
      await new Promise((r) => setTimeout(r, 20));
      shared.abort();
      for (const outcome of await Promise.all(waiting)) expect((outcome as Error).name).toBe('AbortError');
    });
    expect(warnings).not.toContain('MaxListenersExceededWarning');
    expect(await held).toBeNull();
  });

  it('lease waits given up do not pile up in memory', async () => {
    const gc = fullGc();
    await using server = await startServer();
    await using client = await createClient({ port: server.port, pool: { maxLeased: 1 } }).connect();
    const held = client.blpop(['never'], 0); // the one leased connection, held throughout
    held.catch(() => {});
    const quick = withOptions(client, { timeoutMs: 1 });
    const round = async () => {
      for (let i = 0; i < 20; i++)
        await Promise.all(Array.from({ length: 1_000 }, () => quick.blpop(['never'], 1).catch(() => {})));
    };
    await round();
    gc();
    const baseline = process.memoryUsage().heapUsed;
    await round();
    gc();
    // 20k given-up waits: ~2 KB each stayed queued (40 MB) until a connection was released.
    expect(process.memoryUsage().heapUsed - baseline).toBeLessThan(8 * 1024 * 1024);
    expect(client.poolStats().waiting).toBe(0);
  });

  it("a session kept past its isolated() call is refused: its connection is someone else's lease", async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    let kept: Session | undefined;
    await client.isolated(async (s) => {
      kept = s;
      await s.set('k', '1');
    });
    const err = await kept!.get('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).mayHaveExecuted).toBe(false);
    expect((err as Error).message).toBe('this session ended when its isolated() callback returned');
    await expect(kept!.pipeline().get('k').exec()).resolves.toEqual([expect.any(ConnectionError)]);
    // The next lease works as usual.
    expect(await client.isolated((s) => s.get('k'))).toBe('1');
  });

  it('timeoutMs: Infinity lifts commandTimeoutMs for a blocking command (it fired after 1 ms)', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, commandTimeoutMs: 5000 }).connect();
    const popped = withOptions(client, { timeoutMs: Number.POSITIVE_INFINITY }).blpop(['q'], 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await client.rpush('q', 'item');
    expect(await popped).toEqual(['q', 'item']);
  });

  it('120k callers timing out in the lease queue settle without a scan of the queue each', async () => {
    await using server = await startServer();
    await using client = await createClient({
      port: server.port,
      pool: { maxLeased: 1, acquireTimeoutMs: 300 },
    }).connect();
    let release: () => void = () => {};
    const holder = client.isolated(() => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    const waiting = Array.from({ length: 120_000 }, () =>
      client.isolated((s) => s.ping()).catch((e: unknown) => e),
    );
    expect(client.poolStats().waiting).toBe(120_000);
    const settled = await Promise.all(waiting);
    // ~1.5 s here; indexOf + splice per waiter took ~12 s (80k: 5.6 s).
    expect(performance.now() - started).toBeLessThan(7000);
    expect(settled.every((e) => e instanceof TimeoutError)).toBe(true);
    expect(client.poolStats()).toMatchObject({ waiting: 0 });
    release();
    await holder;
    expect(await client.isolated((s) => s.ping())).toBe('PONG');
  });

  it('pool options are validated when the client is made', () => {
    expect(() => createClient({ pool: { maxLeased: 0 } })).toThrow(
      'pool.maxLeased must be a positive integer, got 0',
    );
    expect(() => createClient({ pool: { maxLeased: 1.5 } })).toThrow(/pool.maxLeased/);
    expect(() => createClient({ pool: { acquireTimeoutMs: -1 } })).toThrow(/pool.acquireTimeoutMs/);
    expect(() => createClient({ pool: { idleTimeoutMs: Number.NaN } })).toThrow(/pool.idleTimeoutMs/);
    // Beyond what a timer can wait, it would fire at once.
    expect(() => createClient({ pool: { acquireTimeoutMs: 3e9 } })).toThrow(/pool.acquireTimeoutMs/);
    expect(() =>
      createClient({ pool: { maxLeased: 2, acquireTimeoutMs: 50, idleTimeoutMs: 1000 } }).destroy(),
    ).not.toThrow();
  });
});

// Client-side caching over RESP3 CLIENT TRACKING, against a real Redis 8.2.
import { startServer } from '@pyrsedis/test-server';
import { describe, expect, it } from 'vitest';
import { createClient, keySlot, withBuffers, withOptions } from '../src/index.js';

/** How many times the server ran a command (INFO commandstats). */
async function calls(
  server: { call(...args: string[]): Promise<unknown> },
  command: string,
): Promise<number> {
  const info = String(await server.call('INFO', 'commandstats'));
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

describe('client-side caching', () => {
  it('serves repeated reads from the cache until another client changes the key', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, clientCache: true }).connect();
    await using other = await createClient({ port: server.port }).connect();
    await other.set('k', 'v1');
    expect(await client.get('k')).toBe('v1');
    expect(await client.get('k')).toBe('v1');
    expect(await client.get('k')).toBe('v1');
    expect(await calls(server, 'get')).toBe(1);
    expect(client.cacheStats()).toMatchObject({ hits: 2, misses: 1, entries: 1 });
    // Another client writes: the server pushes an invalidation before our next reply.
    await other.set('k', 'v2');
    await client.ping();
    expect(client.cacheStats()).toMatchObject({ entries: 0, invalidations: 1 });
    expect(await client.get('k')).toBe('v2');
    expect(await calls(server, 'get')).toBe(2);
    // FLUSHALL invalidates everything (a push with null).
    await client.hgetall('h');
    await other.flushall();
    await client.ping();
    expect(client.cacheStats()!.entries).toBe(0);
    // Keys are matched by their bytes: a lone surrogate is sent as U+FFFD, and a binary key
    // comes back in the invalidation as bytes.
    await client.get('user:\ud800');
    await other.set('user:\ufffd', 'new');
    await client.ping();
    expect(await client.get('user:\ud800')).toBe('new');
    const binary = Buffer.from([0x6b, 0xff, 0x00]);
    await client.get(binary);
    await other.set(binary, 'bin');
    await client.ping();
    expect(await client.get(binary)).toBe('bin');
    // An aborted call is refused even when the cache holds the answer.
    await other.set('k', 'v3');
    expect(await client.get('k')).toBe('v3');
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(withOptions(client, { signal: controller.signal }).get('k')).rejects.toThrow('stop');
  });

  it('read-your-writes in one tick; transforms and Buffer views cached apart; copies handed out', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, clientCache: true }).connect();
    await client.set('k', 'old');
    expect(await client.get('k')).toBe('old');
    const [, read] = await Promise.all([client.set('k', 'new'), client.get('k')]);
    expect(read).toBe('new');
    await client.hset('h', [{ field: 'a', value: '1' }]);
    const first = await client.hgetall('h');
    first.a = 'mutated by the caller';
    expect((await client.hgetall('h')).a).toBe('1');
    await client.zadd('z', [
      { score: 1, member: 'x' },
      { score: 2, member: 'y' },
    ]);
    const scored = [
      { member: 'x', score: 1 },
      { member: 'y', score: 2 },
    ];
    expect(await client.zrange('z', 0, -1, { withscores: true })).toEqual(scored);
    expect(await client.zrange('z', 0, -1, { withscores: true })).toEqual(scored);
    expect(await client.sendCommand(['ZRANGE', 'z', '0', '-1', 'WITHSCORES'])).toEqual([
      ['x', 1],
      ['y', 2],
    ]);
    const bytes = (await withBuffers(client).get('k')) as unknown as Buffer;
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(bytes.toString()).toBe('new');
    expect(await client.get('k')).toBe('new');
    // A write on an isolated connection and inside a transaction drop the cached key too.
    await client.isolated(async (session) => session.set('k', 'from a session'));
    expect(await client.get('k')).toBe('from a session');
    await client.ping(); // the server's invalidation for the session's write has arrived
    await client.get('k');
    const hits = client.cacheStats()!.hits;
    expect(await client.get('k')).toBe('from a session');
    expect(client.cacheStats()!.hits).toBe(hits + 1); // cached again
    const [, afterMulti] = await Promise.all([client.multi().set('k', 'from multi').exec(), client.get('k')]);
    expect(afterMulti).toBe('from multi');
    // Bypass per call.
    const before = await calls(server, 'get');
    await withOptions(client, { cache: false }).get('k');
    expect(await calls(server, 'get')).toBe(before + 1);
  });

  it('is bounded (LRU), honours ttlMs, and empties when the connection drops', async () => {
    await using server = await startServer();
    await using client = await createClient({
      port: server.port,
      clientCache: { maxEntries: 3, ttlMs: 300 },
    }).connect();
    client.on('error', () => {});
    for (const key of ['a', 'b', 'c', 'd']) await client.get(key);
    expect(client.cacheStats()).toMatchObject({ entries: 3, evictions: 1 });
    await client.get('b'); // hit: b becomes the most recent
    await client.get('a'); // miss: evicts c, the least recently used
    const stats = client.cacheStats()!;
    expect(stats.hits).toBe(1);
    await client.get('b');
    expect(client.cacheStats()!.hits).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 350));
    await client.get('b');
    expect(client.cacheStats()!.hits).toBe(2); // expired by ttlMs
    // The connection is killed; meanwhile another client writes. Nothing stale is served.
    await client.get('b');
    await using other = await createClient({ port: server.port }).connect();
    const ready = new Promise((resolve) => client.once('ready', resolve));
    await other.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
    await other.set('b', 'changed while we were away');
    await ready;
    expect(client.cacheStats()!.entries).toBe(0);
    expect(await client.get('b')).toBe('changed while we were away');
    // Tracking is on again after the reconnect.
    expect(await client.get('b')).toBe('changed while we were away');
    await other.set('b', 'again');
    await client.ping();
    expect(await client.get('b')).toBe('again');
  });

  it('module commands clear it (their keys are unknown); it needs RESP3', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port, clientCache: true }).connect();
    await client.get('x');
    expect(client.cacheStats()!.entries).toBe(1);
    await client.sendCommand(['GRAPH.QUERY', 'g', 'CREATE (:A)']);
    expect(client.cacheStats()!.entries).toBe(0);
    expect(() => createClient({ protocol: 2, clientCache: true })).toThrow(
      'clientCache needs RESP3 (protocol 3)',
    );
  });
});

describe('client-side cache, found by a bug hunt', () => {
  it('a blocking write (BLPOP) by this client drops the keys it touched: a read after it is never stale', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, clientCache: true }).connect();
    for (let round = 0; round < 20; round++) {
      await client.rpush('queue', 'a', 'b');
      const before = await client.llen('queue');
      await client.llen('queue'); // cached
      await client.blpop(['queue'], 1);
      expect(await client.llen('queue')).toBe(before - 1);
      await client.del('queue');
    }
  });

  it('a bigint argument is a cache key like any other', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, clientCache: true }).connect();
    await client.set('bk', 'hello world');
    expect(await client.getrange('bk', 0n, 4n)).toBe('hello');
    expect(await client.getrange('bk', 0n, 4n)).toBe('hello');
  });

  it('a call with a reader of its own neither fills nor reads the cache', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, clientCache: true }).connect();
    await client.rpush('l', 'a', 'b');
    const counter = {
      begin: () => ({ n: 0 }),
      add: (state: unknown) => {
        (state as { n: number }).n++;
      },
      end: (state: unknown) => `<${(state as { n: number }).n} items>`,
    };
    expect(await withOptions(client, { reader: counter }).lrange('l', 0, -1)).toBe('<2 items>');
    expect(await client.lrange('l', 0, -1)).toEqual(['a', 'b']); // was '<2 items>'
  });

  it('SELECT empties the cache: values belong to the database they were read from', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, clientCache: true }).connect();
    await client.set('k', 'db0');
    expect(await client.get('k')).toBe('db0');
    expect(await client.get('k')).toBe('db0'); // cached
    await client.select(3);
    expect(await client.get('k')).toBeNull(); // was 'db0', from the cache
    await client.set('k', 'db3');
    expect(await client.get('k')).toBe('db3');
    await client.select(0);
    expect(await client.get('k')).toBe('db0');
  });

  it('read-your-writes through isolated(): a read racing a write of the session is not stored stale', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, clientCache: true }).connect();
    await using other = await createClient({ port: server.port }).connect();
    const big = 'x'.repeat(8 * 1024 * 1024);
    for (let i = 0; i < 6; i++) {
      await other.set('k', 'old');
      await client.get('k'); // cached, tracked on the shared connection
      await client.isolated(async (session) => {
        // A large write ahead on the session's socket: the read below runs on the server first.
        const ahead = session.set('big', big);
        const write = session.set('k', `new-${i}`);
        const racing = client.get('k');
        await ahead;
        await write;
        expect(await client.get('k')).toBe(`new-${i}`); // was 'old', from the cache
        await racing;
      });
    }
  });

  it('read-your-writes with several connections: a write routed to another connection than the read', async () => {
    await using server = await startServer();
    await using client = await createClient({
      port: server.port,
      clientCache: true,
      connections: 2,
    }).connect();
    await using other = await createClient({ port: server.port }).connect();
    // Two keys the client routes to different connections.
    const a = 'a';
    let k = 'k';
    for (let i = 0; keySlot(a) % 2 === keySlot(k) % 2; i++) k = `k${i}`;
    const big = 'x'.repeat(8 * 1024 * 1024);
    for (let i = 0; i < 6; i++) {
      await other.set(k, 'old');
      await client.get(k);
      const write = client.mset([
        { key: a, value: big },
        { key: k, value: `new-${i}` },
      ]);
      const racing = client.get(k);
      await write;
      expect(await client.get(k)).toBe(`new-${i}`); // was 'old', from the cache
      await racing;
    }
  });

  it('CLIENT TRACKING and CLIENT CACHING are refused on the shared connections (the cache owns tracking)', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, clientCache: true }).connect();
    await using other = await createClient({ port: server.port }).connect();
    await expect(client.clientTracking('OFF')).rejects.toMatchObject({ code: 'ERR_SHARED_STATE' });
    await expect(client.sendCommand(['client', 'caching', 'no'])).rejects.toMatchObject({
      code: 'ERR_SHARED_STATE',
    });
    await other.set('k', 'old');
    expect(await client.get('k')).toBe('old');
    await other.set('k', 'new');
    await client.ping();
    expect(await client.get('k')).toBe('new'); // was 'old': tracking had been switched off
    // In a session of its own (a connection of its own, retired after), they run.
    expect(await client.isolated((session) => session.clientTracking('ON'))).toBe('OK');
  });

  it('LRU: a reply stored over an entry of the same read makes it the most recently used', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, clientCache: { maxEntries: 2 } }).connect();
    await client.mset([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
      { key: 'c', value: '3' },
    ]);
    await Promise.all([client.get('a'), client.get('b'), client.get('a')]); // a used last
    await client.get('c'); // evicts b, the least recently used
    const before = client.cacheStats()!.hits;
    await client.get('a');
    expect(client.cacheStats()!.hits - before).toBe(1); // was 0: a had been evicted
  });
});

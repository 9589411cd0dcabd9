// Several multiplexed connections, rotating credentials, read-only retries and the reply error
// classes, against real servers.
import { startServer } from '@pyrsedis/test-server';
import { describe, expect, it } from 'vitest';
import {
  AuthError,
  BusyError,
  ConnectionError,
  createClient,
  ExecAbortError,
  NoScriptError,
  PermissionError,
  PyrsedisError,
  ReadOnlyError,
  ReplyError,
  WrongTypeError,
  withOptions,
} from '../src/index.js';
import { fullGc } from './helpers.js';

/** CLIENT LIST lines of pyrsedis clients, as field maps. */
async function ourClients(admin: { call(...args: string[]): Promise<unknown> }) {
  const list = String(await admin.call('CLIENT', 'LIST'));
  return list
    .trim()
    .split('\n')
    .map((line) => Object.fromEntries(line.split(' ').map((kv) => kv.split('=') as [string, string])))
    .filter((fields) => fields['lib-name'] === 'pyrsedis');
}

describe('connections: N', () => {
  it('spreads commands over N connections by key; one key keeps its order on one connection', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, connections: 4 }).connect();
    expect(await ourClients(server)).toHaveLength(4);
    await Promise.all(Array.from({ length: 4000 }, (_, i) => client.set(`key:${i}`, String(i))));
    const perConnection = (await ourClients(server)).map((c) => Number(c['tot-cmds']));
    // Every connection carried a fair share (slots of 4,000 keys modulo 4).
    for (const count of perConnection) expect(count).toBeGreaterThan(700);
    // 20k INCRs of one key issued in one tick: one connection, replies in order.
    const replies = await Promise.all(Array.from({ length: 20_000 }, () => client.incr('counter')));
    expect(replies).toEqual(Array.from({ length: 20_000 }, (_, i) => i + 1));
    // Hash tags route like cluster slots: {user:1} keys share a connection, so a transaction on
    // one connection and reads spread over others still agree.
    const results = await client
      .multi()
      .set('{user:1}:name', 'ada')
      .incr('{user:1}:visits')
      .get('{user:1}:name')
      .exec();
    expect(results).toEqual(['OK', 1, 'ada']);
    expect(await client.get('key:3999')).toBe('3999');
    // Keyless commands take turns: four CLIENT IDs in a row name four connections.
    const ids = await Promise.all(Array.from({ length: 4 }, () => client.clientId()));
    expect(new Set(ids).size).toBe(4);
  });

  it('commands the table does not know keep their order by their first argument; WAIT asks every connection', async () => {
    await using server = await startServer();
    await using replica = await startServer();
    await using client = await createClient({ port: server.port, connections: 2 }).connect();
    // Vector set commands (not in the command table): one key's commands in one tick, in order.
    for (let i = 0; i < 50; i++) {
      const key = `vs:${i}`;
      const replies = await Promise.all([
        client.sendCommand(['VADD', key, 'VALUES', '2', '1', '1', 'a']),
        client.sendCommand(['VCARD', key]),
        client.sendCommand(['VREM', key, 'a']),
        client.sendCommand(['VCARD', key]),
      ]);
      expect(replies, key).toEqual([true, 1, true, 0]);
    }
    // The same inside a multi(): it goes to its key's connection (it took the next one in turn).
    for (let i = 0; i < 30; i++) {
      const key = `vm:${i}`;
      const [added, tx, card] = await Promise.all([
        client.sendCommand(['VADD', key, 'VALUES', '2', '1', '1', 'a']),
        client.multi().addCommand(['VREM', key, 'a']).exec(),
        client.sendCommand(['VCARD', key]),
      ]);
      expect([added, tx, card], key).toEqual([true, [true], 0]);
    }
    // WAIT counts the replicas that acknowledged the writes of its own connection: with writes
    // spread over two connections, a frozen replica must give 0 whichever connection wrote.
    await replica.call('REPLICAOF', '127.0.0.1', String(server.port));
    for (;;) {
      const role = String(await replica.call('INFO', 'replication'));
      if (/master_link_status:up/.test(role)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await client.wait(1, 2_000)).toBe(1);
    const frozen = replica.pause(3_000);
    for (let i = 0; i < 4; i++) {
      await client.set(`w:${i}`, 'x');
      expect(await client.wait(1, 200)).toBe(0); // was 1 every other time (the other connection)
    }
    await frozen;
    // With a client-side cache too (it used to take WAIT to one connection).
    await using cached = await createClient({
      port: server.port,
      connections: 2,
      clientCache: true,
    }).connect();
    await server.call('CONFIG', 'RESETSTAT');
    await cached.wait(0, 100);
    expect(String(await server.call('INFO', 'commandstats'))).toMatch(/cmdstat_wait:calls=2\b/);
  });

  it('pub/sub and leased connections work beside N multiplexed ones; close() closes them all', async () => {
    await using server = await startServer();
    const client = await createClient({ port: server.port, connections: 3 }).connect();
    const got: string[] = [];
    await client.subscribe('ch', (m) => got.push(m));
    await using pub = await createClient({ port: server.port }).connect();
    expect(await pub.publish('ch', 'hi')).toBe(1);
    await pub.rpush('q', 'x');
    expect(await client.blpop(['q'], 1)).toEqual(['q', 'x']);
    await client.ping();
    expect(got).toEqual(['hi']);
    await client.close();
    expect(await ourClients(server)).toHaveLength(1); // only `pub`
  });

  it('select() switches every connection, and stays selected after reconnects and for leased connections', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, connections: 3 }).connect();
    client.on('error', () => {});
    await using db2 = await createClient({ port: server.port, database: 2 }).connect();
    // A leased connection opened (and idle) before the switch.
    expect(await client.blpop(['none'], 0.01)).toBeNull();
    expect(client.poolStats().idle).toBe(1);
    expect(await client.select(2)).toBe('OK');
    expect(client.poolStats().idle).toBe(0); // on the old database: closed
    // Keys over every connection (spread by slot) land in database 2.
    await Promise.all(Array.from({ length: 30 }, (_, i) => client.set(`k${i}`, String(i))));
    expect(await db2.dbsize()).toBe(30);
    expect((await ourClients(server)).filter((c) => c.db === '2').length).toBe(4); // 3 + db2
    // Every connection dropped: they come back on database 2.
    const back = new Promise((resolve) => client.once('ready', resolve));
    await db2.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
    await back;
    await Promise.all(Array.from({ length: 30 }, (_, i) => client.incr(`k${i}`)));
    expect(await db2.get('k29')).toBe('30');
    // A blocking command on a new leased connection pops from database 2.
    await db2.rpush('q', 'x');
    expect(await client.blpop(['q'], 1)).toEqual(['q', 'x']);
    // A SELECT that fails changes nothing.
    await expect(client.select(100_000)).rejects.toThrow(/DB index is out of range/);
    expect(await client.get('k0')).toBe('1');
  });

  it('select() issued while reconnecting: the commands queued before it run on the old database', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, retryStrategy: () => 50 }).connect();
    client.on('error', () => {});
    await server.kill();
    await new Promise((resolve) => client.once('reconnecting', resolve));
    const before = client.set('k', 'meant-for-db0');
    const selected = client.select(1);
    const after = client.set('k2', 'meant-for-db1');
    await server.restart();
    await Promise.all([before, selected, after]);
    expect(await server.call('GET', 'k')).toBe('meant-for-db0'); // was in db 1
    await using check = await createClient({ port: server.port, database: 1 }).connect();
    expect(await check.get('k')).toBeNull();
    expect(await check.get('k2')).toBe('meant-for-db1');
  });

  it('a select() that times out but runs on the server: shared and leased connections agree on the database', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    await using admin = await createClient({ port: server.port }).connect();
    const sleeping = admin.sendCommand(['DEBUG', 'SLEEP', '0.5']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const failed = await withOptions(client, { timeoutMs: 100 })
      .select(1)
      .catch((err: unknown) => err);
    expect(failed).toMatchObject({ mayHaveExecuted: true });
    await sleeping;
    await client.rpush('L', 'x'); // the shared connection: db 1 (the SELECT ran)
    expect(await client.blpop(['L'], 0.5)).toEqual(['L', 'x']); // a lease: db 1 too (was db 0: null)
    // And after a reconnect, the shared connection is back on db 1 (it went back to db 0).
    const reconnected = new Promise((resolve) => client.once('ready', resolve));
    await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
    await reconnected;
    await client.set('where', 'db1');
    await admin.select(1);
    expect(await admin.get('where')).toBe('db1');
  });

  it('commands that would change a shared connection state are refused there, and fine in isolated()', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    for (const argv of [
      ['HELLO', '2'],
      ['AUTH', 'default', 'x'],
      ['SUBSCRIBE', 'ch'],
      ['client', 'reply', 'off'],
      ['RESET'],
      ['MONITOR'],
      ['MULTI'],
      ['watch', 'k'],
    ]) {
      const err = await client.sendCommand(argv).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PyrsedisError);
      expect((err as PyrsedisError).code).toBe('ERR_SHARED_STATE');
      expect((err as PyrsedisError).command).toBe(String(argv[0]).toUpperCase());
    }
    await expect(client.hello({ argumentsValue: { protover: 2 } })).rejects.toThrow(/HELLO would change/);
    // In a pipeline: refused in its place, the others run.
    const replies = await client.pipeline().set('k', 'v').addCommand(['HELLO', '2']).get('k').exec();
    expect(replies[0]).toBe('OK');
    expect(replies[1]).toBeInstanceOf(PyrsedisError);
    expect(replies[2]).toBe('v');
    // The shared connection still speaks RESP3: a map is an object.
    await client.hset('h', [{ field: 'a', value: '1' }]);
    expect(await client.hgetall('h')).toEqual({ a: '1' });
    // On a connection of its own, the session may (the connection is retired afterwards).
    const proto = await client.isolated(async (s) => {
      await s.sendCommand(['HELLO', '2']);
      return (await s.sendCommand(['CLIENT', 'INFO'])) as string;
    });
    expect(proto).toMatch(/resp=2/);
    expect(await client.hgetall('h')).toEqual({ a: '1' });
  });

  it("a multi() goes to its first key's connection: a GET of that key issued after it sees its write", async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, connections: 4 }).connect();
    const big = 'x'.repeat(4 * 1024 * 1024); // makes the transaction slow to arrive
    for (let i = 0; i < 8; i++) {
      await client.set('k', 'before');
      const tx = client.multi().set('{k}big', big).set('k', 'after').exec();
      const read = client.get('k'); // issued after the transaction
      const [, value] = await Promise.all([tx, read]);
      expect(value).toBe('after');
    }
  });

  it('connect() that fails on one of N connections leaves none open; one giving up for good ends the client', async () => {
    await using server = await startServer({ config: { maxclients: 2 } });
    const client = createClient({ port: server.port, connections: 3 });
    client.on('error', () => {});
    await expect(client.connect()).rejects.toThrow(); // max number of clients (or the socket it closed)
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.state).toBe('closed');
    expect(await ourClients(server)).toHaveLength(0);
    await server.call('CONFIG', 'SET', 'maxclients', '100');
    const three = await createClient({
      port: server.port,
      connections: 3,
      retryStrategy: () => false,
    }).connect();
    three.on('error', () => {});
    let ends = 0;
    three.on('end', () => ends++);
    const ended = new Promise((resolve) => three.once('end', resolve));
    const ids = (await ourClients(server)).map((c) => c.id!);
    await server.call('CLIENT', 'KILL', 'ID', ids[2]!);
    await ended;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ends).toBe(1);
    expect(three.state).toBe('closed');
    await expect(three.get('any')).rejects.toBeInstanceOf(ConnectionError);
    expect(await ourClients(server)).toHaveLength(0);
  });

  it('rejects a bad connections option', () => {
    expect(() => createClient({ connections: 0 })).toThrow('connections must be an integer 1..64, got 0');
  });
});

describe('credentials provider', () => {
  it('is called on every connect: a rotated password is picked up on reconnect', async () => {
    await using server = await startServer({ password: 'first' });
    let password = 'first';
    let calls = 0;
    await using client = await createClient({
      port: server.port,
      credentials: async () => {
        calls++;
        return { password };
      },
    }).connect();
    client.on('error', () => {});
    expect(calls).toBe(1);
    expect(await client.ping()).toBe('PONG');
    // Rotate: the server's password changes, existing connections are dropped.
    await client.configSet([{ parameter: 'requirepass', value: 'second' }]);
    password = 'second';
    const ready = new Promise((resolve) => client.once('ready', resolve));
    await using admin = await createClient({ port: server.port, password: 'second' }).connect();
    await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
    await ready;
    expect(calls).toBe(2);
    expect(await client.ping()).toBe('PONG');
  });

  it('a failing provider fails the connection with its reason; a wrong password is an AuthError without the password', async () => {
    await using server = await startServer({ password: 'right' });
    const failing = createClient({
      port: server.port,
      credentials: () => {
        throw new Error('vault is sealed');
      },
    });
    const err = await failing.connect().catch((e: Error) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toBe('the credentials provider failed: vault is sealed');
    const wrong = createClient({ port: server.port, credentials: () => ({ password: 'hunter2' }) });
    const refused = await wrong.connect().catch((e: Error) => e);
    expect(refused).toBeInstanceOf(AuthError);
    expect((refused as Error).message).not.toContain('hunter2');
  });
});

describe('retryReadOnly', () => {
  it('re-sends read-only commands once after a connection dies; writes are never re-sent', async () => {
    await using server = await startServer();
    await using retrying = await createClient({ port: server.port, retryReadOnly: true }).connect();
    await using plain = await createClient({ port: server.port }).connect();
    retrying.on('error', () => {});
    plain.on('error', () => {});
    // The server sleeps, so everything below is written and unanswered when it is killed.
    const asleep = plain.sendCommand(['DEBUG', 'SLEEP', '2']).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const reads = Promise.allSettled(Array.from({ length: 10_000 }, () => retrying.get('k')));
    const writes = Promise.allSettled(Array.from({ length: 10_000 }, (_, i) => retrying.set(`w${i}`, 'x')));
    const plainReads = Promise.allSettled(Array.from({ length: 10_000 }, () => plain.get('k')));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await server.kill();
    await asleep;
    const [w, p] = await Promise.all([writes, plainReads]);
    // Without the option, reads in flight fail; writes fail saying they may have run.
    expect(p.every((x) => x.status === 'rejected' && x.reason.mayHaveExecuted === true)).toBe(true);
    expect(w.every((x) => x.status === 'rejected' && x.reason instanceof ConnectionError)).toBe(true);
    expect(w.every((x) => x.status === 'rejected' && x.reason.mayHaveExecuted === true)).toBe(true);
    // With it, the reads wait for the next connection and succeed there.
    await server.restart();
    await retrying.set('k', 'after restart').catch(() => undefined);
    const r = await reads;
    expect(r.every((x) => x.status === 'fulfilled')).toBe(true);
    // No write was sent again: the restarted server holds only what was written since.
    expect(await retrying.dbsize()).toBeLessThanOrEqual(1);
  });
});

describe('memory after a mass failure', () => {
  it('100k commands killed in flight, twice: every promise settles and the heap does not grow', async () => {
    const gc = fullGc();
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    client.on('error', () => {});
    // In a function of its own: an async function keeps its locals alive across awaits.
    const round = async () => {
      const promises = Array.from({ length: 100_000 }, (_, i) => client.set(`k${i}`, 'x'.repeat(100)));
      const killed = server.kill();
      const settled = await Promise.allSettled(promises);
      await killed;
      await server.restart();
      if (client.state !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
      expect(await client.ping()).toBe('PONG');
      return settled.length;
    };
    // The first round also pays one-off costs (compiled code, grown pools): measure from after it.
    expect(await round()).toBe(100_000);
    gc();
    const baseline = process.memoryUsage().heapUsed;
    expect(await round()).toBe(100_000);
    gc();
    const grown = process.memoryUsage().heapUsed - baseline;
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  });
});

describe('reply errors are typed', () => {
  it('WRONGTYPE, NOSCRIPT, NOPERM, EXECABORT, BUSY and READONLY from real servers', async () => {
    await using server = await startServer({
      users: [{ name: 'reader', password: 'pw', rules: '~* &* +@read +ping +hello +client' }],
      config: { 'busy-reply-threshold': 100 },
    });
    await using client = await createClient({ port: server.port }).connect();
    await client.set('s', 'x');
    await expect(client.lpush('s', 'a')).rejects.toBeInstanceOf(WrongTypeError);
    await expect(client.evalsha('0'.repeat(40))).rejects.toBeInstanceOf(NoScriptError);
    await using reader = await createClient({
      port: server.port,
      username: 'reader',
      password: 'pw',
    }).connect();
    expect(await reader.get('s')).toBe('x');
    await expect(reader.set('s', 'y')).rejects.toBeInstanceOf(PermissionError);
    const aborted = await client
      .multi()
      .set('a', '1')
      .addCommand(['NOSUCHCOMMAND'])
      .exec()
      .catch((e: Error) => e);
    expect(aborted).toBeInstanceOf(ExecAbortError);
    // BUSY: a script loops past busy-reply-threshold; others get BUSY until SCRIPT KILL.
    await using looper = await createClient({ port: server.port }).connect();
    const loop = looper.eval('while true do end', {}).catch((e: Error) => e);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(client.get('s')).rejects.toBeInstanceOf(BusyError);
    await client.scriptKill();
    expect(await loop).toBeInstanceOf(ReplyError);
    // READONLY: a write to a replica.
    await using replicaServer = await startServer();
    await replicaServer.call('REPLICAOF', '127.0.0.1', String(server.port));
    await using replica = await createClient({ port: replicaServer.port }).connect();
    const refused = await replica.set('r', '1').catch((e: Error) => e);
    expect(refused).toBeInstanceOf(ReadOnlyError);
    expect((refused as ReadOnlyError).code).toBe('READONLY');
    expect((refused as ReadOnlyError).command).toBe('SET');
  });
});

// pipeline() and multi() against Redis 8.2.
import net from 'node:net';
import { startServer } from '@pyrsedis/test-server';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { Connection } from '../src/connection/connection.js';
import {
  Client,
  ConnectionError,
  createClient,
  PyrsedisError,
  ReaderError,
  ReplyError,
  TimeoutError,
  withBuffers,
  withOptions,
} from '../src/index.js';

describe('pipeline()', () => {
  it('sends chained commands in one go; replies in order, errors in place, typed per command', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const pipeline = client.pipeline().set('k', '1').incr('k').lpush('k', 'x').get('k');
    expect(pipeline.length).toBe(4);
    const replies = await pipeline.exec();
    expectTypeOf(replies[1]).toEqualTypeOf<number | ReplyError>();
    expect(replies[0]).toBe('OK');
    expect(replies[1]).toBe(2);
    expect(replies[2]).toBeInstanceOf(ReplyError);
    expect((replies[2] as ReplyError).code).toBe('WRONGTYPE');
    expect(replies[3]).toBe('2');
    await expect(pipeline.exec()).rejects.toThrow(/already executed/);
  });

  it('applies reply transforms inside a pipeline', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    await client.zadd('z', [{ score: 2, member: 'b' }]);
    const [range, info] = await client
      .pipeline()
      .zrange('z', 0, -1, { withscores: true })
      .info('server')
      .exec();
    expect(range).toEqual([{ member: 'b', score: 2 }]);
    expect((info as { server: Record<string, string> }).server.redis_version).toBe('8.2.3');
  });

  it('addCommand with a reply reader of its own and an outcome callback (pipeline only)', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    await client.rpush('list', 'a', 'b', 'c');
    // A ReplyReader that counts the elements instead of building the array.
    const counter = {
      begin: () => ({ n: 0 }),
      add: (state: unknown) => {
        (state as { n: number }).n++;
      },
      end: (state: unknown) => ({ count: (state as { n: number }).n }),
    };
    const outcomes: unknown[] = [];
    const replies = await client
      .pipeline()
      .addCommand(['LRANGE', 'list', '0', '-1'], {
        reader: counter,
        onSettled: (e, r) => outcomes.push(e ?? r),
      })
      .addCommand(['LPUSH', 'missing-args'], { onSettled: (e) => outcomes.push(e) })
      .addCommand(['LRANGE', 'list', '0', '0'])
      .exec();
    expect(replies[0]).toEqual({ count: 3 });
    expect(replies[1]).toBeInstanceOf(ReplyError);
    expect(replies[2]).toEqual(['a']);
    expect(outcomes[0]).toEqual({ count: 3 });
    expect(outcomes[1]).toBe(replies[1]);
    expect(() => client.multi().addCommand(['GET', 'x'], { reader: counter })).toThrow(/inside multi/);
  });

  it('a reader that throws fails its own command only: the connection and the commands around it go on', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const events: string[] = [];
    client.on('reconnecting', () => events.push('reconnecting'));
    client.on('error', (err) => events.push(`error: ${err.message}`));
    await client.rpush('list', 'a', 'b', 'c');
    const buggy = {
      begin: () => [],
      add: (_state: unknown, value: unknown) => {
        if (value === 'b') throw new Error('reader bug');
      },
      end: (state: unknown) => state,
    };
    const before = client.lrange('list', 0, -1);
    const failing = client.sendCommand(['LRANGE', 'list', '0', '-1'], undefined, { reader: buggy });
    const after = client.get('missing');
    const pipelined = await client
      .pipeline()
      .addCommand(['LRANGE', 'list', '0', '-1'], { reader: buggy })
      .lrange('list', 0, 0)
      .exec();
    await expect(failing).rejects.toThrow(ReaderError);
    await expect(failing).rejects.toMatchObject({ command: 'LRANGE', code: 'ERR_READER' });
    expect(await before).toEqual(['a', 'b', 'c']);
    expect(await after).toBeNull();
    expect(pipelined[0]).toBeInstanceOf(ReaderError);
    expect(pipelined[1]).toEqual(['a']);
    expect(await client.ping()).toBe('PONG');
    expect(events).toEqual([]);
  });
});

describe('pipeline() as one unit (one queue entry, one promise)', () => {
  it('takes the batch path: replies in order, RESP2 shapes, transforms, Buffers through a view', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, protocol: 2 }).connect();
    const batches = vi.spyOn(Connection.prototype, 'sendBatch');
    try {
      const pipeline = client
        .pipeline()
        .hset('h', [
          { field: 'a', value: '1' },
          { field: 'b', value: '2' },
        ])
        .hgetall('h');
      for (let i = 0; i < 2000; i++) pipeline.incr('n');
      pipeline.zadd('z', [{ score: 1.5, member: 'm' }]).zrange('z', 0, -1, { withscores: true });
      const replies = (await pipeline.exec()) as unknown[];
      expect(replies.length).toBe(2004);
      expect(replies[0]).toBe(2);
      expect(replies[1]).toEqual({ a: '1', b: '2' }); // a RESP2 flat array, reshaped
      expect(replies[2001]).toBe(2000);
      expect(replies[2003]).toEqual([{ member: 'm', score: 1.5 }]); // the method's transform
      const [bytes] = await withBuffers(client).pipeline().get('h:none').hget('h', 'a').exec();
      expect(bytes).toBeNull();
      const [, value] = await withBuffers(client).pipeline().get('h:none').hget('h', 'a').exec();
      expect(Buffer.isBuffer(value)).toBe(true);
      expect(batches).toHaveBeenCalledTimes(3);
      expect(batches.mock.results.every((r) => r.value instanceof Promise)).toBe(true);
    } finally {
      batches.mockRestore();
    }
  });

  it('keeps its place among single commands issued in the same tick', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const before = client.set('x', '1');
    const pipelined = client.pipeline().incr('x').incr('x').exec();
    const after = client.get('x');
    const between = client.pipeline().incr('x').lpush('x', 'wrong').exec();
    expect(await before).toBe('OK');
    expect(await pipelined).toEqual([2, 3]);
    expect(await after).toBe('3');
    const [four, wrong] = await between;
    expect(four).toBe(4);
    expect((wrong as ReplyError).code).toBe('WRONGTYPE');
    expect((wrong as ReplyError).command).toBe('LPUSH');
  });

  it('long pipelines and long runs of single commands go out in pieces, each encoded as it is written', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const writes = vi.spyOn(net.Socket.prototype, 'write');
    try {
      const pipeline = client.pipeline();
      for (let i = 0; i < 3000; i++) pipeline.incr('pieces');
      const singles = Array.from({ length: 1500 }, () => client.incr('singles'));
      const replies = await pipeline.exec();
      expect(replies).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
      expect(await Promise.all(singles)).toEqual(Array.from({ length: 1500 }, (_, i) => i + 1));
      // 3,000 commands in pieces of 512: 6 writes; 1,500 singles: 3 writes.
      expect(writes.mock.calls.length).toBe(9);
    } finally {
      writes.mockRestore();
    }
  });

  it('an argument array changed after exec() (before the write) fails that pipeline alone, unwritten', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const argv: unknown[] = ['SET', 'changed', 'v'];
    const done = client
      .pipeline()
      .addCommand(argv as string[])
      .set('other', '1')
      .exec();
    argv.push(undefined);
    const replies = await done;
    expect(replies[0]).toBeInstanceOf(TypeError);
    expect(replies[1]).toBeInstanceOf(TypeError);
    expect(await client.exists('changed', 'other')).toBe(0); // nothing of it was sent
    expect(await client.ping()).toBe('PONG');
  });

  it('a later piece that no longer encodes drops the connection: the pipeline fails, later commands go after the reconnect', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const errors: Error[] = [];
    client.on('error', (err) => errors.push(err));
    const argv: unknown[] = ['SET', 'late', 'v'];
    const pipeline = client.pipeline();
    for (let i = 0; i < 1000; i++) {
      if (i === 700) pipeline.addCommand(argv as string[]);
      else pipeline.set(`k${i}`, 'v');
    }
    const done = pipeline.exec();
    const after = client.incr('after');
    argv.push(undefined);
    const replies: unknown[] = await done;
    expect(replies).toHaveLength(1000);
    for (const reply of replies) expect(reply).toBeInstanceOf(ConnectionError);
    // The first piece (512 commands) was written: may have run. The rest was not sent.
    expect((replies[0] as ConnectionError).mayHaveExecuted).toBe(true);
    expect((replies[511] as ConnectionError).mayHaveExecuted).toBe(true);
    expect((replies[512] as ConnectionError).mayHaveExecuted).toBe(false);
    expect((replies[999] as ConnectionError).message).toMatch(/the command was not sent/);
    expect((replies[0] as ConnectionError).message).toMatch(/pipeline command 700 \(SET\) no longer encodes/);
    expect((replies[0] as ConnectionError).cause).toBeInstanceOf(TypeError);
    expect(await after).toBe(1);
    // The connection's own error says what happened, as a ConnectionError.
    expect(errors[0]).toBeInstanceOf(ConnectionError);
    expect(errors[0]!.message).toMatch(/pipeline command 700/);
  });

  it('a bad argument is refused in its place, the rest still runs', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const replies = await client
      .pipeline()
      .set('a', '1')
      .addCommand(['SET', 'b', undefined as unknown as string])
      .get('a')
      .exec();
    expect(replies[0]).toBe('OK');
    expect(replies[1]).toBeInstanceOf(TypeError);
    expect(replies[2]).toBe('1');
  });

  it('times out as a whole: every unanswered command gets the TimeoutError in place, late replies go to nobody', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, commandTimeoutMs: 150 }).connect();
    const started = Date.now();
    const replies = await client
      .pipeline()
      .set('k', 'v')
      .addCommand(['DEBUG', 'SLEEP', '0.5'])
      .incr('n')
      .exec();
    expect(Date.now() - started).toBeLessThan(450);
    expect(replies.map((r) => r instanceof TimeoutError)).toEqual([true, true, true]);
    expect(replies.map((r) => (r as TimeoutError).command)).toEqual(['SET', 'DEBUG', 'INCR']);
    expect((replies[0] as TimeoutError).mayHaveExecuted).toBe(true);
    // Once the server is back, the three late replies are dropped; the next command gets its own.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await client.get('k')).toBe('v');
    expect(await client.get('n')).toBe('1');
  });

  it('an AbortSignal (through withOptions) puts its reason in the place of every unanswered command', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const controller = new AbortController();
    const view = withOptions(client, { signal: controller.signal });
    const pending = view.pipeline().set('a', '1').addCommand(['DEBUG', 'SLEEP', '0.3']).get('a').exec();
    setTimeout(() => controller.abort(new Error('user gave up')), 50);
    const replies = await pending;
    expect(replies.map((r) => (r as Error).message)).toEqual([
      'user gave up',
      'user gave up',
      'user gave up',
    ]);
    // An already aborted signal: nothing is sent (the one-by-one path rejects each at once).
    const again = await view.pipeline().incr('never').exec();
    expect((again[0] as Error).message).toBe('user gave up');
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await client.get('never')).toBeNull();
    expect(await client.get('a')).toBe('1');
  });

  it('an abort reason that is not an Error is put in place as it is, never through a transform', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const controller = new AbortController();
    const pending = withOptions(client, { signal: controller.signal })
      .pipeline()
      .addCommand(['DEBUG', 'SLEEP', '0.3'])
      .zrange('z', 0, -1, { withscores: true })
      .hgetall('h')
      .exec();
    setTimeout(() => controller.abort('user cancelled'), 50);
    expect(await pending).toEqual(['user cancelled', 'user cancelled', 'user cancelled']);
  });

  it('a subclass that overrides sendCommand sees every command of a pipeline', async () => {
    await using server = await startServer();
    const seen: string[] = [];
    class Counting extends Client {
      override sendCommand(...args: Parameters<Client['sendCommand']>): Promise<unknown> {
        seen.push(String(args[0][0]));
        return super.sendCommand(...args);
      }
    }
    await using client = await new Counting({ port: server.port }).connect();
    expect(await client.pipeline().set('a', '1').get('a').exec()).toEqual(['OK', '1']);
    expect(seen).toEqual(['SET', 'GET']);
  });

  it('a connection lost mid-pipeline settles every command in place, saying it may have run', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    client.on('error', () => {});
    const pending = client.pipeline().set('a', '1').addCommand(['DEBUG', 'SLEEP', '2']).get('a').exec();
    await new Promise((resolve) => setTimeout(resolve, 150));
    await server.kill();
    const replies = await pending;
    expect(replies.map((r) => (r as ConnectionError).constructor)).toEqual([
      ConnectionError,
      ConnectionError,
      ConnectionError,
    ]);
    expect(replies.map((r) => (r as ConnectionError).command)).toEqual(['SET', 'DEBUG', 'GET']);
    expect(replies.every((r) => (r as ConnectionError).mayHaveExecuted)).toBe(true);
  });
});

describe('multi()', () => {
  it('raw SUBSCRIBE & co. are refused in a session (over RESP3 the next reply was taken for it)', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    await client.set('k', 'v');
    const [subscribed, got] = await client.isolated(async (session) => [
      await session.sendCommand(['SUBSCRIBE', 'x']).catch((err: unknown) => err),
      await session.get('k'),
    ]);
    expect(subscribed).toMatchObject({ code: 'ERR_SESSION_SUBSCRIBE', command: 'SUBSCRIBE' });
    expect(got).toBe('v'); // was the SUBSCRIBE's, and the GET never settled
  });

  it("a session's multi() with a WATCH inside: every reply on its own command, the refusal in place", async () => {
    for (const [flavor, protocol] of [
      ['redis8', 3],
      ['redis7', 2],
    ] as const) {
      await using server = await startServer({ flavor });
      await using client = await createClient({ port: server.port, protocol }).connect();
      await client.zadd('z', [{ score: 1, member: 'a' }]);
      const results = await client.isolated((session) =>
        session
          .multi()
          .set('k', '1')
          .addCommand(['WATCH', 'x'])
          .zrange('z', 0, -1, { withscores: true })
          .hgetall('h')
          .exec(),
      );
      // Redis refuses the WATCH when queued and runs the rest: EXEC answers three of the four.
      // They were shifted onto the wrong commands (three results, no error).
      expect(results, flavor).toHaveLength(4);
      const [set, watch, zrange, hgetall] = results!;
      expect(set).toBe('OK');
      expect(watch).toBeInstanceOf(ReplyError);
      expect((watch as ReplyError).message).toMatch(/WATCH inside MULTI/);
      expect((watch as ReplyError).command).toBe('WATCH');
      expect(zrange).toEqual([{ member: 'a', score: 1 }]);
      expect(hgetall).toEqual({});
    }
  });

  it('runs the commands atomically between MULTI and EXEC, errors in place', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    // Other callers' commands issued in the same tick do not end up inside the transaction.
    const [tx, outside] = await Promise.all([
      client.multi().set('t', '1').incr('t').lpush('t', 'x').exec(),
      client.set('outside', 'yes'),
    ]);
    expect(tx[0]).toBe('OK');
    expect(tx[1]).toBe(2);
    expect(tx[2]).toBeInstanceOf(ReplyError);
    expect(outside).toBe('OK');
  });

  it('over RESP2, the replies inside EXEC get the RESP3 shapes their types describe', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, protocol: 2 }).connect();
    await client.hset('h', [{ field: 'a', value: '1' }]);
    await client.zadd('z', [{ score: 1.5, member: 'm' }]);
    const expected = [{ a: '1' }, [{ member: 'm', score: 1.5 }], 1.5];
    const tx = await client
      .multi()
      .hgetall('h')
      .zrange('z', 0, -1, { withscores: true })
      .zscore('z', 'm')
      .exec();
    expect(tx).toEqual(expected); // was [['a', '1'], ['m', '1.5'], '1.5']
    const inSession = await client.isolated(async (session) => {
      await session.watch('h');
      return session.multi().hgetall('h').zrange('z', 0, -1, { withscores: true }).zscore('z', 'm').exec();
    });
    expect(inSession).toEqual(expected);
    expect(
      await client.pipeline().hgetall('h').zrange('z', 0, -1, { withscores: true }).zscore('z', 'm').exec(),
    ).toEqual(expected);
  });

  it('EXECABORT names the command refused while queuing; nothing ran', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const failure = await client
      .multi()
      .set('a', '1')
      .addCommand(['NOSUCHCOMMAND'])
      .exec()
      .catch((e: ReplyError) => e);
    expect(failure).toBeInstanceOf(ReplyError);
    expect((failure as ReplyError).code).toBe('EXECABORT');
    expect((failure as ReplyError).message).toMatch(/command 1, ERR unknown command/);
    expect(await client.get('a')).toBeNull();
  });

  it('a transaction with an argument that cannot be sent sends nothing (no partial transaction)', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const failure = await client
      .multi()
      .incr('b')
      .set('a', undefined as unknown as string)
      .incr('b')
      .exec()
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as Error).message).toMatch(/command 1, argument 2/);
    expect(await client.get('b')).toBeNull();
    expect(await client.multi().incr('b').exec()).toEqual([1]);
  });

  it('SELECT inside a transaction on the shared connection is refused; in isolated() it is fine', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const refused = await client
      .multi()
      .select(1)
      .set('a', '1')
      .exec()
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PyrsedisError);
    expect((refused as PyrsedisError).code).toBe('ERR_SHARED_STATE');
    expect(await client.dbsize()).toBe(0);
    const done = await client.isolated((s) => s.multi().select(1).set('a', '1').exec());
    expect(done).toEqual(['OK', 'OK']);
    expect(await client.get('a')).toBeNull(); // still database 0
    expect(await withOptions(client, { timeoutMs: 1000 }).select(1)).toBe('OK');
    expect(await client.get('a')).toBe('1');
  });

  it('has no plain multi/exec/discard methods that could interleave on the shared connection', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    expect((client as unknown as Record<string, unknown>).exec).toBeUndefined();
    expect((client as unknown as Record<string, unknown>).discard).toBeUndefined();
  });

  it('a transaction is one unit in the offline queue: let in whole or not at all, timed out whole', async () => {
    await using server = await startServer();
    await using client = await createClient({
      port: server.port,
      offlineQueue: 3,
      retryStrategy: () => 50,
    }).connect();
    client.on('error', () => {});
    await server.kill();
    if (client.state !== 'reconnecting') await new Promise((resolve) => client.once('reconnecting', resolve));
    // Four commands + MULTI + EXEC do not fit in 3: refused whole (it was let in up to the limit,
    // leaving the connection inside MULTI for every other caller).
    await expect(
      client.multi().set('a', '1').set('b', '1').set('c', '1').set('d', '1').exec(),
    ).rejects.toThrow(/offline queue full/);
    // One that fits but times out while waiting: dropped whole, never sent in part.
    const late = withOptions(client, { timeoutMs: 150 }).multi().incr('n').exec();
    await expect(late).rejects.toBeInstanceOf(TimeoutError);
    await server.restart();
    for (let i = 0; i < 100 && client.state !== 'ready'; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await client.get('a')).toBeNull();
    expect(await client.get('n')).toBeNull(); // and not QUEUED: no MULTI left open
    expect(await client.multi().incr('n').exec()).toEqual([1]);
  });

  it('the offline queue counts the commands of a queued transaction, not one entry for it', async () => {
    await using server = await startServer();
    await using client = await createClient({
      port: server.port,
      offlineQueue: 8,
      retryStrategy: () => 50,
    }).connect();
    client.on('error', () => {});
    await server.kill();
    if (client.state !== 'reconnecting') await new Promise((resolve) => client.once('reconnecting', resolve));
    const tx = client.multi().incr('a').incr('a').incr('a').incr('a').exec(); // 6 with MULTI and EXEC
    const singles = [client.incr('b'), client.incr('b')];
    await expect(client.incr('b')).rejects.toThrow('offline queue full (8 commands)');
    await server.restart();
    expect(await tx).toEqual([1, 2, 3, 4]);
    expect(await Promise.all(singles)).toEqual([1, 2]);
  });

  it('a transaction on a dead connection rejects once, with no unhandled rejection left behind', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, offlineQueue: false }).connect();
    client.on('error', () => {});
    await server.kill();
    if (client.state !== 'reconnecting') await new Promise((resolve) => client.once('reconnecting', resolve));
    await expect(client.multi().set('a', '1').exec()).rejects.toBeInstanceOf(ConnectionError);
    // Give a stray rejection a chance to surface (vitest fails the file on one).
    await new Promise((resolve) => setTimeout(resolve, 50));
  });
});

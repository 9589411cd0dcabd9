// pipeline() and multi() against Redis 8.2.
import { startServer } from '@pyrsedis/test-server';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ConnectionError, createClient, ReplyError } from '../src/index.js';

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
});

describe('multi()', () => {
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

  it('has no plain multi/exec/discard methods that could interleave on the shared connection', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    expect((client as unknown as Record<string, unknown>).exec).toBeUndefined();
    expect((client as unknown as Record<string, unknown>).discard).toBeUndefined();
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

import { startServer } from '@pyrsedis/test-server';
import { describe, expect, it } from 'vitest';
import {
  createClient,
  FunctionLibrary,
  NoScriptError,
  ReplyError,
  Script,
  withBuffers,
} from '../src/index.js';

describe('scan iterators', () => {
  it('iterate every key, field, member and score across many rounds', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    await Promise.all(Array.from({ length: 1000 }, (_, i) => client.set(`scan:${i}`, 'v')));
    await client.set('other', 'v');
    const keys = new Set<string>();
    for await (const key of client.scanIterator({ match: 'scan:*', count: 50 })) keys.add(key);
    expect(keys.size).toBe(1000);
    const strings: string[] = [];
    for await (const key of client.scanIterator({ type: 'string', count: 200 })) strings.push(key);
    expect(new Set(strings).size).toBe(1001);

    await client.hset(
      'h',
      Array.from({ length: 300 }, (_, i) => ({ field: `f${i}`, value: `v${i}` })),
    );
    const fields = new Map<string, string>();
    for await (const { field, value } of client.hscanIterator('h', { count: 20 })) fields.set(field, value);
    expect(fields.size).toBe(300);
    expect(fields.get('f7')).toBe('v7');

    await client.sadd('s', ...Array.from({ length: 300 }, (_, i) => `m${i}`));
    const members = new Set<string>();
    for await (const m of client.sscanIterator('s', { count: 20 })) members.add(m);
    expect(members.size).toBe(300);

    await client.zadd(
      'z',
      Array.from({ length: 300 }, (_, i) => ({ score: i / 2, member: `m${i}` })),
    );
    const scores = new Map<string, number>();
    for await (const { member, score } of client.zscanIterator('z', { count: 20 })) scores.set(member, score);
    expect(scores.size).toBe(300);
    expect(scores.get('m3')).toBe(1.5);
  });
});

describe('Script', () => {
  it('runs by SHA1, falls back to EVAL once on NOSCRIPT, then uses EVALSHA', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const script = new Script("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}");
    expect(script.sha1).toMatch(/^[0-9a-f]{40}$/);
    expect(await client.scriptExists(script.sha1)).toEqual([0]);
    expect(await script.run(client, { keys: ['counter'], arguments: ['x'] })).toEqual(['counter', 'x', 1]);
    expect(await client.scriptExists(script.sha1)).toEqual([1]);
    expect(await script.run(client, { keys: ['counter'], arguments: ['y'] })).toEqual(['counter', 'y', 2]);
    const readOnly = new Script("return redis.call('GET', KEYS[1])", { readOnly: true });
    expect(await readOnly.run(client, { keys: ['counter'] })).toBe('2');
    const broken = new Script('return redis.call("NOSUCH")');
    await expect(broken.run(client)).rejects.toBeInstanceOf(ReplyError);
  });

  it('in a pipeline or transaction: NOSCRIPT in place until loaded, then runs by SHA1', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const script = new Script('return ARGV[1]');
    const before = await client
      .pipeline()
      .evalsha(script.sha1, { arg: ['a'] })
      .exec();
    expect(before[0]).toBeInstanceOf(NoScriptError);
    expect((before[0] as NoScriptError).command).toBe('EVALSHA');
    expect(await script.load(client)).toBe(script.sha1);
    expect(
      await client
        .pipeline()
        .evalsha(script.sha1, { arg: ['b'] })
        .exec(),
    ).toEqual(['b']);
    // Errors inside EXEC name their command too.
    const tx = await client.multi().set('s', 'x').incr('s').exec();
    expect(tx[1]).toBeInstanceOf(ReplyError);
    expect((tx[1] as ReplyError).command).toBe('INCR');
  });
});

describe('Script and FunctionLibrary calls', () => {
  it('refuse a call of unknown fields (a misspelt `arg` ran the script without its arguments)', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const echo = new Script('return ARGV[1]');
    await expect(echo.run(client, { arg: ['hi'] } as never)).rejects.toThrow(
      'Script.run: unknown call field "arg" (known: keys, arguments)',
    );
    await expect(echo.run(client, { arguments: 'hi' } as never)).rejects.toThrow(
      'Script.run: arguments must be an array',
    );
    expect(await echo.run(client, { arguments: ['hi'] })).toBe('hi');
    const library = new FunctionLibrary(
      "#!lua name=clib\nredis.register_function('cf', function(k, a) return a[1] end)",
    );
    await expect(library.call(client, 'cf', { args: ['x'] } as never)).rejects.toThrow(
      'FunctionLibrary.call: unknown call field "args"',
    );
    expect(await library.call(client, 'cf', { arguments: ['x'] })).toBe('x');
  });
});

describe('FunctionLibrary', () => {
  it('loads itself on first call (and after a FUNCTION FLUSH), FCALL and FCALL_RO, on Redis 8.2 and Valkey 8', async () => {
    for (const flavor of ['redis8', 'valkey8'] as const) {
      await using server = await startServer({ flavor });
      await using client = await createClient({ port: server.port }).connect();
      const lib = new FunctionLibrary(
        [
          '#!lua name=counters',
          "redis.register_function('bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)",
          "redis.register_function{function_name='peek', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}",
        ].join('\n'),
      );
      expect(lib.name).toBe('counters');
      expect(await lib.call(client, 'bump', { keys: ['hits'], arguments: ['5'] })).toBe(5);
      expect(await lib.call(client, 'peek', { keys: ['hits'] }, { readOnly: true })).toBe('5');
      await client.functionFlush();
      expect(await lib.call(client, 'bump', { keys: ['hits'], arguments: ['1'] })).toBe(6);
      const list = (await client.functionList()) as { library_name: string }[];
      expect(list.map((l) => l.library_name)).toEqual(['counters']);
      // A function error is not mistaken for a missing library.
      await expect(lib.call(client, 'bump', { keys: ['hits'], arguments: ['x'] })).rejects.toThrow(
        /not an integer/,
      );
    }
    expect(() => new FunctionLibrary('return 1')).toThrow(/shebang naming it/);
  });
});

describe('scan iterators, found by a bug hunt', () => {
  it('end in the Buffer view (the cursor is a Buffer there) and read infinite scores', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    await client.sadd('ss', 'a', 'b');
    const members: unknown[] = [];
    for await (const member of withBuffers(client).sscanIterator('ss')) {
      members.push(member);
      if (members.length > 10) break; // it looped forever
    }
    expect(members.length).toBe(2);
    await client.sendCommand(['ZADD', 'z', '+inf', 'top', '-inf', 'bottom']);
    const scores: Record<string, number> = {};
    for await (const { member, score } of client.zscanIterator('z')) scores[member] = score;
    expect(scores).toEqual({ top: Number.POSITIVE_INFINITY, bottom: Number.NEGATIVE_INFINITY });
  });

  it('the Buffer view yields Buffers (binary keys too); FunctionLibrary.load resolves with a string there', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const binary = Buffer.from([0x68, 0xff]);
    await client.hset(binary, [{ field: Buffer.from([0xfe]), value: 'v' }]);
    const bytes = withBuffers(client);
    const fields: Buffer[] = [];
    for await (const { field, value } of bytes.hscanIterator(binary)) {
      fields.push(field);
      expect(value).toEqual(Buffer.from('v'));
    }
    expect(fields).toEqual([Buffer.from([0xfe])]);
    const keys: Buffer[] = [];
    for await (const key of bytes.scanIterator()) keys.push(key);
    expect(keys).toEqual([binary]);
    const library = new FunctionLibrary(
      "#!lua name=blib\nredis.register_function('bf', function() return 1 end)",
    );
    expect(await library.load(bytes)).toBe('blib'); // was a Buffer
  });
});

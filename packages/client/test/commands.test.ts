// The generated methods build the argv the server expects: representative commands of every
// argument shape (positional, rest, options, oneof tokens and objects, blocks, multiple blocks),
// run against a real Redis 8.2.
import { type RedisServer, startServer } from '@pyrsedis/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withBuffers } from '../src/commands/sender.js';
import type { Commands } from '../src/generated/commands.js';
import { createClient, ReplyError } from '../src/index.js';
import { TestSender } from './sender.js';

let server: RedisServer;
let r: TestSender & Commands;
beforeAll(async () => {
  server = await startServer({ flavor: 'redis8' });
  r = await TestSender.connect(server.port);
});
afterAll(async () => {
  r?.close();
  await server?.stop();
});

const last = () => r.sent.at(-1)!.map(String);

describe('generated command methods against Redis 8.2', () => {
  it('SET with oneof options, GET, DEL with rest arguments', async () => {
    expect(await r.set('k', 'v1', { condition: 'NX', expiration: { seconds: 100 } })).toBe('OK');
    expect(last()).toEqual(['SET', 'k', 'v1', 'NX', 'EX', '100']);
    expect(await r.set('k', 'v2', { condition: 'NX' })).toBeNull();
    expect(await r.set('k', 'v3', { get: true, expiration: 'KEEPTTL' })).toBe('v1');
    expect(last()).toEqual(['SET', 'k', 'v3', 'GET', 'KEEPTTL']);
    // IFEQ comes from the Valkey 8.1 spec; Redis 8.2 answers it with a syntax error (see
    // commands.json "differences"): the argv is still what the spec says.
    await expect(r.set('k', 'v4', { condition: { comparisonValue: 'v3' } })).rejects.toThrow(
      'ERR syntax error',
    );
    expect(last()).toEqual(['SET', 'k', 'v4', 'IFEQ', 'v3']);
    expect(await r.get('k')).toBe('v3');
    expect(await r.mget('k', 'missing')).toEqual(['v3', null]);
    expect(await r.del('k', 'missing')).toBe(1);
  });

  it('ZADD with a multiple block and options; ZRANGE WITHSCORES', async () => {
    expect(
      await r.zadd('z', [
        { score: 1, member: 'a' },
        { score: 2.5, member: 'b' },
      ]),
    ).toBe(2);
    expect(await r.zadd('z', [{ score: 3, member: 'a' }], { condition: 'XX', change: true })).toBe(1);
    expect(last()).toEqual(['ZADD', 'z', 'XX', 'CH', '3', 'a']);
    expect(await r.zrange('z', 0, -1, { withscores: true })).toEqual([
      { member: 'b', score: 2.5 },
      { member: 'a', score: 3 },
    ]);
    expect(await r.zrange('z', '(2.5', '+inf', { sortby: 'BYSCORE' })).toEqual(['a']);
  });

  it('hashes: HSET with field/value blocks, HGETALL as a record, HSETEX (Redis 8)', async () => {
    expect(
      await r.hset('h', [
        { field: 'f1', value: 'x' },
        { field: '__proto__', value: 'y' },
      ]),
    ).toBe(2);
    const all = await r.hgetall('h');
    expect(Object.getPrototypeOf(all)).toBeNull();
    expect({ ...all }).toEqual({ f1: 'x', ['__proto__']: 'y' });
    expect(
      await r.hsetex('h2', { data: [{ field: 'a', value: '1' }] }, { expiration: { seconds: 60 } }),
    ).toBe(1);
    expect(last()).toEqual(['HSETEX', 'h2', 'EX', '60', 'FIELDS', '1', 'a', '1']);
    expect(await r.httl('h2', { field: ['a'] })).toEqual([60]);
  });

  it('takes Redis 8.2 arguments the Valkey spec lacks (BITOP DIFF)', async () => {
    await r.set('b1', 'a');
    await r.set('b2', 'a');
    expect(await r.bitop('DIFF', 'bd', 'b1', 'b2')).toBe(1);
    expect(last()).toEqual(['BITOP', 'DIFF', 'bd', 'b1', 'b2']);
  });

  it('computes numkeys / numfields from the lists they count', async () => {
    expect(await r.eval('return #KEYS', {})).toBe(0);
    expect(last()).toEqual(['EVAL', 'return #KEYS', '0']);
    expect(await r.zadd('za', [{ score: 1, member: 'x' }])).toBe(1);
    expect(await r.zunionstore('zu', ['za', 'zb'])).toBe(1);
    expect(last()).toEqual(['ZUNIONSTORE', 'zu', '2', 'za', 'zb']);
  });

  it('lists and blocking-shaped commands with oneof tokens', async () => {
    expect(await r.rpush('l1', 'a', 'b', 'c')).toBe(3);
    expect(await r.lmove('l1', 'l2', 'LEFT', 'RIGHT')).toBe('a');
    expect(await r.lmpop(['l1', 'l2'], 'RIGHT', { count: 2 })).toEqual(['l1', ['c', 'b']]);
    expect(last()).toEqual(['LMPOP', '2', 'l1', 'l2', 'RIGHT', 'COUNT', '2']);
  });

  it('geo: GEOADD with blocks, GEOSEARCH with oneof objects and a COUNT block', async () => {
    expect(
      await r.geoadd('g', [
        { longitude: 13.361389, latitude: 38.115556, member: 'Palermo' },
        { longitude: 15.087269, latitude: 37.502669, member: 'Catania' },
      ]),
    ).toBe(2);
    const found = await r.geosearch(
      'g',
      { fromlonlat: { longitude: 15, latitude: 37 } },
      { circle: { radius: 200, unit: 'km' } },
      {
        order: 'ASC',
        countBlock: { count: 1 },
      },
    );
    expect(found).toEqual(['Catania']);
    expect(last()).toEqual([
      'GEOSEARCH',
      'g',
      'FROMLONLAT',
      '15',
      '37',
      'BYRADIUS',
      '200',
      'km',
      'ASC',
      'COUNT',
      '1',
    ]);
  });

  it('streams: XADD with an id oneof and field blocks, XRANGE, XREAD STREAMS', async () => {
    const id = await r.xadd('s', '*', [{ field: 'f', value: 'v' }], {
      trim: { strategy: 'MAXLEN', operator: '~', threshold: 100 },
    });
    expect(id).toMatch(/^\d+-\d+$/);
    expect(last().slice(0, 5)).toEqual(['XADD', 's', 'MAXLEN', '~', '100']);
    expect(await r.xadd('s', { id: '9999999999999-0' }, [{ field: 'g', value: 'w' }])).toBe(
      '9999999999999-0',
    );
    expect(await r.xrange('s', '-', '+')).toEqual([
      [id, ['f', 'v']],
      ['9999999999999-0', ['g', 'w']],
    ]);
    const read = await r.xread({ key: ['s'], id: ['0-0'] }, { count: 1 });
    expect(last()).toEqual(['XREAD', 'COUNT', '1', 'STREAMS', 's', '0-0']);
    expect(Object.keys(read!)).toEqual(['s']);
  });

  it('subcommands and scripting: CONFIG GET, CLIENT SETNAME/GETNAME, EVAL', async () => {
    expect(await r.configGet('maxmemory-policy')).toEqual(
      Object.assign(Object.create(null), { 'maxmemory-policy': 'noeviction' }),
    );
    expect(await r.clientSetname('gen-test')).toBe('OK');
    expect(await r.clientGetname()).toBe('gen-test');
    expect(await r.eval('return {KEYS[1], ARGV[1]}', { key: ['kk'], arg: ['aa'] })).toEqual(['kk', 'aa']);
    expect(last()).toEqual(['EVAL', 'return {KEYS[1], ARGV[1]}', '1', 'kk', 'aa']);
    expect(await r.objectEncoding('z')).toBe('listpack');
  });

  it('the Buffer view: the same methods, bulk strings as Buffers', async () => {
    const bytes = Buffer.from([0, 0xff, 0x0d, 0x0a, 0x80]);
    expect(await r.set('bin', bytes)).toBe('OK');
    const b = withBuffers(r) as unknown as Commands<Buffer>;
    const got = await b.get('bin');
    expect(Buffer.isBuffer(got)).toBe(true);
    expect(got!.equals(bytes)).toBe(true);
    await r.hset('hb', [{ field: 'f', value: bytes }]);
    const hash = await b.hgetall('hb');
    expect(hash.f!.equals(bytes)).toBe(true);
    // The string view is unchanged.
    expect(typeof (await r.get('bin'))).toBe('string');
    expect(b.get).toBe(r.get);
  });

  it('the Buffer view: simple (status) strings stay strings, typed so (TYPE, HELP, flags)', async () => {
    const b = withBuffers(r) as unknown as Commands<Buffer>;
    await r.set('st', 'v');
    const type: string = await b.type('st');
    expect(type).toBe('string'); // was typed Buffer | null
    expect(await b.type('st:missing')).toBe('none');
    const help: string[] = await b.configHelp();
    expect(typeof help[0]).toBe('string');
    const [key, flags] = (await b.commandGetkeysandflags('set', 'st', 'v'))[0]!;
    expect(Buffer.isBuffer(key)).toBe(true);
    const flag: string = flags[0]!;
    expect(typeof flag).toBe('string');
    const [info] = await b.commandInfo('get');
    const commandFlags: string[] = info![2];
    const categories: string[] = info![6];
    expect(commandFlags).toContain('readonly');
    expect(categories).toContain('@read');
    expect(typeof info![8][0]!.flags![0]).toBe('string');
    await r.functionLoad(
      "#!lua name=stlib\nredis.register_function{function_name='stf', callback=function() return 1 end, flags={'no-writes'}}",
      { replace: true },
    );
    const [library] = await b.functionList({ libraryNamePattern: 'stlib' });
    const fnFlags: string[] = library!.functions![0]!.flags!;
    expect(fnFlags).toEqual(['no-writes']);
  });

  it('reply transforms: INFO sections, CLIENT INFO / CLIENT LIST objects', async () => {
    const info = await r.info('server', 'keyspace');
    expect(info.server!.redis_version).toBe('8.2.3');
    expect(Object.getPrototypeOf(info)).toBeNull();
    expect(Object.keys(info)).toEqual(['server', 'keyspace']);
    const me = await r.clientInfo();
    expect(me.name).toBe('gen-test');
    expect(me.cmd).toBe('client|info');
    const all = await r.clientList();
    expect(all.some((c) => c.id === me.id)).toBe(true);
  });

  it('a string where a list goes is refused, never sent character by character', async () => {
    await r.del('mylist', 'm', 'y');
    await r.rpush('y', 'victim');
    await r.rpush('mylist', 'intended');
    const sent = r.sent.length;
    const lmpop = r.lmpop('mylist' as never, 'LEFT');
    await expect(lmpop).rejects.toThrow(new TypeError('LMPOP: key must be an array, got a string'));
    await expect(r.eval('return KEYS', { key: 'abc' as never })).rejects.toThrow(
      new TypeError('EVAL: options.key must be an array, got a string'),
    );
    await expect(r.xread({ key: 's' as never, id: ['0'] })).rejects.toThrow(
      new TypeError('XREAD: streams.key must be an array, got a string'),
    );
    expect(r.sent.length).toBe(sent);
    expect(await r.lrange('y', 0, -1)).toEqual(['victim']);
    expect(await r.lrange('mylist', 0, -1)).toEqual(['intended']);
  });

  it('arguments of the wrong shape reject with a TypeError naming command and parameter, never throw', async () => {
    const sent = r.sent.length;
    const refusals: [() => Promise<unknown>, string][] = [
      [() => r.hset('h', { a: 1 } as never), 'HSET: data must be an array, got an object'],
      [() => r.hset('h', [1] as never), 'HSET: data[] must be an object { field, value }, got a number'],
      [
        () => r.set('k', 'v', { expiration: 5 as never }),
        'SET: options.expiration must be one of { seconds } | { milliseconds } | { unixTimeSeconds } | { unixTimeMilliseconds } | "KEEPTTL", got a number',
      ],
      [
        () => r.set('k', 'v', { expiration: { secs: 5 } as never }),
        'SET: options.expiration must be one of { seconds } | { milliseconds } | { unixTimeSeconds } | { unixTimeMilliseconds } | "KEEPTTL", got an object',
      ],
      [
        () => r.geosearch('g', 'm' as never, { circle: { radius: 1, unit: 'km' } }),
        'GEOSEARCH: from must be one of { member } | { fromlonlat }, got a string',
      ],
      [() => r.lmpop(undefined as never, 'LEFT'), 'LMPOP: key must be an array, got undefined'],
      [() => r.lmpop(['l'], 5 as never), 'LMPOP: where must be one of "LEFT" | "RIGHT", got a number'],
      [() => r.hsetex('h', null as never), 'HSETEX: fields must be an object { data }, got null'],
      [() => r.hsetex('h', { data: 'ab' as never }), 'HSETEX: fields.data must be an array, got a string'],
    ];
    for (const [call, message] of refusals) {
      let result: Promise<unknown> | undefined;
      expect(() => {
        result = call();
      }).not.toThrow();
      expect(result).toBeInstanceOf(Promise);
      await expect(result).rejects.toThrow(new TypeError(message));
    }
    expect(r.sent.length).toBe(sent);
  });

  it('in a pipeline, a bad argument is refused in its place; a transaction with one sends nothing', async () => {
    await using client = await createClient({ port: server.port }).connect();
    await client.del('p1', 'p2');
    const replies = await client
      .pipeline()
      .set('p1', '1')
      .hset('h', { a: 1 } as never)
      .set('p2', 'v', { expiration: 5 as never })
      .get('p1')
      .exec();
    expect(replies[0]).toBe('OK');
    expect(replies[1]).toBeInstanceOf(TypeError);
    expect((replies[1] as Error).message).toBe('HSET: data must be an array, got an object');
    expect(replies[2]).toBeInstanceOf(TypeError);
    expect((replies[2] as Error).message).toMatch(/^SET: options.expiration must be one of/);
    expect(replies[3]).toBe('1');
    await expect(
      client
        .multi()
        .set('p2', 'x')
        .hset('h', { a: 1 } as never)
        .exec(),
    ).rejects.toThrow('HSET: data must be an array');
    expect(await client.get('p2')).toBeNull();
  });

  it('replies the corrected reply types allow: XPENDING with nothing pending, LATENCY LATEST events', async () => {
    await r.sendCommand(['XGROUP', 'CREATE', 'xp', 'g', '$', 'MKSTREAM']);
    const summary = await r.xpending('xp', 'g');
    expect(summary).toEqual([0, null, null, null]);
    await r.configSet([{ parameter: 'latency-monitor-threshold', value: '1' }]);
    await r.sendCommand(['DEBUG', 'SLEEP', '0.01']);
    const events = await r.latencyLatest();
    expect(events.find((e) => e[0] === 'command')).toHaveLength(4);
  });

  it('an options object of unknown names, or not an object, is refused (it was ignored: the command ran without it)', async () => {
    await r.del('opt');
    const sent = r.sent.length;
    await expect(r.set('opt', 'v', { ex: 60 } as never)).rejects.toThrow(
      'SET: unknown option "ex" (known: condition, get, expiration)',
    );
    await expect(r.set('opt', 'v', 60 as never)).rejects.toThrow(
      'SET: options must be an object { condition, get, expiration }, got a number',
    );
    await expect(r.zpopmin('opt', 2 as never)).rejects.toThrow(TypeError);
    await expect(r.eval('return #KEYS', { keys: ['a', 'b'] } as never)).rejects.toThrow(
      /EVAL: unknown option "keys" \(known: key, arg\)/,
    );
    expect(r.sent.length).toBe(sent); // nothing sent
    expect(await r.exists('opt')).toBe(0); // was stored, with no expiry
    // Known names, undefined values included, are fine.
    expect(await r.set('opt', 'v', { expiration: { seconds: 60 }, get: undefined })).toBe('OK');
    expect(await r.ttl('opt')).toBeGreaterThan(0);
  });

  it('doubles take ±Infinity (a score read back), sent as +inf / -inf', async () => {
    await r.del('zi');
    expect(await r.zadd('zi', [{ score: Infinity, member: 'top' }])).toBe(1); // was a TypeError
    await r.zadd('zi', [
      { score: -Infinity, member: 'bottom' },
      { score: 1.5, member: 'mid' },
    ]);
    expect(last()).toEqual(['ZADD', 'zi', '-inf', 'bottom', '1.5', 'mid']);
    expect(await r.zscore('zi', 'top')).toBe(Infinity);
    expect(await r.zrangebyscore('zi', -Infinity, Infinity)).toEqual(['bottom', 'mid', 'top']);
    expect(await r.zcount('zi', '(1.5', Infinity)).toBe(1);
    // NaN has no spelling: still refused before anything is sent.
    await expect(r.zadd('zi', [{ score: Number.NaN, member: 'x' }])).rejects.toThrow(TypeError);
  });

  it('BITFIELD offsets take #N (N times the width of the encoding)', async () => {
    await r.del('bf');
    const set = await r.bitfield('bf', {
      operation: [{ write: { writeOperation: { setBlock: { encoding: 'u8', offset: '#1', value: 200 } } } }],
    });
    expect(set).toEqual([0]);
    expect(last()).toEqual(['BITFIELD', 'bf', 'SET', 'u8', '#1', '200']);
    expect(await r.bitfieldRo('bf', { getBlock: [{ encoding: 'u8', offset: 8 }] })).toEqual([200]);
    expect(await r.bitfieldRo('bf', { getBlock: [{ encoding: 'u8', offset: '#1' }] })).toEqual([200]);
  });

  it('MIGRATE ... KEYS: the key placeholder is the empty string', async () => {
    await using target = await startServer({ flavor: 'redis8' });
    await r.mset([
      { key: 'm1', value: 'a' },
      { key: 'm2', value: 'b' },
    ]);
    // Was typed '""' and sent as two quote characters: the server refused it.
    expect(await r.migrate('127.0.0.1', target.port, '', 0, 5000, { keys: ['m1', 'm2'] })).toBe('OK');
    expect(last()).toEqual([
      'MIGRATE',
      '127.0.0.1',
      String(target.port),
      '',
      '0',
      '5000',
      'KEYS',
      'm1',
      'm2',
    ]);
    expect(await target.call('MGET', 'm1', 'm2')).toEqual(['a', 'b']);
    expect(await r.exists('m1', 'm2')).toBe(0);
  });

  it('a SCAN cursor from a reply goes back as it came; an error inside a script reply is a ReplyError', async () => {
    await r.mset([{ key: 'sc:1', value: '1' }]);
    let cursor: string | number = 0;
    const seen: string[] = [];
    do {
      const [next, keys]: [string, string[]] = await r.scan(cursor, { pattern: 'sc:*' });
      seen.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    expect(seen).toContain('sc:1');
    const reply = await r.eval("return {1, redis.error_reply('ERR boom')}");
    expect(Array.isArray(reply) && reply[1] instanceof ReplyError).toBe(true);
  });
});

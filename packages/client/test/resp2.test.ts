import { type RedisServer, startServer } from '@pyrsedis/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, COMMAND_TABLE, createClient, fromResp2, type Resp2Shape } from '../src/index.js';

const shape = (name: string) => COMMAND_TABLE[name]!.resp2 as Resp2Shape;

describe('fromResp2', () => {
  it('turns flat arrays into null-prototype maps', () => {
    const hash = fromResp2(['f', 'v', '__proto__', 'x'], shape('HGETALL')) as Record<string, string>;
    expect(Object.getPrototypeOf(hash)).toBeNull();
    expect({ ...hash }).toEqual({ f: 'v', ['__proto__']: 'x' });
    expect(fromResp2([], shape('HGETALL'))).toEqual(Object.create(null));
  });

  it('turns double strings into numbers, inf and nan included, and keeps null', () => {
    expect(fromResp2('1.5', shape('ZSCORE'))).toBe(1.5);
    expect(fromResp2('inf', shape('ZSCORE'))).toBe(Number.POSITIVE_INFINITY);
    expect(fromResp2('-inf', shape('ZSCORE'))).toBe(Number.NEGATIVE_INFINITY);
    expect(fromResp2(null, shape('ZSCORE'))).toBeNull();
    expect(fromResp2(['1', null, '2.5'], shape('ZMSCORE'))).toEqual([1, null, 2.5]);
  });

  it('regroups lists of pairs the schema notes as flattened in RESP2, when unambiguous', () => {
    // ZRANGE is ambiguous in RESP2 (plain members and WITHSCORES pairs are both flat string
    // arrays), so its reply is kept as is; ZPOPMIN with COUNT has no such ambiguity.
    expect(fromResp2(['a', '1', 'b', '2'], shape('ZRANGE'))).toEqual(['a', '1', 'b', '2']);
    expect(COMMAND_TABLE.HGETALL!.resp2).toEqual({ map: {} });
  });

  it('leaves error replies and already-converted values alone', () => {
    const err = new Error('x');
    expect(fromResp2(err, shape('HGETALL'))).toBe(err);
    const map = Object.assign(Object.create(null), { a: '1' });
    expect(fromResp2(map, shape('HGETALL'))).toBe(map);
  });
});

// The same calls over RESP3 and RESP2 (HELLO 2): the RESP2 replies must arrive in the RESP3
// shapes the types describe, on every server the client supports.
describe.each(['redis8', 'valkey8', 'redis7'] as const)(
  'RESP2 replies in their RESP3 shapes, on %s',
  (flavor) => {
    let server: RedisServer;
    let resp3: Client;
    let resp2: Client;
    beforeAll(async () => {
      server = await startServer({ flavor });
      resp3 = await createClient({ port: server.port }).connect();
      resp2 = await createClient({ port: server.port, protocol: 2 }).connect();
      expect(resp2.protocol).toBe(2);
    });
    afterAll(async () => {
      await resp3?.close();
      await resp2?.close();
      await server?.stop();
    });

    /** Runs `call` on both connections: the replies must be equal; returns the RESP2 one. */
    async function both<T>(call: (c: Client) => Promise<T>): Promise<T> {
      const three = await call(resp3);
      const two = await call(resp2);
      expect(two).toEqual(three);
      return two;
    }

    it('XREAD and XREADGROUP: a record of streams, one stream or several', async () => {
      await resp3.del('s1', 's2');
      await resp3.xadd('s1', { id: '1-1' }, [{ field: 'f', value: 'v' }]);
      await resp3.xadd('s2', { id: '1-1' }, [{ field: 'g', value: 'w' }]);
      const one = await both((c) => c.xread({ key: ['s1'], id: ['0'] }));
      expect({ ...one }).toEqual({ s1: [['1-1', ['f', 'v']]] });
      const two = await both((c) => c.xread({ key: ['s1', 's2'], id: ['0', '0'] }));
      expect({ ...two }).toEqual({ s1: [['1-1', ['f', 'v']]], s2: [['1-1', ['g', 'w']]] });
      expect(Object.getPrototypeOf(two)).toBeNull();
      await resp3.xgroupCreate('s1', 'g', { id: '0' });
      await resp3.xgroupCreate('s2', 'g', { id: '0' });
      const read = (c: Client, consumer: string) =>
        c.xreadgroup({ group: 'g', consumer }, { key: ['s1', 's2'], id: ['>', '>'] });
      expect({ ...(await read(resp3, 'c3')) }).toEqual({
        s1: [['1-1', ['f', 'v']]],
        s2: [['1-1', ['g', 'w']]],
      });
      await resp3.sendCommand(['XGROUP', 'SETID', 's1', 'g', '0']);
      await resp3.sendCommand(['XGROUP', 'SETID', 's2', 'g', '0']);
      expect({ ...(await read(resp2, 'c2')) }).toEqual({
        s1: [['1-1', ['f', 'v']]],
        s2: [['1-1', ['g', 'w']]],
      });
    });

    it('ZPOPMIN / ZPOPMAX with a count: [member, score] pairs, also for one', async () => {
      const fill = () =>
        resp3.zadd('z', [
          { score: 1, member: 'a' },
          { score: 2.5, member: 'b' },
          { score: 4, member: 'c' },
        ]);
      await fill();
      expect(await resp3.zpopmin('z', { count: 2 })).toEqual([
        ['a', 1],
        ['b', 2.5],
      ]);
      expect(await resp3.zpopmax('z', { count: 1 })).toEqual([['c', 4]]);
      await fill();
      expect(await resp2.zpopmin('z', { count: 2 })).toEqual([
        ['a', 1],
        ['b', 2.5],
      ]);
      expect(await resp2.zpopmax('z', { count: 1 })).toEqual([['c', 4]]);
      // Without a count: one [member, score].
      await fill();
      expect(await resp2.zpopmin('z')).toEqual(['a', 1]);
      expect(await resp2.zpopmax('z', { count: 5 })).toEqual([
        ['c', 4],
        ['b', 2.5],
      ]);
      expect(await both((c) => c.zpopmin('z', { count: 2 }))).toEqual([]);
    });

    it('HRANDFIELD with a count and WITHVALUES: [field, value] pairs', async () => {
      await resp3.del('h');
      await resp3.hset('h', [{ field: 'a', value: '1' }]);
      expect(await both((c) => c.hrandfield('h', { optionsValue: { count: -2, withvalues: true } }))).toEqual(
        [
          ['a', '1'],
          ['a', '1'],
        ],
      );
      expect(await both((c) => c.hrandfield('h', { optionsValue: { count: -2 } }))).toEqual(['a', 'a']);
      expect(await both((c) => c.hrandfield('h'))).toBe('a');
    });

    it('XINFO STREAM FULL: groups, their consumers and pending entries as records', async () => {
      await resp3.del('sf');
      await resp3.xadd('sf', { id: '1-1' }, [{ field: 'f', value: 'v' }]);
      await resp3.xgroupCreate('sf', 'g', { id: '0' });
      await resp3.xreadgroup({ group: 'g', consumer: 'alice' }, { key: ['sf'], id: ['>'] });
      const full = (await both((c) => c.xinfoStream('sf', { fullBlock: {} }))) as Record<string, unknown>;
      const [group] = full.groups as Record<string, unknown>[];
      expect(Object.getPrototypeOf(group)).toBeNull();
      expect(group!.name).toBe('g');
      const [consumer] = group!.consumers as Record<string, unknown>[];
      expect(consumer!.name).toBe('alice');
      expect(consumer!['pel-count']).toBe(1);
      // The summary form: `groups` is a count there.
      expect((await both((c) => c.xinfoStream('sf'))).groups).toBe(1);
    });

    it("COMMAND INFO: a container's subcommands have their key specs as maps, as in RESP3", async () => {
      const [xinfo] = await both((c) => c.commandInfo('xinfo'));
      const subcommands = (xinfo as unknown[])[9] as unknown[][];
      const stream = subcommands.find((s) => s[0] === 'xinfo|stream')!;
      const [spec] = stream[8] as { begin_search: { type: string } }[];
      expect(spec!.begin_search.type).toBe('index'); // was a flat array on RESP2
    });

    it('COMMAND DOCS: subcommands and nested arguments are records at every level', async () => {
      type Argument = { name: string; token?: string; arguments?: Argument[] };
      const docs = await both((c) => c.commandDocs('set', 'client'));
      const condition = docs.set!.arguments!.find((a) => a.name === 'condition')!;
      const [nx] = condition.arguments as unknown as Argument[];
      expect(Object.getPrototypeOf(nx)).toBeNull();
      expect(nx!.token).toBe('NX');
      const subcommands = docs.client!.subcommands as Record<
        string,
        { group: string; arguments: Argument[] }
      >;
      expect(Array.isArray(subcommands)).toBe(false);
      const kill = subcommands['client|kill']!;
      expect(kill.group).toBe('connection');
      // CLIENT KILL's filter: TYPE's tokens are argument maps three levels down (or more).
      const find = (args: Argument[], name: string, depth: number): [Argument, number] | undefined => {
        for (const arg of args) {
          if (arg.name === name) return [arg, depth];
          const inner = find(arg.arguments ?? [], name, depth + 1);
          if (inner) return inner;
        }
        return undefined;
      };
      const [normal, depth] = find(kill.arguments, 'normal', 1)!;
      expect(normal.token).toBe('NORMAL');
      expect(depth).toBeGreaterThanOrEqual(3);
    });

    it('GEOSEARCH and GEORADIUS WITHCOORD: coordinates as numbers, distances as strings', async () => {
      await resp3.geoadd('g', [{ longitude: 13.361389, latitude: 38.115556, member: 'Palermo' }]);
      const found = await both((c) =>
        c.geosearch(
          'g',
          { member: 'Palermo' },
          { circle: { radius: 1, unit: 'km' } },
          { withcoord: true, withdist: true, withhash: true },
        ),
      );
      const [member, distance, hash, [longitude, latitude]] = found[0] as [
        string,
        string,
        number,
        [number, number],
      ];
      expect([member, distance, typeof hash]).toEqual(['Palermo', '0.0000', 'number']);
      expect(longitude).toBeCloseTo(13.361389, 5);
      expect(latitude).toBeCloseTo(38.115556, 5);
      const radius = await both((c) => c.georadius('g', 13.36, 38.11, 10, 'km', { withcoord: true }));
      const [[, [lon]]] = radius as [[string, [number, number]]];
      expect(lon).toBeCloseTo(13.361389, 5);
      expect(
        await both((c) => c.geosearch('g', { member: 'Palermo' }, { circle: { radius: 1, unit: 'km' } })),
      ).toEqual(['Palermo']);
    });

    it('raw sendCommand: a Buffer WITHSCORES is recognised like a string one', async () => {
      await resp3.del('zb');
      await resp3.zadd('zb', [{ score: 1.5, member: 'a' }]);
      const pairs = await both((c) => c.sendCommand(['ZRANGE', 'zb', 0, -1, Buffer.from('withScores')]));
      expect(pairs).toEqual([['a', 1.5]]);
    });
  },
);

describe("a reader of the caller's own over RESP2", () => {
  it('gets its value as it built it: no RESP2 reshaping on top', async () => {
    await using server = await startServer({ flavor: 'redis7' });
    const upper = {
      begin: () => [] as unknown[],
      add: (state: unknown[], value: unknown) =>
        state.push(typeof value === 'string' ? value.toUpperCase() : value),
      end: (state: unknown[]) => state,
    };
    for (const protocol of [3, 2] as const) {
      await using client = await createClient({ port: server.port, protocol }).connect();
      await client.sendCommand(['HSET', 'h', 'f1', 'v1']);
      await client.sendCommand(['ZADD', 'z', '1', 'a']);
      // RESP3 sends a map (the reader gets key, value as adds); RESP2 a flat array: both arrays here.
      expect(await client.sendCommand(['HGETALL', 'h'], undefined, { reader: upper })).toEqual(['F1', 'V1']);
      expect(
        await client.sendCommand(['ZRANGE', 'z', '0', '-1', 'WITHSCORES'], undefined, { reader: upper }),
      ).toEqual(protocol === 3 ? [['A', 1]] : ['A', '1']);
    }
  });
});

describe('connecting, found by a bug hunt', () => {
  it('a server without HELLO: RESP2 with name, database and pub/sub, whatever protocol was asked', async () => {
    // HELLO renamed away: what a Redis < 6 answers ("unknown command").
    await using server = await startServer({
      config: { 'rename-command': ['HELLO', ''] },
      users: [{ name: 'reader', password: 'pw', rules: '~* &* +@all' }],
    });
    for (const protocol of [2, 3] as const) {
      await using client = await createClient({
        port: server.port,
        protocol,
        name: 'me',
        database: 2,
        username: 'reader',
        password: 'pw',
      }).connect();
      expect(await client.clientGetname()).toBe('me');
      expect(String(await client.sendCommand(['ACL', 'WHOAMI']))).toBe('reader');
      expect((await client.clientInfo()).db).toBe('2');
      const heard: string[] = [];
      await client.subscribe('ch', (m) => heard.push(String(m))); // its dedicated connection too
      await client.publish('ch', 'hi');
      await new Promise((r) => setTimeout(r, 100));
      expect(heard, `protocol ${protocol}`).toEqual(['hi']); // protocol 2 failed: HELLO 2 unknown
    }
  });

  it('a user name without a password authenticates as that user (a nopass ACL user), never as default', async () => {
    await using server = await startServer({
      users: [{ name: 'reader', password: 'pw', rules: '~* &* +@read +ping +acl' }],
    });
    await server.call('ACL', 'SETUSER', 'open', 'on', 'nopass', '~*', '&*', '+@read', '+ping', '+acl');
    await using client = await createClient(`redis://open@127.0.0.1:${server.port}`).connect();
    expect(String(await client.sendCommand(['ACL', 'WHOAMI']))).toBe('open');
    await expect(client.set('k', 'v')).rejects.toThrow(/NOPERM/); // was: allowed, as default
    await expect(createClient({ port: server.port, username: 'reader' }).connect()).rejects.toThrow(
      /WRONGPASS|AUTH/i,
    );
  });

  it('connect() on a closed client rejects; odd options are refused up front', async () => {
    await using server = await startServer();
    const client = await createClient({ port: server.port }).connect();
    await client.close();
    await expect(client.connect()).rejects.toThrow(/closed/); // resolved: a health check was fooled
    expect(() => createClient({ password: null as unknown as string })).toThrow(
      /password must be a string, got null/,
    );
    expect(() => createClient({ path: '/tmp/x.sock', tls: true })).toThrow(
      /path .* and tls do not go together/,
    );
  });
});

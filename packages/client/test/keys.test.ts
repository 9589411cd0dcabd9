// Key extraction from the generated key specs, checked by hand on the tricky commands and
// against the server's own COMMAND GETKEYS on a real Redis 8.2.
import { type RedisServer, startServer } from '@pyrsedis/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_TABLE, CommandFlag, commandKeys, KeyFlag, keySlot, lookupCommand } from '../src/index.js';

const keys = (...argv: (string | number | Buffer)[]) => commandKeys(argv).map(String);

describe('commandKeys on the tricky commands', () => {
  it('EVAL / EVALSHA / FCALL: numkeys', () => {
    expect(keys('EVAL', 'return 1', 2, 'k1', 'k2', 'arg')).toEqual(['k1', 'k2']);
    expect(keys('eval', 'return 1', '0', 'arg')).toEqual([]);
    expect(keys('EVALSHA', 'abc', 1, 'k')).toEqual(['k']);
    expect(keys('FCALL', 'f', 2, 'a', 'b', 'x')).toEqual(['a', 'b']);
    expect(keys('FCALL_RO', 'f', 1, 'a')).toEqual(['a']);
  });

  it('XREAD / XREADGROUP: the STREAMS keyword, half of what follows', () => {
    expect(keys('XREAD', 'COUNT', 2, 'STREAMS', 's1', 's2', '0', '0')).toEqual(['s1', 's2']);
    expect(keys('XREAD', 'BLOCK', 0, 'streams', 's1', '$')).toEqual(['s1']);
    expect(keys('XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', 1, 'STREAMS', 'a', 'b', '>', '>')).toEqual([
      'a',
      'b',
    ]);
  });

  it('ZUNIONSTORE / LMPOP / BLMPOP / SINTERCARD: destination and numkeys', () => {
    expect(keys('ZUNIONSTORE', 'dest', 2, 'z1', 'z2', 'WEIGHTS', 1, 2)).toEqual(['dest', 'z1', 'z2']);
    expect(keys('ZINTERSTORE', 'd', 1, 'z')).toEqual(['d', 'z']);
    expect(keys('LMPOP', 2, 'l1', 'l2', 'LEFT', 'COUNT', 3)).toEqual(['l1', 'l2']);
    expect(keys('BLMPOP', 0, 2, 'l1', 'l2', 'RIGHT')).toEqual(['l1', 'l2']);
    expect(keys('SINTERCARD', 2, 'a', 'b', 'LIMIT', 5)).toEqual(['a', 'b']);
  });

  it('MIGRATE: one key, or the keys after KEYS with an empty key slot', () => {
    expect(keys('MIGRATE', 'h', 6379, 'k', 0, 100)).toEqual(['k']);
    expect(keys('MIGRATE', 'h', 6379, '', 0, 100, 'COPY', 'AUTH', 'pw', 'KEYS', 'a', 'b')).toEqual([
      'a',
      'b',
    ]);
    expect(keys('MIGRATE', 'h', 6379, '', 0, 100, 'AUTH2', 'u', 'keys', 'KEYS', 'a')).toEqual(['a']);
  });

  it('SORT: the key and the last STORE destination, skipping BY/GET/LIMIT arguments', () => {
    expect(keys('SORT', 'k')).toEqual(['k']);
    expect(keys('SORT', 'k', 'BY', 'store', 'LIMIT', 0, 10, 'GET', 'store', 'STORE', 'dst')).toEqual([
      'k',
      'dst',
    ]);
    expect(keys('SORT', 'k', 'STORE', 'a', 'STORE', 'b')).toEqual(['k', 'b']);
    expect(keys('SORT_RO', 'k', 'BY', 'w_*')).toEqual(['k']);
  });

  it('subcommands: OBJECT ENCODING, MEMORY USAGE; unknown commands have no keys', () => {
    expect(lookupCommand(['object', 'encoding', 'k'])?.name).toBe('OBJECT ENCODING');
    expect(keys('OBJECT', 'ENCODING', 'k')).toEqual(['k']);
    expect(keys('MEMORY', 'USAGE', 'k', 'SAMPLES', 5)).toEqual(['k']);
    expect(keys('NOSUCHCOMMAND', 'k')).toEqual([]);
    expect(keys('PING')).toEqual([]);
    expect(keys(Buffer.from('GET'), Buffer.from([0xff, 0x00]))).toEqual([
      Buffer.from([0xff, 0x00]).toString(),
    ]);
  });

  it('flags come from the spec: blocking, readonly, write', () => {
    const flags = (name: string) => COMMAND_TABLE[name]!.flags;
    expect(flags('BLPOP') & CommandFlag.BLOCKING).toBeTruthy();
    expect(flags('XREAD') & CommandFlag.BLOCKING).toBeTruthy();
    expect(flags('WAIT') & CommandFlag.BLOCKING).toBeTruthy();
    expect(flags('GET') & CommandFlag.READONLY).toBeTruthy();
    expect(flags('GET') & CommandFlag.WRITE).toBeFalsy();
    expect(flags('SET') & CommandFlag.WRITE).toBeTruthy();
    expect(COMMAND_TABLE.GET!.keys![0]!.flags & KeyFlag.RO).toBeTruthy();
    expect(COMMAND_TABLE.CLIENT!.container).toBe(true);
  });
});

describe('commandKeys agrees with the server (COMMAND GETKEYS on Redis 8.2)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startServer({ flavor: 'redis8' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const samples: (string | number)[][] = [
    ['GET', 'k'],
    ['SET', 'k', 'v', 'EX', 10, 'GET'],
    ['MSET', 'a', 1, 'b', 2, 'c', 3],
    ['MGET', 'a', 'b', 'c'],
    ['DEL', 'a', 'b'],
    ['RENAME', 'a', 'b'],
    ['SMOVE', 'a', 'b', 'm'],
    ['COPY', 'a', 'b', 'REPLACE'],
    ['LMOVE', 'a', 'b', 'LEFT', 'RIGHT'],
    ['BITOP', 'AND', 'dest', 'a', 'b'],
    ['EVAL', 'return 1', 2, 'k1', 'k2', 'x'],
    ['FCALL', 'f', 1, 'k1', 'x'],
    ['XREAD', 'COUNT', 1, 'STREAMS', 's1', 's2', 0, 0],
    ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's1', '>'],
    ['XADD', 's', '*', 'f', 'v'],
    ['ZUNIONSTORE', 'dest', 2, 'z1', 'z2', 'AGGREGATE', 'MAX'],
    ['ZDIFF', 2, 'a', 'b', 'WITHSCORES'],
    ['LMPOP', 2, 'l1', 'l2', 'LEFT'],
    ['BZMPOP', 1, 2, 'a', 'b', 'MIN'],
    ['SINTERCARD', 3, 'a', 'b', 'c'],
    ['MIGRATE', 'h', 1, '', 0, 5, 'KEYS', 'a', 'b'],
    ['MIGRATE', 'h', 1, 'k', 0, 5],
    ['SORT', 'k', 'BY', 'w', 'LIMIT', 0, 1, 'GET', 'g', 'STORE', 'dst'],
    ['SORT_RO', 'k', 'ALPHA'],
    ['OBJECT', 'ENCODING', 'k'],
    ['MEMORY', 'USAGE', 'k'],
    ['GEORADIUS', 'g', 0, 0, 10, 'km', 'STORE', 'dst'],
    ['GEORADIUS', 'g', 0, 0, 10, 'km', 'STOREDIST', 'dst'],
    ['GEOSEARCHSTORE', 'dst', 'src', 'FROMMEMBER', 'm', 'BYRADIUS', 1, 'km'],
    ['LCS', 'a', 'b'],
    ['PFCOUNT', 'a', 'b'],
    ['PFMERGE', 'd', 'a', 'b'],
    ['WATCH', 'a', 'b'],
    ['HSETEX', 'h', 'EX', 10, 'FIELDS', 1, 'f', 'v'],
    ['HGETDEL', 'h', 'FIELDS', 1, 'f'],
    ['BLPOP', 'a', 'b', 0],
    ['BRPOPLPUSH', 'a', 'b', 0],
    ['TOUCH', 'a', 'b', 'c'],
    ['SUNIONSTORE', 'd', 'a', 'b'],
    ['XAUTOCLAIM', 's', 'g', 'c', 0, '0-0'],
    ['RESTORE', 'k', 0, 'payload'],
  ];

  it.each(samples.map((argv) => [argv.join(' '), argv] as const))('%s', async (_label, argv) => {
    const fromServer = ((await server.call('COMMAND', 'GETKEYS', ...argv)) as string[]).map(String);
    expect(keys(...argv)).toEqual(fromServer);
  });
});

describe('keySlot', () => {
  it('is CRC16/XMODEM mod 16384 with hash tags, for strings and bytes alike', () => {
    expect(keySlot('123456789')).toBe(0x31c3); // the CRC16/XMODEM check value
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('somekey')).toBe(11058);
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('foo{hash_tag}')).toBe(2515); // both from the CLUSTER KEYSLOT documentation
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar')); // an empty tag: the whole key
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
    expect(keySlot('ключ{é}')).toBe(keySlot(Buffer.from('é')));
    expect(keySlot(Buffer.from('ключ'))).toBe(keySlot('ключ'));
    expect(keySlot(42)).toBe(keySlot('42'));
  });
});

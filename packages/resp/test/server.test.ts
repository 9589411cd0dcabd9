// Round trips against a real Redis 8.2: encode → server → decode, for every type the server
// can send, in RESP3 and RESP2.
import net from 'node:net';
import { type RedisServer, startServer } from '@pyrsedis/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttributedValue,
  encodeCommand,
  encodeCommands,
  ReplyError,
  type ReplyPlan,
  type RespArgument,
  RespDecoder,
  VerbatimString,
} from '../src/index.js';

/** The smallest client that exercises the package: one socket, a FIFO of waiting calls. */
class RawConnection {
  readonly pushes: unknown[][] = [];
  #waiting: { resolve: (v: unknown) => void; plan: ReplyPlan | undefined }[] = [];
  #socket: net.Socket;
  #decoder: RespDecoder;
  onPush: ((push: unknown[]) => void) | undefined;

  private constructor(socket: net.Socket, options: ConstructorParameters<typeof RespDecoder>[0] | object) {
    this.#socket = socket;
    this.#decoder = new RespDecoder({
      ...options,
      onReply: (reply) => this.#waiting.shift()!.resolve(reply),
      onPush: (push) => {
        this.pushes.push(push);
        this.onPush?.(push);
      },
      planReply: () => this.#waiting[0]?.plan,
    });
    socket.on('data', (chunk) => this.#decoder.feed(chunk));
  }

  static async open(port: number, options: object = {}): Promise<RawConnection> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawConnection(socket, options);
  }

  call(args: RespArgument[], plan?: ReplyPlan): Promise<unknown> {
    return new Promise((resolve) => {
      this.#waiting.push({ resolve, plan });
      this.#socket.write(encodeCommand(args));
    });
  }

  pipeline(commands: RespArgument[][]): Promise<unknown[]> {
    const replies = commands.map(
      () => new Promise<unknown>((resolve) => this.#waiting.push({ resolve, plan: undefined })),
    );
    this.#socket.write(encodeCommands(commands));
    return Promise.all(replies);
  }

  close(): void {
    this.#socket.destroy();
  }
}

let server: RedisServer;
beforeAll(async () => {
  server = await startServer({ flavor: 'redis8' });
});
afterAll(async () => {
  await server?.stop();
});

const nullObject = (entries: Record<string, unknown>) => Object.assign(Object.create(null), entries);

describe('RESP3 (HELLO 3) against Redis 8.2', () => {
  let conn: RawConnection;
  beforeAll(async () => {
    conn = await RawConnection.open(server.port, { verbatim: 'object' });
    const hello = (await conn.call(['HELLO', 3])) as Record<string, unknown>;
    expect(hello.proto).toBe(3);
    expect(hello.version).toBe('8.2.3');
    expect(Object.getPrototypeOf(hello)).toBeNull();
  });
  afterAll(() => conn.close());

  it('decodes every type DEBUG PROTOCOL sends', async () => {
    const debug = (type: string) => conn.call(['DEBUG', 'PROTOCOL', type]);
    expect(await debug('string')).toBe('Hello World');
    expect(await debug('integer')).toBe(12345);
    // biome-ignore lint/suspicious/noApproximativeNumericConstant: the server's own constant.
    expect(await debug('double')).toBe(3.141);
    expect(await debug('bignum')).toBe(1234567999999999999999999999999999999n);
    expect(await debug('null')).toBeNull();
    expect(await debug('array')).toEqual([0, 1, 2]);
    expect(await debug('set')).toEqual([0, 1, 2]);
    expect(await debug('map')).toEqual(nullObject({ 0: false, 1: true, 2: false }));
    expect(await debug('true')).toBe(true);
    expect(await debug('false')).toBe(false);
    expect(await debug('verbatim')).toEqual(new VerbatimString('txt', 'This is a verbatim\nstring'));
    expect(await debug('attrib')).toEqual(
      new AttributedValue(
        'Some real reply following the attribute',
        nullObject({ 'key-popularity': ['key:123', 90] }),
      ),
    );
    const before = conn.pushes.length;
    expect(await debug('push')).toBe('Some real reply following the push reply');
    expect(conn.pushes.slice(before)).toEqual([['server-cpu-usage', 42]]);
  });

  it('decodes verbatim strings from INFO and LOLWUT', async () => {
    const info = (await conn.call(['INFO', 'server'])) as VerbatimString;
    expect(info).toBeInstanceOf(VerbatimString);
    expect(info.format).toBe('txt');
    expect(info.toString()).toContain('redis_version:8.2.3');
    const lolwut = (await conn.call(['LOLWUT'])) as VerbatimString;
    expect(lolwut.format).toBe('txt');
    expect(lolwut.toString().length).toBeGreaterThan(20);
  });

  it('keeps integers past 2^53 exact, and null forms', async () => {
    await conn.call(['SET', 'n', '9007199254740993']);
    expect(await conn.call(['INCR', 'n'])).toBe(9007199254740994n);
    await conn.call(['SET', 'n', '9223372036854775806']);
    expect(await conn.call(['INCR', 'n'])).toBe(9223372036854775807n);
    expect(await conn.call(['INCR', 'n'])).toEqual(
      new ReplyError('ERR increment or decrement would overflow'),
    );
    expect(await conn.call(['GET', 'missing'])).toBeNull();
    expect(await conn.call(['HGETALL', 'missing'])).toEqual(nullObject({}));
    expect(await conn.call(['ZSCORE', 'missing', 'm'])).toBeNull();
  });

  it('maps from the server never touch a prototype', async () => {
    await conn.call(['HSET', 'h', '__proto__', 'p', 'constructor', 'c', 'polluted', 'yes']);
    const hash = (await conn.call(['HGETALL', 'h'])) as Record<string, string>;
    expect(Object.getPrototypeOf(hash)).toBeNull();
    expect({ ...hash }).toEqual({ ['__proto__']: 'p', constructor: 'c', polluted: 'yes' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('returns error replies as values inside a pipeline without hiding the others', async () => {
    const replies = await conn.pipeline([
      ['SET', 'str', 'v'],
      ['LPUSH', 'str', 'x'],
      ['GET', 'str'],
      ['NOSUCHCOMMAND'],
      ['ZADD', 'z', 1.5, 'a', -2.25, 'b'],
      ['ZSCORE', 'z', 'b'],
    ]);
    expect(replies[0]).toBe('OK');
    expect(replies[1]).toBeInstanceOf(ReplyError);
    expect((replies[1] as ReplyError).code).toBe('WRONGTYPE');
    expect(replies[2]).toBe('v');
    expect((replies[3] as ReplyError).code).toBe('ERR');
    expect(replies[4]).toBe(2);
    expect(replies[5]).toBe(-2.25);
  });

  it('delivers pub/sub messages and subscription confirmations as pushes', async () => {
    const subscriber = await RawConnection.open(server.port);
    await subscriber.call(['HELLO', 3]);
    const confirmed = new Promise<unknown[]>((resolve) => {
      subscriber.onPush = resolve;
    });
    subscriber.call(['SUBSCRIBE', 'news']); // confirmed by a push, not a reply (RESP3)
    expect(await confirmed).toEqual(['subscribe', 'news', 1]);
    const message = new Promise<unknown[]>((resolve) => {
      subscriber.onPush = resolve;
    });
    expect(await conn.call(['PUBLISH', 'news', 'hello ✓'])).toBe(1);
    expect(await message).toEqual(['message', 'news', 'hello ✓']);
    subscriber.close();
  });

  it('delivers CLIENT TRACKING invalidations as pushes', async () => {
    const tracked = await RawConnection.open(server.port);
    await tracked.call(['HELLO', 3]);
    expect(await tracked.call(['CLIENT', 'TRACKING', 'on'])).toBe('OK');
    await conn.call(['SET', 'cached', '1']);
    expect(await tracked.call(['GET', 'cached'])).toBe('1');
    const invalidated = new Promise<unknown[]>((resolve) => {
      tracked.onPush = resolve;
    });
    await conn.call(['SET', 'cached', '2']);
    expect(await invalidated).toEqual(['invalidate', ['cached']]);
    tracked.close();
  });

  it('switches a reply to Buffers (binary-safe) per call', async () => {
    const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x0d, 0x0a]);
    await conn.call(['SET', 'bin', bytes]);
    const asBuffer = await conn.call(['GET', 'bin'], 'buffer');
    expect(Buffer.isBuffer(asBuffer)).toBe(true);
    expect((asBuffer as Buffer).equals(bytes)).toBe(true);
    const dump = (await conn.call(['DUMP', 'bin'], 'buffer')) as Buffer;
    expect(await conn.call(['RESTORE', 'bin2', 0, dump])).toBe('OK');
    expect(((await conn.call(['GET', 'bin2'], 'buffer')) as Buffer).equals(bytes)).toBe(true);
    expect(typeof (await conn.call(['GET', 'bin']))).toBe('string');
  });

  it('round-trips a 64 MiB bulk string', async () => {
    const big = Buffer.allocUnsafe(64 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
    expect(await conn.call(['SET', 'big', big])).toBe('OK');
    const got = (await conn.call(['GET', 'big'], 'buffer')) as Buffer;
    expect(got.length).toBe(big.length);
    expect(got.equals(big)).toBe(true);
    expect(await conn.call(['DEL', 'big'])).toBe(1);
  });
});

describe('RESP2 (HELLO 2) against Redis 8.2', () => {
  let conn: RawConnection;
  beforeAll(async () => {
    conn = await RawConnection.open(server.port);
    const hello = (await conn.call(['HELLO', 2])) as unknown[];
    expect(hello.slice(0, 6)).toEqual(['server', 'redis', 'version', '8.2.3', 'proto', 2]);
  });
  afterAll(() => conn.close());

  it('decodes the RESP2 forms of every type', async () => {
    const debug = (type: string) => conn.call(['DEBUG', 'PROTOCOL', type]);
    expect(await debug('double')).toBe('3.141');
    expect(await debug('bignum')).toBe('1234567999999999999999999999999999999');
    expect(await debug('map')).toEqual([0, 0, 1, 1, 2, 0]);
    expect(await debug('true')).toBe(1);
    expect(await debug('verbatim')).toBe('This is a verbatim\nstring');
    expect(await debug('attrib')).toBe('Some real reply following the attribute');
    expect(await debug('null')).toBeNull();
  });

  it('decodes the null bulk and the null array', async () => {
    expect(await conn.call(['GET', 'missing'])).toBeNull(); // $-1
    expect(await conn.call(['BLPOP', 'missing-list', '0.01'])).toBeNull(); // *-1
    const info = await conn.call(['INFO', 'server']);
    expect(typeof info).toBe('string');
  });
});

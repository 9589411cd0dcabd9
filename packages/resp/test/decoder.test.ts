import { describe, expect, it } from 'vitest';
import {
  AskError,
  AttributedValue,
  AuthError,
  BusyError,
  CrossSlotError,
  decode,
  ExecAbortError,
  LoadingError,
  MapKeyError,
  MovedError,
  NoScriptError,
  OutOfMemoryError,
  PermissionError,
  ProtocolError,
  PyrsedisError,
  ReaderError,
  ReadOnlyError,
  RedirectError,
  ReplyError,
  type ReplyReader,
  RespDecoder,
  TryAgainError,
  VerbatimString,
  WrongTypeError,
} from '../src/index.js';
import { b, decodeChunks, firstOnly } from './helpers.js';

function protocolError(bytes: string | Buffer, options = {}): ProtocolError {
  try {
    decode(typeof bytes === 'string' ? b(bytes) : bytes, options);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

describe('scalars', () => {
  it('simple strings, in UTF-8', () => {
    expect(decode(b('+OK\r\n'))).toBe('OK');
    expect(decode(b('+\r\n'))).toBe('');
    expect(decode(Buffer.from('+héllo ✓\r\n'))).toBe('héllo ✓');
  });

  it('simple and bulk errors become ReplyError values with their code', () => {
    const err = decode(
      b('-WRONGTYPE Operation against a key holding the wrong kind of value\r\n'),
    ) as ReplyError;
    expect(err).toBeInstanceOf(ReplyError);
    expect(err).toBeInstanceOf(PyrsedisError);
    expect(err.code).toBe('WRONGTYPE');
    expect(err.message).toBe('WRONGTYPE Operation against a key holding the wrong kind of value');
    const moved = decode(b('-MOVED 3999 127.0.0.1:6381\r\n')) as ReplyError;
    expect(moved.code).toBe('MOVED');
    const bulk = decode(b('!21\r\nSYNTAX invalid syntax\r\n')) as ReplyError;
    expect(bulk).toBeInstanceOf(ReplyError);
    expect(bulk.code).toBe('SYNTAX');
    expect((decode(b('-oops lower case\r\n')) as ReplyError).code).toBe('ERR');
  });

  it('error replies become the subclass their code names, in arrays too', () => {
    const cases: [string, new (...args: never[]) => ReplyError][] = [
      ['WRONGTYPE Operation against a key holding the wrong kind of value', WrongTypeError],
      ['NOSCRIPT No matching script. Please use EVAL.', NoScriptError],
      ['BUSY Redis is busy running a script.', BusyError],
      ["READONLY You can't write against a read only replica.", ReadOnlyError],
      ['NOAUTH Authentication required.', AuthError],
      ['WRONGPASS invalid username-password pair or user is disabled.', AuthError],
      ["NOPERM User u has no permissions to run the 'set' command", PermissionError],
      ['LOADING Redis is loading the dataset in memory', LoadingError],
      ["OOM command not allowed when used memory > 'maxmemory'.", OutOfMemoryError],
      ['EXECABORT Transaction discarded because of previous errors.', ExecAbortError],
      ['CLUSTERDOWN The cluster is down', TryAgainError],
      ['TRYAGAIN Multiple keys request during rehashing of slot', TryAgainError],
      ['MASTERDOWN Link with MASTER is down', TryAgainError],
      ['NOREPLICAS Not enough good replicas to write.', TryAgainError],
      ["CROSSSLOT Keys in request don't hash to the same slot", CrossSlotError],
    ];
    for (const [message, Class] of cases) {
      const err = decode(b(`-${message}\r\n`));
      expect(err, message).toBeInstanceOf(Class);
      expect(err).toBeInstanceOf(ReplyError);
      expect((err as ReplyError).name).toBe(Class.name);
      expect((err as ReplyError).message).toBe(message);
    }
    const [plain, moved, ask] = decode(
      b('*3\r\n-ERR unknown\r\n-MOVED 3999 127.0.0.1:6381\r\n!17\r\nASK 12 [::1]:7000\r\n'),
    ) as ReplyError[];
    expect(plain).toBeInstanceOf(ReplyError);
    expect(plain).not.toBeInstanceOf(WrongTypeError);
    expect(moved).toBeInstanceOf(MovedError);
    expect(moved).toBeInstanceOf(RedirectError);
    expect(moved).not.toBeInstanceOf(AskError);
    expect(moved).toMatchObject({ slot: 3999, host: '127.0.0.1', port: 6381, code: 'MOVED' });
    expect(ask).toBeInstanceOf(AskError);
    expect(ask).toMatchObject({ slot: 12, host: '::1', port: 7000 });
    expect(decode(b('-MOVED 5 :6380\r\n'))).toMatchObject({ slot: 5, host: '', port: 6380 });
    expect(decode(b('-MOVED 7 fe80::1:6380\r\n'))).toMatchObject({ host: 'fe80::1', port: 6380 });
  });

  it('integers are exact: numbers within ±2^53, bigints beyond, errors beyond int64', () => {
    expect(decode(b(':0\r\n'))).toBe(0);
    // int64 has no -0 (toBe uses Object.is): in a reply alone and inside an array (the fast path).
    expect(decode(b(':-0\r\n'))).toBe(0);
    expect(decode(b('*1\r\n:-0\r\n'))).toEqual([0]);
    expect(Object.is((decode(b('*1\r\n:-0\r\n')) as number[])[0], 0)).toBe(true);
    expect(decode(b(':-42\r\n'))).toBe(-42);
    expect(decode(b(':+7\r\n'))).toBe(7);
    expect(decode(b(':999999999999999\r\n'))).toBe(999999999999999);
    expect(decode(b(':9007199254740991\r\n'))).toBe(9007199254740991);
    expect(decode(b(':-9007199254740991\r\n'))).toBe(-9007199254740991);
    expect(decode(b(':9007199254740992\r\n'))).toBe(9007199254740992n);
    expect(decode(b(':9223372036854775807\r\n'))).toBe(9223372036854775807n);
    expect(decode(b(':-9223372036854775808\r\n'))).toBe(-9223372036854775808n);
    expect(protocolError(':9223372036854775808\r\n').message).toMatch(/signed 64-bit range/);
    expect(protocolError(':-9223372036854775809\r\n').message).toMatch(/signed 64-bit range/);
    expect(protocolError(':123456789012345678901\r\n').message).toMatch(/signed 64-bit range/);
  });

  it('integers of every length inside arrays, far from and near the end of the bytes', () => {
    // Arrays of integers take a digit loop that reads four bytes per turn when 24 bytes or more
    // follow; the last integers of a reply take the byte-by-byte loop. Both, for 1..19 digits.
    const values: (number | bigint)[] = [];
    for (let digits = 1; digits <= 19; digits++) {
      const text = '9123456789012345678'.slice(0, digits);
      for (const sign of ['', '-']) {
        const big = BigInt(sign + text);
        values.push(big >= -(2n ** 53n) + 1n && big <= 2n ** 53n - 1n ? Number(big) : big);
      }
    }
    const body = values.map((v) => `:${v}\r\n`).join('');
    const whole = b(`*${values.length}\r\n${body}`);
    expect(decode(whole)).toEqual(values);
    // The same integers last in the reply: each one near the end of the bytes.
    for (const v of values) expect(decode(b(`*2\r\n:1\r\n:${v}\r\n`))).toEqual([1, v]);
    // Cut at every point: the same values whichever loop reads each integer.
    for (let cut = 1; cut < whole.length; cut++) {
      expect(decodeChunks([whole.subarray(0, cut), whole.subarray(cut)])).toEqual({
        replies: [values],
        pushes: [],
      });
    }
    // A bad byte at each position of a long integer, with room after it: an error, never a value.
    const padding = ':0\r\n'.repeat(8);
    for (let at = 0; at < 12; at++) {
      const digits = `${'123456789012'.slice(0, at)}x${'123456789012'.slice(at + 1)}`;
      expect(protocolError(`*9\r\n:${digits}\r\n${padding}`).message).toMatch(/invalid character in integer/);
    }
  });

  it('rejects malformed integers instead of misreading them', () => {
    expect(protocolError(':12a4\r\n').message).toMatch(/invalid character in integer/);
    expect(protocolError(':\r\n').message).toMatch(/without digits/);
    expect(protocolError(':-\r\n').message).toMatch(/without digits/);
    expect(protocolError(':1 \r\n').message).toMatch(/invalid character/);
    expect(protocolError(':12345678901234567a\r\n').message).toMatch(/invalid character/);
  });

  it('bulk strings as strings or Buffer views, null forms', () => {
    expect(decode(b('$5\r\nhello\r\n'))).toBe('hello');
    expect(decode(b('$0\r\n\r\n'))).toBe('');
    expect(decode(b('$-1\r\n'))).toBeNull();
    expect(decode(b('*-1\r\n'))).toBeNull();
    expect(decode(b('_\r\n'))).toBeNull();
    const bytes = Buffer.from([0x24, 0x33, 0x0d, 0x0a, 0x00, 0xff, 0x0d, 0x0d, 0x0a]);
    const view = decode(bytes, { strings: 'buffer' }) as Buffer;
    expect(Buffer.isBuffer(view)).toBe(true);
    expect([...view]).toEqual([0x00, 0xff, 0x0d]);
    // Zero-copy: the view shares memory with the input.
    expect(view.buffer).toBe(bytes.buffer);
    expect(view.byteOffset).toBe(bytes.byteOffset + 4);
  });

  it('a bulk string may contain CRLF', () => {
    expect(decode(b('$4\r\n\r\n\r\n\r\n'))).toBe('\r\n\r\n');
  });

  it('booleans, doubles with inf/-inf/nan, big numbers', () => {
    expect(decode(b('#t\r\n'))).toBe(true);
    expect(decode(b('#f\r\n'))).toBe(false);
    expect(decode(b(',1.5\r\n'))).toBe(1.5);
    expect(decode(b(',-0\r\n'))).toBe(-0);
    expect(Object.is(decode(b(',-0\r\n')), -0)).toBe(true);
    expect(decode(b(',1.23e-5\r\n'))).toBe(1.23e-5);
    expect(decode(b(',10\r\n'))).toBe(10);
    expect(decode(b(',0.1\r\n'))).toBe(0.1);
    expect(decode(b(',inf\r\n'))).toBe(Number.POSITIVE_INFINITY);
    expect(decode(b(',-inf\r\n'))).toBe(Number.NEGATIVE_INFINITY);
    expect(decode(b(',nan\r\n'))).toBeNaN();
    expect(decode(b('(3492890328409238509324850943850943825024385\r\n'))).toBe(
      3492890328409238509324850943850943825024385n,
    );
    expect(decode(b('(-12\r\n'))).toBe(-12n);
    expect(protocolError(',1.5x\r\n').message).toMatch(/invalid double/);
    expect(protocolError(',\r\n').message).toMatch(/invalid double/);
    expect(protocolError(',0x10\r\n').message).toMatch(/invalid double/);
    expect(protocolError('(12.5\r\n').message).toMatch(/invalid big number/);
    expect(protocolError('#x\r\n').message).toMatch(/invalid boolean/);
    expect(protocolError('_x\r\n').message).toMatch(/invalid null/);
  });

  it('verbatim strings as strings, or with their format', () => {
    expect(decode(b('=15\r\ntxt:Some string\r\n'))).toBe('Some string');
    const v = decode(b('=15\r\ntxt:Some string\r\n'), { verbatim: 'object' }) as VerbatimString;
    expect(v).toBeInstanceOf(VerbatimString);
    expect(v.format).toBe('txt');
    expect(v.text).toBe('Some string');
    expect(String(v)).toBe('Some string');
    const vb = decode(b('=7\r\nmkd:# x\r\n'), { verbatim: 'object', strings: 'buffer' }) as VerbatimString;
    expect(Buffer.isBuffer(vb.text)).toBe(true);
    expect(vb.toString()).toBe('# x');
    expect(protocolError('=2\r\nab\r\n').message).toMatch(/format prefix/);
  });
});

describe('aggregates', () => {
  it('arrays, nested, with errors in place', () => {
    expect(decode(b('*0\r\n'))).toEqual([]);
    expect(decode(b('*3\r\n:1\r\n*2\r\n+a\r\n$1\r\nb\r\n-ERR x\r\n'))).toEqual([
      1,
      ['a', 'b'],
      new ReplyError('ERR x'),
    ]);
    const [, , err] = decode(b('*3\r\n:1\r\n:2\r\n-ERR boom\r\n')) as unknown[];
    expect(err).toBeInstanceOf(ReplyError);
  });

  it('a map key that is an aggregate or an error: a MapKeyError in object mode (the stream goes on), kept as is in Map mode', () => {
    // Was a TypeError from String(nullPrototypeObject), after which the decoder emitted {} as a reply;
    // then a ProtocolError, fatal to the connection, for a reply that is valid RESP3.
    for (const bytes of [
      '%1\r\n%0\r\n:1\r\n',
      '%1\r\n*2\r\n:1\r\n:2\r\n:1\r\n',
      '%1\r\n*2\r\n:1\r\n:2\r\n$1\r\nv\r\n',
      '%1\r\n|1\r\n+a\r\n:1\r\n+k\r\n$1\r\nv\r\n',
      '%1\r\n-ERR x\r\n:1\r\n',
    ]) {
      const replies = decodeChunks([b(`${bytes}+NEXT\r\n`)]).replies;
      expect(replies[0], bytes).toBeInstanceOf(MapKeyError);
      expect((replies[0] as Error).message).toMatch(/is an aggregate or an error/);
      expect(replies[1]).toBe('NEXT');
      const map = decode(b(bytes), { maps: 'map' }) as Map<unknown, unknown>;
      expect([...map.values()]).toEqual([bytes.endsWith('v\r\n') ? 'v' : 1]);
    }
    // A verbatim string keys by its text.
    expect(decode(b('%1\r\n=7\r\ntxt:abc\r\n:1\r\n'), { verbatim: 'object' })).toEqual(
      Object.assign(Object.create(null), { abc: 1 }),
    );
  });

  it('maps as null-prototype objects that never touch a prototype', () => {
    const map = decode(
      b('%3\r\n+__proto__\r\n:1\r\n+constructor\r\n:2\r\n$8\r\ntoString\r\n:3\r\n'),
    ) as Record<string, number>;
    expect(Object.getPrototypeOf(map)).toBeNull();
    expect(Object.keys(map)).toEqual(['__proto__', 'constructor', 'toString']);
    // biome-ignore lint/suspicious/noProto: reading the own data property is the point.
    expect(map.__proto__).toBe(1);
    expect(map.constructor).toBe(2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const nested = decode(b('%1\r\n+__proto__\r\n%1\r\n+polluted\r\n#t\r\n')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(nested)).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('maps as Map or flat arrays; non-string keys', () => {
    const bytes = b('%2\r\n:1\r\n+one\r\n$3\r\ntwo\r\n:2\r\n');
    expect(decode(bytes, { maps: 'map' })).toEqual(
      new Map<unknown, unknown>([
        [1, 'one'],
        ['two', 2],
      ]),
    );
    expect(decode(bytes, { maps: 'array' })).toEqual([1, 'one', 'two', 2]);
    expect(decode(bytes)).toEqual(Object.assign(Object.create(null), { 1: 'one', two: 2 }));
    expect(decode(b('%1\r\n$1\r\nk\r\n:1\r\n'), { strings: 'buffer' })).toEqual(
      Object.assign(Object.create(null), { k: 1 }),
    );
    expect(decode(b('%0\r\n'), { maps: 'map' })).toEqual(new Map());
    const binary = decode(b('%2\r\n$1\r\nk\r\n$2\r\n\x00\xff\r\n$2\r\nk2\r\n*1\r\n:1\r\n'), {
      strings: 'buffer',
    }) as Record<string, unknown>;
    expect(Object.keys(binary)).toEqual(['k', 'k2']);
    expect(binary.k).toEqual(Buffer.from([0, 255]));
    expect(binary.k2).toEqual([1]);
  });

  it('sets as arrays or Sets', () => {
    expect(decode(b('~2\r\n+a\r\n+b\r\n'))).toEqual(['a', 'b']);
    expect(decode(b('~2\r\n+a\r\n+b\r\n'), { sets: 'set' })).toEqual(new Set(['a', 'b']));
    expect(decode(b('~0\r\n'), { sets: 'set' })).toEqual(new Set());
  });

  it('push messages can come with Buffers while replies stay strings (pushStrings)', () => {
    const replies: unknown[] = [];
    const pushes: unknown[] = [];
    const decoder = new RespDecoder({
      pushStrings: 'buffer',
      onReply: (r) => replies.push(r),
      onPush: (p) => pushes.push(p),
    });
    decoder.feed(b('$2\r\nhi\r\n>3\r\n$7\r\nmessage\r\n$2\r\nc\xff\r\n$1\r\nx\r\n$2\r\nok\r\n'));
    expect(replies).toEqual(['hi', 'ok']);
    expect(pushes).toEqual([[Buffer.from('message'), Buffer.from('c\xff', 'latin1'), Buffer.from('x')]]);
    expect(() => new RespDecoder({ onReply() {}, pushStrings: 'utf8' as never })).toThrow(
      "option pushStrings must be one of 'string', 'buffer', got utf8",
    );
  });

  it('push messages go to onPush, not onReply', () => {
    const { replies, pushes } = decodeChunks([
      b('>3\r\n+message\r\n+ch\r\n+hi\r\n+OK\r\n>2\r\n+invalidate\r\n*-1\r\n'),
    ]);
    expect(replies).toEqual(['OK']);
    expect(pushes).toEqual([
      ['message', 'ch', 'hi'],
      ['invalidate', null],
    ]);
  });

  it('attributes are attached to the value they precede, at any depth', () => {
    const top = decode(
      b('|1\r\n+key-popularity\r\n*2\r\n$1\r\na\r\n,0.19\r\n*2\r\n:1\r\n:2\r\n'),
    ) as AttributedValue;
    expect(top).toBeInstanceOf(AttributedValue);
    expect(top.value).toEqual([1, 2]);
    expect(top.attributes).toEqual(Object.assign(Object.create(null), { 'key-popularity': ['a', 0.19] }));
    const nested = decode(b('*3\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n$1\r\nx\r\n:3\r\n')) as unknown[];
    expect(nested).toHaveLength(3);
    expect(nested[0]).toBe(1);
    expect(nested[1]).toEqual(new AttributedValue('x', Object.assign(Object.create(null), { ttl: 3600 })));
    expect(nested[2]).toBe(3);
    // An empty attribute still precedes its value.
    expect(decode(b('|0\r\n:5\r\n'))).toEqual(new AttributedValue(5, Object.create(null)));
    // Two attributes before one value: both kept (the first was dropped).
    const both = Object.assign(Object.create(null), { a: 1, b: 2 });
    expect(decode(b('|1\r\n+a\r\n:1\r\n|1\r\n+b\r\n:2\r\n:3\r\n'))).toEqual(new AttributedValue(3, both));
    expect(decode(b('*1\r\n|1\r\n+a\r\n:1\r\n|1\r\n+b\r\n:2\r\n:3\r\n'))).toEqual([
      new AttributedValue(3, both),
    ]);
  });

  it('decode(): an attribute with no value after it is trailing bytes; a push is returned', () => {
    expect(protocolError(':1\r\n|1\r\n+a\r\n:1\r\n').message).toMatch(/trailing bytes/);
    expect(protocolError(':1\r\n|0\r\n').message).toMatch(/trailing bytes/);
    expect(decode(b('>2\r\n+message\r\n+x\r\n'))).toEqual(['message', 'x']);
  });
});

describe('per-reply plans and readers', () => {
  it('switches between strings and Buffers per reply', () => {
    const plans = ['buffer', undefined, 'buffer'] as const;
    let i = 0;
    const { replies } = decodeChunks(
      [b('$2\r\nab\r\n$2\r\ncd\r\n>2\r\n+x\r\n$1\r\ny\r\n*1\r\n$2\r\nef\r\n')],
      {
        planReply: () => plans[i++],
      },
    );
    expect(Buffer.isBuffer(replies[0])).toBe(true);
    expect(replies[1]).toBe('cd');
    expect(replies[2]).toEqual([Buffer.from('ef')]);
    expect(i).toBe(3); // pushes do not consume a plan
  });

  it('a ReplyReader builds its own values in the same pass', () => {
    const events: string[] = [];
    const reader: ReplyReader = {
      begin(kind, length, parent) {
        events.push(
          `begin ${kind} ${length} in ${parent === undefined ? 'top' : (parent as { name: string }).name}`,
        );
        return { name: `${kind}${length}`, items: [] as unknown[] };
      },
      add(state, value) {
        (state as { items: unknown[] }).items.push(value);
      },
      end(state) {
        const { name, items } = state as { name: string; items: unknown[] };
        return `${name}(${items.join(',')})`;
      },
    };
    let n = 0;
    const { replies } = decodeChunks([b('*2\r\n:1\r\n%1\r\n+k\r\n*0\r\n:7\r\n')], {
      planReply: () => (n++ === 0 ? reader : undefined),
    });
    expect(replies).toEqual(['array2(1,map1(k,array0()))', 7]);
    expect(events).toEqual(['begin array 2 in top', 'begin map 1 in array2', 'begin array 0 in map1']);
  });
});

describe('limits and malformed input', () => {
  it('rejects bad type bytes, bad lengths, missing CRLF', () => {
    expect(protocolError('?x\r\n').message).toMatch(/invalid RESP type byte 0x3f \(at byte 0\)/);
    expect(protocolError('$5\r\nhelloXX').message).toMatch(/not followed by CRLF/);
    expect(protocolError('*-5\r\n').message).toMatch(/negative aggregate length/);
    expect(protocolError('$-5\r\n').message).toMatch(/negative bulk length/);
    expect(protocolError('%-1\r\n').message).toMatch(/negative length/);
    expect(protocolError('$1x\r\n').message).toMatch(/invalid character in bulk length/);
    expect(protocolError('$\r\n').message).toMatch(/empty bulk length/);
    expect(protocolError('+OK\rX').message).toMatch(/expected LF after CR/);
    expect(protocolError('*1\r\n:1\r\n:2\r\n').message).toMatch(/trailing bytes/);
    expect(protocolError('*2\r\n:1\r\n').message).toMatch(/incomplete reply/);
  });

  it('enforces every limit with a ProtocolError naming it', () => {
    expect(protocolError('*3\r\n*1\r\n*1\r\n:1\r\n', { limits: { maxDepth: 2 } }).message).toMatch(
      /maxDepth \(2\)/,
    );
    // Empty aggregates nest as deep as any (they passed): the array path, and the generic one.
    for (const bytes of ['*1\r\n*1\r\n*0\r\n', '*1\r\n*1\r\n%0\r\n', '*1\r\n*0\r\n']) {
      const depth = bytes === '*1\r\n*0\r\n' ? 1 : 2;
      const error = protocolError(bytes, { limits: { maxDepth: depth } });
      expect(error.message, bytes).toMatch(new RegExp(`maxDepth \\(${depth}\\)`));
      expect(error.offset, bytes).toBe(
        bytes.lastIndexOf('*0') >= 0 ? bytes.lastIndexOf('*0') : bytes.lastIndexOf('%0'),
      );
    }
    expect(decode(b('*1\r\n*0\r\n'), { limits: { maxDepth: 2 } })).toEqual([[]]);
    expect(protocolError('*4\r\n', { limits: { maxAggregateLength: 3 } }).message).toMatch(
      /maxAggregateLength \(3\)/,
    );
    expect(protocolError('%4\r\n', { limits: { maxAggregateLength: 3 } }).message).toMatch(
      /maxAggregateLength/,
    );
    expect(protocolError('$11\r\n', { limits: { maxBulkLength: 10 } }).message).toMatch(
      /maxBulkLength \(10\)/,
    );
    expect(protocolError('(123456\r\n', { limits: { maxBigNumberDigits: 5 } }).message).toMatch(
      /maxBigNumberDigits/,
    );
    expect(decode(b('(12345\r\n'), { limits: { maxBigNumberDigits: 5 } })).toBe(12345n);
    expect(decode(b('(-12345\r\n'), { limits: { maxBigNumberDigits: 5 } })).toBe(-12345n);
    // Default limits: 16M elements, 512 MiB bulk.
    expect(protocolError('*16777217\r\n').message).toMatch(/maxAggregateLength \(16777216\)/);
    expect(protocolError('$536870913\r\n').message).toMatch(/maxBulkLength \(536870912\)/);
  });

  it('bounds the bytes buffered for one incomplete reply', () => {
    const replies: unknown[] = [];
    const decoder = new RespDecoder({ onReply: (r) => replies.push(r), limits: { maxBufferedBytes: 100 } });
    decoder.feed(b('*1000\r\n'));
    for (let i = 0; i < 10; i++) decoder.feed(b(':1\r\n'));
    expect(() => {
      for (let i = 0; i < 100; i++) decoder.feed(b(':1\r\n'));
    }).toThrow(/maxBufferedBytes \(100\)/);
    // An unterminated simple string cannot grow without bound either.
    const lines = new RespDecoder({ onReply: () => {}, limits: { maxBufferedBytes: 1000 } });
    lines.feed(b('+'));
    expect(() => {
      for (let i = 0; i < 20; i++) lines.feed(Buffer.alloc(100, 0x61));
    }).toThrow(/maxBufferedBytes/);
    // A huge announced bulk is refused up front, not after buffering it.
    const bulk = new RespDecoder({ onReply: () => {}, limits: { maxBufferedBytes: 1 << 20 } });
    expect(() => bulk.feed(Buffer.concat([b('$10000000\r\n'), Buffer.alloc(40000)]))).toThrow(
      /maxBufferedBytes/,
    );
  });

  it('is unusable after a ProtocolError: every later feed throws the same error', () => {
    const replies: unknown[] = [];
    const decoder = new RespDecoder({ onReply: (r) => replies.push(r) });
    decoder.feed(b('+OK\r\n'));
    let first: unknown;
    try {
      decoder.feed(b(':1x\r\n+after\r\n'));
    } catch (err) {
      first = err;
    }
    expect(first).toBeInstanceOf(ProtocolError);
    expect((first as ProtocolError).offset).toBe(7);
    expect(() => decoder.feed(b('+OK\r\n'))).toThrow(first as Error);
    expect(replies).toEqual(['OK']);
    decoder.reset();
    decoder.feed(b('+again\r\n'));
    expect(replies).toEqual(['OK', 'again']);
  });

  it('reports stream offsets across chunks', () => {
    const decoder = new RespDecoder({ onReply: () => {} });
    decoder.feed(b('+OK\r\n*2\r\n'));
    decoder.feed(b(':1\r\n'));
    expect(() => decoder.feed(b('?'))).toThrow(/at byte 13/);
  });

  it('validates options with exact messages', () => {
    expect(() => new RespDecoder({} as never)).toThrow('RespDecoder needs an onReply function');
    expect(() => new RespDecoder({ onReply() {}, strings: 'utf8' as never })).toThrow(
      "option strings must be one of 'string', 'buffer', got utf8",
    );
    expect(() => new RespDecoder({ onReply() {}, limits: { maxDepth: 0 } })).toThrow(
      'decoder limit maxDepth must be a positive integer, got 0',
    );
    expect(() => new RespDecoder({ onReply() {}, limits: { depth: 3 } as never })).toThrow(
      'unknown decoder limit "depth"',
    );
  });

  it('refuses to be fed from inside its own callback', () => {
    const decoder: RespDecoder = new RespDecoder({ onReply: () => decoder.feed(b('+x\r\n')) });
    expect(() => decoder.feed(b('+OK\r\n'))).toThrow(/inside one of its own callbacks/);
  });

  it('refuses reset() from inside its own callback (the bytes being decoded would leak into the fresh state)', () => {
    const got: unknown[] = [];
    const decoder: RespDecoder = new RespDecoder({
      onReply: (reply) => {
        got.push(reply);
        if (reply === 1) decoder.reset();
      },
    });
    expect(() => decoder.feed(b(':1\r\n*2\r\n:5\r\n'))).toThrow(/reset\(\) called from inside/);
    decoder.reset();
    decoder.feed(b('+OK\r\n'));
    expect(got).toEqual([1, 'OK']);
  });

  it("a reader that throws: a ReaderError takes its reply's place, the replies after it decode as usual", () => {
    const throwing = (where: 'add' | 'end' | 'begin' | 'empty'): ReplyReader => ({
      begin: (_kind, length) => {
        if ((where === 'begin' && length === 2) || (where === 'empty' && length === 0))
          throw new Error('reader bug');
        return [];
      },
      add: (state, value) => {
        if (where === 'add' && value === 4) throw new Error('reader bug');
        (state as unknown[]).push(value);
      },
      end: (state) => {
        if (where === 'end') throw new Error('reader bug');
        return state;
      },
    });
    // The failing reply has nested arrays, an empty one, a map with an aggregate key (no object
    // key for it: the rest must not be decoded into an object) and a set, then two more replies.
    const stream = b(
      '*4\r\n*2\r\n:1\r\n:2\r\n*2\r\n:3\r\n:4\r\n*0\r\n%1\r\n*1\r\n:5\r\n~1\r\n$1\r\nx\r\n:99\r\n+after\r\n',
    );
    for (const where of ['add', 'end', 'begin', 'empty'] as const) {
      for (let cut = 0; cut < stream.length; cut++) {
        const replies: unknown[] = [];
        const decoder = new RespDecoder({
          onReply: (r) => replies.push(r),
          planReply: firstOnly(() => throwing(where)),
        });
        if (cut > 0) decoder.feed(stream.subarray(0, cut));
        decoder.feed(stream.subarray(cut));
        expect(replies, `${where}, cut at ${cut}`).toHaveLength(3);
        const [failed, ninetyNine, after] = replies;
        expect(failed).toBeInstanceOf(ReaderError);
        expect((failed as ReaderError).code).toBe('ERR_READER');
        expect((failed as Error).message).toMatch(/the reply reader threw: reader bug/);
        expect(((failed as Error).cause as Error).message).toBe('reader bug');
        expect([ninetyNine, after]).toEqual([99, 'after']);
        decoder.feed(b(':1\r\n'));
        expect(replies[3]).toBe(1);
      }
    }
  });

  it("Buffer mode: a map key that is not UTF-8 is never merged into another — a MapKeyError in its reply's place", () => {
    const bulk = (bytes: number[]) =>
      Buffer.concat([b(`$${bytes.length}\r\n`), Buffer.from(bytes), b('\r\n')]);
    // Two keys that both decode to U+FFFD: an object would keep one of them.
    const map = Buffer.concat([b('%2\r\n'), bulk([0xff]), b(':1\r\n'), bulk([0xfe]), b(':2\r\n')]);
    // The same in an array, and a key the generic path makes (after an aggregate value).
    const nested = Buffer.concat([b('*2\r\n%2\r\n$1\r\na\r\n*1\r\n:0\r\n'), bulk([0xc3]), b(':1\r\n+x\r\n')]);
    const stream = Buffer.concat([map, nested, b('+after\r\n')]);
    for (let cut = 0; cut < stream.length; cut++) {
      const replies: unknown[] = [];
      const decoder = new RespDecoder({ strings: 'buffer', onReply: (r) => replies.push(r) });
      if (cut > 0) decoder.feed(stream.subarray(0, cut));
      decoder.feed(stream.subarray(cut));
      expect(replies, `cut at ${cut}`).toHaveLength(3);
      expect(replies[0]).toBeInstanceOf(MapKeyError);
      expect((replies[0] as MapKeyError).key).toEqual(Buffer.from([0xff]));
      expect((replies[0] as MapKeyError).code).toBe('ERR_MAP_KEY');
      expect((replies[0] as Error).message).toMatch(
        /a key of the map at byte 0 is not UTF-8 text \(1 bytes\)/,
      );
      expect(replies[1]).toBeInstanceOf(MapKeyError);
      expect((replies[1] as MapKeyError).key).toEqual(Buffer.from([0xc3]));
      expect(replies[2]).toBe('after');
    }
    // Keys that are UTF-8 — U+FFFD itself included — key objects as before; Maps keep Buffers;
    // string mode decodes as it always did (text is what it asked for).
    const fffd = Buffer.concat([b('%1\r\n'), bulk([0xef, 0xbf, 0xbd]), b(':1\r\n')]);
    expect(decode(fffd, { strings: 'buffer' })).toEqual(Object.assign(Object.create(null), { '\ufffd': 1 }));
    expect(decode(map, { strings: 'buffer', maps: 'map' })).toEqual(
      new Map([
        [Buffer.from([0xff]), 1],
        [Buffer.from([0xfe]), 2],
      ]),
    );
    expect(decode(map, { strings: 'string' })).toEqual(Object.assign(Object.create(null), { '\ufffd': 2 }));
  });

  it('many attributes before one value merge in linear time (a copy per attribute took 15 s for 8,000)', () => {
    const count = 8_000;
    const parts: string[] = [];
    for (let i = 0; i < count; i++) parts.push(`|1\r\n+k${i}\r\n:${i}\r\n`);
    const bytes = b(`${parts.join('')}+value\r\n`);
    const started = performance.now();
    const value = decode(bytes) as AttributedValue;
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(value.value).toBe('value');
    const attributes = value.attributes as Record<string, number>;
    expect(Object.keys(attributes)).toHaveLength(count);
    expect(attributes.k7999).toBe(7999);
    // Two attributes in a row, then a third for another value: each value gets its own.
    const [first, second] = decodeChunks([
      b('*2\r\n|1\r\n+a\r\n:1\r\n|1\r\n+b\r\n:2\r\n:10\r\n|1\r\n+c\r\n:3\r\n:20\r\n'),
    ]).replies[0] as AttributedValue[];
    expect({ ...(first!.attributes as object) }).toEqual({ a: 1, b: 2 });
    expect({ ...(second!.attributes as object) }).toEqual({ c: 3 });
  });

  it('a token cut at the end of a chunk is copied out: the chunk may be reused for the next read', () => {
    for (const size of [64 * 1024, 16 * 1024, 64]) {
      const storage = Buffer.alloc(size); // one read buffer, reused for every read
      const got: unknown[] = [];
      const decoder = new RespDecoder({ onReply: (r) => got.push(r) });
      const first = b('+first\r\n$5\r\nhel');
      const padded = Buffer.concat([b(`+${'p'.repeat(size - first.length - 3)}\r\n`), first]);
      padded.copy(storage);
      decoder.feed(storage.subarray(0, padded.length));
      storage.fill(0x58); // the owner reads again into the same memory
      b('lo\r\n').copy(storage);
      decoder.feed(storage.subarray(0, 4));
      expect(got.slice(1), `chunk of ${size}`).toEqual(['first', 'hello']); // was a ProtocolError (0x58)
    }
  });

  it('an integer line longer than any int64 gets the same error and offset wherever it is cut', () => {
    for (const text of [
      `:${'1'.repeat(21)}x\r\n`,
      `*1\r\n:${'1'.repeat(25)}\r\n`,
      `:-${'9'.repeat(22)}\r\n`,
    ]) {
      const bytes = b(text);
      const whole = protocolError(bytes);
      for (let cut = 1; cut < bytes.length; cut++) {
        const decoder = new RespDecoder({ onReply: () => {} });
        let error: ProtocolError | undefined;
        try {
          decoder.feed(bytes.subarray(0, cut));
          decoder.feed(bytes.subarray(cut));
        } catch (err) {
          error = err as ProtocolError;
        }
        expect([error?.message, error?.offset], `${JSON.stringify(text)} cut at ${cut}`).toEqual([
          whole.message,
          whole.offset,
        ]);
      }
    }
  });

  it('pendingBytes counts a line gathered across chunks; reset() in a push leaves no push state', () => {
    const decoder = new RespDecoder({ onReply: () => {} });
    decoder.feed(b('+'));
    for (let i = 0; i < 30; i++) decoder.feed(b('x'.repeat(100)));
    expect(decoder.pendingBytes).toBe(3001); // was 100 or 1
    const got: unknown[] = [];
    const buffers = new RespDecoder({ strings: 'buffer', onReply: (r) => got.push(r), onPush: () => {} });
    buffers.feed(b('>2\r\n+message\r\n'));
    buffers.reset();
    const bulk = (byte: number) => Buffer.concat([b('$1\r\n'), Buffer.from([byte]), b('\r\n')]);
    buffers.feed(Buffer.concat([b('%2\r\n'), bulk(0xff), b(':1\r\n'), bulk(0xfe), b(':2\r\n')]));
    expect(got[0]).toBeInstanceOf(MapKeyError); // was merged into one key: the push flag stayed
  });

  it('odd user code: throws with no string form, a throwing strings getter, frozen attributes, a parser breaking its contract', () => {
    const decodeAll = (plan: () => unknown, ...chunks: string[]) => {
      const replies: unknown[] = [];
      const decoder = new RespDecoder({
        onReply: (r) => replies.push(r),
        planReply: firstOnly(() => plan() as ReplyReader),
      });
      const errors: unknown[] = [];
      for (const chunk of chunks) {
        try {
          decoder.feed(b(chunk));
        } catch (err) {
          errors.push(err);
        }
      }
      return { replies, errors };
    };
    // A reader that throws a value with no string form (a null-prototype object).
    const noText = decodeAll(
      () => ({
        begin: () => [],
        add: () => {
          throw Object.create(null);
        },
        end: (state: unknown) => state,
      }),
      '*2\r\n:1\r\n:2\r\n:99\r\n',
    );
    expect(noText.errors).toEqual([]);
    expect(noText.replies[0]).toBeInstanceOf(ReaderError);
    expect(noText.replies[1]).toBe(99);
    // A reader whose `strings` getter throws: its reply is a ReaderError, never a value it did not build.
    const getter = decodeAll(
      () => ({
        get strings(): never {
          throw new Error('strings getter');
        },
        begin: () => [],
        add: (state: unknown[], value: unknown) => state.push(value),
        end: (state: unknown) => state,
      }),
      '*2\r\n:1\r\n:2\r\n:99\r\n',
    );
    expect(getter.errors).toEqual([]);
    expect((getter.replies[0] as Error).message).toMatch(/strings getter/);
    expect(getter.replies[1]).toBe(99);
    // Two attributes before one element, a reader returning frozen attribute objects: merged into
    // a new object, the reader's never written to.
    const frozen = decodeAll(
      () => ({
        begin: (kind: string) => ({ kind, items: [] as unknown[] }),
        add: (state: { items: unknown[] }, value: unknown) => state.items.push(value),
        end: (state: { kind: string; items: unknown[] }) => {
          if (state.kind !== 'attribute') return state.items;
          const o = Object.create(null) as Record<string, unknown>;
          for (let i = 0; i < state.items.length; i += 2) o[String(state.items[i])] = state.items[i + 1];
          return Object.freeze(o);
        },
      }),
      '*1\r\n|1\r\n+a\r\n:1\r\n|1\r\n+b\r\n:2\r\n:3\r\n',
    );
    expect(frozen.errors).toEqual([]);
    const element = (frozen.replies[0] as unknown[])[0] as AttributedValue;
    expect(element.value).toBe(3);
    expect({ ...(element.attributes as object) }).toEqual({ a: 1, b: 2 });
    // Parsers: a throw with no string form, a throwing `done` getter, a position past the bytes
    // given or not a number — a ProtocolError each, never a lost reply or a stuck decoder.
    const parsers = [
      {
        need: 0,
        done: false,
        result: undefined,
        parse: () => {
          throw Object.create(null);
        },
      },
      {
        need: 0,
        get done(): boolean {
          throw new Error('done getter');
        },
        result: 1,
        parse: (_b: Buffer, p: number) => p + 1,
      },
      { need: 0, done: true, result: 1, parse: (_b: Buffer, _p: number, end: number) => end + 5 },
      { need: 0, done: true, result: 1, parse: () => Number.NaN },
    ];
    for (const parser of parsers) {
      const run = decodeAll(() => parser, ':1\r\n:2\r\n', ':7\r\n');
      expect(run.replies).toEqual([]);
      expect(run.errors).toHaveLength(2);
      for (const err of run.errors) expect(err).toBeInstanceOf(ProtocolError);
    }
  });

  it('a parser that throws fails the decoder with a ProtocolError (where its reply ends is unknown)', () => {
    const broken = {
      need: 0,
      done: false,
      result: undefined,
      parse: () => {
        throw new Error('parser bug');
      },
    };
    const decoder = new RespDecoder({ onReply: () => {}, planReply: () => broken });
    expect(() => decoder.feed(b(':1\r\n'))).toThrow(/the reply parser threw: parser bug/);
    expect(() => decoder.feed(b(':1\r\n'))).toThrow(ProtocolError);
    // A parser that finishes without consuming a byte would be handed the same bytes forever.
    const lazy = { need: 0, done: true, result: 1, parse: (_b: Buffer, pos: number) => pos };
    const stuck = new RespDecoder({ onReply: () => {}, planReply: () => lazy });
    expect(() => stuck.feed(b(':1\r\n'))).toThrow(/finished without consuming a byte/);
  });

  it('a planReply that throws is asked again for the same reply on the next feed', () => {
    let calls = 0;
    const replies: unknown[] = [];
    const decoder = new RespDecoder({
      onReply: (r) => replies.push(r),
      planReply: () => {
        if (++calls === 1) throw new Error('not yet');
        return 'buffer';
      },
    });
    expect(() => decoder.feed(b('$2\r\nhi\r\n'))).toThrow('not yet');
    decoder.feed(b(''));
    decoder.feed(b(':1\r\n'));
    expect(replies).toEqual([Buffer.from('hi'), 1]);
  });

  it('headers alone never allocate more than their bytes justify', () => {
    const before = process.memoryUsage().heapUsed;
    // 400 nested headers announcing 1M elements each (4 KB): ~3 GB of preallocated arrays before.
    const nested = new RespDecoder({ onReply: () => {} });
    nested.feed(b('*1048576\r\n'.repeat(400)));
    // 16M-entry flat maps: 256 MB each before (no cap at all).
    const flat = new RespDecoder({ onReply: () => {}, maps: 'array' });
    flat.feed(b('%16777216\r\n'.repeat(8)));
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
    expect(nested.inReply && flat.inReply).toBe(true);
  });

  it('numbers have a most length: an overlong integer or double line fails as soon as it is too long', () => {
    const decoder = new RespDecoder({ onReply: () => {} });
    decoder.feed(b(':12345678901234567890'));
    expect(() => decoder.feed(b('1'.repeat(65536)))).toThrow(
      /integer out of the signed 64-bit range \(at byte 1\)/,
    );
    expect(protocolError(`:${'1'.repeat(30)}\r\n`).message).toBe(
      'integer out of the signed 64-bit range (at byte 1)',
    );
    expect(protocolError(`,1.${'0'.repeat(2000)}\r\n`).message).toBe(
      'double line longer than 1024 bytes (at byte 0)',
    );
    const doubles = new RespDecoder({ onReply: () => {} });
    doubles.feed(b(`,1.${'0'.repeat(500)}`));
    expect(() => doubles.feed(b('0'.repeat(600)))).toThrow('double line longer than 1024 bytes (at byte 0)');
  });

  it('reports the same offset for a malformed byte whole and cut', () => {
    const cases = [`(${'1'.repeat(10_001)}\r\n`, `$40000\r\n${'x'.repeat(40_000)}\rX`, `$5\r\nhello\r\r`];
    for (const text of cases) {
      const whole = protocolError(text).message;
      for (const at of [1, 3, 7, 100, text.length - 2, text.length - 1]) {
        const decoder = new RespDecoder({ onReply: () => {} });
        let message = '';
        try {
          decoder.feed(b(text.slice(0, at)));
          decoder.feed(b(text.slice(at)));
        } catch (err) {
          message = (err as Error).message;
        }
        expect(message, `${text.slice(0, 12)}... cut at ${at}`).toBe(whole);
      }
    }
  });

  it('limits beyond what a Buffer or an array can hold are refused up front', () => {
    expect(() => new RespDecoder({ onReply() {}, limits: { maxBulkLength: 1e13 } })).toThrow(
      /decoder limit maxBulkLength can be at most/,
    );
    expect(() => new RespDecoder({ onReply() {}, limits: { maxAggregateLength: 2 ** 40 } })).toThrow(
      'decoder limit maxAggregateLength can be at most 2147483647, got 1099511627776',
    );
  });
});

describe('ProtocolError and ReplyError are branded', () => {
  it('instanceof follows the brand chain', () => {
    const err = new ProtocolError('x', 3);
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toBeInstanceOf(PyrsedisError);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ReplyError);
    expect(err.name).toBe('ProtocolError');
    expect(err.code).toBe('ERR_PROTOCOL');
    expect({ code: 'ERR_PROTOCOL' }).not.toBeInstanceOf(ProtocolError);
  });
});

describe('ReplyParser plans', () => {
  /** A parser of `$N\r\n<N bytes>\r\n` that reports its need, and counts the bytes it was shown. */
  class BulkLength {
    done = false;
    result: unknown = undefined;
    need = 0;
    shown = 0;
    calls = 0;
    parse(buf: Buffer, pos: number, end: number): number {
      this.calls++;
      this.shown += end - pos;
      const cr = buf.indexOf(13, pos);
      if (cr < 0 || cr + 1 >= end) return pos;
      const len = Number(buf.toString('latin1', pos + 1, cr));
      const stop = cr + 2 + len + 2;
      if (stop > end) {
        this.need = stop - pos;
        return pos;
      }
      this.done = true;
      this.result = { length: len, last: buf[stop - 3] };
      return stop;
    }
  }

  it('hands one reply to its parser across chunks, then decodes the next reply as usual', () => {
    const parser = new BulkLength();
    const replies: unknown[] = [];
    const decoder = new RespDecoder({
      onReply: (r) => replies.push(r),
      planReply: firstOnly(() => parser),
    });
    const payload = Buffer.alloc(5_000_000, 0x61);
    payload[payload.length - 1] = 0x7a;
    const stream = Buffer.concat([b(`$${payload.length}\r\n`), payload, b('\r\n+after\r\n')]);
    for (let at = 0; at < stream.length; at += 65_536) decoder.feed(stream.subarray(at, at + 65_536));
    expect(replies).toEqual([{ length: 5_000_000, last: 0x7a }, 'after']);
    // Chunks are gathered until the parser's need is met: linear, not a growing tail per chunk.
    expect(parser.shown).toBeLessThan(stream.length * 2);
    expect(parser.calls).toBeLessThan(5);
  });

  it('pendingBytes counts the chunks held back for a parser', () => {
    const decoder = new RespDecoder({ onReply: () => {}, planReply: () => new BulkLength() });
    const payload = Buffer.alloc(1_000_000, 0x61);
    const stream = Buffer.concat([b(`$${payload.length}\r\n`), payload, b('\r\n')]);
    let fed = 0;
    for (let at = 0; at + 65_536 < stream.length; at += 65_536) {
      decoder.feed(stream.subarray(at, at + 65_536));
      fed += 65_536;
      expect(decoder.pendingBytes).toBe(fed); // the reply is not complete: every byte is pending
    }
    decoder.feed(stream.subarray(fed));
    expect(decoder.pendingBytes).toBe(0);
  });

  it('re-presents a cut token with the next chunk behind it, at every split point', () => {
    const stream = b('$5\r\nhello\r\n:7\r\n');
    for (let at = 1; at < stream.length; at++) {
      const replies: unknown[] = [];
      const plans: (BulkLength | undefined)[] = [new BulkLength()];
      const decoder = new RespDecoder({ onReply: (r) => replies.push(r), planReply: () => plans.shift() });
      decoder.feed(stream.subarray(0, at));
      decoder.feed(stream.subarray(at));
      expect(replies, `split at ${at}`).toEqual([{ length: 5, last: 0x6f }, 7]);
    }
  });
});

import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, encodeCommand, encodeCommands, isRespArgument, RespDecoder } from '../src/index.js';

describe('encodeCommand', () => {
  it('encodes strings, Buffers, Uint8Arrays, numbers and bigints', () => {
    const out = encodeCommand([
      'SET',
      'clé',
      Buffer.from([0, 255]),
      new Uint8Array([13, 10]),
      42,
      -1.5,
      2n ** 64n,
      '',
    ]);
    expect(out.toString('latin1')).toBe(
      '*8\r\n$3\r\nSET\r\n$4\r\ncl\xc3\xa9\r\n$2\r\n\x00\xff\r\n$2\r\n\r\n\r\n$2\r\n42\r\n$4\r\n-1.5\r\n' +
        '$20\r\n18446744073709551616\r\n$0\r\n\r\n',
    );
  });

  it('counts UTF-8 bytes exactly, short and long, including astral characters', () => {
    for (const text of [
      'ascii',
      'é',
      '✓✓',
      '😀',
      'a😀b',
      'x'.repeat(100),
      `${'é'.repeat(70)}😀`,
      '\u0000\u007f\u0080',
    ]) {
      const out = encodeCommand(['ECHO', text]);
      expect(decode(out)).toEqual(['ECHO', text]);
      expect(out.toString('utf8')).toContain(`$${Buffer.byteLength(text)}\r\n${text}\r\n`);
    }
  });

  it('writes numbers the way Redis reads them', () => {
    const args = (decode(encodeCommand(['X', 0, -0, 1e21, 0.1, 2 ** 53, -7])) as string[]).slice(1);
    expect(args).toEqual(['0', '0', '1e+21', '0.1', '9007199254740992', '-7']);
  });

  it('rejects invalid arguments with a TypeError naming the position, before writing', () => {
    expect(() => encodeCommand(['SET', 'k', undefined as never])).toThrow(
      new TypeError(
        'cannot encode argument 2 (zero-based): it is undefined; arguments must be strings, Buffers, Uint8Arrays, finite numbers or bigints',
      ),
    );
    expect(() => encodeCommand(['SET', null as never])).toThrow(/argument 1 \(zero-based\): it is null/);
    expect(() => encodeCommand(['SET', { a: 1 } as never])).toThrow(
      /argument 1 \(zero-based\): it is an object \(Object\)/,
    );
    expect(() => encodeCommand(['SET', Number.NaN])).toThrow(/it is NaN/);
    expect(() => encodeCommand(['SET', Number.POSITIVE_INFINITY])).toThrow(/it is Infinity/);
    expect(() => encodeCommand(['SET', true as never])).toThrow(/it is a boolean/);
    expect(() => encodeCommand(['SET', Symbol('x') as never])).toThrow(/it is a symbol/);
    expect(() => encodeCommand([])).toThrow('cannot encode an empty command');
  });
});

describe('isRespArgument', () => {
  it('accepts exactly what the encoder accepts', () => {
    const values: unknown[] = [
      'a',
      '',
      'é',
      0,
      -1.5,
      2 ** 60,
      10n,
      Buffer.from('x'),
      new Uint8Array(2),
      Number.NaN,
      Number.POSITIVE_INFINITY,
      undefined,
      null,
      true,
      {},
      [],
      Symbol('s'),
      () => 1,
      new Uint16Array(1),
      new Date(0),
    ];
    for (const value of values) {
      let encodes = true;
      try {
        encodeCommand(['SET', value as never]);
      } catch {
        encodes = false;
      }
      expect(isRespArgument(value), String(typeof value)).toBe(encodes);
    }
  });
});

describe('encodeCommands', () => {
  it('encodes a pipeline into one buffer identical to the concatenated commands', () => {
    const commands = Array.from({ length: 2000 }, (_, i) => [
      'SET',
      `key:${i}`,
      i % 3 ? `v${i}` : Buffer.from([i & 0xff]),
    ]);
    const one = encodeCommands(commands);
    expect(one.equals(Buffer.concat(commands.map((c) => encodeCommand(c))))).toBe(true);
  });

  it('names the command and the argument of an invalid one, and writes nothing', () => {
    expect(() => encodeCommands([['PING'], ['SET', 'k', undefined as never]])).toThrow(
      /cannot encode command 1, argument 2 \(zero-based\): it is undefined/,
    );
    expect(() => encodeCommands([['PING'], []])).toThrow(
      'cannot encode command 1: it must be a non-empty array',
    );
    // The scratch state does not leak into the next call.
    expect(encodeCommands([['PING']]).toString()).toBe('*1\r\n$4\r\nPING\r\n');
  });

  it('one pass (up to 1 MiB of output) and two passes (beyond) give the same bytes for any arguments', () => {
    // Beyond 1 MiB the encoder sizes everything first; below, it writes once into a reused scratch
    // buffer. A command list followed by a 1.5 MiB filler goes the two-pass way; the list alone,
    // one pass — their bytes must agree, and decode back to the arguments.
    const filler = ['SET', 'filler', Buffer.alloc(1536 * 1024, 0x61)];
    const fillerBytes = encodeCommand(filler);
    const argument = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }), // lone surrogates too: written as U+FFFD
      fc.string({ minLength: 60, maxLength: 3000 }),
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.bigInt(),
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(argument, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 60 }),
        (commands) => {
          const onePass = encodeCommands(commands);
          const twoPass = encodeCommands([...commands, filler]);
          expect(twoPass.length).toBe(onePass.length + fillerBytes.length);
          expect(twoPass.subarray(0, onePass.length).equals(onePass)).toBe(true);
          expect(twoPass.subarray(onePass.length).equals(fillerBytes)).toBe(true);
          const decoded: unknown[] = [];
          const decoder = new RespDecoder({ onReply: (r) => decoded.push(r), strings: 'buffer' });
          decoder.feed(onePass);
          expect(decoded).toHaveLength(commands.length);
          decoded.forEach((args, c) => {
            expect((args as Buffer[]).map((b) => b.toString('latin1'))).toEqual(
              commands[c]!.map((a) =>
                (ArrayBuffer.isView(a) ? a : Buffer.from(String(a))).toString('latin1'),
              ),
            );
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('grows its scratch buffer across calls and hands out copies that later calls never touch', () => {
    const first = encodeCommands([['SET', 'a', 'x'.repeat(200 * 1024)]]);
    const copy = Buffer.from(first);
    // Bigger outputs grow the scratch (64 KiB → 1 MiB), then the exact two-pass path takes over.
    for (const size of [10, 70 * 1024, 500 * 1024, 1024 * 1024 - 40, 1024 * 1024, 3 * 1024 * 1024]) {
      const value = 'é'.repeat(size >> 1);
      const out = encodeCommands([['SET', 'k', value]]);
      expect(decode(out)).toEqual(['SET', 'k', value]);
    }
    expect(first.equals(copy)).toBe(true);
  });

  it('an encode nested in another (user code reading an argument) leaves the outer one intact', () => {
    // A Proxy whose getter encodes a command of its own, on the one-pass and the two-pass path.
    for (const value of ['v', 'x'.repeat(1536 * 1024)]) {
      let inner: Buffer | undefined;
      const args = new Proxy(['SET', 'k', value], {
        get(target, key, receiver) {
          if (key === '1') inner = encodeCommand(['ZZZZZZZZ', 'Y'.repeat(3000)]);
          return Reflect.get(target, key, receiver);
        },
      });
      expect(decode(encodeCommand(args))).toEqual(['SET', 'k', value]);
      const both = encodeCommands([['PING'], args]);
      expect(both.equals(Buffer.concat([encodeCommand(['PING']), encodeCommand(['SET', 'k', value])]))).toBe(
        true,
      );
      expect(decode(inner!)).toEqual(['ZZZZZZZZ', 'Y'.repeat(3000)]);
    }
    expect(encodeCommand(['PING']).toString()).toBe('*1\r\n$4\r\nPING\r\n');
  });

  it('refuses what is not a command list, saying so', () => {
    expect(() => encodeCommands(null as never)).toThrow('encodeCommands expects an array of commands');
    expect(() => encodeCommand('PING' as never)).toThrow(/a command is a non-empty array of arguments/);
    expect(encodeCommands([]).length).toBe(0);
  });

  it('handles commands with many and large arguments', () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    const many = Array.from({ length: 5000 }, (_, i) => `m${i}`);
    const out = encodeCommands([
      ['SET', 'big', big],
      ['SADD', 's', ...many],
    ]);
    const commands: unknown[][] = [];
    const decoder = new RespDecoder({ onReply: (r) => commands.push(r as unknown[]), strings: 'buffer' });
    decoder.feed(out);
    expect(commands).toHaveLength(2);
    expect((commands[0]![2] as Buffer).equals(big)).toBe(true);
    expect((commands[1] as Buffer[]).map(String)).toEqual(['SADD', 's', ...many]);
  });
});

describe('encoder scratch space', () => {
  it('a refused batch keeps no reference to the arguments measured before the bad one', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const attempt = () => {
      const big = Buffer.alloc(32 * 1024 * 1024);
      const ref = new WeakRef(big);
      // Over the one-pass encoder's scratch limit: measured first, then refused at `undefined`.
      expect(() =>
        encodeCommands([
          ['SET', 'k', big],
          ['SET', 'x', undefined as never],
        ]),
      ).toThrow(TypeError);
      return ref;
    };
    const ref = attempt();
    await new Promise((resolve) => setTimeout(resolve, 10));
    gc();
    expect(ref.deref()).toBeUndefined(); // was kept by the scratch space until a later encode
    // A huge batch grows the scratch space; it goes back to its usual size afterwards (no leak
    // to assert from outside: the batch encodes right, and a small one after it too).
    const many = Array.from({ length: 200_000 }, (_, i) => ['SET', `k${i}`, 'v']);
    expect(encodeCommands(many).length).toBeGreaterThan(200_000 * 20);
    expect(encodeCommands([['PING']]).toString()).toBe('*1\r\n$4\r\nPING\r\n');
  });
});

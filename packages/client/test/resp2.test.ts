import { describe, expect, it } from 'vitest';
import { COMMAND_TABLE, fromResp2, type Resp2Shape } from '../src/index.js';

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

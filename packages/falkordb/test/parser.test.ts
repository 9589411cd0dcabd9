// The fused compact reader against real bytes: every captured reply of FalkorDB 4.16.3
// (test/fixtures, from shared/falkordb-fixtures), whole and in chunks.
import { ReplyError } from '@pyrsedis/client';
import { describe, expect, it } from 'vitest';
import { doubleBytes, type SchemaNames } from '../src/parser.js';
import { Duration, Edge, LocalDate, LocalDateTime, LocalTime, Node, Path, Point } from '../src/values.js';
import { bytesOf, captureSchema, decodeFixture, decodeWith, index } from './helpers.js';

const names = captureSchema();
// fx_big (large-*) is another graph: its own ids, in creation order of the capture's CREATE.
const bigNames: SchemaNames = {
  labels: ['Item'],
  relationshipTypes: [],
  propertyKeys: ['idx', 'name', 'score', 'even'],
};
const schemaOf = (args: string[]) => (args[1] === 'fx_big' ? bigNames : names);

const compactQueries = index.filter(
  (f) => /^GRAPH\.(RO_)?QUERY$/i.test(f.args[0]!) && f.args.includes('--compact'),
);

const alice = new Node(0, ['Person', 'Employee', 'Manager'], {
  name: 'Alice',
  age: 30,
  height: 1.68,
  active: true,
  tags: ['x', 'y'],
});
const bob = new Node(1, ['Person'], { name: 'Bob', age: 25 });
const knows = new Edge(0, 'KNOWS', 0, 1, { since: 2020, weight: 0.75 });

function row(name: string): Record<string, unknown> {
  const result = decodeFixture(name, names);
  expect(result.rows).toHaveLength(1);
  return result.rows[0] as Record<string, unknown>;
}

describe('CompactParser on captured replies', () => {
  it('decodes every compact query fixture (or returns its error), ids all resolved', () => {
    expect(compactQueries.length).toBeGreaterThan(60);
    for (const fixture of compactQueries) {
      const { result, reader } = decodeWith([bytesOf(fixture.name)], schemaOf(fixture.args));
      if (fixture.replyKind === '-') {
        expect(result, fixture.name).toBeInstanceOf(ReplyError);
        continue;
      }
      expect(reader.unresolved, fixture.name).toBe(false);
      expect(result, fixture.name).toHaveProperty('stats');
    }
  });

  it('scalars: null, strings, exact integers, booleans, doubles with inf / -inf / nan / -0', () => {
    expect(row('scalar-null')).toEqual({ v: null });
    expect(row('scalar-string')).toEqual({
      s: 'hello',
      empty: '',
      unicode: 'ü€😀',
      ctl: 'line1\nline2\r\n"q"',
    });
    expect(row('scalar-integer')).toEqual({
      zero: 0,
      pos: 42,
      neg: -7,
      above_2_53: 9007199254740993n,
      max: 9223372036854775807n,
      min: -9223372036854775808n,
    });
    expect(row('scalar-boolean')).toEqual({ t: true, f: false });
    const d = row('scalar-double');
    expect(d).toMatchObject({ a: 1.5, integral: 1, rounded: 0.3, big: 1e20, third: 0.333333333333333 });
    expect(Object.is(d.negzero, -0)).toBe(true);
    expect(d.nan).toBeNaN();
    expect(d.inf).toBe(Number.POSITIVE_INFINITY);
    expect(d.neginf).toBe(Number.NEGATIVE_INFINITY);
  });

  it('lists, maps (keys never touch a prototype), points, float32 vectors', () => {
    expect(row('array-nested')).toEqual({ a: [1, 'two', 3.5, [4, [5]], null, true, { k: 'v' }], empty: [] });
    expect(row('map-nested')).toEqual({
      m: { a: 1, b: 's', c: { d: [1, 2], e: { f: null } }, g: [{ h: 1 }] },
      empty: {},
    });
    // A map key or column named __proto__ (user data) is an own property, never a prototype.
    const hostile = Buffer.from(
      '*3\r\n*1\r\n*2\r\n:1\r\n$9\r\n__proto__\r\n*1\r\n*1\r\n*2\r\n:10\r\n' +
        '*4\r\n$9\r\n__proto__\r\n*2\r\n:3\r\n:1\r\n$11\r\nconstructor\r\n*2\r\n:2\r\n$1\r\nx\r\n' +
        '*1\r\n$19\r\nCached execution: 0\r\n',
    );
    const parsed = decodeWith([hostile], names).result as { rows: Record<string, unknown>[] };
    const own = (o: object, key: string) => Object.getOwnPropertyDescriptor(o, key)?.value;
    const cell = own(parsed.rows[0]!, '__proto__') as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed.rows[0])).toBe(Object.prototype);
    expect(Object.getPrototypeOf(cell)).toBe(Object.prototype);
    expect(Object.keys(cell)).toEqual(['__proto__', 'constructor']);
    expect(own(cell, '__proto__')).toBe(1);
    expect(cell.constructor).toBe('x');
    expect(({} as Record<string, unknown>).constructor).toBe(Object);
    expect(row('point')).toEqual({ p: new Point(32.070499420166, 34.8188018798828) });
    const v = row('vectorf32').v as Float32Array;
    expect(v).toBeInstanceOf(Float32Array);
    expect([...v]).toEqual([1, 2.5, Math.fround(-0.1), 0]);
    const resp3 = row('resp3-compact-vector');
    expect([...(resp3.v as Float32Array)]).toEqual([1, 2.5, Math.fround(-0.1)]);
    expect(resp3.p).toEqual(new Point(1.5, 2.5));
  });

  it('temporal values: local date-time, date, time and duration from whole seconds', () => {
    const t = row('temporal');
    expect(t.dt).toEqual(new LocalDateTime(1705314645));
    expect(String(t.dt)).toBe('2024-01-15T10:30:45');
    expect((t.dt as LocalDateTime).toDate().toISOString()).toBe('2024-01-15T10:30:45.000Z');
    expect(t.d).toEqual(new LocalDate(19737));
    expect(String(t.d)).toBe('2024-01-15');
    expect(t.t).toEqual(new LocalTime(37845));
    expect(String(t.t)).toBe('10:30:45');
    expect(t.dur).toBeInstanceOf(Duration);
    expect((t.dur as Duration).seconds).toBe(36907506);
    const e = row('temporal-edge-cases');
    expect(String(e.frac)).toBe('2024-01-15T10:30:45');
    expect(String(e.pre1970)).toBe('1960-01-01');
    expect(String(e.d31)).toBe('P31D');
    expect(String(e.m1)).toBe('P31D'); // P1M: months are not recoverable (the server folds them in)
    expect(String(e.midnight)).toBe('00:00:00');
    expect(JSON.stringify(t)).toBe(
      '{"dt":"2024-01-15T10:30:45","d":"2024-01-15","t":"10:30:45","dur":"P427DT4H5M6S"}',
    );
  });

  it('nodes, edges and paths with names resolved from the schema ids', () => {
    expect(row('node-multilabel')).toEqual({ n: alice });
    expect(row('node-multilabel').n).toBeInstanceOf(Node);
    expect(row('node-nolabel')).toEqual({ n: new Node(2, [], {}) });
    expect(row('edge')).toEqual({ e: knows });
    expect(row('edge-noprops')).toEqual({ e: new Edge(1, 'LIKES', 1, 2, {}) });
    const path = row('path').p as Path;
    expect(path).toBeInstanceOf(Path);
    expect(path.nodes).toEqual([alice, bob, new Node(2, [], {})]);
    expect(path.edges.map((e) => [e.type, e.sourceId, e.destinationId])).toEqual([
      ['KNOWS', 0, 1],
      ['LIKES', 1, 2],
    ]);
    // A reversed traversal keeps each edge's stored direction.
    const reversed = row('path-reversed').p as Path;
    expect(reversed.nodes.map((n) => n.id)).toEqual([1, 0]);
    expect(reversed.edges).toEqual([knows]);
    expect(row('path-single-node')).toEqual({ p: new Path([bob], []) });
    const nested = row('entities-nested');
    expect(nested.list).toEqual([alice, knows]);
    expect((nested.map as Record<string, unknown>).friend).toEqual(bob);
    expect(row('resp3-compact-node')).toEqual({ n: alice });
  });

  it('rows as objects or arrays, columns, empty results, statistics', () => {
    const multi = decodeFixture('multi-row', names);
    expect(multi.columns).toEqual(['name', 'age', 'labels']);
    expect(multi.rows).toEqual([
      { name: 'Alice', age: 30, labels: ['Person', 'Employee', 'Manager'] },
      { name: 'Bob', age: 25, labels: ['Person'] },
    ]);
    expect(decodeFixture('multi-row', names, { rowShape: 'array' }).rows).toEqual([
      ['Alice', 30, ['Person', 'Employee', 'Manager']],
      ['Bob', 25, ['Person']],
    ]);
    const empty = decodeFixture('empty-result', names);
    expect(empty.columns).toEqual(['n']);
    expect(empty.rows).toEqual([]);
    const write = decodeFixture('write-only', names);
    expect(write.columns).toEqual([]);
    expect(write.stats).toMatchObject({
      labelsAdded: 2,
      nodesCreated: 2,
      propertiesSet: 4,
      relationshipsCreated: 1,
      cachedExecution: false,
    });
    expect(write.stats.executionTimeMs).toBeGreaterThan(0);
    expect(write.stats.raw).toHaveLength(6);
    expect(decodeFixture('write-merge-noop', names).stats.cachedExecution).toBe(true);
    expect(decodeFixture('index-create-range', names).stats.indicesCreated).toBe(1);
    expect(decodeFixture('write-delete', names).stats).toMatchObject({
      nodesDeleted: 2,
      relationshipsDeleted: 1,
    });
  });

  it('nodes with one label share one frozen labels array per label; the name is checked on every use', () => {
    // A compact reply in the server's format: column n, rows of nodes (id, [label ids], no props).
    const node = (id: number, labels: number[]) =>
      `*2\r\n:8\r\n*3\r\n:${id}\r\n*${labels.length}\r\n${labels.map((l) => `:${l}\r\n`).join('')}*0\r\n`;
    const stat = 'Query internal execution time: 0.1 milliseconds';
    const reply = Buffer.from(
      `*3\r\n*1\r\n*2\r\n:1\r\n$1\r\nn\r\n*4\r\n` +
        `*1\r\n${node(0, [0])}*1\r\n${node(1, [0])}*1\r\n${node(2, [0, 1])}` +
        // A node inside a list goes the general (frame by frame) way.
        `*1\r\n*2\r\n:6\r\n*1\r\n${node(3, [0])}` +
        `*1\r\n$${stat.length}\r\n${stat}\r\n`,
    );
    const schema: SchemaNames = { labels: ['Person', 'Admin'], relationshipTypes: [], propertyKeys: [] };
    const rows = () => (decodeWith([reply], schema).result as { rows: { n: unknown }[] }).rows;
    const [a, b, c, list] = rows() as [{ n: Node }, { n: Node }, { n: Node }, { n: Node[] }];
    expect(a.n).toEqual(new Node(0, ['Person'], {}));
    expect(b.n.labels).toBe(a.n.labels);
    expect(Object.isFrozen(a.n.labels)).toBe(true);
    expect(() => (a.n.labels as string[]).push('x')).toThrow(TypeError);
    expect(c.n.labels).toEqual(['Person', 'Admin']);
    expect(c.n.labels).not.toBe(a.n.labels);
    expect(list.n[0]).toEqual(new Node(3, ['Person'], {}));
    // The next reply shares the same array; a list whose names changed in place gets the new name.
    expect((rows()[0]!.n as Node).labels).toBe(a.n.labels);
    schema.labels[0] = 'Renamed';
    const renamed = rows() as { n: Node }[];
    expect(renamed[0]!.n.labels).toEqual(['Renamed']);
    expect(renamed[1]!.n.labels).toBe(renamed[0]!.n.labels);
    expect(a.n.labels).toEqual(['Person']);
    // An id the names do not cover yet is resolved after a refresh, never shared half-made.
    const partial: SchemaNames = { labels: [], relationshipTypes: [], propertyKeys: [] };
    const { result, reader } = decodeWith([reply], partial);
    expect(reader.unresolved).toBe(true);
    reader.resolve(schema);
    expect((result as { rows: { n: Node }[] }).rows[0]!.n.labels).toEqual(['Renamed']);
  });

  it('the version check: an error and the current version, nothing else', () => {
    for (const name of ['error-version-mismatch', 'resp3-error-version-mismatch']) {
      const result = decodeFixture(name, names);
      expect(result.versionMismatch).toBeGreaterThan(0);
      expect(result.rows).toEqual([]);
    }
  });

  it('ids beyond the cached names are collected, then resolved after a refresh', () => {
    const partial: SchemaNames = { labels: ['Person'], relationshipTypes: [], propertyKeys: ['name'] };
    const { result, reader } = decodeWith([bytesOf('path')], partial);
    expect(reader.unresolved).toBe(true);
    expect(reader.missing()).toEqual({ labels: 2, relationshipTypes: 1, propertyKeys: 6 });
    expect(() => reader.resolve(partial)).toThrow(/unknown label id 1/);
    const fresh = decodeWith([bytesOf('path')], partial);
    fresh.reader.resolve(names);
    expect((fresh.result as { rows: unknown[] }).rows).toEqual(decodeFixture('path', names).rows);
    // Properties named late keep the wire's order among the others (toEqual ignores key order).
    const order = (rows: unknown) => JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    expect(order((fresh.result as { rows: unknown[] }).rows)).toBe(order(decodeFixture('path', names).rows));
    // Known, unknown, known: the unknown one lands in the middle.
    const someKnown: SchemaNames = {
      labels: names.labels,
      relationshipTypes: names.relationshipTypes,
      propertyKeys: [...names.propertyKeys],
    };
    for (const fixture of ['path', 'large-nodes', 'node-multilabel']) {
      for (let hole = 0; hole < names.propertyKeys.length; hole++) {
        const holed = {
          ...someKnown,
          propertyKeys: someKnown.propertyKeys.map((k, i) => (i === hole ? undefined : k)) as string[],
        };
        const run = decodeWith([bytesOf(fixture)], holed);
        run.reader.resolve(names);
        expect(order((run.result as { rows: unknown[] }).rows), `${fixture}, id ${hole} named late`).toBe(
          order(decodeFixture(fixture, names).rows),
        );
      }
    }
    expect((result as { rows: unknown[] }).rows).toHaveLength(1);
  });

  it('parses %.15g doubles from bytes exactly as Number() does', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const texts = [
      '0',
      '-0',
      '1',
      '1.5',
      '-0.5',
      '0.1',
      '0.3',
      '1249.875',
      '0.000123456789012345',
      '123456789012345',
      '999999999999999.9',
      '1e+20',
      '1e-07',
      '-1.5e-300',
      'inf',
      '-inf',
      '12.',
      '.5',
      // Leading zeros are not significant digits: 15 digits after them still take the fast path.
      '0.791346057759568',
      '-0.000791346057759568',
      '0.0000000000000000000001234',
      '0.00000000000000000000001234',
      '00012.5',
    ];
    for (let i = 0; i < 20_000; i++) {
      const x = (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
      texts.push(String(Number(x.toPrecision(1 + Math.floor(random() * 15)))));
      const digits = String(Math.floor(random() * 1e15)).padStart(15, '0');
      const point = Math.floor(random() * 16);
      texts.push(
        `${random() < 0.5 ? '-' : ''}${digits.slice(0, point) || '0'}.${digits.slice(point) || '0'}`,
      );
    }
    for (const text of texts) {
      const bytes = Buffer.from(text);
      const expected =
        text === 'inf' ? Number.POSITIVE_INFINITY : text === '-inf' ? Number.NEGATIVE_INFINITY : Number(text);
      expect(Object.is(doubleBytes(bytes, 0, bytes.length, 0), expected), text).toBe(true);
    }
  });

  it('gives identical results split at every point of small replies and in random chunks of large ones', () => {
    const reference = (name: string, s: SchemaNames) => decodeWith([bytesOf(name)], s).result;
    for (const name of [
      'node-multilabel',
      'path',
      'entities-nested',
      'scalar-double',
      'map-nested',
      'temporal',
      'vectorf32',
    ]) {
      const bytes = bytesOf(name);
      const whole = reference(name, names);
      for (let at = 1; at < bytes.length; at++) {
        const { result } = decodeWith([bytes.subarray(0, at), bytes.subarray(at)], names);
        expect(result, `${name} split at ${at}`).toEqual(whole);
      }
    }
    for (const name of ['large-scalars', 'large-nodes']) {
      const bytes = bytesOf(name);
      const whole = reference(name, bigNames);
      let seed = 7;
      for (let round = 0; round < 5; round++) {
        const chunks: Buffer[] = [];
        for (let at = 0; at < bytes.length; ) {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          const size = 1 + (seed % 70_000);
          chunks.push(bytes.subarray(at, at + size));
          at += size;
        }
        expect(decodeWith(chunks, bigNames).result).toEqual(whole);
      }
      expect((whole as { rows: unknown[] }).rows).toHaveLength(10_000);
    }
    const big = decodeFixture('large-nodes', bigNames).rows as { n: Node }[];
    expect(big[9999]!.n).toEqual(
      new Node(9999, ['Item'], { idx: 9999, name: 'item-9999', score: 1249.875, even: false }),
    );
  });
});

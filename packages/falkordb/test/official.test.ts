// Our decoded results against the official client's (npm `falkordb`, falkordb-ts 6.6) on the same
// queries and the same server, shapes normalised. Where they must differ (the official client
// rounds int64 beyond 2^53 and turns inf into NaN), the difference itself is asserted.
import { createClient } from '@pyrsedis/client';
import { startServer } from '@pyrsedis/test-server';
import { FalkorDB as Official } from 'falkordb';
import { describe, expect, it } from 'vitest';
import { Edge, falkordb, LocalDate, LocalDateTime, LocalTime, Node, Path, Point } from '../src/index.js';

/** A plain, comparable form of one value, from either client. */
function normal(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Node)
    return { node: value.id, labels: value.labels, properties: normal(value.properties) };
  if (value instanceof Edge)
    return {
      edge: value.id,
      type: value.type,
      from: value.sourceId,
      to: value.destinationId,
      properties: normal(value.properties),
    };
  if (value instanceof Path) return { nodes: value.nodes.map(normal), edges: value.edges.map(normal) };
  if (value instanceof Point) return { latitude: value.latitude, longitude: value.longitude };
  if (value instanceof Float32Array) return [...value];
  if (value instanceof LocalDateTime || value instanceof LocalDate || value instanceof LocalTime)
    return String(value);
  if (Array.isArray(value)) return value.map(normal);
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    // The official client's shapes.
    if ('labels' in o && 'properties' in o && 'id' in o)
      return { node: o.id, labels: o.labels, properties: normal(o.properties) };
    if ('relationshipType' in o)
      return {
        edge: o.id,
        type: o.relationshipType,
        from: o.sourceId,
        to: o.destinationId,
        properties: normal(o.properties),
      };
    if ('nodes' in o && 'edges' in o)
      return { nodes: (o.nodes as unknown[]).map(normal), edges: (o.edges as unknown[]).map(normal) };
    const ctor = o.constructor?.name;
    if (ctor === 'PlainDateTime' || ctor === 'PlainDate' || ctor === 'PlainTime') return String(o);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, normal(v)]));
  }
  return value;
}

describe('the same results as the official client', () => {
  it('on every value type and the seed workload shapes', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    const official = await Official.connect({ socket: { host: '127.0.0.1', port: server.port } });
    try {
      const ours = falkordb(client).graph('same');
      const theirs = official.selectGraph('same');
      await ours.query(
        'UNWIND range(0, 199) AS i CREATE (:Person {id: i, name: "p" + toString(i), age: 20 + i % 50, score: i / 7.0})',
      );
      await ours.query(
        'MATCH (a:Person), (b:Person) WHERE b.id = (a.id + 1) % 200 CREATE (a)-[:KNOWS {weight: a.id * 0.5}]->(b)',
      );
      await ours.query(
        "CREATE (:Thing:Other {s: 'x', l: [1, 'a', [2.5]], t: true, p: point({latitude: 1.5, longitude: -2.25}), v: vecf32([1, 0.5]), d: date('2024-02-29'), dt: localdatetime('2024-01-15T10:30:45'), tm: localtime('23:59:01')})",
      );
      const queries = [
        'MATCH (n:Person) RETURN n.id, n.name, n.age, n.score ORDER BY n.id LIMIT 100',
        'MATCH (n:Person) RETURN n ORDER BY n.id LIMIT 50',
        'MATCH ()-[r:KNOWS]->() RETURN r ORDER BY r.weight LIMIT 50',
        'MATCH (a:Person)-[r:KNOWS]->(b:Person) RETURN a.id, r.weight, b.id ORDER BY a.id LIMIT 50',
        'MATCH (a:Person)-[:KNOWS]->()-[:KNOWS]->(c) RETURN a.id, c.id ORDER BY a.id LIMIT 50',
        'MATCH p = (a:Person {id: 3})-[:KNOWS*2]->(c) RETURN p',
        'MATCH (t:Thing) RETURN t, t.p AS p, t.v AS v, t.l AS l, t.d AS d, t.dt AS dt, t.tm AS tm',
        "RETURN {a: 1, b: [true, false, null], c: {d: 'e'}} AS m, [] AS empty, 'ü€😀' AS s, -0.5 AS f, 1.0 AS integral",
        'UNWIND range(1, 1000) AS x RETURN x, x * 1.5 AS y',
      ];
      for (const q of queries) {
        const a = await ours.roQuery(q);
        const b = await theirs.roQuery<Record<string, unknown>>(q);
        expect(a.rows.length, q).toBeGreaterThan(0);
        expect(normal(a.rows), q).toEqual(normal(b.data ?? []));
      }
      // Where the official client is wrong, by design of its decoder.
      const edge = await ours.roQuery('RETURN 9007199254740993 AS big, toFloat("inf") AS inf');
      const theirEdge = await theirs.roQuery<{ big: number; inf: number }>(
        'RETURN 9007199254740993 AS big, toFloat("inf") AS inf',
      );
      expect(edge.rows[0]).toEqual({ big: 9007199254740993n, inf: Number.POSITIVE_INFINITY });
      expect(theirEdge.data![0]!.big).toBe(9007199254740992);
      expect(theirEdge.data![0]!.inf).toBeNaN();
    } finally {
      await official.close();
    }
  });
});

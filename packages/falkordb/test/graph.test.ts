// The graph API against a real Redis 8.2 + FalkorDB 4.16 (and Valkey 8 + FalkorDB).
import { createClient, ReplyError, TimeoutError, WrongTypeError } from '@pyrsedis/client';
import { startServer } from '@pyrsedis/test-server';
import { describe, expect, it } from 'vitest';
import {
  Edge,
  FalkorDB,
  falkordb,
  GraphError,
  GraphNotFoundError,
  GraphResentError,
  GraphSyntaxError,
  GraphTimeoutError,
  LocalDate,
  Node,
  Path,
  Point,
} from '../src/index.js';

describe('queries against Redis 8.2 + FalkorDB 4.16', () => {
  it('returns typed rows: nodes, edges, paths, scalars; rows as objects or arrays; stats', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    const g = falkordb(client).graph('social');
    const created = await g.query(
      "CREATE (a:Person:Admin {name: 'Ada', age: 36, score: 9.5, born: date('1815-12-10')})" +
        "-[:KNOWS {since: 1833}]->(b:Person {name: 'Charles', tags: ['math', 'engines'], at: point({latitude: 51.5, longitude: -0.12})})",
    );
    expect(created.columns).toEqual([]);
    expect(created.stats).toMatchObject({ nodesCreated: 2, relationshipsCreated: 1, labelsAdded: 2 });
    const { columns, rows } = await g.query<{ a: Node; r: Edge; b: Node; p: Path; big: bigint }>(
      'MATCH p = (a:Admin)-[r:KNOWS]->(b) RETURN a, r, b, p, 9007199254740993 AS big',
    );
    expect(columns).toEqual(['a', 'r', 'b', 'p', 'big']);
    const [row] = rows;
    expect(row!.a).toBeInstanceOf(Node);
    expect(row!.a.labels).toEqual(['Person', 'Admin']);
    expect(Object.keys(row!.a.properties)).toEqual(['name', 'age', 'score', 'born']);
    expect(row!.a.properties).toMatchObject({ name: 'Ada', age: 36, score: 9.5 });
    expect(row!.a.properties.born).toBeInstanceOf(LocalDate);
    expect(String(row!.a.properties.born)).toBe('1815-12-10');
    expect(row!.r).toEqual(new Edge(row!.r.id, 'KNOWS', row!.a.id, row!.b.id, { since: 1833 }));
    expect(row!.b.properties.tags).toEqual(['math', 'engines']);
    const at = row!.b.properties.at as Point;
    expect(at).toBeInstanceOf(Point);
    expect(at.latitude).toBeCloseTo(51.5, 5);
    expect(row!.p).toEqual(new Path([row!.a, row!.b], [row!.r]));
    expect(row!.big).toBe(9007199254740993n);
    const arrays = await g.roQuery('MATCH (n:Person) RETURN n.name, n.age ORDER BY n.name', {
      rowShape: 'array',
    });
    expect(arrays.rows).toEqual([
      ['Ada', 36],
      ['Charles', null],
    ]);
    const params = await g.query('MATCH (n:Person {name: $name}) RETURN n.age AS age', {
      params: { name: 'Ada' },
    });
    expect(params.rows).toEqual([{ age: 36 }]);
  });

  it('server errors are typed and never half-decoded; RO_QUERY refuses writes', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    const g = falkordb(client).graph('errors');
    await g.query('CREATE (:X {v: 1})');
    await expect(g.query('RETURN 1 +')).rejects.toBeInstanceOf(GraphSyntaxError);
    const runtime = await g.query('MATCH (x:X) RETURN x.v / 0').catch((e: Error) => e);
    expect(runtime).toBeInstanceOf(GraphError);
    expect((runtime as Error).message).toBe('Division by zero');
    await expect(g.roQuery('CREATE (:Y)')).rejects.toThrow(
      'graph.RO_QUERY is to be executed only on read-only queries',
    );
    await expect(
      g.roQuery('UNWIND range(1, 3000000) AS x WITH x WHERE x % 7 = 0 RETURN count(x)', { timeout: 1 }),
    ).rejects.toBeInstanceOf(GraphTimeoutError);
    // Messages whose first word looks like a code (SKIP, LIMIT): graph errors all the same.
    for (const query of ['RETURN 1 SKIP -1', 'RETURN 1 LIMIT -1']) {
      const failed = await g.query(query).catch((e: Error) => e);
      expect(failed, query).toBeInstanceOf(GraphError); // were plain ReplyErrors
    }
    await client.set('plain', 'x');
    await expect(falkordb(client).graph('plain').query('RETURN 1')).rejects.toThrow(/WRONGTYPE/);
    await expect(falkordb(client).graph('plain').query('RETURN 1')).rejects.toBeInstanceOf(WrongTypeError);
    // The connection is fine afterwards.
    expect((await g.query('RETURN 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('keeps names right when another client deletes and recreates the graph (schema version)', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    await using other = await createClient({ port: server.port }).connect();
    const g = falkordb(client).graph('recreated');
    await g.query('CREATE (:A {p: 1}), (:B {q: 2})');
    expect((await g.query('MATCH (n) RETURN n ORDER BY labels(n)[0]')).rows.map((r) => r.n)).toEqual([
      new Node(0, ['A'], { p: 1 }),
      new Node(1, ['B'], { q: 2 }),
    ]);
    // Elsewhere: delete, then create the same names in the other order (ids swap).
    await other.sendCommand(['GRAPH.DELETE', 'recreated']);
    await other.sendCommand(['GRAPH.QUERY', 'recreated', 'CREATE (:B {q: 2}), (:A {p: 1})']);
    const after = await g.query('MATCH (n) RETURN n ORDER BY labels(n)[0]');
    expect(after.rows.map((r) => r.n)).toEqual([new Node(1, ['A'], { p: 1 }), new Node(0, ['B'], { q: 2 })]);
    expect(g.schema.labels).toEqual(['B', 'A']);
    // Ids created by this very query are resolved too (one refresh).
    const fresh = await g.query('CREATE (n:C {r: 3}) RETURN n');
    expect(fresh.rows[0]!.n).toEqual(new Node(2, ['C'], { r: 3 }));
    // Our own delete clears the names; copy gives the copy a cache of its own.
    const copy = await g.copy('recreated-copy');
    expect((await copy.roQuery('MATCH (n:C) RETURN n.r AS r')).rows).toEqual([{ r: 3 }]);
    await g.delete();
    expect(g.schema.labels).toEqual([]);
    await expect(g.roQuery('RETURN 1')).rejects.toThrow('Invalid graph operation on empty key');
  });

  it('a graph recreated elsewhere and reloaded by a restart keeps its names right (the version does not tell)', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    client.on('error', () => {});
    const g = falkordb(client).graph('social');
    const labelsByName = async () => {
      for (let i = 0; ; i++) {
        try {
          const { rows } = await g.query<{ n: Node }>('MATCH (n) RETURN n ORDER BY n.name');
          return rows.map((r) => `${String(r.n.properties.name)}:${r.n.labels.join()}`);
        } catch (err) {
          if (i > 50) throw err;
          await new Promise((resolve) => setTimeout(resolve, 100)); // reconnecting
        }
      }
    };
    await server.call('GRAPH.QUERY', 'social', "CREATE (:Person {name: 'ada'}), (:Robot {name: 'r2'})");
    await server.call('SAVE');
    await server.restart();
    expect(await labelsByName()).toEqual(['ada:Person', 'r2:Robot']);
    // Elsewhere: recreated with the labels made in the other order, same property keys; then a
    // restart reloads it with the version the handle already knows (computed from keys only).
    await server.call('GRAPH.DELETE', 'social');
    await server.call('GRAPH.QUERY', 'social', "CREATE (:Robot {name: 'r2'})");
    await server.call('GRAPH.QUERY', 'social', "CREATE (:Person {name: 'ada'})");
    await server.call('SAVE');
    expect(g.schema.labels).toEqual(['Person', 'Robot']);
    await server.restart();
    for (let i = 0; i < 50 && client.state !== 'ready'; i++) await new Promise((r) => setTimeout(r, 100));
    await client.ping();
    // The getter shows what queries will use: nothing until they fetch (it showed the old names).
    expect(g.schema.labels).toEqual([]);
    expect(await labelsByName()).toEqual(['ada:Person', 'r2:Robot']);
    expect(g.schema.labels).toEqual(['Robot', 'Person']);
  });

  it('survives a server restart (the version changes on reload) and reads from a replica', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    client.on('error', () => {});
    const g = falkordb(client).graph('durable');
    await g.query("CREATE (:Person {name: 'p', age: 1})-[:R {w: 2}]->(:Thing {name: 't'})");
    const before = await g.roQuery('MATCH (a)-[r]->(b) RETURN a, r, b');
    await server.call('DEBUG', 'RELOAD');
    const after = await g.roQuery('MATCH (a)-[r]->(b) RETURN a, r, b');
    expect(after.rows).toEqual(before.rows);
    await using replicaServer = await startServer({ falkordb: true });
    await replicaServer.call('REPLICAOF', '127.0.0.1', String(server.port));
    await using replicaClient = await createClient({ port: replicaServer.port }).connect();
    const onReplica = falkordb(replicaClient).graph('durable');
    let rows: unknown[] = [];
    for (let i = 0; i < 100 && rows.length === 0; i++) {
      rows = await onReplica
        .roQuery('MATCH (a)-[r]->(b) RETURN a, r, b')
        .then((r) => r.rows)
        .catch(() => []);
      if (rows.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(rows).toEqual(before.rows);
    await expect(onReplica.query('CREATE (:Nope)')).rejects.toThrow(/READONLY|read only/i);
  });

  it('runs concurrent queries on several connections (the server runs one per connection at a time)', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    const g = falkordb(client).graph('busy');
    const slow = 'UNWIND range(1, 400000) AS x WITH x WHERE x % 7 = 0 RETURN count(x) AS c';
    await g.query('RETURN 1'); // creates the key: RO_QUERY refuses a missing one
    const results = await Promise.all(Array.from({ length: 8 }, () => g.roQuery(slow)));
    expect(results.map((r) => r.rows[0])).toEqual(Array.from({ length: 8 }, () => ({ c: 57142 })));
    expect(client.poolStats().idle).toBeGreaterThan(1);
  });

  it('streams rows as they are decoded; leaving early keeps the connection in step', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    const g = falkordb(client).graph('stream');
    let count = 0;
    let sum = 0;
    for await (const row of g.queryStream<{ x: number }>('UNWIND range(1, 300000) AS x RETURN x')) {
      count++;
      sum += row.x;
    }
    expect(count).toBe(300_000);
    expect(sum).toBe((300_000 * 300_001) / 2);
    const firstFew: number[] = [];
    for await (const row of g.queryStream<{ x: number }>('UNWIND range(1, 100000) AS x RETURN x')) {
      firstFew.push(row.x);
      if (firstFew.length === 3) break;
    }
    expect(firstFew).toEqual([1, 2, 3]);
    expect((await g.query('RETURN 42 AS answer')).rows).toEqual([{ answer: 42 }]);
    await expect(async () => {
      for await (const _ of g.queryStream('RETURN 1 +')) {
        // never reached
      }
    }).rejects.toBeInstanceOf(GraphSyntaxError);
  });

  it('a stream that times out or is aborted while its consumer is behind gives its connection back readable', async () => {
    await using server = await startServer({ falkordb: true });
    // One leased connection: the next query runs on the one the stream used.
    await using client = await createClient({ port: server.port, pool: { maxLeased: 1 } }).connect();
    const g = falkordb(client).graph('paused');
    await g.query('RETURN 1');
    const big = 'UNWIND range(1, 400000) AS x RETURN x, "padding padding padding" AS s';
    const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'still pending'> =>
      Promise.race([promise, new Promise<'still pending'>((r) => setTimeout(() => r('still pending'), ms))]);
    for (const how of ['timeout', 'abort'] as const) {
      const controller = new AbortController();
      const options = how === 'timeout' ? { timeoutMs: 300 } : { signal: controller.signal };
      let rows = 0;
      const stream = (async () => {
        for await (const _ of g.queryStream(big, options)) {
          // The consumer falls behind: reading pauses once 10,000 rows wait.
          if (++rows === 1) {
            await new Promise((r) => setTimeout(r, 600));
            controller.abort();
          }
        }
      })();
      await expect(stream).rejects.toThrow(how === 'timeout' ? TimeoutError : /abort/i);
      // Aborted: no row after abort() (rows already decoded were handed out before).
      if (how === 'abort') expect(rows).toBe(1);
      expect(
        await within(
          g.query('RETURN 42 AS a').then((r) => r.rows),
          10_000,
        ),
        how,
      ).toEqual([{ a: 42 }]);
    }
  });

  it('g.queue() refuses a timeoutMs or signal of its own (the pipeline is one unit)', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    const g = falkordb(client).graph('q');
    const pipe = client.pipeline();
    const options = { timeoutMs: 20 } as unknown as Parameters<typeof g.queue>[2];
    await expect(g.queue(pipe, 'RETURN 1', options)).rejects.toThrow(/takes no timeoutMs or signal/);
    const signalled = { signal: AbortSignal.abort() } as unknown as Parameters<typeof g.queue>[2];
    await expect(g.queue(pipe, 'RETURN 1', signalled)).rejects.toThrow(TypeError);
    expect(await pipe.exec()).toEqual([]); // nothing was queued
  });

  it('management: list, explain, profile, slowlog, memory usage, config, info, UDFs', async () => {
    await using server = await startServer({ falkordb: true });
    await using db = await FalkorDB.connect(`falkor://127.0.0.1:${server.port}`);
    const g = db.graph('admin');
    await g.query('UNWIND range(1, 50000) AS i CREATE (:N {i: i})');
    expect(await db.list()).toEqual(['admin']);
    const plan = await g.explain('MATCH (n:N) WHERE n.i > $min RETURN n', { params: { min: 3 } });
    expect(plan.join('\n')).toMatch(/Node By Label Scan|Filter/);
    const profile = await g.profile('MATCH (n:N) RETURN count(n)');
    expect(profile.join('\n')).toMatch(/Records produced/);
    await g.query('MATCH (a:N), (b:N) WHERE a.i = b.i AND a.i < 2000 RETURN count(a)');
    const slow = await g.slowLog();
    expect(slow.length).toBeGreaterThan(0);
    expect(slow[0]!.timestamp).toBeInstanceOf(Date);
    expect(slow[0]!.tookMs).toBeGreaterThan(0);
    await g.slowLogReset();
    expect(await g.slowLog()).toEqual([]);
    const memory = await g.memoryUsage({ samples: 10 });
    expect(memory).toHaveProperty('total_graph_sz_mb');
    expect(await db.configGet('RESULTSET_SIZE')).toEqual({ RESULTSET_SIZE: -1 });
    await db.configSet('RESULTSET_SIZE', 5);
    expect((await g.roQuery('MATCH (n:N) RETURN n.i LIMIT 10')).rows).toHaveLength(5);
    await db.configSet('RESULTSET_SIZE', -1);
    expect(Object.keys(await db.configGet('*')).length).toBeGreaterThan(10);
    expect(await db.info()).toBeTruthy();
    await db.udfLoad('mylib', "function twice(x) { return x * 2; } falkor.register('twice', twice);");
    expect((await g.query('RETURN mylib.twice(21) AS v')).rows).toEqual([{ v: 42 }]);
    expect(JSON.stringify(await db.udfList())).toContain('mylib');
    await db.udfDelete('mylib');
    await db.udfFlush();
  });
});

describe('graph queries in a pipeline', () => {
  it('go out with the other commands in one write, decoded by the same parser; errors stay in place', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    const g = falkordb(client).graph('piped');
    await g.query('CREATE (:P {n: 1})-[:T]->(:P {n: 2})');
    // That write changed the graph's schema version; this read learns the new one.
    expect((await g.roQuery('MATCH (p:P) RETURN count(p) AS c')).rows).toEqual([{ c: 2 }]);
    const pipe = client.pipeline();
    const nodes = g.queue<{ p: Node }>(pipe, 'MATCH (p:P) RETURN p ORDER BY p.n');
    pipe.incr('counter');
    const bad = g.queue(pipe, 'RETURN 1 +');
    const count = g.queue<{ c: number }>(pipe, 'MATCH ()-[t:T]->() RETURN count(t) AS c', { readOnly: true });
    const replies = (await pipe.exec()) as unknown[];
    expect(replies[1]).toBe(1);
    expect(replies[2]).toBeInstanceOf(ReplyError); // the raw slot; the queued promise has the typed error
    expect((await nodes).rows.map((r) => r.p)).toEqual([
      new Node(0, ['P'], { n: 1 }),
      new Node(1, ['P'], { n: 2 }),
    ]);
    await expect(bad).rejects.toBeInstanceOf(GraphSyntaxError);
    expect((await count).rows).toEqual([{ c: 1 }]);
    // The graph is recreated elsewhere: the queued query meets a version mismatch, and is re-sent.
    await using other = await createClient({ port: server.port }).connect();
    await other.sendCommand(['GRAPH.DELETE', 'piped']);
    await other.sendCommand(['GRAPH.QUERY', 'piped', "CREATE (:Q {m: 'x'}), (:P {n: 3})"]);
    const again = client.pipeline();
    const fresh = g.queue<{ p: Node }>(again, 'MATCH (p:P) RETURN p');
    await again.exec();
    expect((await fresh).rows.map((r) => r.p)).toEqual([new Node(1, ['P'], { n: 3 })]);
  });
});

describe('names fetched with their version', () => {
  it('a refresh for new ids, then the graph deleted (and recreated) elsewhere: the check still catches it', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    await using other = await createClient({ port: server.port }).connect();
    const db = falkordb(client);
    // Recreated with its first names: the server is back at a version the handle had seen.
    await other.sendCommand(['GRAPH.QUERY', 'a', 'CREATE (:Base {k: 1})']);
    const a = db.graph('a');
    await a.query('MATCH (n) RETURN n');
    await a.query('CREATE (n:X {x: 1}) RETURN n'); // new ids: names refreshed (their version kept old)
    await other.sendCommand(['GRAPH.DELETE', 'a']);
    await other.sendCommand(['GRAPH.QUERY', 'a', 'CREATE (:Base {k: 1})']);
    const recreated = (await a.query<{ n: Node }>('CREATE (n:Y {y: 2}) RETURN n')).rows[0]!.n;
    expect([recreated.labels, recreated.properties]).toEqual([['Y'], { y: 2 }]); // was ['X'], { x: 2 }
    // Only deleted: a new graph is at version 0, which a handle that never knew one sent.
    const b = db.graph('b');
    await b.query('CREATE (n:X {x: 1}) RETURN n');
    await other.sendCommand(['GRAPH.DELETE', 'b']);
    const fresh = (await b.query<{ n: Node }>('CREATE (n:Y {y: 2}) RETURN n')).rows[0]!.n;
    expect([fresh.labels, fresh.properties]).toEqual([['Y'], { y: 2 }]);
  });
});

describe('schema changes the version does not reveal', () => {
  it('a graph replaced by GRAPH.COPY elsewhere: names go wrong (known gap) until g.clearSchema()', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    await using other = await createClient({ port: server.port }).connect();
    await other.sendCommand(['GRAPH.QUERY', 'src1', 'CREATE (:Person {p: 1}), (:City {p: 2})']);
    await other.sendCommand(['GRAPH.QUERY', 'src2', 'CREATE (:City {p: 1}), (:Person {p: 2})']);
    await other.sendCommand(['GRAPH.COPY', 'src1', 'g']);
    const g = falkordb(client).graph('g');
    const labels = async () =>
      (await g.query('MATCH (n) RETURN n ORDER BY n.p')).rows.map((r) => (r.n as Node).labels[0]);
    expect(await labels()).toEqual(['Person', 'City']);
    await other.sendCommand(['GRAPH.DELETE', 'g']);
    await other.sendCommand(['GRAPH.COPY', 'src2', 'g']);
    // The copy's version is computed from its property keys: the same; its label ids differ. This
    // asserts the gap the README lists: if FalkorDB starts revealing it, this line tells us.
    expect(await labels()).toEqual(['Person', 'City']);
    g.clearSchema();
    expect(await labels()).toEqual(['City', 'Person']);
  });
});

describe('schema changes under load', () => {
  it('timeoutMs is one deadline over the attempts and the schema refresh a version mismatch needs', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    await using busy = await createClient({ port: server.port }).connect();
    const g = falkordb(client).graph('deadline');
    await g.query('CREATE (:A {x: 1})');
    await g.query('MATCH (n) RETURN n'); // the handle knows the version and the names
    await busy.sendCommand(['GRAPH.QUERY', 'deadline', 'CREATE (:B {y: 2})']); // the schema grows elsewhere
    await busy.sendCommand(['GRAPH.QUERY', 'other', 'RETURN 1']);
    // Every worker thread busy: the refresh waits behind them (the mismatch is answered at once).
    const slow = 'UNWIND range(1, 12000000) AS x WITH x WHERE x % 7 = 0 RETURN count(x)';
    const hogs = [1, 2, 3, 4].map(() =>
      busy.isolated((s) => s.sendCommand(['GRAPH.RO_QUERY', 'other', slow])).catch(() => undefined),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    const outcome = await g.query('MATCH (n:A) RETURN n', { timeoutMs: 300 }).catch((e: unknown) => e);
    const took = Date.now() - started;
    expect(outcome).toBeInstanceOf(TimeoutError);
    expect(took).toBeLessThan(900); // waited for the refresh (seconds) before
    await Promise.all(hogs);
    // The handle is fine afterwards (the refresh it gave up on went on).
    expect((await g.query('MATCH (n:A) RETURN n.x AS x')).rows).toEqual([{ x: 1 }]);
  });

  it('pipelined queries re-sent after a version mismatch run in pipeline order', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    const g = falkordb(client).graph('order');
    await g.query('CREATE (:A {x: 0})');
    await g.query('MATCH (n) RETURN n'); // the version is known, the cache filled
    const pipe = client.pipeline();
    const queued = [
      g.queue(pipe, 'MATCH (n:A) SET n.fresh = 1'), // a new property key: the others mismatch
      // Slow, then fast: re-sent concurrently, the fast one ran first (x ended at 2).
      g.queue(pipe, 'UNWIND range(1, 2000000) AS r WITH max(r) AS m MATCH (n:A) SET n.x = 2 RETURN n.x AS x'),
      g.queue(pipe, 'MATCH (n:A) SET n.x = 3 RETURN n.x AS x'),
    ];
    const slots: unknown[] = await pipe.exec();
    const results = await Promise.all(queued);
    expect((await g.query('MATCH (n:A) RETURN n.x AS x')).rows).toEqual([{ x: 3 }]);
    // exec()'s slots: the first ran there (a result as query() gives it); the others did not
    // (was: their raw not-run replies, an empty success with internal fields).
    expect(slots[0]).toEqual({ columns: [], rows: [], stats: results[0]!.stats });
    expect(slots[1]).toBeInstanceOf(GraphResentError);
    expect(slots[2]).toBeInstanceOf(GraphResentError);
    expect((slots[2] as Error).message).toMatch(/not run in the pipeline/);
    expect(results[2]!.rows).toEqual([{ x: 3 }]);
  });

  it('a version mismatch never reuses a names fetch begun before it (graph recreated meanwhile)', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    await using other = await createClient({ port: server.port }).connect();
    // The names fetch's reply is held "in transit" until `open()`, as on a slow link.
    let open = () => {};
    let held = Promise.resolve();
    let fetched = () => {};
    const slow = new Proxy(client, {
      get(target, prop) {
        if (prop === 'sendCommand')
          return async (...args: Parameters<typeof client.sendCommand>) => {
            const reply = await target.sendCommand(...args);
            if (String(args[0][2]).includes('db.labels()')) {
              fetched();
              await held;
            }
            return reply;
          };
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const g = falkordb(slow as typeof client).graph('race');
    const b = falkordb(other).graph('race');
    await b.query('CREATE (:A {p: 1}), (:B {q: 2})');
    await g.query('MATCH (n) RETURN n');
    await b.query('CREATE (:C)'); // g's next query meets a version mismatch
    held = new Promise((resolve) => {
      open = resolve;
    });
    const ran = new Promise<void>((resolve) => {
      fetched = resolve;
    });
    const first = g.query<{ n: Node }>('MATCH (n) RETURN n ORDER BY id(n)');
    await ran; // the first refresh has read the names [A, B, C] on the server
    await b.delete(); // recreated elsewhere: the same names, other ids
    await b.query('CREATE (:B {q: 2}), (:A {p: 1}), (:C)');
    const second = g.query<{ n: Node }>('MATCH (n) RETURN n ORDER BY id(n)'); // mismatch again
    await new Promise((resolve) => setTimeout(resolve, 200));
    open();
    const truth = [
      ['B', { q: 2 }],
      ['A', { p: 1 }],
      ['C', {}],
    ];
    // `second` learned of the change after the fetch in flight began: it must not take its names.
    // `first` must not send the version `second` learned with the names of its own older fetch.
    // Both decoded [A {p: 2}, B {q: 1}, C] before.
    for (const result of [await first, await second])
      expect(result.rows.map((r) => [r.n.labels[0], r.n.properties])).toEqual(truth);
  });

  it('concurrent queries that each add a property key all succeed', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    const g = falkordb(client).graph('growing');
    await g.query('CREATE (:N)');
    await g.query('MATCH (n) RETURN n');
    // Each write changes the schema version under the others (they gave up after 3 retries).
    const writes = Array.from({ length: 12 }, (_, i) => g.query(`MATCH (n:N) SET n.k${i} = ${i} RETURN n`));
    const results = await Promise.allSettled(writes);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const { rows } = await g.query<{ n: Node }>('MATCH (n:N) RETURN n');
    expect(Object.keys(rows[0]!.n.properties).length).toBe(12);
  });

  it('a slow consumer makes the stream stop reading (the rest waits in the server), also while rows wait for names', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    await falkordb(client)
      .graph('bp')
      .query("UNWIND range(1, 200000) AS i CREATE (:Big {v: i, pad: '" + 'x'.repeat(120) + "'})");
    /** The server's output buffer for the connection running a graph query. */
    const pendingInServer = async (): Promise<number> => {
      const list = String(await client.sendCommand(['CLIENT', 'LIST']));
      const line = list.split('\n').find((l) => / cmd=graph\.(ro_)?query /i.test(l));
      return Number(/ omem=(\d+)/.exec(line ?? '')?.[1] ?? 0);
    };
    // A fresh cache without the version check: every row names ids the cache lacks.
    for (const db of [falkordb(client), falkordb(client, { versionCheck: false })]) {
      let count = 0;
      let inServer = 0;
      for await (const row of db.graph('bp').queryStream<{ n: Node }>('MATCH (n:Big) RETURN n')) {
        if (count++ === 0) {
          expect(row.n.labels).toEqual(['Big']);
          expect(row.n.properties.v).toBe(1);
          for (let i = 0; i < 40 && inServer === 0; i++) {
            await new Promise((resolve) => setTimeout(resolve, 50));
            inServer = await pendingInServer();
          }
        }
      }
      expect(count).toBe(200_000);
      expect(inServer).toBeGreaterThan(1_000_000);
    }
  }, 60_000);

  it('a stream whose later rows need names newer than a refresh already in flight still completes', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    // The schema query's reply reaches the add-on late (a big reply ahead of it would do the same):
    // a refresh in flight has read the names before later keys existed.
    const slow = Object.create(client) as typeof client;
    slow.sendCommand = ((argv: unknown[], ...rest: unknown[]) => {
      const sent = (client.sendCommand as (...a: unknown[]) => Promise<unknown>)(argv, ...rest);
      if (!String(argv[2]).includes('db.propertyKeys')) return sent;
      return sent.then((reply) => new Promise((resolve) => setTimeout(() => resolve(reply), 1500)));
    }) as typeof client.sendCommand;
    await server.call('GRAPH.QUERY', 'late', 'UNWIND range(0, 59999) AS i CREATE (:N {i: i})');
    const g = falkordb(slow, { versionCheck: false }).graph('late');
    await g.query('MATCH (n:N) RETURN n LIMIT 1'); // names: [i]
    await server.call('GRAPH.QUERY', 'late', 'MATCH (n:N) WHERE n.i < 40000 SET n.a = 1');
    const other = g.query('MATCH (n:N) WHERE n.a IS NOT NULL RETURN n LIMIT 1'); // refresh: [i, a]
    await new Promise((resolve) => setTimeout(resolve, 300)); // that refresh has run on the server
    await server.call('GRAPH.QUERY', 'late', 'MATCH (n:N) WHERE n.i >= 40000 SET n.b = 2');
    let count = 0;
    let last: Node | undefined;
    for await (const row of g.queryStream<{ n: Node }>('MATCH (n:N) RETURN n ORDER BY n.i')) {
      count++;
      last = row.n;
      if (count % 1000 === 0) await new Promise((resolve) => setTimeout(resolve, 1)); // a slow consumer
    }
    expect(count).toBe(60_000);
    expect(last!.properties).toEqual({ i: 59_999, b: 2 });
    expect((await other).rows).toHaveLength(1);
  }, 60_000);

  it('a stream whose rows wait for a schema refresh delivers all of them (150k rows)', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    const g = falkordb(client, { versionCheck: false }).graph('held');
    let count = 0;
    let last: Node | undefined;
    // A new label and key: every row names ids the cache lacks, and waits until the reply ends.
    for await (const row of g.queryStream<{ n: Node }>(
      'UNWIND range(1, 150000) AS i CREATE (n:Fresh {v: i}) RETURN n',
    )) {
      count++;
      last = row.n;
    }
    expect(count).toBe(150000);
    expect(last!.labels).toEqual(['Fresh']);
    expect(last!.properties).toEqual({ v: 150000 });
  }, 60_000);
});

describe('GRAPH.MEMORY USAGE over both protocols', () => {
  it('has the same shape over RESP2 and RESP3, nested per-label and per-type maps included', async () => {
    await using server = await startServer({ falkordb: true });
    const shapes: unknown[] = [];
    for (const protocol of [2, 3] as const) {
      await using client = await createClient({ port: server.port, protocol }).connect();
      const g = falkordb(client).graph('mem');
      await g.query("MERGE (:Person {name: 'a'})-[:R {w: 1}]->(:City)");
      const memory = await g.memoryUsage();
      expect(Object.getPrototypeOf(memory.amortized_node_attributes_by_label_sz_mb)).toBe(Object.prototype);
      expect(Object.keys(memory.amortized_node_attributes_by_label_sz_mb as object).sort()).toEqual([
        'City',
        'Person',
      ]);
      shapes.push(Object.keys(memory).sort());
    }
    expect(shapes[0]).toEqual(shapes[1]);
  });
});

describe('indexes and constraints', () => {
  it('range, full-text and vector indexes; unique and mandatory constraints', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    const g = falkordb(client).graph('schema');
    await g.query("CREATE (:User {email: 'a@x', bio: 'graph databases rock', emb: vecf32([1, 0, 0])})");
    const range = { kind: 'range', entity: 'node', label: 'User', properties: ['email'] } as const;
    expect((await g.createIndex(range)).indicesCreated).toBe(1);
    await expect(g.createIndex(range)).rejects.toThrow(/already indexed/);
    await g.createIndex({ kind: 'fulltext', entity: 'node', label: 'User', properties: ['bio'] });
    await g.createIndex({
      kind: 'vector',
      entity: 'node',
      label: 'User',
      properties: ['emb'],
      options: { dimension: 3, similarityFunction: 'euclidean' },
    });
    await g.createIndex({ kind: 'range', entity: 'relationship', label: 'FOLLOWS', properties: ['since'] });
    const indexes = await g.listIndexes();
    expect(indexes.map((i) => i.label).sort()).toEqual(['FOLLOWS', 'User']);
    const hits = await g.roQuery(
      "CALL db.idx.fulltext.queryNodes('User', 'databases') YIELD node RETURN node.email AS e",
    );
    expect(hits.rows).toEqual([{ e: 'a@x' }]);
    await g.createConstraint({ type: 'UNIQUE', entity: 'node', label: 'User', properties: ['email'] });
    await g.createConstraint({
      type: 'MANDATORY',
      entity: 'relationship',
      label: 'FOLLOWS',
      properties: ['since'],
    });
    let constraints: Record<string, unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      constraints = await g.listConstraints();
      if (constraints.every((c) => c.status === 'OPERATIONAL')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(constraints.map((c) => [c.type, c.label, c.status]).sort()).toEqual([
      ['MANDATORY', 'FOLLOWS', 'OPERATIONAL'],
      ['UNIQUE', 'User', 'OPERATIONAL'],
    ]);
    await expect(g.query("CREATE (:User {email: 'a@x'})")).rejects.toThrow(/unique constraint violation/);
    await g.dropConstraint({ type: 'UNIQUE', entity: 'node', label: 'User', properties: ['email'] });
    expect((await g.dropIndex(range)).indicesDeleted).toBe(1);
    await expect(g.createIndex({ ...range, label: 'x` ON (n.y) //' })).rejects.toThrow(/without backticks/);
    // A list option: full-text stop words (was sent as one quoted string, refused).
    await g.createIndex({
      kind: 'fulltext',
      entity: 'node',
      label: 'Doc',
      properties: ['text'],
      options: { stopwords: ['the', "it's"], language: 'english' },
    });
    const doc = (await g.listIndexes()).find((i) => i.label === 'Doc')!;
    expect([...(doc.stopwords as string[])].sort()).toEqual(["it's", 'the']);
    // Several properties: dropIndex undoes what createIndex made with the same spec.
    for (const kind of ['range', 'fulltext'] as const) {
      const spec = { kind, entity: 'node', label: 'Multi', properties: ['a', 'b'] } as const;
      await g.createIndex(spec);
      const dropped = await g.dropIndex(spec);
      expect(dropped.indicesDeleted, kind).toBeGreaterThanOrEqual(1);
      // Was [['Multi', ['b']]]: the second property's index stayed.
      expect(
        (await g.listIndexes()).filter((i) => i.label === 'Multi'),
        kind,
      ).toEqual([]);
    }
  });

  it('management replies have one shape over RESP2 and RESP3; their errors are graph errors', async () => {
    await using server = await startServer({ falkordb: true });
    for (const protocol of [3, 2] as const) {
      await using db = await FalkorDB.connect({ url: `falkor://127.0.0.1:${server.port}`, protocol });
      await db.udfLoad('mylib', "function twice(x) { return x * 2; } falkor.register('twice', twice);");
      expect(await db.udfList()).toEqual([{ library_name: 'mylib', functions: ['twice'] }]);
      expect((await db.udfList('mylib', { withCode: true }))[0]).toHaveProperty('library_code');
      await expect(
        db.udfLoad('mylib', "function twice(x) { return x; } falkor.register('twice', twice);"),
      ).rejects.toBeInstanceOf(GraphError);
      await db.udfDelete('mylib');
      await expect(db.udfDelete('mylib')).rejects.toBeInstanceOf(GraphError);
      expect(await db.configGet('CMD_INFO')).toEqual({ CMD_INFO: true });
      const all = await db.configGet('*');
      expect(typeof all.ASYNC_DELETE).toBe('boolean');
      expect(typeof all.CACHE_SIZE).toBe('number');
    }
  });

  it('a graph that does not exist: listings are empty, other commands throw GraphNotFoundError; bad options refused before sending', async () => {
    await using server = await startServer({ falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    const db = falkordb(client);
    const g = db.graph('never-created');
    expect(await g.listIndexes()).toEqual([]);
    expect(await g.listConstraints()).toEqual([]);
    expect(await g.slowLog()).toEqual([]);
    for (const call of [() => g.memoryUsage(), () => g.delete(), () => g.explain('MATCH (n) RETURN n')]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GraphNotFoundError);
      expect(err).toBeInstanceOf(GraphError);
      expect((err as Error).message).toMatch(/empty key/);
    }
    // Server errors of server-wide commands are graph errors too.
    await expect(db.configGet('NO_SUCH_FIELD')).rejects.toBeInstanceOf(GraphError);
    await expect(db.configSet('TIMEOUT', 'x' as never)).rejects.toBeInstanceOf(GraphError);
    // Refused before anything is sent (the server would misread them, or build the wrong thing).
    await expect(g.queryRaw('RETURN 1', { timeout: 1.5 })).rejects.toThrow(TypeError);
    await expect(g.queryRaw('RETURN 1', { timeout: -1 })).rejects.toThrow(/non-negative integer/);
    await expect(
      g.createConstraint({ type: 'UNIQUE', entity: 'edge' as never, label: 'L', properties: ['p'] }),
    ).rejects.toThrow(/'node' or 'relationship'/);
    expect(await client.exists('never-created')).toBe(0);
    expect((await g.queryRaw('RETURN 1', { timeout: 100 })).length).toBe(3);
  });
});

describe('Valkey 8 + FalkorDB', () => {
  it('the same queries and values', async () => {
    await using server = await startServer({ flavor: 'valkey8', falkordb: true });
    await using client = await createClient({ port: server.port }).connect();
    const g = falkordb(client).graph('v');
    await g.query("CREATE (:P {name: 'x', v: vecf32([1.5, 2])})");
    const { rows } = await g.roQuery<{ n: Node }>('MATCH (n:P) RETURN n');
    expect(rows[0]!.n.labels).toEqual(['P']);
    expect([...(rows[0]!.n.properties.v as Float32Array)]).toEqual([1.5, 2]);
  });
});

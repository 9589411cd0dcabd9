// FalkorDB read benchmark: @pyrsedis/falkordb vs the official `falkordb` client (falkordb-ts),
// raw GRAPH.RO_QUERY --compact through node-redis 6 and ioredis 6 (generic RESP decode only), and
// the wire floor (the same reply's bytes counted on a bare net.Socket, never parsed). Same server,
// same run, interleaved (the order rotates every repetition), medians.
//
// Run: npm run bench -w @pyrsedis/falkordb [-- --quick] [-- --nodes 1000000]
//   --quick         100k nodes, 3 repetitions (results/quick.json instead of results/latest.json)
//   --nodes N       graph size (default 1,000,000; quick 100,000); 2 :KNOWS edges per node
//   --reps N        timed repetitions per contender (default 7, quick 3; cases of 1M rows: 5)
//   --batch N       nodes (and edges) per UNWIND batch while loading (default 100,000)
//   --only a,b      case ids to run (see CASES)
//   --no-memory     skip the per-contender child processes that measure peak heap and RSS
//   --out NAME      results file name (default latest.json; quick.json with --quick)
// Node flags given to this process (e.g. --max-semi-space-size=64) apply to every contender,
// memory children included, and are recorded in the results.
//
// Per case and contender: end-to-end time; FalkorDB's own "Query internal execution time" from
// the reply's statistics (the server's share: execution only, excluding queueing and writing the
// reply); the client's share (end-to-end minus server, per run); rows/s; peak memory.
//
// Memory, and why in child processes: every contender's peak is measured in a fresh Node process
// (same flags) that connects, runs the case once to warm up (JIT, schema caches), gc()s, then runs
// it again while sampling process.memoryUsage() every millisecond, and once more when the result
// is complete and still referenced. Reported: peak heapUsed above the post-gc baseline (sampled:
// a lower bound, since a synchronous decode of a whole reply cannot be sampled inside) and the
// process's peak RSS (VmHWM: whole process, Buffers outside the heap included, over the warm-up and
// the measured run, which are the same work), next to its idle RSS with only this contender's
// client loaded and connected (45-95 MiB). In-process sampling would mix contenders: garbage one
// leaves behind is collected during the next one's run.
//
// The graph is loaded on every run (a fresh server each time; loading 1M nodes takes seconds, and
// its time is part of the report): nodes by UNWIND range() batches computed on the server (no
// parameters on the wire), then edges by NodeByIdSeek on internal ids. In a fresh graph the ids are
// allocated 0, 1, 2, ... in creation order, so `id` equals id(n); the loader verifies that.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureCase, median, percentile, printCase, writeResults } from '@pyrsedis/bench';
import { decode, encodeCommand, RespDecoder } from '@pyrsedis/resp';

// Clients are imported where they are opened, so that a memory child loads only its own, so that a memory child loads only its own.

const here = path.dirname(fileURLToPath(import.meta.url));
const thisFile = fileURLToPath(import.meta.url);
const require = createRequire(import.meta.url);
const gc = globalThis.gc ?? (() => {});

const GRAPH = 'social';
const OURS = 'pyrsedis';
const FLOOR = 'wire floor (bytes only)';
const DECODE_OURS = 'pyrsedis graph decoder';
const GENERIC_DECODE = 'pyrsedis/resp decode()';
const MIB = 2 ** 20;

/** The original pyrsedis (Rust/Python) headline, and what we found out about how it was measured. */
const ORIGINAL_HEADLINE = {
  claim: '~109M rows/sec (pyrsedis, Rust + PyO3) vs ~99M rows/sec (falkordb-py)',
  source:
    'github.com/piankma/pyrsedis docs/benchmarks.md ("Peak throughput") and docs/falkordb/queries.md; ' +
    'harness tests/python/test_benchmark.py',
  howMeasured:
    'Apple Silicon (M-series), Python 3.13, FalkorDB "latest" in Docker; graph of 2M :Person nodes ' +
    '{id, name, age, score} + 4M edges. The figure is the "Return 2M nodes (4 props)" row: 2,000,000 / ' +
    '18.3 ms. test_return_1m_nodes runs GRAPH.QUERY "MATCH (n:Person) RETURN n.id, n.name, n.age, ' +
    'n.score" (no LIMIT), 3 rounds, no warm-up, GC disabled, and computes rows/s as the constant ' +
    'GRAPH_NODES divided by the mean time: the rows actually returned are never counted.',
  assessment:
    'Not comparable with the rows/s here. The same table times 100k rows at 18.7 ms, 500k at 18.0 ms ' +
    'and 2M at 18.3 ms (time independent of row count); a 2M-row reply of this shape is ~2x the ' +
    '1M-row reply measured here (estimated2MRowReplyMB), which no client receives, let alone ' +
    'decodes, in 18 ms. Most likely the reply held far fewer rows than 2M (an error, timeout or capped result); ' +
    'unverified, since the original run cannot be reproduced here (no Docker).',
};

// ---------------------------------------------------------------------------------------------
// Options

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}

function positiveInteger(name, fallback) {
  const value = Number(option(name, fallback));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Cases

/** The same cases in the parent and in the memory children (they only get the id and the size). */
function makeCases(nodes) {
  const big = Math.min(1_000_000, nodes);
  const limit = Math.min(100_000, nodes);
  const k = (n) =>
    n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1e3 ? `${Math.round(n / 1e3)}k` : `${n}`;
  const cases = [
    {
      id: 'scalars-100k',
      name: `${k(limit)} rows × 4 scalars`,
      query: `MATCH (n:Person) RETURN n.id, n.name, n.age, n.score LIMIT ${limit}`,
      rows: limit,
    },
    {
      id: 'scalars-1m',
      name: `${k(big)} rows × 4 scalars`,
      query: `MATCH (n:Person) RETURN n.id, n.name, n.age, n.score LIMIT ${big}`,
      rows: big,
      big: true,
    },
    {
      id: 'nodes-100k',
      name: `${k(limit)} full nodes`,
      query: `MATCH (n:Person) RETURN n LIMIT ${limit}`,
      rows: limit,
    },
    {
      id: 'edges-100k',
      name: `${k(limit)} full edges`,
      query: `MATCH ()-[r:KNOWS]->() RETURN r LIMIT ${limit}`,
      rows: limit,
    },
    {
      id: 'traversal-100k',
      name: `edge traversal ${k(limit)} (a.id, r.weight, b.id)`,
      query: `MATCH (a:Person)-[r:KNOWS]->(b:Person) RETURN a.id, r.weight, b.id LIMIT ${limit}`,
      rows: limit,
    },
    {
      id: 'two-hop-100k',
      name: `2-hop ${k(limit)} (a.id, c.id)`,
      query: `MATCH (a:Person)-[:KNOWS]->()-[:KNOWS]->(c) RETURN a.id, c.id LIMIT ${limit}`,
      rows: limit,
    },
    {
      id: 'unwind-1m',
      name: `${k(big)}-row UNWIND scalar`,
      query: `UNWIND range(1, ${big}) AS x RETURN x`,
      rows: big,
      big: true,
    },
  ];
  // On a graph of <= 100k nodes the "1M rows" case is the 100k case again.
  return big === limit ? cases.filter((c) => c.id !== 'scalars-1m') : cases;
}

// ---------------------------------------------------------------------------------------------
// Contenders: each `open(port)` resolves to { run(spec) -> { rows, serverMs }, close() }.

const EXECUTION_TIME = /Query internal execution time: ([\d.]+) milliseconds/;

/** FalkorDB's own execution time from the statistics strings (or from the tail of the bytes). */
function serverMsOf(stats) {
  for (const line of stats ?? []) {
    const match = EXECUTION_TIME.exec(String(line));
    if (match) return Number(match[1]);
  }
  return Number.NaN;
}

function packageVersion(name, from = require) {
  return from(`${name}/package.json`).version;
}

/** Our graph API if it has landed in packages/falkordb/dist, else why it is skipped (no fake numbers). */
async function probeOurs() {
  try {
    const mod = await import('@pyrsedis/falkordb');
    if (typeof mod.falkordb !== 'function')
      return '`falkordb` is not exported from @pyrsedis/falkordb (dist) yet: skipped';
  } catch (error) {
    return `@pyrsedis/falkordb did not load (${error.message}): skipped`;
  }
  return undefined;
}

const rawArgv = (spec) => ['GRAPH.RO_QUERY', GRAPH, spec.query, '--compact'];

function rawResult(reply) {
  // [header, rows, statistics]
  return { rows: reply[1].length, serverMs: serverMsOf(reply[2]) };
}

/** name -> { kind, shape, open, probe? } in the order they are listed (ours first). */
function contenderTable() {
  const falkorVersion = packageVersion('falkordb');
  const nodeRedisVersion = packageVersion('redis');
  const ioredisVersion = packageVersion('ioredis');
  return {
    [OURS]: {
      kind: 'ours',
      shape: 'row objects',
      probe: probeOurs,
      open: async (port) => {
        const { createClient } = await import('@pyrsedis/client');
        const { falkordb } = await import('@pyrsedis/falkordb');
        const client = await createClient({ port }).connect();
        const db = falkordb(client);
        const g = db.graph(GRAPH);
        return {
          run: async (spec) => {
            const res = await g.roQuery(spec.query);
            return { rows: res.rows.length, serverMs: res.stats.executionTimeMs };
          },
          close: () => client.close(),
        };
      },
    },
    [`falkordb-ts ${falkorVersion}`]: {
      kind: 'peer',
      shape: 'row objects',
      open: async (port) => {
        const { FalkorDB } = await import('falkordb');
        const db = await FalkorDB.connect({ socket: { host: '127.0.0.1', port } });
        const g = db.selectGraph(GRAPH);
        return {
          run: async (spec) => {
            const res = await g.roQuery(spec.query);
            return { rows: res.data.length, serverMs: serverMsOf(res.metadata) };
          },
          close: () => db.close(),
        };
      },
    },
    [`node-redis ${nodeRedisVersion} (raw)`]: {
      kind: 'peer',
      shape: 'nested arrays',
      open: async (port) => {
        const { createClient: createNodeRedis } = await import('redis');
        const client = await createNodeRedis({ socket: { host: '127.0.0.1', port } }).connect();
        return {
          run: async (spec) => rawResult(await client.sendCommand(rawArgv(spec))),
          close: () => client.quit(),
        };
      },
    },
    [`ioredis ${ioredisVersion} (raw)`]: {
      kind: 'peer',
      shape: 'nested arrays',
      open: async (port) => {
        const { default: Redis } = await import('ioredis');
        const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
        await client.connect();
        return {
          run: async (spec) => rawResult(await client.call(...rawArgv(spec))),
          close: () => client.quit(),
        };
      },
    },
    // Our client's generic decode of the same command: separates our graph decoder from transport.
    [`${OURS} client (raw, generic)`]: {
      kind: 'reference',
      shape: 'nested arrays',
      open: async (port) => {
        const { createClient } = await import('@pyrsedis/client');
        const client = await createClient({ port }).connect();
        return {
          run: async (spec) => rawResult(await client.sendCommand(rawArgv(spec))),
          close: () => client.close(),
        };
      },
    },
    [FLOOR]: { kind: 'reference', shape: 'bytes', open: openFloor },
  };
}

// ---------------------------------------------------------------------------------------------
// The wire floor and the byte capture: bare sockets, RESP2 (no HELLO), nothing parsed.

const DONE = Buffer.from(' milliseconds\r\n');
// The execution-time line varies by a few digits between runs, so the reply's size is known only
// to within this many bytes; the floor waits for at least (captured size - SLACK) bytes that end
// with the statistics' last line. Rows always precede the statistics, so this cannot end early.
const SLACK = 16;

async function connectSocket(port) {
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
  await once(socket, 'connect');
  return socket;
}

async function openFloor(port) {
  const socket = await connectSocket(port);
  let onData = () => {};
  socket.on('data', (chunk) => onData(chunk));
  return {
    run: (spec) =>
      new Promise((resolve, reject) => {
        let received = 0;
        let tail = Buffer.alloc(0);
        onData = (chunk) => {
          received += chunk.length;
          tail = chunk.length >= 128 ? chunk : Buffer.concat([tail, chunk]).subarray(-128);
          if (received >= spec.bytes - SLACK && endsWith(tail, DONE)) {
            onData = () => {};
            if (received > spec.bytes + SLACK)
              reject(new Error(`floor: ${received} bytes, expected ${spec.bytes}`));
            const text = tail.subarray(-80).toString('latin1');
            resolve({ rows: spec.rows, serverMs: serverMsOf([text]), bytes: received });
          }
        };
        socket.write(spec.command);
      }),
    close: () => socket.end(),
  };
}

function endsWith(buffer, suffix) {
  if (buffer.length < suffix.length) return false;
  return buffer.compare(suffix, 0, suffix.length, buffer.length - suffix.length) === 0;
}

/** One reply's exact bytes (complete when it ends with the statistics and decodes). */
async function captureReply(port, argv) {
  const socket = await connectSocket(port);
  const chunks = [];
  let size = 0;
  try {
    return await new Promise((resolve, reject) => {
      socket.on('error', reject);
      socket.on('data', (chunk) => {
        chunks.push(chunk);
        size += chunk.length;
        if (chunks[0][0] === 0x2d /* '-' */ && endsWith(chunk, Buffer.from('\r\n')))
          return reject(new Error(Buffer.concat(chunks).toString().trim()));
        if (!endsWith(chunk.length >= DONE.length ? chunk : Buffer.concat(chunks).subarray(-64), DONE))
          return;
        const bytes = Buffer.concat(chunks, size);
        try {
          resolve({ bytes, reply: decode(bytes) });
        } catch {} // incomplete: a row value happened to end the same way; keep reading
      });
      socket.write(encodeCommand(argv));
    });
  } finally {
    socket.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding the captured bytes in-process, without a socket: the peers' own decode paths.

async function decodeAloneContenders(falkorMetadata) {
  const { Graph: FalkorGraph } = await import('falkordb');
  const fromFalkor = createRequire(require.resolve('falkordb'));
  const redis5Dir = path.dirname(fromFalkor.resolve('@redis/client/package.json'));
  const redis5Version = fromFalkor('@redis/client/package.json').version;
  const { Decoder: Redis5Decoder } = fromFalkor(path.join(redis5Dir, 'dist/lib/RESP/decoder.js'));
  const queryModule = fromFalkor(
    path.join(path.dirname(fromFalkor.resolve('falkordb')), 'src/commands/QUERY.js'),
  );
  const redis6Dir = path.dirname(require.resolve('@redis/client/package.json'));
  const { Decoder: Redis6Decoder } = require(path.join(redis6Dir, 'dist/lib/RESP/decoder.js'));
  const ioredisDir = path.dirname(require.resolve('ioredis/package.json'));
  const { Decoder: IoredisDecoder } = require(path.join(ioredisDir, 'built/resp/decoder.js'));
  const { convertBufferToString } = require(path.join(ioredisDir, 'built/utils/index.js'));

  /** A node-redis-style decoder run over one buffer; node-redis in RESP2 maps nothing. */
  const decodeWith = (Decoder, typeMapping) => (bytes) => {
    let reply;
    const decoder = new Decoder({
      onReply: (value) => {
        reply = value;
      },
      onErrorReply: (error) => {
        throw error;
      },
      onPush: () => {},
      getTypeMapping: () => typeMapping,
    });
    decoder.write(bytes);
    return reply;
  };
  const redis5 = decodeWith(Redis5Decoder, {});
  const redis6 = decodeWith(Redis6Decoder, {});
  // ioredis 6 (its module-private legacyTypeMapping in DataHandler.js, rebuilt here): every
  // string type as a Buffer, then `call`
  // converts the whole reply to strings (Command#transformReply -> convertBufferToString).
  const T = {
    SIMPLE_STRING: 43,
    BLOB_STRING: 36,
    VERBATIM_STRING: 61,
    BIG_NUMBER: 40,
    DOUBLE: 44,
    BOOLEAN: 35,
    MAP: 37,
    SET: 126,
  };
  const ioredis = decodeWith(IoredisDecoder, {
    [T.SIMPLE_STRING]: Buffer,
    [T.BLOB_STRING]: Buffer,
    [T.VERBATIM_STRING]: Buffer,
    [T.BIG_NUMBER]: String,
    [T.DOUBLE]: Buffer,
    [T.BOOLEAN]: Number,
    [T.MAP]: Array,
    [T.SET]: Array,
  });

  // falkordb-ts: node-redis decodes the whole reply, QUERY.transformReply splits it, and
  // Graph#parseReply (private) walks it again. A Graph over a stand-in client reaches that path:
  // the stand-in "returns" the decoded bytes; the schema queries are answered from the captured
  // labels/types/keys once (the Graph caches them, as it does against a server).
  let current;
  const standIn = {
    roQuery: async (_graph, query) => {
      if (query.startsWith('CALL db.')) return falkorMetadata[query];
      return queryModule.transformReply(redis5(current));
    },
  };
  const falkorGraph = new FalkorGraph(standIn, GRAPH);

  const paths = {};
  const decoders = {};
  // Ours: the graph decoder as the client runs it, planned into the streaming RESP decoder for the
  // reply, given the schema names the client would have cached. (Its export is still settling: a
  // byte-level CompactParser or a structural CompactReader; either is a ReplyPlan.)
  try {
    const mod = await import('@pyrsedis/falkordb');
    const Reader = mod.CompactParser ?? mod.CompactReader;
    if (typeof Reader !== 'function') throw new Error('neither CompactParser nor CompactReader is exported');
    const data = (call) => falkorMetadata[call].data.map(([name]) => name);
    const names = {
      labels: data('CALL db.labels()'),
      relationshipTypes: data('CALL db.relationshipTypes()'),
      propertyKeys: data('CALL db.propertyKeys()'),
    };
    decoders[DECODE_OURS] = (bytes) => {
      let reply;
      const decoder = new RespDecoder({
        onReply: (value) => {
          reply = value;
        },
        planReply: () => new Reader(names),
      });
      decoder.feed(bytes);
      if (reply instanceof Error) throw reply;
      return reply.rows.length;
    };
    paths[DECODE_OURS] =
      `@pyrsedis/resp RespDecoder + @pyrsedis/falkordb ${Reader.name} (one pass, row objects)`;
  } catch (error) {
    paths[DECODE_OURS] = `n/a: ${error.message}`;
  }
  decoders[GENERIC_DECODE] = (bytes) => decode(bytes)[1].length;
  paths[GENERIC_DECODE] = '@pyrsedis/resp decode(), generic (nested arrays)';
  const official = `falkordb-ts ${packageVersion('falkordb')} path`;
  decoders[official] = async (bytes) => {
    current = bytes;
    const res = await falkorGraph.roQuery('bench');
    current = undefined;
    return res.data.length;
  };
  paths[official] =
    `node-redis ${redis5Version} Decoder (falkordb-ts's own copy) + QUERY.transformReply + Graph#parseReply (row objects)`;
  const nodeRedis = `node-redis ${packageVersion('redis')} decoder`;
  decoders[nodeRedis] = (bytes) => redis6(bytes)[1].length;
  paths[nodeRedis] = 'its RESP Decoder, RESP2 type mapping {} (nested arrays)';
  const io = `ioredis ${packageVersion('ioredis')} dec+strings`;
  decoders[io] = (bytes) => convertBufferToString(ioredis(bytes), 'utf8')[1].length;
  paths[io] = 'its RESP Decoder with Buffers for strings, then convertBufferToString as `call` does';
  return { decoders, paths };
}

// ---------------------------------------------------------------------------------------------
// Loading the graph

async function loadGraph(port, nodes, batch) {
  const { createClient } = await import('@pyrsedis/client');
  const client = await createClient({ port }).connect();
  const query = (cypher) => client.sendCommand(['GRAPH.QUERY', GRAPH, cypher, '--compact']);
  const started = performance.now();
  for (let from = 0; from < nodes; from += batch) {
    const to = Math.min(nodes, from + batch) - 1;
    // score: 15 significant digits like most real doubles (FalkorDB sends %.15g text).
    await query(
      `UNWIND range(${from}, ${to}) AS i CREATE (:Person {id: i, name: 'person-' + toString(i), ` +
        `age: i % 80, score: toFloat((i * 7919) % 10007) / 10007.0})`,
    );
  }
  const nodesMs = performance.now() - started;
  const mismatched = await query('MATCH (n:Person) WHERE id(n) <> n.id RETURN count(n)');
  if (mismatched[1][0][0][1] !== 0) throw new Error('node ids are not 0..n-1: the edge loader needs them');
  const edgesStarted = performance.now();
  for (const [multiplier, offset] of [
    [7, 13],
    [31, 97],
  ]) {
    for (let from = 0; from < nodes; from += batch) {
      const to = Math.min(nodes, from + batch) - 1;
      // WITH before the second MATCH: the planner then seeks b by id instead of scanning all nodes.
      await query(
        `UNWIND range(${from}, ${to}) AS i MATCH (a) WHERE id(a) = i ` +
          `WITH a, (i * ${multiplier} + ${offset}) % ${nodes} AS j, toFloat(i % 100) / 100.0 AS w ` +
          'MATCH (b) WHERE id(b) = j CREATE (a)-[:KNOWS {weight: w}]->(b)',
      );
    }
  }
  const edgesMs = performance.now() - edgesStarted;
  const totalMs = performance.now() - started;
  const counted = await query('MATCH (n:Person) RETURN count(n)');
  const edgeCount = await query('MATCH ()-[r:KNOWS]->() RETURN count(r)');
  const memory = String(await client.sendCommand(['INFO', 'memory']));
  await client.close();
  const nodeTotal = counted[1][0][0][1];
  const edgeTotal = edgeCount[1][0][0][1];
  if (nodeTotal !== nodes || edgeTotal !== 2 * nodes)
    throw new Error(`loaded ${nodeTotal} nodes / ${edgeTotal} edges, expected ${nodes} / ${2 * nodes}`);
  return {
    nodes: nodeTotal,
    edges: edgeTotal,
    batch,
    nodesMs: round(nodesMs),
    edgesMs: round(edgesMs),
    totalMs: round(totalMs),
    nodesPerSec: Math.round(nodes / (nodesMs / 1000)),
    edgesPerSec: Math.round((2 * nodes) / (edgesMs / 1000)),
    serverUsedMemory: /used_memory_human:(\S+)/.exec(memory)?.[1],
  };
}

// ---------------------------------------------------------------------------------------------
// Measuring

function round(x) {
  return Math.round(x * 1000) / 1000;
}

/**
 * Like the shared harness's measureCase, but each run also reports the server's execution time,
 * so the client's share is taken per run (end-to-end minus server) before the median.
 */
async function measure(spec, contenders, { reps, warmup }) {
  const names = Object.keys(contenders);
  const failed = {};
  for (const name of names) {
    try {
      const first = await contenders[name](spec);
      if (first.rows !== spec.rows) throw new Error(`${first.rows} rows, expected ${spec.rows}`);
      for (let w = 1; w < warmup; w++) await contenders[name](spec);
    } catch (error) {
      failed[name] = `failed: ${error.message}`;
    }
  }
  const live = names.filter((n) => !failed[n]);
  const samples = Object.fromEntries(live.map((n) => [n, { e2e: [], server: [], client: [] }]));
  for (let r = 0; r < reps; r++) {
    const order = live.map((_, i) => live[(i + r) % live.length]);
    for (const name of order) {
      gc();
      const start = process.hrtime.bigint();
      const result = await contenders[name](spec);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      samples[name].e2e.push(ms);
      samples[name].server.push(result.serverMs);
      samples[name].client.push(ms - result.serverMs);
    }
  }
  const out = {};
  for (const name of live) {
    const s = samples[name];
    const ms = median(s.e2e);
    out[name] = {
      medianMs: round(ms),
      p90Ms: round(percentile(s.e2e, 90)),
      minMs: round(Math.min(...s.e2e)),
      serverMs: round(median(s.server)),
      clientMs: round(median(s.client)),
      rowsPerSec: Math.round(spec.rows / (ms / 1000)),
      elementsPerSec: Math.round(spec.rows / (ms / 1000)),
      mbPerSec: round(spec.bytes / 1e6 / (ms / 1000)),
    };
  }
  return { contenders: out, failed };
}

function summarize(spec, measured, table, notAvailable) {
  const medians = Object.fromEntries(Object.entries(measured).map(([n, c]) => [n, c.medianMs]));
  const peers = Object.keys(measured).filter((n) => table[n]?.kind === 'peer');
  const bestPeer = peers.length ? peers.reduce((a, b) => (medians[a] <= medians[b] ? a : b)) : undefined;
  const official = peers.find((n) => n.startsWith('falkordb-ts'));
  const ours = medians[OURS];
  // FalkorDB's execution time excludes formatting and writing the reply, which on this machine is
  // most of the floor's time: e2e minus the floor's e2e is the fairer "client's own cost".
  const floor = medians[FLOOR];
  if (floor !== undefined) for (const c of Object.values(measured)) c.overFloorMs = round(c.medianMs - floor);
  return {
    id: spec.id,
    name: spec.name,
    query: spec.query,
    rows: spec.rows,
    bytes: spec.bytes,
    elements: spec.rows,
    reps: spec.reps,
    contenders: measured,
    shapes: Object.fromEntries(Object.keys(measured).map((n) => [n, table[n]?.shape])),
    bestPeer,
    // > 1: we are faster than the best peer by this factor (peers returning arrays do less work).
    speedupVsBestPeer: bestPeer && ours ? round(medians[bestPeer] / ours) : undefined,
    speedupVsOfficial: official && ours ? round(medians[official] / ours) : undefined,
    // 1 = as fast as receiving the bytes unparsed.
    ratioToFloor: ours && medians[FLOOR] ? round(ours / medians[FLOOR]) : undefined,
    references: Object.keys(measured).filter((n) => table[n]?.kind === 'reference'),
    notAvailable: Object.keys(notAvailable).length ? notAvailable : undefined,
  };
}

const fmt = (x, width, digits = 1) =>
  (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(digits)).padStart(width);

function printResult(result) {
  const lines = [
    `\n${result.name}: ${result.query}`,
    `  ${result.rows.toLocaleString('en')} rows, reply ${(result.bytes / 1e6).toFixed(1)} MB, ` +
      `medians of ${result.reps}`,
    `  ${'contender'.padEnd(34)} ${'e2e ms'.padStart(9)} ${'p90'.padStart(8)} ${'server'.padStart(8)} ` +
      `${'client'.padStart(8)} ${'>floor'.padStart(8)} ${'M rows/s'.padStart(9)} ${'heap MiB'.padStart(9)} ${'RSS MiB'.padStart(8)}`,
  ];
  for (const [name, c] of Object.entries(result.contenders)) {
    lines.push(
      `  ${name.padEnd(34)} ${fmt(c.medianMs, 9)} ${fmt(c.p90Ms, 8)} ${fmt(c.serverMs, 8)} ${fmt(c.clientMs, 8)} ${fmt(c.overFloorMs, 8)} ` +
        `${fmt(c.rowsPerSec / 1e6, 9, 2)} ${fmt(c.peakHeapMiB, 9, 0)} ${fmt(c.peakRssMiB, 8, 0)}`,
    );
  }
  for (const [name, reason] of Object.entries(result.notAvailable ?? {}))
    lines.push(`  ${name.padEnd(34)} n/a (${reason})`);
  const parts = [];
  if (result.bestPeer) parts.push(`best peer: ${result.bestPeer}`);
  if (result.speedupVsBestPeer !== undefined) parts.push(`ours ${result.speedupVsBestPeer.toFixed(2)}x it`);
  if (result.speedupVsOfficial !== undefined)
    parts.push(`${result.speedupVsOfficial.toFixed(2)}x falkordb-ts`);
  if (result.ratioToFloor !== undefined) parts.push(`${result.ratioToFloor.toFixed(2)}x the wire floor`);
  if (parts.length) lines.push(`  → ${parts.join(', ')}`);
  console.log(lines.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// Memory: one child process per case and contender

async function childMain(job) {
  const entry = contenderTable()[job.contender];
  const spec = makeCases(job.nodes).find((c) => c.id === job.caseId);
  spec.bytes = job.bytes;
  spec.command = encodeCommand(rawArgv(spec));
  const contender = await entry.open(job.port);
  const idleRss = process.memoryUsage().rss;
  await contender.run(spec); // warm-up: JIT, schema caches, socket buffers
  gc();
  gc();
  const base = process.memoryUsage();
  let peakHeap = base.heapUsed;
  let peakRss = base.rss;
  const sample = () => {
    const m = process.memoryUsage();
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
    if (m.rss > peakRss) peakRss = m.rss;
  };
  const timer = setInterval(sample, 1);
  const result = await contender.run(spec);
  sample(); // the result is complete and still referenced here
  clearInterval(timer);
  const rows = result.rows;
  await contender.close();
  process.stdout.write(
    `${JSON.stringify({
      rows,
      peakHeapMiB: round((peakHeap - base.heapUsed) / MIB),
      baseHeapMiB: round(base.heapUsed / MIB),
      sampledPeakRssMiB: round(peakRss / MIB),
      peakRssMiB: round((peakRssBytes() ?? peakRss) / MIB),
      baseRssMiB: round(idleRss / MIB),
    })}\n`,
  );
}

/**
 * The process's peak RSS: VmHWM, which starts afresh with the child's own address space.
 * (getrusage's maxRSS does not: Linux carries it across fork + exec, so a child would report the
 * parent's peak.) Undefined off Linux; the sampled peak is used then.
 */
function peakRssBytes() {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function runChild(job) {
  const flags = [...new Set(['--expose-gc', ...process.execArgv])];
  const child = spawn(process.execPath, [...flags, thisFile, '--child', JSON.stringify(job)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`memory child exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop());
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const quick = process.argv.includes('--quick');
  const nodes = positiveInteger('nodes', quick ? 100_000 : 1_000_000);
  const reps = positiveInteger('reps', quick ? 3 : 7);
  const batch = positiveInteger('batch', 100_000);
  const only = option('only', '').split(',').filter(Boolean);
  const memory = !process.argv.includes('--no-memory');
  const WARMUP = 3;

  const { startServer } = await import('@pyrsedis/test-server');
  const server = await startServer({ falkordb: true, startTimeoutMs: 60_000 });
  const port = server.port;
  const modules = await server.call('MODULE', 'LIST');
  const graphModule = modules.find((m) => m.includes('graph'));
  const moduleVersion = graphModule?.[graphModule.indexOf('ver') + 1];
  const serverName = `redis ${server.version} + FalkorDB module ${moduleVersion}`;
  console.log(`${serverName} on 127.0.0.1:${port}; Node ${process.version}`);

  console.log(
    `loading ${nodes.toLocaleString('en')} :Person nodes + ${(2 * nodes).toLocaleString('en')} :KNOWS edges…`,
  );
  const load = await loadGraph(port, nodes, batch);
  console.log(
    `  nodes ${(load.nodesMs / 1000).toFixed(1)} s (${(load.nodesPerSec / 1e3).toFixed(0)}k/s), ` +
      `edges ${(load.edgesMs / 1000).toFixed(1)} s (${(load.edgesPerSec / 1e3).toFixed(0)}k/s), ` +
      `total ${(load.totalMs / 1000).toFixed(1)} s; server used_memory ${load.serverUsedMemory}`,
  );

  const cases = makeCases(nodes).filter((c) => !only.length || only.includes(c.id));
  if (!cases.length) throw new Error(`--only matched no case: ${only.join(', ')}`);
  for (const spec of cases) {
    const captured = await captureReply(port, rawArgv(spec));
    spec.captured = captured.bytes;
    spec.bytes = captured.bytes.length;
    spec.command = encodeCommand(rawArgv(spec));
    spec.reps = spec.big && !quick ? Math.min(reps, 5) : reps;
    if (captured.reply[1].length !== spec.rows)
      throw new Error(`${spec.id}: ${captured.reply[1].length} rows, expected ${spec.rows}`);
  }

  const table = contenderTable();
  const opened = {};
  const notAvailable = {};
  for (const [name, entry] of Object.entries(table)) {
    const unavailable = await entry.probe?.();
    if (unavailable) {
      notAvailable[name] = unavailable;
      console.log(`note: ${name}: ${unavailable}`);
      continue;
    }
    try {
      opened[name] = await entry.open(port);
    } catch (error) {
      notAvailable[name] = `failed to connect: ${error.message}`;
    }
  }

  const results = [];
  for (const spec of cases) {
    const contenders = Object.fromEntries(Object.entries(opened).map(([n, c]) => [n, (s) => c.run(s)]));
    const { contenders: measured, failed } = await measure(spec, contenders, {
      reps: spec.reps,
      warmup: spec.big ? 2 : WARMUP,
    });
    const unavailable = { ...notAvailable, ...failed };
    if (memory) {
      for (const name of Object.keys(measured)) {
        try {
          const m = await runChild({ port, nodes, caseId: spec.id, contender: name, bytes: spec.bytes });
          Object.assign(measured[name], {
            peakHeapMiB: m.peakHeapMiB,
            peakRssMiB: m.peakRssMiB,
            baseRssMiB: m.baseRssMiB,
          });
        } catch (error) {
          measured[name].memoryError = error.message;
        }
      }
    }
    const result = summarize(spec, measured, table, unavailable);
    printResult(result);
    results.push(result);
  }
  for (const c of Object.values(opened)) await c.close();

  // Decode alone: the captured bytes of each case, decoded in-process by each path (one buffer,
  // no socket): separates decoding from transfer.
  const { createClient: createNodeRedis } = await import('redis');
  const metadataClient = await createNodeRedis({ socket: { host: '127.0.0.1', port } }).connect();
  const { transformReply } = createRequire(require.resolve('falkordb'))(
    path.join(path.dirname(require.resolve('falkordb')), 'src/commands/QUERY.js'),
  );
  const falkorMetadata = {};
  for (const call of ['CALL db.labels()', 'CALL db.relationshipTypes()', 'CALL db.propertyKeys()'])
    falkorMetadata[call] = transformReply(await metadataClient.sendCommand(['GRAPH.RO_QUERY', GRAPH, call]));
  await metadataClient.quit();
  const { decoders, paths } = await decodeAloneContenders(falkorMetadata);
  console.log('\n--- decode alone: the same captured bytes, one Buffer, in-process ---');
  for (const [name, what] of Object.entries(paths)) console.log(`  ${name}: ${what}`);
  const decodeAlone = [];
  for (const spec of cases) {
    const bytes = spec.captured;
    const usable = { ...decoders };
    const skipped = {};
    if (usable[DECODE_OURS]) {
      // Ours is work in progress: a wrong answer is reported, not allowed to stop the run.
      try {
        const rows = usable[DECODE_OURS](bytes);
        if (rows !== spec.rows) throw new Error(`${rows} rows, expected ${spec.rows}`);
      } catch (error) {
        skipped[DECODE_OURS] = `failed: ${error.message}`;
        delete usable[DECODE_OURS];
        console.log(`  ${DECODE_OURS}: ${skipped[DECODE_OURS]}`);
      }
    }
    const oursDecode = usable[DECODE_OURS] ? DECODE_OURS : GENERIC_DECODE;
    const contenders = Object.fromEntries(Object.entries(usable).map(([n, fn]) => [n, () => fn(bytes)]));
    const result = await measureCase({
      name: `decode alone: ${spec.name} (${(bytes.length / 1e6).toFixed(1)} MB)`,
      contenders,
      ours: oursDecode,
      bytes: bytes.length,
      elements: spec.rows,
      reps: spec.reps,
      warmup: spec.big ? 2 : WARMUP,
      check: (name, rows) => {
        if (rows !== spec.rows) throw new Error(`${name}: ${rows} rows, expected ${spec.rows}`);
      },
    });
    // Our generic decoder is a reference here, not a peer: the peers are the other clients' paths.
    const peers = Object.keys(result.contenders).filter((n) => n !== oursDecode && n !== GENERIC_DECODE);
    const ms = (n) => result.contenders[n].medianMs;
    result.bestPeer = peers.reduce((a, b) => (ms(a) <= ms(b) ? a : b));
    result.speedupVsBestPeer = round(ms(result.bestPeer) / ms(oursDecode));
    if (oursDecode !== GENERIC_DECODE)
      result.speedupVsGenericDecode = round(ms(GENERIC_DECODE) / ms(oursDecode));
    result.id = spec.id;
    result.paths = paths;
    if (Object.keys(skipped).length) result.notAvailable = skipped;
    printCase(result);
    if (result.speedupVsGenericDecode !== undefined)
      console.log(`  → ours: ${result.speedupVsGenericDecode.toFixed(2)}x ${GENERIC_DECODE} (generic)`);
    decodeAlone.push(result);
  }

  const oursBest = results
    .filter((r) => r.contenders[OURS])
    .reduce(
      (a, b) => (a && a.contenders[OURS].rowsPerSec >= b.contenders[OURS].rowsPerSec ? a : b),
      undefined,
    );
  const scalars = results.find((r) => r.id === 'scalars-1m') ?? results.find((r) => r.id === 'scalars-100k');
  const bytesPerRow = scalars ? scalars.bytes / scalars.rows : undefined;
  console.log(
    `\noriginal pyrsedis (Rust/Python) headline: ${ORIGINAL_HEADLINE.claim}` +
      (oursBest
        ? `\n  ours here, best case: ${(oursBest.contenders[OURS].rowsPerSec / 1e6).toFixed(2)}M rows/s (${oursBest.name})`
        : '') +
      `\n  how it was measured: ${ORIGINAL_HEADLINE.howMeasured}\n  ${ORIGINAL_HEADLINE.assessment}` +
      (bytesPerRow
        ? `\n  (here a 4-scalar row is ${bytesPerRow.toFixed(1)} bytes on the wire: 2M rows ≈ ${((bytesPerRow * 2e6) / 1e6).toFixed(0)} MB)`
        : ''),
  );

  await server.stop();
  writeResults(path.join(here, 'results', option('out', quick ? 'quick.json' : 'latest.json')), {
    package: '@pyrsedis/falkordb',
    server: serverName,
    options: {
      quick,
      nodes,
      reps,
      batch,
      warmup: WARMUP,
      only: only.length ? only : undefined,
      nodeFlags: process.execArgv,
    },
    load,
    method: {
      timing:
        'in-process, interleaved (order rotates every repetition), gc() before each run; medians. ' +
        'serverMs: "Query internal execution time" from each reply (excludes formatting/writing the reply); ' +
        "clientMs: per-run (e2e - server), median; overFloorMs: median e2e - the wire floor's median e2e.",
      memory: memory
        ? 'per case and contender, a fresh child process: warm-up run, gc, then one run sampled every 1 ms ' +
          '(+ once at completion with the result referenced). peakHeapMiB: peak heapUsed above the post-gc ' +
          'baseline (lower bound: synchronous stretches are not sampled). peakRssMiB: VmHWM of the child ' +
          '(whole process incl. Buffers, warm-up included); baseRssMiB: its RSS once connected, before any run.'
        : 'skipped (--no-memory)',
      wireFloor:
        'bare net.Socket, RESP2, the encoded command written once per run, bytes counted until the captured ' +
        `size (± ${SLACK} bytes for the varying execution-time digits) ends with " milliseconds\\r\\n"; nothing parsed.`,
      decodeAlone:
        'the reply bytes captured once per case, decoded from one Buffer by each path (no socket, no chunking).',
    },
    notes: {
      originalPyrsedisHeadline: ORIGINAL_HEADLINE,
      bytesPerRowScalars: bytesPerRow ? round(bytesPerRow) : undefined,
      estimated2MRowReplyMB: bytesPerRow ? round((bytesPerRow * 2e6) / 1e6) : undefined,
    },
    results,
    decodeAlone,
  });
}

if (process.argv.includes('--child')) {
  await childMain(JSON.parse(option('child')));
} else {
  await main();
}

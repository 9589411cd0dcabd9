// @pyrsedis/client vs node-redis 6, ioredis 6 (auto-pipelining on), Valkey GLIDE 2.5 and Bun's
// RedisClient, with redis-benchmark (C) as the physical reference for SET pipelines: same Redis
// 8.2, same run, interleaved (the order rotates every repetition), medians.
// Run: npm run bench -w @pyrsedis/client [-- --quick] [-- --without GLIDE] [-- --only id,id]
// (results: packages/client/bench/results/latest.json; quick.json with --quick; only.json, not
// committed, with --only: the named cases alone, ids in bench/cases.mjs)
// Node clients run in this process; Bun's client runs in one warm Bun child (bun-runner.mjs) that
// times each run itself; redis-benchmark runs once per repetition and its rate is scaled to 5,000.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { median, percentile, printCase, writeResults } from '@pyrsedis/bench';
import { startServer } from '@pyrsedis/test-server';
import { Batch, Decoder, GlideClient } from '@valkey/valkey-glide';
import Redis from 'ioredis';
import { createClient as createNodeRedis } from 'redis';
import { createClient, withBuffers } from '../dist/index.js';
import { HASH_FIELDS, LIST_ELEMENTS, MIB, makeCases } from './cases.mjs';
import { findRedisBenchmark } from './redis-benchmark.mjs';
import { socketFloor } from './socket-floor.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const quick = process.argv.includes('--quick');
const REPS = quick ? 3 : 7;
const WARMUP = 3;
const OURS = 'pyrsedis';

/** A package's version, also for packages whose `exports` hide package.json. */
function packageVersion(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    let dir = path.dirname(require.resolve(name));
    while (!dir.endsWith(`node_modules/${name}`) && dir !== path.dirname(dir)) dir = path.dirname(dir);
    return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  }
}

const server = await startServer({ flavor: 'redis8' });
const port = server.port;

/**
 * Each adapter: the same shape for every client, in its fastest documented mode. A method a
 * client lacks is named in `notAvailable` with the reason; the case then says so in the table.
 */
const adapters = {
  [OURS]: async () => {
    const c = await createClient({ port }).connect();
    const b = withBuffers(c);
    return {
      set: (k, v) => c.set(k, v),
      get: (k) => c.get(k),
      getBuffer: (k) => b.get(k),
      pipelineSet: (keys, v) => {
        const p = c.pipeline();
        for (const k of keys) p.set(k, v);
        return p.exec();
      },
      hgetall: (k) => c.hgetall(k),
      lrange: (k, start, stop) => c.lrange(k, start, stop),
      close: () => c.close(),
    };
  },
  [`node-redis ${packageVersion('redis')}`]: async () => {
    const c = await createNodeRedis({ socket: { port, host: '127.0.0.1' } }).connect();
    const b = c.withTypeMapping({ 36: Buffer }); // RESP_TYPES.BLOB_STRING → Buffer
    return {
      set: (k, v) => c.set(k, v),
      get: (k) => c.get(k),
      getBuffer: (k) => b.get(k),
      pipelineSet: (keys, v) => {
        const m = c.multi();
        for (const k of keys) m.set(k, v);
        return m.execAsPipeline();
      },
      hgetall: (k) => c.hGetAll(k),
      lrange: (k, start, stop) => c.lRange(k, start, stop),
      close: () => c.quit(),
    };
  },
  [`ioredis ${packageVersion('ioredis')}`]: async () => {
    const c = new Redis({ port, host: '127.0.0.1', enableAutoPipelining: true, lazyConnect: true });
    await c.connect();
    return {
      set: (k, v) => c.set(k, v),
      get: (k) => c.get(k),
      getBuffer: (k) => c.getBuffer(k),
      pipelineSet: (keys, v) => {
        const p = c.pipeline();
        for (const k of keys) p.set(k, v);
        return p.exec();
      },
      hgetall: (k) => c.hgetall(k),
      lrange: (k, start, stop) => c.lrange(k, start, stop),
      close: () => c.quit(),
    };
  },
  [`GLIDE ${packageVersion('@valkey/valkey-glide')}`]: async () => {
    const c = await GlideClient.createClient({
      addresses: [{ host: '127.0.0.1', port }],
      // Defaults are 250 ms per request and 1,000 requests in flight: a 32 MiB reply would time
      // out, and 5,000 SETs issued in one tick would be refused.
      requestTimeout: 60_000,
      inflightRequestsLimit: 10_000,
    });
    return {
      set: (k, v) => c.set(k, v),
      get: (k) => c.get(k),
      getBuffer: (k) => c.get(k, { decoder: Decoder.Bytes }),
      pipelineSet: (keys, v) => {
        const batch = new Batch(false); // non-atomic: a pipeline, not MULTI/EXEC
        for (const k of keys) batch.set(k, v);
        return c.exec(batch, false);
      },
      hgetall: (k) => c.hgetall(k),
      lrange: (k, start, stop) => c.lrange(k, start, stop),
      close: () => c.close(),
    };
  },
};

// The data every case reads, written once.
const setup = await createClient({ port }).connect();
await setup.set('g100', 'x'.repeat(100));
await setup.set('big1', Buffer.alloc(MIB, 0x61));
await setup.set('big32', Buffer.alloc(32 * MIB, 0x61));
await setup.del('h10k', 'l100k');
for (let i = 0; i < HASH_FIELDS; i += 1000) {
  const argv = ['HSET', 'h10k'];
  for (let j = i; j < i + 1000; j++) argv.push(`field:${j}`, `value:${j}`);
  await setup.sendCommand(argv);
}
for (let i = 0; i < LIST_ELEMENTS; i += 10_000) {
  const argv = ['RPUSH', 'l100k'];
  for (let j = i; j < i + 10_000; j++) argv.push(`element:${j}`);
  await setup.sendCommand(argv);
}
await setup.close();

const clients = {};
// `--without GLIDE` leaves contenders out by name prefix. Measured: merely having a GLIDE client
// open slows the other clients of the same process (its native runtime threads compete for the
// 2 cores: our GET 1 MiB x50 went from 40-50 ms to 61-86 ms with an idle GLIDE client open).
const without = process.argv.flatMap((a, i) => (a === '--without' ? [process.argv[i + 1]] : []));
for (const [name, make] of Object.entries(adapters)) {
  if (without.some((prefix) => name.startsWith(prefix))) continue;
  clients[name] = await make();
}
// Not a peer: the floor of any Node client on the one-at-a-time cases (see socket-floor.mjs).
const FLOOR = 'Node net.Socket (floor)';
const floor = await socketFloor(port);
const bun = await startBun();
const benchmark = await findRedisBenchmark(port);

/**
 * Bun's client in a child process running bun-runner.mjs, kept warm across the whole run.
 * Returns { name, run(caseId, check) -> ms, notAvailable, close } or { name, unavailable }.
 */
async function startBun() {
  let executable = process.env.PYRSEDIS_BUN;
  try {
    // The `bun` devDependency ships the runtime as bin/bun.exe (on Linux too).
    executable ??= path.join(path.dirname(require.resolve('bun/package.json')), 'bin', 'bun.exe');
  } catch {}
  const name = "Bun's RedisClient";
  if (!executable || !existsSync(executable))
    return { name, unavailable: 'no Bun runtime: install the `bun` devDependency or set PYRSEDIS_BUN' };
  const args = [path.join(here, 'bun-runner.mjs'), String(port), ...(quick ? ['--quick'] : [])];
  const child = spawn(executable, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let spawnError;
  child.on('error', (error) => {
    spawnError = error;
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`the Bun runner exited${spawnError ? `: ${spawnError.message}` : ''}`);
    return JSON.parse(value);
  };
  let hello;
  try {
    hello = await next();
  } catch (error) {
    return { name, unavailable: `the Bun runner did not start (${error.message})` };
  }
  return {
    name: `Bun ${hello.version} RedisClient`,
    version: `${hello.version} (${hello.revision})`,
    notAvailable: hello.notAvailable,
    async run(caseId, check) {
      child.stdin.write(`${JSON.stringify({ case: caseId, check })}\n`);
      const answer = await next();
      if (answer.error) throw new Error(answer.error);
      return answer.ms;
    },
    close: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.stdin.end();
      }),
  };
}

const gc = globalThis.gc ?? (() => {});

/** One Node contender: gc, then the case body timed here. */
function nodeContender(spec, adapter) {
  return async (check) => {
    gc();
    const start = process.hrtime.bigint();
    const result = await spec.run(adapter);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const problem = check ? spec.check?.(result) : undefined;
    if (problem) throw new Error(`wrong result: ${problem}`);
    return ms;
  };
}

/**
 * Like the harness's measureCase, but a contender returns its own time in ms (a child process
 * times itself), and a client that cannot run a case is recorded under `notAvailable` with the
 * reason. References (redis-benchmark) are shown but are not peers.
 */
async function measure(spec, contenders, notAvailable, references) {
  const names = Object.keys(contenders);
  const failed = new Set();
  for (const name of names) {
    try {
      await contenders[name](true);
      for (let w = 1; w < WARMUP; w++) await contenders[name](false);
    } catch (error) {
      notAvailable[name] = `failed: ${error.message}`;
      failed.add(name);
    }
  }
  const live = names.filter((n) => !failed.has(n));
  const times = Object.fromEntries(live.map((n) => [n, []]));
  for (let r = 0; r < REPS; r++) {
    const order = live.map((_, i) => live[(i + r) % live.length]);
    for (const name of order) times[name].push(await contenders[name](false));
  }
  const round = (x) => Math.round(x * 1000) / 1000;
  const medians = Object.fromEntries(live.map((n) => [n, median(times[n])]));
  const peers = live.filter((n) => n !== OURS && !references.includes(n));
  const bestPeer = peers.length ? peers.reduce((a, b) => (medians[a] <= medians[b] ? a : b)) : undefined;
  const measured = {};
  for (const name of live) {
    const ms = medians[name];
    measured[name] = {
      medianMs: round(ms),
      p90Ms: round(percentile(times[name], 90)),
      minMs: round(Math.min(...times[name])),
      mbPerSec: spec.bytes ? round(spec.bytes / 1e6 / (ms / 1000)) : undefined,
      elementsPerSec: spec.ops ? Math.round(spec.ops / (ms / 1000)) : undefined,
    };
  }
  const ours = medians[OURS];
  return {
    name: spec.name,
    bytes: spec.bytes,
    elements: spec.ops,
    reps: REPS,
    contenders: measured,
    bestPeer,
    // > 1: we are faster than the best peer by this factor.
    speedupVsBestPeer: bestPeer && ours ? round(medians[bestPeer] / ours) : undefined,
    references: references.filter((n) => measured[n]),
    notAvailable: Object.keys(notAvailable).length ? notAvailable : undefined,
  };
}

const results = [];
const only = process.argv.flatMap((a, i) => (a === '--only' ? (process.argv[i + 1] ?? '').split(',') : []));
const cases = makeCases({ quick }).filter((spec) => only.length === 0 || only.includes(spec.id));
if (cases.length === 0) throw new Error(`--only ${only.join(',')}: no such case`);
for (const spec of cases) {
  const contenders = {};
  const notAvailable = {};
  const references = [];
  for (const [name, adapter] of Object.entries(clients)) {
    if (spec.needs && adapter.notAvailable?.[spec.needs])
      notAvailable[name] = adapter.notAvailable[spec.needs];
    else contenders[name] = nodeContender(spec, adapter);
  }
  if (bun.unavailable) notAvailable[bun.name] = bun.unavailable;
  else if (spec.needs && bun.notAvailable?.[spec.needs])
    notAvailable[bun.name] = bun.notAvailable[spec.needs];
  else contenders[bun.name] = (check) => bun.run(spec.id, check);
  if (spec.socketFloor) {
    contenders[FLOOR] = nodeContender(spec, floor);
    references.push(FLOOR);
  }
  if (spec.reference === 'redis-benchmark') {
    const name = benchmark.name ?? 'redis-benchmark (C, ref)';
    if (benchmark.unavailable) notAvailable[name] = benchmark.unavailable;
    else {
      // Its time per 5,000 SETs (steady state), times the pipelines the case runs.
      contenders[name] = async () => (await benchmark.run()) * (spec.pipelines ?? 1);
      references.push(name);
    }
  }
  const result = await measure(spec, contenders, notAvailable, references);
  printCase(result);
  for (const [name, reason] of Object.entries(result.notAvailable ?? {}))
    console.log(`  ${name.padEnd(26)}        n/a  (${reason})`);
  results.push(result);
}

for (const c of Object.values(clients)) await c.close();
await floor.close();
await bun.close?.();
await server.stop();
// --without GLIDE (not quick, not --only) → latest-without-glide.json.
const resultName = only.length
  ? 'only.json'
  : quick
    ? 'quick.json'
    : without.length
      ? `latest-without-${without.join('-').toLowerCase()}.json`
      : 'latest.json';
writeResults(path.join(here, 'results', resultName), {
  package: '@pyrsedis/client',
  without,
  server: `redis ${server.version}`,
  bun: bun.version ?? bun.unavailable,
  redisBenchmark: benchmark.name ?? benchmark.unavailable,
  results,
});

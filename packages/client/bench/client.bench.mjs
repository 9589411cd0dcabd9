// @pyrsedis/client vs node-redis 6 and ioredis 6 (auto-pipelining on), same Redis 8.2, same
// process, interleaved, medians. Run: npm run bench -w @pyrsedis/client
// (results: packages/client/bench/results/latest.json)
// Not yet here: Valkey GLIDE, Bun's client and redis-benchmark (next sessions).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureCase, printCase, writeResults } from '@pyrsedis/bench';
import { startServer } from '@pyrsedis/test-server';
import Redis from 'ioredis';
import { createClient as createNodeRedis } from 'redis';
import { createClient } from '../dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const REPS = quick ? 3 : 7;

const server = await startServer({ flavor: 'redis8' });
const port = server.port;

/** Each adapter: the same shape for every client. */
const adapters = {
  pyrsedis: async () => {
    const c = await createClient({ port }).connect();
    return {
      set: (k, v) => c.set(k, v),
      get: (k) => c.get(k),
      getBuffer: (k) => c.sendCommand(['GET', k], undefined, { strings: 'buffer' }),
      close: () => c.close(),
    };
  },
  'node-redis 6': async () => {
    const c = await createNodeRedis({ socket: { port, host: '127.0.0.1' } }).connect();
    const b = c.withTypeMapping({ 36: Buffer });
    return {
      set: (k, v) => c.set(k, v),
      get: (k) => c.get(k),
      getBuffer: (k) => b.get(k),
      close: () => c.quit(),
    };
  },
  'ioredis 6': async () => {
    const c = new Redis({ port, host: '127.0.0.1', enableAutoPipelining: true, lazyConnect: true });
    await c.connect();
    return {
      set: (k, v) => c.set(k, v),
      get: (k) => c.get(k),
      getBuffer: (k) => c.getBuffer(k),
      close: () => c.quit(),
    };
  },
};

const clients = {};
for (const [name, make] of Object.entries(adapters)) clients[name] = await make();

const results = [];
async function run(name, body, { ops, bytes } = {}) {
  const contenders = Object.fromEntries(Object.entries(clients).map(([n, c]) => [n, () => body(c)]));
  const result = await measureCase({ name, contenders, ours: 'pyrsedis', reps: REPS, elements: ops, bytes });
  printCase(result);
  results.push(result);
}

await run(
  'pipeline SET x5,000 (issued in one tick)',
  (c) => Promise.all(Array.from({ length: 5000 }, (_, i) => c.set(`p:${i}`, 'value'))),
  { ops: 5000 },
);

await run(
  'SET+GET x1,000, each awaited',
  async (c) => {
    for (let i = 0; i < 1000; i++) {
      await c.set('seq', 'v');
      await c.get('seq');
    }
  },
  { ops: 2000 },
);

const value100 = 'x'.repeat(100);
await clients.pyrsedis.set('g100', value100);
const total = quick ? 40_000 : 200_000;
await run(
  `${total / 1000}k GET of 100 B, 1,000 in flight`,
  async (c) => {
    let left = total;
    const worker = async () => {
      while (left-- > 0) await c.get('g100');
    };
    await Promise.all(Array.from({ length: 1000 }, worker));
  },
  { ops: total },
);

const mib = Buffer.alloc(1024 * 1024, 0x61);
await clients.pyrsedis.set('big1', mib);
await run(
  'GET 1 MiB x50 (Buffer)',
  async (c) => {
    for (let i = 0; i < 50; i++) await c.getBuffer('big1');
  },
  { ops: 50, bytes: 50 * mib.length },
);
await run(
  'GET 1 MiB x50 (string)',
  async (c) => {
    for (let i = 0; i < 50; i++) await c.get('big1');
  },
  { ops: 50, bytes: 50 * mib.length },
);

for (const c of Object.values(clients)) await c.close();
await server.stop();
writeResults(path.join(here, 'results', quick ? 'quick.json' : 'latest.json'), {
  package: '@pyrsedis/client',
  server: 'redis 8.2.3',
  results,
});

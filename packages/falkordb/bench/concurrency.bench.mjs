// 8 concurrent graph queries: @pyrsedis/falkordb (each query on a leased connection: the server
// runs one query per connection at a time) vs the official `falkordb` client (one node-redis
// connection), same server, same run, interleaved, medians. Also one query alone, for reference.
// Run: npm run bench:concurrency -w @pyrsedis/falkordb  → bench/results/concurrency.json
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureCase, printCase, writeResults } from '@pyrsedis/bench';
import { createClient } from '@pyrsedis/client';
import { startServer } from '@pyrsedis/test-server';
import { FalkorDB } from 'falkordb';
import { falkordb } from '../dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPS = process.argv.includes('--quick') ? 3 : 9;
const NODES = 100_000;
// A query whose time is mostly the server's (a filtered scan returning a few thousand rows):
// concurrency pays only if the server can run queries side by side.
const QUERY = 'MATCH (n:Person) WHERE n.age > 60 AND n.score > 0.5 RETURN n.id, n.name LIMIT 5000';

// (No `await using` here: plain .mjs on Node 20 does not parse it.)
const server = await startServer({ falkordb: true });
const client = await createClient({ port: server.port }).connect();
const ours = falkordb(client).graph('social');
await ours.query(
  `UNWIND range(0, ${NODES - 1}) AS i CREATE (:Person {id: i, name: 'p' + toString(i), age: i % 90, score: (i % 1000) / 1000.0})`,
);
const official = await FalkorDB.connect({ socket: { host: '127.0.0.1', port: server.port } });
const theirs = official.selectGraph('social');

const rowsOf = (r) => r.rows?.length ?? r.data?.length;
const results = [];
for (const parallel of [1, 8]) {
  const result = await measureCase({
    name: `${parallel} concurrent quer${parallel === 1 ? 'y' : 'ies'} (filtered scan of ${NODES / 1000}k nodes → 5k rows each)`,
    ours: 'pyrsedis',
    reps: REPS,
    elements: parallel * 5000,
    contenders: {
      pyrsedis: () => Promise.all(Array.from({ length: parallel }, () => ours.roQuery(QUERY))),
      'falkordb-ts 6.6.2': () => Promise.all(Array.from({ length: parallel }, () => theirs.roQuery(QUERY))),
    },
    check: (name, replies) => {
      for (const reply of replies) if (rowsOf(reply) !== 5000) throw new Error(`${name}: expected 5000 rows`);
    },
  });
  printCase(result);
  results.push(result);
}
await official.close();
await client.close();
await server.stop();
writeResults(path.join(here, 'results', 'concurrency.json'), {
  package: '@pyrsedis/falkordb',
  server: `${server.flavor} ${server.version} + FalkorDB`,
  query: QUERY,
  note: 'pyrsedis leases one connection per concurrent query (client pool, maxLeased 16); falkordb-ts sends all on its one connection, where the server runs them one after another.',
  results,
});

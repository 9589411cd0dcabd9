#!/usr/bin/env node
// The main job for now (`npm start`): start the embedded Redis 8.2 + FalkorDB, connect with
// @pyrsedis/client, show typed commands, a pipeline, and a graph query. The demo grows as the
// packages land (the FalkorDB add-on will decode graph replies into Node/Edge values).
import { createClient } from '../packages/client/dist/index.js';
import { startServer } from '../packages/test-server/dist/index.js';

const server = await startServer({ flavor: 'redis8', falkordb: true });
const client = createClient({ port: server.port, name: 'pyrsedis-demo' });
try {
  await client.connect();
  const info = await client.info('server');
  const modules = await client.moduleList();
  const graph = modules.find((m) => m.name === 'graph');
  console.log(
    `Redis ${info.server.redis_version} on ${server.host}:${server.port}, FalkorDB module version ${graph?.ver}`,
  );

  await client.set('greeting', 'hello from pyrsedis', { expiration: { seconds: 60 } });
  const [greeting, ttl, visits] = await client
    .pipeline()
    .get('greeting')
    .ttl('greeting')
    .incr('visits')
    .exec();
  console.log(`pipeline → ${JSON.stringify({ greeting, ttl, visits })}`);

  await client.sendCommand([
    'GRAPH.QUERY',
    'demo',
    "CREATE (:Person {name: 'Ada'})-[:KNOWS {since: 1843}]->(:Person {name: 'Charles'})",
  ]);
  const [columns, rows] = await client.sendCommand([
    'GRAPH.QUERY',
    'demo',
    'MATCH (a:Person)-[k:KNOWS]->(b:Person) RETURN a.name, k.since, b.name',
  ]);
  console.log(`GRAPH.QUERY demo → columns ${JSON.stringify(columns)}, rows ${JSON.stringify(rows)}`);
} finally {
  await client.close();
  await server.stop();
}

#!/usr/bin/env node
// The main job for now (`npm start`): start the embedded Redis 8.2 + FalkorDB, connect with
// @pyrsedis/client, show typed commands, a pipeline, and graph queries through @pyrsedis/falkordb
// (rows decoded straight into Node / Edge values).
import { createClient } from '../packages/client/dist/index.js';
import { falkordb } from '../packages/falkordb/dist/index.js';
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

  const social = falkordb(client).graph('demo');
  await social.query("CREATE (:Person {name: 'Ada'})-[:KNOWS {since: 1843}]->(:Person {name: 'Charles'})");
  const { columns, rows } = await social.roQuery(
    'MATCH (a:Person)-[k:KNOWS]->(b:Person) WHERE a.name = $name RETURN a, k, b.name',
    { params: { name: 'Ada' } },
  );
  const [{ a, k }] = rows;
  console.log(`graph query → columns ${JSON.stringify(columns)}`);
  console.log(`  a: Node ${JSON.stringify(a)}`);
  console.log(`  k: Edge ${JSON.stringify(k)}, b.name: ${rows[0]['b.name']}`);
} finally {
  await client.close();
  await server.stop();
}

#!/usr/bin/env node
// The main job for now (`npm start`): start the embedded Redis 8.2 + FalkorDB, print its
// version and a graph query's answer, stop it. The demo grows as the client packages land.
import { parseInfo, startServer } from '../packages/test-server/dist/index.js';

const server = await startServer({ flavor: 'redis8', falkordb: true });
try {
  const info = parseInfo(String(await server.call('INFO', 'server')));
  const modules = await server.call('MODULE', 'LIST');
  const graph = modules.find((m) => m[1] === 'graph');
  console.log(
    `Redis ${info.redis_version} on ${server.host}:${server.port}, FalkorDB module version ${graph?.[3]}`,
  );
  await server.call(
    'GRAPH.QUERY',
    'demo',
    "CREATE (:Person {name: 'Ada'})-[:KNOWS {since: 1843}]->(:Person {name: 'Charles'})",
  );
  const [columns, rows] = await server.call(
    'GRAPH.QUERY',
    'demo',
    'MATCH (a:Person)-[k:KNOWS]->(b:Person) RETURN a.name, k.since, b.name',
  );
  console.log(`GRAPH.QUERY demo → columns ${JSON.stringify(columns)}, rows ${JSON.stringify(rows)}`);
} finally {
  await server.stop();
}

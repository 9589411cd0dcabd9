// The steady-state SET pipeline against redis-benchmark, in a process of its own (no other
// client loaded): 5,000-SET explicit pipelines back to back, as redis-benchmark runs them.
// Run: node --expose-gc bench/steady-alone.mjs   (in packages/client, after a build)
// Prints the medians of 9 alternating rounds (ours: 20 pipelines per round after a warm-up;
// redis-benchmark: 100 pipelines per round, its rate scaled to 5,000 SETs) and their ratio.
import { median } from '@pyrsedis/bench';
import { startServer } from '@pyrsedis/test-server';
import { createClient } from '../dist/index.js';
import { PIPELINE_SIZE } from './cases.mjs';
import { findRedisBenchmark } from './redis-benchmark.mjs';

const ROUNDS = 9;
const PIPELINES = 20;
const server = await startServer({ flavor: 'redis8' });
const client = await createClient({ port: server.port }).connect();
try {
  const benchmark = await findRedisBenchmark(server.port);
  if (benchmark.unavailable) throw new Error(benchmark.unavailable);
  const keys = Array.from({ length: PIPELINE_SIZE }, (_, i) => `p:${i}`);
  const pipeline = () => {
    const p = client.pipeline();
    for (const k of keys) p.set(k, 'value');
    return p.exec();
  };
  for (let i = 0; i < 50; i++) await pipeline();
  const ours = [];
  const reference = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < PIPELINES; i++) {
      const replies = await pipeline();
      if (replies.length !== PIPELINE_SIZE || replies[PIPELINE_SIZE - 1] !== 'OK')
        throw new Error('bad replies');
    }
    ours.push(Number(process.hrtime.bigint() - start) / 1e6 / PIPELINES);
    reference.push(await benchmark.run());
  }
  const a = median(ours);
  const b = median(reference);
  console.log(
    `pyrsedis ${a.toFixed(2)} ms per ${PIPELINE_SIZE} SETs, ${benchmark.name} ${b.toFixed(2)} ms: ${(a / b).toFixed(2)}x`,
  );
} finally {
  await client.close();
  await server.stop();
}

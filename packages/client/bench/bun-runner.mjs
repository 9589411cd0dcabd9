// Runs the benchmark cases with Bun's built-in RedisClient, under the Bun runtime (it cannot run
// inside Node). Started once by client.bench.mjs and kept warm, like the Node contenders; it runs
// one case per request so that its runs interleave with theirs.
//   bun bench/bun-runner.mjs <port> [--quick]
// Protocol, one JSON object per line: stdin {case, check} -> stdout {ms} or {error}; the first
// line out is {ready, version, revision, notAvailable}. Nothing else may be written to stdout.
import { RedisClient } from 'bun';
import { makeCases } from './cases.mjs';

const port = Number(process.argv[2]);
const cases = new Map(makeCases({ quick: process.argv.includes('--quick') }).map((c) => [c.id, c]));

// Auto-pipelining is on by default (enableAutoPipelining: true), its fastest documented mode.
const client = new RedisClient(`redis://127.0.0.1:${port}`);
await client.connect();

/** The adapter: the same shape as the Node adapters in client.bench.mjs. */
const adapter = {
  set: (k, v) => client.set(k, v),
  get: (k) => client.get(k),
  getBuffer: (k) => client.getBuffer(k),
  hgetall: (k) => client.hgetall(k),
  lrange: (k, start, stop) => client.lrange(k, start, stop),
};
const notAvailable = {
  pipelineSet: `no pipeline or batch API in Bun ${Bun.version}'s RedisClient (it only auto-pipelines)`,
};

const reply = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
reply({ ready: true, version: Bun.version, revision: Bun.revision, notAvailable });

for await (const line of console) {
  if (!line.trim()) continue;
  const request = JSON.parse(line);
  const spec = cases.get(request.case);
  try {
    if (!spec) throw new Error(`unknown case ${request.case}`);
    Bun.gc(true); // as the Node harness calls gc() before each timed run
    const start = Bun.nanoseconds();
    const result = await spec.run(adapter);
    const ms = (Bun.nanoseconds() - start) / 1e6;
    const problem = request.check ? spec.check?.(result) : undefined;
    reply(problem ? { error: `wrong result: ${problem}` } : { ms });
  } catch (error) {
    reply({ error: String(error?.message ?? error) });
  }
}
client.close();

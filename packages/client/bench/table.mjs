#!/usr/bin/env node
// Prints a client bench result file as the README's Markdown table: every contender's median,
// and ours against the best peer (references such as redis-benchmark are not peers).
//   node packages/client/bench/table.mjs [packages/client/bench/results/latest.json]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const file = process.argv[2] ?? path.join(here, 'results', 'latest.json');
const data = JSON.parse(readFileSync(file, 'utf8'));
const env = data.environment;

const columns = [];
for (const r of data.results)
  for (const name of [...Object.keys(r.contenders), ...Object.keys(r.notAvailable ?? {})])
    if (!columns.includes(name)) columns.push(name);

const cell = (r, name) => {
  const c = r.contenders[name];
  if (!c) return r.notAvailable?.[name] ? 'n/a' : '—';
  const rate = r.bytes ? ` (${c.mbPerSec.toFixed(0)} MB/s)` : '';
  return `${c.medianMs < 10 ? c.medianMs.toFixed(1) : c.medianMs.toFixed(0)} ms${rate}`;
};

console.log(
  `Node ${env.node}, ${env.cpus} × ${env.cpuModel}, ${data.server}, Bun ${data.bun}, ` +
    `${env.date.slice(0, 10)}; medians of ${data.results[0]?.reps} interleaved runs.\n`,
);
// The bare-socket yardstick: ours ÷ it says how far above Node's own I/O floor we are.
const FLOOR = 'Node net.Socket (floor)';
const withFloor = columns.includes(FLOOR);
console.log(
  `| case | ${columns.join(' | ')} | ours vs best peer |${withFloor ? ' ours ÷ Node floor |' : ''}`,
);
console.log(`| --- | ${columns.map(() => '---').join(' | ')} | --- |${withFloor ? ' --- |' : ''}`);
for (const r of data.results) {
  const ratio =
    r.speedupVsBestPeer === undefined ? '—' : `${r.speedupVsBestPeer.toFixed(2)}x (${r.bestPeer})`;
  const toFloor = r.contenders[FLOOR]
    ? `${(r.contenders.pyrsedis.medianMs / r.contenders[FLOOR].medianMs).toFixed(2)}x`
    : '—';
  console.log(
    `| ${r.name} | ${columns.map((n) => cell(r, n)).join(' | ')} | ${ratio} |${withFloor ? ` ${toFloor} |` : ''}`,
  );
}

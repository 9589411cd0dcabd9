#!/usr/bin/env node
// Prints a results JSON as a Markdown table: node bench/summarize.mjs <results.json>
import { readFileSync } from 'node:fs';

const file = process.argv[2];
const data = JSON.parse(readFileSync(file, 'utf8'));
const env = data.environment;
console.log(
  `Node ${env.node}, ${env.cpus} × ${env.cpuModel}, ${env.date.slice(0, 10)}; medians of ${data.results[0]?.reps} interleaved runs.\n`,
);
console.log('| case | pyrsedis | best peer | vs best peer | vs floor | ceiling: best peer ÷ floor |');
console.log('| --- | --- | --- | --- | --- | --- |');
/** Best peer ÷ floor, and ÷ each reference (a minimal loop): the most any decoder could gain. */
function ceiling(r) {
  const parts = r.ceilingVsBestPeer !== undefined ? [`${r.ceilingVsBestPeer.toFixed(2)}x`] : [];
  for (const [name, ref] of Object.entries(r.references ?? {}))
    if (ref.ceilingVsBestPeer !== undefined) parts.push(`${ref.ceilingVsBestPeer.toFixed(2)}x (÷ ${name})`);
  return parts.length ? parts.join(', ') : '—';
}

for (const r of data.results) {
  const ours = r.contenders.pyrsedis;
  const peer = r.bestPeer ? r.contenders[r.bestPeer] : undefined;
  const rate = (c) =>
    c.elementsPerSec && r.elements > 1000
      ? `${(c.elementsPerSec / 1e6).toFixed(1)} M el/s`
      : `${c.mbPerSec?.toFixed(0)} MB/s`;
  console.log(
    `| ${r.name} | ${ours.medianMs.toFixed(1)} ms (${rate(ours)}) | ${r.bestPeer ?? '—'} ${peer ? `${peer.medianMs.toFixed(1)} ms` : ''} | ${r.speedupVsBestPeer?.toFixed(2) ?? '—'}x | ${r.ratioToFloor?.toFixed(2) ?? '—'}x | ${ceiling(r)} |`,
  );
}

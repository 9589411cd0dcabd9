// Prints the README's tables from a results file: node packages/falkordb/bench/table.mjs [FILE]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const file = process.argv[2] ?? path.join(here, 'results', 'latest.json');
const r = JSON.parse(readFileSync(file, 'utf8'));
const OURS = 'pyrsedis';
const official = (names) => names.find((n) => n.startsWith('falkordb-ts'));
const ms = (x) => (x === undefined ? '—' : `${Math.round(x)} ms`);
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}x` : '—');

const e2eNames = Object.keys(r.results[0].contenders);
const floor = e2eNames.find((n) => n.startsWith('wire floor'));
const peers = e2eNames.filter((n) => n !== OURS && n !== floor && !n.startsWith('pyrsedis client'));
console.log(`| case | ${[OURS, ...peers, floor].join(' | ')} | ours vs falkordb-ts | ours vs floor |`);
console.log(`| --- |${' --- |'.repeat(peers.length + 4)}`);
for (const c of r.results) {
  const m = (n) => c.contenders[n]?.medianMs;
  const cells = [OURS, ...peers, floor].map((n) => ms(m(n)));
  console.log(
    `| ${c.name} | ${cells.join(' | ')} | ${ratio(m(official(peers)), m(OURS))} | ${ratio(m(OURS), m(floor))} |`,
  );
}

console.log('\n| case | pyrsedis heap / RSS (MiB) | falkordb-ts heap / RSS | node-redis raw heap / RSS |');
console.log('| --- | --- | --- | --- |');
const mem = (c, n) => {
  const x = c.contenders[n];
  return x?.peakHeapMiB === undefined ? '—' : `${Math.round(x.peakHeapMiB)} / ${Math.round(x.peakRssMiB)}`;
};
for (const c of r.results)
  console.log(
    `| ${c.name} | ${mem(c, OURS)} | ${mem(c, official(peers))} | ${mem(
      c,
      peers.find((n) => n.startsWith('node-redis')),
    )} |`,
  );

const dNames = Object.keys(r.decodeAlone[0].contenders);
const dOurs = dNames[0];
const dOfficial = official(dNames);
const dRedis = dNames.find((n) => n.startsWith('node-redis'));
console.log(
  `\n| decode alone (same bytes, in-process) | pyrsedis parser | falkordb-ts path | node-redis 6 decoder | ours vs falkordb-ts |`,
);
console.log('| --- | --- | --- | --- | --- |');
for (const c of r.decodeAlone) {
  const m = (n) => c.contenders[n]?.medianMs;
  console.log(
    `| ${c.name.replace('decode alone: ', '')} | ${ms(m(dOurs))} | ${ms(m(dOfficial))} | ${ms(m(dRedis))} | ${ratio(m(dOfficial), m(dOurs))} |`,
  );
}

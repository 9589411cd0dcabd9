// Shared benchmark harness. Contenders of one case run interleaved (the order rotates every
// repetition) so that machine noise hits all of them alike; results are medians and ratios.
// Absolute numbers drift between runs on shared machines: compare within one run.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const gc = globalThis.gc ?? (() => {});

/** Runs `fn` once and returns milliseconds. */
export async function timeOnce(fn) {
  gc();
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Measures one case.
 * @param {object} spec
 * @param {string} spec.name
 * @param {Record<string, () => unknown>} spec.contenders  name -> run (ours first by convention)
 * @param {string} spec.ours   the contender that is us
 * @param {string} [spec.floor]  the contender that is the allocation floor (not a peer)
 * @param {string[]} [spec.references]  contenders that are yardsticks, not peers (e.g. a minimal
 *   single-purpose loop): reported, never counted as the best peer
 * @param {number} [spec.bytes]  bytes processed per run (for MB/s)
 * @param {number} [spec.elements] elements per run (for elements/s)
 * @param {number} [spec.reps]
 * @param {number} [spec.warmup]  untimed runs of each contender first (default 3)
 * @param {(name: string, result: unknown) => void} [spec.check]  validates each contender's output once
 */
export async function measureCase(spec) {
  const names = Object.keys(spec.contenders);
  const reps = spec.reps ?? 7;
  // Warm-up: V8 optimises a function only after several calls; measure the steady state.
  for (const name of names) {
    const result = await spec.contenders[name]();
    spec.check?.(name, result);
    for (let w = 1; w < (spec.warmup ?? 3); w++) await spec.contenders[name]();
  }
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < reps; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]);
    for (const name of order) times[name].push(await timeOnce(spec.contenders[name]));
  }
  const medians = Object.fromEntries(names.map((n) => [n, median(times[n])]));
  const references = spec.references ?? [];
  const peers = names.filter((n) => n !== spec.ours && n !== spec.floor && !references.includes(n));
  const bestPeer = peers.length ? peers.reduce((a, b) => (medians[a] <= medians[b] ? a : b)) : undefined;
  const contenders = {};
  for (const name of names) {
    const ms = medians[name];
    contenders[name] = {
      medianMs: round(ms),
      p90Ms: round(percentile(times[name], 90)),
      minMs: round(Math.min(...times[name])),
      mbPerSec: spec.bytes ? round(spec.bytes / 1e6 / (ms / 1000)) : undefined,
      elementsPerSec: spec.elements ? Math.round(spec.elements / (ms / 1000)) : undefined,
    };
  }
  const ours = medians[spec.ours];
  return {
    name: spec.name,
    bytes: spec.bytes,
    elements: spec.elements,
    reps,
    contenders,
    bestPeer,
    // > 1: we are faster than the best peer by this factor.
    speedupVsBestPeer: bestPeer ? round(medians[bestPeer] / ours) : undefined,
    // 1 = as fast as merely allocating the output; 1.5 = 50% above the floor.
    ratioToFloor: spec.floor ? round(ours / medians[spec.floor]) : undefined,
    // The most any decoder could gain on the best peer if its own work were only the floor's (or
    // a reference's): a goal above this ceiling cannot be met.
    ceilingVsBestPeer: bestPeer && spec.floor ? round(medians[bestPeer] / medians[spec.floor]) : undefined,
    references: references.length
      ? Object.fromEntries(
          references.map((n) => [
            n,
            { ceilingVsBestPeer: bestPeer ? round(medians[bestPeer] / medians[n]) : undefined },
          ]),
        )
      : undefined,
  };
}

function round(x) {
  return Math.round(x * 1000) / 1000;
}

/** Prints one result as a table row block. */
export function printCase(result) {
  const lines = [`\n${result.name}`];
  for (const [name, c] of Object.entries(result.contenders)) {
    const rate = c.mbPerSec !== undefined ? `${c.mbPerSec.toFixed(0).padStart(7)} MB/s` : '';
    const elements =
      c.elementsPerSec !== undefined ? `${(c.elementsPerSec / 1e6).toFixed(2).padStart(7)} M el/s` : '';
    lines.push(
      `  ${name.padEnd(26)} ${c.medianMs.toFixed(2).padStart(10)} ms  (p90 ${c.p90Ms.toFixed(2)})  ${rate}  ${elements}`,
    );
  }
  const parts = [];
  if (result.speedupVsBestPeer !== undefined)
    parts.push(`${result.speedupVsBestPeer.toFixed(2)}x the best peer (${result.bestPeer})`);
  if (result.ratioToFloor !== undefined)
    parts.push(`${result.ratioToFloor.toFixed(2)}x the allocation floor`);
  if (result.ceilingVsBestPeer !== undefined)
    parts.push(`ceiling (best peer ÷ floor) ${result.ceilingVsBestPeer.toFixed(2)}x`);
  for (const [name, r] of Object.entries(result.references ?? {}))
    if (r.ceilingVsBestPeer !== undefined)
      parts.push(`best peer ÷ ${name} ${r.ceilingVsBestPeer.toFixed(2)}x`);
  if (parts.length) lines.push(`  → ours: ${parts.join(', ')}`);
  console.log(lines.join('\n'));
}

/** Machine facts recorded with every result file. */
export function environment() {
  return {
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    date: new Date().toISOString(),
    exposeGc: typeof globalThis.gc === 'function',
  };
}

export function writeResults(file, data) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ environment: environment(), ...data }, null, 2)}\n`);
  console.log(`\nresults: ${file}`);
}

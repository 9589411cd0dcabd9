// Type-check budget of the generated surface: how much extra `tsc` time a user file calling 50
// commands costs, against the same file without the calls. Medians of 5 runs; JSON out.
// Run: node codegen/bench/typecheck.bench.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, writeResults } from '@pyrsedis/bench';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const client = path.join(root, 'packages', 'client', 'src');

const calls = [
  "r.set('k', 'v', { expiration: { seconds: 10 } })",
  "r.get('k')",
  "r.del('a', 'b')",
  "r.mget('a', 'b')",
  "r.incr('n')",
  "r.hset('h', [{ field: 'f', value: 'v' }])",
  "r.hgetall('h')",
  "r.hget('h', 'f')",
  "r.zadd('z', [{ score: 1, member: 'a' }])",
  "r.zrange('z', 0, -1, { withscores: true })",
  "r.lpush('l', 'a')",
  "r.rpop('l')",
  "r.lrange('l', 0, -1)",
  "r.sadd('s', 'a')",
  "r.smembers('s')",
  "r.expire('k', 10)",
  "r.ttl('k')",
  "r.exists('k')",
  "r.xadd('s', '*', [{ field: 'f', value: 'v' }])",
  "r.xrange('s', '-', '+')",
  "r.xread({ key: ['s'], id: ['0'] })",
  "r.geoadd('g', [{ longitude: 1, latitude: 2, member: 'm' }])",
  "r.geosearch('g', { member: 'm' }, { circle: { radius: 1, unit: 'km' } })",
  "r.eval('return 1', 0)",
  "r.configGet('maxmemory')",
  "r.clientSetname('x')",
  'r.clientGetname()',
  "r.type('k')",
  "r.rename('a', 'b')",
  'r.scan(0)',
  "r.hincrby('h', 'f', 1)",
  "r.zscore('z', 'a')",
  "r.zrank('z', 'a')",
  "r.lmove('a', 'b', 'LEFT', 'RIGHT')",
  "r.blpop(['l'], 1)",
  "r.publish('c', 'm')",
  'r.info()',
  'r.dbsize()',
  'r.ping()',
  "r.echo('x')",
  "r.append('k', 'v')",
  "r.strlen('k')",
  "r.getrange('k', 0, 1)",
  "r.setrange('k', 0, 'v')",
  "r.pfadd('p', 'a')",
  "r.pfcount('p')",
  "r.bitcount('k')",
  "r.hdel('h', 'f')",
  "r.hlen('h')",
  "r.zcard('z')",
];

function source(withCalls) {
  return `import type { Commands } from ${JSON.stringify(path.join(client, 'generated', 'commands.js'))};
declare const r: Commands;
export async function main(): Promise<void> {
${withCalls ? calls.map((c) => `  await ${c};`).join('\n') : ''}
}
`;
}

function timeTsc(dir) {
  const out = execFileSync(process.execPath, [tsc, '-p', dir, '--extendedDiagnostics'], { encoding: 'utf8' });
  return Number(/Check time:\s+([\d.]+)s/.exec(out)[1]) * 1000;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'pyrsedis-typecheck-'));
try {
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [path.join(root, 'node_modules', '@types')],
      },
      files: ['user.ts'],
    }),
  );
  const runs = { without: [], with: [] };
  for (let i = 0; i < 5; i++) {
    for (const [name, withCalls] of [
      ['without', false],
      ['with', true],
    ]) {
      writeFileSync(path.join(dir, 'user.ts'), source(withCalls));
      runs[name].push(timeTsc(dir));
    }
  }
  const result = {
    calls: calls.length,
    checkMsWithout: median(runs.without),
    checkMsWith: median(runs.with),
    extraCheckMs: median(runs.with) - median(runs.without),
  };
  console.log(
    `tsc check time: ${result.checkMsWithout.toFixed(0)} ms without, ${result.checkMsWith.toFixed(0)} ms with ${calls.length} calls: +${result.extraCheckMs.toFixed(0)} ms`,
  );
  mkdirSync(path.join(here, 'results'), { recursive: true });
  writeResults(path.join(here, 'results', 'latest.json'), { package: 'codegen', results: [result] });
} finally {
  rmSync(dir, { recursive: true, force: true });
}

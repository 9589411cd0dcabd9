#!/usr/bin/env node
// The test command (`npm test`): set-up, every package's tests against real servers, then a
// sweep for any server a crashed worker left behind, and one closing "N passed, N failed" line.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { bootstrap, root, step } from './bootstrap.mjs';

const workspaces = ['packages', 'codegen'].flatMap((dir) => {
  const full = path.join(root, dir);
  if (!existsSync(full)) return [];
  if (existsSync(path.join(full, 'package.json'))) return [full];
  return readdirSync(full).map((name) => path.join(full, name));
});
// The client's suite runs twice: on Node (`test`) and on Bun (`test:bun`, the `bun` npm package).
const resultFiles = workspaces.flatMap((dir) => [
  path.join(dir, '.vitest-result.json'),
  path.join(dir, '.vitest-result.bun.json'),
]);
for (const file of resultFiles) rmSync(file, { force: true });

bootstrap();
step('lint', 'npx', ['biome', 'check', '.']);
step('typecheck', 'npx', ['turbo', 'run', 'typecheck', '--output-logs=errors-only']);

console.log('\n▶ tests: turbo run test');
// One package at a time: the suites start real server processes and this machine has 2 cores.
const run = spawnSync(
  'npx',
  ['turbo', 'run', 'test', 'test:bun', '--concurrency=1', '--continue', ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);

const sweep = spawnSync(process.execPath, ['packages/test-server/dist/cli.js', 'sweep'], {
  cwd: root,
  encoding: 'utf8',
});
if (sweep.stdout.trim()) console.log(sweep.stdout.trim());

let passed = 0;
let failed = 0;
for (const file of resultFiles) {
  if (!existsSync(file)) continue;
  const result = JSON.parse(readFileSync(file, 'utf8'));
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  const where = path.relative(root, path.dirname(file)) + (file.endsWith('.bun.json') ? ' (Bun)' : '');
  console.log(`  ${where}: ${result.numPassedTests} passed, ${result.numFailedTests} failed`);
}
const ok = run.status === 0 && failed === 0 && passed > 0;
console.log(`\nTests: ${passed} passed, ${failed} failed`);
if (!ok && failed === 0) console.error('✖ the test run failed before or outside the tests (see above)');
process.exit(ok ? 0 : 1);

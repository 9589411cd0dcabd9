#!/usr/bin/env node
// Idempotent set-up for a fresh clone: install dependencies, build every package, provision
// the real servers (Redis 8.2 + FalkorDB, Valkey 8, Redis 7.0). Safe to run again: each step
// skips what is already done.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function step(title, command, args) {
  console.log(`\n▶ ${title}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`✖ ${title} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status || 1);
  }
}

function needsInstall() {
  const marker = path.join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(marker)) return true;
  return statSync(path.join(root, 'package-lock.json')).mtimeMs > statSync(marker).mtimeMs;
}

export function bootstrap() {
  // `npm install`, not `npm ci`: on these machines npm writes lockfiles without the optional
  // packages of other platforms (esbuild, rollup, biome binaries) and `npm ci` then refuses them
  // as out of sync. `npm install` still installs the locked versions.
  if (needsInstall()) step('install dependencies', 'npm', ['install', '--no-audit', '--no-fund']);
  step('build packages', 'npx', ['turbo', 'run', 'build', '--output-logs=errors-only']);
  step('provision servers', process.execPath, ['packages/test-server/dist/cli.js', 'provision']);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) bootstrap();

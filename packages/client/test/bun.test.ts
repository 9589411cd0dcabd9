// The client on Bun (the npm package `bun` ships the runtime): the smoke script runs the core
// paths under Bun against a real Redis 8.2 started here.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '@pyrsedis/test-server';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const bun = path.join(
  path.dirname(createRequire(import.meta.url).resolve('bun/package.json')),
  'bin',
  'bun.exe',
);

describe('on Bun', () => {
  it('runs the client core (commands, pipelining, transactions, pub/sub, leased connections)', async () => {
    await using server = await startServer();
    const child = spawn(bun, [path.join(here, 'bun', 'smoke.mjs')], {
      env: { ...process.env, PYRSEDIS_PORT: String(server.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      runtime: string;
      results: { name: string; ok: boolean; error?: string }[];
    };
    console.log(
      `${report.runtime}: ${report.results?.map((r) => `${r.ok ? '✓' : '✗'} ${r.name}`).join(', ')}`,
    );
    expect(stderr).toBe('');
    expect(report.runtime).toMatch(/^bun 1\./);
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
    expect(report.results).toHaveLength(7);
    expect(code).toBe(0);
  }, 60_000);
});

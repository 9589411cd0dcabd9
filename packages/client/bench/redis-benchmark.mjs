// redis-benchmark (C), the physical reference for SET pipelines: found, versioned and run here
// for the client benchmark and the standalone steady-state script.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureServer } from '@pyrsedis/test-server';
import { PIPELINE_SIZE } from './cases.mjs';

/**
 * redis-benchmark from Debian's redis-tools, which the test-server provisions with the redis7
 * flavor (next to /usr/bin/redis-server); PYRSEDIS_REDIS_BENCHMARK overrides.
 */
export async function findRedisBenchmark(port) {
  let executable = process.env.PYRSEDIS_REDIS_BENCHMARK;
  let reason = '';
  if (!executable) {
    try {
      const redis7 = await ensureServer('redis7');
      executable = path.join(path.dirname(redis7.server), 'redis-benchmark');
    } catch (error) {
      reason = `redis7 provisioning failed (${error.message})`;
    }
  }
  if (!executable || !existsSync(executable)) {
    return {
      unavailable:
        reason ||
        `no ${executable}: needs Debian's redis-tools (apt-get install redis-tools) or PYRSEDIS_REDIS_BENCHMARK`,
    };
  }
  const { stdout } = await promisify(execFile)(executable, ['--version']);
  const version = /redis-benchmark (\d+\.\d+)/.exec(stdout)?.[1] ?? '?';
  const requests = 100 * PIPELINE_SIZE;
  return {
    name: `redis-benchmark ${version} (C, ref)`,
    // One connection, pipelines of 5,000 SETs of a 5-byte value (as the clients send), 100 of
    // them: long enough that redis-benchmark's millisecond clock is not the limit.
    async run() {
      const { stdout: csv } = await promisify(execFile)(executable, [
        ...['-h', '127.0.0.1', '-p', String(port), '-c', '1', '-P', String(PIPELINE_SIZE)],
        ...['-n', String(requests), '-d', '5', '-t', 'set', '--csv'],
      ]);
      const row = csv.split('\n').find((line) => line.startsWith('"SET"'));
      const rps = Number(row?.split(',')[1]?.replaceAll('"', ''));
      if (!(rps > 0)) throw new Error(`unexpected redis-benchmark output: ${csv.trim()}`);
      return (PIPELINE_SIZE / rps) * 1000;
    },
  };
}

import { afterEach, describe, expect, it } from 'vitest';
import { HarnessError, startCluster, startServer } from '../src/index.js';

// These machines run no Docker engine: the docker backend must say so clearly, never hang.
describe('PYRSEDIS_TEST_BACKEND=docker without an engine', () => {
  afterEach(() => {
    delete process.env.PYRSEDIS_TEST_BACKEND;
  });

  it('startServer fails with a message naming the missing engine and the way back', async () => {
    process.env.PYRSEDIS_TEST_BACKEND = 'docker';
    const attempt = startServer();
    await expect(attempt).rejects.toBeInstanceOf(HarnessError);
    await expect(attempt).rejects.toThrow(/Is a Docker engine running\? Unset PYRSEDIS_TEST_BACKEND/);
  });

  it('startCluster says the docker backend has no cluster yet', async () => {
    process.env.PYRSEDIS_TEST_BACKEND = 'docker';
    await expect(startCluster()).rejects.toThrow(/startCluster has no docker backend yet/);
  });
});

// Setup file of vitest.bun.config.ts: runs in every worker before each test file.
if (!process.versions.bun) {
  throw new Error(`expected the Bun runtime, got Node ${process.version} (${process.execPath})`);
}

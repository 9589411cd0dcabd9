// Shared vitest settings. Each package writes a JSON result file that scripts/test.mjs
// sums into the closing "N passed, N failed" line.
import { defineConfig, type ViteUserConfig } from 'vitest/config';

export function packageTestConfig(overrides: ViteUserConfig['test'] = {}): ViteUserConfig {
  return defineConfig({
    test: {
      include: ['test/**/*.test.ts'],
      pool: 'forks',
      testTimeout: 30_000,
      hookTimeout: 120_000,
      reporters: ['default', 'json'],
      outputFile: { json: '.vitest-result.json' },
      ...overrides,
    },
  });
}

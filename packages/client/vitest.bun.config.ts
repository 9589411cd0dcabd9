// The same suite under the Bun runtime (`npm run test:bun -w @pyrsedis/client`). Vitest's forks
// pool starts its workers with process.execPath, so every test file runs in Bun; the setup file
// fails each file loudly if it ever lands in Node instead (a silent fake pass).
import { packageTestConfig } from '../../vitest.shared.ts';

export default packageTestConfig({
  setupFiles: ['./test/bun/require-bun.ts'],
  outputFile: { json: '.vitest-result.bun.json' },
});

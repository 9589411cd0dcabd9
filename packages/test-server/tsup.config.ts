import { packageConfig } from '../../tsup.config.base.ts';

// Private harness: ESM only (it relies on import.meta.url to find the repository).
export default packageConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm'],
  external: ['testcontainers', '@falkordblite/linux-x64'],
});

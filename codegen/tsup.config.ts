import { packageConfig } from '../tsup.config.base.ts';

// Private tool: ESM only.
export default packageConfig({ entry: ['src/index.ts', 'src/cli.ts'], format: ['esm'], dts: false });

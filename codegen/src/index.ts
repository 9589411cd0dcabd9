export { COMMANDS_JSON, generateSpec, serialize } from './cli.js';
export { type LiveServer, readLiveServer } from './live.js';
export { argumentFromDocs, buildSpec, type CommandSpec, type CommandsJson, keySpecFromInfo } from './spec.js';
export { type SpecFiles, valkeySpecFiles } from './valkey-source.js';

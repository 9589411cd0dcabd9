export { COMMANDS_JSON, generateSpec, serialize } from './cli.js';
export { COMMAND_TABLE_FILE, emitCommandTable } from './emit/command-table.js';
export { COMMANDS_FILE, emitCommands, propertyName, replyType } from './emit/commands.js';
export { generateFiles, staleFiles, writeGenerated } from './generate.js';
export { type LiveServer, readLiveServer } from './live.js';
export { buildModel, type CommandModel, loadModel, type Model, methodName } from './model.js';
export { argumentFromDocs, buildSpec, type CommandSpec, type CommandsJson, keySpecFromInfo } from './spec.js';
export { type SpecFiles, valkeySpecFiles } from './valkey-source.js';

/**
 * @pyrsedis/client — the Redis client of pyrsedis. This release carries the generated command
 * metadata and key extraction the client and the cluster package route with; connections,
 * pool, pipelines and the typed command surface land with their own issues (see README.md).
 */
export type { CommandInfo, KeySpec } from './commands/command-info.js';
export {
  type CommandArgument,
  commandKeyIndexes,
  commandKeys,
  lookupCommand,
} from './commands/keys.js';
export { fromResp2, type Resp2Shape } from './commands/resp2.js';
export {
  type CommandSender,
  type RedisArgument,
  type ReplyTransformFunction,
  type RespValue,
  type StringMode,
  withBuffers,
} from './commands/sender.js';
export { COMMAND_TABLE, CommandFlag, KeyFlag } from './generated/command-table.js';

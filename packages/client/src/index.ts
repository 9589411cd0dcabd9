/**
 * @pyrsedis/client — the Redis client of pyrsedis: typed commands generated from the server's
 * command spec, auto-pipelining over one connection, RESP3 (RESP2 converted), Buffer view.
 */

export type { AggregateKind, ReplyParser, ReplyReader } from '@pyrsedis/resp';
export {
  AskError,
  AuthError,
  BusyError,
  CrossSlotError,
  createReplyError,
  ExecAbortError,
  LoadingError,
  MapKeyError,
  MovedError,
  NoScriptError,
  OutOfMemoryError,
  PermissionError,
  ProtocolError,
  PyrsedisError,
  parseDouble,
  pinHiddenClass,
  ReaderError,
  ReadOnlyError,
  RedirectError,
  ReplyError,
  TryAgainError,
  utf8Text,
  WrongTypeError,
} from '@pyrsedis/resp';
export type { CacheStats, ClientCacheOptions } from './cache.js';
export {
  type BufferPubSub,
  type ChannelMessage,
  type ChannelNames,
  Client,
  createClient,
  Session,
  type SubscribeOptions,
} from './client.js';
export type { CommandInfo, KeySpec } from './commands/command-info.js';
export {
  type CommandArgument,
  commandKeyIndexes,
  commandKeys,
  lookupCommand,
} from './commands/keys.js';
export { fromResp2, type Resp2Shape } from './commands/resp2.js';
export type { ScanIteratorOptions } from './commands/scan.js';
export { FunctionLibrary, Script, type ScriptCall } from './commands/script.js';
export {
  type CommandSender,
  type RedisArgument,
  type ReplyTransformFunction,
  type RespValue,
  type SendOptions,
  type StringMode,
  type WithBuffers,
  withBuffers,
  withOptions,
} from './commands/sender.js';
export { keySlot } from './commands/slot.js';
export type { ClientInfo, InfoSections, ScoredMember } from './commands/transforms.js';
export type { ConnectionState } from './connection/connection.js';
export type { ClientOptions } from './connection/options.js';
export { type CommandTrace, commandChannel, connectionChannel } from './diagnostics.js';
export { ClientOptionsError, ConnectionError, TimeoutError } from './errors.js';
export { COMMAND_TABLE, CommandFlag, KeyFlag } from './generated/command-table.js';
export type { Commands } from './generated/commands.js';
export type { Chain, QueuedOptions } from './pipeline.js';
export type { PoolOptions, PoolStats } from './pool.js';
export type { BufferMessageListener, ChannelName, MessageListener } from './pubsub.js';

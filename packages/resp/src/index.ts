/**
 * @pyrsedis/resp — streaming zero-copy RESP2/RESP3 decoder and single-allocation encoder.
 * No dependencies; no sockets. Spec: https://github.com/redis/redis-specifications
 */
export {
  type AggregateKind,
  type DecodeOptions,
  type DecoderLimits,
  decode,
  parseDouble,
  type ReplyParser,
  type ReplyPlan,
  type ReplyReader,
  RespDecoder,
  type RespDecoderOptions,
  type StringMode,
} from './decoder.js';
export { encodeCommand, encodeCommands, isRespArgument, type RespArgument } from './encoder.js';
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
  ReaderError,
  ReadOnlyError,
  RedirectError,
  ReplyError,
  replyErrorCode,
  TryAgainError,
  WrongTypeError,
} from './errors.js';
export { pinHiddenClass } from './pin.js';
export { utf8Text } from './text.js';
export { AttributedValue, VerbatimString } from './values.js';

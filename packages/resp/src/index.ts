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
  type ReplyPlan,
  type ReplyReader,
  RespDecoder,
  type RespDecoderOptions,
  type StringMode,
} from './decoder.js';
export { encodeCommand, encodeCommands, type RespArgument } from './encoder.js';
export { ProtocolError, PyrsedisError, ReplyError, replyErrorCode } from './errors.js';
export { AttributedValue, VerbatimString } from './values.js';

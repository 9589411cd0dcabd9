// Streaming RESP2/RESP3 decoder: one pass from the received bytes to the final values.
// Spec: https://github.com/redis/redis-specifications/blob/master/protocol/RESP3.md
//
// How it stays linear however the bytes are chunked: aggregates are built on an explicit stack
// of frames that survives between chunks, so completed elements are never parsed twice. Only
// the one token cut by a chunk boundary (a header line, a small bulk) is kept and parsed again
// once the next chunk arrives. A large bulk cut by a boundary is copied into its own buffer as
// the chunks arrive, each byte once.
import { ProtocolError, ReplyError } from './errors.js';
import { AttributedValue, VerbatimString } from './values.js';

// Type bytes.
const SIMPLE = 0x2b; // '+'
const ERROR = 0x2d; // '-'
const INTEGER = 0x3a; // ':'
const BULK = 0x24; // '$'
const ARRAY = 0x2a; // '*'
const NULL = 0x5f; // '_'
const BOOLEAN = 0x23; // '#'
const DOUBLE = 0x2c; // ','
const BIG_NUMBER = 0x28; // '('
const BULK_ERROR = 0x21; // '!'
const VERBATIM = 0x3d; // '='
const MAP = 0x25; // '%'
const SET = 0x7e; // '~'
const ATTRIBUTE = 0x7c; // '|'
const PUSH = 0x3e; // '>'

const CR = 0x0d;
const LF = 0x0a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const ZERO = 0x30;
const LOWER_T = 0x74;
const LOWER_F = 0x66;

/** Frame kinds, as numbers on the hot path. */
const K_ARRAY = 0;
const K_SET = 1;
const K_MAP = 2;
const K_PUSH = 3;
const K_ATTRIBUTE = 4;
const KIND_NAMES: readonly AggregateKind[] = ['array', 'set', 'map', 'push', 'attribute'];

/** A bulk longer than this that is cut by a chunk boundary is copied as it arrives. */
const STREAMED_BULK_MIN = 32 * 1024;
/** Arrays are preallocated up to this many elements; longer ones grow as elements arrive. */
const PREALLOCATE_MAX = 1 << 20;
const MAX_SAFE_DIGITS = 15;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const EMPTY: Buffer = Buffer.alloc(0);

/** The kinds of RESP aggregates, as a {@link ReplyReader} sees them. */
export type AggregateKind = 'array' | 'set' | 'map' | 'push' | 'attribute';

/** How bulk strings come out: JS strings (UTF-8) or `Buffer` views (binary-safe). */
export type StringMode = 'string' | 'buffer';

/** Limits that bound what one reply may cost. Exceeding one raises a {@link ProtocolError}. */
export interface DecoderLimits {
  /** Nesting depth of aggregates. Default 512. */
  maxDepth: number;
  /** Elements of one aggregate (entries for maps). Default 16,777,216. */
  maxAggregateLength: number;
  /** Bytes of one bulk string / bulk error / verbatim string. Default 512 MiB. */
  maxBulkLength: number;
  /** Digits of a big number (`(`). Default 10,000. */
  maxBigNumberDigits: number;
  /** Bytes of one reply still incomplete (received but not yet decodable). Default 1 GiB. */
  maxBufferedBytes: number;
}

/** Options shared by {@link decode} and {@link RespDecoder}. */
export interface DecodeOptions {
  /** Bulk and verbatim strings as JS strings (default) or zero-copy `Buffer` views. */
  strings?: StringMode;
  /**
   * Maps (`%`) as a null-prototype object (default; keys are strings and can never touch a
   * prototype, `__proto__` included), a `Map` (keys as decoded), or a flat `[k, v, ...]` array.
   */
  maps?: 'object' | 'map' | 'array';
  /** Sets (`~`) as arrays (default) or `Set`s. */
  sets?: 'array' | 'set';
  /** Verbatim strings (`=`) as plain strings (default) or {@link VerbatimString} with the format. */
  verbatim?: 'string' | 'object';
  /** Limits; unspecified ones keep their defaults. */
  limits?: Partial<DecoderLimits>;
}

/**
 * A specialised reader for one reply: it receives the reply's structure as the decoder walks
 * the bytes and builds its own values directly, in the same single pass (the FalkorDB add-on
 * decodes its compact result format this way). Scalars arrive already decoded; aggregates are
 * announced with `begin`, fed with `add`, and closed with `end`, whose result becomes the value
 * in the parent (or the reply). Works across chunk boundaries like the generic decoding.
 */
export interface ReplyReader {
  /** How bulk strings reach `add`; default `'string'`. */
  readonly strings?: StringMode;
  /** An aggregate of `length` elements (entries for maps) starts inside `parent` (undefined at top). */
  begin(kind: AggregateKind, length: number, parent: unknown): unknown;
  /** A completed element of the aggregate whose state is `state`; maps get key, value, key, ... */
  add(state: unknown, value: unknown): void;
  /** The aggregate is complete: return its value. */
  end(state: unknown): unknown;
}

/** How to decode one reply: a string mode, or a {@link ReplyReader}. */
export type ReplyPlan = StringMode | ReplyReader;

/** Callbacks and options of a {@link RespDecoder}. */
export interface RespDecoderOptions extends DecodeOptions {
  /** Receives each complete reply, in order. Error replies arrive as {@link ReplyError} values. */
  onReply: (reply: unknown) => void;
  /** Receives RESP3 push messages (`>`), which are not replies. Default: dropped. */
  onPush?: (push: unknown[]) => void;
  /**
   * Called when the first byte of a reply (not a push) arrives; returns how to decode it.
   * `undefined` keeps the decoder's default string mode. A client returns the plan of the
   * command at the head of its queue.
   */
  planReply?: () => ReplyPlan | undefined;
}

const DEFAULT_LIMITS: DecoderLimits = {
  maxDepth: 512,
  maxAggregateLength: 16 * 1024 * 1024,
  maxBulkLength: 512 * 1024 * 1024,
  maxBigNumberDigits: 10_000,
  maxBufferedBytes: 1024 * 1024 * 1024,
};

type SliceBuffer = Buffer & {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
};

// Buffer#utf8Slice is what Buffer#toString('utf8') calls after its argument checks; fall back
// where a runtime lacks it.
const hasFastSlice = typeof (Buffer.prototype as Partial<SliceBuffer>).utf8Slice === 'function';
function utf8(buf: Buffer, start: number, end: number): string {
  return hasFastSlice ? (buf as SliceBuffer).utf8Slice(start, end) : buf.toString('utf8', start, end);
}
function latin1(buf: Buffer, start: number, end: number): string {
  return hasFastSlice ? (buf as SliceBuffer).latin1Slice(start, end) : buf.toString('latin1', start, end);
}

function validateLimits(limits: Partial<DecoderLimits> | undefined): DecoderLimits {
  const out = { ...DEFAULT_LIMITS };
  if (limits === undefined) return out;
  for (const key of Object.keys(limits) as (keyof DecoderLimits)[]) {
    if (!(key in DEFAULT_LIMITS)) throw new TypeError(`unknown decoder limit "${key}"`);
    const value = limits[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new TypeError(`decoder limit ${key} must be a positive integer, got ${String(value)}`);
    }
    out[key] = value;
  }
  return out;
}

function checkChoice(name: string, value: unknown, allowed: readonly string[]): void {
  if (value !== undefined && !allowed.includes(value as string)) {
    throw new TypeError(
      `option ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${String(value)}`,
    );
  }
}

class Frame {
  kind = 0;
  remaining = 0;
  length = 0;
  /** The container being filled (array, object, Map, Set) or a reader's state. */
  container: unknown = undefined;
  /** Map key waiting for its value. */
  key: unknown = undefined;
  hasKey = false;
  /** A map decoded as a flat [k, v, ...] array. */
  flat = false;
  /** Attributes waiting for the next element of this frame. */
  attributes: unknown = undefined;
  /** The reader that owns this frame, if any. */
  reader: ReplyReader | undefined = undefined;
  /** Stream offset where the aggregate began (for error messages). */
  offset = 0;
}

/**
 * Streaming RESP2/RESP3 decoder. Feed it chunks as they arrive, split anywhere; it calls
 * `onReply` for every complete reply and `onPush` for every push message.
 *
 * After a {@link ProtocolError} the decoder is unusable: every later `feed` throws the same error.
 *
 * ```ts
 * const decoder = new RespDecoder({ onReply: (reply) => console.log(reply) });
 * socket.on('data', (chunk) => decoder.feed(chunk));
 * ```
 *
 * In buffer mode a bulk string is a view into the received chunk (no copy). A view is a loan:
 * it keeps the whole chunk alive; copy it (`Buffer.from(view)`) to keep a small part for long.
 */
export class RespDecoder {
  readonly #limits: DecoderLimits;
  readonly #defaultStrings: StringMode;
  readonly #maps: number;
  readonly #setsAsSet: boolean;
  readonly #verbatimObject: boolean;
  readonly #onReply: (reply: unknown) => void;
  readonly #onPush: ((push: unknown[]) => void) | undefined;
  readonly #planReply: (() => ReplyPlan | undefined) | undefined;

  #buf: Buffer = EMPTY;
  #pos = 0;
  /** Stream offset of #buf[0]. */
  #base = 0;
  #frames: Frame[] = [];
  #depth = 0;
  /** Attributes waiting for the next top-level value. */
  #topAttributes: unknown = undefined;
  /** The current reply's plan has been asked for. */
  #planned = false;
  #strings: StringMode;
  #reader: ReplyReader | undefined = undefined;
  #isPush = false;
  /** A large bulk being filled across chunks. */
  #bulk: Buffer | undefined = undefined;
  #bulkFilled = 0;
  #bulkType = 0;
  #bulkOffset = 0;
  /** Bytes of the current reply consumed from earlier buffers. */
  #replyConsumed = 0;
  #replyStart = 0;
  #failure: ProtocolError | undefined = undefined;
  #feeding = false;

  constructor(options: RespDecoderOptions) {
    if (typeof options?.onReply !== 'function') throw new TypeError('RespDecoder needs an onReply function');
    checkChoice('strings', options.strings, ['string', 'buffer']);
    checkChoice('maps', options.maps, ['object', 'map', 'array']);
    checkChoice('sets', options.sets, ['array', 'set']);
    checkChoice('verbatim', options.verbatim, ['string', 'object']);
    this.#limits = validateLimits(options.limits);
    this.#defaultStrings = options.strings ?? 'string';
    this.#strings = this.#defaultStrings;
    this.#maps = options.maps === 'map' ? 1 : options.maps === 'array' ? 2 : 0;
    this.#setsAsSet = options.sets === 'set';
    this.#verbatimObject = options.verbatim === 'object';
    this.#onReply = options.onReply;
    this.#onPush = options.onPush;
    this.#planReply = options.planReply;
  }

  /** Bytes received but not yet part of a complete reply. */
  get pendingBytes(): number {
    return this.#buf.length - this.#pos + this.#replyConsumed + this.#bulkFilled;
  }

  /** Whether a reply has started but not finished. */
  get inReply(): boolean {
    return this.#depth > 0 || this.#bulk !== undefined || this.#pos < this.#buf.length || this.#planned;
  }

  /** Decodes as much of the stream as `chunk` completes, calling the callbacks synchronously. */
  feed(chunk: Uint8Array): void {
    if (this.#failure) throw this.#failure;
    if (this.#feeding) throw new Error('RespDecoder.feed() called from inside one of its own callbacks');
    if (chunk.length === 0) return;
    let data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#feeding = true;
    try {
      if (this.#bulk !== undefined) {
        data = this.#fillBulk(data);
        if (data.length === 0) return;
      }
      if (this.#pos < this.#buf.length) {
        // The token cut by the last boundary: parse it again with the new bytes behind it.
        this.#base += this.#pos;
        this.#buf = Buffer.concat([this.#buf.subarray(this.#pos), data]);
      } else {
        this.#base += this.#buf.length;
        this.#buf = data;
      }
      this.#pos = 0;
      this.#replyStart = 0;
      this.#parse();
    } catch (err) {
      if (err instanceof ProtocolError) this.#fail(err);
      throw err;
    } finally {
      this.#feeding = false;
    }
  }

  /** Drops everything buffered and any reply in progress (after a reconnect). */
  reset(): void {
    this.#buf = EMPTY;
    this.#pos = 0;
    this.#base = 0;
    this.#depth = 0;
    for (const frame of this.#frames) {
      frame.container = undefined;
      frame.key = undefined;
      frame.attributes = undefined;
      frame.reader = undefined;
    }
    this.#topAttributes = undefined;
    this.#planned = false;
    this.#reader = undefined;
    this.#strings = this.#defaultStrings;
    this.#bulk = undefined;
    this.#bulkFilled = 0;
    this.#replyConsumed = 0;
    this.#replyStart = 0;
    this.#failure = undefined;
  }

  #fail(err: ProtocolError): never {
    this.#failure = err;
    this.#buf = EMPTY;
    this.#pos = 0;
    this.#bulk = undefined;
    this.#frames = [];
    throw err;
  }

  #error(message: string, pos: number): ProtocolError {
    return new ProtocolError(message, this.#base + pos);
  }

  /** Copies a streamed bulk's bytes; returns what is left of `data` after it. */
  #fillBulk(data: Buffer): Buffer {
    const target = this.#bulk!;
    const take = Math.min(target.length - this.#bulkFilled, data.length);
    data.copy(target, this.#bulkFilled, 0, take);
    this.#bulkFilled += take;
    this.#base += take;
    this.#replyConsumed += take;
    if (this.#bulkFilled < target.length) return EMPTY;
    const len = target.length - 2;
    if (target[len] !== CR || target[len + 1] !== LF) {
      throw new ProtocolError('bulk string not followed by CRLF', this.#bulkOffset + len);
    }
    this.#bulk = undefined;
    this.#bulkFilled = 0;
    this.#place(this.#bulkValue(this.#bulkType, target, 0, len, this.#bulkOffset), 0);
    return data.subarray(take);
  }

  #bulkValue(type: number, buf: Buffer, start: number, len: number, offset: number): unknown {
    const end = start + len;
    if (type === BULK) return this.#strings === 'buffer' ? buf.subarray(start, end) : utf8(buf, start, end);
    if (type === BULK_ERROR) return replyError(utf8(buf, start, end));
    // Verbatim: "fmt:" then the text.
    if (len < 4 || buf[start + 3] !== 0x3a)
      throw new ProtocolError('verbatim string without a format prefix', offset);
    const text = this.#strings === 'buffer' ? buf.subarray(start + 4, end) : utf8(buf, start + 4, end);
    return this.#verbatimObject ? new VerbatimString(latin1(buf, start, start + 3), text) : text;
  }

  /**
   * Reads the decimal length on the header line starting at `pos` (after the type byte).
   * Returns the length, or -2 when the line is incomplete; sets #lineEnd to the byte after LF.
   */
  #lineEnd = 0;
  #readLength(buf: Buffer, pos: number, end: number, what: string): number {
    let i = pos + 1;
    if (i >= end) return -2;
    let c = buf[i]!;
    if (c === MINUS) {
      // Only "-1" is a valid negative length (the RESP2 null bulk string and null array).
      if (i + 1 < end && buf[i + 1] !== 0x31) throw this.#error(`negative ${what} length`, i);
      if (i + 2 < end && buf[i + 2] !== CR) throw this.#error(`negative ${what} length`, i);
      if (i + 3 >= end) return -2;
      if (buf[i + 3] !== LF) throw this.#error('expected LF after CR', i + 3);
      this.#lineEnd = i + 4;
      return -1;
    }
    let len = 0;
    const start = i;
    while (c !== CR) {
      const digit = c - ZERO;
      if (digit < 0 || digit > 9) throw this.#error(`invalid character in ${what} length`, i);
      len = len * 10 + digit;
      if (i - start >= 15) throw this.#error(`${what} length too long`, i);
      if (++i >= end) return -2;
      c = buf[i]!;
    }
    if (i === start) throw this.#error(`empty ${what} length`, i);
    if (i + 1 >= end) return -2;
    if (buf[i + 1] !== LF) throw this.#error('expected LF after CR', i + 1);
    this.#lineEnd = i + 2;
    return len;
  }

  /** Finds the CR of the line starting at `from`; -1 when not yet received. */
  #findLineEnd(buf: Buffer, from: number, end: number): number {
    const cr = buf.indexOf(CR, from);
    if (cr < 0 || cr + 1 >= end) return -1;
    if (buf[cr + 1] !== LF) throw this.#error('expected LF after CR', cr + 1);
    return cr;
  }

  #parseInteger(buf: Buffer, start: number, cr: number): number | bigint {
    let i = start;
    let negative = false;
    const first = buf[i];
    if (first === MINUS) {
      negative = true;
      i++;
    } else if (first === PLUS) {
      i++;
    }
    const digits = cr - i;
    if (digits <= 0) throw this.#error('integer without digits', start);
    if (digits <= MAX_SAFE_DIGITS) {
      let n = 0;
      for (; i < cr; i++) {
        const digit = buf[i]! - ZERO;
        if (digit < 0 || digit > 9) throw this.#error('invalid character in integer', i);
        n = n * 10 + digit;
      }
      return negative ? -n : n;
    }
    for (let j = i; j < cr; j++) {
      const digit = buf[j]! - ZERO;
      if (digit < 0 || digit > 9) throw this.#error('invalid character in integer', j);
    }
    // Redis integers are signed 64-bit: exact as a number within ±2^53, a bigint beyond.
    if (digits > 19) throw this.#error('integer out of the signed 64-bit range', start);
    const big = BigInt(latin1(buf, start, cr));
    if (big < INT64_MIN || big > INT64_MAX)
      throw this.#error('integer out of the signed 64-bit range', start);
    return big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big;
  }

  #parseDouble(buf: Buffer, start: number, cr: number): number {
    const text = latin1(buf, start, cr);
    switch (text) {
      case 'inf':
      case '+inf':
        return Number.POSITIVE_INFINITY;
      case '-inf':
        return Number.NEGATIVE_INFINITY;
      case 'nan':
      case '-nan':
        return Number.NaN;
    }
    // A strict decimal form: Number() alone would accept "", " 1", "0x10", "Infinity".
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw this.#error('invalid double', start);
    return Number(text);
  }

  #parseBigNumber(buf: Buffer, start: number, cr: number): bigint {
    const sign = buf[start] === MINUS || buf[start] === PLUS ? 1 : 0;
    if (cr - start - sign > this.#limits.maxBigNumberDigits) {
      throw this.#error(
        `big number longer than maxBigNumberDigits (${this.#limits.maxBigNumberDigits})`,
        start,
      );
    }
    const text = latin1(buf, start, cr);
    if (!/^[+-]?\d+$/.test(text)) throw this.#error('invalid big number', start);
    return BigInt(text);
  }

  #startReply(type: number): void {
    // The first byte of a top-level value: a push, an attribute, or a reply that has a plan.
    if (type === PUSH) {
      this.#isPush = true;
      this.#strings = this.#defaultStrings;
      this.#reader = undefined;
      return;
    }
    if (type === ATTRIBUTE || this.#planned) return;
    this.#planned = true;
    this.#isPush = false;
    const plan = this.#planReply?.();
    if (plan === undefined) {
      this.#strings = this.#defaultStrings;
      this.#reader = undefined;
    } else if (typeof plan === 'string') {
      this.#strings = plan;
      this.#reader = undefined;
    } else {
      this.#strings = plan.strings ?? 'string';
      this.#reader = plan;
    }
  }

  #parse(): void {
    const buf = this.#buf;
    const end = buf.length;
    let pos = this.#pos;
    while (pos < end) {
      const start = pos;
      const type = buf[pos]!;
      if (this.#depth === 0) this.#startReply(type);
      let value: unknown;
      switch (type) {
        case BULK:
        case VERBATIM:
        case BULK_ERROR: {
          const len = this.#readLength(buf, pos, end, 'bulk');
          if (len === -2) {
            this.#incomplete(start);
            return;
          }
          if (len === -1) {
            if (type !== BULK) throw this.#error('negative length', pos + 1);
            value = null;
            pos = this.#lineEnd;
            break;
          }
          if (len > this.#limits.maxBulkLength) {
            throw this.#error(
              `bulk length ${len} exceeds maxBulkLength (${this.#limits.maxBulkLength})`,
              pos,
            );
          }
          const dataStart = this.#lineEnd;
          const dataEnd = dataStart + len;
          if (dataEnd + 2 > end) {
            if (len >= STREAMED_BULK_MIN) {
              this.#streamBulk(type, len, dataStart);
              return;
            }
            this.#incomplete(start);
            return;
          }
          if (buf[dataEnd] !== CR || buf[dataEnd + 1] !== LF)
            throw this.#error('bulk string not followed by CRLF', dataEnd);
          value = this.#bulkValue(type, buf, dataStart, len, this.#base + dataStart);
          pos = dataEnd + 2;
          break;
        }
        case ARRAY:
        case MAP:
        case SET:
        case PUSH:
        case ATTRIBUTE: {
          const len = this.#readLength(buf, pos, end, 'aggregate');
          if (len === -2) {
            this.#incomplete(start);
            return;
          }
          pos = this.#lineEnd;
          if (len === -1) {
            if (type !== ARRAY) throw this.#error('negative length', start + 1);
            value = null;
            break;
          }
          if (len > this.#limits.maxAggregateLength) {
            throw this.#error(
              `aggregate of ${len} elements exceeds maxAggregateLength (${this.#limits.maxAggregateLength})`,
              start,
            );
          }
          const kind =
            type === ARRAY
              ? K_ARRAY
              : type === MAP
                ? K_MAP
                : type === SET
                  ? K_SET
                  : type === PUSH
                    ? K_PUSH
                    : K_ATTRIBUTE;
          if (len === 0) {
            value = this.#emptyAggregate(kind);
            if (kind === K_ATTRIBUTE) {
              this.#setAttributes(value);
              continue;
            }
            break;
          }
          this.#pushFrame(kind, len, start);
          continue;
        }
        case INTEGER: {
          const cr = this.#findLineEnd(buf, pos + 1, end);
          if (cr < 0) {
            this.#incomplete(start);
            return;
          }
          value = this.#parseInteger(buf, pos + 1, cr);
          pos = cr + 2;
          break;
        }
        case SIMPLE:
        case ERROR: {
          const cr = this.#findLineEnd(buf, pos + 1, end);
          if (cr < 0) {
            this.#incomplete(start);
            return;
          }
          const text = utf8(buf, pos + 1, cr);
          value = type === SIMPLE ? text : replyError(text);
          pos = cr + 2;
          break;
        }
        case NULL: {
          if (pos + 2 >= end) {
            this.#incomplete(start);
            return;
          }
          if (buf[pos + 1] !== CR || buf[pos + 2] !== LF) throw this.#error('invalid null', pos);
          value = null;
          pos += 3;
          break;
        }
        case BOOLEAN: {
          if (pos + 3 >= end) {
            this.#incomplete(start);
            return;
          }
          const c = buf[pos + 1];
          if ((c !== LOWER_T && c !== LOWER_F) || buf[pos + 2] !== CR || buf[pos + 3] !== LF) {
            throw this.#error('invalid boolean', pos);
          }
          value = c === LOWER_T;
          pos += 4;
          break;
        }
        case DOUBLE: {
          const cr = this.#findLineEnd(buf, pos + 1, end);
          if (cr < 0) {
            this.#incomplete(start);
            return;
          }
          value = this.#parseDouble(buf, pos + 1, cr);
          pos = cr + 2;
          break;
        }
        case BIG_NUMBER: {
          const cr = this.#findLineEnd(buf, pos + 1, end);
          if (cr < 0) {
            if (end - pos > this.#limits.maxBigNumberDigits + 3) {
              throw this.#error(
                `big number longer than maxBigNumberDigits (${this.#limits.maxBigNumberDigits})`,
                pos,
              );
            }
            this.#incomplete(start);
            return;
          }
          value = this.#parseBigNumber(buf, pos + 1, cr);
          pos = cr + 2;
          break;
        }
        default:
          throw this.#error(`invalid RESP type byte 0x${type.toString(16).padStart(2, '0')}`, pos);
      }
      this.#pos = pos;
      this.#place(value, pos);
    }
    this.#pos = pos;
    this.#finishBuffer();
  }

  /** The token at `start` is cut by the end of the buffer: keep it for the next chunk. */
  #incomplete(start: number): void {
    this.#pos = start;
    this.#finishBuffer();
  }

  #finishBuffer(): void {
    const buf = this.#buf;
    const pos = this.#pos;
    const tail = buf.length - pos;
    if (this.#depth > 0 || tail > 0 || this.#bulk !== undefined) {
      const pending = this.#replyConsumed + (buf.length - this.#replyStart);
      if (pending > this.#limits.maxBufferedBytes) {
        throw this.#error(
          `incomplete reply exceeds maxBufferedBytes (${this.#limits.maxBufferedBytes})`,
          pos,
        );
      }
      this.#replyConsumed += pos - this.#replyStart;
      this.#replyStart = pos;
    }
    if (tail === 0) {
      this.#base += buf.length;
      this.#buf = EMPTY;
      this.#pos = 0;
      this.#replyStart = 0;
    } else if (tail < 4096 && buf.length > 65536) {
      // Keep a copy of the cut token, not a view that pins the whole chunk.
      this.#base += pos;
      this.#buf = Buffer.from(buf.subarray(pos));
      this.#pos = 0;
      this.#replyStart = 0;
    }
  }

  #streamBulk(type: number, len: number, dataStart: number): void {
    const buf = this.#buf;
    const have = buf.length - dataStart;
    this.#replyConsumed += buf.length - this.#replyStart;
    if (this.#replyConsumed + (len + 2 - have) > this.#limits.maxBufferedBytes) {
      throw this.#error(
        `incomplete reply exceeds maxBufferedBytes (${this.#limits.maxBufferedBytes})`,
        dataStart,
      );
    }
    const target = Buffer.allocUnsafe(len + 2);
    buf.copy(target, 0, dataStart, buf.length);
    this.#bulk = target;
    this.#bulkFilled = have;
    this.#bulkType = type;
    this.#bulkOffset = this.#base + dataStart;
    this.#base += buf.length;
    this.#buf = EMPTY;
    this.#pos = 0;
    this.#replyStart = 0;
  }

  #pushFrame(kind: number, len: number, start: number): void {
    const depth = this.#depth;
    if (depth >= this.#limits.maxDepth) {
      throw this.#error(`nesting deeper than maxDepth (${this.#limits.maxDepth})`, start);
    }
    let frame = this.#frames[depth];
    if (frame === undefined) {
      frame = new Frame();
      this.#frames.push(frame);
    }
    frame.kind = kind;
    frame.length = len;
    frame.remaining = kind === K_MAP || kind === K_ATTRIBUTE ? len * 2 : len;
    frame.hasKey = false;
    frame.flat = false;
    frame.key = undefined;
    frame.attributes = undefined;
    frame.offset = this.#base + start;
    const reader = this.#reader;
    frame.reader = reader;
    if (reader !== undefined) {
      frame.container = reader.begin(
        KIND_NAMES[kind]!,
        len,
        depth > 0 ? this.#frames[depth - 1]!.container : undefined,
      );
    } else if (kind === K_MAP || kind === K_ATTRIBUTE) {
      const maps = kind === K_ATTRIBUTE ? 0 : this.#maps;
      frame.container = maps === 0 ? Object.create(null) : maps === 1 ? new Map() : new Array(len * 2);
      frame.flat = maps === 2;
    } else if (kind === K_SET && this.#setsAsSet) {
      frame.container = new Set();
    } else {
      frame.container = new Array(Math.min(len, PREALLOCATE_MAX));
    }
    this.#depth = depth + 1;
  }

  #emptyAggregate(kind: number): unknown {
    const reader = this.#reader;
    if (reader !== undefined) {
      const parent = this.#depth > 0 ? this.#frames[this.#depth - 1]!.container : undefined;
      return reader.end(reader.begin(KIND_NAMES[kind]!, 0, parent));
    }
    if (kind === K_ATTRIBUTE) return Object.create(null);
    if (kind === K_MAP) return this.#maps === 0 ? Object.create(null) : this.#maps === 1 ? new Map() : [];
    if (kind === K_SET && this.#setsAsSet) return new Set();
    return [];
  }

  #setAttributes(attributes: unknown): void {
    if (this.#depth === 0) this.#topAttributes = attributes;
    else this.#frames[this.#depth - 1]!.attributes = attributes;
  }

  /** Adds a completed value to the open aggregates, closing those it completes. */
  #place(value: unknown, pos: number): void {
    let depth = this.#depth;
    for (;;) {
      if (depth === 0) {
        if (this.#topAttributes !== undefined) {
          value = new AttributedValue(value, this.#topAttributes);
          this.#topAttributes = undefined;
        }
        this.#depth = 0;
        this.#emit(value, pos);
        return;
      }
      const frame = this.#frames[depth - 1]!;
      if (frame.attributes !== undefined) {
        value = new AttributedValue(value, frame.attributes);
        frame.attributes = undefined;
      }
      const reader = frame.reader;
      const container = frame.container;
      const remaining = --frame.remaining;
      if (reader !== undefined) {
        reader.add(container, value);
      } else {
        switch (frame.kind) {
          case K_ARRAY:
          case K_PUSH:
            (container as unknown[])[frame.length - remaining - 1] = value;
            break;
          case K_SET:
            if (this.#setsAsSet) (container as Set<unknown>).add(value);
            else (container as unknown[])[frame.length - remaining - 1] = value;
            break;
          default:
            // Maps and attributes: key, value, key, value ...
            if (frame.flat) {
              (container as unknown[])[frame.length * 2 - remaining - 1] = value;
            } else if (!frame.hasKey) {
              frame.key = value;
              frame.hasKey = true;
            } else {
              frame.hasKey = false;
              const key = frame.key;
              frame.key = undefined;
              if (frame.kind === K_MAP && this.#maps === 1)
                (container as Map<unknown, unknown>).set(key, value);
              else (container as Record<string, unknown>)[objectKey(key)] = value;
            }
        }
      }
      if (remaining > 0) return;
      // The aggregate is complete.
      value = reader !== undefined ? reader.end(container) : container;
      frame.container = undefined;
      frame.reader = undefined;
      depth--;
      this.#depth = depth;
      if (frame.kind === K_ATTRIBUTE) {
        this.#setAttributes(value);
        return;
      }
    }
  }

  #emit(value: unknown, pos: number): void {
    const isPush = this.#isPush;
    this.#planned = false;
    this.#isPush = false;
    this.#reader = undefined;
    this.#strings = this.#defaultStrings;
    this.#replyConsumed = 0;
    this.#replyStart = pos;
    if (isPush) {
      this.#onPush?.(value as unknown[]);
    } else {
      this.#onReply(value);
    }
  }
}

/**
 * Error replies are values, often many in a pipeline: skip capturing a stack that would only
 * point into the decoder. The client attaches the caller's context where it matters.
 */
function replyError(message: string): ReplyError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new ReplyError(message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function objectKey(key: unknown): string {
  if (typeof key === 'string') return key;
  if (Buffer.isBuffer(key)) return key.toString('utf8');
  return String(key);
}

/**
 * Decodes exactly one complete reply from `bytes`. Incomplete input, trailing bytes, or a push
 * message instead of a reply raise a {@link ProtocolError}. For tools and tests; connections
 * use {@link RespDecoder}.
 */
export function decode(bytes: Uint8Array, options: DecodeOptions = {}): unknown {
  let result: unknown;
  let count = 0;
  const decoder = new RespDecoder({
    ...options,
    onReply: (reply) => {
      result = reply;
      count++;
    },
    onPush: (push) => {
      result = push;
      count++;
    },
  });
  decoder.feed(bytes);
  if (count === 0) throw new ProtocolError('incomplete reply', bytes.length);
  if (count > 1 || decoder.inReply) throw new ProtocolError('trailing bytes after the reply', bytes.length);
  return result;
}

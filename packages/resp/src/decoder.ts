// Streaming RESP2/RESP3 decoder: one pass from the received bytes to the final values.
// Spec: https://github.com/redis/redis-specifications/blob/master/protocol/RESP3.md
//
// How it stays linear however the bytes are chunked: aggregates are built on an explicit stack
// of frames that survives between chunks, so completed elements are never parsed twice. Only
// the one token cut by a chunk boundary (a header line, a small bulk) is kept and parsed again
// once the next chunk arrives. A large bulk cut by a boundary is copied into its own buffer as
// the chunks arrive, each byte once.

import { constants as bufferConstants, isAscii } from 'node:buffer';
import {
  createReplyError,
  MapKeyError,
  ProtocolError,
  type PyrsedisError,
  ReaderError,
  type ReplyError,
} from './errors.js';
import { pinHiddenClass } from './pin.js';
import { latin1Slice as latin1, utf8Slice as utf8, utf8Text } from './text.js';
import { AttributedValue, VerbatimString } from './values.js';

// Numbers compared on the hot paths are `const enum` members: esbuild writes them as literals.
// Module-level `const`s become `var`s in the bundle, which V8 loads from the module context (and
// checks) at every use — in the digit loops that cost more than the comparisons themselves.

/** Type bytes. */
const enum Type {
  SIMPLE = 0x2b, // '+'
  ERROR = 0x2d, // '-'
  INTEGER = 0x3a, // ':'
  BULK = 0x24, // '$'
  ARRAY = 0x2a, // '*'
  NULL = 0x5f, // '_'
  BOOLEAN = 0x23, // '#'
  DOUBLE = 0x2c, // ','
  BIG_NUMBER = 0x28, // '('
  BULK_ERROR = 0x21, // '!'
  VERBATIM = 0x3d, // '='
  MAP = 0x25, // '%'
  SET = 0x7e, // '~'
  ATTRIBUTE = 0x7c, // '|'
  PUSH = 0x3e, // '>'
}

/** The other bytes the decoder compares. */
const enum Byte {
  CR = 0x0d,
  LF = 0x0a,
  MINUS = 0x2d,
  PLUS = 0x2b,
  ZERO = 0x30,
  NINE = 0x39,
  LOWER_T = 0x74,
  LOWER_F = 0x66,
}

/** Frame kinds, as numbers on the hot path. */
const enum Kind {
  ARRAY = 0,
  SET = 1,
  MAP = 2,
  PUSH = 3,
  ATTRIBUTE = 4,
}
const KIND_NAMES: readonly AggregateKind[] = ['array', 'set', 'map', 'push', 'attribute'];

/** Sizes and limits on the hot paths. */
const enum Size {
  /** A bulk longer than this that is cut by a chunk boundary is copied as it arrives. */
  STREAMED_BULK_MIN = 32 * 1024,
  /** Arrays are preallocated up to this many elements; longer ones grow as elements arrive. */
  PREALLOCATE_MAX = 1 << 20,
  /** Elements the open frames of a reply may preallocate together before bytes must back them. */
  PREALLOCATE_BUDGET = 2 * Size.PREALLOCATE_MAX,
  MAX_SAFE_DIGITS = 15,
  /**
   * Bytes that must follow an integer's first digit for the unrolled digit loop of `_fillArrays`:
   * it reads up to MAX_SAFE_DIGITS + 4 digits without checking the end of the received bytes.
   */
  INTEGER_UNROLL_MARGIN = 24,
  /** Bytes after ':' an integer line may have before its CR: a sign and 19 digits (int64). */
  MAX_INTEGER_LINE = 20,
  /** Bytes after ',' a double line may have: far beyond any real double's text (%.17g is 24). */
  MAX_DOUBLE_LINE = 1024,
  /** Bytes of a new chunk copied behind a cut token to finish it (the rest is parsed in place). */
  // biome-ignore lint/suspicious/noDuplicateEnumValues: a size, equal to MAX_DOUBLE_LINE by chance
  STITCH = 1024,
}
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

/**
 * A parser of one reply's raw bytes, for formats worth a byte-level decoder of their own (the
 * FalkorDB add-on's compact results). The decoder hands it the reply's bytes from its first byte
 * on, as they arrive; it must be resumable: parse what is complete, return where it stopped.
 */
export interface ReplyParser {
  /**
   * Parses from `buf[pos]` up to `end`; returns the position after what it consumed (an integer
   * from `pos` to `end`: anything else fails the decoder with a ProtocolError). Bytes not
   * consumed (a token cut by a chunk boundary) are presented again, with the next chunk's behind
   * them. Throws a {@link ProtocolError} on malformed input; `offset` is the stream offset of
   * `buf[0]` (bytes fed to the decoder before it), for the error's `offset`.
   */
  parse(buf: Buffer, pos: number, end: number, offset: number): number;
  /** True once the reply is complete: `result` is then emitted as the reply. */
  readonly done: boolean;
  /** The decoded reply. */
  readonly result: unknown;
  /**
   * Bytes the parser needs, counted from where it stopped, before it can go on (a long bulk
   * string): the decoder gathers chunks until then instead of re-presenting a growing tail.
   */
  readonly need: number;
}

/** How to decode one reply: a string mode, a {@link ReplyReader}, or a {@link ReplyParser}. */
export type ReplyPlan = StringMode | ReplyReader | ReplyParser;

/** Callbacks and options of a {@link RespDecoder}. */
export interface RespDecoderOptions extends DecodeOptions {
  /** Receives each complete reply, in order. Error replies arrive as {@link ReplyError} values. */
  onReply: (reply: unknown) => void;
  /** Receives RESP3 push messages (`>`), which are not replies. Default: dropped. */
  onPush?: (push: unknown[]) => void;
  /**
   * How bulk strings inside push messages arrive; default: as `strings` says. A client that
   * serves binary pub/sub asks for `'buffer'` (channel names and payloads byte for byte).
   */
  pushStrings?: StringMode;
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

/**
 * A bulk string's text. Large ASCII texts decode as latin1 (the same characters): V8 builds a
 * one-byte string without the UTF-8 state machine, ~6x faster at 1 MiB; `isAscii` (simdutf)
 * costs ~2% of that. Small texts go straight to utf8Slice.
 */
function bulkText(buf: Buffer, start: number, end: number): string {
  if (end - start >= LARGE_TEXT && hasIsAscii && isAscii(buf.subarray(start, end)))
    return latin1(buf, start, end);
  return utf8Text(buf, start, end);
}
const LARGE_TEXT = 65536;
const hasIsAscii = typeof isAscii === 'function';

/** The largest values limits may take: a Buffer's maximum length, half an array's (flat maps). */
const LIMIT_CAPS: Partial<Record<keyof DecoderLimits, number>> = {
  maxBulkLength: bufferConstants.MAX_LENGTH,
  maxAggregateLength: 2 ** 31 - 1,
};

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
    // Beyond what a Buffer or an array can hold, a limit would turn into a RangeError.
    const most = LIMIT_CAPS[key];
    if (most !== undefined && value > most)
      throw new TypeError(`decoder limit ${key} can be at most ${most}, got ${value}`);
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
  /** A plain array filled by the generic decoder: eligible for the tight loop. */
  fast = false;
  /** A map decoded into a plain object, without a reader: eligible for the map loop. */
  fastMap = false;
  /** Elements preallocated for this frame's array (0 for other containers). */
  preallocated = 0;
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
  // Members are TypeScript-private, not #private: on Node 20 the #private fields and methods of
  // this hot class cost ~2x (measured: 1M small replies 380 ms with #private, 198 ms without).
  private readonly _limits: DecoderLimits;
  private readonly _defaultStrings: StringMode;
  private readonly _maps: number;
  private readonly _setsAsSet: boolean;
  private readonly _verbatimObject: boolean;
  private readonly _onReply: (reply: unknown) => void;
  private readonly _onPush: ((push: unknown[]) => void) | undefined;
  private readonly _planReply: (() => ReplyPlan | undefined) | undefined;

  private _buf: Buffer = EMPTY;
  private _pos = 0;
  /** Stream offset of #buf[0]. */
  private _base = 0;
  private _frames: Frame[] = [];
  private _depth = 0;
  /** Attributes waiting for the next top-level value. */
  private _topAttributes: unknown = undefined;
  /** The last attributes object this decoder made by merging two (its own: it may add to it). */
  private _mergedAttributes: unknown = undefined;
  /** The current reply's plan has been asked for. */
  private _planned = false;
  private readonly _pushStrings: StringMode;
  private _strings: StringMode;
  private _reader: ReplyReader | undefined = undefined;
  /** The reply in progress belongs to a parser of its own (raw bytes). */
  private _parser: ReplyParser | undefined = undefined;
  /**
   * What went wrong with the reply being decoded, though its bytes are fine (a reader threw: a
   * ReaderError; a map key could not be kept: a MapKeyError): delivered in its place at its end.
   */
  private _readerFailure: PyrsedisError | undefined = undefined;
  /** Chunks held back until the parser's `need` is met (one concatenation, not one per chunk). */
  private _held: Buffer[] = [];
  private _heldBytes = 0;
  private _isPush = false;
  /** A large bulk being filled across chunks. */
  /** A large bulk arriving over several chunks: in progress while `_bulkActive`. */
  private _bulkActive = false;
  /** Buffer mode (and errors, verbatim): the bytes are gathered here. */
  private _bulk: Buffer | undefined = undefined;
  /** String mode: decoded chunk by chunk (a multi-byte character may straddle chunks). */
  private _bulkFilled = 0;
  private _bulkLength = 0;
  private _bulkCrlf = 0;
  private _bulkType = 0;
  private _bulkOffset = 0;
  /** Bytes of the current reply consumed from earlier buffers. */
  private _replyConsumed = 0;
  /** The cut token is a line still waiting for its CR (gathered in _lineParts). */
  private _lineCut = false;
  private _lineParts: Buffer[] = [];
  private _lineBytes = 0;
  private _replyStart = 0;
  private _failure: ProtocolError | undefined = undefined;
  private _feeding = false;
  /** While a cut token is parsed with a chunk's first bytes behind it (`_stitch`): the bytes of
   * that chunk after the stitch, here too; 0 otherwise. */
  private _stitchRest = 0;

  static {
    // `decode()` makes a decoder per call: keep the hidden classes of the hot ones (see pin.ts).
    pinHiddenClass(new RespDecoder({ onReply: () => {} }), ['_topAttributes', '_reader', '_parser', '_bulk']);
    pinHiddenClass(new Frame(), ['container', 'key', 'attributes', 'reader']);
  }

  constructor(options: RespDecoderOptions) {
    if (typeof options?.onReply !== 'function') throw new TypeError('RespDecoder needs an onReply function');
    checkChoice('strings', options.strings, ['string', 'buffer']);
    checkChoice('pushStrings', options.pushStrings, ['string', 'buffer']);
    checkChoice('maps', options.maps, ['object', 'map', 'array']);
    checkChoice('sets', options.sets, ['array', 'set']);
    checkChoice('verbatim', options.verbatim, ['string', 'object']);
    this._limits = validateLimits(options.limits);
    this._defaultStrings = options.strings ?? 'string';
    this._pushStrings = options.pushStrings ?? this._defaultStrings;
    this._strings = this._defaultStrings;
    this._maps = options.maps === 'map' ? 1 : options.maps === 'array' ? 2 : 0;
    this._setsAsSet = options.sets === 'set';
    this._verbatimObject = options.verbatim === 'object';
    this._onReply = options.onReply;
    this._onPush = options.onPush;
    this._planReply = options.planReply;
  }

  /** Bytes received but not yet part of a complete reply. */
  get pendingBytes(): number {
    return this._buf.length - this._pos + this._heldBytes + this._lineBytes + this._replyConsumed;
  }

  /** Whether a reply has started but not finished. */
  get inReply(): boolean {
    return (
      this._depth > 0 ||
      this._bulkActive ||
      this._pos < this._buf.length ||
      this._planned ||
      this._topAttributes !== undefined
    );
  }

  /** Decodes as much of the stream as `chunk` completes, calling the callbacks synchronously. */
  feed(chunk: Uint8Array): void {
    if (this._failure) throw this._failure;
    if (this._feeding) throw new Error('RespDecoder.feed() called from inside one of its own callbacks');
    if (chunk.length === 0) return;
    let data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this._feeding = true;
    try {
      while (data.length > 0) data = this._feedOnce(data);
    } catch (err) {
      if (err instanceof ProtocolError) this._fail(err);
      throw err;
    } finally {
      this._feeding = false;
    }
  }

  /** Parses `data` behind what is buffered; returns bytes left for another round, or EMPTY. */
  private _feedOnce(data: Buffer): Buffer {
    if (this._bulkActive) {
      data = this._fillBulk(data);
      if (data.length === 0) return EMPTY;
    }
    // Chunks held back for a parser's need: joined with the cut tail in one concatenation.
    let parts: Buffer[] | undefined;
    if (this._parser !== undefined) {
      const have = this._buf.length - this._pos + this._heldBytes + data.length;
      let need: number;
      try {
        need = this._parser.need;
      } catch (err) {
        throw this._parserThrew(err, this._pos);
      }
      if (have < need) {
        this._held.push(data);
        this._heldBytes += data.length;
        this._checkBuffered(have);
        return EMPTY;
      }
      if (this._held.length > 0) {
        parts = this._held;
        parts.push(data);
        this._held = [];
        this._heldBytes = 0;
      }
    }
    if (this._lineCut && parts === undefined) {
      const parts0 = this._lineParts;
      const last = parts0.length > 0 ? parts0[parts0.length - 1]! : this._buf;
      if (last[last.length - 1] !== Byte.CR && data.indexOf(Byte.CR) < 0) {
        // Still no CR: keep the chunk aside (one scan of it, no copy yet).
        parts0.push(data);
        this._lineBytes += data.length;
        const cut = this._buf.length - this._pos + this._lineBytes;
        const type = this._buf[this._pos]!;
        if (cut - 1 > this._lineMost(type)) {
          // Joined once, for the error only: it must be the one the whole line would get.
          const line = Buffer.concat([this._buf.subarray(this._pos), ...parts0]);
          this._base += this._pos;
          this._buf = line;
          this._pos = 0;
          throw this._lineTooLong(line, 0, line.length);
        }
        this._checkBuffered(cut);
        return EMPTY;
      }
      this._lineCut = false;
      if (parts0.length > 0) {
        parts0.push(data);
        parts = parts0;
        this._lineParts = [];
        this._lineBytes = 0;
      }
    }
    if (this._pos < this._buf.length) {
      // The token cut by the last boundary: parse it again with the new bytes behind it.
      this._base += this._pos;
      const tail = this._buf.subarray(this._pos);
      if (parts === undefined && tail.length <= Size.STITCH && data.length >= 2 * Size.STITCH)
        return this._stitch(tail, data);
      this._buf = Buffer.concat(parts === undefined ? [tail, data] : [tail, ...parts]);
    } else {
      this._base += this._buf.length;
      this._buf = parts === undefined ? data : Buffer.concat(parts);
    }
    this._pos = 0;
    this._replyStart = 0;
    this._parse();
    return EMPTY;
  }

  /**
   * A short cut token and a large chunk: rather than copying the whole chunk behind the token,
   * parse the token with only the chunk's first STITCH bytes behind it, then go on in the chunk
   * itself (zero-copy views stay views of the chunk). Returns bytes left for another round.
   */
  private _stitch(tail: Buffer, data: Buffer): Buffer {
    const stitched = Buffer.concat([tail, data.subarray(0, Size.STITCH)]);
    this._buf = stitched;
    this._pos = 0;
    this._replyStart = 0;
    // The limit on buffered bytes is checked once the chunk is used up, not at the stitch's end
    // (the reply may well complete in the chunk: the result must not depend on where it was cut).
    this._stitchRest = data.length - Size.STITCH;
    try {
      this._parse();
    } catch (err) {
      // A callback threw (or the stream is malformed): keep the chunk's unread bytes buffered, as
      // without the stitch, so that the next feed goes on where this one stopped.
      if (this._buf === stitched && !this._bulkActive) {
        this._base += this._pos;
        this._buf = Buffer.concat([stitched.subarray(this._pos), data.subarray(Size.STITCH)]);
        this._pos = 0;
        this._replyStart = 0;
      }
      throw err;
    } finally {
      this._stitchRest = 0;
    }
    // A bulk begun in the stitch takes the rest; an emptied buffer takes it as a fresh one; a
    // token longer than the stitch is joined with it whole.
    if (this._bulkActive || this._buf !== stitched || this._pos < tail.length)
      return data.subarray(Size.STITCH);
    // Stopped inside the chunk's first bytes: go on in the chunk itself from there.
    const offset = this._pos - tail.length;
    this._base += tail.length;
    this._buf = data;
    this._pos = offset;
    this._replyStart = offset;
    this._parse();
    return EMPTY;
  }

  private _checkBuffered(pending: number): void {
    if (this._replyConsumed + pending > this._limits.maxBufferedBytes) {
      throw this._error(
        `incomplete reply exceeds maxBufferedBytes (${this._limits.maxBufferedBytes})`,
        this._pos,
      );
    }
  }

  /**
   * Drops everything buffered and any reply in progress (after a reconnect). Not from inside one
   * of the decoder's callbacks: the bytes being decoded would go on into the fresh state.
   */
  reset(): void {
    if (this._feeding) throw new Error('RespDecoder.reset() called from inside one of its own callbacks');
    this._parser = undefined;
    this._held = [];
    this._heldBytes = 0;
    this._buf = EMPTY;
    this._pos = 0;
    this._base = 0;
    this._depth = 0;
    for (const frame of this._frames) {
      frame.container = undefined;
      frame.key = undefined;
      frame.attributes = undefined;
      frame.reader = undefined;
    }
    this._topAttributes = undefined;
    this._mergedAttributes = undefined;
    this._planned = false;
    this._isPush = false;
    this._reader = undefined;
    this._readerFailure = undefined;
    this._strings = this._defaultStrings;
    this._clearBulk();
    this._replyConsumed = 0;
    this._replyStart = 0;
    this._failure = undefined;
    this._clearLine();
  }

  private _clearLine(): void {
    this._lineCut = false;
    this._lineParts = [];
    this._lineBytes = 0;
  }

  private _fail(err: ProtocolError): never {
    this._failure = err;
    this._clearLine();
    this._buf = EMPTY;
    this._pos = 0;
    this._clearBulk();
    this._frames = [];
    throw err;
  }

  /**
   * A parser's own code threw in the middle of a reply: where the reply ends is unknown, so the
   * decoder fails (as for malformed bytes) with a ProtocolError saying so.
   */
  private _parserThrew(err: unknown, pos: number): ProtocolError {
    if (err instanceof ProtocolError) return err;
    return this._error(`the reply parser threw: ${thrownMessage(err)}`, pos, err);
  }

  /**
   * A reader's own code threw: the bytes are fine, so the rest of the reply is decoded without
   * it, into plain containers that are dropped, and a ReaderError takes the reply's place.
   */
  private _readerThrew(err: unknown): void {
    this._readerFailure ??= new ReaderError(`the reply reader threw: ${thrownMessage(err)}`, { cause: err });
    this._reader = undefined;
    for (let d = 0; d < this._depth; d++) {
      const frame = this._frames[d]!;
      if (frame.reader === undefined) continue;
      frame.reader = undefined;
      frame.container = this._discardContainer(frame);
    }
  }

  /**
   * A Buffer-mode map key whose text has U+FFFD: unless its bytes say U+FFFD themselves, they are
   * not UTF-8 and the key cannot key an object without loss — a MapKeyError takes the reply's
   * place (pushes aside: a client's handler expects their arrays; none carries such a map).
   */
  private _checkKey(text: string, bytes: Buffer, frame: Frame): void {
    if (this._isPush || Buffer.from(text, 'utf8').equals(bytes)) return;
    this._readerFailure ??= new MapKeyError(Buffer.from(bytes), frame.offset);
  }

  /** A plain container for the rest of an aggregate whose reader failed (filled, then dropped). */
  private _discardContainer(frame: Frame): unknown {
    frame.fast = false;
    frame.fastMap = false;
    if (frame.kind === Kind.MAP || frame.kind === Kind.ATTRIBUTE) {
      // Flat: keys of any type are fine (no object key to make of an aggregate).
      frame.flat = true;
      return [];
    }
    return frame.kind === Kind.SET && this._setsAsSet ? new Set() : [];
  }

  private _error(message: string, pos: number, cause?: unknown): ProtocolError {
    return new ProtocolError(message, this._base + pos, cause === undefined ? undefined : { cause });
  }

  private _clearBulk(): void {
    this._bulkActive = false;
    this._bulk = undefined;
    this._bulkFilled = 0;
    this._bulkCrlf = 0;
  }

  /** Takes a streamed bulk's bytes from `data`; returns what is left of `data` after it. */
  private _fillBulk(data: Buffer): Buffer {
    const len = this._bulkLength;
    let offset = 0;
    if (this._bulkFilled < len) {
      offset = Math.min(len - this._bulkFilled, data.length);
      data.copy(this._bulk!, this._bulkFilled, 0, offset);
      this._bulkFilled += offset;
    }
    // The CRLF after the data may itself be cut.
    while (this._bulkFilled === len && this._bulkCrlf < 2 && offset < data.length) {
      if (data[offset] !== (this._bulkCrlf === 0 ? Byte.CR : Byte.LF)) {
        throw new ProtocolError('bulk string not followed by CRLF', this._bulkOffset + len + this._bulkCrlf);
      }
      this._bulkCrlf++;
      offset++;
    }
    this._base += offset;
    this._replyConsumed += offset;
    if (this._bulkCrlf < 2) return EMPTY;
    const value = this._bulkValue(this._bulkType, this._bulk!, 0, len, this._bulkOffset);
    this._clearBulk();
    try {
      this._place(value, 0);
    } catch (err) {
      // A callback threw: the rest of the chunk stays buffered, so the next feed goes on from it.
      this._base -= offset;
      this._buf = data;
      this._pos = offset;
      this._replyStart = offset;
      throw err;
    }
    return data.subarray(offset);
  }

  private _bulkValue(type: number, buf: Buffer, start: number, len: number, offset: number): unknown {
    const end = start + len;
    if (type === Type.BULK)
      return this._strings === 'buffer'
        ? buf.subarray(start, end)
        : len > bufferConstants.MAX_STRING_LENGTH
          ? this._longText(buf, start, end)
          : bulkText(buf, start, end);
    if (type === Type.BULK_ERROR) return replyError(utf8(buf, start, end));
    // Verbatim: "fmt:" then the text.
    if (len < 4 || buf[start + 3] !== 0x3a)
      throw new ProtocolError('verbatim string without a format prefix', offset);
    const text = this._strings === 'buffer' ? buf.subarray(start + 4, end) : bulkText(buf, start + 4, end);
    return this._verbatimObject ? new VerbatimString(latin1(buf, start, start + 3), text) : text;
  }

  /**
   * A bulk of more bytes than the longest JS string has characters: its text may still fit
   * (multi-byte characters); if not, the reply fails — a ReaderError in its place, the stream
   * going on (it escaped `feed()` as the engine's own error) — and the text is undefined.
   */
  private _longText(buf: Buffer, start: number, end: number): string | undefined {
    try {
      return bulkText(buf, start, end);
    } catch (err) {
      this._readerFailure ??= new ReaderError(
        `a bulk string of ${end - start} bytes is longer than the longest JS string: read it as a Buffer (strings: 'buffer')`,
        { cause: err },
      );
      return undefined;
    }
  }

  /**
   * Reads the decimal length on the header line starting at `pos` (after the type byte).
   * Returns the length, or -2 when the line is incomplete; sets #lineEnd to the byte after LF.
   */
  private _lineEnd = 0;
  private _readLength(buf: Buffer, pos: number, end: number, what: string): number {
    let i = pos + 1;
    if (i >= end) return -2;
    let c = buf[i]!;
    if (c === Byte.MINUS) {
      // Only "-1" is a valid negative length (the RESP2 null bulk string and null array).
      if (i + 1 < end && buf[i + 1] !== 0x31) throw this._error(`negative ${what} length`, i);
      if (i + 2 < end && buf[i + 2] !== Byte.CR) throw this._error(`negative ${what} length`, i);
      if (i + 3 >= end) return -2;
      if (buf[i + 3] !== Byte.LF) throw this._error('expected LF after CR', i + 3);
      this._lineEnd = i + 4;
      return -1;
    }
    let len = 0;
    const start = i;
    while (c !== Byte.CR) {
      const digit = c - Byte.ZERO;
      if (digit < 0 || digit > 9) throw this._error(`invalid character in ${what} length`, i);
      len = len * 10 + digit;
      if (i - start >= 15) throw this._error(`${what} length too long`, i);
      if (++i >= end) return -2;
      c = buf[i]!;
    }
    if (i === start) throw this._error(`empty ${what} length`, i);
    if (i + 1 >= end) return -2;
    if (buf[i + 1] !== Byte.LF) throw this._error('expected LF after CR', i + 1);
    this._lineEnd = i + 2;
    return len;
  }

  /** Finds the CR of the line starting at `from`; -1 when not yet received. */
  private _findLineEnd(buf: Buffer, from: number, end: number): number {
    // Most lines are short (integers, OK): a JS scan beats the native indexOf call for them.
    let cr = from;
    const scanEnd = Math.min(from + 32, end);
    while (cr < scanEnd && buf[cr] !== Byte.CR) cr++;
    if (cr === scanEnd && scanEnd < end) cr = buf.indexOf(Byte.CR, scanEnd);
    if (cr < 0 || cr + 1 >= end) return -1;
    if (buf[cr + 1] !== Byte.LF) throw this._error('expected LF after CR', cr + 1);
    return cr;
  }

  private _parseInteger(buf: Buffer, start: number, cr: number): number | bigint {
    let i = start;
    let negative = false;
    const first = buf[i];
    if (first === Byte.MINUS) {
      negative = true;
      i++;
    } else if (first === Byte.PLUS) {
      i++;
    }
    const digits = cr - i;
    if (digits <= 0) throw this._error('integer without digits', start);
    if (digits <= Size.MAX_SAFE_DIGITS) {
      let n = 0;
      for (; i < cr; i++) {
        const digit = buf[i]! - Byte.ZERO;
        if (digit < 0 || digit > 9) throw this._error('invalid character in integer', i);
        n = n * 10 + digit;
      }
      return negative ? 0 - n : n; // 0 - 0 is +0: int64 has no -0
    }
    for (let j = i; j < cr; j++) {
      const digit = buf[j]! - Byte.ZERO;
      if (digit < 0 || digit > 9) throw this._error('invalid character in integer', j);
    }
    // Redis integers are signed 64-bit: exact as a number within ±2^53, a bigint beyond.
    if (digits > 19) throw this._error('integer out of the signed 64-bit range', start);
    const big = BigInt(latin1(buf, start, cr));
    if (big < INT64_MIN || big > INT64_MAX)
      throw this._error('integer out of the signed 64-bit range', start);
    return big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big;
  }

  private _parseDouble(buf: Buffer, start: number, cr: number): number {
    const value = parseDouble(latin1(buf, start, cr));
    if (value === undefined) throw this._error('invalid double', start);
    return value;
  }

  private _parseBigNumber(buf: Buffer, start: number, cr: number): bigint {
    const sign = buf[start] === Byte.MINUS || buf[start] === Byte.PLUS ? 1 : 0;
    if (cr - start - sign > this._limits.maxBigNumberDigits) {
      throw this._error(
        `big number longer than maxBigNumberDigits (${this._limits.maxBigNumberDigits})`,
        start,
      );
    }
    const text = latin1(buf, start, cr);
    if (!/^[+-]?\d+$/.test(text)) throw this._error('invalid big number', start);
    return BigInt(text);
  }

  private _startReply(type: number): void {
    // The first byte of a top-level value: a push, an attribute, or a reply that has a plan.
    if (type === Type.PUSH) {
      this._isPush = true;
      this._strings = this._pushStrings;
      this._reader = undefined;
      return;
    }
    if (type === Type.ATTRIBUTE || this._planned) return;
    // Asked before it counts as asked: a planReply that throws is asked again next time.
    const plan = this._planReply?.();
    this._planned = true;
    this._isPush = false;
    if (plan === undefined) {
      this._strings = this._defaultStrings;
      this._reader = undefined;
    } else if (typeof plan === 'string') {
      this._strings = plan;
      this._reader = undefined;
    } else if ('parse' in plan) {
      this._reader = undefined;
      this._parser = plan;
    } else {
      let strings: StringMode | undefined;
      try {
        strings = plan.strings;
        this._reader = plan;
      } catch (err) {
        // The reader failed before it began: the reply is read without it, a ReaderError in its place.
        this._readerThrew(err);
      }
      this._strings = strings ?? 'string';
    }
  }

  /** Lets the reply's own parser consume what it can; returns the new position, or -1 when it waits. */
  private _runParser(buf: Buffer, pos: number, end: number): number {
    const parser = this._parser!;
    let next: number;
    let done: boolean;
    let result: unknown;
    try {
      next = parser.parse(buf, pos, end, this._base);
      done = parser.done;
      if (done) result = parser.result;
    } catch (err) {
      throw this._parserThrew(err, pos);
    }
    if (!Number.isInteger(next) || next < pos || next > end) {
      // Past the bytes given, or back before them: the next reply's bytes would be lost or re-read.
      throw this._error(`reply parser returned position ${thrownMessage(next)}, outside ${pos}..${end}`, pos);
    }
    if (done && next === pos) {
      // A reply has at least one byte: a parser that takes none would be handed the same bytes forever.
      throw this._error('reply parser finished without consuming a byte', pos);
    }
    if (!done) {
      this._incomplete(next);
      return -1;
    }
    this._parser = undefined;
    this._pos = next;
    // As any top-level value (attributes sent before it included).
    this._place(result, next);
    return next;
  }

  private _parse(): void {
    const buf = this._buf;
    const end = buf.length;
    let pos = this._pos;
    // Set again if this parse stops inside a line (a stitch may have stopped in one, then gone on).
    this._lineCut = false;
    while (pos < end) {
      if (this._parser !== undefined) {
        pos = this._runParser(buf, pos, end);
        if (pos < 0) return;
        continue;
      }
      if (this._depth > 0) {
        const frame = this._frames[this._depth - 1]!;
        if (frame.fast && frame.attributes === undefined) {
          pos = this._fillArrays(buf, pos, end);
          if (this._frames[this._depth - 1]!.remaining === 0) {
            this._pos = pos;
            this._closeFrame(pos);
            continue;
          }
          if (pos >= end) break;
        } else if (frame.fastMap && frame.attributes === undefined) {
          pos = this._fillMap(frame, buf, pos, end);
          if (frame.remaining === 0) {
            this._pos = pos;
            this._closeFrame(pos);
            continue;
          }
          if (pos >= end) break;
        }
      }
      const start = pos;
      const type = buf[pos]!;
      if (this._depth === 0) {
        this._startReply(type);
        if (this._parser !== undefined) continue;
      }
      let value: unknown;
      switch (type) {
        case Type.BULK:
        case Type.VERBATIM:
        case Type.BULK_ERROR: {
          const len = this._readLength(buf, pos, end, 'bulk');
          if (len === -2) {
            this._incomplete(start);
            return;
          }
          if (len === -1) {
            if (type !== Type.BULK) throw this._error('negative length', pos + 1);
            value = null;
            pos = this._lineEnd;
            break;
          }
          if (len > this._limits.maxBulkLength) {
            throw this._error(
              `bulk length ${len} exceeds maxBulkLength (${this._limits.maxBulkLength})`,
              pos,
            );
          }
          const dataStart = this._lineEnd;
          const dataEnd = dataStart + len;
          if (dataEnd + 2 > end) {
            if (len >= Size.STREAMED_BULK_MIN) {
              this._streamBulk(type, len, dataStart);
              return;
            }
            this._incomplete(start);
            return;
          }
          if (buf[dataEnd] !== Byte.CR || buf[dataEnd + 1] !== Byte.LF)
            throw this._error(
              'bulk string not followed by CRLF',
              buf[dataEnd] !== Byte.CR ? dataEnd : dataEnd + 1,
            );
          value = this._bulkValue(type, buf, dataStart, len, this._base + dataStart);
          pos = dataEnd + 2;
          break;
        }
        case Type.ARRAY:
        case Type.MAP:
        case Type.SET:
        case Type.PUSH:
        case Type.ATTRIBUTE: {
          const len = this._readLength(buf, pos, end, 'aggregate');
          if (len === -2) {
            this._incomplete(start);
            return;
          }
          pos = this._lineEnd;
          if (len === -1) {
            if (type !== Type.ARRAY) throw this._error('negative length', start + 1);
            value = null;
            break;
          }
          if (len > this._limits.maxAggregateLength) {
            throw this._error(
              `aggregate of ${len} elements exceeds maxAggregateLength (${this._limits.maxAggregateLength})`,
              start,
            );
          }
          const kind =
            type === Type.ARRAY
              ? Kind.ARRAY
              : type === Type.MAP
                ? Kind.MAP
                : type === Type.SET
                  ? Kind.SET
                  : type === Type.PUSH
                    ? Kind.PUSH
                    : Kind.ATTRIBUTE;
          if (len === 0) {
            // Empty, but nested as deep as any: the same limit.
            if (this._depth >= this._limits.maxDepth)
              throw this._error(`nesting deeper than maxDepth (${this._limits.maxDepth})`, start);
            value = this._emptyAggregate(kind);
            if (kind === Kind.ATTRIBUTE) {
              this._setAttributes(value);
              continue;
            }
            break;
          }
          this._pushFrame(kind, len, start, end);
          continue;
        }
        case Type.INTEGER: {
          const cr = this._findLineEnd(buf, pos + 1, end);
          if (cr < 0) {
            this._incompleteLine(start, end);
            return;
          }
          // Longer than any int64: judged as a cut line would be (the same error and offset).
          if (cr - pos - 1 > Size.MAX_INTEGER_LINE) throw this._lineTooLong(buf, pos, cr);
          value = this._parseInteger(buf, pos + 1, cr);
          pos = cr + 2;
          break;
        }
        case Type.SIMPLE:
        case Type.ERROR: {
          const cr = this._findLineEnd(buf, pos + 1, end);
          if (cr < 0) {
            this._incompleteLine(start, end);
            return;
          }
          const text = utf8Text(buf, pos + 1, cr);
          value = type === Type.SIMPLE ? text : replyError(text);
          pos = cr + 2;
          break;
        }
        case Type.NULL: {
          if (pos + 2 >= end) {
            this._incomplete(start);
            return;
          }
          if (buf[pos + 1] !== Byte.CR || buf[pos + 2] !== Byte.LF) throw this._error('invalid null', pos);
          value = null;
          pos += 3;
          break;
        }
        case Type.BOOLEAN: {
          if (pos + 3 >= end) {
            this._incomplete(start);
            return;
          }
          const c = buf[pos + 1];
          if (
            (c !== Byte.LOWER_T && c !== Byte.LOWER_F) ||
            buf[pos + 2] !== Byte.CR ||
            buf[pos + 3] !== Byte.LF
          ) {
            throw this._error('invalid boolean', pos);
          }
          value = c === Byte.LOWER_T;
          pos += 4;
          break;
        }
        case Type.DOUBLE: {
          const cr = this._findLineEnd(buf, pos + 1, end);
          if (cr < 0) {
            this._incompleteLine(start, end);
            return;
          }
          if (cr - pos - 1 > Size.MAX_DOUBLE_LINE) throw this._lineTooLong(buf, pos, cr);
          value = this._parseDouble(buf, pos + 1, cr);
          pos = cr + 2;
          break;
        }
        case Type.BIG_NUMBER: {
          const cr = this._findLineEnd(buf, pos + 1, end);
          if (cr < 0) {
            this._incompleteLine(start, end);
            return;
          }
          value = this._parseBigNumber(buf, pos + 1, cr);
          pos = cr + 2;
          break;
        }
        default:
          throw this._error(`invalid RESP type byte 0x${type.toString(16).padStart(2, '0')}`, pos);
      }
      this._pos = pos;
      this._place(value, pos);
    }
    this._pos = pos;
    this._finishBuffer();
  }

  /**
   * A line (simple string, error, number) at `start` is cut before its CR. Numbers have a most
   * length (see _lineMost): past it the line is malformed, whatever follows.
   * Later chunks are gathered until one holds the CR (see _feedOnce), not joined and rescanned
   * one by one — a long line costs linear time however it is cut.
   */
  private _incompleteLine(start: number, end: number): void {
    // A CR as the last byte (its LF still to come) is not part of the line.
    const lineEnd = this._buf[end - 1] === Byte.CR ? end - 1 : end;
    if (lineEnd - start - 1 > this._lineMost(this._buf[start]!))
      throw this._lineTooLong(this._buf, start, lineEnd);
    this._lineCut = true;
    this._incomplete(start);
  }

  /** The most bytes a line of this type may have after its type byte (strings: no bound). */
  private _lineMost(type: number): number {
    return type === Type.INTEGER
      ? Size.MAX_INTEGER_LINE
      : type === Type.DOUBLE
        ? Size.MAX_DOUBLE_LINE
        : type === Type.BIG_NUMBER
          ? this._limits.maxBigNumberDigits + 2
          : Number.POSITIVE_INFINITY;
  }

  /**
   * The error for a line at `start` (in `buf`, whose bytes end at `end`) that is longer than its
   * type allows — the same error the complete line gets, wherever the line was cut.
   */
  private _lineTooLong(buf: Buffer, start: number, end: number): ProtocolError {
    const type = buf[start];
    if (type === Type.INTEGER) {
      try {
        // Its first MAX_INTEGER_LINE + 1 bytes only: what every cut of the line has received.
        this._parseInteger(buf, start + 1, Math.min(end, start + 2 + Size.MAX_INTEGER_LINE));
      } catch (err) {
        return err as ProtocolError;
      }
    }
    if (type === Type.BIG_NUMBER)
      return this._error(
        `big number longer than maxBigNumberDigits (${this._limits.maxBigNumberDigits})`,
        start + 1,
      );
    return this._error(`double line longer than ${Size.MAX_DOUBLE_LINE} bytes`, start);
  }

  /** The token at `start` is cut by the end of the buffer: keep it for the next chunk. */
  private _incomplete(start: number): void {
    this._pos = start;
    this._finishBuffer();
  }

  private _finishBuffer(): void {
    const buf = this._buf;
    const pos = this._pos;
    const tail = buf.length - pos;
    if (this._depth > 0 || tail > 0 || this._bulkActive || this._parser !== undefined) {
      const pending = this._replyConsumed + (buf.length - this._replyStart);
      if (pending > this._limits.maxBufferedBytes && this._stitchRest === 0) {
        throw this._error(
          `incomplete reply exceeds maxBufferedBytes (${this._limits.maxBufferedBytes})`,
          pos,
        );
      }
      this._replyConsumed += pos - this._replyStart;
      this._replyStart = pos;
    }
    if (tail === 0) {
      this._base += buf.length;
      this._buf = EMPTY;
      this._pos = 0;
      this._replyStart = 0;
    } else if (tail < 4096 && buf.length > 2 * tail) {
      // Keep a copy of the cut token, not a view that pins the whole chunk — nor one into a
      // buffer its owner reuses for the next read (`onread: { buffer }`): the next feed would
      // find other bytes there. (It was copied only out of chunks over 64 KiB: a socket's reads
      // are at most 64 KiB, so practically never.)
      this._base += pos;
      this._buf = Buffer.from(buf.subarray(pos));
      this._pos = 0;
      this._replyStart = 0;
    }
  }

  private _streamBulk(type: number, len: number, dataStart: number): void {
    const buf = this._buf;
    const have = buf.length - dataStart;
    this._replyConsumed += buf.length - this._replyStart;
    // While stitching, the rest of the chunk is here too (the limit must not depend on the cut).
    const here = have + this._stitchRest;
    if (this._replyConsumed + Math.max(0, len + 2 - here) > this._limits.maxBufferedBytes) {
      throw this._error(
        `incomplete reply exceeds maxBufferedBytes (${this._limits.maxBufferedBytes})`,
        dataStart,
      );
    }
    this._bulkActive = true;
    this._bulkLength = len;
    this._bulkType = type;
    this._bulkOffset = this._base + dataStart;
    this._bulkFilled = Math.min(have, len);
    this._bulkCrlf = 0;
    // Gathered into one buffer, then decoded once (a string when asked): one copy, and a flat
    // string — decoding chunk by chunk builds a rope that V8 flattens, slower, on first read.
    this._bulk = Buffer.allocUnsafe(len);
    buf.copy(this._bulk, 0, dataStart, dataStart + this._bulkFilled);
    this._base += buf.length;
    this._buf = EMPTY;
    this._pos = 0;
    this._replyStart = 0;
    // Bytes of the CRLF already in this buffer (when only part of it is missing).
    const extra = have - this._bulkFilled;
    if (extra > 0) {
      this._base -= extra;
      this._replyConsumed -= extra;
      this._fillBulk(buf.subarray(buf.length - extra));
    }
  }

  /**
   * How many elements to preallocate for a frame that wants `size`. The open frames together may
   * preallocate up to PREALLOCATE_BUDGET; beyond it, no more than the bytes received behind the
   * header (`start`..`end`) could fill (an element takes at least 3 bytes) — so headers alone
   * never claim more memory than their bytes justify (`*1048576` repeated would take gigabytes),
   * while a real large reply is preallocated whole.
   */
  private _preallocation(frame: Frame, depth: number, size: number, start: number, end: number): number {
    if (size > 1024) {
      let outstanding = 0;
      for (let d = 0; d < depth; d++) outstanding += this._frames[d]!.preallocated;
      if (outstanding + size > Size.PREALLOCATE_BUDGET)
        size = Math.min(size, Math.max(1024, ((end - start) / 3) | 0));
    }
    frame.preallocated = size;
    return size;
  }

  /** Opens an aggregate of `len` elements whose header starts at `start` (`end`: the bytes so far). */
  private _pushFrame(kind: number, len: number, start: number, end: number): void {
    const depth = this._depth;

    if (depth >= this._limits.maxDepth) {
      throw this._error(`nesting deeper than maxDepth (${this._limits.maxDepth})`, start);
    }
    let frame = this._frames[depth];
    if (frame === undefined) {
      frame = new Frame();
      this._frames.push(frame);
    }
    frame.kind = kind;
    frame.length = len;
    frame.remaining = kind === Kind.MAP || kind === Kind.ATTRIBUTE ? len * 2 : len;
    frame.hasKey = false;
    frame.flat = false;
    frame.fast = false;
    frame.fastMap = false;
    frame.preallocated = 0;
    frame.key = undefined;
    frame.attributes = undefined;
    frame.offset = this._base + start;
    const reader = this._reader;
    frame.reader = reader;
    if (reader !== undefined) {
      try {
        frame.container = reader.begin(
          KIND_NAMES[kind]!,
          len,
          depth > 0 ? this._frames[depth - 1]!.container : undefined,
        );
      } catch (err) {
        this._readerThrew(err);
        frame.reader = undefined;
        frame.container = this._discardContainer(frame);
      }
    } else if (this._readerFailure !== undefined) {
      // The rest of a reply whose reader failed: decoded to be dropped.
      frame.container = this._discardContainer(frame);
    } else if (kind === Kind.MAP || kind === Kind.ATTRIBUTE) {
      const maps = kind === Kind.ATTRIBUTE ? 0 : this._maps;
      frame.container =
        maps === 0
          ? Object.create(null)
          : maps === 1
            ? new Map()
            : new Array(this._preallocation(frame, depth, len * 2, start, end));
      frame.flat = maps === 2;
      frame.fastMap = maps === 0 && kind === Kind.MAP;
    } else if (kind === Kind.SET && this._setsAsSet) {
      frame.container = new Set();
    } else {
      frame.container = new Array(
        this._preallocation(frame, depth, Math.min(len, Size.PREALLOCATE_MAX), start, end),
      );
      frame.fast = true;
    }
    this._depth = depth + 1;
  }

  private _emptyAggregate(kind: number): unknown {
    const reader = this._reader;
    if (reader !== undefined) {
      const parent = this._depth > 0 ? this._frames[this._depth - 1]!.container : undefined;
      try {
        return reader.end(reader.begin(KIND_NAMES[kind]!, 0, parent));
      } catch (err) {
        this._readerThrew(err);
        return [];
      }
    }
    if (kind === Kind.ATTRIBUTE) return Object.create(null);
    if (kind === Kind.MAP) return this._maps === 0 ? Object.create(null) : this._maps === 1 ? new Map() : [];
    if (kind === Kind.SET && this._setsAsSet) return new Set();
    return [];
  }

  /** Attributes for the next value; a second attribute before the same value adds to the first. */
  private _setAttributes(attributes: unknown): void {
    const frame = this._depth === 0 ? undefined : this._frames[this._depth - 1]!;
    const previous = frame === undefined ? this._topAttributes : frame.attributes;
    let merged = attributes;
    if (previous !== undefined && isPlainMap(previous) && isPlainMap(attributes)) {
      if (previous === this._mergedAttributes) {
        // A merge this decoder made: added to in place (a copy per attribute was quadratic —
        // 8,000 one-key attributes before a value took 15 s).
        merged = Object.assign(previous, attributes);
      } else {
        // A new object: a reader's own (frozen, shared, cached...) is never written to.
        merged = Object.assign(Object.create(null) as Record<string, unknown>, previous, attributes);
        this._mergedAttributes = merged;
      }
    }
    if (frame === undefined) this._topAttributes = merged;
    else frame.attributes = merged;
  }

  /**
   * The tight loop for the common case: plain arrays of bulk strings, integers and nested plain
   * arrays (LRANGE, MGET, HGETALL in RESP2, XRANGE, graph rows...). It stores elements directly
   * and stops at anything else — another type, a cut token, anything malformed — leaving that
   * element to the generic path, which decodes it or raises the error. When it stops, the open
   * frames and their counts are up to date. Returns the new position.
   */
  private _fillArrays(buf: Buffer, pos: number, end: number): number {
    const entryDepth = this._depth;
    let frame = this._frames[entryDepth - 1]!;
    let array = frame.container as unknown[];
    let remaining = frame.remaining;
    let index = frame.length - remaining;
    const asBuffer = this._strings === 'buffer';
    const maxBulk = this._limits.maxBulkLength;
    const maxLength = this._limits.maxAggregateLength;
    while (pos < end) {
      const type = buf[pos];
      let value: unknown;
      if (type === Type.BULK || type === Type.ARRAY) {
        let i = pos + 1;
        let len = 0;
        let c = 0;
        while (i < end) {
          c = buf[i]!;
          if (c < Byte.ZERO || c > Byte.NINE) break;
          len = len * 10 + (c - Byte.ZERO);
          i++;
        }
        if (c !== Byte.CR || i === pos + 1 || i - pos > 16 || i + 1 >= end || buf[i + 1] !== Byte.LF) break;
        if (type === Type.ARRAY) {
          if (len > maxLength) break;
          if (len > 0) {
            // Open the nested array and keep filling, now inside it.
            frame.remaining = remaining;
            this._pushFrame(Kind.ARRAY, len, pos, end);
            frame = this._frames[this._depth - 1]!;
            array = frame.container as unknown[];
            remaining = len;
            index = 0;
            pos = i + 2;
            continue;
          }
          // An empty array one level deeper: past maxDepth, the generic path raises the error.
          if (this._depth >= this._limits.maxDepth) break;
          value = [];
          pos = i + 2;
        } else {
          const dataStart = i + 2;
          const dataEnd = dataStart + len;
          if (dataEnd + 2 > end || len > maxBulk || buf[dataEnd] !== Byte.CR || buf[dataEnd + 1] !== Byte.LF)
            break;
          value = asBuffer ? buf.subarray(dataStart, dataEnd) : utf8Text(buf, dataStart, dataEnd);
          pos = dataEnd + 2;
        }
      } else if (type === Type.INTEGER) {
        let i = pos + 1;
        let negative = false;
        if (i < end && buf[i] === Byte.MINUS) {
          negative = true;
          i++;
        }
        const digitsStart = i;
        let n = 0;
        let c = 0;
        if (i + Size.INTEGER_UNROLL_MARGIN <= end) {
          // Four digits per turn: V8 re-checks `buf` (map, data pointer, length) at every turn of
          // a loop, so reading four bytes per check is ~3.5 ns per integer faster (1M integers:
          // ~21 → ~17.5 ms) — measured against the one-byte loop below.
          for (;;) {
            c = buf[i]!;
            if (c < Byte.ZERO || c > Byte.NINE) break;
            n = n * 10 + (c - Byte.ZERO);
            c = buf[i + 1]!;
            if (c < Byte.ZERO || c > Byte.NINE) {
              i += 1;
              break;
            }
            n = n * 10 + (c - Byte.ZERO);
            c = buf[i + 2]!;
            if (c < Byte.ZERO || c > Byte.NINE) {
              i += 2;
              break;
            }
            n = n * 10 + (c - Byte.ZERO);
            c = buf[i + 3]!;
            if (c < Byte.ZERO || c > Byte.NINE) {
              i += 3;
              break;
            }
            n = n * 10 + (c - Byte.ZERO);
            i += 4;
            // Too many digits for a number: stop; the generic path makes the bigint or the error.
            if (i - digitsStart > Size.MAX_SAFE_DIGITS) break;
          }
        } else {
          while (i < end) {
            c = buf[i]!;
            if (c < Byte.ZERO || c > Byte.NINE) break;
            n = n * 10 + (c - Byte.ZERO);
            i++;
          }
        }
        const digits = i - digitsStart;
        if (
          c !== Byte.CR ||
          digits === 0 ||
          digits > Size.MAX_SAFE_DIGITS ||
          i + 1 >= end ||
          buf[i + 1] !== Byte.LF
        )
          break;
        value = negative ? 0 - n : n;
        pos = i + 2;
      } else {
        break;
      }
      array[index++] = value;
      // Close every array this element completes, down to the one we entered in.
      while (--remaining === 0) {
        if (this._depth === entryDepth) {
          frame.remaining = 0;
          return pos;
        }
        frame.container = undefined;
        this._depth--;
        frame = this._frames[this._depth - 1]!;
        const completed = array;
        array = frame.container as unknown[];
        remaining = frame.remaining;
        index = frame.length - remaining;
        array[index++] = completed;
      }
    }
    frame.remaining = remaining;
    return pos;
  }

  /**
   * The map counterpart of {@link _fillArrays}: keys and values that are bulk strings, into a
   * null-prototype object (HGETALL, CONFIG GET, HELLO in RESP3). Stops at anything else.
   */
  private _fillMap(frame: Frame, buf: Buffer, pos: number, end: number): number {
    const object = frame.container as Record<string, unknown>;
    const asBuffer = this._strings === 'buffer';
    const maxBulk = this._limits.maxBulkLength;
    let remaining = frame.remaining;
    while (pos < end && buf[pos] === Type.BULK) {
      let i = pos + 1;
      let len = 0;
      let c = 0;
      while (i < end) {
        c = buf[i]!;
        if (c < Byte.ZERO || c > Byte.NINE) break;
        len = len * 10 + (c - Byte.ZERO);
        i++;
      }
      const dataStart = i + 2;
      const dataEnd = dataStart + len;
      if (c !== Byte.CR || i === pos + 1 || i - pos > 16 || dataEnd + 2 > end || len > maxBulk) break;
      if (buf[i + 1] !== Byte.LF || buf[dataEnd] !== Byte.CR || buf[dataEnd + 1] !== Byte.LF) break;
      if (frame.hasKey) {
        // A key the generic path decoded (an aggregate, an error...): it decides what it keys.
        if (typeof frame.key !== 'string') break;
        object[frame.key] = asBuffer ? buf.subarray(dataStart, dataEnd) : utf8Text(buf, dataStart, dataEnd);
        frame.hasKey = false;
        frame.key = undefined;
      } else {
        // Keys are always strings in object mode, whatever the string mode.
        const key = utf8Text(buf, dataStart, dataEnd);
        if (asBuffer && key.indexOf('\uFFFD') !== -1)
          this._checkKey(key, buf.subarray(dataStart, dataEnd), frame);
        frame.key = key;
        frame.hasKey = true;
      }
      pos = dataEnd + 2;
      if (--remaining === 0) break;
    }
    frame.remaining = remaining;
    return pos;
  }

  /** The top frame is full: close it and place its value in its parent (or emit it). */
  private _closeFrame(pos: number): void {
    const frame = this._frames[this._depth - 1]!;
    const value = frame.container;
    frame.container = undefined;
    this._depth--;
    this._place(value, pos);
  }

  /** Adds a completed value to the open aggregates, closing those it completes. */
  private _place(value: unknown, pos: number): void {
    let depth = this._depth;
    for (;;) {
      if (depth === 0) {
        if (this._topAttributes !== undefined) {
          value = new AttributedValue(value, this._topAttributes);
          this._topAttributes = undefined;
        }
        this._depth = 0;
        this._emit(value, pos);
        return;
      }
      const frame = this._frames[depth - 1]!;
      if (frame.attributes !== undefined) {
        value = new AttributedValue(value, frame.attributes);
        frame.attributes = undefined;
      }
      const reader = frame.reader;
      const container = frame.container;
      const remaining = --frame.remaining;
      if (reader !== undefined) {
        try {
          reader.add(container, value);
        } catch (err) {
          this._readerThrew(err);
        }
      } else {
        switch (frame.kind) {
          case Kind.ARRAY:
          case Kind.PUSH:
            (container as unknown[])[frame.length - remaining - 1] = value;
            break;
          case Kind.SET:
            if (this._setsAsSet) (container as Set<unknown>).add(value);
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
              if (frame.kind === Kind.MAP && this._maps === 1)
                (container as Map<unknown, unknown>).set(key, value);
              else {
                const name = objectKey(key);
                if (name === undefined) {
                  // An aggregate or an error key has no faithful string form: this reply fails
                  // (a MapKeyError in its place, the entry dropped with it: decode such maps as
                  // 'map'); the stream is fine — it was a ProtocolError, fatal to the connection.
                  this._readerFailure ??= new MapKeyError(key, frame.offset, 'is an aggregate or an error');
                } else {
                  // A Buffer key (Buffer mode) made text: only UTF-8 makes it without loss.
                  if (Buffer.isBuffer(key) && name.indexOf('\uFFFD') !== -1) this._checkKey(name, key, frame);
                  (container as Record<string, unknown>)[name] = value;
                }
              }
            }
        }
      }
      if (remaining > 0) return;
      // The aggregate is complete (its reader may have failed since: read the frame again).
      if (frame.reader === undefined) value = frame.container;
      else {
        try {
          value = frame.reader.end(frame.container);
        } catch (err) {
          this._readerThrew(err);
          value = undefined;
        }
      }
      frame.container = undefined;
      frame.reader = undefined;
      depth--;
      this._depth = depth;
      if (frame.kind === Kind.ATTRIBUTE) {
        this._setAttributes(value);
        return;
      }
    }
  }

  private _emit(value: unknown, pos: number): void {
    if (this._readerFailure !== undefined) {
      value = this._readerFailure;
      this._readerFailure = undefined;
    }
    const isPush = this._isPush;
    this._planned = false;
    this._isPush = false;
    this._reader = undefined;
    this._strings = this._defaultStrings;
    this._replyConsumed = 0;
    this._replyStart = pos;
    if (isPush) {
      this._onPush?.(value as unknown[]);
    } else {
      this._onReply(value);
    }
  }
}

/** What a user callback threw, as text: its message, else its string form, never a throw itself. */
function thrownMessage(err: unknown): string {
  try {
    const message = (err as { message?: unknown } | null | undefined)?.message;
    if (typeof message === 'string') return message;
  } catch {}
  try {
    return String(err);
  } catch {
    return 'a value with no string form';
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
    return createReplyError(message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Parses a double the way servers write them (`1.5`, `-2e10`, `inf`, `-inf`, `nan`): in RESP3
 * doubles, and in the RESP2 strings that carry scores. `undefined` when it is not one — a strict
 * decimal form: `Number()` alone would accept "", " 1", "0x10" and "Infinity".
 */
export function parseDouble(text: string): number | undefined {
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
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : undefined;
}

/** An attribute map as the decoder builds it (a null-prototype object), not a reader's value. */
function isPlainMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === null;
}

/**
 * A map key as an object key: text as is (a Buffer as UTF-8, a verbatim string as its text, a
 * number, bigint, boolean or null as written); undefined for an aggregate, an attributed value or
 * an error, which have no faithful string form.
 */
function objectKey(key: unknown): string | undefined {
  if (typeof key === 'string') return key;
  if (Buffer.isBuffer(key)) return key.toString('utf8');
  if (key instanceof VerbatimString) return key.toString();
  if (typeof key === 'object' && key !== null) return undefined;
  return String(key);
}

/**
 * Decodes exactly one complete reply (or push message) from `bytes`. Incomplete input or
 * trailing bytes (another reply, an attribute with nothing after it) raise a
 * {@link ProtocolError}. For tools and tests; connections use {@link RespDecoder}.
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

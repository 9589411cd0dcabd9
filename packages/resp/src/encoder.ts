// RESP command encoder: one command or a whole pipeline into one buffer, sized exactly first.
// Commands are RESP arrays of bulk strings: *<n>\r\n then $<len>\r\n<bytes>\r\n per argument.

/** What a command argument may be. Numbers must be finite; strings are sent as UTF-8. */
export type RespArgument = string | Buffer | Uint8Array | number | bigint;

// `const enum`s, not module `const`s: esbuild writes the members as literals, where a module
// `const` becomes a `var` that V8 loads from the module context at every use.
const enum Byte {
  CR = 0x0d,
  LF = 0x0a,
  STAR = 0x2a, // '*'
  DOLLAR = 0x24, // '$'
}
const enum Size {
  /** Strings up to this length are checked for ASCII in JS (cheaper than a native call). */
  SHORT_STRING = 64,
  /** Arguments the scratch space holds at first (it grows for larger batches). */
  SCRATCH_SLOTS = 1024,
  /** Grown past this many arguments (~2 MB), it goes back to SCRATCH_SLOTS after the encode. */
  SCRATCH_SLOTS_KEPT = 1 << 17,
}

type WriteBuffer = Buffer & { utf8Write(text: string, offset: number, length: number): number };
const hasFastWrite = typeof (Buffer.prototype as Partial<WriteBuffer>).utf8Write === 'function';

// Scratch space reused across calls: per argument, its byte length (negative: ASCII string).
let lengths = new Float64Array(Size.SCRATCH_SLOTS);
let values: (string | Uint8Array)[] = new Array(Size.SCRATCH_SLOTS);

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
}

function badArgument(value: unknown, commandIndex: number, argIndex: number, many: boolean): TypeError {
  const where = many ? `command ${commandIndex}, argument ${argIndex}` : `argument ${argIndex}`;
  return new TypeError(
    `cannot encode ${where} (zero-based): it is ${describe(value)}; ` +
      'arguments must be strings, Buffers, Uint8Arrays, finite numbers or bigints',
  );
}

function badCommand(commandIndex: number, many: boolean): TypeError {
  return new TypeError(
    many
      ? `cannot encode command ${commandIndex}: it must be a non-empty array`
      : 'cannot encode an empty command (a command is a non-empty array of arguments)',
  );
}

function digitCount(n: number): number {
  return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : String(n).length;
}

function ensureScratch(count: number): void {
  if (count <= lengths.length) return;
  let size = lengths.length;
  while (size < count) size *= 2;
  const grownLengths = new Float64Array(size);
  grownLengths.set(lengths);
  lengths = grownLengths;
  values = values.concat(new Array(size - values.length));
}

/**
 * Pass 1: validates every argument, converts numbers, measures bytes. Returns the total size.
 * Fills the scratch arrays from `slot` on.
 */
function measure(commands: readonly (readonly RespArgument[])[], many: boolean): number {
  let total = 0;
  let slot = 0;
  for (let c = 0; c < commands.length; c++) {
    const args = commands[c];
    if (!Array.isArray(args) || args.length === 0) throw badCommand(c, many);
    const count = args.length;
    ensureScratch(slot + count);
    total += 3 + digitCount(count);
    for (let i = 0; i < count; i++, slot++) {
      const arg = args[i];
      let len: number;
      if (typeof arg === 'string') {
        values[slot] = arg;
        const n = arg.length;
        if (n <= Size.SHORT_STRING) {
          let ascii = true;
          for (let j = 0; j < n; j++) {
            if (arg.charCodeAt(j) > 0x7f) {
              ascii = false;
              break;
            }
          }
          len = ascii ? n : Buffer.byteLength(arg, 'utf8');
          lengths[slot] = ascii ? -n - 1 : len;
        } else {
          len = Buffer.byteLength(arg, 'utf8');
          lengths[slot] = len;
        }
      } else if (arg instanceof Uint8Array) {
        values[slot] = arg;
        len = arg.length;
        lengths[slot] = len;
      } else if (typeof arg === 'number') {
        if (!Number.isFinite(arg)) throw badArgument(arg, c, i, many);
        const text = String(arg);
        values[slot] = text;
        len = text.length;
        lengths[slot] = -len - 1;
      } else if (typeof arg === 'bigint') {
        const text = arg.toString();
        values[slot] = text;
        len = text.length;
        lengths[slot] = -len - 1;
      } else {
        throw badArgument(arg, c, i, many);
      }
      total += 5 + digitCount(len) + len;
    }
  }
  return total;
}

function writeDecimal(buf: Buffer, offset: number, n: number): number {
  if (n < 10) {
    buf[offset] = 0x30 + n;
    return offset + 1;
  }
  if (n < 100) {
    buf[offset] = 0x30 + ((n / 10) | 0);
    buf[offset + 1] = 0x30 + (n % 10);
    return offset + 2;
  }
  // Lengths and counts: write the digits backwards, no string allocated.
  const digits = digitCount(n);
  let rest = n;
  for (let i = offset + digits - 1; i >= offset; i--) {
    buf[i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return offset + digits;
}

/** `$<len>\r\n` at `o`; returns where the bulk's bytes go. */
function writeBulkHeader(buf: Buffer, o: number, len: number): number {
  buf[o] = Byte.DOLLAR;
  const at = writeDecimal(buf, o + 1, len);
  buf[at] = Byte.CR;
  buf[at + 1] = Byte.LF;
  return at + 2;
}

/** Pass 2: writes what {@link measure} prepared. */
function write(commands: readonly (readonly RespArgument[])[], buf: Buffer): void {
  let offset = 0;
  let slot = 0;
  for (let c = 0; c < commands.length; c++) {
    const count = commands[c]!.length;
    buf[offset++] = Byte.STAR;
    offset = writeDecimal(buf, offset, count);
    buf[offset++] = Byte.CR;
    buf[offset++] = Byte.LF;
    for (let i = 0; i < count; i++, slot++) {
      const value = values[slot]!;
      const measured = lengths[slot]!;
      const len = measured < 0 ? -measured - 1 : measured;
      offset = writeBulkHeader(buf, offset, len);
      if (typeof value === 'string') {
        if (measured < 0) {
          for (let j = 0; j < len; j++) buf[offset + j] = value.charCodeAt(j);
        } else if (hasFastWrite) {
          (buf as WriteBuffer).utf8Write(value, offset, len);
        } else {
          buf.write(value, offset, len, 'utf8');
        }
      } else {
        buf.set(value, offset);
      }
      offset += len;
      buf[offset++] = Byte.CR;
      buf[offset++] = Byte.LF;
      values[slot] = '';
    }
  }
}

// ---- one pass into a reused scratch buffer ---------------------------------------------------
// Most pipelines are a few hundred KiB of short ASCII strings: written in one pass (each string
// checked for ASCII while it is copied, its length header known from .length) into a scratch
// buffer kept between calls, then copied out once (memcpy) — about twice as fast as measuring
// every argument first and writing it second. Beyond SCRATCH_LIMIT the exact two-pass encoder
// above takes over, so the scratch never grows past it.

/** The largest output encoded through the scratch buffer (and the most it keeps). */
const SCRATCH_LIMIT = 1024 * 1024;
let scratch: Buffer | undefined;
const EMPTY = Buffer.alloc(0);

/** Returns a scratch buffer of at least `size` bytes holding `used` bytes of the current one. */
function growScratch(buf: Buffer, used: number, size: number): Buffer {
  let capacity = Math.max(buf.length * 2, 64 * 1024);
  while (capacity < size) capacity *= 2;
  const grown = Buffer.allocUnsafeSlow(Math.min(capacity, SCRATCH_LIMIT));
  buf.copy(grown, 0, 0, used);
  scratch = grown;
  return grown;
}

/** A string's bulk at `o` (`$<len>\r\n<bytes>\r\n`), `buf` having 3 bytes per unit + 16 free. */
function writeString(buf: Buffer, o: number, value: string): number {
  const n = value.length;
  const data = writeBulkHeader(buf, o, n);
  let j = 0;
  for (; j < n; j++) {
    const code = value.charCodeAt(j);
    if (code > 0x7f) break;
    buf[data + j] = code;
  }
  let end = data + n;
  if (j < n) {
    // Not ASCII: the header says the UTF-8 byte length; rewrite it and the data after it.
    const len = Buffer.byteLength(value, 'utf8');
    const at = writeBulkHeader(buf, o, len);
    if (hasFastWrite) (buf as WriteBuffer).utf8Write(value, at, len);
    else buf.write(value, at, len, 'utf8');
    end = at + len;
  }
  buf[end] = Byte.CR;
  buf[end + 1] = Byte.LF;
  return end + 2;
}

/** Encodes through the scratch buffer; undefined when the output would exceed SCRATCH_LIMIT. */
function encodeOnePass(commands: readonly (readonly RespArgument[])[], many: boolean): Buffer | undefined {
  let buf = scratch ?? growScratch(EMPTY, 0, 0);
  let o = 0;
  for (let c = 0; c < commands.length; c++) {
    const args = commands[c];
    if (!Array.isArray(args) || args.length === 0) throw badCommand(c, many);
    const count = args.length;
    if (o + 16 > buf.length) {
      if (o + 16 > SCRATCH_LIMIT) return undefined;
      buf = growScratch(buf, o, o + 16);
    }
    buf[o++] = Byte.STAR;
    o = writeDecimal(buf, o, count);
    buf[o++] = Byte.CR;
    buf[o++] = Byte.LF;
    for (let i = 0; i < count; i++) {
      const arg: unknown = args[i];
      let text: string;
      if (typeof arg === 'string') text = arg;
      else if (typeof arg === 'number') {
        if (!Number.isFinite(arg)) throw badArgument(arg, c, i, many);
        text = String(arg);
      } else if (typeof arg === 'bigint') text = arg.toString();
      else if (arg instanceof Uint8Array) {
        const len = arg.length;
        const need = o + len + 24;
        if (need > buf.length) {
          if (need > SCRATCH_LIMIT) return undefined;
          buf = growScratch(buf, o, need);
        }
        const at = writeBulkHeader(buf, o, len);
        buf.set(arg, at);
        o = at + len;
        buf[o++] = Byte.CR;
        buf[o++] = Byte.LF;
        continue;
      } else throw badArgument(arg, c, i, many);
      const need = o + text.length * 3 + 24;
      if (need > buf.length) {
        if (need > SCRATCH_LIMIT) return undefined;
        buf = growScratch(buf, o, need);
      }
      o = writeString(buf, o, text);
    }
  }
  const out = Buffer.allocUnsafe(o);
  buf.copy(out, 0, 0, o);
  return out;
}

/** The exact two-pass encoder: sizes everything, then writes one allocation. */
function encodeTwoPass(commands: readonly (readonly RespArgument[])[], many: boolean): Buffer {
  try {
    const buf = Buffer.allocUnsafe(measure(commands, many));
    write(commands, buf);
    return buf;
  } catch (err) {
    // A refused argument stopped measure() half-way: the arguments it kept (a 100 MB Buffer...)
    // must not stay referenced by the scratch space until the next encode of that size.
    values.fill(undefined as never);
    throw err;
  } finally {
    // Scratch grown by a huge batch (300k commands: ~17 MB) goes back to its usual size.
    if (lengths.length > Size.SCRATCH_SLOTS_KEPT) {
      lengths = new Float64Array(Size.SCRATCH_SLOTS);
      values = new Array(Size.SCRATCH_SLOTS);
    }
  }
}

/** True while an encode runs: a nested call (user code run while reading an argument, e.g. a
 * Proxy or getter) must not write into the shared scratch space of the call it interrupts. */
let encoding = false;

/** Encodes with the shared scratch space, or with space of its own when nested in another encode. */
function encode(commands: readonly (readonly RespArgument[])[], many: boolean): Buffer {
  const outer = encoding ? { scratch, lengths, values } : undefined;
  if (outer !== undefined) {
    scratch = undefined;
    lengths = new Float64Array(16);
    values = new Array(16);
  }
  encoding = true;
  try {
    return encodeOnePass(commands, many) ?? encodeTwoPass(commands, many);
  } finally {
    if (outer === undefined) encoding = false;
    else ({ scratch, lengths, values } = outer);
  }
}

/**
 * Whether `value` is an argument {@link encodeCommand} and {@link encodeCommands} accept: a
 * string, a `Buffer`/`Uint8Array`, a finite number or a bigint. For callers that check a whole
 * batch before encoding any of it (e.g. to write a long pipeline in pieces, each encoded just
 * before it is written).
 */
export function isRespArgument(value: unknown): value is RespArgument {
  return (
    typeof value === 'string' ||
    (typeof value === 'number' && Number.isFinite(value)) ||
    typeof value === 'bigint' ||
    value instanceof Uint8Array
  );
}

/**
 * Encodes one command (`['SET', 'key', 'value']`) as a RESP array of bulk strings.
 * Invalid arguments (`undefined`, `null`, objects, `NaN`, `Infinity`, booleans) raise a
 * `TypeError` naming their position, before anything is returned.
 */
export function encodeCommand(args: readonly RespArgument[]): Buffer {
  return encode([args], false);
}

/**
 * Encodes many commands into one buffer — one `socket.write` for a whole pipeline. Up to 1 MiB
 * of output is written in one pass into a reused scratch buffer and copied out; larger outputs
 * are sized first and written into a single allocation.
 */
export function encodeCommands(commands: readonly (readonly RespArgument[])[]): Buffer {
  if (!Array.isArray(commands)) throw new TypeError('encodeCommands expects an array of commands');
  return encode(commands, true);
}

// One branded error hierarchy for every pyrsedis package. `instanceof` works across two loaded
// copies of a package (ESM + CJS, or two versions) because it checks a brand, not a prototype.

const BRANDS: unique symbol = Symbol.for('@pyrsedis/error-brands') as never;

type Branded = { [BRANDS]?: readonly string[] };

/**
 * Base class of every error pyrsedis raises or returns.
 *
 * `code` is stable and meant for programs; `message` is for people. Errors never carry a
 * command's arguments (they may hold secrets), only its name.
 */
export class PyrsedisError extends Error {
  /** The brand this class answers `instanceof` for. Subclasses set their own. */
  static readonly brand: string = 'PyrsedisError';
  /** A stable, machine-readable error code. */
  readonly code: string;
  /** The name of the command this error belongs to, when there is one. */
  command: string | undefined;

  constructor(message: string, code: string, options?: { cause?: unknown; command?: string | undefined }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.command = options?.command;
    const brands: string[] = [];
    for (
      let ctor = new.target as unknown;
      ctor && typeof ctor === 'function';
      ctor = Object.getPrototypeOf(ctor)
    ) {
      const brand = (ctor as { brand?: string }).brand;
      if (Object.hasOwn(ctor, 'brand') && brand) brands.push(brand);
      if (ctor === PyrsedisError) break;
    }
    Object.defineProperty(this, BRANDS, { value: brands, enumerable: false });
    Object.defineProperty(this, 'name', {
      value: brands[0] ?? 'PyrsedisError',
      enumerable: false,
      writable: true,
    });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const brands = (value as Branded)[BRANDS];
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof.
    return brands?.includes(this.brand) === true;
  }
}

/**
 * The bytes received are not valid RESP, or exceed a configured limit. The decoder that raised
 * it is unusable afterwards: the connection must be dropped.
 */
export class ProtocolError extends PyrsedisError {
  static override readonly brand: string = 'ProtocolError';
  /** Byte offset in the stream (counted from the decoder's first byte) where the problem is. */
  readonly offset: number;

  constructor(message: string, offset: number, options?: { cause?: unknown }) {
    super(`${message} (at byte ${offset})`, 'ERR_PROTOCOL', options);
    this.offset = offset;
  }
}

/**
 * A map key that cannot key an object without loss: in Buffer mode, bytes that are not UTF-8
 * (two such keys could even become one); in any mode, an aggregate or an error. The reply's bytes were fine:
 * the decoder read the rest of the reply, dropped it, and delivers this error in its place;
 * the replies after it decode as usual. Read such maps as `Map`s (`maps: 'map'`, keys stay
 * Buffers), as flat arrays (`maps: 'array'`) or with a reader.
 */
export class MapKeyError extends PyrsedisError {
  static override readonly brand: string = 'MapKeyError';
  /** The key: its bytes (not UTF-8), or the aggregate or error it was. */
  readonly key: unknown;

  /** `offset`: where the map begins in the stream, when known; `why`: what the key is. */
  constructor(key: unknown, offset?: number, why?: string) {
    const what = why ?? `is not UTF-8 text (${(key as Buffer).length} bytes)`;
    super(
      `a key of the map${offset === undefined ? '' : ` at byte ${offset}`} ${what}: an object cannot be keyed by it ` +
        "without loss — read the map as a Map (maps: 'map'), a flat array (maps: 'array') or with a reader",
      'ERR_MAP_KEY',
    );
    this.key = key;
  }
}

/**
 * A {@link ReplyReader}'s own code threw while it read a reply — or a value of it could not be
 * built (a bulk longer than the longest JS string, in string mode). The reply's bytes were fine:
 * the decoder read the rest of that reply generically, dropped it, and delivers this error in
 * its place (`cause`: what was thrown). The replies after it decode as usual.
 */
export class ReaderError extends PyrsedisError {
  static override readonly brand: string = 'ReaderError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_READER', options);
  }
}

/**
 * An error reply from the server (`-ERR ...` or a bulk error `!`). Decoders return it as a
 * value, so one failing command inside a pipeline or an array does not hide the others.
 * `code` is the reply's prefix (`ERR`, `WRONGTYPE`, `MOVED`, `NOSCRIPT`, ...).
 */
export class ReplyError extends PyrsedisError {
  static override readonly brand: string = 'ReplyError';

  constructor(message: string, options?: { command?: string | undefined }) {
    super(message, replyErrorCode(message), options);
  }
}

/** The upper-case prefix of an error reply (`WRONGTYPE Operation...` → `WRONGTYPE`), else `ERR`. */
export function replyErrorCode(message: string): string {
  const space = message.indexOf(' ');
  const word = space < 0 ? message : message.slice(0, space);
  return /^[A-Z][A-Z0-9_-]*$/.test(word) ? word : 'ERR';
}

/** `WRONGTYPE`: the key holds another type than the command works on. */
export class WrongTypeError extends ReplyError {
  static override readonly brand: string = 'WrongTypeError';
}

/** `NOSCRIPT`: no script with that SHA1 is cached (`Script` falls back to EVAL by itself). */
export class NoScriptError extends ReplyError {
  static override readonly brand: string = 'NoScriptError';
}

/** `BUSY`: a script or function is running too long; `SCRIPT KILL` / `FUNCTION KILL` may end it. */
export class BusyError extends ReplyError {
  static override readonly brand: string = 'BusyError';
}

/** `READONLY`: a write sent to a replica. */
export class ReadOnlyError extends ReplyError {
  static override readonly brand: string = 'ReadOnlyError';
}

/** `NOAUTH` or `WRONGPASS`: authentication is missing or refused. */
export class AuthError extends ReplyError {
  static override readonly brand: string = 'AuthError';
}

/** `NOPERM`: the ACL user may not run this command or touch this key or channel. */
export class PermissionError extends ReplyError {
  static override readonly brand: string = 'PermissionError';
}

/** `LOADING`: the server is loading its dataset and does not serve commands yet. */
export class LoadingError extends ReplyError {
  static override readonly brand: string = 'LoadingError';
}

/** `OOM`: the write would exceed `maxmemory`. */
export class OutOfMemoryError extends ReplyError {
  static override readonly brand: string = 'OutOfMemoryError';
}

/** `EXECABORT`: a transaction was discarded because a command was refused while queuing. */
export class ExecAbortError extends ReplyError {
  static override readonly brand: string = 'ExecAbortError';
}

/** `CLUSTERDOWN`, `TRYAGAIN`, `MASTERDOWN`, `NOREPLICAS`: the topology cannot serve now; retry later. */
export class TryAgainError extends ReplyError {
  static override readonly brand: string = 'TryAgainError';
}

/** `CROSSSLOT`: the keys of a multi-key command hash to different cluster slots. */
export class CrossSlotError extends ReplyError {
  static override readonly brand: string = 'CrossSlotError';
}

/**
 * A cluster redirection (`MOVED 3999 10.0.0.2:6381` / `ASK ...`): the slot and the node that
 * serves it. `host` is empty when the server does not know its address (`MOVED 3999 :6381`).
 */
export class RedirectError extends ReplyError {
  static override readonly brand: string = 'RedirectError';
  /** The hash slot of the key. */
  readonly slot: number;
  /** Host (IPv6 without brackets) of the node to ask; empty when unknown: use the asked node's. */
  readonly host: string;
  /** Port of the node to ask. */
  readonly port: number;

  constructor(message: string, options?: { command?: string | undefined }) {
    super(message, options);
    const [, slot = '', endpoint = ''] = message.split(' ');
    const colon = endpoint.lastIndexOf(':');
    this.slot = Number(slot);
    this.host = colon < 0 ? endpoint : endpoint.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    this.port = colon < 0 ? 0 : Number(endpoint.slice(colon + 1));
  }
}

/** `MOVED`: the slot lives on another node for good; update the slot map and resend there. */
export class MovedError extends RedirectError {
  static override readonly brand: string = 'MovedError';
}

/** `ASK`: the slot is migrating; resend this one command to the node after `ASKING`. */
export class AskError extends RedirectError {
  static override readonly brand: string = 'AskError';
}

const REPLY_ERROR_CLASSES: Record<string, new (message: string) => ReplyError> = {
  __proto__: null as never,
  WRONGTYPE: WrongTypeError,
  NOSCRIPT: NoScriptError,
  BUSY: BusyError,
  READONLY: ReadOnlyError,
  NOAUTH: AuthError,
  WRONGPASS: AuthError,
  NOPERM: PermissionError,
  LOADING: LoadingError,
  OOM: OutOfMemoryError,
  EXECABORT: ExecAbortError,
  CLUSTERDOWN: TryAgainError,
  TRYAGAIN: TryAgainError,
  MASTERDOWN: TryAgainError,
  NOREPLICAS: TryAgainError,
  CROSSSLOT: CrossSlotError,
  MOVED: MovedError,
  ASK: AskError,
};

/**
 * The error for an error reply: the subclass its code names (`WRONGTYPE` → {@link WrongTypeError},
 * `MOVED` → {@link MovedError}, ...), else a plain {@link ReplyError}. Decoders use it for every
 * error reply, so `instanceof` works inside pipelines and transactions too.
 */
export function createReplyError(message: string): ReplyError {
  const Class = REPLY_ERROR_CLASSES[replyErrorCode(message)] ?? ReplyError;
  return new Class(message);
}

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

  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset})`, 'ERR_PROTOCOL');
    this.offset = offset;
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

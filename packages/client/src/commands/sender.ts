// The one verb the generated command methods need: hand argv to whatever sends it (a
// connection, a pool, a pipeline, a cluster router).
import type { ReplyError, ReplyParser, ReplyReader } from '@pyrsedis/resp';
import type { BufferPubSub, Session } from '../client.js';
import { MAX_TIMER_MS } from '../connection/options.js';
import type { Commands } from '../generated/commands.js';
import type { CHAIN_ELSE, Chain } from '../pipeline.js';
import type { CommandArgument } from './keys.js';
import type { BufferScanIterators } from './scan.js';

export type { CommandArgument };

/** A key or a string value: a JS string (sent as UTF-8) or raw bytes. */
export type RedisArgument = string | Buffer | Uint8Array;

/**
 * Any value a RESP3 reply can decode to, where a command has no reply schema. `S` is the string
 * type of the view (`string`, or `Buffer` in the binary-safe view).
 */
export type RespValue<S = string> =
  | S
  | string
  | number
  | bigint
  | boolean
  | null
  | RespValue<S>[]
  | { [key: string]: RespValue<S> }
  // An error inside an array (a script's `redis.error_reply`, a transaction's failed command).
  | ReplyError;

/** Turns a decoded reply into the shape a method declares (see codegen/transforms.ts). */
export type ReplyTransformFunction = (reply: unknown) => unknown;

/** How bulk strings of a reply are decoded: JS strings, or Buffers (binary-safe). */
export type StringMode = 'string' | 'buffer';

/** Per-call options, given through a view: `client.withOptions({ timeoutMs: 100 })`. */
export interface SendOptions {
  /** Bulk strings as `Buffer`s. */
  strings?: StringMode;
  /** End-to-end deadline for the reply, from the call, in ms (up to 2^31 - 1); `Infinity`: none, whatever `commandTimeoutMs` says. */
  timeoutMs?: number;
  /** Aborts the call: rejects with the signal's reason; an unsent command is never sent. */
  signal?: AbortSignal;
  /** `false`: bypass the client-side cache for this call (read from the server, store nothing). */
  cache?: boolean;
  /**
   * Decodes this call's reply with a reader or parser of your own, in the same single pass over
   * the bytes (`ReplyReader` / `ReplyParser` of @pyrsedis/resp): how the FalkorDB add-on builds
   * graph values directly from the wire bytes.
   */
  reader?: ReplyReader | ReplyParser;
}

/** What the generated methods call. */
export interface CommandSender {
  /**
   * The protocol of the connection the commands go to (3, or 2), where the sender knows it: a
   * transaction reshapes the RESP2 replies inside `EXEC` by it.
   */
  readonly protocol?: 2 | 3;
  /**
   * The connection also carries other callers' commands (a client's multiplexed connection): a
   * transaction on it must not change the connection's state (SELECT).
   */
  readonly shared?: boolean;
  /** Sends `argv` (command name first); the reply goes through `transform` when given. */
  sendCommand(
    argv: CommandArgument[],
    transform?: ReplyTransformFunction,
    options?: SendOptions,
  ): Promise<unknown>;
  /**
   * Sends the commands of an explicit pipeline as one unit, when the sender can: resolves with
   * the replies in order, errors in place, and never rejects. Undefined (no method, or the call
   * returns undefined) means: send them one by one with {@link CommandSender.sendCommand}.
   */
  sendBatch?(
    argvs: CommandArgument[][],
    transforms: readonly (ReplyTransformFunction | undefined)[] | undefined,
    options?: SendOptions,
  ): Promise<unknown[]> | undefined;
  /**
   * Sends a transaction (MULTI, the commands, EXEC) as one unit on one connection: queued whole or
   * not at all, one deadline. Resolves with the raw replies in order, errors in place.
   */
  sendTransaction?(argvs: CommandArgument[][], options?: SendOptions): Promise<unknown[]>;
}

/** The options a view adds (merged along a chain of views); on the view, not enumerable. */
const VIEW_OPTIONS = Symbol('pyrsedis.viewOptions');

/** @internal The options `withOptions` views add to their sender's, or undefined for a sender itself. */
export function viewOptions(sender: object): SendOptions | undefined {
  return (sender as { [VIEW_OPTIONS]?: SendOptions })[VIEW_OPTIONS];
}

/**
 * A view of a sender with per-call options: the same object and the same generated methods
 * (its prototype is the sender); only `sendCommand` adds the options. Views stack.
 */
export function withOptions<T extends CommandSender>(sender: T, given: SendOptions): T {
  let options = given;
  const timeoutMs = options.timeoutMs;
  if (
    timeoutMs !== undefined &&
    timeoutMs !== Number.POSITIVE_INFINITY &&
    !(typeof timeoutMs === 'number' && timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS)
  )
    throw new TypeError(
      `timeoutMs must be a number of ms in (0, ${MAX_TIMER_MS}] or Infinity (none), got ${String(timeoutMs)}`,
    );
  // An option given as undefined does not erase what an inner view set.
  options = defined(options);
  const inherited = viewOptions(sender);
  // A call's own options over the view's — those it gives as undefined do not erase the view's.
  const merged = (more: SendOptions | undefined): SendOptions =>
    more ? { ...options, ...defined(more) } : options;
  return Object.create(sender, {
    [VIEW_OPTIONS]: { value: inherited === undefined ? options : { ...inherited, ...options } },
    sendCommand: {
      value: (argv: CommandArgument[], transform?: ReplyTransformFunction, more?: SendOptions) =>
        sender.sendCommand(argv, transform, merged(more)),
    },
    sendBatch: {
      value: (
        argvs: CommandArgument[][],
        transforms: readonly (ReplyTransformFunction | undefined)[] | undefined,
        more?: SendOptions,
      ) => sender.sendBatch?.(argvs, transforms, merged(more)),
    },
    // Only where the sender has it (a transaction falls back to one command at a time otherwise).
    sendTransaction: {
      value:
        sender.sendTransaction === undefined
          ? undefined
          : (argvs: CommandArgument[][], more?: SendOptions) => sender.sendTransaction!(argvs, merged(more)),
    },
  }) as T;
}

/** The options that have a value (`{ timeoutMs: undefined }` sets nothing). */
function defined(options: SendOptions): SendOptions {
  for (const key in options) {
    if (options[key as keyof SendOptions] === undefined)
      return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  }
  return options;
}

/**
 * How a Buffer view is typed: the sender, with every generated command's bulk strings as
 * `Buffer`s (`Commands<Buffer>`), and so are the chains its `pipeline()` and `multi()` make.
 * Its other members keep their types.
 */
export type WithBuffers<T> = Omit<
  T,
  keyof Commands | 'pipeline' | 'multi' | 'isolated' | keyof BufferScanIterators | keyof BufferPubSub
> &
  Commands<Buffer> &
  // A session of the view is a view too (its commands return Buffers).
  (T extends { isolated(work: never): unknown }
    ? { isolated<R>(work: (session: WithBuffers<Session>) => Promise<R>): Promise<R> }
    : unknown) &
  (T extends { scanIterator(): unknown } ? BufferScanIterators : unknown) &
  (T extends { messages(channels: never): unknown } ? BufferPubSub : unknown) &
  (T extends { pipeline(): unknown } ? { pipeline(): Chain<[], never, Buffer> } : unknown) &
  (T extends { multi(): { readonly [CHAIN_ELSE]?: infer N } }
    ? { multi(): Chain<[], Exclude<N, undefined>, Buffer> }
    : unknown);

/**
 * The binary-safe view of a sender: bulk strings decoded as Buffers (`Commands<Buffer>`), with
 * the same generated methods — nothing is copied or duplicated.
 */
export function withBuffers<T extends CommandSender>(sender: T): WithBuffers<T> {
  return withOptions(sender, { strings: 'buffer' }) as unknown as WithBuffers<T>;
}

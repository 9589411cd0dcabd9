// The one verb the generated command methods need: hand argv to whatever sends it (a
// connection, a pool, a pipeline, a cluster router).
import type { CommandArgument } from './keys.js';

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
  | { [key: string]: RespValue<S> };

/** Turns a decoded reply into the shape a method declares (see codegen/transforms.ts). */
export type ReplyTransformFunction = (reply: unknown) => unknown;

/** How bulk strings of a reply are decoded: JS strings, or Buffers (binary-safe). */
export type StringMode = 'string' | 'buffer';

/** What the generated methods call. */
export interface CommandSender {
  sendCommand(
    argv: CommandArgument[],
    transform?: ReplyTransformFunction,
    strings?: StringMode,
  ): Promise<unknown>;
}

/**
 * The binary-safe view of a sender: the same object and the same generated methods, with bulk
 * strings decoded as Buffers (`Commands<Buffer>`). Nothing is copied or duplicated: the view's
 * prototype is the sender, only `sendCommand` asks for Buffers.
 */
export function withBuffers<T extends CommandSender>(sender: T): T {
  return Object.create(sender, {
    sendCommand: {
      value: (argv: CommandArgument[], transform?: ReplyTransformFunction) =>
        sender.sendCommand(argv, transform, 'buffer'),
    },
  }) as T;
}

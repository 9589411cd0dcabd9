// client.pipeline() and client.multi(): chainable, typed per command, sent in one write.
import { encodeCommands, PyrsedisError, ReplyError } from '@pyrsedis/resp';
import { commandRoute, ROUTE_BLOCKING, ROUTE_SHARED, refusedOnShared } from './commands/keys.js';
import { shapeReply } from './commands/resp2.js';
import type {
  CommandArgument,
  CommandSender,
  ReplyTransformFunction,
  SendOptions,
} from './commands/sender.js';
import { commandName } from './connection/connection.js';
import { COMMAND_METHODS, type Commands } from './generated/commands.js';

/** @internal The key of a chain's type-level marker (see {@link Chain}). */
export declare const CHAIN_ELSE: unique symbol;

/**
 * The chainable surface: every command method returns the pipeline, with the command's reply
 * type appended to `R`. `exec()` resolves with the replies in order; a command that failed has
 * its error (a ReplyError) in its place instead of its reply. `N`: what else `exec()` may give —
 * `null` for a session's `multi()` (a WATCHed key changed: the transaction did not run). `S`:
 * how bulk strings come back — `Buffer` for a chain made from a `withBuffers()` view.
 */
export type Chain<R extends unknown[], N = never, S = string> = {
  [K in keyof Commands<S>]: Commands<S>[K] extends (...args: infer A) => Promise<infer T>
    ? (...args: A) => Chain<[...R, T | ReplyError], N, S>
    : never;
} & {
  /** Sends every queued command in one write and resolves with their replies, in order. */
  exec(): Promise<R | N>;
  /** @internal Type-level only (never set): what else `exec()` may give, read by `WithBuffers`. */
  readonly [CHAIN_ELSE]?: N;
  /**
   * Adds any command; `transform` shapes its reply, `reader` decodes it in one pass (a
   * ReplyReader / ReplyParser: how the FalkorDB add-on queues graph queries; `pipeline()` only —
   * inside `multi()` the replies arrive inside EXEC's array).
   */
  addCommand(argv: CommandArgument[], options?: QueuedOptions): Chain<[...R, unknown], N, S>;
  /** How many commands are queued. */
  readonly length: number;
};

/** Per-command options of `addCommand`. */
export interface QueuedOptions {
  /** Shapes the reply (after decoding). */
  transform?: ReplyTransformFunction;
  /** Decodes the reply itself (pipeline() only). */
  reader?: SendOptions['reader'];
  /** Told this command's outcome when it settles (pipeline() only): its error, or its reply. */
  onSettled?: (error: unknown, reply?: unknown) => void;
}

interface Queued {
  argv: CommandArgument[];
  transform: ReplyTransformFunction | undefined;
  /** Refused before anything was sent (a generated method's argument check): its error. */
  refusal?: unknown;
  reader?: SendOptions['reader'];
  onSettled?: (error: unknown, reply?: unknown) => void;
}

/** Collects commands; the generated methods call its sendCommand, which queues and chains. */
export class Pipeline implements CommandSender {
  readonly #target: CommandSender;
  readonly #options: SendOptions | undefined;
  readonly #transaction: boolean;
  #queued: Queued[] = [];
  #executed = false;

  constructor(target: CommandSender, transaction: boolean, options?: SendOptions) {
    this.#target = target;
    this.#transaction = transaction;
    this.#options = options;
  }

  get length(): number {
    return this.#queued.length;
  }

  /** @internal Called by the generated methods: queue, and return the chain. */
  sendCommand(argv: CommandArgument[], transform?: ReplyTransformFunction): Promise<unknown> {
    this.#queued.push({ argv, transform });
    return this as unknown as Promise<unknown>;
  }

  /**
   * @internal Called by a generated method whose argument check failed: the command is queued as
   * refused — its error in its place in `exec()`'s results; a transaction rejects with it and
   * sends nothing.
   */
  refuse(argv: CommandArgument[], error: unknown): Promise<unknown> {
    this.#queued.push({ argv, transform: undefined, refusal: error });
    return this as unknown as Promise<unknown>;
  }

  addCommand(argv: CommandArgument[], options: QueuedOptions = {}): this {
    if ((options.reader !== undefined || options.onSettled !== undefined) && this.#transaction) {
      throw new TypeError('reader and onSettled cannot be used inside multi(): replies arrive inside EXEC');
    }
    this.#queued.push({
      argv,
      transform: options.transform,
      reader: options.reader,
      onSettled: options.onSettled,
    });
    return this;
  }

  async exec(): Promise<unknown[]> {
    if (this.#executed) throw new Error('this pipeline was already executed; create a new one');
    this.#executed = true;
    const queued = this.#queued;
    this.#queued = [];
    const target = this.#target;
    const options = this.#options;
    if (!this.#transaction) {
      // As one unit where the target can (one promise for all), else one by one issued in one
      // tick: either way written in one buffer, errors in place.
      const batch = queued.every(
        (q) => q.reader === undefined && q.onSettled === undefined && q.refusal === undefined,
      )
        ? target.sendBatch?.(
            queued.map((q) => q.argv),
            queued.some((q) => q.transform !== undefined) ? queued.map((q) => q.transform) : undefined,
            options,
          )
        : undefined;
      if (batch !== undefined) return batch;
      return Promise.all(
        queued.map((q) => {
          if (q.refusal !== undefined) return q.refusal;
          const sent = target.sendCommand(
            q.argv,
            q.transform,
            q.reader ? { ...options, reader: q.reader } : options,
          );
          const settled = q.onSettled;
          if (settled === undefined) return sent.catch((err: unknown) => err);
          return sent.then(
            (reply) => {
              settled(undefined, reply);
              return reply;
            },
            (err: unknown) => {
              settled(err);
              return err;
            },
          );
        }),
      );
    }
    // Nothing is sent unless every command can be: MULTI followed by a command that fails to
    // encode would leave a transaction running the others (and misalign their replies).
    for (const q of queued) if (q.refusal !== undefined) throw q.refusal;
    const argvs = queued.map((q) => q.argv);
    encodeCommands(argvs);
    if (target.shared === true) {
      // On a connection others share, a transaction must leave its state as it found it.
      for (const argv of argvs) {
        const route = commandRoute(argv);
        if (route !== ROUTE_SHARED && route !== ROUTE_BLOCKING) throw refusedOnShared(argv);
      }
    }
    // MULTI, the commands (each answered QUEUED or an error), EXEC with every reply in order.
    let queueErrors: unknown[];
    let replies: unknown;
    if (target.sendTransaction !== undefined) {
      // As one unit: let in whole or not at all, one deadline, never a MULTI without its EXEC.
      const all = await target.sendTransaction([['MULTI'], ...argvs, ['EXEC']], options);
      if (all[0] instanceof Error) throw all[0];
      queueErrors = all.slice(1, -1).map((reply) => (reply instanceof Error ? reply : 'QUEUED'));
      replies = all[all.length - 1];
      if (replies instanceof Error) throw execAborted(replies, queueErrors);
    } else {
      const multi = target.sendCommand(['MULTI'], undefined, options);
      const acks = queued.map((q) =>
        target.sendCommand(q.argv, undefined, options).catch((err: unknown) => err),
      );
      const exec = target.sendCommand(['EXEC'], undefined, options);
      // If MULTI fails (a dead connection), EXEC fails too: that rejection must not go unhandled.
      exec.catch(() => {});
      await multi;
      queueErrors = await Promise.all(acks);
      try {
        replies = await exec;
      } catch (err) {
        throw execAborted(err, queueErrors);
      }
    }
    if (replies === null) return null as unknown as unknown[]; // WATCHed key changed: aborted
    // EXEC's reply is one array: each element shaped as its command's own reply would be (RESP2
    // reshaped to the RESP3 forms the types describe, then transformed), errors in place.
    // EXEC answers the commands answered QUEUED only: one the server refused while queuing
    // without aborting the transaction (Redis: a WATCH or MULTI inside it) has no reply there —
    // its queuing error takes its place, the others keep theirs.
    const protocol = target.protocol;
    const executed = replies as unknown[];
    let next = 0;
    const results = queued.map((q, i) => {
      const queueError = queueErrors[i];
      if (queueError instanceof Error) {
        (queueError as ReplyError).command ??= commandName(q.argv);
        return queueError;
      }
      const reply = executed[next++];
      if (reply instanceof Error) {
        // As for errors in place elsewhere: the command it belongs to.
        (reply as ReplyError).command ??= commandName(q.argv);
        return reply;
      }
      try {
        return shapeReply(q.argv, reply, protocol, q.transform);
      } catch (err) {
        return err;
      }
    });
    if (next !== executed.length)
      throw new PyrsedisError(
        `EXEC answered ${executed.length} commands, ${next} were queued: the replies cannot be matched`,
        'ERR_EXEC_REPLIES',
      );
    return results;
  }
}

Object.assign(Pipeline.prototype, COMMAND_METHODS);

/** EXEC's error; an EXECABORT (a command refused while queuing) says which command it was. */
function execAborted(err: unknown, queueErrors: unknown[]): unknown {
  const first = queueErrors.findIndex((e) => e instanceof Error);
  if (err instanceof ReplyError && first >= 0) {
    (err as ReplyError & { queueErrors?: unknown[] }).queueErrors = queueErrors;
    err.message = `${err.message} (command ${first}, ${String((queueErrors[first] as Error).message)})`;
  }
  return err;
}

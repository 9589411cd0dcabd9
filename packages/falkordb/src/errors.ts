// Errors of graph commands. The server has no stable error prefix (protocol doc §6): they are
// classified by their known texts; the message is always the server's, verbatim.
import { ReplyError } from '@pyrsedis/client';

/** An error reply to a graph command. `code` stays the generic reply code (mostly `ERR`). */
export class GraphError extends ReplyError {
  static override readonly brand: string = 'GraphError';
}

/** The query text is not valid Cypher (`errMsg: ... line: 1, column: 11 ...`). */
export class GraphSyntaxError extends GraphError {
  static override readonly brand: string = 'GraphSyntaxError';
}

/** The query ran past its `timeout` (or the server's TIMEOUT_DEFAULT / TIMEOUT_MAX). */
export class GraphTimeoutError extends GraphError {
  static override readonly brand: string = 'GraphTimeoutError';
}

/**
 * The graph does not exist (`Invalid graph operation on empty key`): commands that read or manage
 * a graph — `delete()`, `memoryUsage()`, `explain()`, a read-only query — on a key never created.
 */
export class GraphNotFoundError extends GraphError {
  static override readonly brand: string = 'GraphNotFoundError';
}

/**
 * In `exec()`'s results only, in the place of a query queued with `g.queue()` that did not run in
 * the pipeline: the graph's schema had changed (a version mismatch answered it), so it was sent
 * again on its own after the pipeline. Its result — or its error — is the promise `g.queue()`
 * returned.
 */
export class GraphResentError extends GraphError {
  static override readonly brand: string = 'GraphResentError';
}

const EMPTY_KEY = 'Invalid graph operation on empty key';

/**
 * Turns a server error into its graph class (the message and command kept). Errors the resp
 * package gave a class of their own (WRONGTYPE, NOAUTH, BUSY, ...) keep it; every other plain
 * `ReplyError` is a graph error, whatever its first word (`SKIP value should be...`, `LIMIT ...`:
 * codes `SKIP`, `LIMIT`).
 */
export function graphError(err: unknown): unknown {
  // The exact class by its brand (instanceof holds for every subclass; brands hold across copies).
  if (!(err instanceof ReplyError) || (err.constructor as { brand?: string }).brand !== 'ReplyError')
    return err;
  const message = err.message;
  const Class = message.startsWith('errMsg:')
    ? GraphSyntaxError
    : message === 'Query timed out'
      ? GraphTimeoutError
      : message.includes(EMPTY_KEY)
        ? GraphNotFoundError
        : GraphError;
  const typed = new Class(message, { command: err.command });
  return typed;
}

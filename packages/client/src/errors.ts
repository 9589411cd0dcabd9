// The client's errors, on the branded base of @pyrsedis/resp (instanceof survives two copies).
import { PyrsedisError } from '@pyrsedis/resp';

/**
 * The connection failed or closed. `mayHaveExecuted` says whether the command had been written
 * to the server before the connection died: if so it may have run (the client never re-sends a
 * write by itself); if not, it certainly did not.
 */
export class ConnectionError extends PyrsedisError {
  static override readonly brand: string = 'ConnectionError';
  /** True when the command had been written: it may have run on the server. */
  readonly mayHaveExecuted: boolean;

  constructor(message: string, options: { cause?: unknown; command?: string; mayHaveExecuted: boolean }) {
    super(message, 'ERR_CONNECTION', options);
    this.mayHaveExecuted = options.mayHaveExecuted;
  }
}

/** A client option is invalid; the message says which and why. */
export class ClientOptionsError extends PyrsedisError {
  static override readonly brand: string = 'ClientOptionsError';

  constructor(message: string) {
    super(message, 'ERR_OPTIONS');
  }
}

/**
 * A command did not get its reply in time (`timeoutMs`, measured from the call: a real end-to-end
 * deadline). `mayHaveExecuted` says whether it had been written. A late reply is discarded and
 * never settles another command; a timed-out blocking command retires its connection, so a late
 * pop can never be delivered to nobody.
 */
export class TimeoutError extends PyrsedisError {
  static override readonly brand: string = 'TimeoutError';
  /** True when the command had been written before the deadline: it may have run. */
  readonly mayHaveExecuted: boolean;

  constructor(message: string, options: { command?: string; mayHaveExecuted: boolean }) {
    super(message, 'ERR_TIMEOUT', options);
    this.mayHaveExecuted = options.mayHaveExecuted;
  }
}

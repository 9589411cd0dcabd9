// Waiting on AbortSignals without one listener per waiter: a signal shared by many commands
// would pass the EventTarget's listener warning (more than 10 'abort' listeners).

/**
 * Items waiting on abort signals, one 'abort' listener per signal however many items share it.
 * When a signal aborts, `onAbort` runs for each of its items; the listener goes once the last
 * item of its signal is removed.
 * @internal
 */
export class SignalWaiters<T> {
  readonly #bySignal = new WeakMap<AbortSignal, { items: Set<T>; listener: () => void }>();
  readonly #onAbort: (item: T, reason: unknown) => void;

  constructor(onAbort: (item: T, reason: unknown) => void) {
    this.#onAbort = onAbort;
  }

  /** `item` waits on `signal` (not yet aborted). */
  add(signal: AbortSignal, item: T): void {
    let entry = this.#bySignal.get(signal);
    if (entry === undefined) {
      const items = new Set<T>();
      const listener = (): void => {
        this.#bySignal.delete(signal);
        for (const each of [...items]) this.#onAbort(each, signal.reason);
      };
      entry = { items, listener };
      this.#bySignal.set(signal, entry);
      signal.addEventListener('abort', listener, { once: true });
    }
    entry.items.add(item);
  }

  /** `item` waits no longer (settled); no effect if it was not waiting. */
  delete(signal: AbortSignal, item: T): void {
    const entry = this.#bySignal.get(signal);
    if (entry === undefined || !entry.items.delete(item)) return;
    if (entry.items.size === 0) {
      signal.removeEventListener('abort', entry.listener);
      this.#bySignal.delete(signal);
    }
  }
}

// Pub/sub: over RESP3 push messages on the shared connection, or over RESP2 on a dedicated
// connection opened on the first subscription (RESP2 allows nothing else on a subscribed
// connection). Listeners and async iterators, confirmations awaited per channel, everything
// resubscribed after a reconnect.

import { ReplyError } from '@pyrsedis/resp';
import { bytesKey } from './commands/keys.js';
import { Connection, type ConnectionState } from './connection/connection.js';
import type { ResolvedOptions } from './connection/options.js';
import { ConnectionError } from './errors.js';

/** Called for each message: the payload, the channel, and the pattern for psubscribe. */
export type MessageListener = (message: string, channel: string, pattern?: string) => void;

/** A listener in Buffer mode (`{ strings: 'buffer' }`): payload, channel and pattern as bytes. */
export type BufferMessageListener = (message: Buffer, channel: Buffer, pattern?: Buffer) => void;

/** A channel or pattern name: text (sent as UTF-8) or bytes. */
export type ChannelName = string | Buffer;

type AnyListener = MessageListener | BufferMessageListener;

/** The bytes of a name from its key. */
function keyBytes(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

function asBuffer(value: unknown): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(String(value));
}

function asText(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

type Kind = 'channel' | 'pattern' | 'shard';

const COMMANDS: Record<Kind, { on: string; off: string; ack: string; unack: string; message: string }> = {
  channel: {
    on: 'SUBSCRIBE',
    off: 'UNSUBSCRIBE',
    ack: 'subscribe',
    unack: 'unsubscribe',
    message: 'message',
  },
  pattern: {
    on: 'PSUBSCRIBE',
    off: 'PUNSUBSCRIBE',
    ack: 'psubscribe',
    unack: 'punsubscribe',
    message: 'pmessage',
  },
  shard: {
    on: 'SSUBSCRIBE',
    off: 'SUNSUBSCRIBE',
    ack: 'ssubscribe',
    unack: 'sunsubscribe',
    message: 'smessage',
  },
};

/** @internal The subscriptions of one client. */
export class Subscriptions {
  readonly #primary: Connection;
  readonly #options: ResolvedOptions;
  /** The connection subscriptions live on: the primary (RESP3) or a dedicated one (RESP2). */
  #connection: Connection | undefined;
  #dedicated: Connection | undefined;
  /** Per kind, name key → listener → whether it takes Buffers. */
  readonly #listeners: Record<Kind, Map<string, Map<AnyListener, boolean>>> = {
    channel: new Map(),
    pattern: new Map(),
    shard: new Map(),
  };
  /** Names the server was asked to subscribe (confirmed or not) on the current connection. */
  #sent: Record<Kind, Set<string>> = { channel: new Set(), pattern: new Set(), shard: new Set() };
  /** Subscriptions asked and not yet confirmed: `${kind}:${name}` → the confirmation. */
  readonly #confirming = new Map<string, Promise<void>>();
  /** Confirmations awaited: `${ack}:${name}` → their settlers. */
  readonly #waiting = new Map<string, { resolve: () => void; reject: (error: Error) => void }[]>();

  readonly #onListenerError: (error: unknown) => void;
  readonly #onSubscriberLost: (error: ConnectionError) => void;

  constructor(
    primary: Connection,
    options: ResolvedOptions,
    onListenerError: (error: unknown) => void,
    onSubscriberLost: (error: ConnectionError) => void,
  ) {
    this.#primary = primary;
    this.#options = options;
    this.#onListenerError = onListenerError;
    this.#onSubscriberLost = onSubscriberLost;
    this.#listen(primary, primary.state === 'ready');
  }

  #listen(connection: Connection, wasReady: boolean): void {
    let ready = wasReady;
    connection.on('push', (push: unknown[]) => this.#onPush(push));
    connection.on('state', (state: ConnectionState) => {
      if (this.#connection === connection && (state === 'reconnecting' || state === 'closed'))
        this.#settleWaiting(state === 'closed');
      if (state === 'closed' && !this.#closed && connection === this.#dedicated) {
        this.#dropDedicated(connection);
        // A dedicated connection that had been up gave up reconnecting: said, not silent (the
        // listeners are kept; the next subscribe() opens a connection and asks for them again).
        if (ready)
          this.#onSubscriberLost(
            new ConnectionError(
              'the subscriber connection ended (reconnecting gave up); subscriptions resume at the next subscribe()',
              { mayHaveExecuted: false },
            ),
          );
      }
    });
    connection.on('ready', () => {
      if (ready && this.#connection === connection) void this.#resubscribe();
      ready = true;
    });
  }

  /** The connection to subscribe on, once the protocol is known. */
  async #target(): Promise<Connection> {
    if (this.#connection !== undefined) return this.#connection;
    await this.#primary.ready;
    if (this.#connection !== undefined) return this.#connection;
    // Closed meanwhile (or before): no dedicated connection is opened for a closed client.
    if (this.#closed)
      throw new ConnectionError('the client is closed', { command: 'SUBSCRIBE', mayHaveExecuted: false });
    if (this.#primary.protocol === 3) {
      this.#connection = this.#primary;
    } else {
      const dedicated = new Connection({ ...this.#options, protocol: 2 }, { subscriber: true });
      dedicated.on('error', () => {});
      this.#listen(dedicated, false);
      this.#connection = dedicated;
      this.#dedicated = dedicated;
      this.#sent = { channel: new Set(), pattern: new Set(), shard: new Set() };
    }
    const connection = this.#connection;
    try {
      await connection.ready;
    } catch (err) {
      // A dedicated connection that could not open is not kept: the next subscribe() opens another.
      this.#dropDedicated(connection);
      throw err;
    }
    // A dedicated connection replacing one that closed for good: everything still listened to
    // is asked again on it.
    if (connection === this.#dedicated && this.#replaced) {
      this.#replaced = false;
      void this.#resubscribe();
    }
    return connection;
  }

  /** Forgets a dedicated RESP2 connection that is closed for good (a later subscribe opens anew). */
  #dropDedicated(connection: Connection): void {
    if (connection !== this.#dedicated) return;
    connection.destroy();
    this.#dedicated = undefined;
    this.#connection = undefined;
    this.#replaced = true;
  }

  /** The dedicated connection was dropped: its successor resubscribes everything. */
  #replaced = false;

  #awaitAck(ack: string, names: string[]): Promise<void> {
    return Promise.all(
      names.map(
        (name) =>
          new Promise<void>((resolve, reject) => {
            const key = `${ack}:${name}`;
            const list = this.#waiting.get(key) ?? [];
            list.push({ resolve, reject });
            this.#waiting.set(key, list);
          }),
      ),
    ).then(() => undefined);
  }

  /** The names of `given` that `listener` does not listen to yet (what a failed subscribe undoes). */
  newFor(kind: Kind, given: ChannelName[], listener: AnyListener): ChannelName[] {
    const map = this.#listeners[kind];
    return given.filter((name) => map.get(bytesKey(name))?.has(listener) !== true);
  }

  /** `newNames`: {@link newFor} of this call, when the caller asked it already. */
  async subscribe(
    kind: Kind,
    given: ChannelName[],
    listener: AnyListener,
    buffers: boolean,
    newNames: ChannelName[] = this.newFor(kind, given, listener),
  ): Promise<void> {
    const names = given.map(bytesKey);
    const map = this.#listeners[kind];
    // A failure undoes only what this call added: the listener may be on some names already.
    const added = new Set(newNames.map(bytesKey));
    // Registered at once, so that an unsubscribe() issued right after applies after it.
    for (const name of names) {
      const set = map.get(name) ?? new Map<AnyListener, boolean>();
      set.set(listener, buffers);
      map.set(name, set);
    }
    let connection: Connection;
    try {
      connection = await this.#target();
    } catch (err) {
      this.#forget(
        kind,
        names.filter((n) => added.has(n)),
        listener,
      );
      throw err;
    }
    // Still wanted (not unsubscribed meanwhile) and not yet asked of the server.
    const sent = this.#sent[kind];
    const fresh = names.filter((n) => map.has(n) && !sent.has(n));
    // Asked already, confirmation pending: this call resolves with that confirmation too.
    const pending = names.flatMap((n) => this.#confirming.get(`${kind}:${n}`) ?? []);
    if (fresh.length > 0) {
      for (const name of fresh) sent.add(name);
      const acks = fresh.map((name) => this.#confirm(kind, name));
      const c = COMMANDS[kind];
      try {
        await connection.sendSubscription([c.on, ...fresh.map(keyBytes)], c.ack, fresh.length);
      } catch (err) {
        if (err instanceof ReplyError) {
          // Refused by the server (an ACL's NOPERM...): not subscribed, nothing to ask again.
          for (const name of fresh) sent.delete(name);
          this.#forget(
            kind,
            fresh.filter((n) => added.has(n)),
            listener,
          );
          this.#settleAcks(c.ack, fresh, err);
          throw err;
        }
        if (connection.state === 'closing' || connection.state === 'closed') {
          // Not subscribed: the listener must not be subscribed later by a resubscription.
          for (const name of fresh) sent.delete(name);
          this.#forget(
            kind,
            fresh.filter((n) => added.has(n)),
            listener,
          );
          throw err;
        }
        // The connection dropped: the resubscription after the reconnect confirms it.
      }
      await Promise.all(acks);
    }
    await Promise.all(pending);
  }

  /** The confirmation of SUBSCRIBE-ing `name`, shared with later callers until it arrives. */
  #confirm(kind: Kind, name: string): Promise<void> {
    const key = `${kind}:${name}`;
    const acked = this.#awaitAck(COMMANDS[kind].ack, [name]);
    this.#confirming.set(key, acked);
    const done = () => {
      if (this.#confirming.get(key) === acked) this.#confirming.delete(key);
    };
    acked.then(done, done);
    return acked;
  }

  #forget(kind: Kind, names: string[], listener: AnyListener): void {
    const map = this.#listeners[kind];
    for (const name of names) {
      const set = map.get(name);
      set?.delete(listener);
      if (set?.size === 0) map.delete(name);
    }
  }

  async unsubscribe(kind: Kind, given: ChannelName[] | undefined, listener?: AnyListener): Promise<void> {
    const map = this.#listeners[kind];
    const targets = given?.map(bytesKey) ?? [...map.keys()];
    const gone: string[] = [];
    for (const name of targets) {
      const set = map.get(name);
      if (!set) continue;
      if (listener) set.delete(listener);
      if (!listener || set.size === 0) {
        map.delete(name);
        gone.push(name);
      }
    }
    // Only what the server was asked to subscribe (a subscribe() still waiting for its
    // connection sees the name gone and never asks).
    // A subscribe() of these names still waiting for its confirmation (asked before a reconnect,
    // say) is done: nobody listens any more, and the resubscription will not ask again.
    this.#settleAcks(COMMANDS[kind].ack, gone);
    const sent = this.#sent[kind];
    const off = gone.filter((name) => sent.delete(name));
    const connection = this.#connection;
    if (off.length === 0 || connection === undefined) return;
    const c = COMMANDS[kind];
    if (connection.state !== 'ready') {
      // Not connected (reconnecting): the server dropped the subscriptions with the connection,
      // and the resubscription after the reconnect leaves these out. But a SUBSCRIBE of them may
      // wait in the offline queue (subscribed while disconnected): the UNSUBSCRIBE queued behind
      // it undoes it. Not awaited: nothing is confirmed before the reconnect.
      if (connection.state !== 'closing' && connection.state !== 'closed')
        connection.sendSubscription([c.off, ...off.map(keyBytes)], c.unack, off.length).catch(() => {});
      return;
    }
    const acked = this.#awaitAck(c.unack, off);
    acked.catch(() => {}); // awaited below, unless sending fails first
    try {
      await connection.sendSubscription([c.off, ...off.map(keyBytes)], c.unack, off.length);
    } catch (err) {
      if (err instanceof ReplyError) throw err;
      return; // the connection is gone, and the server dropped the subscriptions with it
    }
    await acked;
  }

  /** Settles the waiters for acknowledgements `ack` of `names`: rejected with `error`, or resolved. */
  #settleAcks(ack: string, names: string[], error?: Error): void {
    for (const name of names) {
      const key = `${ack}:${name}`;
      const list = this.#waiting.get(key);
      if (list === undefined) continue;
      this.#waiting.delete(key);
      for (const waiter of list) {
        if (error === undefined) waiter.resolve();
        else waiter.reject(error);
      }
    }
  }

  async #resubscribe(): Promise<void> {
    const connection = this.#connection!;
    for (const kind of Object.keys(COMMANDS) as Kind[]) {
      const names = [...this.#listeners[kind].keys()];
      this.#sent[kind] = new Set(names); // the server dropped everything with the old connection
      if (names.length === 0) continue;
      const c = COMMANDS[kind];
      connection.sendSubscription([c.on, ...names.map(keyBytes)], c.ack, names.length).catch((err) => {
        if (!(err instanceof ReplyError)) return; // the connection dropped again: asked again then
        // Refused now (an ACL changed meanwhile): these subscriptions are gone; say so.
        for (const name of names) {
          this.#listeners[kind].delete(name);
          this.#sent[kind].delete(name);
        }
        this.#settleAcks(c.ack, names, err);
        this.#onListenerError(err);
      });
    }
  }

  /**
   * The subscription connection is gone. Unsubscriptions are done (the server dropped every
   * subscription with it). Subscriptions are confirmed by the resubscription after the reconnect —
   * or, when the connection is closed for good, fail.
   */
  #settleWaiting(closed: boolean): void {
    const unacks = new Set(Object.values(COMMANDS).map((c) => c.unack));
    for (const [key, list] of this.#waiting) {
      const unsubscribing = unacks.has(key.slice(0, key.indexOf(':')));
      if (!unsubscribing && !closed) continue;
      this.#waiting.delete(key);
      for (const waiter of list) {
        if (unsubscribing) waiter.resolve();
        else
          waiter.reject(
            new ConnectionError('the connection closed before the server confirmed the subscription', {
              mayHaveExecuted: true,
            }),
          );
      }
    }
  }

  /** Closes the dedicated RESP2 connection, if one was opened. */
  close(): Promise<void> {
    this.#closed = true;
    return this.#dedicated?.close() ?? Promise.resolve();
  }

  destroy(): void {
    this.#closed = true;
    this.#dedicated?.destroy();
  }

  #closed = false;

  #onPush(push: unknown[]): void {
    const type = asText(push[0]);
    for (const kind of Object.keys(COMMANDS) as Kind[]) {
      const c = COMMANDS[kind];
      if (type === c.message) {
        const rawPattern = kind === 'pattern' ? push[1] : undefined;
        const rawChannel = kind === 'pattern' ? push[2] : push[1];
        const rawMessage = kind === 'pattern' ? push[3] : push[2];
        const listeners = this.#listeners[kind].get(bytesKey(rawPattern ?? rawChannel));
        if (listeners === undefined) return;
        // Decoded once per message, for the listeners that take text.
        let text: [string, string, string | undefined] | undefined;
        for (const [listener, buffers] of listeners) {
          // A listener that throws must not reach the decoder (the connection would be dropped as
          // if the stream were broken) nor keep the message from the other listeners.
          try {
            if (buffers)
              (listener as BufferMessageListener)(
                asBuffer(rawMessage),
                asBuffer(rawChannel),
                rawPattern === undefined ? undefined : asBuffer(rawPattern),
              );
            else {
              text ??= [
                asText(rawMessage),
                asText(rawChannel),
                rawPattern === undefined ? undefined : asText(rawPattern),
              ];
              (listener as MessageListener)(text[0], text[1], text[2]);
            }
          } catch (err) {
            this.#onListenerError(err);
          }
        }
        return;
      }
      if (type === c.ack || type === c.unack) {
        const key = `${type}:${bytesKey(push[1])}`;
        const list = this.#waiting.get(key);
        const waiter = list?.shift();
        if (list?.length === 0) this.#waiting.delete(key);
        waiter?.resolve();
        return;
      }
    }
  }
}

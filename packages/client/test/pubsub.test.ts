// Pub/sub over RESP3 pushes on the shared connection, against Redis 8.2.
import { startServer } from '@pyrsedis/test-server';
import { describe, expect, it } from 'vitest';
import {
  ConnectionError,
  createClient,
  PermissionError,
  TimeoutError,
  withBuffers,
  withOptions,
} from '../src/index.js';
import { warmSubscriber, warningsDuring } from './helpers.js';

describe('pub/sub', () => {
  it('delivers messages to listeners while the same connection runs other commands', async () => {
    await using server = await startServer();
    await using sub = await createClient({ port: server.port }).connect();
    await using pub = await createClient({ port: server.port }).connect();
    const got: string[] = [];
    await sub.subscribe(['news', 'sport'], (message, channel) => got.push(`${channel}:${message}`));
    expect(await pub.publish('news', 'hello ✓')).toBe(1);
    // Commands still work on the subscribed connection (RESP3).
    expect(await sub.set('k', 'v')).toBe('OK');
    expect(await pub.publish('sport', 'goal')).toBe(1);
    expect(await sub.get('k')).toBe('v');
    expect(got).toEqual(['news:hello ✓', 'sport:goal']);
    await sub.unsubscribe('news');
    expect(await pub.publish('news', 'nobody')).toBe(0);
    expect(await pub.publish('sport', 'still')).toBe(1);
    await sub.ping();
    expect(got.at(-1)).toBe('sport:still');
  });

  it('patterns and shard channels', async () => {
    await using server = await startServer();
    await using sub = await createClient({ port: server.port }).connect();
    await using pub = await createClient({ port: server.port }).connect();
    const got: string[] = [];
    await sub.psubscribe('user:*', (message, channel, pattern) =>
      got.push(`${pattern}|${channel}|${message}`),
    );
    await sub.ssubscribe('shard-a', (message, channel) => got.push(`shard|${channel}|${message}`));
    await pub.publish('user:42', 'login');
    await pub.spublish('shard-a', 'x');
    await sub.ping();
    expect(got).toEqual(['user:*|user:42|login', 'shard|shard-a|x']);
    await sub.punsubscribe();
    await sub.sunsubscribe();
    expect(await pub.publish('user:42', 'gone')).toBe(0);
  });

  it('an async iterator of messages; leaving the loop unsubscribes', async () => {
    await using server = await startServer();
    await using sub = await createClient({ port: server.port }).connect();
    await using pub = await createClient({ port: server.port }).connect();
    const received: string[] = [];
    const loop = (async () => {
      for await (const { message } of sub.messages('feed')) {
        received.push(message);
        if (received.length === 3) break;
      }
    })();
    // Publish once the subscription is confirmed (it counts one subscriber).
    while ((await pub.publish('feed', 'm1')) === 0) await new Promise((r) => setImmediate(r));
    await pub.publish('feed', 'm2');
    await pub.publish('feed', 'm3');
    await loop;
    expect(received).toEqual(['m1', 'm2', 'm3']);
    expect(await pub.publish('feed', 'after')).toBe(0);
  });

  it('resubscribes everything after a reconnect', async () => {
    await using server = await startServer();
    await using sub = await createClient({ port: server.port }).connect();
    sub.on('error', () => {});
    const got: string[] = [];
    await sub.subscribe('durable', (message) => got.push(message));
    await server.kill();
    await server.restart();
    if (sub.state !== 'ready') await new Promise<void>((resolve) => sub.once('ready', () => resolve()));
    await using pub = await createClient({ port: server.port }).connect();
    // The resubscription is written right after the handshake; wait until the server counts it.
    while ((await pub.publish('durable', 'back')) === 0) await new Promise((r) => setImmediate(r));
    await sub.ping();
    expect(got[0]).toBe('back');
  });

  it('over RESP2 (Redis 7.0): a dedicated connection, the shared one stays free; resubscribed after a reconnect', async () => {
    await using server = await startServer({ flavor: 'redis7' });
    await using sub = await createClient({ port: server.port, protocol: 2 }).connect();
    await using pub = await createClient({ port: server.port, protocol: 2 }).connect();
    sub.on('error', () => {});
    expect(sub.protocol).toBe(2);
    const got: string[] = [];
    await sub.subscribe(['a', 'b'], (message, channel) => got.push(`${channel}:${message}`));
    await sub.psubscribe('p.*', (message, channel, pattern) => got.push(`${pattern}|${channel}|${message}`));
    expect(await pub.publish('a', 'one')).toBe(1);
    expect(await pub.publish('p.x', 'two')).toBe(1);
    // Ordinary commands keep working on the shared connection (RESP2 forbids them on a subscribed one).
    expect(await sub.set('k', 'v')).toBe('OK');
    expect(await sub.hgetall('nothing')).toEqual(Object.create(null));
    const clients = String(await server.call('CLIENT', 'LIST'));
    expect(clients.split('\n').filter((l) => /sub=2 psub=1/.test(l))).toHaveLength(1);
    await sub.unsubscribe('b');
    expect(await pub.publish('b', 'nobody')).toBe(0);
    // Kill every connection: the dedicated one reconnects and resubscribes.
    await server.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    while ((await pub.publish('a', 'back')) === 0) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(['a:one', 'p.*|p.x|two', 'a:back']);
  });
});

describe('pub/sub, found by a bug hunt', () => {
  it('a subscribe() that times out undoes only what it added: the listener keeps the channels it had', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    await using publisher = await createClient({ port: server.port }).connect();
    const got: string[] = [];
    const onNews = (message: string) => got.push(message);
    await client.subscribe('news', onNews);
    const paused = server.pause(400);
    const failed = await withOptions(client, { timeoutMs: 100 })
      .subscribe(['news', 'sports'], onNews)
      .catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(TimeoutError);
    await paused;
    await client.ping();
    const numsub = async (channel: string) =>
      ((await publisher.sendCommand(['PUBSUB', 'NUMSUB', channel])) as unknown[])[1];
    expect(await numsub('news')).toBe(1); // was 0: the failed call unsubscribed it
    expect(await numsub('sports')).toBe(0);
    await publisher.publish('news', 'after');
    await client.ping();
    expect(got).toEqual(['after']);
  });

  it('subscribe then unsubscribe while disconnected leaves nothing subscribed after the reconnect (RESP3 and RESP2)', async () => {
    for (const protocol of [3, 2] as const) {
      await using server = await startServer();
      await using client = await warmSubscriber(server.port, protocol);
      await server.kill();
      await new Promise((resolve) => setTimeout(resolve, 30));
      const subscribing = client.subscribe('ghost', () => {}).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await client.unsubscribe('ghost');
      await server.restart();
      await subscribing;
      await using publisher = await createClient({ port: server.port }).connect();
      const numsub = async (channel: string) =>
        ((await publisher.sendCommand(['PUBSUB', 'NUMSUB', channel])) as unknown[])[1];
      for (let i = 0; i < 40 && (await numsub('warm')) === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await numsub('warm'), `protocol ${protocol}`).toBe(1); // resubscribed
      await client.ping();
      expect(await numsub('ghost'), `protocol ${protocol}`).toBe(0); // was 1: the queued SUBSCRIBE went out
    }
  });

  it('a listener that throws is reported on error; the other listeners and the connection carry on', async () => {
    await using server = await startServer();
    await using sub = await createClient({ port: server.port }).connect();
    await using pub = await createClient({ port: server.port }).connect();
    const errors: unknown[] = [];
    sub.on('error', (e) => errors.push(e));
    let reconnects = 0;
    sub.on('reconnecting', () => reconnects++);
    const got: string[] = [];
    await sub.subscribe('ch', () => {
      throw new Error('listener bug');
    });
    await sub.subscribe('ch', (message) => got.push(message));
    const inFlight = sub.set('k', 'v');
    await pub.publish('ch', 'one');
    await pub.publish('ch', 'two');
    expect(await inFlight).toBe('OK');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(got).toEqual(['one', 'two']);
    expect(errors.map((e) => (e as Error).message)).toEqual(['listener bug', 'listener bug']);
    expect(reconnects).toBe(0);
    expect(await sub.get('k')).toBe('v');
  });

  it('a confirmation awaited when the connection goes: unsubscribe resolves (the server dropped it), subscribe fails on destroy', async () => {
    await using server = await startServer();
    const sub = await createClient({ port: server.port }).connect();
    sub.on('error', () => {});
    await using admin = await createClient({ port: server.port }).connect();
    await sub.subscribe('ch', () => {});
    await admin.sendCommand(['CLIENT', 'PAUSE', '1000', 'ALL']); // UNSUBSCRIBE is written, not run
    const leaving = sub.unsubscribe('ch');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.kill();
    await leaving; // hung forever before
    const joining = sub.subscribe('other', () => {});
    sub.destroy();
    await expect(joining).rejects.toBeInstanceOf(ConnectionError);
  });

  it('subscribe() on a closed RESP2 client fails and opens no connection', async () => {
    await using server = await startServer();
    const client = await createClient({ port: server.port, protocol: 2 }).connect();
    await client.close();
    await expect(client.subscribe('ch', () => {})).rejects.toBeInstanceOf(ConnectionError);
    const list = String(await server.call('CLIENT', 'LIST'));
    expect(list.split('\n').filter((line) => line.includes('cmd=subscribe')).length).toBe(0);
  });

  it('a second subscribe() to a channel waits for the server to confirm it; subscribe then unsubscribe keep their order', async () => {
    await using server = await startServer();
    await using sub = await createClient({ port: server.port }).connect();
    await using admin = await createClient({ port: server.port }).connect();
    const got: string[] = [];
    await admin.sendCommand(['CLIENT', 'PAUSE', '300', 'ALL']); // SUBSCRIBE waits on the server
    const started = Date.now();
    const first = sub.subscribe('ch', (m) => got.push(`1:${m}`));
    const second = sub.subscribe('ch', (m) => got.push(`2:${m}`));
    await second; // resolved at once before, while the server had not subscribed yet
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    await first;
    await admin.publish('ch', 'x');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(got.sort()).toEqual(['1:x', '2:x']);
    // Issued back to back: the unsubscribe applies after the subscribe, not before it.
    const listener = (m: string) => got.push(`3:${m}`);
    const on = sub.subscribe('other', listener);
    const off = sub.unsubscribe('other', listener);
    await Promise.all([on, off]);
    expect(await admin.sendCommand(['PUBSUB', 'NUMSUB', 'other'])).toEqual(['other', 0]);
  });

  it('messages(): return() while waiting for a message unsubscribes at once', async () => {
    await using server = await startServer();
    await using sub = await createClient({ port: server.port }).connect();
    await using admin = await createClient({ port: server.port }).connect();
    const feed = sub.messages('idle');
    const waiting = feed.next(); // subscribes, then waits: nothing is published
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await admin.sendCommand(['PUBSUB', 'NUMSUB', 'idle'])).toEqual(['idle', 1]);
    await feed.return?.();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(await admin.sendCommand(['PUBSUB', 'NUMSUB', 'idle'])).toEqual(['idle', 0]); // stayed 1 before
  });

  it('messages(): the loop ends when the client closes, and throws when reconnecting gives up', async () => {
    await using server = await startServer();
    for (const protocol of [3, 2] as const) {
      const sub = await createClient({ port: server.port, protocol }).connect();
      const loop = (async () => {
        const got: string[] = [];
        for await (const { message } of sub.messages('c')) got.push(message);
        return got;
      })();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await sub.close();
      expect(await loop).toEqual([]);
    }
    const sub = await createClient({ port: server.port, retryStrategy: () => false }).connect();
    sub.on('error', () => {});
    const id = await sub.clientId();
    const feed = sub.messages('c');
    const waiting = feed.next().catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await using admin = await createClient({ port: server.port }).connect();
    await admin.sendCommand(['CLIENT', 'KILL', 'ID', String(id)]);
    expect(await waiting).toBeInstanceOf(ConnectionError);
    // Leaving afterwards does not throw.
    await expect(feed.return!()).resolves.toEqual({ done: true, value: undefined });
  });

  it('binary pub/sub: Buffer names and payloads byte for byte, text listeners beside them, both protocols', async () => {
    await using server = await startServer();
    await using pub = await createClient({ port: server.port }).connect();
    const binaryChannel = Buffer.from([0x63, 0xff, 0x00, 0x80]); // not UTF-8
    const payload = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff]);
    for (const protocol of [3, 2] as const) {
      await using sub = await createClient({ port: server.port, protocol }).connect();
      const raw: [Buffer, Buffer][] = [];
      const text: [string, string][] = [];
      const patterns: (Buffer | undefined)[] = [];
      await sub.subscribe(binaryChannel, (m, c) => raw.push([m, c]), { strings: 'buffer' });
      await sub.subscribe('caf\u00e9', (m, c) => text.push([m, c]));
      await withBuffers(sub).subscribe('caf\u00e9', ((m: Buffer, c: Buffer) => raw.push([m, c])) as never);
      await sub.psubscribe('c*', (_m, _c, p) => patterns.push(p), { strings: 'buffer' });
      expect(await pub.publish(binaryChannel as never, payload as never)).toBe(2); // + the pattern
      expect(await pub.publish('caf\u00e9', 'th\u00e9 \u2713')).toBe(2); // one client: channel + pattern
      await sub.ping();
      expect(raw).toEqual([
        [payload, binaryChannel],
        [Buffer.from('th\u00e9 \u2713'), Buffer.from('caf\u00e9')],
      ]);
      expect(text).toEqual([['th\u00e9 \u2713', 'caf\u00e9']]);
      expect(patterns).toEqual([Buffer.from('c*'), Buffer.from('c*')]);
      const feed = sub.messages(binaryChannel, { strings: 'buffer' });
      const next = feed.next();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await pub.publish(binaryChannel as never, payload as never);
      expect((await next).value).toEqual({ channel: binaryChannel, message: payload });
      await feed.return!();
      await sub.unsubscribe(binaryChannel);
      expect(await pub.publish(binaryChannel as never, payload as never)).toBe(1); // the pattern only
      await expect(sub.subscribe(42 as never, () => {})).rejects.toThrow(TypeError);
    }
  });

  it('a SUBSCRIBE the server refuses (ACL) rejects that subscribe() alone; nothing else is out of step', async () => {
    for (const [flavor, protocol] of [
      ['redis8', 3],
      ['redis7', 2],
    ] as const) {
      await using server = await startServer({ flavor });
      await server.call(
        'ACL',
        'SETUSER',
        'limited',
        'reset',
        'on',
        '>pw',
        '~*',
        '+@all',
        'resetchannels',
        '&allowed*',
      );
      await server.call('SET', 'k', 'v');
      await using client = await createClient({
        port: server.port,
        username: 'limited',
        password: 'pw',
        protocol,
      }).connect();
      let reconnects = 0;
      client.on('reconnecting', () => reconnects++);
      await client.get('k');
      const refused = client.subscribe('forbidden', () => {}).catch((e: unknown) => e);
      await null;
      await null;
      const after = client.get('k'); // issued right behind the SUBSCRIBE
      expect(await refused).toBeInstanceOf(PermissionError);
      expect(await after).toBe('v');
      await client.subscribe('allowed-1', () => {});
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(reconnects).toBe(0);
      expect(await client.get('k')).toBe('v');
    }
  });

  it('RESP2: a first subscribe() while the server is down fails; a later one works once it is back', async () => {
    await using server = await startServer({ flavor: 'redis7' });
    await using client = await createClient({ port: server.port, protocol: 2 }).connect();
    client.on('error', () => {});
    await server.kill();
    await expect(client.subscribe('ch', () => {})).rejects.toBeInstanceOf(ConnectionError);
    await server.restart();
    for (let i = 0; i < 50 && client.state !== 'ready'; i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const got: string[] = [];
    await client.subscribe('ch', (m) => got.push(m));
    await using pub = await createClient({ port: server.port }).connect();
    expect(await pub.publish('ch', 'hello')).toBe(1);
    await client.ping();
    for (let i = 0; i < 20 && got.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(got).toEqual(['hello']);
  });

  it('a subscribe() written before the connection dropped, then unsubscribed while reconnecting, settles', async () => {
    for (const [flavor, protocol] of [
      ['redis8', 3],
      ['redis7', 2],
    ] as const) {
      await using server = await startServer({ flavor });
      await using client = await warmSubscriber(server.port, protocol);
      await server.pause();
      const joining = client.subscribe('a', () => {});
      await new Promise((resolve) => setTimeout(resolve, 100)); // written, never confirmed
      await server.kill();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const leaving = client.unsubscribe('a');
      await server.restart();
      await leaving;
      await joining; // hung forever before
      expect(await client.ping()).toBe('PONG');
    }
  });

  it('messages() on a closed client fails without leaving a listener behind', async () => {
    await using server = await startServer();
    const client = await createClient({ port: server.port }).connect();
    await client.close();
    for (let i = 0; i < 12; i++)
      await expect(client.messages('c').next()).rejects.toBeInstanceOf(ConnectionError);
    expect(client.listenerCount('end')).toBe(0);
  });

  it('messages(): two next() calls waiting at once both settle', async () => {
    await using server = await startServer();
    await using sub = await createClient({ port: server.port }).connect();
    await using pub = await createClient({ port: server.port }).connect();
    const feed = sub.messages('c');
    const a = feed.next();
    const b = feed.next();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await pub.publish('c', 'm1');
    await pub.publish('c', 'm2');
    const got = await Promise.all([a, b]);
    expect(got.map((r) => r.value?.message).sort()).toEqual(['m1', 'm2']);
    const c = feed.next();
    const d = feed.next();
    await feed.return!();
    expect(await Promise.all([c, d])).toEqual([
      { done: true, value: undefined },
      { done: true, value: undefined },
    ]);
  });
  it('RESP2: a subscriber connection that gives up reconnecting ends messages() loops and is reported', async () => {
    await using server = await startServer({ flavor: 'redis7' });
    await using client = await createClient({
      port: server.port,
      protocol: 2,
      retryStrategy: () => false,
    }).connect();
    const errors: string[] = [];
    client.on('error', (err: Error) => errors.push(err.message));
    const loop = client.messages('feed');
    const first = loop.next().then(
      () => 'a message',
      (err: unknown) => err,
    );
    await new Promise((r) => setTimeout(r, 100));
    await using admin = await createClient({ port: server.port }).connect();
    await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    const outcome = await Promise.race([
      first,
      new Promise((r) => setTimeout(() => r('still waiting'), 3_000)),
    ]);
    expect(outcome).toBeInstanceOf(ConnectionError); // was: waited forever, nothing reported
    expect(errors.join()).toMatch(/subscriber connection ended/);
    expect(client.state).toBe('ready');
    // A later subscribe() opens a connection again.
    const heard: string[] = [];
    await client.subscribe('again', (m) => heard.push(String(m)));
    await admin.publish('again', 'hi');
    await new Promise((r) => setTimeout(r, 100));
    expect(heard).toEqual(['hi']);
  });

  it('RESP2: a listener whose subscribe() failed (no connection) is never subscribed later', async () => {
    await using server = await startServer({ flavor: 'redis7', config: { maxclients: 1 } });
    await using client = await createClient({ port: server.port, protocol: 2 }).connect();
    const heard: string[] = [];
    const results = await Promise.allSettled([
      client.subscribe('one', (m) => heard.push(`one:${m}`)),
      client.subscribe('two', (m) => heard.push(`two:${m}`)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await client.sendCommand(['CONFIG', 'SET', 'maxclients', '100']);
    await client.subscribe('three', (m) => heard.push(`three:${m}`));
    await using publisher = await createClient({ port: server.port }).connect();
    for (const channel of ['one', 'two', 'three']) await publisher.publish(channel, 'x');
    await new Promise((r) => setTimeout(r, 100));
    expect(heard).toEqual(['three:x']); // 'two' was subscribed by the resubscription
  });

  it('unsubscribe() and leaving a messages() loop return at once while the connection is down', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    client.on('error', () => {});
    await client.subscribe('news', () => {});
    const loop = client.messages('sport');
    const waiting = loop.next();
    waiting.catch(() => {});
    await new Promise((r) => setTimeout(r, 50));
    await server.kill();
    while (client.state !== 'reconnecting') await new Promise((r) => setTimeout(r, 10));
    const within = (p: Promise<unknown>) =>
      Promise.race([
        p.then(() => 'returned'),
        new Promise((r) => setTimeout(() => r('still pending'), 1_000)),
      ]);
    expect(await within(client.unsubscribe('news'))).toBe('returned');
    expect(await within(loop.return!())).toBe('returned');
  });

  it('many messages() loops at once raise no listener warning', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port }).connect();
    const warnings = await warningsDuring(async () => {
      const loops = Array.from({ length: 12 }, (_, i) => client.messages(`c${i}`));
      const firsts = loops.map((l) => l.next());
      await new Promise((r) => setTimeout(r, 100));
      for (const l of loops) await l.return!();
      await Promise.all(firsts);
    });
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
  it('subscribe() keeps the deadline and signal of a call: a server that does not answer times it out, and it is undone', async () => {
    await using server = await startServer();
    await using client = await createClient({ port: server.port, commandTimeoutMs: 300 }).connect();
    const heard: string[] = [];
    const paused = server.pause(1_500);
    const started = Date.now();
    await expect(client.subscribe('late', (m) => heard.push(String(m)))).rejects.toThrow(TimeoutError);
    expect(Date.now() - started).toBeLessThan(1_200); // resolved after the 1.5 s pause before
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(
      withOptions(client, { signal: controller.signal }).subscribe('aborted', () => {}),
    ).rejects.toThrow(/abort/i);
    await paused;
    // The server subscribed once it woke up; the client asked it to unsubscribe right after.
    await using publisher = await createClient({ port: server.port }).connect();
    for (let i = 0; i < 50; i++) {
      const counts = (await publisher.sendCommand(['PUBSUB', 'NUMSUB', 'late', 'aborted'])) as unknown[];
      if (counts[1] === 0 && counts[3] === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await publisher.sendCommand(['PUBSUB', 'NUMSUB', 'late', 'aborted'])).toEqual([
      'late',
      0,
      'aborted',
      0,
    ]);
    await publisher.publish('late', 'x');
    // A later subscribe works as usual.
    await client.subscribe('late', (m) => heard.push(String(m)));
    await publisher.publish('late', 'y');
    await new Promise((r) => setTimeout(r, 100));
    expect(heard).toEqual(['y']);
  });
});

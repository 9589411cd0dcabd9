import diagnostics from 'node:diagnostics_channel';
import { startServer } from '@pyrsedis/test-server';
import { describe, expect, it } from 'vitest';
import { type CommandTrace, createClient, type ReplyError } from '../src/index.js';

describe('diagnostics_channel', () => {
  it('publishes command start/end/error and connection state transitions, never arguments', async () => {
    await using server = await startServer();
    const events: string[] = [];
    const handlers = {
      start: (c: CommandTrace) => events.push(`start ${c.command} ${c.argc}`),
      end: () => {},
      asyncStart: () => {},
      asyncEnd: (c: CommandTrace) =>
        events.push(`end ${c.command} ${c.error === undefined ? String(c.result) : 'error'}`),
      error: (c: CommandTrace) => events.push(`error ${c.command} ${(c.error as ReplyError).code}`),
    };
    const states: string[] = [];
    const onState = (message: unknown) => states.push((message as { state: string }).state);
    const channel = diagnostics.tracingChannel<CommandTrace, CommandTrace>('pyrsedis:command');
    diagnostics.subscribe('pyrsedis:connection', onState);
    channel.subscribe(handlers);
    try {
      await using client = await createClient({ port: server.port }).connect();
      await client.set('secret-key', 'secret-value');
      await client.lpush('secret-key', 'x').catch(() => undefined);
      expect(events).toContain('start SET 3');
      expect(events).toContain('end SET OK');
      expect(events).toContain('error LPUSH WRONGTYPE');
      expect(JSON.stringify(events)).not.toContain('secret');
      expect(states.slice(0, 2)).toEqual(['handshake', 'ready']);
    } finally {
      channel.unsubscribe(handlers);
      diagnostics.unsubscribe('pyrsedis:connection', onState);
    }
    expect(states.at(-1)).toBe('closed');
  });
  it('traces cache hits (marked cached, nothing sent) and subscriptions like any command', async () => {
    await using server = await startServer();
    const traces: CommandTrace[] = [];
    const handlers = {
      start: (c: CommandTrace) => traces.push(c),
      end: () => {},
      asyncStart: () => {},
      asyncEnd: () => {},
      error: () => {},
    };
    const channel = diagnostics.tracingChannel<CommandTrace, CommandTrace>('pyrsedis:command');
    await using client = await createClient({
      port: server.port,
      clientCache: { maxEntries: 100 },
    }).connect();
    await client.set('k', 'v');
    channel.subscribe(handlers);
    try {
      expect(await client.get('k')).toBe('v'); // sent, then cached
      expect(await client.get('k')).toBe('v'); // from the cache
      await client.subscribe('news', () => {});
      await client.unsubscribe('news');
    } finally {
      channel.unsubscribe(handlers);
    }
    const gets = traces.filter((t) => t.command === 'GET');
    expect(gets.map((t) => t.cached === true)).toEqual([false, true]);
    expect(gets[1]!.server).toBe(`127.0.0.1:${server.port}`);
    const names = traces.map((t) => t.command);
    expect(names).toContain('SUBSCRIBE');
    expect(names).toContain('UNSUBSCRIBE');
  });

  it('a failed transaction traces an error; refused commands are traced on every path', async () => {
    await using server = await startServer();
    const events: string[] = [];
    const handlers = {
      start: (c: CommandTrace) => events.push(`start ${c.command}`),
      end: () => {},
      asyncStart: () => {},
      asyncEnd: (c: CommandTrace) => {
        if (c.error === undefined) events.push(`ok ${c.command}`);
      },
      error: (c: CommandTrace) =>
        events.push(`error ${c.command} ${(c.error as { code?: string }).code ?? (c.error as Error).name}`),
    };
    const channel = diagnostics.tracingChannel<CommandTrace, CommandTrace>('pyrsedis:command');
    await using client = await createClient({
      port: server.port,
      pool: { maxLeased: 1, acquireTimeoutMs: 100 },
    }).connect();
    channel.subscribe(handlers);
    try {
      // EXECABORT: the caller's exec() rejects; the trace was a success before.
      await client.set('s', 'v');
      const aborted = await client
        .multi()
        .lpush('s', 'x')
        .hset('h', []) // HSET h: a wrong number of arguments, refused when queued
        .exec()
        .catch((err: unknown) => err);
      expect(aborted).toBeInstanceOf(Error);
      expect(events).toContain('error MULTI EXECABORT');
      events.length = 0;
      await client.multi().get('s').exec();
      expect(events).toEqual(['start MULTI', 'ok MULTI']);
      events.length = 0;
      // A state command on the shared connection; a lease not had in time (one held by BLPOP).
      await client.sendCommand(['MONITOR']).catch(() => {});
      const holding = client.blpop(['q'], 1);
      await client.blpop(['q2'], 1).catch(() => {});
      await holding;
      expect(events).toContain('start MONITOR');
      expect(events).toContain('error MONITOR ERR_SHARED_STATE');
      expect(events.filter((e) => e.startsWith('error BLPOP'))).toHaveLength(1);
      events.length = 0;
      // A closed client: refused before anything is queued.
      await client.close();
      await client.get('s').catch(() => {});
      await client
        .multi()
        .get('s')
        .exec()
        .catch(() => {});
      expect(events).toEqual([
        'start GET',
        'error GET ERR_CONNECTION',
        'start MULTI',
        'error MULTI ERR_CONNECTION',
      ]);
    } finally {
      channel.unsubscribe(handlers);
    }
  });
});

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
});

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
});

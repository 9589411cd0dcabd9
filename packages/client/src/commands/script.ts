// A Lua script run by its SHA1 (EVALSHA), falling back to EVAL once when the server does not
// know it yet (NOSCRIPT) — EVAL also caches it server-side, so later calls use EVALSHA again.
import { createHash } from 'node:crypto';
import { ReplyError } from '@pyrsedis/resp';
import type { CommandArgument, CommandSender } from './sender.js';

/** What a script call takes: its keys (routed and counted as numkeys) and its arguments. */
export interface ScriptCall {
  keys?: readonly CommandArgument[];
  arguments?: readonly CommandArgument[];
}

/** A Lua script: `await script.run(client, { keys: ['k'], arguments: ['1'] })`. */
export class Script {
  /** The script's text. */
  readonly source: string;
  /** Its SHA1, as the server names it. */
  readonly sha1: string;
  /** Run with EVALSHA_RO / EVAL_RO (read-only: allowed on replicas). */
  readonly readOnly: boolean;

  constructor(source: string, options: { readOnly?: boolean } = {}) {
    this.source = source;
    this.sha1 = createHash('sha1').update(source).digest('hex');
    this.readOnly = options.readOnly === true;
  }

  async run(sender: CommandSender, call: ScriptCall = {}): Promise<unknown> {
    const keys = call.keys ?? [];
    const args = call.arguments ?? [];
    const tail = [keys.length, ...keys, ...args];
    try {
      return await sender.sendCommand([this.readOnly ? 'EVALSHA_RO' : 'EVALSHA', this.sha1, ...tail]);
    } catch (err) {
      if (!(err instanceof ReplyError) || err.code !== 'NOSCRIPT') throw err;
      return sender.sendCommand([this.readOnly ? 'EVAL_RO' : 'EVAL', this.source, ...tail]);
    }
  }
}

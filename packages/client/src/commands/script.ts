// Scripts and functions. A Lua script run by its SHA1 (EVALSHA), falling back to EVAL once when the server does not
// know it yet (NOSCRIPT) — EVAL also caches it server-side, so later calls use EVALSHA again.
import { createHash } from 'node:crypto';
import { NoScriptError, ReplyError } from '@pyrsedis/resp';
import type { CommandArgument, CommandSender } from './sender.js';

/** What a script call takes: its keys (routed and counted as numkeys) and its arguments. */
export interface ScriptCall {
  /** The keys (`KEYS[1]`...), counted as numkeys. */
  keys?: readonly CommandArgument[];
  /** The other arguments (`ARGV[1]`...). */
  arguments?: readonly CommandArgument[];
}

/** `call`'s keys and arguments, checked: a misspelt name (`{ arg: [...] }`) would run without them. */
function callArguments(what: string, call: ScriptCall): CommandArgument[] {
  if (typeof call !== 'object' || call === null || Array.isArray(call))
    throw new TypeError(`${what}: the call must be an object { keys, arguments }`);
  for (const name in call) {
    if (name !== 'keys' && name !== 'arguments')
      throw new TypeError(`${what}: unknown call field "${name}" (known: keys, arguments)`);
  }
  for (const name of ['keys', 'arguments'] as const) {
    if (call[name] !== undefined && !Array.isArray(call[name]))
      throw new TypeError(`${what}: ${name} must be an array`);
  }
  const keys = call.keys ?? [];
  return [keys.length, ...keys, ...(call.arguments ?? [])];
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

  /**
   * `SCRIPT LOAD`: the server caches the script (until a restart or `SCRIPT FLUSH`), so that
   * pipelines and transactions, which cannot fall back to EVAL, can run it by SHA1.
   */
  async load(sender: CommandSender): Promise<string> {
    return String(await sender.sendCommand(['SCRIPT', 'LOAD', this.source]));
  }

  /** EVALSHA (EVALSHA_RO), falling back to EVAL (EVAL_RO) once when the server lacks the script. */
  async run(sender: CommandSender, call: ScriptCall = {}): Promise<unknown> {
    const tail = callArguments('Script.run', call);
    try {
      return await sender.sendCommand([this.readOnly ? 'EVALSHA_RO' : 'EVALSHA', this.sha1, ...tail]);
    } catch (err) {
      if (!(err instanceof NoScriptError)) throw err;
      return sender.sendCommand([this.readOnly ? 'EVAL_RO' : 'EVAL', this.source, ...tail]);
    }
  }
}

/**
 * A function library (Redis >= 7 / Valkey: `FUNCTION LOAD`, `FCALL`, `FCALL_RO`). `call()` loads
 * the library by itself when the server does not have it (first use, a restarted server, a
 * failover to a replica that never got it), once, then calls again.
 *
 * ```ts
 * const lib = new FunctionLibrary("#!lua name=counters\nredis.register_function('bump', ...)");
 * await lib.call(client, 'bump', { keys: ['hits'] });
 * ```
 */
export class FunctionLibrary {
  /** The library's code, shebang first. */
  readonly source: string;
  /** The library name from the shebang (`#!lua name=counters`). */
  readonly name: string;

  constructor(source: string) {
    const name = /^#!\w+\s+(?:[^\n]*\s)?name=([^\s]+)/.exec(source)?.[1];
    if (name === undefined) {
      throw new TypeError('a function library starts with a shebang naming it: #!lua name=<library>');
    }
    this.source = source;
    this.name = name;
  }

  /** `FUNCTION LOAD [REPLACE]`; resolves with the library name. */
  async load(sender: CommandSender, options: { replace?: boolean } = {}): Promise<string> {
    const replace = options.replace ?? true;
    // String(): a Buffer view's reply is a Buffer.
    return String(
      await sender.sendCommand(
        replace ? ['FUNCTION', 'LOAD', 'REPLACE', this.source] : ['FUNCTION', 'LOAD', this.source],
      ),
    );
  }

  /** `FCALL` (or `FCALL_RO` with `readOnly`) of one of the library's functions. */
  async call(
    sender: CommandSender,
    fn: string,
    call: ScriptCall = {},
    options: { readOnly?: boolean } = {},
  ): Promise<unknown> {
    const argv = [
      options.readOnly ? 'FCALL_RO' : 'FCALL',
      fn,
      ...callArguments('FunctionLibrary.call', call),
    ];
    try {
      return await sender.sendCommand(argv);
    } catch (err) {
      if (!(err instanceof ReplyError) || !/function not found/i.test(err.message)) throw err;
      await this.load(sender);
      return sender.sendCommand(argv);
    }
  }
}

// Observability: node:diagnostics_channel events per command and per connection, the hooks
// OpenTelemetry instrumentations subscribe to. Nothing is published (and nothing allocated)
// while nobody subscribes.
import diagnostics from 'node:diagnostics_channel';

/** The context published with each command. */
export interface CommandTrace {
  /** The command name (`GET`, `CLIENT`): never its arguments, which may hold secrets. */
  command: string;
  /** Number of arguments (argv length); for a transaction (`MULTI`), its commands with MULTI and EXEC. */
  argc: number;
  /** `host:port` or the socket path. */
  server: string;
  /** True when the reply came from the client-side cache: nothing was sent. */
  cached?: boolean;
  /** Set by the end event: the reply. */
  result?: unknown;
  /** Set by the error event: why the command failed. */
  error?: unknown;
}

/**
 * `tracingChannel('pyrsedis:command')`: `start` when a command is issued, `asyncEnd` when its reply
 * settles (`error` on failure). Subscribe with `diagnostics_channel.tracingChannel(...).subscribe`.
 */
export const commandChannel: diagnostics.TracingChannel<CommandTrace, CommandTrace> =
  diagnostics.tracingChannel('pyrsedis:command');

const { start, end, asyncStart, asyncEnd, error } = commandChannel;

/**
 * Whether anyone listens to command traces. Asks the sub-channels: Bun's TracingChannel has no
 * `hasSubscribers` of its own (it reads undefined there), and traces would never be published.
 */
export function commandTraced(): boolean {
  return (
    start.hasSubscribers ||
    end.hasSubscribers ||
    asyncStart.hasSubscribers ||
    asyncEnd.hasSubscribers ||
    error.hasSubscribers
  );
}

/** `pyrsedis:connection`: every state transition of every connection ({ server, state, from }). */
export const connectionChannel: diagnostics.Channel = diagnostics.channel('pyrsedis:connection');

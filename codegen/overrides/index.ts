// Hand corrections of the command spec, one file per command, each with its reason. The
// generator applies them in normalise (the one place for special cases); nothing else in the
// generator may test a command's name.
import type { CommandOverride } from '../src/model.js';
import { bitfield, bitfieldRo } from './bitfield.js';
import { migrate } from './migrate.js';
import { psubscribe, punsubscribe, ssubscribe, subscribe, sunsubscribe, unsubscribe } from './pubsub.js';
import {
  commandDocs,
  commandGetkeysandflags,
  commandInfo,
  functionList,
  latencyLatest,
  statusReply,
  type,
  xpending,
} from './reply-schemas.js';
import { sort, sortRo } from './sort.js';
import { discard, exec, multi } from './transactions.js';

export const OVERRIDES: Record<string, CommandOverride> = {
  BGREWRITEAOF: statusReply,
  BITFIELD: bitfield,
  BITFIELD_RO: bitfieldRo,
  'COMMAND DOCS': commandDocs,
  'COMMAND GETKEYSANDFLAGS': commandGetkeysandflags,
  'COMMAND INFO': commandInfo,
  DISCARD: discard,
  EXEC: exec,
  'FUNCTION LIST': functionList,
  'LATENCY LATEST': latencyLatest,
  MIGRATE: migrate,
  MULTI: multi,
  PSUBSCRIBE: psubscribe,
  PUNSUBSCRIBE: punsubscribe,
  SSUBSCRIBE: ssubscribe,
  SUBSCRIBE: subscribe,
  SUNSUBSCRIBE: sunsubscribe,
  UNSUBSCRIBE: unsubscribe,
  SORT: sort,
  SORT_RO: sortRo,
  TYPE: type,
  XPENDING: xpending,
};

/** The override of a command with no entry above: HELP subcommands answer simple strings. */
export function defaultOverride(name: string): CommandOverride | undefined {
  return name.endsWith(' HELP') ? statusReply : undefined;
}

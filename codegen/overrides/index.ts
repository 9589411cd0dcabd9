// Hand corrections of the command spec, one file per command, each with its reason. The
// generator applies them in normalise (the one place for special cases); nothing else in the
// generator may test a command's name.
import type { CommandOverride } from '../src/model.js';
import { migrate } from './migrate.js';
import { psubscribe, punsubscribe, ssubscribe, subscribe, sunsubscribe, unsubscribe } from './pubsub.js';
import { commandDocs, commandInfo, latencyLatest, xpending } from './reply-schemas.js';
import { sort, sortRo } from './sort.js';
import { discard, exec, multi } from './transactions.js';

export const OVERRIDES: Record<string, CommandOverride> = {
  'COMMAND DOCS': commandDocs,
  'COMMAND INFO': commandInfo,
  DISCARD: discard,
  EXEC: exec,
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
  XPENDING: xpending,
};

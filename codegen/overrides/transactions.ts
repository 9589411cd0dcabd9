import type { CommandOverride } from '../src/model.js';

// MULTI / EXEC / DISCARD as plain methods would interleave with other callers' commands on the
// shared, auto-pipelined connection. Transactions go through client.multi(), which writes
// MULTI, the commands and EXEC together.
const transaction: CommandOverride = {
  reason: 'driven by client.multi(); plain calls would interleave on a shared connection',
  method: false,
};

export const multi: CommandOverride = transaction;
export const exec: CommandOverride = transaction;
export const discard: CommandOverride = transaction;

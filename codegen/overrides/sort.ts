import type { CommandOverride } from '../src/model.js';

// SORT's destination (`STORE dest`) has key spec `begin_search: unknown` with the INCOMPLETE
// flag: its position depends on parsing BY/LIMIT/GET, which key specs cannot express. The server
// uses a getkeys procedure (sortGetKeys); so does the client: the named extractor 'sort'.
export const sort: CommandOverride = {
  reason: 'STORE destination position needs parsing (server: sortGetKeys)',
  keysFunction: 'sort',
};

// SORT_RO has no STORE, but shares the argument grammar; its key spec is complete. No change.
export const sortRo: CommandOverride = {
  reason: 'none needed: one key at index 1; listed so SORT and SORT_RO are read together',
};

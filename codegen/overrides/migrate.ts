import type { CommandOverride } from '../src/model.js';

// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH ...] [KEYS key...]: when KEYS is
// used the key at index 3 is the empty string and is not a key; the key specs list both. The
// server uses migrateGetKeys; the client uses the named extractor 'migrate'.
export const migrate: CommandOverride = {
  reason: 'the empty key placeholder with KEYS is not a key (server: migrateGetKeys)',
  keysFunction: 'migrate',
};

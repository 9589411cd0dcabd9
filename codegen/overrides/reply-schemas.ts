import type { CommandOverride } from '../src/model.js';

// Corrections of reply schemas (the Valkey 8.1 spec files'), checked against Redis 8.2 and
// Valkey 8. They change the generated reply types and the RESP2 conversion data.

type Schema = Record<string, unknown>;

const nullable = (schema: unknown): Schema => ({ oneOf: [schema, { type: 'null' }] });

// COMMAND DOCS: an argument's `arguments` (block and oneof children) are argument maps again, to
// any depth, but the schema says only `type: array`; subcommands already refer to the whole reply
// (`$ref: "#"`). Referring to the enclosing `arguments` lets the RESP2 conversion reach every
// level (RESP2 sends all those maps as flat arrays).
export const commandDocs: CommandOverride = {
  reason: "nested arguments are argument maps (the schema doesn't say so): RESP2 must convert every level",
  replySchema(schema) {
    const docs = (schema.patternProperties as Record<string, Schema>)['^.*$']!;
    const args = (docs.properties as Record<string, Schema>).arguments!;
    const argument = args.items as Schema;
    (argument.properties as Record<string, Schema>).arguments = {
      type: 'array',
      $ref: '#/patternProperties/^.*$/properties/arguments',
    };
    return schema;
  },
};

// LATENCY LATEST: Redis 8.2, Redis 7.0 and Valkey 8.0 answer 4 items per event (name,
// timestamp, latest, max); the Valkey 8.1 spec lists 6 (with the sum and the count of the latency
// spikes). The last two are optional.
export const latencyLatest: CommandOverride = {
  reason:
    'Redis 8.2 and Valkey 8.0 answer 4 items per event, the Valkey 8.1 spec says 6: the last two are optional',
  replySchema(schema) {
    (schema.items as Schema).minItems = 4;
    return schema;
  },
};

// XPENDING summary: with nothing pending the server answers [0, null, null, null] (no smallest
// or greatest id, no consumers).
export const xpending: CommandOverride = {
  reason: 'the summary of a group with nothing pending is [0, null, null, null]',
  replySchema(schema) {
    const summary = (schema.oneOf as Schema[]).find((s) => Array.isArray(s.items))!;
    const items = summary.items as unknown[];
    for (let i = 1; i < items.length; i++) items[i] = nullable(items[i]);
    return schema;
  },
};

// COMMAND INFO: a container's subcommands (item 9) are command-info arrays again (XINFO's STREAM,
// GROUPS...), with their key specs as maps; the schema says only `type: array`. Referring to the
// command-info array lets the RESP2 conversion reach them (RESP2 sends those maps as flat arrays).
export const commandInfo: CommandOverride = {
  reason:
    "a container's subcommands are command-info arrays again (the schema doesn't say so): RESP2 must convert them",
  replySchema(schema) {
    const union = (schema.items as Schema).oneOf as Schema[];
    const index = union.findIndex((s) => Array.isArray(s.items));
    const info = union[index]!.items as Schema[];
    info[9] = { ...info[9], items: { $ref: `#/items/oneOf/${index}` } };
    return schema;
  },
};

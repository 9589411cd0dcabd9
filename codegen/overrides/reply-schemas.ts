import type { CommandOverride } from '../src/model.js';

// Corrections of reply schemas (the Valkey 8.1 spec files'), checked against Redis 8.2 and
// Valkey 8. They change the generated reply types and the RESP2 conversion data.

type Schema = Record<string, unknown>;

const nullable = (schema: unknown): Schema => ({ oneOf: [schema, { type: 'null' }] });

/**
 * Marks every string in `schema` as a simple (status) string (`x-status`): the server sends it
 * with `+`, which decodes to a JS string in the Buffer view too (the schemas do not tell simple
 * from bulk strings). Checked against Redis 8.2 in the Buffer view. Returns `schema`.
 */
export function statusStrings(schema: Schema): Schema {
  if (schema.type === 'string' && schema.const === undefined) schema['x-status'] = true;
  for (const value of Object.values(schema)) {
    if (Array.isArray(value)) for (const item of value) if (isSchema(item)) statusStrings(item);
    if (isSchema(value)) statusStrings(value);
  }
  return schema;
}

const isSchema = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// BGREWRITEAOF and every HELP subcommand answer simple strings.
export const statusReply: CommandOverride = {
  reason: 'the reply is a simple string (a JS string in the Buffer view too)',
  replySchema: statusStrings,
};

// TYPE: a simple string, `none` for a missing key (Redis 8.2, Valkey 8, Redis 7.0) — never the
// null the spec lists.
export const type: CommandOverride = {
  reason: 'a simple string, `none` for a missing key: never null',
  replySchema(schema) {
    const text = ((schema.oneOf as Schema[] | undefined) ?? [schema]).find((s) => s.type === 'string');
    return statusStrings({ ...text, description: 'Type of the key, `none` if it does not exist' });
  },
};

// COMMAND GETKEYSANDFLAGS: the key flags are simple strings.
export const commandGetkeysandflags: CommandOverride = {
  reason: 'the key flags are simple strings (JS strings in the Buffer view too)',
  replySchema(schema) {
    const pair = (schema.items as Schema).items as Schema[];
    statusStrings(pair[1]!);
    return schema;
  },
};

// FUNCTION LIST: a function's flags are simple strings.
export const functionList: CommandOverride = {
  reason: "a function's flags are simple strings (JS strings in the Buffer view too)",
  replySchema(schema) {
    const library = (schema.items as Schema).properties as Record<string, Schema>;
    const fn = (library.functions!.items as Schema).properties as Record<string, Schema>;
    statusStrings(fn.flags!);
    return schema;
  },
};

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
    // Command flags, ACL categories and key spec flags are simple strings.
    statusStrings(info[2]!);
    statusStrings(info[6]!);
    const keySpec = (info[8]!.items as Schema).properties as Record<string, Schema>;
    statusStrings(keySpec.flags!);
    return schema;
  },
};

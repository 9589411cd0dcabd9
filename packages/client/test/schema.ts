// A validator for the subset of JSON schema the servers' reply_schema files use: type, const,
// oneOf/anyOf, items (list or tuple), min/maxItems, properties, additionalProperties,
// patternProperties. Checks a decoded RESP3 reply against the schema its type came from.
export function matchesSchema(value: unknown, schema: unknown, path = '$'): string | undefined {
  if (schema === undefined || schema === null || typeof schema !== 'object') return undefined;
  const s = schema as Record<string, unknown>;
  if (s.const !== undefined)
    return value === s.const ? undefined : `${path}: expected ${JSON.stringify(s.const)}`;
  const union = (s.oneOf ?? s.anyOf) as unknown[] | undefined;
  if (union) {
    const errors = union.map((m) => matchesSchema(value, m, path));
    return errors.some((e) => e === undefined)
      ? undefined
      : `${path}: no alternative matches (${errors.join('; ')})`;
  }
  switch (s.type) {
    case undefined:
      return undefined;
    case 'string':
      return typeof value === 'string' || Buffer.isBuffer(value)
        ? undefined
        : `${path}: expected string, got ${typeof value}`;
    case 'integer':
      return (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint'
        ? undefined
        : `${path}: expected integer, got ${JSON.stringify(value)}`;
    case 'number':
      return typeof value === 'number' ? undefined : `${path}: expected number, got ${typeof value}`;
    case 'null':
      return value === null ? undefined : `${path}: expected null`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${path}: expected boolean`;
    case 'array': {
      if (!Array.isArray(value))
        return `${path}: expected array, got ${value === null ? 'null' : typeof value}`;
      if (typeof s.minItems === 'number' && value.length < s.minItems)
        return `${path}: fewer than ${s.minItems} items`;
      if (typeof s.maxItems === 'number' && value.length > s.maxItems)
        return `${path}: more than ${s.maxItems} items`;
      if (Array.isArray(s.items)) {
        for (let i = 0; i < Math.min(value.length, s.items.length); i++) {
          const e = matchesSchema(value[i], s.items[i], `${path}[${i}]`);
          if (e) return e;
        }
      } else if (s.items) {
        for (let i = 0; i < value.length; i++) {
          const e = matchesSchema(value[i], s.items, `${path}[${i}]`);
          if (e) return e;
        }
      }
      return undefined;
    }
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) {
        return `${path}: expected a map, got ${Array.isArray(value) ? 'array' : typeof value}`;
      }
      const props = (s.properties ?? {}) as Record<string, unknown>;
      const patterns = (s.patternProperties ?? {}) as Record<string, unknown>;
      for (const [key, v] of Object.entries(value)) {
        if (key in props) {
          const e = matchesSchema(v, props[key], `${path}.${key}`);
          if (e) return e;
          continue;
        }
        const pattern = Object.keys(patterns).find((p) => new RegExp(p).test(key));
        if (pattern) {
          const e = matchesSchema(v, patterns[pattern], `${path}.${key}`);
          if (e) return e;
          continue;
        }
        if (s.additionalProperties === false) return `${path}: unexpected field ${key}`;
        if (s.additionalProperties && typeof s.additionalProperties === 'object') {
          const e = matchesSchema(v, s.additionalProperties, `${path}.${key}`);
          if (e) return e;
        }
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

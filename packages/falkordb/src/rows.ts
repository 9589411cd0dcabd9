// Row objects keyed by column names, built in one step from a row's values.
//
// A row object made by adding its columns one by one goes through a keyed store per column whose
// property name changes every call: V8 serves those from its megamorphic stub cache (~4x the
// cost of an object literal, measured: 100k rows × 4 columns in 7–8 ms vs 2–2.5 ms). So each
// column list gets a small function returning an object literal with those keys, made once and
// cached. The keys are written as JSON string literals (JSON escapes every quote, backslash and
// control character, so no column name can leave its literal) and `__proto__` as a computed key
// (a literal `"__proto__":` would set the prototype). Where code generation from strings is
// disallowed (`--disallow-code-generation-from-strings`, CSP-like hosts), rows are built key by
// key instead: same objects, slower.

/** Builds one row object from its values in column order. */
export type RowFactory = (values: readonly unknown[]) => Record<string, unknown>;

const MAX_CACHED = 256;
const cache = new Map<string, RowFactory>();
let canCompile = true;

/** Sets a key on an object built from server data: `__proto__` becomes an own property. */
export function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function keyByKey(columns: readonly string[]): RowFactory {
  const names = columns.slice();
  return (values) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) setKey(row, names[i]!, values[i]);
    return row;
  };
}

function compiled(columns: readonly string[]): RowFactory | undefined {
  if (!canCompile || columns.length > 512) return undefined;
  const fields = columns.map(
    (name, i) => `${name === '__proto__' ? '["__proto__"]' : JSON.stringify(name)}: v[${i}]`,
  );
  try {
    return new Function('v', `"use strict"; return { ${fields.join(', ')} };`) as RowFactory;
  } catch {
    canCompile = false;
    return undefined;
  }
}

/**
 * The factory for rows of these columns (cached: replies of the same query share it, which also
 * keeps the rows' hidden class alive between replies).
 */
export function rowFactory(columns: readonly string[]): RowFactory {
  const key = JSON.stringify(columns);
  let factory = cache.get(key);
  if (factory !== undefined) {
    // Most recently used last.
    cache.delete(key);
    cache.set(key, factory);
    return factory;
  }
  factory = compiled(columns) ?? keyByKey(columns);
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
  cache.set(key, factory);
  return factory;
}

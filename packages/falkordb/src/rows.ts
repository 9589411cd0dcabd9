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

/**
 * Property maps of nodes and edges by their key ids in wire order: a tree per property-key list
 * whose paths are the id sequences seen, each node knowing its key names and (once asked) the
 * factory for objects with those keys. Reading a node then costs an array index per property
 * instead of a megamorphic keyed store. Bounded (4,096 shapes per key list, 256 keys per shape):
 * past that, or for an id the list lacks, the caller builds the object key by key.
 */
export class Shape {
  /** Key names of this shape, in order. */
  readonly keys: readonly string[];
  private readonly _next: (Shape | undefined)[] = [];
  private readonly _root: { count: number };
  private _make: RowFactory | undefined = undefined;

  constructor(keys: readonly string[], root: { count: number }) {
    this.keys = keys;
    this._root = root;
  }

  /** The shape with one more key, the property of id `id`; undefined past the bounds. */
  child(id: number, names: readonly string[]): Shape | undefined {
    let next = this._next[id];
    if (next !== undefined) return next;
    const name = names[id];
    if (name === undefined || this._root.count >= MAX_SHAPES || this.keys.length >= MAX_KEYS || id > 65_535)
      return undefined;
    this._root.count++;
    next = new Shape([...this.keys, name], this._root);
    this._next[id] = next;
    return next;
  }

  /** The object for these keys from `values` (in key order). */
  make(values: readonly unknown[]): Record<string, unknown> {
    if (this._make === undefined) this._make = rowFactory(this.keys);
    return this._make(values);
  }
}

const MAX_SHAPES = 4096;
const MAX_KEYS = 256;
const shapeRoots = new WeakMap<readonly string[], Shape>();

/** The root shape (no keys) for a property-key list. */
export function shapesFor(propertyKeys: readonly string[]): Shape {
  let root = shapeRoots.get(propertyKeys);
  if (root === undefined) {
    root = new Shape([], { count: 0 });
    shapeRoots.set(propertyKeys, root);
  }
  return root;
}

// Keeping a class's hidden class alive, for hot parsing code (this package's decoder, the
// FalkorDB parser, any ReplyParser written against the extension point).

const pinned: object[] = [];

/**
 * Keeps `instance` alive for the life of the process so that V8 keeps its hidden class, and
 * widens the listed fields to hold any value. Returns `instance`.
 *
 * Why: V8 holds the hidden class of instances weakly once built. A parser made per reply (as
 * `decode()` and every {@link ReplyParser} are) has no instance alive between replies; when a
 * full GC runs then, the class dies and every optimised function that checks for it is thrown
 * away (`--trace-deopt` says "weak objects"), so the next reply runs unoptimised for its first
 * thousands of elements — measured here up to 2.5x slower on 100k-element replies. Fields that
 * hold values of several types are widened first (a field first seen with small integers and
 * later a double or an object would move instances to a new hidden class, not pinned).
 *
 * Call it once per class at module load, with a throw-away instance:
 * `pinHiddenClass(new MyParser(), ['value'])`.
 */
export function pinHiddenClass<T extends object>(instance: T, anyFields: readonly string[] = []): T {
  // (Reading `pinned` also keeps the bundler from dropping it as write-only.)
  if (pinned.length >= 1024) throw new RangeError('pinHiddenClass is for a few classes, once each at load');
  const target = instance as Record<string, unknown>;
  for (const field of anyFields) {
    const value = target[field];
    target[field] = 0.5;
    target[field] = 1n;
    target[field] = value;
  }
  pinned.push(instance);
  return instance;
}

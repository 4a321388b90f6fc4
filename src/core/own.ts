/**
 * Lookups and writes by a key that comes from outside (a URL, a manifest, a header, an engine
 * event, the state file). A plain object answers inherited names too: `namespaces['constructor']`
 * is Object's constructor, not "no such namespace" (#15: `GET /api/v1/namespaces/constructor`
 * answered 200 with an empty body), and assigning `obj['__proto__'] = v` replaces the object's
 * prototype instead of adding an entry. Every such key goes through these two functions (or a Map).
 */

/** The value `record` holds under `key` as its own property; undefined when it has none. */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined | null, key: string): T | undefined {
  return record != null && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Sets `record[key] = value` as an own, enumerable property, whatever the key (`__proto__` too). */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * `{ ...parts[0], ...parts[1], … }` (own enumerable string keys, later parts winning), built key
 * by key. The result is the same; the memory is not: at thousands of objects a spread site that
 * sees many shapes goes megamorphic and V8 then gives each copy a hidden class of its own (a map
 * and a descriptor array, ~250 bytes per object at 10,000 Deployments), while properties added
 * one by one follow the shared transition tree. Use it where one site copies many objects.
 *
 *   spreadOwn({ a: 1, b: 2 }, { b: 3, c: 4 }) // → { a: 1, b: 3, c: 4 }
 */
export function spreadOwn<T extends object>(...parts: readonly object[]): T {
  const out: Record<string, unknown> = {};
  for (const part of parts) {
    const record = part as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (key === '__proto__') setOwn(out, key, record[key]);
      else out[key] = record[key];
    }
  }
  return out as T;
}

const byNamespace = new WeakMap<object, ReadonlyMap<string, ReadonlyMap<string, unknown>>>();

/**
 * The entries of `record`, keyed `namespace/name` (the store's pins and revision histories), that
 * belong to `namespace`, by name. The index is built once per record object (records are
 * replaced, never changed in place, as the store's state is), so a pass over 10,000 Deployments
 * looks each one up by its name instead of piecing 10,000 keys together and asking a record of
 * 10,000 properties for each (a fresh key is interned first: most of a no-change decision).
 *   entriesOf({ 'shop/web': 1, 'shop/api': 2, 'ops/web': 3 }, 'shop') // → Map { web → 1, api → 2 }
 */
export function entriesOf<T>(record: Readonly<Record<string, T>> | undefined, namespace: string): ReadonlyMap<string, T> | undefined {
  if (record === undefined) return undefined;
  let index = byNamespace.get(record);
  if (index === undefined) {
    const built = new Map<string, Map<string, unknown>>();
    for (const key of Object.keys(record)) {
      const slash = key.indexOf('/');
      if (slash < 0) continue;
      const ns = key.slice(0, slash);
      const names = built.get(ns) ?? new Map<string, unknown>();
      names.set(key.slice(slash + 1), record[key]);
      built.set(ns, names);
    }
    byNamespace.set(record, (index = built));
  }
  return index.get(namespace) as ReadonlyMap<string, T> | undefined;
}

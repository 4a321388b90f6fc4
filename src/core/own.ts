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

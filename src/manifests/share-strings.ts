/**
 * One copy of each string a parsed manifest holds, detached from the text it was cut from.
 *
 * Why (issue #14, heap snapshots at 10,000 Deployments): a value the YAML parser cuts out of a
 * file (`text.slice(…)`) is, in V8, a "sliced string" that keeps the whole file's text alive,
 * so every cached file result held its file (12 MB at 10,000 files); a field path built by
 * `+=` is a chain of ~10 pieces (~450 bytes for `spec.template.spec.containers[0].resources…`,
 * 9 MB over 20,000 paths); and the same values (`app`, env names, images, paths) were held
 * once per Deployment. Replacing every string of a document by its entry in one shared table
 * fixes all three: the entry is a flat copy, made once.
 *
 * The table is bounded (`MAX_ENTRIES`): when full it starts over, which only costs sharing
 * (documents keep the strings they hold). Strings longer than `MAX_LENGTH` (certificates,
 * scripts) are copied flat but not kept in it. Tried and dropped: `Number(a + b)` to flatten a
 * copy (V8 leaves the two-piece string in place), and V8's own string table through
 * `Object.keys({ [s]: 0 })` (a hidden class per string: +4 MB of maps at 10,000 Deployments).
 */
const MAX_ENTRIES = 200_000;
const MAX_LENGTH = 256;

let table = new Map<string, string>();

/** A flat string equal to `s` that shares no memory with the string it was cut from or built of. */
function detach(s: string): string {
  return s.length < 13 ? s.slice() : (JSON.parse(JSON.stringify(s)) as string);
}

/**
 * The shared, flat copy of `s`.
 *
 *   shared('web'.concat('-1', '-blue')) === shared('web-1-blue') // one string in memory
 */
export function shared(s: string): string {
  if (s.length > MAX_LENGTH) return detach(s);
  const hit = table.get(s);
  if (hit !== undefined) return hit;
  if (table.size >= MAX_ENTRIES) table = new Map();
  const copy = detach(s);
  table.set(copy, copy);
  return copy;
}

/**
 * Replaces, in place, every string value in `value`'s plain objects and arrays by its shared copy
 * (keys are V8's own interned copies already); returns `value`. Other objects (and frozen ones)
 * are left alone; an object reached twice (a YAML alias) is walked once.
 *
 *   shareStrings({ image: 'nginx:1.27', args: ['-c', x] }) // the same object, its strings shared
 */
export function shareStrings<T>(value: T): T {
  walk(value as unknown, new Set());
  return value;
}

function walk(value: unknown, seen: Set<object>): void {
  if (value === null || typeof value !== 'object' || seen.has(value) || Object.isFrozen(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'string') value[i] = shared(v);
      else walk(v, seen);
    }
    return;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const v = record[key];
    if (typeof v !== 'string') walk(v, seen);
    else if (key === '__proto__') Object.defineProperty(record, key, { value: shared(v) });
    else record[key] = shared(v);
  }
}

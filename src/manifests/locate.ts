import { ownValue } from '../core/index.js';
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/**
 * Field paths and their places in the YAML text. A path is a list of segments (object keys
 * and array indexes); people see it dotted, `spec.template.spec.containers[0].image`, with
 * keys that are not plain words quoted: `metadata.labels["app.kubernetes.io/name"]`.
 */
export type FieldPath = readonly (string | number)[];

export interface Position {
  readonly line: number;
  readonly column: number;
}

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** JSON pointer (ajv's `instancePath`, e.g. `/spec/containers/0`) → segments; digit-only segments under arrays become numbers. */
export function pointerToPath(pointer: string, root: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let value: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value) && /^\d+$/.test(key)) {
      out.push(Number(key));
      value = value[Number(key)];
    } else {
      out.push(key);
      value = value !== null && typeof value === 'object' ? ownValue(value as Record<string, unknown>, key) : undefined;
    }
  }
  return out;
}

/**
 * Where `path` is written in `doc`: the key of the last mapping entry (so an error about
 * `volumes` points at `volumes:`, not at the list below it), or the list item. When the path
 * does not exist in the text (a missing field, a value that came through a merge key), the
 * deepest existing parent is used.
 */
export function locate(doc: Document.Parsed, lineCounter: LineCounter, path: FieldPath): Position {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = findPair(doc, node.items, String(segment));
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  const p = lineCounter.linePos(offset);
  return { line: p.line, column: p.col };
}

interface PairLike {
  readonly key: unknown;
  readonly value: unknown;
}

function findPair(doc: Document.Parsed, items: readonly PairLike[], key: string): PairLike | undefined {
  for (const pair of items) if (isScalar(pair.key) && !isMergeKey(pair.key.value) && String(pair.key.value) === key) return pair;
  // not written here: look through merge keys (`<<: *defaults`)
  for (const pair of items) {
    if (!isScalar(pair.key) || !isMergeKey(pair.key.value)) continue;
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (let source of sources) {
      if (isAlias(source)) source = source.resolve(doc);
      if (isMap(source)) {
        const found = findPair(doc, source.items, key);
        if (found) return found;
      }
    }
  }
  return undefined;
}

/** yaml 2.9 composes a `<<` key to a symbol when merge keys are on; older versions kept the string. */
export function isMergeKey(value: unknown): boolean {
  return value === '<<' || (typeof value === 'symbol' && value.description === '<<');
}

function rangeStart(node: unknown): number | undefined {
  return node !== null && typeof node === 'object' && 'range' in node ? ((node as Node).range?.[0] ?? undefined) : undefined;
}

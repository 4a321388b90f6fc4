import { ownValue, setOwn } from '../core/index.js';
import { isScalar, Schema, type ScalarTag } from 'yaml';
import type { FieldPath, Position } from './locate.js';
import type { ParsedYaml, YamlDocument } from './parse.js';

/**
 * A fast path for the plain block YAML nearly every manifest is written in. It gives exactly
 * what the yaml library would (values, document indexes, lines, field positions) or, at the
 * first sign of anything else, `undefined`, and the caller parses the text with the library.
 *
 * Why: the yaml library costs ~0.2-0.3 ms per Deployment here (lexer → CST → nodes → JS);
 * 10 000 Deployments took ~2.5 s of a cold load. This path is a single line scan.
 *
 * Accepted, and nothing else:
 *  - documents separated by lines that are exactly `---`; blank lines; whole-line comments;
 *  - block mappings `key: value` / `key:` where the key is a plain word
 *    (letters, digits, `_ . / -`, starting with a letter or `_`) that resolves to a string;
 *  - block sequences `- value`, `- key: value`, `-`, also at the same indentation as their
 *    parent key (`containers:\n- name: web`);
 *  - values: plain scalars on one line (no leading indicator, no ` #`, no `: `, no trailing
 *    `:`), resolved with the yaml library's own YAML 1.2 core-schema tags (so `3` is a number,
 *    `true` a boolean, `250m` a string, exactly as the library decides); single-line quoted
 *    strings without escapes (`"…"` without `\` or `"`, `'…'` without `'`); `[]` and `{}`;
 *    one-line flow sequences of such strings and safe plain words (`command: ["sh", -c]`).
 * Anything else falls back: tabs, CR, control characters, other flow collections, block
 * scalars, anchors, aliases, tags, directives, multi-line scalars, trailing comments,
 * duplicate keys, `<<`, nesting deeper than the limit, a text with no document at all. Errors are
 * therefore always reported by the library.
 * test/unit/manifests/simple-yaml.test.ts checks the equivalence on fixtures and generated text.
 */
export function parseSimpleYaml(text: string, maxDepth: number): ParsedYaml | undefined {
  if (UNSAFE_TEXT.test(text)) return undefined;
  const documents: YamlDocument[] = [];
  let index = -1;
  let builder: DocumentBuilder | undefined;
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    let n = start;
    while (text.charCodeAt(n) === 32) n++;
    let e = end;
    while (e > n && text.charCodeAt(e - 1) === 32) e--;
    const lineStart = start;
    start = end + 1;
    if (n === e || text.charCodeAt(n) === 35 /* # */) continue; // blank or comment line
    const indent = n - lineStart;
    if (indent === 0) {
      const c = text.charCodeAt(n);
      if (c === 45 /* - */ && text.startsWith('---', n)) {
        if (e - n !== 3) return undefined; // `--- something`
        if (builder) finish(builder, index, documents);
        index++;
        builder = new DocumentBuilder(maxDepth);
        continue;
      }
      if ((c === 46 /* . */ && text.startsWith('...', n)) || c === 37 /* % */) return undefined;
    }
    if (!builder) {
      index++;
      builder = new DocumentBuilder(maxDepth);
    }
    if (!builder.take(indent, text.slice(n, e), lineNo)) return undefined;
  }
  if (builder) finish(builder, index, documents);
  if (documents.length === 0) return undefined; // no documents is an error (FILE_EMPTY): the library's business
  return { documents, diagnostics: [] };
}

/** Tabs, CR, other C0/C1 controls, DEL, BOM, Unicode line separators: the library's business. */
// eslint-disable-next-line no-control-regex
const UNSAFE_TEXT = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;

const KEY_LINE = /^([A-Za-z_][A-Za-z0-9_./-]*):(?: +(.*))?$/;
const DOUBLE_QUOTED = /^"([^"\\]*)"$/;
const SINGLE_QUOTED = /^'([^']*)'$/;
/** YAML c-indicators: a plain scalar may not start with one (`-` followed by a non-space excepted). */
const INDICATORS = new Set(['-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`']);

/** The yaml library's default plain-scalar tags (null, bool, int, float, …), in its own order. */
const PLAIN_TAGS: readonly ScalarTag[] = new Schema({ merge: true, resolveKnownTags: false }).tags.filter(
  (t): t is ScalarTag => t.default === true && 'test' in t && t.test instanceof RegExp,
);

/** Matches whatever any of PLAIN_TAGS matches: one test rules out most words (`web`, `250m`). */
const ANY_PLAIN_TAG = PLAIN_TAGS.every((t) => t.test?.flags === '') ? new RegExp(PLAIN_TAGS.map((t) => `(?:${t.test?.source ?? '(?!)'})`).join('|')) : /(?:)/;

const FAIL: unique symbol = Symbol('not simple');
type Value = unknown;

/** A plain scalar resolved as the library's composer does (first matching default tag), or FAIL. */
function resolvePlain(text: string): Value | typeof FAIL {
  if (!ANY_PLAIN_TAG.test(text)) return text;
  for (const tag of PLAIN_TAGS) {
    if (!tag.test?.test(text)) continue;
    let failed = false;
    const value = tag.resolve(text, () => (failed = true), { intAsBigInt: false } as Parameters<ScalarTag['resolve']>[2]);
    if (failed) return FAIL;
    return isScalar(value) ? value.value : value;
  }
  return text;
}

/**
 * A value written on one line, or FAIL. `at` is its 1-based position; `positions` receives the
 * item positions of a flow sequence (so fields inside it can be located).
 */
function scalar(text: string, line: number, column: number, positions: Map<object, number[]>): Value | typeof FAIL {
  if (text === '[]') return [];
  if (text === '{}') return {};
  const first = text[0] ?? '';
  if (first === '[') return flowSequence(text, line, column, positions);
  if (first === '"') return DOUBLE_QUOTED.exec(text)?.[1] ?? FAIL;
  if (first === "'") return SINGLE_QUOTED.exec(text)?.[1] ?? FAIL;
  if (INDICATORS.has(first) && !(first === '-' && text.length > 1 && text[1] !== ' ')) return FAIL;
  if (text.includes(' #') || text.includes(': ') || text.endsWith(':')) return FAIL;
  return resolvePlain(text);
}

/**
 * `[a, "b c", 'd', 8080]` on one line: quoted strings as above, plain items of safe characters
 * only (letters, digits, `_ . / = + - @ %`, not starting with an indicator), no nesting.
 */
const FLOW_PLAIN = /^[A-Za-z0-9_./=+@%-]+$/;

function flowSequence(text: string, line: number, column: number, positions: Map<object, number[]>): Value[] | typeof FAIL {
  if (text[text.length - 1] !== ']') return FAIL;
  const items: Value[] = [];
  const where: number[] = [];
  let i = 1;
  const end = text.length - 1;
  for (;;) {
    while (text[i] === ' ') i++;
    if (i >= end) return FAIL; // `[a, ]` or `[ ]`: the library's business
    const start = i;
    let item: Value;
    const c = text[i];
    if (c === '"' || c === "'") {
      const close = text.indexOf(c, i + 1); // a `''` escape makes the next check fail: fine
      if (close < 0 || close >= end) return FAIL;
      item = text.slice(i + 1, close);
      if (c === '"' && (item as string).includes('\\')) return FAIL;
      i = close + 1;
    } else {
      let j = i;
      while (j < end && text[j] !== ',' && text[j] !== ' ') j++;
      const plain = text.slice(i, j);
      if (!FLOW_PLAIN.test(plain) || (INDICATORS.has(plain[0] ?? '') && !(plain[0] === '-' && plain.length > 1))) return FAIL;
      item = resolvePlain(plain);
      if (item === FAIL) return FAIL;
      i = j;
    }
    items.push(item);
    where.push(line, column + start);
    while (text[i] === ' ') i++;
    if (i === end) break;
    if (text[i] !== ',') return FAIL;
    i++;
  }
  positions.set(items, where);
  return items;
}

interface MapFrame {
  readonly kind: 'map';
  readonly indent: number;
  readonly value: Record<string, Value>;
  /** line, column of each entry's key, in insertion order */
  readonly positions: number[];
  /** a key written as `key:` whose value comes on the next lines */
  pending: string | undefined;
}

interface SeqFrame {
  readonly kind: 'seq';
  readonly indent: number;
  readonly value: Value[];
  /** line, column of each item, in order */
  readonly positions: number[];
  /** an item written as `-` whose value comes on the next lines */
  pending: { line: number; column: number } | undefined;
  /** written at the indentation of its parent mapping's key (`key:\n- item`) */
  readonly compact: boolean;
}

type Frame = MapFrame | SeqFrame;

class DocumentBuilder {
  root: Value | undefined;
  /** line and column of the root collection */
  rootLine = 0;
  rootColumn = 0;
  private readonly stack: Frame[] = [];
  readonly positions = new Map<object, number[]>();
  /** key → entry index per mapping, built on the first lookup (locating is rare; mappings can be huge) */
  private keyIndexes: Map<object, Map<string, number>> | undefined;

  constructor(private readonly maxDepth: number) {}

  /** Takes one content line (indentation, text without indentation or trailing spaces); false = not simple. */
  take(indent: number, text: string, lineNo: number): boolean {
    const isItem = text === '-' || text.startsWith('- ');
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top) {
        if (this.root !== undefined) return false; // content after the root collection closed
        const frame = isItem ? this.open('seq', indent, false) : KEY_LINE.test(text) ? this.open('map', indent, false) : undefined;
        if (!frame) return false; // a scalar document
        this.root = frame.value;
        this.rootLine = lineNo;
        this.rootColumn = indent + 1;
        continue;
      }
      if (top.kind === 'map') {
        if (top.pending !== undefined) {
          const key = top.pending;
          if (indent > top.indent || (indent === top.indent && isItem)) {
            const child = isItem ? this.open('seq', indent, indent === top.indent) : KEY_LINE.test(text) ? this.open('map', indent, false) : undefined;
            if (!child) return false;
            setOwn(top.value, key, child.value);
            top.pending = undefined;
            continue;
          }
          setOwn(top.value, key, null);
          top.pending = undefined;
        }
        if (indent === top.indent) return !isItem && this.mapEntry(top, indent, text, lineNo);
        if (indent < top.indent) {
          this.stack.pop();
          continue;
        }
        return false;
      }
      if (top.pending !== undefined) {
        if (indent > top.indent) {
          const child = isItem ? this.open('seq', indent, false) : KEY_LINE.test(text) ? this.open('map', indent, false) : undefined;
          if (!child) return false;
          top.value.push(child.value);
          top.positions.push(lineNo, indent + 1);
          top.pending = undefined;
          continue;
        }
        top.value.push(null);
        top.positions.push(top.pending.line, top.pending.column);
        top.pending = undefined;
      }
      if (indent === top.indent && isItem) return this.seqItem(top, indent, text, lineNo);
      if (indent < top.indent || (indent === top.indent && top.compact)) {
        this.stack.pop();
        continue;
      }
      return false;
    }
  }

  /** Closes pending values (`key:` / `-` at the end of the document become null). */
  end(): void {
    for (const frame of this.stack) {
      if (frame.kind === 'map' && frame.pending !== undefined) setOwn(frame.value, frame.pending, null);
      if (frame.kind === 'seq' && frame.pending !== undefined) {
        frame.value.push(null);
        frame.positions.push(frame.pending.line, frame.pending.column);
      }
    }
    this.stack.length = 0;
  }

  locate(path: FieldPath): Position {
    let value: unknown = this.root;
    let line = this.rootLine;
    let column = this.rootColumn;
    for (const segment of path) {
      if (value === null || typeof value !== 'object') break;
      const positions = this.positions.get(value);
      if (!positions) break;
      let i: number;
      if (Array.isArray(value)) {
        if (typeof segment !== 'number' || segment >= value.length) break;
        i = segment;
      } else {
        const keys = Object.keys(value);
        if (keys.length <= 16) {
          i = keys.indexOf(String(segment));
        } else {
          this.keyIndexes ??= new Map();
          let index = this.keyIndexes.get(value);
          if (!index) {
            index = new Map(keys.map((k, n) => [k, n]));
            this.keyIndexes.set(value, index);
          }
          i = index.get(String(segment)) ?? -1;
        }
        if (i < 0) break;
      }
      value = typeof segment === 'number' ? (value as unknown[])[segment] : ownValue(value as Record<string, unknown>, segment);
      line = positions[2 * i] ?? line;
      column = positions[2 * i + 1] ?? column;
    }
    return { line, column };
  }

  private open(kind: 'map' | 'seq', indent: number, compact: boolean): Frame | undefined {
    if (this.stack.length >= this.maxDepth) return undefined;
    const positions: number[] = [];
    const frame: Frame =
      kind === 'map' ? { kind, indent, value: {}, positions, pending: undefined } : { kind, indent, value: [], positions, pending: undefined, compact };
    this.positions.set(frame.value, positions);
    this.stack.push(frame);
    return frame;
  }

  private mapEntry(frame: MapFrame, indent: number, text: string, lineNo: number): boolean {
    const m = KEY_LINE.exec(text);
    if (!m) return false;
    const key = m[1] ?? '';
    if (key === '__proto__' || Object.hasOwn(frame.value, key) || resolvePlain(key) !== key) return false;
    frame.positions.push(lineNo, indent + 1);
    const rest = m[2];
    if (rest === undefined) {
      frame.pending = key;
      return true;
    }
    const value = scalar(rest, lineNo, indent + 1 + text.length - rest.length, this.positions);
    if (value === FAIL) return false;
    setOwn(frame.value, key, value);
    return true;
  }

  private seqItem(frame: SeqFrame, indent: number, text: string, lineNo: number): boolean {
    if (text === '-') {
      frame.pending = { line: lineNo, column: indent + 2 };
      return true;
    }
    let k = 2;
    while (text.charCodeAt(k) === 32) k++;
    const rest = text.slice(k);
    const column = indent + k;
    if (rest === '-' || rest.startsWith('- ')) return false; // `- - x`
    if (KEY_LINE.test(rest)) {
      const child = this.open('map', column, false);
      if (!child || child.kind !== 'map') return false;
      frame.value.push(child.value);
      frame.positions.push(lineNo, column + 1);
      return this.mapEntry(child, column, rest, lineNo);
    }
    const value = scalar(rest, lineNo, column + 1, this.positions);
    if (value === FAIL) return false;
    frame.value.push(value);
    frame.positions.push(lineNo, column + 1);
    return true;
  }
}

function finish(builder: DocumentBuilder, index: number, documents: YamlDocument[]): void {
  builder.end();
  if (builder.root === undefined) return; // an empty document
  documents.push({ index, line: builder.rootLine, value: builder.root, locate: (path) => builder.locate(path) });
}

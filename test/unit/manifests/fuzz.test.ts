/**
 * Property test: whatever someone pushes, the pipeline (loadManifests → buildDesiredState →
 * diff) never throws, every problem is a located diagnostic, and an invalid namespace is left
 * exactly as it runs (no deployments, no actions) while its sibling is unaffected.
 *
 * Inputs are the real manifests (sample-repo/ and test/fixtures/manifests/), mutated at random:
 * lines deleted, duplicated, swapped, re-indented; scalars replaced by hostile values; anchors,
 * aliases and tags inserted; junk text, control characters and raw bytes inserted; files
 * truncated at a random byte, concatenated, wrapped in a list, given CRLF or a BOM; and the
 * parse limits sometimes made tiny so the size/depth/alias guards are hit with real text.
 *
 * Reproducible by default (a fixed seed). Longer or different runs:
 *   BERTH_FUZZ_RUNS=20000 BERTH_FUZZ_SEED=42 node --import tsx --test test/unit/manifests/fuzz.test.ts
 * A failure prints the seed, the path and the shrunk counterexample (the files as text/bytes);
 * replay it with BERTH_FUZZ_SEED=<seed> BERTH_FUZZ_PATH=<path>, then add it to
 * test/fixtures/bad-input/ as a regression case.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ERROR_CODES, hasErrors, type Diagnostic } from '../../../src/core/index.js';
import { buildDesiredState, type DesiredState } from '../../../src/desired/index.js';
import { loadManifests, ManifestCache, MANIFEST_DIAGNOSTICS, type LoadOptions, type NamespaceManifests } from '../../../src/manifests/index.js';
import type { ObservedNamespace, ObservedState } from '../../../src/observed/index.js';
import type { Plan } from '../../../src/plan/index.js';
import { livePlan } from '../../../src/controller/live-plan.js';
import type { Snapshot } from '../../../src/source/index.js';
import { replicas, T0 } from '../../helpers/builders.js';
import { asSourceWouldRead, deployment, folder, snapshot, type FileSpec } from './snapshot-builder.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUNS = positiveInt(process.env['BERTH_FUZZ_RUNS']) ?? 1000;
const SEED = process.env['BERTH_FUZZ_SEED'] !== undefined ? Number(process.env['BERTH_FUZZ_SEED']) : 0x0be27;
const PATH = process.env['BERTH_FUZZ_PATH'];

function positiveInt(text: string | undefined): number | undefined {
  const n = Number(text);
  return text !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...yamlFilesUnder(full));
    else if (/\.ya?ml$/.test(name)) out.push(full);
  }
  return out;
}

/** The valid (and one deliberately invalid) manifests everything is mutated from. */
const SEEDS: readonly string[] = [...yamlFilesUnder(join(ROOT, 'sample-repo')), ...yamlFilesUnder(join(ROOT, 'test/fixtures/manifests'))].map((f) =>
  readFileSync(f, 'utf8'),
);

// ---- mutations -------------------------------------------------------------------------

/** Values a person (or an attacker) might write where a scalar was, that are still YAML. */
const HOSTILE_VALUES = [
  '1e9',
  '1000000000',
  '1e400',
  '-1e400',
  '-1',
  '-0',
  '0',
  '-80',
  '70000',
  '65536',
  '99999999999999999999999999',
  '9007199254740993',
  '0x7fffffff',
  '0o777',
  '1_000',
  '.inf',
  '-.inf',
  '.nan',
  '0.0000001',
  '1:20',
  '2001-12-14',
  '2001-12-14t21:59:43.10-05:00',
  'null',
  '~',
  'Null',
  '""',
  "''",
  'true',
  'false',
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  '[]',
  '{}',
  '[a, b]',
  '{a: 1}',
  '[[[[[[]]]]]]',
  '{a: {b: {c: {d: {}}}}}',
  '[1, [2, [3]]]',
  '{name: x, value: y}',
  '[{containerPort: 80}]',
  '!!binary aGVsbG8=',
  '!foo bar',
  '!!str 1',
  '!!int x',
  '!!int 1',
  '!!float x',
  '!!null x',
  '!!bool maybe',
  '!!timestamp nope',
  '!!set {a, b}',
  '!!omap [a: 1]',
  '!<tag:example.com,2000:x> y',
  '!!python/object:os.system ls',
  '&a x',
  '&a [1, 2]',
  '"\\u0000"',
  '"\\x80"',
  '"\\uffff"',
  '"\\U0010ffff"',
  '"\\e\\a\\b"',
  "'it''s'",
  '"\\u202e"',
  '"a\\nb"',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '{__proto__: {polluted: 1}}',
  '{constructor: {prototype: {polluted: 1}}}',
  'a'.repeat(300),
  '0'.repeat(400),
  'x'.repeat(64),
  'Web_Server',
  'web.server',
  '-web',
  'web-',
  'WEB',
  '500m',
  '0.5',
  '1n',
  '1Ei',
  '1e-9',
  '128Mi',
  '5Mi',
  '0.001',
  '1e18',
  'Infinity',
  'NaN',
  '100%',
  '101%',
  '-25%',
  '25.5%',
  '1e3%',
  '0%',
];

/** Text that usually breaks the YAML itself. */
const BROKEN_VALUES = [
  '',
  '"',
  "'",
  '"unterminated',
  '[unterminated',
  '{unterminated',
  '|',
  '>',
  '|-',
  '>+',
  '*',
  '&',
  '!',
  '?',
  '? x',
  '- x',
  ':',
  ': x',
  '#',
  '%',
  '@',
  '`',
  ',',
  '*undefined_alias',
  '&a [1, *a]',
  '!!binary',
  '!!map []',
  '!!seq {}',
  '"\\ud800"',
  '"a\\',
  '<<: *a',
  '<<: {a: 1}',
  '<<: [*a]',
  'key: value',
  '- - -',
  '--- x',
  '...',
];

const TAGS = [
  '!!binary',
  '!foo',
  '!!str',
  '!!int',
  '!!float',
  '!!map',
  '!!seq',
  '!!null',
  '!!bool',
  '!!timestamp',
  '!!set',
  '!!omap',
  '!<tag:x,2000:y>',
  '!',
  '!!',
  '!e!tag',
];

const junkText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom(
    '\t',
    '\r',
    '\u0000',
    '\u0007',
    '\u001b[31m',
    '\u007f',
    '\u0085',
    '\u00a0',
    '\u2028',
    '\u2029',
    '\ufeff',
    '\ufffe',
    '\ud800',
    '\udfff',
    '\u200b',
    '\u202e',
    '🐳',
    'é',
    'e\u0301',
  ),
  fc.constantFrom(...HOSTILE_VALUES, ...BROKEN_VALUES),
);

const scalarValue = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_VALUES) },
  { weight: 1, arbitrary: fc.constantFrom(...BROKEN_VALUES) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 2, arbitrary: fc.string({ maxLength: 16 }).map((x) => JSON.stringify(x)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 16 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
);

type TextOp =
  | { readonly op: 'delete'; readonly at: number }
  | { readonly op: 'duplicate'; readonly at: number }
  | { readonly op: 'swap'; readonly a: number; readonly b: number }
  | { readonly op: 'indent'; readonly at: number; readonly by: number | 'tab' }
  | { readonly op: 'insert-line'; readonly at: number; readonly text: string }
  | { readonly op: 'insert-text'; readonly at: number; readonly column: number; readonly text: string }
  | { readonly op: 'scalar'; readonly at: number; readonly value: string }
  | { readonly op: 'key'; readonly at: number; readonly key: string }
  | { readonly op: 'anchor'; readonly a: number; readonly b: number; readonly name: string }
  | { readonly op: 'tag'; readonly at: number; readonly tag: string }
  | { readonly op: 'document-separator'; readonly at: number }
  | { readonly op: 'concat'; readonly seed: number }
  | { readonly op: 'wrap-in-list' }
  | { readonly op: 'nest'; readonly at: number; readonly depth: number };

type ByteOp =
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'insert-bytes'; readonly at: number; readonly bytes: readonly number[] }
  | { readonly op: 'flip'; readonly at: number; readonly xor: number };

const line = fc.nat();
const textOp: fc.Arbitrary<TextOp> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: line }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('duplicate' as const), at: line }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('swap' as const), a: line, b: line }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('indent' as const), at: line, by: fc.oneof(fc.integer({ min: -4, max: 4 }), fc.constant('tab' as const)) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('insert-line' as const), at: line, text: junkText }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insert-text' as const), at: line, column: fc.nat(), text: junkText }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('scalar' as const), at: line, value: scalarValue }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('key' as const),
      at: line,
      key: fc.oneof(
        fc.constantFrom('replcas', 'spec', 'metadata', 'kind', 'apiVersion', 'name', '__proto__', '<<', '? x', '"quoted"', 'a b', ''),
        fc.string({ maxLength: 8 }),
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('anchor' as const), a: line, b: line, name: fc.constantFrom('a', 'b', 'x1', 'lol') }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('tag' as const), at: line, tag: fc.constantFrom(...TAGS) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('document-separator' as const), at: line }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('concat' as const), seed: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'wrap-in-list' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('nest' as const), at: line, depth: fc.integer({ min: 1, max: 80 }) }) },
);

const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('insert-bytes' as const),
    at: fc.nat(),
    bytes: fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x80, 0xbf, 0xc0, 0xc3, 0xed, 0xf4, 0xf5, 0xfe, 0xff)), {
      minLength: 1,
      maxLength: 4,
    }),
  }),
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
);

/** `key: value` / `- value` → [prefix, value]; a line without a value gets one appended. */
function splitValue(text: string): [string, string] {
  const m = /^(\s*(?:- +)?(?:[^\s#:][^:#]*:(?=\s|$))?\s*)(.*)$/.exec(text);
  return m ? [m[1] ?? '', m[2] ?? ''] : [text, ''];
}

/** Lines that hold a value after `key:` or `- ` (so replacing it keeps the YAML's shape). */
function valueLines(lines: readonly string[]): number[] {
  const out: number[] = [];
  lines.forEach((l, i) => {
    if (!/^\s*#/.test(l) && splitValue(l)[1].trim() !== '') out.push(i);
  });
  return out;
}

function applyTextOp(lines: string[], op: TextOp): string[] {
  const n = lines.length;
  const values = op.op === 'scalar' || op.op === 'tag' || op.op === 'anchor' ? valueLines(lines) : [];
  const at = (i: number): number => (values.length > 0 ? values[i % values.length]! : n === 0 ? 0 : i % n);
  const out = [...lines];
  switch (op.op) {
    case 'delete':
      out.splice(at(op.at), 1);
      return out;
    case 'duplicate':
      out.splice(at(op.at), 0, out[at(op.at)] ?? '');
      return out;
    case 'swap': {
      const a = at(op.a);
      const b = at(op.b);
      [out[a], out[b]] = [out[b] ?? '', out[a] ?? ''];
      return out;
    }
    case 'indent': {
      const l = out[at(op.at)] ?? '';
      out[at(op.at)] = op.by === 'tab' ? `\t${l}` : op.by >= 0 ? `${' '.repeat(op.by)}${l}` : l.replace(new RegExp(`^ {0,${-op.by}}`), '');
      return out;
    }
    case 'insert-line':
      out.splice(at(op.at), 0, op.text);
      return out;
    case 'insert-text': {
      const l = out[at(op.at)] ?? '';
      const c = op.column % (l.length + 1);
      out[at(op.at)] = `${l.slice(0, c)}${op.text}${l.slice(c)}`;
      return out;
    }
    case 'scalar': {
      const [prefix] = splitValue(out[at(op.at)] ?? '');
      out[at(op.at)] = `${prefix}${prefix === '' || /\s$/.test(prefix) ? '' : ' '}${op.value}`;
      return out;
    }
    case 'key': {
      const l = out[at(op.at)] ?? '';
      out[at(op.at)] = l.replace(/^(\s*(?:- +)?)[^\s:#][^:#]*:/, `$1${op.key}:`);
      return out;
    }
    case 'anchor': {
      const [pa, va] = splitValue(out[at(op.a)] ?? '');
      out[at(op.a)] = `${pa}${/\s$/.test(pa) || pa === '' ? '' : ' '}&${op.name} ${va}`;
      const [pb] = splitValue(out[at(op.b)] ?? '');
      out[at(op.b)] = `${pb}${/\s$/.test(pb) || pb === '' ? '' : ' '}*${op.name}`;
      return out;
    }
    case 'tag': {
      const [p, v] = splitValue(out[at(op.at)] ?? '');
      out[at(op.at)] = `${p}${/\s$/.test(p) || p === '' ? '' : ' '}${op.tag} ${v}`;
      return out;
    }
    case 'document-separator':
      out.splice(at(op.at), 0, '---');
      return out;
    case 'concat':
      return [...out, '---', ...(SEEDS[op.seed % SEEDS.length] ?? '').split('\n')];
    case 'wrap-in-list':
      return out.map((l, i) => (i === 0 ? `- ${l}` : `  ${l}`));
    case 'nest': {
      const i = at(op.at);
      const [prefix] = splitValue(out[i] ?? '');
      const indent = (prefix.match(/^ */)?.[0] ?? '').length;
      const nested = Array.from({ length: op.depth }, (_, d) => `${' '.repeat(indent + 2 * (d + 1))}n${d}:`);
      out.splice(i + 1, 0, ...nested);
      return out;
    }
  }
}

function applyByteOp(bytes: Uint8Array, op: ByteOp): Uint8Array {
  const at = bytes.length === 0 ? 0 : op.at % (bytes.length + 1);
  switch (op.op) {
    case 'truncate':
      return bytes.slice(0, at);
    case 'insert-bytes':
      return Uint8Array.from([...bytes.slice(0, at), ...op.bytes, ...bytes.slice(at)]);
    case 'flip': {
      const out = bytes.slice();
      if (out.length > 0) out[at % out.length]! ^= op.xor;
      return out;
    }
  }
}

const encoder = new TextEncoder();

interface FileRecipe {
  readonly seed: number;
  readonly text: readonly TextOp[];
  readonly bytes: readonly ByteOp[];
  readonly eol: '\n' | '\r\n' | '\r';
  readonly bom: boolean;
}

function render(r: FileRecipe): Uint8Array {
  let lines = (SEEDS[r.seed % SEEDS.length] ?? '').split('\n');
  for (const op of r.text) lines = applyTextOp(lines, op);
  let bytes: Uint8Array = encoder.encode(`${r.bom ? '\ufeff' : ''}${lines.join(r.eol)}`);
  for (const op of r.bytes) bytes = applyByteOp(bytes, op);
  return bytes;
}

const fileRecipe: fc.Arbitrary<FileRecipe> = fc.record({
  seed: fc.nat(),
  // mostly one or two mutations, so many inputs get past the YAML parser into validation
  text: fc.oneof(
    { weight: 1, arbitrary: fc.constant([]) },
    { weight: 5, arbitrary: fc.array(textOp, { minLength: 1, maxLength: 1 }) },
    { weight: 3, arbitrary: fc.array(textOp, { minLength: 2, maxLength: 4 }) },
  ),
  bytes: fc.oneof({ weight: 8, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(byteOp, { minLength: 1, maxLength: 2 }) }),
  eol: fc.oneof(
    { weight: 12, arbitrary: fc.constant('\n' as const) },
    { weight: 2, arbitrary: fc.constant('\r\n' as const) },
    { weight: 1, arbitrary: fc.constant('\r' as const) },
  ),
  bom: fc.oneof({ weight: 10, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

/** The generated repository, rendered (so a counterexample shows the files themselves). */
interface Repo {
  /** namespace folder → file name → content (text when it is valid UTF-8, for readable counterexamples) */
  readonly folders: Readonly<Record<string, Readonly<Record<string, string | Uint8Array>>>>;
  readonly limits: LoadOptions;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** Text when the bytes are valid UTF-8 (the snapshot builder encodes it back to the same bytes), else the bytes. */
function readable(bytes: Uint8Array): string | Uint8Array {
  try {
    return decoder.decode(bytes);
  } catch {
    return bytes;
  }
}

const FILE_NAMES = ['web.yaml', 'api.yml', 'worker.YAML'] as const;

const repoArb: fc.Arbitrary<Repo> = fc
  .record({
    shop: fc.array(fileRecipe, { minLength: 1, maxLength: 2 }),
    api: fc.oneof({ weight: 3, arbitrary: fc.constant([] as FileRecipe[]) }, { weight: 1, arbitrary: fc.array(fileRecipe, { minLength: 1, maxLength: 2 }) }),
    limits: fc.constantFrom<LoadOptions>({}, {}, {}, { maxFileBytes: 600 }, { maxDepth: 4 }, { maxAliasCount: 1 }),
  })
  .map(({ shop, api, limits }) => {
    const folders: Record<string, Record<string, string | Uint8Array>> = {};
    for (const [name, recipes] of [
      ['shop', shop],
      ['api', api],
    ] as const) {
      if (recipes.length === 0) continue;
      folders[name] = Object.fromEntries(recipes.map((r, i) => [FILE_NAMES[i % FILE_NAMES.length]!, readable(render(r))]));
    }
    return { folders, limits };
  });

// ---- the properties ----------------------------------------------------------------------

/** The sibling namespace every generated repository has, untouched by the mutations. */
const BLOG = { 'front.yaml': deployment('front') } as const;
const KNOWN_CODES = new Set<string>([...Object.keys(MANIFEST_DIAGNOSTICS), ...Object.keys(ERROR_CODES)]);

function lineCount(content: FileSpec | undefined): number | undefined {
  if (content === undefined || (typeof content === 'object' && !(content instanceof Uint8Array))) return undefined;
  const bytes = typeof content === 'string' ? encoder.encode(content) : content;
  let n = 1;
  for (const b of bytes) if (b === 0x0a) n++;
  return n;
}

function checkDiagnostic(d: Diagnostic, files: ReadonlyMap<string, FileSpec>, where: string): void {
  const what = `${where}: ${JSON.stringify(d)}`;
  assert.ok(d.severity === 'error' || d.severity === 'warning', `severity is error or warning: ${what}`);
  assert.ok(typeof d.code === 'string' && KNOWN_CODES.has(d.code), `code is a registered code: ${what}`);
  assert.ok(typeof d.message === 'string' && d.message.trim() !== '', `message is not empty: ${what}`);
  assert.ok(typeof d.file === 'string' && d.file !== '', `file is named: ${what}`);
  if (d.field !== undefined) assert.ok(typeof d.field === 'string' && d.field !== '', `field, when present, is not empty: ${what}`);
  if (d.document !== undefined) assert.ok(Number.isInteger(d.document) && d.document >= 0, `document, when present, is an index: ${what}`);
  if (d.column !== undefined) assert.ok(Number.isInteger(d.column) && d.column >= 1, `column, when present, is 1-based: ${what}`);
  if (d.line !== undefined) {
    const lines = lineCount(files.get(d.file ?? ''));
    assert.ok(lines !== undefined, `a diagnostic with a line names a file that has content: ${what}`);
    assert.ok(Number.isInteger(d.line) && d.line >= 1 && d.line <= lines + 1, `line is within the file (1..${lines + 1}): ${what}`);
  }
}

/** Observed: each namespace of the repository runs a `web` Deployment (and the sibling its `front`). */
function observedFor(names: readonly string[]): ObservedState {
  return {
    namespaces: names.map(
      (name): ObservedNamespace => ({
        name,
        network: { id: `net-${name}`, name: `berth.${name}` },
        deployments: [
          {
            namespace: name,
            name: name === 'blog' ? 'front' : 'web',
            replicas: replicas('0123456789', 2, { namespace: name, deployment: name === 'blog' ? 'front' : 'web' }),
          },
        ],
        strays: [],
      }),
    ),
  };
}

function load(s: Snapshot, limits: LoadOptions): { set: ReturnType<typeof loadManifests>; desired: DesiredState; plan: Plan } {
  const set = loadManifests(s, new ManifestCache(), limits);
  const desired = buildDesiredState(set, { instance: 'default' });
  const plan = livePlan(desired, observedFor(set.namespaces.map((n) => n.name)), { now: T0 });
  return { set, desired, plan };
}

function byName<T extends { readonly name: string }>(list: readonly T[], name: string): T {
  const found = list.find((x) => x.name === name);
  assert.ok(found, `namespace ${name} in ${list.map((x) => x.name).join(', ')}`);
  return found;
}

const alones = new Map<string, ReturnType<typeof load>>();
function siblingAlone(limits: LoadOptions): ReturnType<typeof load> {
  const key = JSON.stringify(limits);
  let found = alones.get(key);
  if (!found) alones.set(key, (found = load(snapshot([folder('blog', BLOG)]), limits)));
  return found;
}

function checkRepo(repo: Repo): void {
  const folders = Object.entries(repo.folders).map(([name, files]) => folder(name, files));
  folders.push(folder('blog', BLOG));
  const s = snapshot(folders);
  const files = new Map<string, FileSpec>();
  for (const f of s.folders) for (const x of f.files ?? []) if (x.content) files.set(x.path, x.content);

  const { set, desired, plan } = load(s, repo.limits); // must not throw
  // What the controller stores and the API serves must serialize (no cycles, no BigInt).
  assert.doesNotThrow(() => JSON.stringify({ set, desired, plan }), 'the results serialize as JSON');

  // The cache only saves work: a second load, with the folders and files the cache holds left
  // out as the source would leave them out, gives the same result.
  const cache = new ManifestCache();
  cache.retain(loadManifests(s, cache, repo.limits));
  assert.deepEqual(loadManifests(asSourceWouldRead(s, cache), cache, repo.limits), set, 'a cached load equals a fresh one');

  for (const d of set.diagnostics) checkDiagnostic(d, files, 'set');
  for (const d of desired.diagnostics) checkDiagnostic(d, files, 'desired');
  for (const ns of set.namespaces) {
    for (const d of ns.diagnostics) checkDiagnostic(d, files, ns.name);
    assert.equal(ns.valid, !hasErrors(ns.diagnostics), `${ns.name}: valid exactly when no diagnostic is an error`);
    if (!ns.valid) assert.equal(ns.objects.length, 0, `${ns.name}: an invalid namespace hands over no objects`);
  }
  for (const ns of desired.namespaces) {
    for (const d of ns.diagnostics) checkDiagnostic(d, files, `desired ${ns.name}`);
    if (hasErrors(ns.diagnostics)) assert.equal(ns.valid, false, `${ns.name}: a namespace with an error is invalid`);
    if (!ns.valid) assert.equal(ns.deployments.length, 0, `${ns.name}: an invalid namespace has no deployments`);
    for (const d of ns.deployments) assert.match(d.revision, /^[0-9a-f]{10}$/, `${ns.name}/${d.name}: a revision is 10 hex characters`);
    const nsPlan = plan.namespaces.find((p) => p.namespace === ns.name);
    assert.ok(nsPlan, `the plan covers ${ns.name}`);
    if (!ns.valid) assert.deepEqual([nsPlan.verdict, nsPlan.actions], ['invalid', []], `${ns.name}: an invalid namespace is left exactly as it runs`);
  }

  // Isolation: the sibling's result is what it would be alone, whatever its neighbours hold.
  const alone = siblingAlone(repo.limits);
  assert.deepEqual(byName(set.namespaces, 'blog'), byName(alone.set.namespaces, 'blog'), 'the sibling namespace is unaffected by bad input beside it');
  assert.deepEqual(
    plan.namespaces.find((p) => p.namespace === 'blog'),
    alone.plan.namespaces.find((p) => p.namespace === 'blog'),
    'the sibling namespace plans as it would alone',
  );
}

describe('bad input never hurts: mutated manifests (fast-check)', () => {
  it('the generator produces each outcome often enough to mean something', () => {
    // Guards the generator, not the pipeline: a fuzzer whose inputs are all rejected by the
    // YAML parser (or all valid) would pass while testing nothing.
    const samples = fc.sample(repoArb, { seed: SEED, numRuns: 300 });
    const outcomes = { valid: 0, yamlError: 0, schemaError: 0 };
    for (const repo of samples) {
      const shop = loadManifests(snapshot([folder('shop', repo.folders['shop'] ?? {})]), new ManifestCache(), repo.limits).namespaces[0] as NamespaceManifests;
      if (shop.valid) outcomes.valid++;
      else if (shop.diagnostics.some((d) => d.code.startsWith('YAML_') || d.code.startsWith('FILE_'))) outcomes.yamlError++;
      else outcomes.schemaError++;
    }
    for (const [outcome, count] of Object.entries(outcomes))
      assert.ok(count >= 15, `at least 5% of generated repositories are ${outcome}: ${JSON.stringify(outcomes)}`);
  });

  it(`loadManifests → buildDesiredState → diff never throws, locates every problem and leaves invalid namespaces as they run (${RUNS} runs, seed ${SEED})`, async () => {
    // Pure modules print nothing: the yaml library warns through process.emitWarning (e.g. for a
    // collection used as a key), which would reach the operator's log once per bad commit.
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      if (w.name !== 'ExperimentalWarning') warnings.push(`${w.name}: ${w.message}`);
    };
    process.on('warning', onWarning);
    try {
      fc.assert(fc.property(repoArb, checkRepo), { seed: SEED, numRuns: RUNS, ...(PATH !== undefined ? { path: PATH } : {}) });
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings, [], 'no process warnings while loading hostile input');
  });
});

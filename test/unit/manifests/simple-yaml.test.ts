import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { FieldPath } from '../../../src/manifests/locate.js';
import { parseWithYamlLibrary, type ParsedYaml } from '../../../src/manifests/parse.js';
import { parseSimpleYaml } from '../../../src/manifests/simple-yaml.js';
import { seededRandom as rng } from '../../helpers/random.js';

/**
 * The fast path must be invisible: whenever it accepts a text, the result equals the yaml
 * library's (values, document indexes and lines, the position of every field). Checked on
 * the fixtures, on hand-written edge cases, on generated documents full of tricky scalars,
 * and on thousands of random mutations of real manifests.
 */

const FIXTURES = new URL('../../fixtures/manifests/', import.meta.url);
const fixtureTexts = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => ({ name: f, text: readFileSync(new URL(f, FIXTURES), 'utf8') }));

/** Every path to a value inside `value` (keys and indexes), depth first. */
function allPaths(value: unknown, prefix: (string | number)[] = []): FieldPath[] {
  const out: FieldPath[] = [];
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push([...prefix, i]);
      out.push(...allPaths(v, [...prefix, i]));
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push([...prefix, k]);
      out.push(...allPaths(v, [...prefix, k]));
    }
  }
  return out;
}

/** undefined when the fast path declined; otherwise asserts equality with the library and returns true. */
function compare(text: string, label: string): boolean {
  const fast = parseSimpleYaml(text, 64);
  if (fast === undefined) return false;
  const slow: ParsedYaml = parseWithYamlLibrary(text);
  const context = `${label}\n--- text ---\n${text}\n------------`;
  assert.deepEqual(fast.diagnostics, slow.diagnostics, `diagnostics differ: ${context}`);
  assert.equal(fast.documents.length, slow.documents.length, `document count differs: ${context}`);
  fast.documents.forEach((f, i) => {
    const s = slow.documents[i]!;
    assert.equal(f.index, s.index, `document index differs: ${context}`);
    assert.equal(f.line, s.line, `document line differs: ${context}`);
    assert.deepEqual(f.value, s.value, `value differs: ${context}`);
    for (const path of allPaths(s.value)) {
      let v: unknown = s.value;
      for (const seg of path) v = (v as Record<string | number, unknown>)[seg];
      if (v === null) continue; // a null item's position is not meaningful
      assert.deepEqual(f.locate(path), s.locate(path), `position of ${JSON.stringify(path)} differs: ${context}`);
    }
  });
  return true;
}

const TRICKY_SCALARS = [
  '250m',
  '0.5',
  '.5',
  '5.',
  '1e3',
  '1E3',
  '1e+3',
  '-1',
  '+1',
  '007',
  '0o17',
  '0x1F',
  '0xZZ',
  '.inf',
  '-.Inf',
  '.nan',
  '.NaN',
  'true',
  'True',
  'TRUE',
  'tRue',
  'yes',
  'no',
  'on',
  'off',
  'null',
  'Null',
  'NULL',
  '~',
  'nginx:1.25',
  'http://x:80/a',
  'a b',
  'a  b',
  'a#b',
  'a #b',
  'a: b',
  'a:',
  '-x',
  '- x',
  '-',
  '?x',
  ':x',
  '@x',
  '`x',
  '%x',
  '"q"',
  "'s'",
  '"a\\"b"',
  "'it''s'",
  '[]',
  '{}',
  '[a]',
  '{a: 1}',
  '!tag x',
  '&a x',
  '*a',
  '|',
  '>',
  '1_000',
  '12:30:00',
  '2001-12-14',
  '0',
  '-0',
  '00',
  '1.0',
  '1.50',
  '123456789012345678901',
  'ü',
  '日本',
  'x\u00a0',
  ',x',
  'x,',
  '#x',
  'a\\b',
  '"unterminated',
  "'unterminated",
  '""',
  "''",
  '"x" # c',
  'x # c',
  '0b101',
  '+.5',
  '-.5e-3',
  '1.2.3',
  'v1',
  'apps/v1',
  '25%',
  '128Mi',
  '"8080"',
  "'true'",
  '$(VAR)',
  'a"b',
  "a'b",
];
const PLAIN_SCALARS = ['web', 'nginx:1.25', '3', '250m', 'x y', '"quoted"', "'single'", '-v', '[a, "b c", 80]', '["sh", "-c", "echo hi"]', '[--port, 8080]'];
const TRICKY_FLOW = [
  '[a,b]',
  '[ a ]',
  '[a, ]',
  '[]',
  '[ ]',
  '["a", [b]]',
  '[a: 1]',
  "['it''s']",
  '["x\\"]',
  '[a b]',
  '[#]',
  '[-]',
  '[.5, -1, +2, 0x1F, ~, null, True]',
  '["a"x]',
  '[a,,b]',
];
const KEYS = ['name', 'image', 'app.kubernetes.io/name', 'a-b', '_x', 'constructor', 'toString', 'k8s.io/x', 'v', 'w', 'Yes', 'On'];
const TRICKY_KEYS = ['true', 'null', 'NULL', '80', '"q"', 'x:y', "'s'", '~', '1e3', 'a b'];

function generateDocument(random: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const step = pick([2, 2, 4, 3]);
  const lines: string[] = [];
  const comment = (indent: number): void => {
    if (random() < 0.08) lines.push(`${' '.repeat(indent)}# a comment: with - stuff`);
    if (random() < 0.05) lines.push('');
  };
  const trailing = (): string => (random() < 0.1 ? '  ' : '');
  const scalarText = (): string => {
    const r = random();
    return r < 0.75 ? pick(PLAIN_SCALARS) : r < 0.95 ? pick(TRICKY_SCALARS) : pick(TRICKY_FLOW);
  };
  const writeMap = (indent: number, depth: number, firstPrefix?: string): void => {
    const keys = new Set<string>();
    const n = 1 + Math.floor(random() * 4);
    for (let i = 0; i < n; i++) {
      let key = random() < 0.05 ? pick(TRICKY_KEYS) : pick(KEYS);
      if (keys.has(key) && random() < 0.9) key = `${key}${i}`; // mostly unique, sometimes a duplicate
      keys.add(key);
      const lead = i === 0 && firstPrefix !== undefined ? firstPrefix : ' '.repeat(indent);
      comment(indent);
      const r = random();
      if (depth < 4 && r < 0.25) {
        lines.push(`${lead}${key}:${trailing()}`);
        writeMap(indent + step, depth + 1);
      } else if (depth < 4 && r < 0.45) {
        lines.push(`${lead}${key}:${trailing()}`);
        writeSeq(random() < 0.5 ? indent : indent + step, depth + 1);
      } else if (r < 0.5) {
        lines.push(`${lead}${key}:`); // null
      } else {
        lines.push(`${lead}${key}: ${scalarText()}${trailing()}`);
      }
    }
  };
  const writeSeq = (indent: number, depth: number): void => {
    const n = 1 + Math.floor(random() * 3);
    for (let i = 0; i < n; i++) {
      comment(indent);
      const r = random();
      const pad = ' '.repeat(indent);
      if (depth < 4 && r < 0.4) {
        writeMap(indent + 2, depth + 1, `${pad}- `);
      } else if (depth < 4 && r < 0.5) {
        lines.push(`${pad}-`);
        writeMap(indent + step, depth + 1);
      } else if (r < 0.55) {
        lines.push(`${pad}-`);
      } else {
        lines.push(`${pad}- ${scalarText()}${trailing()}`);
      }
    }
  };
  const docs = 1 + Math.floor(random() * 2);
  for (let d = 0; d < docs; d++) {
    if (d > 0 || random() < 0.3) lines.push('---');
    if (random() < 0.1) lines.push('---');
    if (random() < 0.15) writeSeq(0, 0);
    else writeMap(0, 0);
  }
  if (random() < 0.2) lines.push('---');
  return lines.join('\n') + (random() < 0.8 ? '\n' : '');
}

const MUTATION_CHARS = [' ', ' ', ':', '-', '#', '"', "'", '\n', 'x', '{', '[', '&', '*', '!', '|', '\t', '0', '.'];

function mutate(text: string, random: () => number): string {
  const pos = Math.floor(random() * text.length);
  const r = random();
  if (r < 0.35) return text.slice(0, pos) + text.slice(pos + 1);
  if (r < 0.75) return text.slice(0, pos) + MUTATION_CHARS[Math.floor(random() * MUTATION_CHARS.length)] + text.slice(pos);
  const lines = text.split('\n');
  const i = Math.floor(random() * lines.length);
  if (r < 0.85)
    lines.splice(i, 0, lines[i] ?? ''); // duplicate a line
  else if (r < 0.93)
    lines[i] = ` ${lines[i]}`; // indent one line more
  else lines[i] = (lines[i] ?? '').replace(/^ /, ''); // or less
  return lines.join('\n');
}

describe('simple YAML fast path', () => {
  it('takes the fixtures that are plain block YAML (so the fast path is really used)', () => {
    for (const name of ['nginx-deployment.yaml', 'probes-deployment.yaml', 'namespace.yaml', 'multi-document.yaml']) {
      const f = fixtureTexts.find((x) => x.name === name);
      assert.ok(f, `fixture ${name} exists`);
      assert.equal(compare(f.text, name), true, `${name} should take the fast path`);
    }
  });

  it('equals the yaml library on every fixture it accepts', () => {
    for (const f of fixtureTexts) compare(f.text, f.name);
  });

  const cases: readonly [string, string, boolean][] = [
    // [label, text, fast path expected to accept]
    ['compact sequence under a key', 'a:\n- x\n- y\nb: 1\n', true],
    ['indented sequence', 'a:\n  - x\n  - k: v\n    j: w\nb: 1\n', true],
    ['pending item then map', 'a:\n  -\n    k: v\n  - x\n', true],
    ['null values', 'a:\nb:\n  c:\nd: ~\n', true],
    ['null item at end', 'a:\n  - x\n  -\n', true],
    ['root sequence', '- a\n- b: 1\n  c: 2\n', true],
    ['indented root', '  a: 1\n  b: 2\n', true],
    ['document markers', '---\n---\na: 1\n---\n', true],
    ['comment before marker', '# c\n---\na: 1\n', true],
    ['extra spaces after dash', '-   a: 1\n    b: 2\n', true],
    ['quoted values', 'a: "x y"\nb: \'1\'\nc: ""\n', true],
    ['empty flow', 'a: []\nb: {}\n', true],
    ['crlf', 'a: 1\r\nb: 2\r\n', false],
    ['tab', 'a:\t1\n', false],
    ['flow seq', 'a: [1, "2, 3", \'x\', -v]\n', true],
    ['flow map', 'a: {b: 1}\n', false],
    ['nested flow', 'a: [[1]]\n', false],
    ['block scalar', 'a: |\n  x\n', false],
    ['anchor', 'a: &x 1\nb: *x\n', false],
    ['trailing comment', 'a: 1 # c\n', false],
    ['multi-line plain', 'a: x\n  y\n', false],
    ['duplicate key', 'a: 1\na: 2\n', false],
    ['quoted key', '"a": 1\n', false],
    ['numeric key', '80: http\n', false],
    ['boolean key', 'true: 1\n', false],
    ['merge key', 'a: &d {x: 1}\nb:\n  <<: *d\n', false],
    ['proto key', '__proto__: 1\n', false],
    ['scalar document', 'hello\n', false],
    ['document end marker', 'a: 1\n...\n', false],
    ['directive', '%YAML 1.2\n---\na: 1\n', false],
    ['nested dash', '- - x\n', false],
    ['bad indentation', 'a:\n  b: 1\n c: 2\n', false],
    ['escape in double quotes', 'a: "x\\ny"\n', false],
    ['BOM inside', 'a: \ufeffx\n', false],
  ];
  for (const [label, text, accepted] of cases) {
    it(`${accepted ? 'accepts' : 'declines'}: ${label}`, () => {
      assert.equal(compare(text, label), accepted);
    });
  }

  it('equals the yaml library on generated documents with tricky scalars and keys', () => {
    const random = rng(20240601);
    let accepted = 0;
    const total = 1500;
    for (let i = 0; i < total; i++) if (compare(generateDocument(random), `generated #${i}`)) accepted++;
    // most generated documents are simple; if this drops the fast path has become too timid
    assert.ok(accepted > total * 0.3, `fast path accepted only ${accepted} of ${total}`);
  });

  it('equals the yaml library on random mutations of real manifests', () => {
    const random = rng(7);
    const bases = fixtureTexts.filter((f) => parseSimpleYaml(f.text, 64) !== undefined);
    assert.ok(bases.length >= 3);
    let accepted = 0;
    const total = 3000;
    for (let i = 0; i < total; i++) {
      const base = bases[i % bases.length]!;
      let text = base.text;
      const rounds = 1 + Math.floor(random() * 3);
      for (let r = 0; r < rounds; r++) text = mutate(text, random);
      if (compare(text, `mutation #${i} of ${base.name}`)) accepted++;
    }
    assert.ok(accepted > 0);
  });

  it('declines nesting deeper than the limit (the library reports it)', () => {
    const deep = Array.from({ length: 5 }, (_, i) => `${' '.repeat(i * 2)}a:`).join('\n') + ' 1\n';
    assert.notEqual(parseSimpleYaml(deep, 5), undefined);
    assert.equal(parseSimpleYaml(deep, 4), undefined);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnostic } from '../../../src/core/index.js';
import { DEFAULT_PARSE_LIMITS, parseYaml, type ParseLimits } from '../../../src/manifests/parse.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const nested = (depth: number): string => Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1\n';

interface Case {
  readonly name: string;
  readonly input: Uint8Array;
  readonly limits?: Partial<ParseLimits>;
  /** expected diagnostics (subset of fields); [] = none */
  readonly diagnostics: readonly Partial<Diagnostic>[];
  /** expected [index, line] of the documents returned */
  readonly documents?: readonly [number, number][];
}

const cases: readonly Case[] = [
  { name: 'one plain document', input: utf8('a: 1\n'), diagnostics: [], documents: [[0, 1]] },
  {
    name: 'broken YAML: unclosed flow sequence, with line and column',
    input: utf8('a: 1\nb: [1, 2\nc: 3\n'),
    diagnostics: [{ severity: 'error', code: 'YAML_SYNTAX', line: 3, column: 1, document: 0 }],
  },
  {
    name: 'broken YAML: bad indentation',
    input: utf8('a:\n  b: 1\n c: 2\n'),
    diagnostics: [{ severity: 'error', code: 'YAML_SYNTAX', line: 3, document: 0 }],
  },
  {
    name: 'broken YAML in the second document only',
    input: utf8('a: 1\n---\nb: "unterminated\n'),
    diagnostics: [{ severity: 'error', code: 'YAML_SYNTAX', document: 1 }],
    documents: [[0, 1]],
  },
  {
    name: 'alias bomb ("billion laughs")',
    input: utf8(
      'a: &a [x, x, x, x, x, x, x, x, x, x]\n' +
        'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n' +
        'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n' +
        'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n' +
        'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n',
    ),
    diagnostics: [{ severity: 'error', code: 'YAML_ALIAS_LIMIT', line: 1 }],
  },
  { name: 'a few aliases are fine', input: utf8('a: &a {x: 1}\nb: *a\n'), diagnostics: [], documents: [[0, 1]] },
  {
    name: 'file larger than the limit',
    input: utf8(`a: ${'x'.repeat(200)}\n`),
    limits: { maxFileBytes: 100 },
    diagnostics: [{ severity: 'error', code: 'FILE_TOO_LARGE', message: 'file is 204 bytes; the limit is 100 bytes' }],
  },
  {
    name: 'file larger than the default 1 MiB',
    input: utf8(`a: ${'x'.repeat(1024 * 1024)}\n`),
    diagnostics: [{ severity: 'error', code: 'FILE_TOO_LARGE' }],
  },
  { name: 'not UTF-8 (Latin-1 bytes)', input: Uint8Array.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]), diagnostics: [{ severity: 'error', code: 'FILE_NOT_UTF8' }] },
  { name: 'binary (NUL bytes)', input: Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00]), diagnostics: [{ severity: 'error', code: 'FILE_BINARY' }] },
  { name: 'UTF-16 with BOM', input: Uint8Array.from([0xff, 0xfe, 0x61, 0x00, 0x3a, 0x00]), diagnostics: [{ severity: 'error', code: 'FILE_BINARY' }] },
  { name: 'UTF-8 BOM is accepted', input: Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8('a: 1\n')]), diagnostics: [], documents: [[0, 1]] },
  { name: 'nesting at the limit (64)', input: utf8(nested(64)), diagnostics: [], documents: [[0, 1]] },
  { name: 'block nesting over the limit', input: utf8(nested(65)), diagnostics: [{ severity: 'error', code: 'YAML_TOO_DEEP', line: 65, column: 65 }] },
  {
    name: 'flow nesting over the limit',
    input: utf8(`${'['.repeat(65)}${']'.repeat(65)}\n`),
    diagnostics: [{ severity: 'error', code: 'YAML_TOO_DEEP', line: 1 }],
  },
  {
    name: 'compact sequence nesting over the limit',
    input: utf8(`${'- '.repeat(65)}x\n`),
    diagnostics: [{ severity: 'error', code: 'YAML_TOO_DEEP', line: 1 }],
  },
  { name: 'a lower depth limit', input: utf8(nested(5)), limits: { maxDepth: 4 }, diagnostics: [{ severity: 'error', code: 'YAML_TOO_DEEP', line: 5 }] },
  {
    name: 'duplicate key is an error at the second key, naming the first',
    input: utf8('a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n'),
    diagnostics: [
      {
        severity: 'error',
        code: 'YAML_DUPLICATE_KEY',
        line: 5,
        column: 3,
        message: 'duplicate key "c" (first at line 3); keys must be unique within a mapping',
      },
    ],
  },
  {
    name: 'duplicate key in a flow mapping',
    input: utf8('a: {x: 1, x: 2}\n'),
    diagnostics: [{ severity: 'error', code: 'YAML_DUPLICATE_KEY', line: 1 }],
  },
  { name: 'merge keys may repeat', input: utf8('a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: *a\n  <<: *b\n'), diagnostics: [], documents: [[0, 1]] },
  { name: 'empty file', input: utf8(''), diagnostics: [{ severity: 'error', code: 'FILE_EMPTY', line: 1 }] },
  { name: 'whitespace and comments only', input: utf8('\n# nothing here\n   \n'), diagnostics: [{ severity: 'error', code: 'FILE_EMPTY' }] },
  { name: 'separators only', input: utf8('---\n---\n'), diagnostics: [{ severity: 'error', code: 'FILE_EMPTY' }] },
  {
    name: 'empty documents are skipped, indexes count them',
    input: utf8('---\n---\na: 1\n---\n# only a comment\n---\nb: 2\n'),
    diagnostics: [],
    documents: [
      [1, 3],
      [3, 7],
    ],
  },
  {
    name: 'unresolved tag is a warning; the value stays',
    input: utf8('a: !Ref thing\n'),
    diagnostics: [{ severity: 'warning', code: 'YAML_WARNING', line: 1, column: 4 }],
    documents: [[0, 1]],
  },
  { name: 'CRLF line endings', input: utf8('a: 1\r\nb:\r\n  c: 2\r\n'), diagnostics: [], documents: [[0, 1]] },
];

describe('parseYaml', () => {
  for (const c of cases) {
    it(c.name, () => {
      const result = parseYaml(c.input, { ...DEFAULT_PARSE_LIMITS, ...c.limits });
      assert.equal(result.diagnostics.length, c.diagnostics.length, JSON.stringify(result.diagnostics));
      c.diagnostics.forEach((expected, i) => {
        const actual = result.diagnostics[i]!;
        for (const [key, value] of Object.entries(expected)) assert.deepEqual(actual[key as keyof Diagnostic], value, `${key} of ${JSON.stringify(actual)}`);
        assert.equal(actual.file, undefined, 'parse results are path-independent');
      });
      if (c.documents) {
        assert.deepEqual(
          result.documents.map((d) => [d.index, d.line]),
          c.documents,
        );
      }
    });
  }

  it('values: YAML 1.2 core schema, merge keys, no JS-only types', () => {
    const { documents } = parseYaml(utf8('a: &d {x: 1}\nb:\n  <<: *d\n  y: yes\nc: 2001-12-14\nd: !!binary aGVsbG8=\ne: 0x1F\nf: "8080"\n'));
    assert.deepEqual(documents[0]?.value, { a: { x: 1 }, b: { x: 1, y: 'yes' }, c: '2001-12-14', d: 'aGVsbG8=', e: 31, f: '8080' });
  });

  it('hostile input: 1 MiB of nesting is refused as too deep (bounded work, no stack overflow)', () => {
    for (const text of ['['.repeat(1024 * 1024 - 1), `${'- '.repeat(512 * 1024 - 1)}x`, '{a: '.repeat(256 * 1024 - 1)]) {
      const result = parseYaml(utf8(text));
      assert.equal(result.diagnostics[0]?.code, 'YAML_TOO_DEEP');
    }
  });

  it('a mapping with many keys (library path) parses without false duplicate-key errors', () => {
    let text = 'flow: {a: 1}\n'; // a flow mapping forces the library path
    for (let i = 0; i < 12_000; i++) text += `k${i}: ${i}\n`;
    assert.equal(parseYaml(utf8(text)).diagnostics.length, 0);
  });

  it('locates fields on both paths', () => {
    const text = 'a:\n  b:\n    - x\n    - c: 1\n      d: 2\n';
    for (const variant of [text, `${text}e: [1, {f: 2}]\n`]) {
      const doc = parseYaml(utf8(variant)).documents[0]!;
      assert.deepEqual(doc.locate(['a', 'b', 1, 'd']), { line: 5, column: 7 });
      assert.deepEqual(doc.locate(['a', 'b', 0]), { line: 3, column: 7 });
      assert.deepEqual(doc.locate(['a', 'missing', 'deeper']), { line: 1, column: 1 }, 'falls back to the nearest existing parent');
    }
  });
});

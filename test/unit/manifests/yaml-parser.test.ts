import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Lexer, Parser, type CST } from 'yaml';
import { TokenParser, usesFastTokenPath } from '../../../src/manifests/yaml-parser.js';

const FIXTURES = new URL('../../fixtures/manifests/', import.meta.url);

function tokens(P: typeof Parser, text: string): CST.Token[] {
  const newLines: number[] = [];
  const parser = new P((offset) => newLines.push(offset));
  const out: CST.Token[] = [];
  for (const lexeme of new Lexer().lex(text)) out.push(...parser.next(lexeme));
  out.push(...parser.end());
  return [...out, { type: 'comment', offset: -1, indent: 0, source: newLines.join(',') } as CST.Token];
}

describe('TokenParser (yaml Parser without the per-token process.env read)', () => {
  it('is active with the installed yaml version (else refresh the copy of next() in yaml-parser.ts)', () => {
    assert.equal(usesFastTokenPath, true);
  });

  it('produces exactly the CST tokens of the stock Parser', () => {
    const texts = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => readFileSync(new URL(f, FIXTURES), 'utf8'));
    texts.push('a: [1, {b: "x\\ny"}]\n--- !tag\n? complex\n: value\n... \n%YAML 1.2\n---\nx: |\n  block\n', 'a:\tb\r\n"unterminated\n  - bad: [\n', '');
    for (const text of texts) assert.deepEqual(tokens(TokenParser, text), tokens(Parser, text));
  });
});

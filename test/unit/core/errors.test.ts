import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { BerthError, canonicalJson, ERROR_CODES, hashOf } from '../../../src/core/index.js';
import { classifyError } from '../../../src/controller/index.js';

describe('error codes', () => {
  it('every code is documented in docs/errors.md with its handling', async () => {
    const doc = await readFile(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    for (const [code, { handling }] of Object.entries(ERROR_CODES)) {
      assert.match(doc, new RegExp(`\\| \`${code}\` \\| ${handling} \\|`), `${code} (${handling}) is missing from docs/errors.md`);
    }
  });

  const table: [ConstructorParameters<typeof BerthError>[0], string, boolean][] = [
    ['SOURCE_UNREACHABLE', 'transient', true],
    ['ENGINE_UNREACHABLE', 'transient', true],
    ['IMAGE_PULL_FAILED', 'waiting', true],
    ['MANIFEST_INVALID', 'stalled', false],
  ];
  for (const [code, handling, retries] of table) {
    it(`${code} is ${handling}${retries ? ', retried with back-off' : ', not retried'}`, () => {
      const v1 = classifyError(new BerthError(code, 'x'), 1);
      const v4 = classifyError(new BerthError(code, 'x'), 4);
      assert.equal(v1.handling, handling);
      assert.equal(v1.retryAfterMs !== undefined, retries);
      if (retries) assert.ok(v4.retryAfterMs! >= v1.retryAfterMs!);
    });
  }
  it('an unexpected error keeps the loop alive (transient)', () => assert.equal(classifyError(new TypeError('boom'), 1).handling, 'transient'));
});

describe('canonical hashing', () => {
  it('key order and undefined members do not change the hash', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } }), '{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
    assert.equal(hashOf({ a: 1, b: 2 }), hashOf({ b: 2, a: 1 }));
    assert.notEqual(hashOf({ a: 1 }), hashOf({ a: 2 }));
  });
});

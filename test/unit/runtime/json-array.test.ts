import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createJsonArraySplitter } from '../../../src/runtime/docker/json-array.js';

/** Feeds `text` split at `cuts` (byte offsets) and returns the elements, or the error thrown. */
function read(text: string, cuts: readonly number[] = []): unknown[] | Error {
  const bytes = Buffer.from(text, 'utf8');
  const out: unknown[] = [];
  const splitter = createJsonArraySplitter((v) => out.push(v));
  try {
    let from = 0;
    for (const cut of [...cuts, bytes.length]) {
      splitter.push(bytes.subarray(from, cut));
      from = cut;
    }
    splitter.end();
    return out;
  } catch (err) {
    return err as Error;
  }
}

const VALID: readonly (readonly [string, string])[] = [
  ['empty', '[]'],
  ['empty, spaced', ' \n[ \t]\r\n'],
  ['objects (an engine list)', '[{"Id":"a1","Names":["/web-1"],"Labels":{"app":"web"}},{"Id":"b2","Ports":[]}]'],
  ['brackets, braces and commas inside strings', '[{"a":"],[{}"},{"b":"x,y]"}]'],
  ['escaped quotes and backslashes', String.raw`[{"a":"say \"hi\"","b":"C:\\dir\\","c":"\\\""},"\\"]`],
  ['unicode escapes and multi-byte characters', '[{"name":"caf\\u00e9 ☕ 日本","emoji":"🚢"}]'],
  ['nested arrays and objects', '[[1,[2,[3]]],{"a":{"b":{"c":[{}]}}},[]]'],
  ['primitives', '[1, -2.5e3 ,true,false,null,"s"]'],
  ['spaces everywhere', '[ {"a" : 1 } ,\n { "b":[ 1 , 2 ] } ]'],
];

describe('createJsonArraySplitter', () => {
  test('every element, for every place a chunk can end (single cuts and pairs)', () => {
    for (const [name, text] of VALID) {
      const want = JSON.parse(text) as unknown[];
      const length = Buffer.byteLength(text);
      assert.deepEqual(read(text), want, `${name}: one chunk`);
      for (let a = 0; a <= length; a++) {
        assert.deepEqual(read(text, [a]), want, `${name}: cut at ${a}`);
        for (let b = a; b <= length; b += 3) assert.deepEqual(read(text, [a, b]), want, `${name}: cuts at ${a}, ${b}`);
      }
    }
  });

  test('one byte per chunk', () => {
    for (const [name, text] of VALID) {
      const cuts = Array.from({ length: Buffer.byteLength(text) }, (_, i) => i);
      assert.deepEqual(read(text, cuts), JSON.parse(text), name);
    }
  });

  test('each element is handed over as soon as it is complete', () => {
    const seen: unknown[] = [];
    const splitter = createJsonArraySplitter((v) => seen.push(v));
    splitter.push(Buffer.from('[{"a":1},{"b"'));
    assert.deepEqual(seen, [{ a: 1 }]);
    splitter.push(Buffer.from(':2}]'));
    splitter.end();
    assert.deepEqual(seen, [{ a: 1 }, { b: 2 }]);
  });

  const INVALID: readonly (readonly [string, string, RegExp])[] = [
    ['nothing', '', /it is empty/],
    ['an object, not an array', '{"a":1}', /it starts with "\{"/],
    ['cut before the end', '[{"a":1},{"b":', /ends before the array is closed/],
    ['cut inside a string', '[{"a":"x', /ends before the array is closed/],
    ['bytes after the end', '[1] 2', /bytes after its end/],
    ['a trailing comma', '[1,]', /a trailing comma/],
    ['an empty element', '[1,,2]', /an empty element/],
    ['a leading comma', '[,1]', /an empty element/],
    ['a stray closing brace', '[1}]', /a closing bracket without its opening one/],
    ['an element that is not JSON', '[{"a":tru}]', /JSON/],
  ];

  test('a body that is not one JSON array throws, wherever the chunks end', () => {
    for (const [name, text, message] of INVALID) {
      for (let cut = 0; cut <= Buffer.byteLength(text); cut++) {
        const got = read(text, [cut]);
        assert.ok(got instanceof Error, `${name} (cut at ${cut}): throws, got ${JSON.stringify(got)}`);
        assert.match(got.message, message, `${name} (cut at ${cut})`);
      }
    }
  });
});

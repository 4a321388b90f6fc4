import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entriesOf, ownValue, setOwn, spreadOwn } from '../../../src/core/index.js';

describe('ownValue / setOwn: outside keys never reach Object.prototype', () => {
  const record: Record<string, number> = { web: 1, constructor: 2 };
  const table: [key: string, from: Record<string, number> | undefined, expected: number | undefined][] = [
    ['web', record, 1],
    ['constructor', record, 2], // an own entry of that name is found
    ['constructor', { web: 1 }, undefined], // an inherited one is not (plain lookup: Object)
    ['toString', { web: 1 }, undefined],
    ['hasOwnProperty', { web: 1 }, undefined],
    ['__proto__', { web: 1 }, undefined], // plain lookup: Object.prototype
    ['web', undefined, undefined],
  ];
  for (const [key, from, expected] of table) {
    it(`${key} in ${JSON.stringify(from)} → ${expected}`, () => assert.equal(ownValue(from, key), expected));
  }

  it('setOwn with `__proto__` adds an entry and leaves the prototype alone', () => {
    const o: Record<string, unknown> = {};
    setOwn(o, '__proto__', { polluted: true });
    assert.equal(Object.getPrototypeOf(o), Object.prototype);
    assert.deepEqual(Object.keys(o), ['__proto__']);
    assert.equal((o as { polluted?: boolean }).polluted, undefined);
    assert.deepEqual(ownValue(o, '__proto__'), { polluted: true });
  });
});

describe('spreadOwn: the same object as a spread', () => {
  const proto = JSON.parse('{"__proto__": {"x": 1}, "a": 2}') as Record<string, unknown>;
  const table: [name: string, parts: object[]][] = [
    [
      'later parts win, keys keep their first place',
      [
        { a: 1, b: 2 },
        { b: 3, c: 4 },
      ],
    ],
    ['an own __proto__ key stays an own key', [proto, { source: 1 }]],
    ['integer-like keys', [{ b: 1, 2: 'x', 1: 'y' }, { 0: 'z' }]],
    ['nothing', []],
  ];
  for (const [name, parts] of table)
    it(name, () => {
      const expected = { ...parts[0], ...parts[1] }; // every case has at most two parts
      const got = spreadOwn<object>(...parts);
      assert.deepEqual(Object.entries(got), Object.entries(expected));
      assert.equal(Object.getPrototypeOf(got), Object.prototype);
    });
});

describe('entriesOf: a record keyed namespace/name, by namespace then name', () => {
  const record = { 'shop/web': 1, 'shop/api': 2, 'blog/web': 3, 'no-slash': 4, 'shop/': 5 };
  const rows: [string, string, [string, number][] | undefined][] = [
    [
      'the namespace has entries',
      'shop',
      [
        ['web', 1],
        ['api', 2],
        ['', 5],
      ],
    ],
    ['another namespace, the same name', 'blog', [['web', 3]]],
    ['a namespace without entries', 'ops', undefined],
    ['a key without a slash belongs to no namespace', 'no-slash', undefined],
    ['an inherited name is no namespace', 'constructor', undefined],
  ];
  for (const [what, namespace, expected] of rows) {
    it(what, () => {
      const found = entriesOf(record, namespace);
      assert.deepEqual(found && [...found], expected);
    });
  }

  it('no record: none; a replaced record is read anew (records are replaced, never changed in place)', () => {
    assert.equal(entriesOf(undefined, 'shop'), undefined);
    const first: Record<string, number> = { 'shop/web': 1 };
    assert.equal(entriesOf(first, 'shop')?.get('web'), 1);
    const replaced = { ...first, 'shop/web': 2 };
    assert.equal(entriesOf(replaced, 'shop')?.get('web'), 2);
    assert.equal(entriesOf(first, 'shop')?.get('web'), 1);
  });
});

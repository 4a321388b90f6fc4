import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ownValue, setOwn, spreadOwn } from '../../../src/core/index.js';

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

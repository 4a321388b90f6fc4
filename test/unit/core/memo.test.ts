import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoByText } from '../../../src/core/index.js';

describe('memoByText', () => {
  it('computes each text once and hands every caller the same value', () => {
    let calls = 0;
    const parse = memoByText((s) => {
      calls++;
      return Object.freeze(JSON.parse(s) as object);
    });
    const a = parse('{"http":8080}');
    assert.equal(parse('{"http":8080}'), a);
    assert.deepEqual(a, { http: 8080 });
    assert.equal(calls, 1);
    parse('{"metrics":9090}');
    assert.equal(calls, 2);
  });

  it('remembers undefined results too', () => {
    let calls = 0;
    const f = memoByText(() => {
      calls++;
      return undefined;
    });
    f('x');
    f('x');
    assert.equal(calls, 1);
  });

  it('never holds more than its capacity: full, it starts over', () => {
    const seen: string[] = [];
    const f = memoByText((s) => {
      seen.push(s);
      return s.length;
    }, 2);
    for (const s of ['a', 'b', 'a', 'c', 'a']) f(s);
    // a, b computed; a remembered; c clears (a and b forgotten); a computed again.
    assert.deepEqual(seen, ['a', 'b', 'c', 'a']);
  });
});

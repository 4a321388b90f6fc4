import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, classifyError } from '../../../src/controller/index.js';
import { BerthError } from '../../../src/core/index.js';

describe('backoffMs (failed passes and the engine event stream reconnect)', () => {
  const table: [number, number | undefined, number][] = [
    [0, undefined, 1_000],
    [1, undefined, 1_000],
    [2, undefined, 2_000],
    [3, undefined, 4_000],
    [7, undefined, 60_000],
    [30, undefined, 60_000],
    [5, 30_000, 16_000],
    [6, 30_000, 30_000],
  ];
  for (const [attempt, max, expected] of table) {
    it(`attempt ${attempt}${max ? `, cap ${max}` : ''} → ${expected} ms`, () => assert.equal(backoffMs(attempt, max), expected));
  }

  it('a transient error retries after the back-off; a waiting one after at least 5 s', () => {
    assert.equal(classifyError(new BerthError('ENGINE_UNREACHABLE', 'x'), 3).retryAfterMs, 4_000);
    assert.equal(classifyError(new Error('boom'), 2).retryAfterMs, 2_000);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fenceposts, resolveIntOrPercent, restartDelayMs } from '../../../src/rollout/index.js';

describe('fenceposts (Kubernetes rounding: surge up, unavailable down)', () => {
  const table: [number | string, number | string, number, { maxSurge: number; maxUnavailable: number }][] = [
    ['25%', '25%', 4, { maxSurge: 1, maxUnavailable: 1 }],
    ['25%', '25%', 10, { maxSurge: 3, maxUnavailable: 2 }],
    ['25%', '25%', 1, { maxSurge: 1, maxUnavailable: 0 }],
    [2, 0, 10, { maxSurge: 2, maxUnavailable: 0 }],
    ['0%', '10%', 3, { maxSurge: 0, maxUnavailable: 1 }],
    [0, 5, 3, { maxSurge: 0, maxUnavailable: 3 }],
  ];
  for (const [surge, unavailable, replicas, expected] of table) {
    it(`${surge}/${unavailable} of ${replicas}`, () => assert.deepEqual(fenceposts(surge, unavailable, replicas), expected));
  }
  it('resolves integers and percents', () => {
    assert.equal(resolveIntOrPercent('33%', 10, 'up'), 4);
    assert.equal(resolveIntOrPercent('33%', 10, 'down'), 3);
    assert.equal(resolveIntOrPercent(7, 10, 'down'), 7);
  });
});

describe('crash back-off (kubelet: 10 s doubling to 5 min)', () => {
  const table: [number, number][] = [
    [0, 0],
    [1, 10_000],
    [2, 20_000],
    [3, 40_000],
    [6, 300_000],
    [20, 300_000],
  ];
  for (const [restarts, ms] of table) it(`${restarts} restarts → ${ms} ms`, () => assert.equal(restartDelayMs(restarts), ms));
});

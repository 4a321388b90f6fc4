import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../src/core/index.js';
import { HookTrigger } from '../../../src/server/hook-trigger.js';

/** A sync whose completion the test controls. */
function gatedSync() {
  const pending: (() => void)[] = [];
  let calls = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const sync = () => {
    calls++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return new Promise<{ commit?: string }>((resolve) =>
      pending.push(() => {
        inFlight--;
        resolve({ commit: 'c'.repeat(40) });
      }),
    );
  };
  /** Completes the oldest running sync and lets the trigger's continuation run. */
  const finishOne = async () => {
    pending.shift()?.();
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return { sync, finishOne, stats: () => ({ calls, inFlight, maxInFlight }) };
}

describe('HookTrigger', () => {
  it('a burst of 20 fires costs two syncs, never two at once', async () => {
    const g = gatedSync();
    const t = new HookTrigger(g.sync, silentLogger);
    const results = Array.from({ length: 20 }, () => t.fire());
    assert.equal(results.filter((r) => r === 'started').length, 1);
    assert.deepEqual(g.stats(), { calls: 1, inFlight: 1, maxInFlight: 1 });
    await g.finishOne();
    assert.deepEqual(g.stats(), { calls: 2, inFlight: 1, maxInFlight: 1 }, 'one more sync runs for the coalesced pushes');
    await g.finishOne();
    assert.deepEqual(g.stats(), { calls: 2, inFlight: 0, maxInFlight: 1 }, 'and nothing after it');
    assert.equal(t.fire(), 'started', 'idle again: the next push starts a sync');
    await g.finishOne();
  });

  it('a failing sync does not wedge the trigger', async () => {
    let calls = 0;
    const t = new HookTrigger(() => {
      calls++;
      return Promise.reject(new Error('fetch failed'));
    }, silentLogger);
    t.fire();
    for (let i = 0; i < 10; i++) await Promise.resolve();
    assert.equal(t.fire(), 'started');
    assert.equal(calls, 2);
  });

  it('starts nothing after close', async () => {
    const g = gatedSync();
    const t = new HookTrigger(g.sync, silentLogger);
    t.fire();
    t.fire();
    t.close();
    await g.finishOne();
    assert.equal(g.stats().calls, 1);
  });
});

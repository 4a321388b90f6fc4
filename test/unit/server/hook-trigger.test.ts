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

/** The coalescing alone, without the interval between syncs. */
const NO_INTERVAL = { minIntervalMs: 0 };

/** A clock the test moves: waits resolve when the time passes their end. */
function manualClock() {
  let t = 1_000_000;
  const waits: { until: number; resolve: () => void }[] = [];
  return {
    now: () => t,
    wait: (ms: number) => new Promise<void>((resolve) => waits.push({ until: t + ms, resolve })),
    pendingWaits: () => waits.length,
    async advance(ms: number) {
      t += ms;
      for (const w of waits.splice(0)) {
        if (w.until <= t) w.resolve();
        else waits.push(w);
      }
      for (let i = 0; i < 10; i++) await Promise.resolve();
    },
  };
}

describe('HookTrigger', () => {
  it('a burst of 20 fires costs two syncs, never two at once', async () => {
    const g = gatedSync();
    const t = new HookTrigger(g.sync, silentLogger, undefined, NO_INTERVAL);
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
    const t = new HookTrigger(
      () => {
        calls++;
        return Promise.reject(new Error('fetch failed'));
      },
      silentLogger,
      undefined,
      NO_INTERVAL,
    );
    t.fire();
    for (let i = 0; i < 10; i++) await Promise.resolve();
    assert.equal(t.fire(), 'started');
    assert.equal(calls, 2);
  });

  it('starts nothing after close', async () => {
    const g = gatedSync();
    const t = new HookTrigger(g.sync, silentLogger, undefined, NO_INTERVAL);
    t.fire();
    t.fire();
    t.close();
    await g.finishOne();
    assert.equal(g.stats().calls, 1);
  });

  it('syncs start at least minIntervalMs apart: pushes arriving in the gap join the one waiting', async () => {
    const g = gatedSync();
    const clock = manualClock();
    const t = new HookTrigger(g.sync, silentLogger, undefined, { minIntervalMs: 2000, now: clock.now, wait: clock.wait });
    // Worked example: the first push starts sync#1 at once; it ends 70 ms later.
    assert.equal(t.fire(), 'started');
    await clock.advance(70);
    await g.finishOne();
    assert.deepEqual(g.stats(), { calls: 1, inFlight: 0, maxInFlight: 1 });
    // 199 more (replayed, without `after`) arrive over the next second: the first waits for the
    // interval (until t0 + 2000), the rest join it.
    const results: string[] = [];
    for (let i = 0; i < 199; i++) {
      results.push(t.fire());
      if (i % 20 === 0) await clock.advance(5);
    }
    assert.deepEqual([results.filter((r) => r === 'started').length, results.filter((r) => r === 'coalesced').length], [1, 198]);
    assert.equal(g.stats().calls, 1, 'nothing fetched before the interval ends');
    await clock.advance(2000);
    assert.equal(g.stats().calls, 2, 'one sync for all of them when the interval ends');
    await g.finishOne();
    assert.deepEqual(g.stats(), { calls: 2, inFlight: 0, maxInFlight: 1 }, 'and nothing after it');
    assert.equal(clock.pendingWaits(), 0);
  });

  it('a push long after the last sync starts one at once', async () => {
    const g = gatedSync();
    const clock = manualClock();
    const t = new HookTrigger(g.sync, silentLogger, undefined, { minIntervalMs: 2000, now: clock.now, wait: clock.wait });
    t.fire();
    await g.finishOne();
    await clock.advance(5000);
    assert.equal(t.fire(), 'started');
    assert.equal(g.stats().calls, 2, 'no wait: the interval has passed');
    await g.finishOne();
  });
});

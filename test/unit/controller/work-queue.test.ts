import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkQueue } from '../../../src/controller/index.js';
import { eventually } from '../../helpers/eventually.js';

/** A clock the test moves by hand. */
function manualClock(start = 0): { now(): Date; advance(ms: number): void } {
  let t = start;
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

describe('WorkQueue', () => {
  it('never runs one key twice at once, reruns a key enqueued while running, runs keys in parallel', async () => {
    const running = new Set<string>();
    const log: string[] = [];
    let maxParallel = 0;
    let release: (() => void) | undefined;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue(
      async (key) => {
        assert.ok(!running.has(key), `${key} ran twice at once`);
        running.add(key);
        maxParallel = Math.max(maxParallel, running.size);
        log.push(key);
        if (key === 'a' && log.filter((k) => k === 'a').length === 1) await gate;
        running.delete(key);
        return {};
      },
      { clock: manualClock(), concurrency: 4 },
    );
    q.enqueue('a');
    q.enqueue('b');
    q.enqueue('a'); // while a runs: marks it dirty
    q.enqueue('a'); // coalesces
    await eventually(() => assert.ok(log.includes('b'), 'b ran while a was held'), { timeoutMs: 5_000, intervalMs: 1 });
    release!();
    await q.idle();
    assert.deepEqual(log.filter((k) => k === 'a').length, 2);
    assert.deepEqual(log.filter((k) => k === 'b').length, 1);
    assert.equal(maxParallel, 2);
  });

  it('requeues after the delay the worker asks for, and stop() cancels it', async () => {
    let runs = 0;
    const q = new WorkQueue(
      async () => {
        runs++;
        return runs < 3 ? { requeueAfterMs: 5 } : {};
      },
      { clock: manualClock() },
    );
    q.enqueue('x');
    while (runs < 3) await new Promise((r) => setTimeout(r, 5));
    await q.idle();
    assert.equal(runs, 3);
    assert.equal(q.hasTimers(), false);
    q.stop();
  });

  it('a failed pass that backs off ignores ordinary enqueues until its retry; force goes through', async () => {
    let runs = 0;
    const q = new WorkQueue(
      async () => {
        runs++;
        return runs === 1 ? { requeueAfterMs: 60_000, holdOff: true } : {};
      },
      { clock: manualClock() },
    );
    q.enqueue('ns');
    await q.idle();
    assert.equal(runs, 1);
    for (let i = 0; i < 10; i++) q.enqueue('ns'); // e.g. engine events about the failed create
    await q.idle();
    assert.equal(runs, 1, 'events during the back-off do not re-run the failing pass');
    q.enqueue('ns', 0, { force: true }); // e.g. a new commit
    await q.idle();
    assert.equal(runs, 2, 'a forced enqueue runs at once');
    q.stop();
  });

  it('the back-off ends when the injected clock passes it, not before', async () => {
    const clock = manualClock(1_000_000);
    let runs = 0;
    const q = new WorkQueue(
      async () => {
        runs++;
        return runs === 1 ? { requeueAfterMs: 60_000, holdOff: true } : {};
      },
      { clock },
    );
    q.enqueue('ns');
    await q.idle();
    clock.advance(59_999);
    q.enqueue('ns');
    await q.idle();
    assert.equal(runs, 1, '1 ms before the retry is due: still held');
    clock.advance(1);
    q.enqueue('ns');
    await q.idle();
    assert.equal(runs, 2, 'at the due time a plain enqueue runs');
    q.stop();
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkQueue } from '../../../src/controller/index.js';

describe('WorkQueue', () => {
  it('never runs one key twice at once, reruns a key enqueued while running, runs keys in parallel', async () => {
    const running = new Set<string>();
    const log: string[] = [];
    let maxParallel = 0;
    let release: (() => void) | undefined;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue(async (key) => {
      assert.ok(!running.has(key), `${key} ran twice at once`);
      running.add(key);
      maxParallel = Math.max(maxParallel, running.size);
      log.push(key);
      if (key === 'a' && log.filter((k) => k === 'a').length === 1) await gate;
      running.delete(key);
      return {};
    }, 4);
    q.enqueue('a');
    q.enqueue('b');
    q.enqueue('a'); // while a runs: marks it dirty
    q.enqueue('a'); // coalesces
    await new Promise((r) => setTimeout(r, 10));
    release!();
    await q.idle();
    assert.deepEqual(log.filter((k) => k === 'a').length, 2);
    assert.deepEqual(log.filter((k) => k === 'b').length, 1);
    assert.equal(maxParallel, 2);
  });

  it('requeues after the delay the worker asks for, and stop() cancels it', async () => {
    let runs = 0;
    const q = new WorkQueue(async () => {
      runs++;
      return runs < 3 ? { requeueAfterMs: 5 } : {};
    });
    q.enqueue('x');
    while (runs < 3) await new Promise((r) => setTimeout(r, 5));
    await q.idle();
    assert.equal(runs, 3);
    assert.equal(q.hasTimers(), false);
    q.stop();
  });

  it('a failed pass that backs off ignores ordinary enqueues until its retry; force goes through', async () => {
    let runs = 0;
    const q = new WorkQueue(async () => {
      runs++;
      return runs === 1 ? { requeueAfterMs: 60_000, holdOff: true } : {};
    });
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
});

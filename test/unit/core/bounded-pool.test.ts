import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundedPool } from '../../../src/core/index.js';

/** A task the test finishes by hand: its start is recorded, it settles when told. */
function gate(log: string[], name: string) {
  let settle!: (fail: boolean) => void;
  const done = new Promise<string>((resolve, reject) => {
    settle = (fail) => (fail ? reject(new Error(`${name} failed`)) : resolve(name));
  });
  return {
    task: () => {
      log.push(`start ${name}`);
      return done;
    },
    finish: () => settle(false),
    fail: () => settle(true),
  };
}

/** Lets every settled promise's continuations run. */
const drain = () => new Promise((r) => setImmediate(r));

describe('boundedPool', () => {
  it('limit 2, five tasks: two run at once, the rest start in FIFO order as slots free up', async () => {
    const log: string[] = [];
    const pool = boundedPool(2);
    const gates = ['a', 'b', 'c', 'd', 'e'].map((n) => gate(log, n));
    const results = gates.map((g) => pool(g.task));
    await drain();
    assert.deepEqual(log, ['start a', 'start b']);
    gates[1]!.finish(); // b frees its slot: c, the first waiting, takes it
    await drain();
    assert.deepEqual(log, ['start a', 'start b', 'start c']);
    gates[0]!.finish();
    gates[2]!.finish();
    await drain();
    assert.deepEqual(log, ['start a', 'start b', 'start c', 'start d', 'start e']);
    gates[3]!.finish();
    gates[4]!.finish();
    assert.deepEqual(await Promise.all(results), ['a', 'b', 'c', 'd', 'e']);
  });

  it('a task that fails frees its slot, and its caller gets the failure', async () => {
    const log: string[] = [];
    const pool = boundedPool(1);
    const [a, b] = [gate(log, 'a'), gate(log, 'b')];
    const first = pool(a.task);
    const second = pool(b.task);
    await drain();
    assert.deepEqual(log, ['start a']);
    a.fail();
    await assert.rejects(first, /a failed/);
    await drain();
    assert.deepEqual(log, ['start a', 'start b']);
    b.finish();
    assert.equal(await second, 'b');
  });

  it('a task may schedule more on the same pool (it does not await them while holding its slot)', async () => {
    const pool = boundedPool(1);
    const inner: Promise<string>[] = [];
    const outer = await pool(async () => {
      inner.push(pool(async () => 'child'));
      return 'parent';
    });
    assert.equal(outer, 'parent');
    assert.deepEqual(await Promise.all(inner), ['child']);
  });

  it('refuses a limit that is not a positive integer', () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) assert.throws(() => boundedPool(limit), RangeError, String(limit));
  });
});

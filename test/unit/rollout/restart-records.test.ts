/**
 * Restart records live on the containers (labels berth.restarts / berth.restarted-at), not in
 * berth's memory: these tables show the round trip label → record → next step → label, so a
 * restarted berth continues a back-off and a CrashLoop count where the last one was.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { restartOf } from '../../../src/observed/observe.js';
import { LABEL } from '../../../src/runtime/index.js';
import { nextStep, replicaSpec, restartDelayMs, restartRecordsOf, type RolloutInput } from '../../../src/rollout/index.js';
import { deployment, replica, T0 } from '../../helpers/builders.js';

const at = (ms: number) => new Date(T0.getTime() + ms).toISOString();

describe('restart labels → restart record', () => {
  const table: [string, string | undefined, string | undefined, { count: number; at: string } | undefined][] = [
    ['a first restart', '1', at(0), { count: 1, at: at(0) }],
    ['the fourth', '4', at(-5_000), { count: 4, at: at(-5_000) }],
    ['no labels (a first container)', undefined, undefined, undefined],
    ['a count without a time', '2', undefined, undefined],
    ['zero is not a restart', '0', at(0), undefined],
    ['not a number', 'two', at(0), undefined],
    ['negative', '-1', at(0), undefined],
    ['a time that is not one', '2', 'yesterday', undefined],
  ];
  for (const [name, count, time, expected] of table) it(name, () => assert.deepEqual(restartOf(count, time), expected));
});

describe('restartRecordsOf: per slot, the highest count the replicas carry', () => {
  it('keys by namespace/deployment/revision/slot; the replacement with the higher count wins; unlabelled replicas add nothing', () => {
    const records = restartRecordsOf([
      replica('new', 0, { restart: { count: 1, at: at(-30_000) } }),
      replica('new', 0, { restart: { count: 2, at: at(-10_000) } }),
      replica('new', 1),
      replica('old', 0, { restart: { count: 5, at: at(-60_000) } }),
    ]);
    assert.deepEqual(
      [...records].sort(([a], [b]) => a.localeCompare(b)),
      [
        ['shop/web/new/0', { count: 2, lastAt: new Date(at(-10_000)) }],
        ['shop/web/old/0', { count: 5, lastAt: new Date(at(-60_000)) }],
      ],
    );
  });
});

describe('the back-off continues from the labels (worked examples)', () => {
  const base = (over: Partial<RolloutInput>): RolloutInput => ({
    desired: deployment({ replicas: 1 }),
    observed: [],
    commit: 'c1',
    now: T0,
    restarts: new Map(),
    completed: true,
    ...over,
  });
  const step = (observed: RolloutInput['observed'], now = T0) => nextStep(base({ observed, now, restarts: restartRecordsOf(observed) }));
  const table: { name: string; observed: RolloutInput['observed']; now?: Date; expect: { kind: string; count?: number; recheckAt?: string } }[] = [
    // exit of a first container: restarted at once, the replacement is labelled restart 1
    { name: 'first exit: restart 1 at once', observed: [replica('new', 0, { state: 'exited' })], expect: { kind: 'act', count: 1 } },
    // restart 1 (made at t-5s) exited: the next waits restartDelayMs(1) = 10 s after it → t+5s
    {
      name: 'restart 1 exited 5 s after it was made: wait until 10 s after it',
      observed: [replica('new', 0, { state: 'exited', restart: { count: 1, at: at(-5_000) } })],
      expect: { kind: 'wait', recheckAt: at(5_000) },
    },
    {
      name: 'restart 1, 10 s later: restart 2',
      observed: [replica('new', 0, { state: 'exited', restart: { count: 1, at: at(-10_000) } })],
      expect: { kind: 'act', count: 2 },
    },
    // restart 2 waits the doubled delay, 20 s
    {
      name: 'restart 2 exited, 15 s later: still waits the doubled delay (20 s)',
      observed: [replica('new', 0, { state: 'exited', restart: { count: 2, at: at(-15_000) } })],
      expect: { kind: 'wait', recheckAt: at(5_000) },
    },
    {
      name: 'restart 2, 20 s later: restart 3',
      observed: [replica('new', 0, { state: 'exited', restart: { count: 2, at: at(-20_000) } })],
      expect: { kind: 'act', count: 3 },
    },
  ];
  for (const c of table) {
    it(c.name, () => {
      const s = step(c.observed, c.now);
      assert.equal(s.kind, c.expect.kind, JSON.stringify(s));
      if (s.kind === 'act') {
        assert.deepEqual(
          s.create.map((x) => x.restartRecord),
          [{ count: c.expect.count, at: T0.toISOString() }],
        );
        // …and the record reaches the new container as labels.
        const spec = replicaSpec({ desired: deployment({ replicas: 1 }), creation: s.create[0]!, instance: 'default', network: 'berth.shop', env: [] });
        assert.equal(spec.labels[LABEL.restarts], String(c.expect.count));
        assert.equal(spec.labels[LABEL.restartedAt], T0.toISOString());
      }
      if (s.kind === 'wait') assert.equal(s.recheckAt?.toISOString(), c.expect.recheckAt);
    });
  }
  it('a container that is not a restart carries no restart labels', () => {
    const s = step([]);
    assert.equal(s.kind, 'act');
    if (s.kind !== 'act') return;
    const spec = replicaSpec({ desired: deployment({ replicas: 1 }), creation: s.create[0]!, instance: 'default', network: 'berth.shop', env: [] });
    assert.equal(spec.labels[LABEL.restarts], undefined);
    assert.equal(restartDelayMs(1), 10_000);
  });
  it('during a rollout, a replica labelled restart 1 that exits again is a CrashLoop (the count survives a berth restart)', () => {
    const s = nextStep(
      base({
        completed: false,
        observed: [replica('new', 0, { state: 'exited', exitCode: 3, restart: { count: 1, at: at(-2_000) } })],
        restarts: restartRecordsOf([replica('new', 0, { state: 'exited', restart: { count: 1, at: at(-2_000) } })]),
      }),
    );
    assert.equal(s.kind, 'fail');
    if (s.kind === 'fail') assert.equal(s.reason, 'CrashLoop');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideWorkloads, type WorkloadDecision } from '../../../src/controller/decide.js';
import { DecisionMemo, settledDecision } from '../../../src/controller/decision-memo.js';
import type { RevisionRecord } from '../../../src/store/index.js';
import { deployment, replicas, statefulSettings, T0 } from '../../helpers/builders.js';
import { facts, type Look } from '../../helpers/decision-look.js';

const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const complete = (revision: string): RevisionRecord[] => [
  { revision, commit: `c-${revision}`, image: 'busybox:1.36', time: T0.toISOString(), outcome: 'complete' },
];

/** Decides each look with one memo, and each again without one: the decisions must be the same. Returns the memo's. */
function decideAll(looks: readonly Look[]): WorkloadDecision[] {
  const memo = new DecisionMemo();
  return looks.map((look, i) => {
    const [kept] = decideWorkloads(facts(look, memo));
    const [fresh] = decideWorkloads(facts(look));
    assert.deepEqual(kept, fresh, `look ${i}: the same decision with and without the memo`);
    return kept!;
  });
}

describe('DecisionMemo: a settled decision is handed back for the same inputs, at any time; anything else is decided anew', () => {
  const web = deployment();
  const running = replicas('new', 3);
  const history = complete('new');
  const steady: Look = { desired: web, replicas: running, now: T0, history };

  it('in sync on a completed revision: the same decision a day later, and when only the commit moved on', () => {
    const [first, later, otherCommit] = decideAll([steady, { ...steady, now: at(86_400) }, { ...steady, now: at(86_401), commit: 'c-other' }]);
    assert.equal(first!.step?.kind, 'complete');
    assert.equal(later, first, 'handed back');
    assert.equal(otherCommit, first, 'a complete step creates nothing: the commit new replicas get does not matter');
  });

  // Each row: what changed since the steady look; the decision is made anew (and equals a fresh one).
  const changes: { name: string; next: Look; kind: string }[] = [
    {
      name: 'a replica exited',
      next: { ...steady, replicas: running.map((r, i) => (i === 2 ? { ...r, state: 'exited' as const, exitCode: 1 } : r)) },
      kind: 'act',
    },
    { name: 'a replica is gone', next: { ...steady, replicas: running.slice(0, 2) }, kind: 'act' },
    {
      name: 'a readiness probe failed',
      next: { ...steady, readiness: new Map([[running[0]!.id, { ready: false, watchedSince: T0 }]]) },
      kind: 'wait',
    },
    {
      name: 'a container of its Pod is down',
      next: { ...steady, replicas: running.map((r, i) => (i === 0 ? { ...r, down: ['log'], members: [] } : r)) },
      kind: 'wait',
    },
    { name: 'a new revision in Git', next: { ...steady, desired: deployment({ revision: 'newer' }) }, kind: 'act' },
    { name: 'scaled in Git', next: { ...steady, desired: deployment({ replicas: 5 }) }, kind: 'act' },
    {
      name: 'its revision is recorded failed',
      next: { ...steady, history: [{ ...history[0]!, outcome: 'failed', reason: 'CrashLoop' }] },
      kind: 'complete',
    },
    {
      name: 'pinned to a failed revision, held',
      next: {
        ...steady,
        pin: {
          namespace: 'shop',
          name: 'web',
          commit: 'c-new',
          revision: 'new',
          headSpec: 'h',
          createdAt: T0.toISOString(),
          failed: { revision: 'new', commit: 'c-new', reason: 'CrashLoop', message: 'exited' },
          hold: true,
        },
      },
      kind: 'none',
    },
  ];
  for (const change of changes) {
    it(`${change.name}: decided anew`, () => {
      const [first, next, later] = decideAll([steady, { ...change.next, now: at(60) }, { ...change.next, now: at(3600) }]);
      assert.notEqual(next, first);
      assert.equal(next!.step?.kind ?? 'none', change.kind);
      assert.ok(later);
    });
  }

  // Decisions that read the clock: never handed back, so time moving on changes them as it would without the memo.
  const timed: { name: string; looks: Look[]; kinds: string[] }[] = [
    {
      name: 'a rollout not yet recorded complete, its replicas unready: its progress deadline passes',
      looks: [0, 60, 700].map((s) => ({
        desired: deployment({ progressDeadlineSeconds: 600 }),
        replicas: running,
        now: at(s),
        readiness: new Map(running.map((r) => [r.id, { ready: false, watchedSince: T0 }])),
      })),
      kinds: ['wait', 'wait', 'fail'],
    },
    {
      name: 'minReadySeconds: ready replicas become available as time passes',
      looks: [0, 5, 60].map((s) => ({
        desired: deployment({ minReadySeconds: 30 }),
        replicas: running,
        now: at(s),
        history,
        readiness: new Map(running.map((r) => [r.id, { ready: true, since: T0, watchedSince: T0 }])),
      })),
      kinds: ['wait', 'wait', 'complete'],
    },
    {
      name: 'an exited replica waits out its back-off, then is restarted',
      looks: [0, 1, 3600].map((s) => ({
        desired: web,
        replicas: running.map((r, i) => (i === 2 ? { ...r, state: 'exited' as const, exitCode: 1, restart: { count: 3, at: T0.toISOString() } } : r)),
        now: at(s),
        history,
      })),
      kinds: ['wait', 'wait', 'act'],
    },
  ];
  for (const row of timed) {
    it(row.name, () => {
      // The same objects at every look: only the clock moves.
      const looks = row.looks.map((l) => ({ ...l, replicas: row.looks[0]!.replicas, desired: row.looks[0]!.desired, readiness: row.looks[0]!.readiness }));
      const decisions = decideAll(looks);
      assert.deepEqual(
        decisions.map((d) => d.step?.kind),
        row.kinds,
      );
    });
  }

  it('minReadySeconds: a replica ready again (its verdict the same, its time not) waits out its window anew', () => {
    const desired = deployment({ minReadySeconds: 30 });
    const readySince = (since: Date) => new Map(running.map((r) => [r.id, { ready: true, since, watchedSince: T0 }]));
    const decisions = decideAll([
      { desired, replicas: running, now: at(60), history, readiness: readySince(T0) },
      { desired, replicas: running, now: at(110), history, readiness: readySince(at(100)) },
    ]);
    assert.deepEqual(
      decisions.map((d) => d.step?.kind),
      ['complete', 'wait'],
    );
  });

  it('a StatefulSet is always decided anew', () => {
    const memo = new DecisionMemo();
    const set = deployment({ stateful: statefulSettings() });
    const look: Look = { desired: set, replicas: replicas('new', 3, { kind: 'StatefulSet' }), now: T0, history };
    const [first] = decideWorkloads(facts(look, memo));
    const [again] = decideWorkloads(facts(look, memo));
    assert.deepEqual(again, first);
    assert.notEqual(again, first);
  });
});

describe('settledDecision: which decisions read no clock', () => {
  const web = deployment();
  const complete = {
    name: 'web',
    desired: web,
    replicas: [],
    step: { kind: 'complete', counts: { desired: 3, updated: 3, available: 3, updatedAvailable: 3, total: 3 } },
  } as const;
  const rows: [string, WorkloadDecision, boolean, boolean][] = [
    ['complete on a completed revision', complete, true, true],
    ['complete, the revision not recorded complete (its deadline is judged)', complete, false, false],
    ['complete with minReadySeconds', { ...complete, desired: deployment({ minReadySeconds: 10 }) }, true, false],
    ['a StatefulSet', { ...complete, desired: deployment({ stateful: statefulSettings() }) }, true, false],
    ['gone from Git (pruned)', { ...complete, desired: undefined }, true, false],
    ['a step that acts', { ...complete, step: { kind: 'act', remove: [], create: [], summary: 's', counts: complete.step.counts } }, true, false],
    ['held', { ...complete, hold: { revision: 'new', commit: 'c', reason: 'CrashLoop', message: 'm' } }, true, false],
    ['a container of a Pod in back-off', { ...complete, backoff: { until: T0, why: 'w' } }, true, false],
  ];
  for (const [what, decision, completed, expected] of rows) {
    it(what, () => assert.equal(settledDecision(decision, completed), expected));
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StatefulSettings } from '../../../src/desired/index.js';
import { statefulRefusal } from '../../../src/plan/index.js';
import { nextStep, type Readiness, type Step } from '../../../src/rollout/index.js';
import { deployment, replica, replicas, statefulSettings, T0 } from '../../helpers/builders.js';

/** What a step says, compactly: `act +1 -old.2:outdated`, `wait readiness`, `complete`, `fail CrashLoop`. */
function summarize(step: Step): string {
  if (step.kind === 'complete') return 'complete';
  if (step.kind === 'wait') return `wait ${step.reason}`;
  if (step.kind === 'fail') return `fail ${step.reason}`;
  const create = step.create.map((c) => `+${c.replica}`);
  const remove = step.remove.map((r) => `-${r.replica.revision}.${r.replica.replica}:${r.reason}`);
  return ['act', ...create, ...remove].join(' ');
}

const sts = (replicasWanted: number, overrides: Partial<StatefulSettings> = {}) =>
  deployment({ replicas: replicasWanted, strategy: { type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 1 }, stateful: statefulSettings(overrides) });
const unready = (...ids: string[]): Map<string, Readiness> => new Map(ids.map((id) => [id, { ready: false }]));

describe('nextStep for a StatefulSet (rollout/stateful-step.ts): one ordinal at a time', () => {
  const cases: { name: string; input: () => Parameters<typeof nextStep>[0]; expect: string }[] = [
    {
      name: 'nothing runs, OrderedReady: ordinal 0 alone',
      input: () => ({ desired: sts(3), observed: [], commit: 'c', now: T0, restarts: new Map() }),
      expect: 'act +0',
    },
    {
      name: 'nothing runs, Parallel: every ordinal at once',
      input: () => ({ desired: sts(3, { podManagementPolicy: 'Parallel' }), observed: [], commit: 'c', now: T0, restarts: new Map() }),
      expect: 'act +0 +1 +2',
    },
    {
      name: 'ordinal 0 ready: ordinal 1 next',
      input: () => ({ desired: sts(3), observed: replicas('new', 1), commit: 'c', now: T0, restarts: new Map() }),
      expect: 'act +1',
    },
    {
      name: 'ordinal 0 not ready yet: ordinal 1 waits (OrderedReady)',
      input: () => {
        const r0 = replica('new', 0);
        return { desired: sts(3), observed: [r0], commit: 'c', now: T0, restarts: new Map(), readiness: unready(r0.id) };
      },
      expect: 'wait readiness',
    },
    {
      name: 'a hole at ordinal 1 is filled before anything else',
      input: () => ({ desired: sts(3), observed: [replica('new', 0), replica('new', 2)], commit: 'c', now: T0, restarts: new Map() }),
      expect: 'act +1',
    },
    {
      name: 'scale 3 → 1, OrderedReady: the highest ordinal first, one at a time',
      input: () => ({ desired: sts(1), observed: replicas('new', 3), commit: 'c', now: T0, restarts: new Map() }),
      expect: 'act -new.2:scale-down',
    },
    {
      name: 'scale 3 → 1, Parallel: both at once',
      input: () => ({ desired: sts(1, { podManagementPolicy: 'Parallel' }), observed: replicas('new', 3), commit: 'c', now: T0, restarts: new Map() }),
      expect: 'act -new.2:scale-down -new.1:scale-down',
    },
    {
      name: 'scale-down waits while a kept ordinal is not ready (OrderedReady)',
      input: () => {
        const list = replicas('new', 3);
        return { desired: sts(2), observed: list, commit: 'c', now: T0, restarts: new Map(), readiness: unready(list[0]!.id) };
      },
      expect: 'wait readiness',
    },
    {
      name: 'update: the highest ordinal is replaced in place (same ordinal, new revision)',
      input: () => ({ desired: sts(3), observed: replicas('old', 3), commit: 'c', now: T0, restarts: new Map() }),
      expect: 'act +2 -old.2:outdated',
    },
    {
      name: 'update: ordinal 2 done and ready → ordinal 1',
      input: () => ({ desired: sts(3), observed: [replica('old', 0), replica('old', 1), replica('new', 2)], commit: 'c', now: T0, restarts: new Map() }),
      expect: 'act +1 -old.1:outdated',
    },
    {
      // OnDelete would keep it, but its node is stopping it: it comes back now, on the desired revision.
      name: 'an old-revision replica its node ordered to stop (a drain), still running: replaced now on the desired revision',
      input: () => ({
        desired: sts(2, { updateStrategy: { type: 'OnDelete' } }),
        observed: [replica('old', 0), replica('old', 1, { evicted: true })],
        commit: 'c',
        now: T0,
        restarts: new Map(),
      }),
      expect: 'act +1 -old.1:outdated',
    },
    {
      name: 'a desired-revision ordinal its node ordered to stop, still running and ready: replaced now, its successor not started',
      input: () => ({ desired: sts(3), observed: [replica('new', 0, { evicted: true }), replica('new', 1)], commit: 'c', now: T0, restarts: new Map() }),
      expect: 'act +0 -new.0:evicted',
    },
    {
      name: 'update: the replaced ordinal is not ready yet → wait',
      input: () => {
        const r2 = replica('new', 2);
        return {
          desired: sts(3),
          observed: [replica('old', 0), replica('old', 1), r2],
          commit: 'c',
          now: T0,
          restarts: new Map(),
          readiness: unready(r2.id),
        };
      },
      expect: 'wait readiness',
    },
    {
      name: 'partition 2: ordinals 0 and 1 keep the old revision; done once 2 is updated',
      input: () => ({
        desired: sts(3, { updateStrategy: { type: 'RollingUpdate', partition: 2 } }),
        observed: [replica('old', 0), replica('old', 1), replica('new', 2)],
        commit: 'c',
        now: T0,
        restarts: new Map(),
      }),
      expect: 'complete',
    },
    {
      name: 'OnDelete: running replicas keep their revision',
      input: () => ({ desired: sts(2, { updateStrategy: { type: 'OnDelete' } }), observed: replicas('old', 2), commit: 'c', now: T0, restarts: new Map() }),
      expect: 'complete',
    },
    {
      name: 'OnDelete: a replica removed by hand comes back on the new revision',
      input: () => ({ desired: sts(2, { updateStrategy: { type: 'OnDelete' } }), observed: [replica('old', 0)], commit: 'c', now: T0, restarts: new Map() }),
      expect: 'act +1',
    },
    {
      name: 'an old-revision replica that exited comes back on the desired revision',
      input: () => ({
        desired: sts(2, { updateStrategy: { type: 'OnDelete' } }),
        observed: [replica('old', 0), replica('old', 1, { state: 'exited', exitCode: 1 })],
        commit: 'c',
        now: T0,
        restarts: new Map(),
      }),
      expect: 'act +1 -old.1:outdated',
    },
    {
      name: 'a desired-revision replica that exited is replaced at once the first time',
      input: () => ({
        desired: sts(2),
        observed: [replica('new', 0), replica('new', 1, { state: 'exited', exitCode: 137 })],
        commit: 'c',
        now: T0,
        restarts: new Map(),
        completed: true,
      }),
      expect: 'act +1 -new.1:exited',
    },
    {
      name: 'the replaced replica of a rollout exits again: CrashLoop (auto-rollback, as for a Deployment)',
      input: () => ({
        desired: sts(2),
        observed: [replica('old', 0), replica('new', 1, { state: 'exited', exitCode: 1 })],
        commit: 'c',
        now: T0,
        restarts: new Map([['shop/web/new/1', { count: 1, lastAt: T0 }]]),
      }),
      expect: 'fail CrashLoop',
    },
    {
      name: 'two containers for one ordinal (of two revisions): the running one of the desired revision stays',
      input: () => ({ desired: sts(1), observed: [replica('old', 0), replica('new', 0)], commit: 'c', now: T0, restarts: new Map() }),
      expect: 'act -old.0:duplicate',
    },
    {
      name: 'in sync: complete',
      input: () => ({ desired: sts(3), observed: replicas('new', 3), commit: 'c', now: T0, restarts: new Map() }),
      expect: 'complete',
    },
    {
      name: 'removed from Git: every replica goes (prune), as a Deployment',
      input: () => ({ desired: undefined, observed: replicas('new', 2), commit: 'c', now: T0, restarts: new Map() }),
      expect: 'act -new.0:prune -new.1:prune',
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(summarize(nextStep(c.input())), c.expect));

  it('a full rolling update walks 2, 1, 0 and completes (each move applied to the world by hand)', () => {
    let world = replicas('old', 3);
    const order: number[] = [];
    for (let pass = 0; pass < 10; pass++) {
      const step = nextStep({ desired: sts(3), observed: world, commit: 'c', now: T0, restarts: new Map() });
      if (step.kind === 'complete') break;
      assert.equal(step.kind, 'act');
      if (step.kind !== 'act') return;
      const gone = new Set(step.remove.map((r) => r.replica.id));
      world = [...world.filter((r) => !gone.has(r.id)), ...step.create.map((c) => replica(c.revision, c.replica))];
      order.push(...step.create.map((c) => c.replica));
    }
    assert.deepEqual(order, [2, 1, 0]);
    assert.ok(world.every((r) => r.revision === 'new'));
  });
});

describe('statefulRefusal: fields Kubernetes forbids changing', () => {
  it('is silent while the replicas carry the same hash, and for a Deployment', () => {
    assert.equal(statefulRefusal(sts(2, { fixed: 'a.b.c.d' }), replicas('new', 2, { kind: 'StatefulSet', fixed: 'a.b.c.d' })), undefined);
    assert.equal(statefulRefusal(deployment(), replicas('new', 2)), undefined);
  });
  it('refuses, naming the field that changed and where the StatefulSet is written', () => {
    const why = statefulRefusal(sts(2, { fixed: 'a.b.c.x' }), replicas('new', 2, { kind: 'StatefulSet', fixed: 'a.b.c.d' }));
    assert.match(why ?? '', /^StatefulSet shop\/web \(shop\/web.yaml:1\): spec.selector cannot change once it runs/);
    const two = statefulRefusal(sts(2, { fixed: 'x.y.c.d' }), replicas('new', 2, { kind: 'StatefulSet', fixed: 'a.b.c.d' }));
    assert.match(two ?? '', /: spec.volumeClaimTemplates, spec.serviceName cannot change once it runs .* changes them/);
  });
});

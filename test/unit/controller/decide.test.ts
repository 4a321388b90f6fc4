import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideWorkloads, downPodsNotReady, leavingReplicas, terminatingAs, type WorkloadFacts } from '../../../src/controller/decide.js';
import type { DesiredDeployment, DesiredNamespace } from '../../../src/desired/index.js';
import type { ObservedReplica } from '../../../src/observed/index.js';
import type { Pin } from '../../../src/store/index.js';
import { deployment, replicas, statefulSettings, T0 } from '../../helpers/builders.js';

function ns(deployments: DesiredDeployment[]): DesiredNamespace {
  return { name: 'shop', network: 'berth.shop', valid: true, deployments, services: [], ingresses: [], diagnostics: [] } as unknown as DesiredNamespace;
}

function facts(desired: DesiredDeployment[] | undefined, observed: Record<string, ObservedReplica[]>, overrides: Partial<WorkloadFacts> = {}): WorkloadFacts {
  return {
    namespace: 'shop',
    target: desired ? ns(desired) : undefined,
    observed: {
      name: 'shop',
      deployments: Object.entries(observed).map(([name, r]) => ({ name, replicas: r })),
      strays: [],
    } as unknown as WorkloadFacts['observed'],
    mayPrune: true,
    commit: 'c-new',
    now: T0,
    readiness: new Map(),
    pins: undefined,
    revisions: undefined,
    ...overrides,
  };
}

const failed = { revision: 'new', commit: 'c-new', reason: 'CrashLoop', message: 'exited' };
const heldPin: Pin = { namespace: 'shop', name: 'web', commit: 'c-new', revision: 'new', headSpec: 'h', createdAt: T0.toISOString(), failed, hold: true };

describe('decideWorkloads', () => {
  it('a table of namespaces: which workloads get a step, which are held, refused or left alone', () => {
    const cases: { name: string; f: WorkloadFacts; expected: [string, string | undefined, string | undefined][] }[] = [
      { name: 'in sync', f: facts([deployment()], { web: replicas('new', 3) }), expected: [['web', 'complete', 'Complete']] },
      { name: 'a new revision rolls', f: facts([deployment()], { web: replicas('old', 3) }), expected: [['web', 'act', 'Progressing']] },
      { name: 'created from nothing', f: facts([deployment()], {}), expected: [['web', 'act', 'Progressing']] },
      { name: 'gone from Git, prunes allowed', f: facts([], { api: replicas('old', 2) }), expected: [['api', 'act', undefined]] },
      { name: 'gone from Git, prunes held', f: facts([], { api: replicas('old', 2) }, { mayPrune: false }), expected: [] },
      { name: 'the whole namespace gone from Git', f: facts(undefined, { api: replicas('old', 1) }), expected: [['api', 'act', undefined]] },
      {
        name: 'a held failure gets no step, whatever runs',
        f: facts([deployment()], { web: replicas('old', 3) }, { pins: { 'shop/web': heldPin } }),
        expected: [['web', undefined, 'Failed']],
      },
      {
        name: "another namespace's pin of the same name does not hold this one",
        f: facts([deployment()], { web: replicas('new', 3) }, { pins: { 'blog/web': { ...heldPin, namespace: 'blog' } } }),
        expected: [['web', 'complete', 'Complete']],
      },
      {
        name: 'sorted by name, Git and engine together',
        f: facts([deployment({ name: 'web' }), deployment({ name: 'api' })], { web: replicas('new', 3), zed: replicas('old', 1) }),
        expected: [
          ['api', 'act', 'Progressing'],
          ['web', 'complete', 'Complete'],
          ['zed', 'act', undefined],
        ],
      },
    ];
    for (const c of cases) {
      const out = decideWorkloads(c.f);
      assert.deepEqual(
        out.map((d) => [d.name, d.step?.kind, d.status?.phase]),
        c.expected,
        c.name,
      );
    }
  });

  it('a held failure carries the hold and says so in status', () => {
    const [web] = decideWorkloads(facts([deployment()], { web: replicas('old', 3) }, { pins: { 'shop/web': heldPin } }));
    assert.deepEqual(web!.hold, failed);
    assert.match(web!.status!.message!, /no earlier good revision/);
  });

  it('a StatefulSet whose commit changes what Kubernetes forbids is refused, not stepped', () => {
    const sts = deployment({ stateful: statefulSettings({ fixed: 'a.b.c.d' }) });
    const [web] = decideWorkloads(facts([sts], { web: replicas('old', 3, { fixed: 'a.x.c.d' }) }));
    assert.match(web!.refused ?? '', /spec\.serviceName/);
    assert.equal(web!.step, undefined);
    assert.equal(web!.status?.phase, 'Failed');
    // The same fields as the replicas were made with: it rolls.
    const [same] = decideWorkloads(facts([sts], { web: replicas('old', 3, { fixed: 'a.b.c.d' }) }));
    assert.equal(same!.refused, undefined);
    assert.equal(same!.step?.kind, 'act');
  });

  it('a revision completed before is not a rollout: a crashed replica is replaced, never failed', () => {
    const crashed = [
      ...replicas('new', 2),
      // exited after a restart already made for its slot: a crash loop, if this were a rollout
      ...replicas('new', 1, { state: 'exited', restart: { count: 1, at: T0.toISOString() } }).map((r) => ({ ...r, replica: 2 })),
    ];
    const history = { 'shop/web': [{ revision: 'new', commit: 'c-new', image: 'busybox:1.36', time: T0.toISOString(), outcome: 'complete' as const }] };
    assert.equal(decideWorkloads(facts([deployment()], { web: crashed }))[0]!.step?.kind, 'fail');
    const [web] = decideWorkloads(facts([deployment()], { web: crashed }, { revisions: history }));
    assert.equal(web!.step?.kind, 'wait'); // the crash back-off, then a restart
    // Another namespace's history of the same name does not count.
    assert.equal(decideWorkloads(facts([deployment()], { web: crashed }, { revisions: { 'blog/web': history['shop/web'] } }))[0]!.step?.kind, 'fail');
  });

  it('a Pod with a container down: restarted in place (held too), and not ready meanwhile', () => {
    const down = replicas('new', 3).map((r, i) => (i === 0 ? { ...r, down: ['log'], members: [] } : r));
    const [web] = decideWorkloads(facts([deployment()], { web: down }));
    assert.deepEqual(
      web!.restarts?.map((r) => [r.replica.id, r.container, r.restartRecord.count]),
      [[down[0]!.id, 'log', 1]],
    );
    // not ready: the rollout waits for it rather than calling the revision complete
    assert.equal(web!.step?.kind, 'wait');
    const [held] = decideWorkloads(facts([deployment()], { web: down }, { pins: { 'shop/web': heldPin } }));
    assert.equal(held!.step, undefined);
    assert.equal(held!.restarts?.length, 1);
    // an older revision's Pod is not restarted in place: the rollout replaces it
    const [old] = decideWorkloads(facts([deployment()], { web: replicas('old', 3).map((r) => ({ ...r, down: ['log'], members: [] })) }));
    assert.equal(old!.restarts, undefined);
  });

  it('leavingReplicas: the replicas the decided steps remove', () => {
    const old = replicas('old', 2);
    const decisions = decideWorkloads(facts([], { api: old }));
    assert.deepEqual([...leavingReplicas(decisions)].sort(), old.map((r) => r.id).sort());
    assert.equal(leavingReplicas(decideWorkloads(facts([deployment()], { web: replicas('new', 3) }))).size, 0);
  });

  it('terminatingAs: the replicas whose removal is under way are removing, the rest as they are', () => {
    const [a0, a1] = replicas('old', 2);
    const observed = facts([deployment()], { web: [a0!, a1!] }).observed!;
    const marked = terminatingAs(observed, new Set([a0!.id]));
    assert.deepEqual(
      marked?.deployments[0]?.replicas.map((r) => [r.id, r.state]),
      [
        [a0!.id, 'removing'],
        [a1!.id, 'running'],
      ],
    );
    assert.equal(terminatingAs(observed, new Set()), observed);
    assert.equal(terminatingAs(undefined, new Set([a0!.id])), undefined);
    // The rollout sees it: a0 no longer a replica, a1 still one.
    const [web] = decideWorkloads(facts([deployment({ replicas: 2 })], {}, { observed: marked }));
    assert.equal(web!.step?.counts.total, 1);
  });
});

describe('downPodsNotReady', () => {
  it("hands back the verdicts themselves when no Pod is down (the live plan passes all namespaces' verdicts to each)", () => {
    const readiness = new Map([['x', { ready: true }]]);
    const observed = { name: 'shop', deployments: [{ namespace: 'shop', name: 'web', replicas: replicas('a', 2) }], strays: [] };
    assert.equal(downPodsNotReady(readiness, observed), readiness);
  });

  it('marks a Pod with a container down not ready, on a copy', () => {
    const [up, down] = replicas('a', 2);
    const withDown = { ...down!, down: ['log'] };
    const readiness = new Map([[withDown.id, { ready: true }]]);
    const observed = { name: 'shop', deployments: [{ namespace: 'shop', name: 'web', replicas: [up!, withDown] }], strays: [] };
    const out = downPodsNotReady(readiness, observed);
    assert.deepEqual(out.get(withDown.id), { ready: false });
    assert.equal(out.get(up!.id), undefined);
    assert.deepEqual(readiness.get(withDown.id), { ready: true }, 'the input is left as it was');
  });
});

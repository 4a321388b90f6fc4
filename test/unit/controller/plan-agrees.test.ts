/**
 * `berth plan --live` (controller/live-plan.ts) renders the decision `berth run` executes
 * (controller/decide.ts), so the two must never disagree: a workload the pass moves now (a
 * step, a rollback, a container restarted in place) is one the plan lists, with `next` saying
 * exactly that move, and a rollback is listed as the rollback, not as the rollout; one the pass
 * finds complete or leaves alone is one the plan leaves out. A pass that waits (readiness, a
 * back-off) is a rollout under way: the plan lists what is left of it, or nothing when only the
 * wait is. Checked over every combination of a small grammar of desired and observed states
 * (not a few examples), against the decision taken the way the Reconciler takes it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideWorkloads } from '../../../src/controller/decide.js';
import type { DesiredDeployment, DesiredNamespace, Strategy } from '../../../src/desired/index.js';
import type { ObservedNamespace, ObservedReplica } from '../../../src/observed/index.js';
import { livePlan, nextMove } from '../../../src/controller/live-plan.js';
import { memberRestarts } from '../../../src/rollout/index.js';
import type { Pin, RevisionRecord } from '../../../src/store/index.js';
import { deployment, replica, statefulSettings, T0 } from '../../helpers/builders.js';

type Slot = 'new' | 'old' | 'new-exited' | 'new-crashed' | 'old-exited' | 'new-removing' | 'new-down' | 'old+new' | 'none';
const SLOTS: readonly Slot[] = ['new', 'old', 'new-exited', 'new-crashed', 'old-exited', 'new-removing', 'new-down', 'old+new', 'none'];
const STRATEGIES: readonly Strategy[] = [
  { type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: '25%' },
  { type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 1 },
  { type: 'Recreate' },
];

function replicaOf(slot: Slot, ordinal: number): ObservedReplica[] {
  switch (slot) {
    case 'none':
      return [];
    case 'new':
    case 'old':
      return [replica(slot, ordinal)];
    case 'new-exited':
    case 'old-exited':
      return [replica(slot.slice(0, 3), ordinal, { state: 'exited', exitCode: 1 })];
    case 'new-crashed': // exited again after a restart made 5 s ago: a crash loop in a rollout, a back-off after one
      return [replica('new', ordinal, { state: 'exited', exitCode: 1, restart: { count: 1, at: new Date(T0.getTime() - 5000).toISOString() } })];
    case 'old+new': // a surge: the slot's old replica and its new one
      return [replica('old', ordinal), replica('new', ordinal)];
    case 'new-removing':
      return [replica('new', ordinal, { state: 'removing' })];
    case 'new-down':
      return [replica('new', ordinal, { down: ['sidecar'] })];
  }
}

function namespaceOf(deployments: DesiredDeployment[]): DesiredNamespace {
  return { name: 'shop', network: 'berth.shop', valid: true, deployments, services: [], ingresses: [], diagnostics: [] } as unknown as DesiredNamespace;
}

function observedOf(replicas: ObservedReplica[]): ObservedNamespace {
  return {
    name: 'shop',
    network: { name: 'berth.shop', id: 'n1' },
    deployments: replicas.length > 0 ? [{ name: 'web', namespace: 'shop', replicas }] : [],
    strays: [],
  } as unknown as ObservedNamespace;
}

const complete = (revision: string): RevisionRecord => ({
  revision,
  commit: `commit-${revision}`,
  image: 'busybox:1.36',
  time: T0.toISOString(),
  outcome: 'complete',
});
const held: Pin = {
  namespace: 'shop',
  name: 'web',
  commit: 'commit-new',
  revision: 'new',
  headSpec: 'h',
  createdAt: T0.toISOString(),
  cause: 'auto-rollback',
  failed: { revision: 'new', commit: 'commit-new', reason: 'CrashLoop', message: 'm' },
  hold: true,
};

describe('plan --live and run agree on which workloads have work', () => {
  it('over every combination of up to three replica slots, strategies, histories and holds', () => {
    let checked = 0;
    const disagreements: string[] = [];
    for (const desiredReplicas of [0, 1, 3]) {
      for (const strategy of STRATEGIES) {
        for (const stateful of [false, true]) {
          for (const a of SLOTS) {
            for (const b of SLOTS) {
              for (const c of SLOTS) {
                for (const history of [[], [complete('new')], [complete('old')]] as RevisionRecord[][]) {
                  for (const [hold, notReady] of [
                    [false, false],
                    [true, false],
                    [false, true],
                  ] as const) {
                    if (stateful && strategy.type === 'Recreate') continue;
                    const d = deployment({
                      replicas: desiredReplicas,
                      strategy,
                      ...(stateful ? { stateful: statefulSettings({ claimTemplates: [] }) } : {}),
                    });
                    const observed = [...replicaOf(a, 0), ...replicaOf(b, 1), ...replicaOf(c, 2)];
                    const target = namespaceOf([d]);
                    const o = observedOf(observed);
                    const facts = {
                      readiness: new Map(notReady ? observed.map((r) => [r.id, { ready: false }] as const) : []),
                      ...(hold ? { pins: { 'shop/web': held } } : {}),
                      revisions: { 'shop/web': history },
                    };
                    const plan = livePlan(
                      { commit: 'commit-new', instance: 'default', namespaces: [target], diagnostics: [] },
                      { namespaces: [o] },
                      {
                        now: T0,
                        ...facts,
                      },
                    ).namespaces[0]!;
                    const listed = plan.actions.filter((x) => 'name' in x && x.name === 'web');
                    const planned = listed.length > 0;
                    const [decision] = decideWorkloads({
                      namespace: 'shop',
                      target,
                      observed: o,
                      mayPrune: true,
                      commit: 'commit-new',
                      now: T0,
                      // notReady: every running replica's readiness probe fails (as the prober reports it)
                      readiness: new Map(notReady ? observed.map((r) => [r.id, { ready: false }] as const) : []),
                      pins: hold ? { 'shop/web': held } : undefined,
                      revisions: { 'shop/web': history },
                    });
                    const kind = decision?.step?.kind;
                    // A Pod's container down is restarted in place (now, or after its back-off: the pass waits for it).
                    const memberWork = (decision?.restarts?.length ?? 0) > 0 || memberRestarts(d, observed, T0).backoff !== undefined;
                    // Run moves something now: the plan must list the workload. Run finds it complete or leaves it alone: the
                    // plan must not. Run waits (for readiness, a back-off): a rollout under way; the plan may list what is left.
                    const runMoves = kind === 'act' || kind === 'fail' || memberWork;
                    const runIdle = (kind === 'complete' || kind === undefined) && !memberWork;
                    // What the plan says the next pass does is what it decides, and a failing rollout shows as its rollback.
                    const next = decision ? nextMove(decision) : undefined;
                    const saysNext = listed.every((x) => 'next' in x && x.next === next);
                    const rollbackShown = kind !== 'fail' || listed.some((x) => x.kind === 'rollback-deployment');
                    checked++;
                    if ((runMoves && !planned) || (runIdle && planned) || !saysNext || !rollbackShown) {
                      disagreements.push(
                        `${JSON.stringify({ desiredReplicas, strategy: strategy.type, stateful, slots: [a, b, c], history: history.map((h) => h.revision), hold, notReady })}: plan ${planned ? plan.actions.map((x) => x.kind).join('+') : 'nothing'}, run ${kind ?? 'no step'}${decision?.step && decision.step.kind !== 'complete' ? ` (${decision.step.summary})` : ''}`,
                      );
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    assert.ok(checked > 10_000, `checked ${checked}`);
    // One example of each kind of disagreement (plan's actions vs run's step), then how many there are.
    const byKind = new Map<string, string>();
    for (const d of disagreements) {
      const kind = d.slice(d.indexOf('}: ') + 3).replace(/ \(.*\)$/, '');
      if (!byKind.has(kind)) byKind.set(kind, d);
    }
    assert.deepEqual([...byKind.values()], [], `${disagreements.length} of ${checked} disagree`);
  });
});

/**
 * Which status transitions are worth a notification, and the state of a commit over every
 * namespace (src/notify/events.ts): table-driven worked examples.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { autoscaleEventFor, commitStateOf, eventsFor } from '../../../src/notify/index.js';
import type { AutoscalerRecord, DeploymentStatus, NamespaceStatus, StoreState } from '../../../src/store/index.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

function dep(over: Partial<DeploymentStatus> = {}): DeploymentStatus {
  return { name: 'web', revision: 'r2', replicas: 2, updatedReplicas: 2, availableReplicas: 2, phase: 'Complete', ...over };
}

function ns(over: Partial<NamespaceStatus> = {}): NamespaceStatus {
  return {
    namespace: 'shop',
    lastAttemptedCommit: B,
    lastAppliedCommit: B,
    phase: 'Synced',
    conditions: [],
    deployments: [dep()],
    diagnostics: [],
    updatedAt: '2026-12-03T00:00:00Z',
    ...over,
  };
}

const ROLLED_BACK = { revision: 'r3', commit: B, reason: 'ProgressDeadlineExceeded', message: 'not ready in 5 s' };

describe('eventsFor: the notifications one status write means', () => {
  const cases: { name: string; prev: NamespaceStatus | undefined; next: NamespaceStatus; want: string[] }[] = [
    { name: 'first apply of a namespace', prev: undefined, next: ns(), want: ['sync-succeeded shop b'] },
    { name: 'a new commit applied', prev: ns({ lastAttemptedCommit: A, lastAppliedCommit: A }), next: ns(), want: ['sync-succeeded shop b'] },
    { name: 'the same commit written again says nothing', prev: ns(), next: ns(), want: [] },
    {
      name: 'attempted but still progressing: nothing yet',
      prev: ns({ lastAttemptedCommit: A, lastAppliedCommit: A }),
      next: ns({ lastAppliedCommit: A, phase: 'Progressing', deployments: [dep({ phase: 'Progressing' })] }),
      want: [],
    },
    {
      name: 'invalid manifests at a new commit',
      prev: ns({ lastAttemptedCommit: A, lastAppliedCommit: A }),
      next: ns({ lastAppliedCommit: A, phase: 'Invalid', message: 'invalid manifests' }),
      want: ['sync-failed shop b'],
    },
    {
      name: 'still invalid on the next pass: once only',
      prev: ns({ lastAppliedCommit: A, phase: 'Invalid' }),
      next: ns({ lastAppliedCommit: A, phase: 'Invalid' }),
      want: [],
    },
    { name: 'an engine error', prev: ns(), next: ns({ phase: 'Error', message: 'engine down' }), want: ['sync-failed shop b'] },
    {
      name: 'a rollout failed with nothing to roll back to',
      prev: ns({ lastAppliedCommit: A, phase: 'Progressing', deployments: [dep({ phase: 'Progressing' })] }),
      next: ns({ lastAppliedCommit: A, phase: 'Progressing', deployments: [dep({ phase: 'Failed', message: 'no earlier good revision' })] }),
      want: ['rollout-failed shop/web b'],
    },
    {
      name: 'a rollout rolled back: the commit named is the one that failed; no sync-succeeded',
      prev: ns({ lastAttemptedCommit: B, lastAppliedCommit: A, phase: 'Progressing', deployments: [dep({ phase: 'Progressing', revision: 'r3' })] }),
      next: ns({ deployments: [dep({ phase: 'RolledBack', rolledBack: ROLLED_BACK })] }),
      want: ['rolled-back shop/web b'],
    },
    {
      name: 'still rolled back on the next pass: once only',
      prev: ns({ deployments: [dep({ phase: 'RolledBack', rolledBack: ROLLED_BACK })] }),
      next: ns({ deployments: [dep({ phase: 'RolledBack', rolledBack: ROLLED_BACK })] }),
      want: [],
    },
    { name: 'the prune guard holds', prev: ns(), next: ns({ phase: 'Refused', message: 'held' }), want: ['prune-held shop b'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = eventsFor(c.prev, c.next).map((e) => `${e.kind} ${e.namespace}${e.deployment ? `/${e.deployment}` : ''} ${e.commit[0]}`);
      assert.deepEqual(got, c.want);
    });
  }
});

describe('commitStateOf: a commit over every namespace', () => {
  const state = (...namespaces: NamespaceStatus[]): StoreState => ({ version: 1, namespaces: Object.fromEntries(namespaces.map((n) => [n.namespace, n])) });
  const cases: { name: string; state: StoreState; want: string }[] = [
    { name: 'just picked up: no namespace attempted it', state: state(ns({ lastAttemptedCommit: A, lastAppliedCommit: A })), want: 'pending' },
    { name: 'one of two applied', state: state(ns(), ns({ namespace: 'blog', lastAttemptedCommit: A, lastAppliedCommit: A })), want: 'pending' },
    { name: 'every namespace applied', state: state(ns(), ns({ namespace: 'blog' })), want: 'success' },
    { name: 'a pruned namespace does not count', state: state(ns(), ns({ namespace: 'old', phase: 'Pruned', lastAppliedCommit: A })), want: 'success' },
    { name: 'invalid in one namespace', state: state(ns(), ns({ namespace: 'blog', phase: 'Invalid', lastAppliedCommit: A })), want: 'failure' },
    { name: 'held by the prune guard', state: state(ns({ phase: 'Refused', lastAppliedCommit: A })), want: 'failure' },
    {
      name: 'a rollout of this commit rolled back',
      state: state(ns({ deployments: [dep({ phase: 'RolledBack', rolledBack: ROLLED_BACK })] })),
      want: 'failure',
    },
    {
      name: 'a rollback of an older commit does not fail this one',
      state: state(ns({ deployments: [dep({ phase: 'RolledBack', rolledBack: { ...ROLLED_BACK, commit: A } })] })),
      want: 'success',
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(commitStateOf(c.state, B).state, c.want));
});

describe('autoscaleEventFor: an HPA scale is worth a notification, an evaluation is not', () => {
  const record = (lastScale?: { at: string; from: number; to: number; reason: string }): AutoscalerRecord => ({
    namespace: 'shop',
    name: 'web-hpa',
    target: 'web',
    replicas: lastScale?.to ?? 2,
    recommendations: [],
    events: [],
    updatedAt: '2026-12-04T00:00:00Z',
    ...(lastScale ? { lastScale } : {}),
  });
  const state: StoreState = { version: 1, namespaces: { shop: ns() } };
  const up = { at: '2026-12-04T00:00:01Z', from: 2, to: 5, reason: 'metric above target (current 180)' };
  const cases: { name: string; prev?: AutoscalerRecord; next: AutoscalerRecord; want?: string }[] = [
    { name: 'a first evaluation that scales nothing: nothing', next: record() },
    {
      name: 'a new scale: hpa-scaled at the namespace commit',
      prev: record(),
      next: record(up),
      want: 'web: 2 → 5 replicas (HPA web-hpa: metric above target (current 180))',
    },
    { name: 'the same scale again (a later evaluation): nothing', prev: record(up), next: record(up) },
    {
      name: 'a later scale: told',
      prev: record(up),
      next: record({ ...up, at: '2026-12-04T00:05:00Z', from: 5, to: 3, reason: 'metric below target (current 10)' }),
      want: 'web: 5 → 3 replicas (HPA web-hpa: metric below target (current 10))',
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const e = autoscaleEventFor(c.prev, c.next, state);
      if (!c.want) return assert.equal(e, undefined);
      assert.deepEqual(e, { kind: 'hpa-scaled', namespace: 'shop', commit: B, deployment: 'web', message: c.want });
    });
});

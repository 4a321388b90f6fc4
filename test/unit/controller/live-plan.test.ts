/**
 * The live plan renders the pass's decision (controller/live-plan.ts): a table of worked
 * examples, one per kind of decision, with the action listed and the `next pass` it names.
 * The exhaustive agreement with decideWorkloads is test/unit/controller/plan-agrees.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { livePlan } from '../../../src/controller/live-plan.js';
import type { DesiredDeployment, DesiredNamespace } from '../../../src/desired/index.js';
import type { ObservedReplica } from '../../../src/observed/index.js';
import { renderPlanText } from '../../../src/plan/index.js';
import type { Pin, RevisionRecord } from '../../../src/store/index.js';
import { deployment, replica, replicas, statefulSettings, T0 } from '../../helpers/builders.js';

const ns = (deployments: DesiredDeployment[]): DesiredNamespace =>
  ({ name: 'shop', network: 'berth.shop', valid: true, deployments, services: [], ingresses: [], diagnostics: [] }) as unknown as DesiredNamespace;

const complete = (revision: string): RevisionRecord => ({
  revision,
  commit: `commit-${revision}`.padEnd(40, '0'),
  image: 'busybox:1.36',
  time: T0.toISOString(),
  outcome: 'complete',
});
const failed = { revision: 'new', commit: 'c-new', reason: 'CrashLoop', message: 'exited' };
const heldPin: Pin = { namespace: 'shop', name: 'web', commit: 'c-new', revision: 'new', headSpec: 'h', createdAt: T0.toISOString(), failed, hold: true };
/** A replica of `new` that exited again after the restart already made for its slot, 5 s ago: a crash loop in a rollout. */
const crashed = (ordinal: number): ObservedReplica =>
  replica('new', ordinal, { state: 'exited', exitCode: 1, restart: { count: 1, at: new Date(T0.getTime() - 5000).toISOString() } });

interface Row {
  readonly name: string;
  readonly desired: DesiredDeployment[] | undefined;
  readonly observed: Record<string, ObservedReplica[]>;
  readonly pins?: Record<string, Pin>;
  readonly revisions?: Record<string, RevisionRecord[]>;
  readonly notReady?: boolean;
  readonly confirmPrune?: boolean;
  /** [kind:name, next] of the workload actions; `refused` names. */
  readonly actions: [string, string | undefined][];
  readonly refused?: string[];
}

const rows: Row[] = [
  { name: 'in sync: nothing', desired: [deployment()], observed: { web: replicas('new', 3) }, actions: [] },
  { name: 'created from nothing', desired: [deployment()], observed: {}, actions: [['create-deployment:web', 'create 3']] },
  {
    name: 'a new revision: the whole roll, and the first surge step',
    desired: [deployment({ strategy: { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 } })],
    observed: { web: replicas('old', 3) },
    actions: [['update-deployment:web', 'create 1']],
  },
  {
    name: 'mid-way, the new replica not ready: the roll, and the pass waits',
    desired: [deployment({ strategy: { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 } })],
    observed: { web: [...replicas('old', 3), replica('new', 0, { created: T0.toISOString() })] },
    notReady: true,
    actions: [['update-deployment:web', 'waits: waiting for new replicas to become ready (0/3)']],
  },
  {
    name: 'a crash loop with a good revision before: listed as the rollback',
    desired: [deployment({ replicas: 1 })],
    observed: { web: [crashed(0)] },
    revisions: { 'shop/web': [complete('old')] },
    actions: [['rollback-deployment:web', /^rollout failed \(.*\); rolls back to revision old \(commit commit-old00\)$/.source]],
  },
  {
    name: 'a crash loop with nothing to go back to: held',
    desired: [deployment({ replicas: 1 })],
    observed: { web: [crashed(0)] },
    actions: [['rollback-deployment:web', /no earlier good revision: left as it is until a commit changes it$/.source]],
  },
  { name: 'a held failure: nothing', desired: [deployment()], observed: { web: replicas('old', 3) }, pins: { 'shop/web': heldPin }, actions: [] },
  {
    name: 'a held failure with a container down: restarted in place, nothing else',
    desired: [deployment()],
    observed: { web: replicas('new', 3).map((r, i) => (i === 0 ? { ...r, down: ['log'], members: [] } : r)) },
    pins: { 'shop/web': heldPin },
    actions: [['heal-deployment:web', 'restart container log of replica 0 in place']],
  },
  {
    name: 'scaled down',
    desired: [deployment({ replicas: 1 })],
    observed: { web: replicas('new', 2) },
    actions: [['scale-deployment:web', 'remove 1 (scale-down)']],
  },
  {
    name: 'gone from Git, the commit confirms: pruned',
    desired: [],
    observed: { api: replicas('old', 2) },
    confirmPrune: true,
    actions: [['prune-deployment:api', 'prune 2 replica(s)']],
  },
  {
    name: 'gone from Git beside one that stays: pruned without confirmation',
    desired: [deployment({ name: 'web' })],
    observed: { web: replicas('new', 3), api: replicas('old', 1) },
    actions: [['prune-deployment:api', 'prune 1 replica(s)']],
  },
  { name: 'gone from Git, the prune guard holds (all of it): nothing', desired: [], observed: { api: replicas('old', 2) }, actions: [] },
  {
    name: 'a StatefulSet change Kubernetes forbids: refused, no action',
    desired: [deployment({ stateful: statefulSettings({ claimTemplates: [] }) })],
    observed: { web: replicas('old', 3, { kind: 'StatefulSet', fixed: 'a.x.c.d' }) },
    actions: [],
    refused: ['web'],
  },
];

describe('livePlan: each decision as the plan lists it', () => {
  for (const row of rows)
    it(row.name, () => {
      const observed = Object.values(row.observed).flat();
      const plan = livePlan(
        { commit: 'c-new', instance: 'default', namespaces: row.desired ? [ns(row.desired)] : [], diagnostics: [] },
        {
          namespaces: [
            {
              name: 'shop',
              network: { id: 'n', name: 'berth.shop' },
              deployments: Object.entries(row.observed).map(([name, r]) => ({ namespace: 'shop', name, replicas: r })),
              strays: [],
            },
          ],
        },
        {
          now: T0,
          confirmPrune: row.confirmPrune ?? false,
          readiness: new Map(row.notReady ? observed.map((r) => [r.id, { ready: r.revision !== 'new' }] as const) : []),
          ...(row.pins ? { pins: row.pins } : {}),
          ...(row.revisions ? { revisions: row.revisions } : {}),
        },
      );
      const shop = plan.namespaces[0]!;
      const got = shop.actions.flatMap((a) => ('next' in a ? [[`${a.kind}:${a.name}`, a.next] as [string, string | undefined]] : []));
      assert.equal(got.length, row.actions.length, JSON.stringify(got));
      row.actions.forEach(([kind, next], i) => {
        assert.equal(got[i]![0], kind);
        assert.match(got[i]![1] ?? '', new RegExp(next?.startsWith('^') || next?.endsWith('$') ? next : `^${escapeRegExp(next ?? '')}$`));
      });
      assert.deepEqual(
        (shop.refused ?? []).map((r) => r.name),
        row.refused ?? [],
      );
      // The text names the move under its line.
      if (row.actions.length > 0) assert.match(renderPlanText(plan), /\n {6}next pass: /);
    });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

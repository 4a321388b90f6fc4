import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DesiredNamespace, DesiredState } from '../../../src/desired/index.js';
import type { ObservedNamespace, ObservedState } from '../../../src/observed/index.js';
import { hasChanges, isPruneConfirmed, renderPlanJson, renderPlanText, type PlanAction } from '../../../src/plan/index.js';
import { livePlan } from '../../../src/controller/live-plan.js';
import { deployment, replica, replicas, T0 } from '../../helpers/builders.js';

const ns = (name: string, deployments = [deployment({ namespace: name })], valid = true): DesiredNamespace => ({
  name,
  network: `berth.${name}`,
  valid,
  deployments: valid ? deployments : [],
  services: [],
  ingresses: [],
  diagnostics: valid
    ? []
    : [{ severity: 'error', code: 'MANIFEST_INVALID', message: 'bad', file: `${name}/web.yaml`, line: 3, field: 'spec.replicas', namespace: name }],
});
const desired = (...namespaces: DesiredNamespace[]): DesiredState => ({ commit: 'abc', instance: 'default', namespaces, diagnostics: [] });
const obsNs = (name: string, deps: { name: string; replicas: ReturnType<typeof replicas> }[], network = true): ObservedNamespace => ({
  name,
  ...(network ? { network: { id: 'n1', name: `berth.${name}` } } : {}),
  deployments: deps.map((d) => ({ namespace: name, name: d.name, replicas: d.replicas })),
  strays: [],
});
const observed = (...namespaces: ObservedNamespace[]): ObservedState => ({ namespaces });
const kinds = (actions: readonly PlanAction[]) => actions.map((a) => `${a.kind}${'name' in a ? `:${a.name}` : ''}`);

const cases: {
  name: string;
  desired: DesiredState;
  observed: ObservedState;
  confirm?: boolean;
  expect: Record<string, { verdict: string; actions: string[] }>;
}[] = [
  {
    name: 'fresh engine: network first, then the deployment',
    desired: desired(ns('shop')),
    observed: observed(),
    expect: { shop: { verdict: 'changes', actions: ['create-network', 'create-deployment:web'] } },
  },
  {
    name: 'in sync',
    desired: desired(ns('shop')),
    observed: observed(obsNs('shop', [{ name: 'web', replicas: replicas('new', 3) }])),
    expect: { shop: { verdict: 'in-sync', actions: [] } },
  },
  {
    name: 'new revision: update',
    desired: desired(ns('shop')),
    observed: observed(obsNs('shop', [{ name: 'web', replicas: replicas('old', 3) }])),
    expect: { shop: { verdict: 'changes', actions: ['update-deployment:web'] } },
  },
  {
    name: 'replica count: scale',
    desired: desired(ns('shop', [deployment({ replicas: 1 })])),
    observed: observed(obsNs('shop', [{ name: 'web', replicas: replicas('new', 3) }])),
    expect: { shop: { verdict: 'changes', actions: ['scale-deployment:web'] } },
  },
  {
    name: 'an exited replica: heal',
    desired: desired(ns('shop', [deployment({ replicas: 2 })])),
    observed: observed(obsNs('shop', [{ name: 'web', replicas: [replica('new', 0), replica('new', 1, { state: 'exited' })] }])),
    expect: { shop: { verdict: 'changes', actions: ['heal-deployment:web'] } },
  },
  {
    name: 'a deployment removed from Git: pruned after the others',
    desired: desired(ns('shop', [deployment({ name: 'api' })])),
    observed: observed(
      obsNs('shop', [
        { name: 'api', replicas: replicas('new', 3) },
        { name: 'old', replicas: replicas('x', 1) },
      ]),
    ),
    expect: { shop: { verdict: 'changes', actions: ['prune-deployment:old'] } },
  },
  {
    name: 'a namespace removed from Git: held by the prune guard until confirmed',
    desired: desired(ns('shop')),
    observed: observed(obsNs('shop', [{ name: 'web', replicas: replicas('new', 3) }]), obsNs('blog', [{ name: 'front', replicas: replicas('r', 1) }])),
    expect: { blog: { verdict: 'refused', actions: [] }, shop: { verdict: 'in-sync', actions: [] } },
  },
  {
    name: 'a namespace removed from Git, confirmed: everything pruned, network last',
    desired: desired(ns('shop')),
    observed: observed(obsNs('shop', [{ name: 'web', replicas: replicas('new', 3) }]), obsNs('blog', [{ name: 'front', replicas: replicas('r', 1) }])),
    confirm: true,
    expect: { blog: { verdict: 'changes', actions: ['prune-deployment:front', 'remove-network'] }, shop: { verdict: 'in-sync', actions: [] } },
  },
  {
    name: 'more than half of the Deployments pruned: prunes held, the rest applies',
    desired: desired(ns('shop', [deployment({ name: 'a', replicas: 1 })])),
    observed: observed(
      obsNs('shop', [
        { name: 'a', replicas: replicas('new', 2) },
        { name: 'b', replicas: replicas('x', 1) },
        { name: 'c', replicas: replicas('y', 1) },
      ]),
    ),
    expect: { shop: { verdict: 'changes', actions: ['scale-deployment:a'] } },
  },
  {
    name: 'half of the Deployments pruned (not more): allowed',
    desired: desired(ns('shop', [deployment({ name: 'a' })])),
    observed: observed(
      obsNs('shop', [
        { name: 'a', replicas: replicas('new', 3) },
        { name: 'b', replicas: replicas('x', 1) },
      ]),
    ),
    expect: { shop: { verdict: 'changes', actions: ['prune-deployment:b'] } },
  },
  {
    name: 'an invalid namespace gets no actions, even its prunes; others proceed',
    desired: desired(ns('shop', [], false), ns('blog', [deployment({ namespace: 'blog', name: 'front' })])),
    observed: observed(obsNs('shop', [{ name: 'web', replicas: replicas('old', 3) }])),
    expect: { blog: { verdict: 'changes', actions: ['create-network', 'create-deployment:front'] }, shop: { verdict: 'invalid', actions: [] } },
  },
  {
    name: 'an empty desired state never prunes what runs, even confirmed',
    desired: desired(),
    observed: observed(obsNs('shop', [{ name: 'web', replicas: replicas('new', 3) }])),
    confirm: true,
    expect: { shop: { verdict: 'refused', actions: [] } },
  },
];

describe('prune confirmation trailer', () => {
  const table: [string, boolean][] = [
    ['drop blog\n\nBerth-Confirm-Prune: yes\n', true],
    ['drop blog\n\nberth-confirm-prune: true', true],
    ['drop blog\n\nBerth-Confirm-Prune: no', false],
    ['mention Berth-Confirm-Prune: yes inline', false],
    ['drop blog', false],
  ];
  for (const [message, confirmed] of table) it(JSON.stringify(message), () => assert.equal(isPruneConfirmed(message), confirmed));
});

describe('livePlan(desired, observed, { now: T0 })', () => {
  for (const c of cases) {
    it(c.name, () => {
      const plan = livePlan(c.desired, c.observed, { now: T0, confirmPrune: c.confirm ?? false });
      const got = Object.fromEntries(plan.namespaces.map((n) => [n.namespace, { verdict: n.verdict, actions: kinds(n.actions) }]));
      assert.deepEqual(got, c.expect);
      assert.equal(
        hasChanges(plan),
        Object.values(c.expect).some((e) => e.actions.length > 0),
      );
    });
  }

  it('renders text with the summary and diagnostics with file:line, and JSON that round-trips', () => {
    const plan = livePlan(desired(ns('shop', [], false), ns('blog', [deployment({ namespace: 'blog', name: 'front', replicas: 2 })])), observed(), { now: T0 });
    const text = renderPlanText(plan);
    assert.match(text, /namespace blog: changes/);
    assert.match(text, /\+ deployment front: 2 replica\(s\) of busybox:1\.36/);
    assert.match(text, /shop\/web\.yaml:3: error spec\.replicas: bad/);
    assert.match(text, /Summary: 1 to create, 0 to change, 0 to prune, 1 invalid namespace/);
    assert.deepEqual(JSON.parse(renderPlanJson(plan)), JSON.parse(JSON.stringify(plan)));
  });
});

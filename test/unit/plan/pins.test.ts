import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DesiredDeployment, DesiredNamespace, DesiredState } from '../../../src/desired/index.js';
import type { ObservedState } from '../../../src/observed/index.js';
import { applyPinsTo, pinnedTemplates, renderPlanText, specHash, type PinView } from '../../../src/plan/index.js';
import { livePlan } from '../../../src/controller/live-plan.js';
import { deployment, replicas, T0 } from '../../helpers/builders.js';

const ns = (deployments: DesiredDeployment[]): DesiredNamespace => ({
  name: 'shop',
  network: 'berth.shop',
  valid: true,
  deployments,
  services: [],
  ingresses: [],
  diagnostics: [],
});

const head = deployment({ name: 'web', revision: 'v3', replicas: 4 });
const other = deployment({ name: 'api', revision: 'a1' });
const old = deployment({ name: 'web', revision: 'v1', replicas: 2 });
const FAILED = { revision: 'v3', commit: 'c3', reason: 'ProgressDeadlineExceeded', message: 'not ready in 10s' };

describe('applyPinsTo: the rollback rule run and plan --live share', () => {
  const cases: {
    name: string;
    pin: PinView;
    release: boolean;
    template?: DesiredDeployment;
    /** The web Deployment berth converges to: its revision and replica count. */
    want: [string, number];
    released?: string[];
    pinned?: boolean;
    held?: boolean;
  }[] = [
    {
      name: 'spec unchanged since the pin: the pinned template, Git’s replica count (kubectl rollout undo)',
      pin: { name: 'web', commit: 'c1', revision: 'v1', headSpec: specHash(head) },
      release: true,
      template: old,
      want: ['v1', 4],
      pinned: true,
    },
    {
      name: 'a newer commit changed the Deployment: released, the head runs',
      pin: { name: 'web', commit: 'c1', revision: 'v1', headSpec: 'other-spec' },
      release: true,
      template: old,
      want: ['v3', 4],
      released: ['web'],
    },
    {
      name: 'changed, but the head is invalid (release: false): kept, the head’s (last good) Deployment runs',
      pin: { name: 'web', commit: 'c1', revision: 'v1', headSpec: 'other-spec' },
      release: false,
      template: old,
      want: ['v3', 4],
    },
    {
      name: 'held (failed with nothing to go back to): left as it runs',
      pin: { name: 'web', commit: 'c3', revision: 'v3', headSpec: specHash(head), hold: true, failed: FAILED },
      release: true,
      want: ['v3', 4],
      held: true,
    },
    {
      name: 'held, and the head is invalid: still held',
      pin: { name: 'web', commit: 'c3', revision: 'v3', headSpec: 'other-spec', hold: true, failed: FAILED },
      release: false,
      want: ['v3', 4],
      held: true,
    },
    {
      name: 'the pin’s commit cannot be read: the head’s Deployment, the pin kept',
      pin: { name: 'web', commit: 'gone', revision: 'v1', headSpec: specHash(head) },
      release: true,
      want: ['v3', 4],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = applyPinsTo(ns([other, head]), [c.pin], (name) => (name === 'web' ? c.template : undefined), { release: c.release });
      const web = r.target.deployments.find((d) => d.name === 'web')!;
      assert.deepEqual([web.revision, web.replicas], c.want);
      assert.deepEqual(r.released, c.released ?? []);
      assert.deepEqual(r.pinned, c.pinned ? [{ name: 'web', revision: 'v1', commit: 'c1' }] : []);
      assert.deepEqual(r.held, c.held ? [{ name: 'web', revision: 'v3', reason: 'ProgressDeadlineExceeded' }] : []);
      assert.equal(
        r.target.deployments.find((d) => d.name === 'api'),
        other,
        'an unpinned Deployment is untouched',
      );
    });
  }

  it('a pin of a Deployment the head no longer has is released (only by a valid head)', () => {
    const pin = { name: 'gone', commit: 'c1', revision: 'v1', headSpec: 'x' };
    assert.deepEqual(applyPinsTo(ns([other]), [pin], () => undefined, { release: true }).released, ['gone']);
    assert.deepEqual(applyPinsTo(ns([other]), [pin], () => undefined, { release: false }).released, []);
  });

  it('pinnedTemplates reads each needed commit once, and only for pins that apply', async () => {
    const asked: string[] = [];
    const pins: PinView[] = [
      { name: 'web', commit: 'c1', revision: 'v1', headSpec: specHash(head) },
      { name: 'api', commit: 'c1', revision: 'a0', headSpec: specHash(other) },
      { name: 'x', commit: 'c9', revision: 'x', headSpec: 'nope' },
    ];
    const templates = await pinnedTemplates(ns([other, head]), pins, async (commit) => {
      asked.push(commit);
      return ns([old, deployment({ name: 'api', revision: 'a0' })]);
    });
    assert.deepEqual(asked, ['c1']);
    assert.deepEqual([...templates.keys()].sort(), ['api', 'web']);
  });
});

describe('diff with rollbacks: plan --live shows what run does', () => {
  const observed: ObservedState = {
    namespaces: [
      {
        name: 'shop',
        network: { id: 'n', name: 'berth.shop' },
        deployments: [{ namespace: 'shop', name: 'web', replicas: replicas('v1', 4, { deployment: 'web' }) }],
        strays: [],
      },
    ],
  };
  const desired = (d: DesiredDeployment): DesiredState => ({ commit: 'c3', instance: 'default', namespaces: [ns([d])], diagnostics: [] });

  it('pinned to what runs: in sync, with the rollback named', () => {
    const pin = { name: 'web', commit: 'c1', revision: 'v1', headSpec: specHash(head) };
    const applied = applyPinsTo(ns([head]), [pin], () => old, { release: true });
    const plan = livePlan({ ...desired(head), namespaces: [applied.target] }, observed, { now: T0, rollbacks: new Map([['shop', applied]]) });
    assert.deepEqual(plan.namespaces[0]!.actions, []);
    assert.equal(plan.namespaces[0]!.verdict, 'in-sync');
    assert.match(renderPlanText(plan), /= deployment web: rolled back to revision v1 \(commit c1\) until a commit changes it/);
    // Without the pins, the same head and engine plan a roll that run would not make.
    assert.equal(livePlan(desired(head), observed, { now: T0 }).namespaces[0]!.actions[0]?.kind, 'update-deployment');
  });

  it('held: no action for the Deployment, and the reason', () => {
    const pin = { name: 'web', commit: 'c3', revision: 'v3', headSpec: specHash(head), hold: true as const, failed: FAILED };
    const applied = applyPinsTo(ns([head]), [pin], () => undefined, { release: true });
    // As the store holds it: the pass decides the hold from it (controller/decide.ts).
    const stored = { ...pin, namespace: 'shop', createdAt: T0.toISOString(), cause: 'auto-rollback' as const };
    const plan = livePlan({ ...desired(head), namespaces: [applied.target] }, observed, {
      now: T0,
      rollbacks: new Map([['shop', applied]]),
      pins: { 'shop/web': stored },
    });
    assert.deepEqual(plan.namespaces[0]!.actions, []);
    assert.match(renderPlanText(plan), /= deployment web: revision v3 failed \(ProgressDeadlineExceeded\) with nothing to roll back to; left as it runs/);
  });

  it('a namespace invalid at the head: run keeps its last valid commit, so the plan shows what run converges to there — never a prune', () => {
    const invalid: DesiredNamespace = {
      ...ns([]),
      valid: false,
      diagnostics: [{ severity: 'error', code: 'YAML_SYNTAX', message: 'bad', file: 'shop/web.yaml', line: 3 }],
    };
    const good = ns([deployment({ name: 'web', revision: 'v1', replicas: 3 })]);
    const drifted: ObservedState = {
      namespaces: [
        {
          name: 'shop',
          network: { id: 'n', name: 'berth.shop' },
          deployments: [
            { namespace: 'shop', name: 'web', replicas: replicas('v1', 2, { deployment: 'web' }) },
            { namespace: 'shop', name: 'extra', replicas: replicas('x', 1, { deployment: 'extra' }) },
          ],
          strays: [],
        },
      ],
    };
    const head: DesiredState = { commit: 'c9', instance: 'default', namespaces: [invalid], diagnostics: [] };
    const plan = livePlan(head, drifted, { now: T0, lastValid: new Map([['shop', { commit: 'c1'.padEnd(40, '0'), desired: good }]]) });
    const shop = plan.namespaces[0]!;
    assert.equal(shop.verdict, 'invalid');
    assert.deepEqual(
      shop.actions.map((a) => a.kind),
      ['scale-deployment'],
      'the missing replica is made again; `extra` (not in the last valid commit) is not pruned',
    );
    assert.match(shop.message ?? '', /keeps running as of c10000000000, which berth converges to/);
    assert.deepEqual(
      shop.diagnostics.map((d) => d.code),
      ['YAML_SYNTAX'],
    );
    // Without a last valid commit (none recorded): left as it runs, no action.
    assert.deepEqual(livePlan(head, drifted, { now: T0 }).namespaces[0]!.actions, []);
  });
});

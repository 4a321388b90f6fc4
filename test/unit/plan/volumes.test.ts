import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DesiredNamespace, DesiredVolume } from '../../../src/desired/index.js';
import type { ObservedNamespace, ObservedVolume } from '../../../src/observed/index.js';
import { confirmedVolumeDeletes, planVolumes, renderPlanText } from '../../../src/plan/index.js';
import { livePlan } from '../../../src/controller/live-plan.js';
import { compare, renderChangeSetMarkdown, renderChangeSetText } from '../../../src/preview/index.js';
import { deployment, replicas, T0 } from '../../helpers/builders.js';

/**
 * What becomes of a namespace's claim volumes (plan/volumes.ts), as tables: the claims in Git,
 * the volumes on the engine, the names the commit's trailers confirm → created, bound,
 * orphaned (kept), deleted.
 */
const claim = (name: string, o: Partial<DesiredVolume> = {}): DesiredVolume => ({
  namespace: 'shop',
  name,
  volumeName: `shop.${name}`,
  storage: '1Gi',
  accessModes: ['ReadWriteOnce'],
  source: { file: `shop/${name}.yaml`, document: 0, line: 1 },
  ...o,
});
const vol = (name: string, o: Partial<ObservedVolume> = {}): ObservedVolume => ({ name, volumeName: `shop.${name}`, driver: 'local', storage: '1Gi', ...o });
const desiredNs = (volumes: DesiredVolume[], valid = true): DesiredNamespace => ({
  name: 'shop',
  network: 'berth.shop',
  valid,
  deployments: [],
  services: [],
  ingresses: [],
  volumes: valid ? volumes : [],
  diagnostics: [],
});
const observedNs = (volumes: ObservedVolume[], deps: ObservedNamespace['deployments'] = []): ObservedNamespace => ({
  name: 'shop',
  deployments: deps,
  strays: [],
  volumes,
});

const rows: {
  name: string;
  desired: DesiredNamespace | undefined;
  observed: ObservedNamespace | undefined;
  confirmed?: string[];
  expect: { create: string[]; bound: string[]; orphaned: string[]; delete: string[]; drift?: RegExp };
}[] = [
  {
    name: 'a new claim: its volume is created',
    desired: desiredNs([claim('data')]),
    observed: undefined,
    expect: { create: ['data'], bound: [], orphaned: [], delete: [] },
  },
  {
    name: 'a claim whose volume exists: bound, nothing to do',
    desired: desiredNs([claim('data')]),
    observed: observedNs([vol('data')]),
    expect: { create: [], bound: ['data'], orphaned: [], delete: [] },
  },
  {
    name: 'a claim removed from Git: its volume is orphaned, kept',
    desired: desiredNs([claim('data')]),
    observed: observedNs([vol('data'), vol('logs')]),
    expect: { create: [], bound: ['data'], orphaned: ['logs'], delete: [] },
  },
  {
    name: 'the whole folder removed from Git: every volume orphaned, kept',
    desired: undefined,
    observed: observedNs([vol('data'), vol('logs')]),
    expect: { create: [], bound: [], orphaned: ['data', 'logs'], delete: [] },
  },
  {
    name: 'a removed claim the commit confirms by name: deleted',
    desired: desiredNs([]),
    observed: observedNs([vol('data'), vol('logs')]),
    confirmed: ['shop/logs'],
    expect: { create: [], bound: [], orphaned: ['data'], delete: ['logs'] },
  },
  {
    name: 'a confirmation for another namespace changes nothing here',
    desired: desiredNs([]),
    observed: observedNs([vol('logs')]),
    confirmed: ['blog/logs'],
    expect: { create: [], bound: [], orphaned: ['logs'], delete: [] },
  },
  {
    name: 'a confirmation never deletes a claim still in Git',
    desired: desiredNs([claim('data')]),
    observed: observedNs([vol('data')]),
    confirmed: ['shop/data'],
    expect: { create: [], bound: ['data'], orphaned: [], delete: [] },
  },
  {
    name: 'an invalid folder decides nothing: no create, no orphan, no delete',
    desired: desiredNs([claim('data')], false),
    observed: observedNs([vol('logs')]),
    confirmed: ['shop/logs'],
    expect: { create: [], bound: [], orphaned: [], delete: [] },
  },
  {
    name: 'a changed storage class or size is reported, the volume kept as it is',
    desired: desiredNs([claim('data', { storageClass: 'fast', storage: '5Gi' })]),
    observed: observedNs([vol('data')]),
    expect: {
      create: [],
      bound: ['data'],
      orphaned: [],
      delete: [],
      drift: /storage class "fast" \(the volume was created with ""\) and storage 5Gi \(recorded 1Gi\); berth never recreates a volume that holds data/,
    },
  },
];

describe('planVolumes: claims, volumes, confirmations', () => {
  for (const row of rows) {
    it(row.name, () => {
      const plan = planVolumes('shop', row.desired, row.observed, new Set(row.confirmed ?? []));
      assert.deepEqual(
        {
          create: plan.create.map((v) => v.name),
          bound: plan.bound.map((b) => b.desired.name),
          orphaned: plan.orphaned.map((v) => v.name),
          delete: plan.delete.map((v) => v.name),
        },
        { create: row.expect.create, bound: row.expect.bound, orphaned: row.expect.orphaned, delete: row.expect.delete },
      );
      if (row.expect.drift) assert.match(plan.bound[0]?.drift ?? '', row.expect.drift);
      else assert.ok(plan.bound.every((b) => b.drift === undefined));
    });
  }
});

describe('confirmedVolumeDeletes: the commit trailer', () => {
  const cases: [string, string[]][] = [
    ['drop logs\n\nBerth-Confirm-Volume-Delete: shop/logs', ['shop/logs']],
    ['x\n\nberth-confirm-volume-delete: shop/logs, blog/cache db/x', ['blog/cache', 'db/x', 'shop/logs']],
    ['x\n\nBerth-Confirm-Volume-Delete: shop/logs\nBerth-Confirm-Volume-Delete: shop/data', ['shop/data', 'shop/logs']],
    ['mentions Berth-Confirm-Volume-Delete: shop/logs mid-line only', []],
    ['x\n\nBerth-Confirm-Volume-Delete: yes', []],
    ['x\n\nBerth-Confirm-Volume-Delete: Shop/Logs ../etc', []],
    ['x\n\nBerth-Confirm-Prune: yes', []],
  ];
  for (const [message, expected] of cases) {
    it(JSON.stringify(message), () => assert.deepEqual([...confirmedVolumeDeletes(message)].sort(), expected));
  }
});

describe('diff: volumes in the plan', () => {
  const state = (namespaces: DesiredNamespace[]) => ({ commit: 'abc', instance: 'default', namespaces, diagnostics: [] });
  const withDeployment = (volumes: DesiredVolume[]): DesiredNamespace => ({ ...desiredNs(volumes), deployments: [deployment({ namespace: 'shop' })] });

  it('creates the volume after the network and before the Deployment that mounts it', () => {
    const plan = livePlan(state([withDeployment([claim('data')])]), { namespaces: [] }, { now: T0 });
    assert.deepEqual(
      plan.namespaces[0]!.actions.map((a) => a.kind),
      ['create-network', 'create-volume', 'create-deployment'],
    );
    assert.equal(plan.summary.create, 2);
    assert.match(renderPlanText(plan), /\+ volume shop\.data for claim data \(1Gi, local driver\)/);
  });

  it('lists an orphaned volume without an action: nothing changes, nothing is pruned', () => {
    const plan = livePlan(state([desiredNs([])]), { namespaces: [observedNs([vol('logs')])] }, { now: T0 });
    const shop = plan.namespaces[0]!;
    assert.equal(shop.verdict, 'in-sync');
    assert.deepEqual(shop.orphanedVolumes, [{ name: 'logs', volume: 'shop.logs' }]);
    assert.match(
      renderPlanText(plan),
      /= volume shop\.logs of claim logs: orphaned, kept with its data \(berth volume delete shop\/logs, or the commit trailer "Berth-Confirm-Volume-Delete: shop\/logs"\)/,
    );
  });

  it('a removed namespace whose Deployments are pruned (confirmed) keeps its volumes; a trailer deletes one, last', () => {
    const observed = {
      namespaces: [
        {
          ...observedNs([vol('data'), vol('logs')], [{ namespace: 'shop', name: 'web', replicas: replicas('r', 1) }]),
          network: { id: 'n', name: 'berth.shop' },
        },
      ],
    };
    const plan = livePlan(state([{ ...desiredNs([]), name: 'blog', network: 'berth.blog' }]), observed, {
      now: T0,
      confirmPrune: true,
      confirmedVolumeDeletes: new Set(['shop/logs']),
    });
    const shop = plan.namespaces.find((n) => n.namespace === 'shop')!;
    assert.deepEqual(
      shop.actions.map((a) => a.kind),
      ['prune-deployment', 'remove-network', 'delete-volume'],
    );
    assert.deepEqual(shop.orphanedVolumes, [{ name: 'data', volume: 'shop.data' }]);
  });

  it('the prune guard holding a namespace holds its volume deletions too', () => {
    const observed = { namespaces: [observedNs([vol('logs')], [{ namespace: 'shop', name: 'web', replicas: replicas('r', 1) }])] };
    const plan = livePlan(state([{ ...desiredNs([]), name: 'blog', network: 'berth.blog' }]), observed, {
      now: T0,
      confirmedVolumeDeletes: new Set(['shop/logs']),
    });
    const shop = plan.namespaces.find((n) => n.namespace === 'shop')!;
    assert.equal(shop.verdict, 'refused');
    assert.deepEqual(shop.actions, []);
  });
});

describe('compare (pull-request plans): claims', () => {
  const state = (commit: string, volumes: DesiredVolume[]) => ({ commit, instance: 'default', namespaces: [desiredNs(volumes)], diagnostics: [] });

  it('an added claim, a changed one, and a removed one whose volume the line says is kept', () => {
    const cs = compare(
      state('b'.repeat(40), [claim('data'), claim('logs')]),
      state('h'.repeat(40), [claim('data', { storage: '5Gi', storageClass: 'fast' }), claim('cache')]),
    );
    const shop = cs.namespaces[0]!;
    assert.equal(shop.status, 'changed');
    assert.deepEqual(
      shop.objects.map((o) => [o.kind, o.name, o.change, o.fields.map((f) => `${f.field}:${f.from ?? ''}→${f.to ?? ''}`)]),
      [
        ['PersistentVolumeClaim', 'cache', 'added', ['storage:→1Gi', 'storageClassName:→(local driver)', 'accessModes:→ReadWriteOnce']],
        ['PersistentVolumeClaim', 'data', 'changed', ['storage:1Gi→5Gi', 'storageClassName:(local driver)→fast']],
        ['PersistentVolumeClaim', 'logs', 'removed', []],
      ],
    );
    const text = renderChangeSetText(cs);
    assert.match(
      text,
      /- persistentvolumeclaim logs: removed — volume shop\.logs: 1Gi, ReadWriteOnce, local driver; the volume and its data are kept \(orphaned\) until berth volume delete shop\/logs or a commit trailer "Berth-Confirm-Volume-Delete: shop\/logs"/,
    );
    assert.match(
      renderChangeSetMarkdown(cs),
      /PersistentVolumeClaim \*\*`logs`\*\* removed: `volume shop\.logs: 1Gi, ReadWriteOnce, local driver; the volume and its data are kept \(orphaned\)/,
    );
  });

  it('the same claims: unchanged', () => {
    const cs = compare(state('b'.repeat(40), [claim('data')]), state('h'.repeat(40), [claim('data')]));
    assert.equal(cs.namespaces[0]!.status, 'unchanged');
  });
});

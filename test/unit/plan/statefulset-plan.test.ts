import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DesiredDeployment, DesiredNamespace, StatefulSettings } from '../../../src/desired/index.js';
import type { ObservedNamespace, ObservedVolume } from '../../../src/observed/index.js';
import { renderPlanText } from '../../../src/plan/index.js';
import { livePlan } from '../../../src/controller/live-plan.js';
import { compare, renderChangeSetText } from '../../../src/preview/index.js';
import { deployment, replica, statefulSettings, T0 } from '../../helpers/builders.js';

/**
 * The live plan of a StatefulSet says what `berth run` does (nextStep hands it to the
 * stateful step): ordinals below the partition and OnDelete replicas are not rolled; a change
 * Kubernetes forbids is refused, not applied; kept and deleted ordinal volumes follow the
 * retention policy. And the PR plan names the StatefulSet's own rollout.
 */
const db = (replicas: number, o: Partial<StatefulSettings> = {}, revision = 'new'): DesiredDeployment =>
  deployment({
    name: 'db',
    replicas,
    revision,
    strategy: { type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 1 },
    stateful: statefulSettings({ serviceName: 'db', ...o }),
  });
const nsOf = (d: DesiredDeployment): DesiredNamespace => ({
  name: 'shop',
  network: 'berth.shop',
  valid: true,
  deployments: [d],
  services: [],
  ingresses: [],
  diagnostics: [],
});
const running = (revisions: readonly string[], fixed = 'f1') =>
  revisions.map((rev, i) => replica(rev, i, { deployment: 'db', kind: 'StatefulSet', fixed, name: `shop.db.${rev}.${i}` }));
const obs = (revisions: readonly string[], volumes: ObservedVolume[] = [], fixed = 'f1'): ObservedNamespace => ({
  name: 'shop',
  network: { id: 'n', name: 'berth.shop' },
  deployments: [{ namespace: 'shop', name: 'db', kind: 'StatefulSet', replicas: running(revisions, fixed) }],
  strays: [],
  volumes,
});
const plan = (d: DesiredDeployment, o: ObservedNamespace) =>
  livePlan({ commit: 'c', instance: 'default', namespaces: [nsOf(d)], diagnostics: [] }, { namespaces: [o] }, { now: T0 }).namespaces[0]!;
const ordinalVolume = (n: number): ObservedVolume => ({
  name: `data-db-${n}`,
  volumeName: `shop.data-db-${n}`,
  driver: 'local',
  statefulSet: { name: 'db', ordinal: n },
});

describe('the live plan of a StatefulSet', () => {
  const rows: { name: string; desired: DesiredDeployment; observed: ObservedNamespace; lines: string[] }[] = [
    {
      name: 'a new template rolls from the highest ordinal',
      desired: db(3),
      observed: obs(['old', 'old', 'old']),
      lines: ['~ statefulset db: roll old → new (busybox:1.36, 3 replica(s), RollingUpdate one ordinal at a time, highest first)'],
    },
    {
      name: 'partition 2 with ordinal 2 updated: in sync (ordinals 0 and 1 stay)',
      desired: db(3, { updateStrategy: { type: 'RollingUpdate', partition: 2 } }),
      observed: obs(['old', 'old', 'new']),
      lines: [],
    },
    {
      name: 'partition 1: only ordinals 1 and 2 roll',
      desired: db(3, { updateStrategy: { type: 'RollingUpdate', partition: 1 } }),
      observed: obs(['old', 'old', 'old']),
      lines: ['~ statefulset db: roll old → new (busybox:1.36, 3 replica(s), RollingUpdate one ordinal at a time, highest first, ordinals ≥ 1 (partition))'],
    },
    {
      name: 'OnDelete: running replicas are left as they are',
      desired: db(2, { updateStrategy: { type: 'OnDelete' } }),
      observed: obs(['old', 'old']),
      lines: [],
    },
    {
      name: 'volumeClaimTemplates changed: refused, no action',
      desired: db(2, { fixed: 'f2' }, 'newer'),
      observed: obs(['new', 'new']),
      lines: ['! statefulset db: StatefulSet shop/db (shop/web.yaml:1): spec.volumeClaimTemplates cannot change once it runs'],
    },
    {
      name: 'scaled down with whenScaled Retain: the volume of ordinal 2 is kept (not orphaned, not deleted)',
      desired: db(2),
      observed: obs(['new', 'new', 'new'], [ordinalVolume(0), ordinalVolume(1), ordinalVolume(2)]),
      lines: ['~ statefulset db: scale 3 → 2'],
    },
    {
      name: 'scaled down with whenScaled Delete: the volume of ordinal 2 goes, by the policy',
      desired: db(2, { retention: { whenDeleted: 'Retain', whenScaled: 'Delete' } }),
      observed: obs(['new', 'new', 'new'], [ordinalVolume(0), ordinalVolume(1), ordinalVolume(2)]),
      lines: [
        '~ statefulset db: scale 3 → 2',
        '- volume shop.data-db-2 of claim data-db-2 and its data (its StatefulSet scaled down, with persistentVolumeClaimRetentionPolicy whenScaled: Delete)',
      ],
    },
  ];
  for (const row of rows)
    it(row.name, () => {
      const p = plan(row.desired, row.observed);
      const text = renderPlanText({
        commit: 'c',
        namespaces: [p],
        diagnostics: [],
        summary: { create: 0, update: 0, prune: 0, invalidNamespaces: 0, refusedNamespaces: 0 },
        pruneGuard: { holds: false } as never,
      })
        .split('\n')
        .slice(2, -2)
        .map((l) => l.trim())
        .filter((l) => !l.startsWith('next pass:')); // what the next pass does: test/unit/controller/plan-agrees.test.ts
      assert.equal(text.length, row.lines.length, text.join('\n'));
      row.lines.forEach((line, i) => assert.ok(text[i]!.startsWith(line), `${text[i]}\n  should start with\n${line}`));
      assert.equal(p.orphanedVolumes, undefined, 'no ordinal volume is orphaned while its StatefulSet is in Git');
    });
});

describe('the PR plan of a StatefulSet', () => {
  it('names it and its ordered rollout', () => {
    const state = (d: DesiredDeployment) => ({ commit: 'c', instance: 'default', namespaces: [nsOf(d)], diagnostics: [] });
    const changes = compare(state(db(3, {}, 'a')), state(deployment({ ...db(3, {}, 'b'), template: { ...db(3).template, image: 'busybox:1.37' } })), {
      root: '',
    });
    const text = renderChangeSetText(changes);
    assert.match(text, /~ statefulset db: changed, rolls — StatefulSet RollingUpdate one ordinal at a time, highest first over 3 replicas/);
  });
});

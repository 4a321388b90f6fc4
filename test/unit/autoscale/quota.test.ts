/** The ResourceQuota cap on an HPA's scale-up (autoscale/quota.ts), from manifests as a user writes them. Table-driven. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide, DEFAULT_BEHAVIOR, quotaCap } from '../../../src/autoscale/index.js';
import { buildNamespace } from '../../../src/desired/index.js';
import { loadManifests, ManifestCache } from '../../../src/manifests/index.js';
import { deploymentYaml, hpaYaml } from '../../helpers/manifests.js';
import { folder, snapshot } from '../manifests/snapshot-builder.js';

const deployment = (name: string, replicas: number, limits: Record<string, string>): string =>
  deploymentYaml({ name, replicas, resources: { requests: { cpu: '100m' }, limits } });

const HPA = hpaYaml({ name: 'web', max: 10, metrics: [{ resource: 'cpu', utilization: 80 }] });

function quota(name: string, hard: string): string {
  return `apiVersion: v1
kind: ResourceQuota
metadata:
  name: ${name}
spec:
  hard:
${hard}`;
}

const LIMITS = { cpu: '500m', memory: '256Mi' };
const SMALL = { cpu: '250m', memory: '64Mi' };

describe('quotaCap', () => {
  const rows: [what: string, files: Record<string, string>, cap: number | undefined, message?: RegExp][] = [
    ['no quota: no cap', { 'web.yaml': deployment('web', 1, LIMITS), 'hpa.yaml': HPA }, undefined],
    [
      'pods 4, another Deployment at 2 → 2',
      { 'web.yaml': deployment('web', 1, LIMITS), 'db.yaml': deployment('db', 2, SMALL), 'q.yaml': quota('small', '    pods: "4"\n'), 'hpa.yaml': HPA },
      2,
      /ResourceQuota small allows pods 4, and the other Deployments run 2/,
    ],
    [
      'limits.cpu 2, 500m a replica, another at 2 × 250m → 3',
      { 'web.yaml': deployment('web', 1, LIMITS), 'db.yaml': deployment('db', 2, SMALL), 'q.yaml': quota('cpu', '    limits.cpu: "2"\n'), 'hpa.yaml': HPA },
      3,
      /limits.cpu for 3 replicas/,
    ],
    [
      'limits.memory 1Gi, 256Mi a replica → 4',
      { 'web.yaml': deployment('web', 1, LIMITS), 'q.yaml': quota('mem', '    limits.memory: 1Gi\n'), 'hpa.yaml': HPA },
      4,
    ],
    [
      'several bounds, in two quotas: the smallest wins',
      {
        'web.yaml': deployment('web', 1, LIMITS),
        'q.yaml': quota('a', '    pods: "9"\n    limits.memory: 1Gi\n'),
        'q2.yaml': quota('b', '    limits.cpu: "1"\n'),
        'hpa.yaml': HPA,
      },
      2,
      /ResourceQuota b/,
    ],
  ];
  for (const [what, files, cap, message] of rows) {
    it(what, () => {
      const set = loadManifests(snapshot([folder('shop', files)]), new ManifestCache());
      const ns = buildNamespace(set.namespaces[0]!, 'i1');
      assert.equal(ns.valid, true, JSON.stringify(ns.diagnostics));
      const got = quotaCap(ns, 'web');
      assert.equal(got?.replicas, cap);
      if (message) assert.match(got?.message ?? '', message);
    });
  }
});

describe('decide with a quota limit', () => {
  const base = {
    now: 1_000_000,
    minReplicas: 1,
    maxReplicas: 10,
    currentReplicas: 2,
    behavior: DEFAULT_BEHAVIOR,
    history: { recommendations: [], events: [] },
  };
  it('a scale-up stops at the cap, and ScalingLimited says why', () => {
    const d = decide({ ...base, metrics: [{ replicas: 5, current: 200 }], quotaLimit: { replicas: 3, message: 'ResourceQuota q allows pods 4' } });
    assert.equal(d.desiredReplicas, 3);
    assert.deepEqual(
      d.conditions.find((c) => c.type === 'ScalingLimited'),
      { type: 'ScalingLimited', status: 'True', reason: 'QuotaLimited', message: 'the desired replica count is capped at 3: ResourceQuota q allows pods 4' },
    );
  });
  it('a cap below the current count never scales down by itself', () => {
    const d = decide({ ...base, currentReplicas: 4, metrics: [{ replicas: 6, current: 200 }], quotaLimit: { replicas: 2, message: 'q' } });
    assert.equal(d.desiredReplicas, 4);
  });
  it('under the cap: nothing changes', () => {
    const d = decide({ ...base, metrics: [{ replicas: 3, current: 200 }], quotaLimit: { replicas: 8, message: 'q' } });
    assert.equal(d.desiredReplicas, 3);
    assert.equal(d.conditions[2].reason, 'DesiredWithinRange');
  });
});

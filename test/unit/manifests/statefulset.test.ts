import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDesiredState } from '../../../src/desired/index.js';
import { loadManifests, ManifestCache, type NamespaceManifests } from '../../../src/manifests/index.js';
import { checkNamespacePolicy, DEFAULT_OPERATOR_POLICY } from '../../../src/policy/index.js';
import { folder, snapshot } from './snapshot-builder.js';

/**
 * apps/v1 StatefulSet, table-driven: each row is a namespace folder and the diagnostics it must
 * produce (code, field, line; severity), then what the desired state holds for a valid one.
 * `sts()` lines: metadata.name 4, spec 5, replicas 6, serviceName 7, the pod spec from 14,
 * volumeClaimTemplates after the container (line 22), then `extra` spec lines.
 */
function sts(o: { name?: string; replicas?: number; service?: string; extra?: string; mount?: string; templates?: string; podVolumes?: string } = {}): string {
  const name = o.name ?? 'db';
  return [
    'apiVersion: apps/v1',
    'kind: StatefulSet',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    `  replicas: ${o.replicas ?? 3}`,
    `  serviceName: ${o.service ?? 'db'}`,
    '  selector:',
    '    matchLabels:',
    `      app: ${name}`,
    '  template:',
    '    metadata:',
    `      labels: { app: ${name} }`,
    '    spec:',
    '      containers:',
    '        - name: db',
    '          image: busybox:1.36',
    `          volumeMounts: [{ name: ${o.mount ?? 'data'}, mountPath: /data }]`,
    ...(o.podVolumes ? [o.podVolumes] : []),
    '  volumeClaimTemplates:',
    o.templates ?? '    - metadata: { name: data }\n      spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }',
    ...(o.extra ? [o.extra] : []),
    '',
  ].join('\n');
}
const headless = (name = 'db', clusterIP = 'None') =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  clusterIP: ${clusterIP}\n  selector: { app: db }\n  ports: [{ port: 5432 }]\n`;
const deployment = (name: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  selector: { matchLabels: { app: x } }\n  template:\n    metadata: { labels: { app: x } }\n    spec:\n      containers: [{ name: x, image: busybox:1.36 }]\n`;

function load(files: Readonly<Record<string, string>>): NamespaceManifests {
  return loadManifests(snapshot([folder('shop', files)]), new ManifestCache()).namespaces[0]!;
}
const brief = (ns: NamespaceManifests) => ns.diagnostics.map((d) => `${d.severity} ${d.code} ${d.file?.replace(/^shop\//, '')}:${d.line} ${d.field ?? ''}`);

describe('StatefulSet manifests', () => {
  const rows: { name: string; files: Record<string, string>; expect: string[]; message?: RegExp }[] = [
    { name: 'a StatefulSet with its headless Service: valid, no warning', files: { 'db.yaml': sts(), 'svc.yaml': headless() }, expect: [] },
    {
      name: 'serviceName names no Service: warning (as Kubernetes), still valid',
      files: { 'db.yaml': sts() },
      expect: ['warning STATEFULSET_SERVICE db.yaml:7 spec.serviceName'],
      message: /no Service "db" is defined/,
    },
    {
      name: 'serviceName names a Service with a virtual address: warning',
      files: { 'db.yaml': sts(), 'svc.yaml': headless('db', '""') },
      expect: ['warning STATEFULSET_SERVICE db.yaml:7 spec.serviceName'],
      message: /is not headless/,
    },
    {
      name: 'a mount of no pod volume and no claim template: error',
      files: { 'db.yaml': sts({ mount: 'logs' }), 'svc.yaml': headless() },
      expect: [
        'error INVALID_VALUE db.yaml:18 spec.template.spec.containers[0].volumeMounts[0].name',
        'warning INVALID_VALUE db.yaml:20 spec.volumeClaimTemplates[0].metadata.name',
      ],
    },
    {
      name: 'two claim templates of one name: error',
      files: {
        'db.yaml': sts({
          templates:
            '    - metadata: { name: data }\n      spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }\n    - metadata: { name: data }\n      spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 2Gi } } }',
        }),
        'svc.yaml': headless(),
      },
      expect: ['error INVALID_VALUE db.yaml:22 spec.volumeClaimTemplates[1].metadata.name'],
    },
    {
      name: 'OnDelete with rollingUpdate: error (as the API server)',
      files: { 'db.yaml': sts({ extra: '  updateStrategy: { type: OnDelete, rollingUpdate: { partition: 1 } }' }), 'svc.yaml': headless() },
      expect: ['error INVALID_STRATEGY db.yaml:22 spec.updateStrategy.rollingUpdate'],
    },
    {
      name: 'a replica name longer than a DNS label: error',
      files: { 'db.yaml': sts({ name: 'd'.repeat(62), service: 'db', replicas: 10 }), 'svc.yaml': headless() },
      expect: ['error INVALID_VALUE db.yaml:4 metadata.name', `warning STATEFULSET_SERVICE db.yaml:7 spec.serviceName`].slice(0, 1),
    },
    {
      name: 'a Deployment of the same name: error at the later object',
      files: { 'a.yaml': deployment('db'), 'db.yaml': sts(), 'svc.yaml': headless() },
      expect: ['error WORKLOAD_NAME_CONFLICT db.yaml:4 metadata.name'],
      message: /a Deployment and a StatefulSet cannot share one/,
    },
    {
      name: 'a workload named like a replica (db-2 of 3): error',
      files: { 'db.yaml': sts(), 'svc.yaml': headless(), 'x.yaml': deployment('db-2') },
      expect: ['error WORKLOAD_NAME_CONFLICT x.yaml:4 metadata.name'],
      message: /replica of StatefulSet "db"/,
    },
    {
      name: 'db-3 is no replica of 3: fine',
      files: { 'db.yaml': sts(), 'svc.yaml': headless(), 'x.yaml': deployment('db-3') },
      expect: [],
    },
    {
      name: 'whenDeleted: Delete is a warning: volumes are kept',
      files: { 'db.yaml': sts({ extra: '  persistentVolumeClaimRetentionPolicy: { whenDeleted: Delete }' }), 'svc.yaml': headless() },
      expect: ['warning INVALID_VALUE db.yaml:22 spec.persistentVolumeClaimRetentionPolicy.whenDeleted'],
    },
    {
      name: 'ordinals (start) are not supported: error',
      files: { 'db.yaml': sts({ extra: '  ordinals: { start: 1 }' }), 'svc.yaml': headless() },
      expect: ['error UNSUPPORTED_FIELD db.yaml:22 spec.ordinals'],
    },
  ];
  for (const row of rows)
    it(row.name, () => {
      const ns = load(row.files);
      assert.deepEqual(brief(ns), row.expect);
      if (row.message) assert.match(ns.diagnostics.map((d) => d.message).join('\n'), row.message);
    });

  it('the namespace policy applies to a StatefulSet as to a Deployment (privileged refused, claim template storage class checked)', () => {
    const ns = load({
      'db.yaml': sts({
        templates:
          '    - metadata: { name: data }\n      spec: { accessModes: [ReadWriteOnce], storageClassName: fast, resources: { requests: { storage: 1Gi } } }',
      }).replace('          image: busybox:1.36', '          image: busybox:1.36\n          securityContext: { privileged: true }'),
      'svc.yaml': headless(),
    });
    assert.equal(ns.valid, true, JSON.stringify(ns.diagnostics));
    const denied = checkNamespacePolicy(ns, DEFAULT_OPERATOR_POLICY).map((d) => `${d.code} ${d.field} ${d.line}`);
    assert.deepEqual(denied, [
      'STORAGE_CLASS_UNKNOWN spec.volumeClaimTemplates[0].spec.storageClassName 22',
      'POLICY_DENIED spec.template.spec.containers[0].securityContext.privileged 18',
    ]);
  });
});

describe('StatefulSet → desired state', () => {
  const desired = (files: Readonly<Record<string, string>>) => {
    const ns = buildDesiredState(loadManifests(snapshot([folder('shop', files)]), new ManifestCache()), { instance: 'default' }).namespaces[0]!;
    assert.equal(ns.valid, true, JSON.stringify(ns.diagnostics));
    return ns;
  };

  it('one volume per claim template per ordinal, named as Kubernetes names the claims; the mount is per replica', () => {
    const ns = desired({ 'db.yaml': sts(), 'svc.yaml': headless() });
    const d = ns.deployments[0]!;
    assert.equal(d.stateful?.podManagementPolicy, 'OrderedReady');
    assert.deepEqual(d.stateful?.updateStrategy, { type: 'RollingUpdate', partition: 0 });
    assert.deepEqual(d.stateful?.claimTemplates, ['data']);
    assert.deepEqual(d.template.mounts, [
      { volume: 'data', mountPath: '/data', readOnly: false, source: { kind: 'persistentVolumeClaim', claim: 'data', perReplica: true } },
    ]);
    assert.deepEqual(
      (ns.volumes ?? []).map((v) => `${v.name} ${v.volumeName} ${v.statefulSet?.name}/${v.statefulSet?.ordinal}`),
      ['data-db-0 shop.data-db-0 db/0', 'data-db-1 shop.data-db-1 db/1', 'data-db-2 shop.data-db-2 db/2'],
    );
  });

  it('a claim of that name in Git is used for its ordinal (Kubernetes: a claim made ahead)', () => {
    const claim =
      'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data-db-1\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: { requests: { storage: 5Gi } }\n';
    const ns = desired({ 'db.yaml': sts(), 'svc.yaml': headless(), 'claim.yaml': claim });
    assert.deepEqual(
      (ns.volumes ?? []).map((v) => `${v.name} ${v.storage} ${v.statefulSet ? 'template' : 'git'}`),
      ['data-db-0 1Gi template', 'data-db-1 5Gi git', 'data-db-2 1Gi template'],
    );
  });

  it('the same template as a Deployment has the same revision; what Kubernetes forbids changing moves `fixed`, not the revision', () => {
    const a = desired({ 'db.yaml': sts(), 'svc.yaml': headless() }).deployments[0]!;
    const b = desired({
      'db.yaml': sts({ templates: '    - metadata: { name: data }\n      spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 2Gi } } }' }),
      'svc.yaml': headless(),
    }).deployments[0]!;
    const c = desired({ 'db.yaml': sts({ replicas: 5, extra: '  podManagementPolicy: Parallel' }), 'svc.yaml': headless() }).deployments[0]!;
    assert.equal(a.revision, b.revision);
    assert.notEqual(a.stateful?.fixed, b.stateful?.fixed);
    assert.equal(a.revision, c.revision);
    assert.notEqual(a.stateful?.fixed, c.stateful?.fixed);
    assert.equal(c.stateful?.podManagementPolicy, 'Parallel');
  });
});

describe('StatefulSet claims count toward ResourceQuota', () => {
  const quota = (hard: string) => `apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: q\nspec:\n  hard: { ${hard} }\n`;
  it('persistentvolumeclaims: 3 replicas × 1 template = 3 claims', () => {
    assert.deepEqual(brief(load({ 'db.yaml': sts(), 'svc.yaml': headless(), 'q.yaml': quota('persistentvolumeclaims: "3"') })), []);
    const over = load({ 'db.yaml': sts(), 'svc.yaml': headless(), 'q.yaml': quota('persistentvolumeclaims: "2"') });
    assert.deepEqual(brief(over), ['error QUOTA_EXCEEDED db.yaml:21 metadata.name']);
    assert.match(over.diagnostics[0]!.message, /PersistentVolumeClaims 2 \+ 1 = 3 > persistentvolumeclaims 2/);
  });
  it('requests.storage: 3 × 1Gi against 2Gi is over at the third ordinal, located at the template', () => {
    const over = load({ 'db.yaml': sts(), 'svc.yaml': headless(), 'q.yaml': quota('requests.storage: 2Gi') });
    assert.deepEqual(brief(over), ['error QUOTA_EXCEEDED db.yaml:21 spec.volumeClaimTemplates[0].spec.resources.requests.storage']);
    assert.match(over.diagnostics[0]!.message, /2Gi \+ 1Gi = 3Gi > requests.storage 2Gi/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDiagnostic, type Diagnostic } from '../../../src/core/index.js';
import { loadManifests, ManifestCache, type NamespaceManifests } from '../../../src/manifests/index.js';
import { folder, snapshot, type FileSpec } from './snapshot-builder.js';

/**
 * v1 PersistentVolumeClaim and persistentVolumeClaim volumes, table-driven: each row is a
 * namespace folder and exactly the errors and warnings it must produce (code, file, field,
 * line; a message pattern when given).
 *
 * Lines: `claim()` has metadata.name on 4, `accessModes:` on 6 and its items from 7; the
 * storage request follows the modes, then `extra` lines. `app()` has replicas on 6, `volumes:`
 * on 21 with the first claimName on 23 (each further volume 3 lines down), `strategy` lines after.
 */
interface Expected {
  readonly severity: Diagnostic['severity'];
  readonly code: string;
  readonly file: string;
  readonly field: string;
  readonly line: number;
  readonly message?: RegExp;
}

const err = (code: string, file: string, field: string, line: number, message?: RegExp): Expected => ({ severity: 'error', code, file, field, line, message });
const warn = (code: string, file: string, field: string, line: number, message?: RegExp): Expected => ({
  severity: 'warning',
  code,
  file,
  field,
  line,
  message,
});

function claim(name: string, modes: readonly string[] = ['ReadWriteOnce'], storage = '1Gi', extra = ''): string {
  return `apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: ${name}\nspec:\n  accessModes:\n${modes.map((m) => `    - ${m}\n`).join('')}  resources:\n    requests:\n      storage: ${storage}\n${extra}`;
}

function app(name: string, claims: readonly string[], options: { replicas?: number; strategy?: string; mount?: string } = {}): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    `  replicas: ${options.replicas ?? 1}`,
    '  selector:',
    '    matchLabels:',
    `      app: ${name}`,
    '  template:',
    '    metadata:',
    '      labels:',
    `        app: ${name}`,
    '    spec:',
    '      containers:',
    '        - name: app',
    '          image: busybox:1.36',
    '          volumeMounts:',
    `            - name: v0\n              mountPath: /data${options.mount ?? ''}`,
    '      volumes:',
    ...claims.map((c, i) => `        - name: v${i}\n          persistentVolumeClaim:\n            claimName: ${c}`),
    ...(options.strategy ? [options.strategy] : []),
    '',
  ].join('\n');
}

const RECREATE = '  strategy:\n    type: Recreate';
const NO_SURGE = '  strategy:\n    rollingUpdate:\n      maxSurge: 0\n      maxUnavailable: 1';
const CLAIM = (i: number): string => `spec.template.spec.volumes[${i}].persistentVolumeClaim.claimName`;

function load(files: Readonly<Record<string, FileSpec>>): NamespaceManifests {
  return loadManifests(snapshot([folder('shop', files)]), new ManifestCache()).namespaces[0]!;
}

const rows: readonly { name: string; files: Record<string, FileSpec>; expect: readonly Expected[] }[] = [
  { name: 'a claim and a Deployment mounting it: valid', files: { 'data.yaml': claim('data'), 'app.yaml': app('app', ['data'], { replicas: 3 }) }, expect: [] },
  {
    name: 'a claim nobody mounts: valid',
    files: { 'data.yaml': claim('data', ['ReadWriteMany', 'ReadOnlyMany'], '10Gi', '  storageClassName: fast\n  volumeMode: Filesystem\n') },
    expect: [],
  },
  {
    name: 'a claim that does not exist: located on the claimName, naming what the folder defines',
    files: { 'data.yaml': claim('data'), 'app.yaml': app('app', ['dta']) },
    expect: [
      err('CLAIM_NOT_FOUND', 'shop/app.yaml', CLAIM(0), 24, /^PersistentVolumeClaim "dta" is not defined in namespace folder "shop" \(it defines "data"\)/),
    ],
  },
  {
    name: 'volumeMode Block is refused, on the field',
    files: { 'data.yaml': claim('data', ['ReadWriteOnce'], '1Gi', '  volumeMode: Block\n') },
    expect: [err('INVALID_VALUE', 'shop/data.yaml', 'spec.volumeMode', 11, /Block volumes/)],
  },
  {
    name: 'an unknown access mode',
    files: { 'data.yaml': claim('data', ['ReadWriteSometimes']) },
    expect: [err('INVALID_VALUE', 'shop/data.yaml', 'spec.accessModes[0]', 7, /ReadWriteOncePod/)],
  },
  {
    name: 'no storage request (Kubernetes requires one)',
    files: { 'data.yaml': 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {}\n' },
    expect: [err('MISSING_FIELD', 'shop/data.yaml', 'spec.resources.requests', 7)],
  },
  {
    name: 'a storage request that is not a quantity',
    files: { 'data.yaml': claim('data', ['ReadWriteOnce'], 'lots') },
    expect: [err('INVALID_QUANTITY', 'shop/data.yaml', 'spec.resources.requests.storage', 10)],
  },
  {
    name: 'selector (binding a pre-existing PersistentVolume) is unsupported',
    files: { 'data.yaml': claim('data', ['ReadWriteOnce'], '1Gi', '  selector:\n    matchLabels: { a: b }\n') },
    expect: [err('UNSUPPORTED_FIELD', 'shop/data.yaml', 'spec.selector', 11)],
  },
  {
    name: 'a storage limit is ignored with a warning',
    files: { 'data.yaml': claim('data', ['ReadWriteOnce'], '1Gi').replace('    requests:', '    limits:\n      storage: 2Gi\n    requests:') },
    expect: [warn('IGNORED_FIELD', 'shop/data.yaml', 'spec.resources.limits', 9)],
  },
  {
    name: 'subPath of a claim is refused (engine API 1.41 mounts volumes whole)',
    files: { 'data.yaml': claim('data'), 'app.yaml': app('app', ['data'], { mount: '\n              subPath: www' }) },
    expect: [err('UNSUPPORTED_FIELD', 'shop/app.yaml', 'spec.template.spec.containers[0].volumeMounts[0].subPath', 21)],
  },
  // ---- ReadWriteOncePod
  {
    name: 'ReadWriteOncePod, one replica, Recreate: valid',
    files: { 'db.yaml': claim('db', ['ReadWriteOncePod']), 'app.yaml': app('app', ['db'], { strategy: RECREATE }) },
    expect: [],
  },
  {
    name: 'ReadWriteOncePod, one replica, maxSurge 0: valid',
    files: { 'db.yaml': claim('db', ['ReadWriteOncePod']), 'app.yaml': app('app', ['db'], { strategy: NO_SURGE }) },
    expect: [],
  },
  {
    name: 'ReadWriteOncePod with the default strategy: 25 % surge rounds up to a second replica',
    files: { 'db.yaml': claim('db', ['ReadWriteOncePod']), 'app.yaml': app('app', ['db']) },
    expect: [err('CLAIM_ACCESS_CONFLICT', 'shop/app.yaml', CLAIM(0), 24, /maxSurge, default 25 %, rounds up to 1.*Recreate.*maxSurge: 0/)],
  },
  {
    name: 'ReadWriteOncePod with replicas 2',
    files: { 'db.yaml': claim('db', ['ReadWriteOncePod']), 'app.yaml': app('app', ['db'], { replicas: 2, strategy: RECREATE }) },
    expect: [err('CLAIM_ACCESS_CONFLICT', 'shop/app.yaml', CLAIM(0), 24, /has replicas 2/)],
  },
  {
    name: 'two Deployments mounting one ReadWriteOncePod claim: the second (file order) gets the error',
    files: {
      'db.yaml': claim('db', ['ReadWriteOncePod']),
      'a.yaml': app('a', ['db'], { strategy: RECREATE }),
      'b.yaml': app('b', ['db'], { strategy: RECREATE }),
    },
    expect: [err('CLAIM_ACCESS_CONFLICT', 'shop/b.yaml', CLAIM(0), 24, /only one Deployment may mount it, and Deployment "a" \(shop\/a\.yaml\) already does/)],
  },
  {
    name: 'two Deployments mounting one ReadWriteOnce claim: valid (one host is one node)',
    files: { 'data.yaml': claim('data'), 'a.yaml': app('a', ['data']), 'b.yaml': app('b', ['data']) },
    expect: [],
  },
  // ---- quotas
  {
    name: 'quota persistentvolumeclaims: the claim beyond the bound gets the error',
    files: {
      'a.yaml': claim('a'),
      'b.yaml': claim('b'),
      'quota.yaml': 'apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: storage\nspec:\n  hard:\n    persistentvolumeclaims: 1\n',
    },
    expect: [
      err('QUOTA_EXCEEDED', 'shop/b.yaml', 'metadata.name', 4, /^PersistentVolumeClaims 1 \+ 1 = 2 > persistentvolumeclaims 1 of ResourceQuota shop\/storage/),
    ],
  },
  {
    name: 'quota requests.storage: summed in file order, with the arithmetic',
    files: {
      'a.yaml': claim('a', ['ReadWriteOnce'], '8Gi'),
      'b.yaml': claim('b', ['ReadWriteOnce'], '4Gi'),
      'quota.yaml': 'apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: storage\nspec:\n  hard:\n    requests.storage: 10Gi\n',
    },
    expect: [
      err(
        'QUOTA_EXCEEDED',
        'shop/b.yaml',
        'spec.resources.requests.storage',
        10,
        /^requests\.storage 8Gi \+ 4Gi = 12Gi > requests\.storage 10Gi of ResourceQuota shop\/storage \(shop\/quota\.yaml:7\)/,
      ),
    ],
  },
  {
    name: 'quota requests.storage within the bound: valid',
    files: {
      'a.yaml': claim('a', ['ReadWriteOnce'], '8Gi'),
      'quota.yaml':
        'apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: storage\nspec:\n  hard:\n    requests.storage: 10Gi\n    count/persistentvolumeclaims: "1"\n',
    },
    expect: [],
  },
];

describe('PersistentVolumeClaim validation', () => {
  for (const row of rows) {
    it(row.name, () => {
      const ns = load(row.files);
      const got = ns.diagnostics.map((d) => ({ severity: d.severity, code: d.code, file: d.file, field: d.field, line: d.line, message: d.message }));
      const shown = ns.diagnostics.map(formatDiagnostic).join('\n');
      assert.equal(got.length, row.expect.length, `diagnostics:\n${shown}`);
      row.expect.forEach((e, i) => {
        const d = got[i]!;
        assert.deepEqual(
          { severity: d.severity, code: d.code, file: d.file, field: d.field, line: d.line },
          { severity: e.severity, code: e.code, file: e.file, field: e.field, line: e.line },
          `diagnostics:\n${shown}`,
        );
        if (e.message) assert.match(d.message, e.message);
      });
      assert.equal(ns.valid, !row.expect.some((e) => e.severity === 'error'));
      if (!ns.valid) assert.deepEqual(ns.objects, [], 'an invalid folder loads no objects: it is left as it runs');
    });
  }

  it('a valid claim is loaded with its spec and source', () => {
    const ns = load({ 'data.yaml': claim('data', ['ReadWriteOncePod'], '5Gi', '  storageClassName: fast\n') });
    const object = ns.objects[0]!;
    assert.equal(object.kind, 'PersistentVolumeClaim');
    if (object.kind !== 'PersistentVolumeClaim') return;
    assert.deepEqual(object.spec, { accessModes: ['ReadWriteOncePod'], resources: { requests: { storage: '5Gi' } }, storageClassName: 'fast' });
    assert.deepEqual(object.source, { file: 'shop/data.yaml', document: 0, line: 1 });
    assert.deepEqual(object.positions?.['spec.storageClassName'], { line: 11, column: 3 });
  });
});

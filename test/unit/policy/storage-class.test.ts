import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BerthError } from '../../../src/core/index.js';
import { buildDesiredState, volumeName } from '../../../src/desired/index.js';
import { loadManifests, ManifestCache, type NamespaceManifests } from '../../../src/manifests/index.js';
import { observe } from '../../../src/observed/index.js';
import { checkNamespacePolicy, parseOperatorPolicy, parseStorageClasses, storageClassOf } from '../../../src/policy/index.js';
import { folder, snapshot } from '../manifests/snapshot-builder.js';

/**
 * Claims across the pure modules: storage classes are the operator's (flags, never Git); a
 * persistentVolumeClaim volume is allowed at every pod-security level; the desired volume and
 * mount; the observed volume rebuilt from labels alone.
 */
const claim = (name: string, extra = ''): string =>
  `apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: ${name}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n${extra}`;
const app = (volume: string, mount = ''): string =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  selector:\n    matchLabels: { app: app }\n  template:\n    metadata:\n      labels: { app: app }\n    spec:\n      containers:\n        - name: app\n          image: busybox:1.36\n          volumeMounts:\n            - { name: data, mountPath: /data${mount} }\n      volumes:\n        - name: data\n${volume}`;

function load(files: Record<string, string>): NamespaceManifests {
  const ns = loadManifests(snapshot([folder('shop', files)]), new ManifestCache()).namespaces[0]!;
  assert.ok(ns.valid, ns.diagnostics.map((d) => d.message).join('\n'));
  return ns;
}

describe('storage classes (--storage-class NAME=driver[,option=value...])', () => {
  const parses: [string, Record<string, { driver: string; options: Record<string, string> }>][] = [
    ['fast=local', { fast: { driver: 'local', options: {} } }],
    ['ram=local,type=tmpfs,device=tmpfs,o=size=100m', { ram: { driver: 'local', options: { type: 'tmpfs', device: 'tmpfs', o: 'size=100m' } } }],
    [
      'nfs.shared=local,type=nfs,o=addr=10.0.0.1,device=:/export',
      { 'nfs.shared': { driver: 'local', options: { type: 'nfs', o: 'addr=10.0.0.1', device: ':/export' } } },
    ],
  ];
  for (const [value, expected] of parses) it(`parses ${value}`, () => assert.deepEqual(parseStorageClasses([value]), expected));
  for (const bad of ['fast', 'Fast=local', 'fast=', 'fast=local,opt', '=local']) {
    it(`refuses ${JSON.stringify(bad)} as a usage error`, () =>
      assert.throws(
        () => parseStorageClasses([bad]),
        (e: unknown) => e instanceof BerthError && e.code === 'USAGE',
      ));
  }
  it('refuses a class defined twice', () => assert.throws(() => parseStorageClasses(['a=local', 'a=other']), /defined twice/));
  it('no class = the local driver; `local` is built in unless redefined; an unknown class is undefined', () => {
    const operator = parseOperatorPolicy({ storageClasses: ['fast=ssd-driver,tier=1'] });
    assert.deepEqual(storageClassOf(operator, undefined), { driver: 'local', options: {} });
    assert.deepEqual(storageClassOf(operator, ''), { driver: 'local', options: {} });
    assert.deepEqual(storageClassOf(operator, 'local'), { driver: 'local', options: {} });
    assert.deepEqual(storageClassOf(operator, 'fast'), { driver: 'ssd-driver', options: { tier: '1' } });
    assert.equal(storageClassOf(operator, 'standard'), undefined);
    assert.deepEqual(storageClassOf(parseOperatorPolicy({ storageClasses: ['local=other'] }), 'local'), { driver: 'other', options: {} });
  });
});

describe('the namespace policy and claims', () => {
  it('an unknown storage class is a located error naming the defined classes and the flag', () => {
    const ns = load({ 'data.yaml': claim('data', '  storageClassName: standard\n') });
    const got = checkNamespacePolicy(ns, parseOperatorPolicy({ storageClasses: ['fast=local'] }));
    assert.deepEqual(
      got.map((d) => ({ code: d.code, file: d.file, field: d.field, line: d.line })),
      [{ code: 'STORAGE_CLASS_UNKNOWN', file: 'shop/data.yaml', field: 'spec.storageClassName', line: 10 }],
    );
    assert.match(got[0]!.message, /storage class "standard" is not defined by the operator \(defined: fast, local\).*--storage-class standard=driver/);
  });

  it('a defined class, `local` and no class pass', () => {
    const ns = load({ 'a.yaml': claim('a', '  storageClassName: fast\n'), 'b.yaml': claim('b', '  storageClassName: local\n'), 'c.yaml': claim('c') });
    assert.deepEqual(checkNamespacePolicy(ns, parseOperatorPolicy({ storageClasses: ['fast=local'] })), []);
  });

  it('a persistentVolumeClaim volume is allowed at restricted (berth default and an explicit label), as in Kubernetes', () => {
    const files = { 'data.yaml': claim('data'), 'app.yaml': app('          persistentVolumeClaim: { claimName: data }\n') };
    assert.deepEqual(checkNamespacePolicy(load(files), parseOperatorPolicy({})), []);
    const labelled = {
      ...files,
      'namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n',
    };
    const denials = checkNamespacePolicy(load(labelled), parseOperatorPolicy({}));
    assert.ok(
      denials.every((d) => !/volume/.test(d.field ?? '')),
      denials.map((d) => d.field).join(', '),
    );
  });
});

describe('desired volumes and mounts', () => {
  it('a claim becomes a desired volume named <namespace>.<claim> (with the instance for another instance), and its mount', () => {
    const ns = load({ 'data.yaml': claim('data', '  storageClassName: fast\n'), 'app.yaml': app('          persistentVolumeClaim: { claimName: data }\n') });
    const set = { commit: 'c', namespaces: [ns], diagnostics: [] };
    const shop = buildDesiredState(set, { instance: 'default' }).namespaces[0]!;
    assert.deepEqual(shop.volumes, [
      {
        namespace: 'shop',
        name: 'data',
        volumeName: 'shop.data',
        storageClass: 'fast',
        storage: '1Gi',
        accessModes: ['ReadWriteOnce'],
        source: { file: 'shop/data.yaml', document: 0, line: 1 },
      },
    ]);
    assert.deepEqual(shop.deployments[0]!.template.mounts, [
      { volume: 'data', mountPath: '/data', readOnly: false, source: { kind: 'persistentVolumeClaim', claim: 'data' } },
    ]);
    assert.equal(buildDesiredState(set, { instance: 'ci' }).namespaces[0]!.volumes?.[0]?.volumeName, 'ci.shop.data');
    assert.equal(volumeName('ci', 'shop', 'data'), 'ci.shop.data');
    // The revision does not depend on the instance: the template names the claim, not the engine volume.
    assert.equal(buildDesiredState(set, { instance: 'ci' }).namespaces[0]!.deployments[0]!.revision, shop.deployments[0]!.revision);
  });

  const readOnlyCases: [string, string, string, boolean][] = [
    ['ReadWriteOnce, plain mount', '', '          persistentVolumeClaim: { claimName: data }\n', false],
    ['readOnly on the mount', '\n              readOnly: true', '          persistentVolumeClaim: { claimName: data }\n', true],
    ['readOnly on the volume', '', '          persistentVolumeClaim: { claimName: data, readOnly: true }\n', true],
  ];
  for (const [name, mount, volume, readOnly] of readOnlyCases) {
    it(`read-only: ${name} → ${readOnly}`, () => {
      const ns = load({
        'data.yaml': claim('data'),
        'app.yaml': app(volume).replace('mountPath: /data }', `mountPath: /data${mount ? ', readOnly: true' : ''} }`),
      });
      assert.equal(
        buildDesiredState({ commit: 'c', namespaces: [ns], diagnostics: [] }, { instance: 'default' }).namespaces[0]!.deployments[0]!.template.mounts?.[0]
          ?.readOnly,
        readOnly,
      );
    });
  }
  it('read-only: a ReadOnlyMany-only claim is mounted read-only whatever the mount says; with ReadWriteOnce too it is not', () => {
    const rox = claim('data').replace('[ReadWriteOnce]', '[ReadOnlyMany]');
    const both = claim('data').replace('[ReadWriteOnce]', '[ReadOnlyMany, ReadWriteOnce]');
    const mountOf = (c: string) =>
      buildDesiredState(
        { commit: 'c', namespaces: [load({ 'data.yaml': c, 'app.yaml': app('          persistentVolumeClaim: { claimName: data }\n') })], diagnostics: [] },
        { instance: 'default' },
      ).namespaces[0]!.deployments[0]!.template.mounts?.[0]?.readOnly;
    assert.equal(mountOf(rox), true);
    assert.equal(mountOf(both), false);
  });
});

describe('observed volumes, from labels alone', () => {
  it('groups owned claim volumes by namespace; a volume without a claim label is left alone; a namespace with only volumes is observed', () => {
    const labels = (ns: string, name?: string, extra: Record<string, string> = {}) => ({
      'berth.managed': 'true',
      'berth.instance': 'default',
      'berth.namespace': ns,
      'berth.kind': 'PersistentVolumeClaim',
      ...(name ? { 'berth.name': name } : {}),
      ...extra,
    });
    const state = observe({
      containers: [],
      networks: [],
      volumes: [
        { name: 'shop.logs', driver: 'local', labels: labels('shop', 'logs', { 'berth.storage': '1Gi' }) },
        { name: 'shop.data', driver: 'local', labels: labels('shop', 'data', { 'berth.storage-class': 'fast' }) },
        { name: 'shop.odd', driver: 'local', labels: labels('shop') },
        { name: 'gone.cache', driver: 'local', labels: labels('gone', 'cache') },
      ],
    });
    assert.deepEqual(
      state.namespaces.map((n) => ({ name: n.name, volumes: n.volumes })),
      [
        { name: 'gone', volumes: [{ name: 'cache', volumeName: 'gone.cache', driver: 'local' }] },
        {
          name: 'shop',
          volumes: [
            { name: 'data', volumeName: 'shop.data', driver: 'local', storageClass: 'fast' },
            { name: 'logs', volumeName: 'shop.logs', driver: 'local', storage: '1Gi' },
          ],
        },
      ],
    );
  });
});

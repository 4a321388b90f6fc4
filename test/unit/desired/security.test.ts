/**
 * securityContext, host namespaces and volumes in the pod template: merged and reduced to what
 * changes a container (so templates without them keep their exact revisions), secret volumes
 * as references (never values), and the folder-level checks of secret volumes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildDesiredState } from '../../../src/desired/index.js';
import { loadManifests, ManifestCache, type NamespaceManifests } from '../../../src/manifests/index.js';
import { compare, renderChangeSetText } from '../../../src/preview/index.js';
import { deployment, desiredDeploymentOf as desiredOf, folder, indent, snapshot } from '../manifests/snapshot-builder.js';

const pod = indent(6);
const container = indent(10);
const P = 'spec.template.spec';

const secretYaml = (name: string, keys: Record<string, string>): string =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\ntype: berth.dev/host-reference\nspec:\n  keys:\n${Object.entries(keys)
    .map(([k, file]) => `    ${k}:\n      file: ${file}\n`)
    .join('')}`;

function loadShop(files: Record<string, string>): NamespaceManifests {
  return loadManifests(snapshot([folder('shop', files)]), new ManifestCache()).namespaces[0]!;
}

const web = (o: { podSpec?: string; container?: string } = {}): Record<string, string> => ({
  'web.yaml': deployment('web', { ...(o.podSpec ? { podSpec: pod(o.podSpec) } : {}), ...(o.container ? { container: container(o.container) } : {}) }),
});

describe('desired: templates without the new fields keep their exact revisions', () => {
  it('the nginx fixture hashes as it did before securityContext and volumes existed', () => {
    const content = readFileSync(new URL('../../fixtures/manifests/nginx-deployment.yaml', import.meta.url), 'utf8');
    const d = desiredOf({ 'nginx.yaml': content }, 'nginx-deployment');
    assert.equal(d.revision, 'f33606a47f', 'revision of test/fixtures/manifests/nginx-deployment.yaml at the commit before this feature');
    assert.equal('security' in d.template, false, 'no security key');
    assert.equal('mounts' in d.template, false, 'no mounts key');
  });

  it('fields at their defaults change nothing: false, empty lists, RuntimeDefault, an unmounted volume', () => {
    const plain = desiredOf(web());
    const defaults = desiredOf(
      web({
        podSpec:
          'hostNetwork: false\nhostPID: false\nhostIPC: false\nsecurityContext:\n  runAsNonRoot: false\n  seccompProfile:\n    type: RuntimeDefault\nvolumes:\n  - name: scratch\n    emptyDir: {}\n',
        container:
          'securityContext:\n  privileged: false\n  allowPrivilegeEscalation: true\n  readOnlyRootFilesystem: false\n  capabilities:\n    add: []\n    drop: []\nvolumeMounts: []\n',
      }),
    );
    assert.equal(defaults.revision, plain.revision);
    assert.deepEqual(defaults.template, plain.template);
  });
});

describe('desired: securityContext in the template', () => {
  it('container over pod, capabilities normalized, only what differs from the defaults', () => {
    const d = desiredOf(
      web({
        podSpec: 'hostPID: true\nsecurityContext:\n  runAsUser: 1000\n  runAsGroup: 2000\n  runAsNonRoot: true\n  seccompProfile:\n    type: Unconfined\n',
        container:
          'securityContext:\n  runAsUser: 1001\n  privileged: true\n  readOnlyRootFilesystem: true\n  capabilities:\n    add: [SYS_TIME, CAP_NET_ADMIN, NET_ADMIN]\n    drop: [ALL]\n',
      }),
    );
    assert.deepEqual(d.template.security, {
      privileged: true,
      capAdd: ['NET_ADMIN', 'SYS_TIME'],
      capDrop: ['ALL'],
      runAsUser: 1001,
      runAsGroup: 2000,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      seccompUnconfined: true,
      hostPID: true,
    });
  });

  it('the revision moves with each setting', () => {
    const base = desiredOf(web()).revision;
    const seen = new Set([base]);
    for (const variant of [
      { podSpec: 'hostNetwork: true\n' },
      { podSpec: 'hostIPC: true\n' },
      { container: 'securityContext:\n  runAsUser: 1000\n' },
      { container: 'securityContext:\n  readOnlyRootFilesystem: true\n' },
      { container: 'securityContext:\n  capabilities:\n    drop: [ALL]\n' },
      { container: 'securityContext:\n  allowPrivilegeEscalation: false\n' },
    ]) {
      const r = desiredOf(web(variant)).revision;
      assert.ok(!seen.has(r), `${JSON.stringify(variant)} has a revision of its own`);
      seen.add(r);
    }
    assert.deepEqual(desiredOf(web({ container: 'securityContext:\n  allowPrivilegeEscalation: false\n' })).template.security, { noNewPrivileges: true });
  });
});

describe('desired: volume mounts in the template', () => {
  const files = {
    'db.yaml': secretYaml('db', { user: '/etc/berth/secrets/db-user', password: '/etc/berth/secrets/db-password' }),
    ...web({
      podSpec:
        'volumes:\n  - name: data\n    hostPath:\n      path: /srv/berth/data\n  - name: sock\n    hostPath:\n      path: /run/app.sock\n      type: Socket\n  - name: scratch\n    emptyDir:\n      sizeLimit: 64Mi\n  - name: creds\n    secret:\n      secretName: db\n  - name: one\n    secret:\n      secretName: db\n      defaultMode: 0440\n      items:\n        - key: password\n          path: pw/db\n          mode: 0400\n  - name: maybe\n    secret:\n      secretName: missing\n      optional: true\n  - name: unused\n    emptyDir: {}\n',
      container:
        'volumeMounts:\n  - name: scratch\n    mountPath: /tmp\n  - name: data\n    mountPath: /data\n    subPath: app\n    readOnly: true\n  - name: creds\n    mountPath: /etc/creds\n  - name: one\n    mountPath: /etc/one\n  - name: maybe\n    mountPath: /etc/maybe\n  - name: sock\n    mountPath: /run/app.sock\n',
    }),
  };

  it('each mount with its source, sorted by mountPath; secret volumes as references with modes', () => {
    const d = desiredOf(files);
    assert.deepEqual(d.template.mounts, [
      { volume: 'data', mountPath: '/data', readOnly: true, subPath: 'app', source: { kind: 'hostPath', path: '/srv/berth/data', type: 'DirectoryOrCreate' } },
      {
        volume: 'creds',
        mountPath: '/etc/creds',
        readOnly: true,
        source: {
          kind: 'secret',
          secret: 'db',
          files: [
            { path: 'password', secret: 'db', key: 'password', source: { file: '/etc/berth/secrets/db-password' }, mode: 0o644 },
            { path: 'user', secret: 'db', key: 'user', source: { file: '/etc/berth/secrets/db-user' }, mode: 0o644 },
          ],
        },
      },
      { volume: 'maybe', mountPath: '/etc/maybe', readOnly: true, source: { kind: 'secret', secret: 'missing', files: [] } },
      {
        volume: 'one',
        mountPath: '/etc/one',
        readOnly: true,
        source: {
          kind: 'secret',
          secret: 'db',
          files: [{ path: 'pw/db', secret: 'db', key: 'password', source: { file: '/etc/berth/secrets/db-password' }, mode: 0o400 }],
        },
      },
      { volume: 'sock', mountPath: '/run/app.sock', readOnly: false, source: { kind: 'hostPath', path: '/run/app.sock', type: 'Socket' } },
      { volume: 'scratch', mountPath: '/tmp', readOnly: false, source: { kind: 'emptyDir', sizeBytes: 64 * 1024 * 1024 } },
    ]);
  });

  it('pointing a Secret key at another file rolls the Deployment; the plan shows references only', () => {
    const before = buildDesiredState(loadManifests(snapshot([folder('shop', files)], {}, 'base'), new ManifestCache()), { instance: 'default' });
    const moved = { ...files, 'db.yaml': secretYaml('db', { user: '/etc/berth/secrets/db-user', password: '/etc/berth/secrets/db-password-2025' }) };
    const after = buildDesiredState(loadManifests(snapshot([folder('shop', moved)], {}, 'head'), new ManifestCache()), { instance: 'default' });
    assert.notEqual(after.namespaces[0]!.deployments[0]!.revision, before.namespaces[0]!.deployments[0]!.revision);
    const text = renderChangeSetText(compare(before, after));
    assert.match(text, /template\.mounts/, 'the mounts change is listed');
    assert.match(text, /db-password-2025/, 'with the new reference');
  });
});

describe('manifests: secret volumes name Secrets and keys of the folder', () => {
  const withVolume = (volume: string, secrets: Record<string, string> = { 'db.yaml': secretYaml('db', { password: '/etc/berth/secrets/p' }) }) => ({
    ...secrets,
    'web.yaml': deployment('web', {
      podSpec: pod(`volumes:\n  - name: s\n    secret:\n${volume}`),
      container: container('volumeMounts:\n  - name: s\n    mountPath: /s\n'),
    }),
  });

  it('a missing Secret, and a missing key, are errors on their field', () => {
    const missing = loadShop(withVolume('      secretName: nope\n'));
    assert.deepEqual(
      missing.diagnostics.map((d) => [d.code, d.field, d.file]),
      [['SECRET_REF_NOT_FOUND', `${P}.volumes[0].secret.secretName`, 'shop/web.yaml']],
    );
    const key = loadShop(withVolume('      secretName: db\n      items:\n        - key: user\n          path: user\n'));
    assert.deepEqual(
      key.diagnostics.map((d) => [d.code, d.field, d.line]),
      [['SECRET_REF_NOT_FOUND', `${P}.volumes[0].secret.items[0].key`, 20]],
    );
    assert.match(key.diagnostics[0]!.message, /has no key "user"; it declares "password"/);
  });

  it('optional: true accepts both', () => {
    assert.deepEqual(loadShop(withVolume('      secretName: nope\n      optional: true\n')).diagnostics, []);
    assert.deepEqual(
      loadShop(withVolume('      secretName: db\n      optional: true\n      items:\n        - key: user\n          path: user\n')).diagnostics,
      [],
    );
  });

  it('a key that cannot be a file name needs items', () => {
    const ns = loadShop(withVolume('      secretName: db\n', { 'db.yaml': secretYaml('db', { '..data': '/etc/berth/secrets/p' }) }));
    assert.deepEqual(
      ns.diagnostics.map((d) => [d.code, d.field]),
      [['INVALID_VALUE', `${P}.volumes[0].secret.secretName`]],
    );
    assert.match(ns.diagnostics[0]!.message, /"\.\.data" that cannot be a file name/);
  });
});

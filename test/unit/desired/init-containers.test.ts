/**
 * Init containers in the desired template: normalized as the app container is, absent from
 * templates without them (their revisions do not move), and an emptyDir an init container mounts
 * shared with the app as the replica's own volume (a tmpfs otherwise).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { templateRevision } from '../../../src/desired/index.js';
import { initContainerSpec, replicaSpec, sharedEmptyDirs } from '../../../src/rollout/index.js';
import { deployment as deploymentYaml, desiredDeploymentOf as desiredOf, indent } from '../manifests/snapshot-builder.js';
import { deployment, template } from '../../helpers/builders.js';

const WITH_INIT = deploymentYaml('web', {
  podSpec: indent(6)(
    'volumes:\n  - name: work\n    emptyDir: {}\n  - name: cache\n    emptyDir: {}\ninitContainers:\n  - name: render\n    image: busybox:1.36\n    command: [sh, -c, "echo hi > /work/page"]\n    env:\n      - name: MODE\n        value: render\n    volumeMounts:\n      - name: work\n        mountPath: /work\n',
  ),
  container: indent(10)('volumeMounts:\n  - name: work\n    mountPath: /srv\n  - name: cache\n    mountPath: /cache\n'),
});

describe('init containers in the desired template', () => {
  it('normalized (name, image, command, env, mounts), after the app in the template', () => {
    const d = desiredOf(WITH_INIT);
    assert.deepEqual(d.template.initContainers, [
      {
        name: 'render',
        image: 'busybox:1.36',
        command: ['sh', '-c', 'echo hi > /work/page'],
        env: [{ name: 'MODE', value: 'render' }],
        mounts: [{ volume: 'work', mountPath: '/work', readOnly: false, source: { kind: 'emptyDir', shared: true } }],
      },
    ]);
  });

  it('an emptyDir an init container mounts is shared (a volume of the replica); one only the app mounts stays a tmpfs', () => {
    const d = desiredOf(WITH_INIT);
    assert.deepEqual(
      d.template.mounts?.map((m) => [m.volume, m.source]),
      [
        ['cache', { kind: 'emptyDir' }],
        ['work', { kind: 'emptyDir', shared: true }],
      ],
    );
    const creation = { revision: d.revision, replica: 2, commit: 'c1', restart: false };
    const app = replicaSpec({ desired: d, creation, instance: 'default', network: 'berth.shop', env: [] });
    const name = `shop.web.${d.revision}.2.work`;
    assert.deepEqual(
      app.mounts?.map((m) => [m.kind, 'name' in m ? m.name : m.target]),
      [
        ['tmpfs', '/cache'],
        ['volume', name],
      ],
    );
    const init = initContainerSpec({ desired: d, init: d.template.initContainers![0]!, creation, instance: 'default', network: 'berth.shop', env: [] });
    assert.equal(init.name, `shop.web.${d.revision}.2.init-render`);
    assert.deepEqual(
      init.mounts?.map((m) => ('name' in m ? m.name : m.kind)),
      [name],
    );
    assert.equal(init.labels['berth.init'], 'render');
    assert.equal(init.labels['berth.replica'], '2');
    assert.deepEqual(init.ports, []);
    assert.deepEqual(init.networkAliases, []);
    assert.deepEqual(
      sharedEmptyDirs('default', d, creation, d.template.mounts ?? []).map((v) => [v.name, v.labels['berth.kind'], v.labels['berth.replica']]),
      [[name, 'EmptyDir', '2']],
    );
  });

  it('a template without init containers has none, and keeps its revision', () => {
    const plain = desiredOf(deploymentYaml('web'));
    assert.equal(plain.template.initContainers, undefined);
    assert.equal(plain.revision, templateRevision(plain.template));
    assert.notEqual(desiredOf(WITH_INIT).revision, plain.revision);
  });

  it('an init container spec is made from its own mounts: an app secret volume whose files it was not given does not concern it', () => {
    const d = deployment({
      template: template({
        mounts: [{ volume: 'creds', mountPath: '/creds', readOnly: true, source: { kind: 'secret', secret: 'db', files: [] } }],
        initContainers: [{ name: 'wait', image: 'busybox:1.36', env: [] }],
      }),
    });
    const creation = { revision: d.revision, replica: 0, commit: 'c1', restart: false };
    const init = initContainerSpec({ desired: d, init: d.template.initContainers![0]!, creation, instance: 'default', network: 'berth.shop', env: [] });
    assert.equal(init.mounts, undefined);
    assert.equal(init.labels['berth.kind'], 'Deployment');
  });
});

/**
 * The docker driver's named volumes (PersistentVolumeClaims) against the real engine: created
 * with berth's labels, listed by inventory, never adopted when unowned, never auto-created by a
 * container mount, never removed while a container uses them. Every test owns a dockerScope
 * (its own instance) whose cleanup removes its containers, networks and volumes.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { isBerthError } from '../../src/core/index.js';
import { LABEL, type ContainerSpec, type RuntimeDriver } from '../../src/runtime/index.js';
import { dockerClient, dockerScope, TEST_IMAGE, TEST_RUN_LABEL, type DockerScope } from '../helpers/docker-scope.js';
import { execOutput } from '../helpers/world.js';

const docker = dockerClient();

function scoped(t: TestContext, label: string): { scope: DockerScope; driver: RuntimeDriver } {
  const scope = dockerScope(label);
  t.after(() => scope.cleanup());
  return { scope, driver: scope.driver() };
}

const claimLabels = (scope: DockerScope, claim: string) =>
  scope.labels({ [LABEL.namespace]: 'db', [LABEL.kind]: 'PersistentVolumeClaim', [LABEL.name]: claim, [LABEL.storage]: '1Gi' });

async function network(scope: DockerScope, driver: RuntimeDriver): Promise<string> {
  const name = scope.name('net-db');
  await driver.ensureNetwork({ name, labels: scope.labels({ [LABEL.namespace]: 'db' }) });
  return name;
}

function spec(scope: DockerScope, net: string, volume: string, replica = 0): ContainerSpec {
  return {
    name: scope.name(`db.abc.${replica}`),
    image: TEST_IMAGE,
    command: ['sleep', '3600'],
    env: [],
    ports: [],
    labels: scope.labels({
      [LABEL.namespace]: 'db',
      [LABEL.kind]: 'Deployment',
      [LABEL.name]: 'db',
      [LABEL.revision]: 'abc',
      [LABEL.commit]: 'c',
      [LABEL.replica]: String(replica),
    }),
    network: net,
    networkAliases: ['db'],
    stopGraceSeconds: 1,
    mounts: [{ kind: 'volume', name: volume, target: '/var/lib/data', readOnly: false }],
  };
}

const rejectsWith = async (promise: Promise<unknown>, code: string, message: RegExp): Promise<void> => {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isBerthError(err), String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
};

test('ensureVolume creates a labelled volume once; inventory lists it; its data outlives the container', async (t) => {
  const { scope, driver } = scoped(t, 'vol-create');
  const name = scope.name('db.data');
  await driver.ensureVolume({ name, driver: 'local', driverOpts: {}, labels: claimLabels(scope, 'data') });
  await driver.ensureVolume({ name, driver: 'local', driverOpts: {}, labels: claimLabels(scope, 'data') }); // idempotent
  const info = await docker.getVolume(name).inspect();
  assert.equal(info.Labels?.[LABEL.managed], 'true');
  assert.equal(info.Labels?.[LABEL.instance], scope.instance);
  assert.equal(info.Labels?.[LABEL.name], 'data');
  assert.deepEqual(
    (await driver.inventory({ namespace: 'db' })).volumes?.map((v) => [v.name, v.driver]),
    [[name, 'local']],
  );

  const net = await network(scope, driver);
  const first = await driver.runContainer(spec(scope, net, name));
  assert.equal(
    (await execOutput(first.id, ['sh', '-c', 'ls -A /var/lib/data | wc -l; echo hello > /var/lib/data/f'])).stdout.trim(),
    '0',
    'a claim starts empty',
  );
  const mount = (await docker.getContainer(first.id).inspect()).HostConfig.Mounts?.[0];
  assert.deepEqual(
    [mount?.Type, mount?.Source, mount?.VolumeOptions?.NoCopy],
    ['volume', name, true],
    "mounted without copying the image's files into it, as Kubernetes",
  );
  await driver.removeContainer(first.id, 1);
  assert.ok(await docker.getVolume(name).inspect(), 'removing the container keeps the volume');
  const second = await driver.runContainer(spec(scope, net, name, 1));
  assert.equal((await execOutput(second.id, ['cat', '/var/lib/data/f'])).stdout.trim(), 'hello');
});

test('a volume berth does not own is never adopted, mounted or removed', async (t) => {
  const { scope, driver } = scoped(t, 'vol-unowned');
  const name = scope.name('db.theirs');
  await docker.createVolume({ Name: name, Labels: { [TEST_RUN_LABEL]: scope.instance } });
  await rejectsWith(
    driver.ensureVolume({ name, driver: 'local', driverOpts: {}, labels: claimLabels(scope, 'theirs') }),
    'ENGINE_CONFLICT',
    /not owned by berth instance/,
  );
  await rejectsWith(driver.removeVolume(name), 'ENGINE_CONFLICT', /not owned by berth instance/);
  const net = await network(scope, driver);
  await rejectsWith(driver.runContainer(spec(scope, net, name)), 'ENGINE_CONFLICT', /volume .* not owned/);
  assert.equal((await docker.getVolume(name).inspect()).Labels?.[LABEL.managed], undefined, 'still unlabelled, still there');
  assert.deepEqual((await driver.inventory()).volumes, []);
});

test('a container mounting a missing volume is refused before the engine could create an unlabelled one', async (t) => {
  const { scope, driver } = scoped(t, 'vol-missing');
  const name = scope.name('db.nothing');
  const net = await network(scope, driver);
  await rejectsWith(driver.runContainer(spec(scope, net, name)), 'CONTAINER_START_FAILED', /volume .*nothing .* does not exist/);
  await assert.rejects(docker.getVolume(name).inspect(), (err: { statusCode?: number }) => err.statusCode === 404);
  assert.deepEqual((await docker.listContainers({ all: true, filters: { label: [`${LABEL.instance}=${scope.instance}`] } })).length, 0, 'nothing left behind');
});

test('removeVolume refuses while any container uses it (naming it), then removes it; a missing one is fine', async (t) => {
  const { scope, driver } = scoped(t, 'vol-remove');
  const name = scope.name('db.data');
  await driver.ensureVolume({ name, driver: 'local', driverOpts: {}, labels: claimLabels(scope, 'data') });
  const net = await network(scope, driver);
  const c = await driver.runContainer(spec(scope, net, name));
  await driver.stopContainer(c.id, 1);
  await rejectsWith(
    driver.removeVolume(name),
    'ENGINE_CONFLICT',
    new RegExp(`still used by container ${scope.name('db.abc.0').replace(/\./g, '\\.')}; nothing was deleted`),
  );
  assert.ok(await docker.getVolume(name).inspect(), 'kept while a stopped container still holds it');
  await driver.removeContainer(c.id, 1);
  await driver.removeVolume(name);
  await assert.rejects(docker.getVolume(name).inspect(), (err: { statusCode?: number }) => err.statusCode === 404);
  await driver.removeVolume(name);
});

/**
 * A volume whose folder needs a mode or a group (a pod's fsGroup; an emptyDir shared with init
 * containers), made on an engine berth reaches over tcp:// (another machine: its folders are not
 * in berth's filesystem). The engine itself sets the folder: a stopped helper container of berth's
 * pause image mounts the volume and the engine extracts a one-directory tar over it. Checked by a
 * container on that node reading the folder's mode and owner. Real engine (node3 of the rig, over
 * TLS), nothing mocked.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createDockerDriver } from '../../src/runtime/docker/driver.js';
import { execOutput } from '../helpers/world.js';
import { nodeDocker, SWARM_NODE_TCP, SWARM_TLS_DIR, swarmRigUp } from '../helpers/swarm.js';

describe('a volume with a folder mode and group on an engine at tcp://', { timeout: 180_000 }, () => {
  const instance = `t-remote-volume-${randomBytes(3).toString('hex')}`;
  const volume = `${instance}.ns.data`;
  const docker = nodeDocker('node3');
  let reader: string | undefined;

  before(() => swarmRigUp());
  after(async () => {
    if (reader)
      await docker
        .getContainer(reader)
        .remove({ force: true })
        .catch(() => {});
    await docker
      .getVolume(volume)
      .remove({ force: true })
      .catch(() => {});
  });

  it('is made with that mode and group on the node, and no helper is left behind', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const driver = createDockerDriver({ socketPath: SWARM_NODE_TCP.node3, tlsDir: SWARM_TLS_DIR, instance, clock: { now: () => new Date() } });
    await driver.ensureVolume({ name: volume, driver: 'local', driverOpts: {}, labels: { 'berth.namespace': 'ns' }, mode: 0o2775, gid: 2000 });
    const c = await docker.createContainer({
      Image: 'busybox:1.36',
      Entrypoint: ['sleep', '600'],
      HostConfig: { Init: true, Mounts: [{ Type: 'volume', Source: volume, Target: '/data' }] },
    });
    reader = c.id;
    await c.start();
    const listing = (await execOutput(c.id, ['stat', '-c', '%a %u %g', '/data'], docker)).stdout.trim();
    assert.equal(listing, '2775 0 2000', 'the folder: mode 2775, root, group 2000');
    const helpers = await docker.listContainers({ all: true, filters: { label: [`berth.volume-helper=${volume}`] } });
    assert.deepEqual(helpers, [], 'the helper container is gone');
    // The engine set the folder (on the rig node3's folders happen to be in this filesystem too, so
    // a chmod here would also pass the check above; on another machine only the engine can).
    const events = await new Promise<string>((resolve, reject) =>
      docker.getEvents(
        { since, until: Math.ceil(Date.now() / 1000) + 1, filters: { type: ['container'], label: [`berth.volume-helper=${volume}`] } },
        (err, stream) => {
          if (err || !stream) return reject(err ?? new Error('no event stream'));
          let text = '';
          stream.on('data', (d: Buffer) => (text += d.toString()));
          stream.on('end', () => resolve(text));
          stream.on('error', reject);
        },
      ),
    );
    const actions = events
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { Action: string }).Action);
    assert.ok(actions.includes('create') && actions.includes('destroy'), `a helper container was made and removed on the node: ${actions.join(', ')}`);
    // Made again (it exists): nothing changes, no error.
    await driver.ensureVolume({ name: volume, driver: 'local', driverOpts: {}, labels: { 'berth.namespace': 'ns' }, mode: 0o2775, gid: 2000 });
  });
});

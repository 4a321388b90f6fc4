/**
 * The driver claims its instance before its first change to the engine (instance-claim.ts): a
 * driver for another state directory of the same instance changes nothing and says who holds
 * it; a claim whose state directory is gone is taken over. Real engine; the scope removes the
 * claim volume (it carries the instance label).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BerthError } from '../../src/core/index.js';
import { LABEL } from '../../src/runtime/index.js';
import { createDockerDriver } from '../../src/runtime/docker/index.js';
import { dockerScope } from '../helpers/docker-scope.js';
import { networksOf } from '../helpers/world.js';

test('a second state directory cannot change the engine for a claimed instance', { timeout: 60_000 }, async (t) => {
  const scope = dockerScope('claim');
  const [a, b] = [await mkdtemp(join(tmpdir(), 'berth-claim-a-')), await mkdtemp(join(tmpdir(), 'berth-claim-b-'))];
  t.after(async () => {
    await scope.cleanup();
    await rm(a, { recursive: true, force: true });
    await rm(b, { recursive: true, force: true });
  });
  // claimRecheckMs 0: every change checks the claim again (default: once it is 10 s old).
  const driverA = createDockerDriver({ instance: scope.instance, claimFor: { stateDir: a }, claimRecheckMs: 0, clock: { now: () => new Date() } });
  const driverB = createDockerDriver({ instance: scope.instance, claimFor: { stateDir: b }, claimRecheckMs: 0, clock: { now: () => new Date() } });
  const net = (ns: string) => ({ name: scope.name(`net-${ns}`), labels: scope.labels({ [LABEL.namespace]: ns }) });

  await driverA.ensureNetwork(net('alpha'));
  let caught: unknown;
  await driverB.ensureNetwork(net('beta')).catch((err: unknown) => (caught = err));
  assert.ok(caught instanceof BerthError && caught.code === 'INSTANCE_CLAIMED', `INSTANCE_CLAIMED: ${String(caught)}`);
  assert.ok(caught.message.includes(a), caught.message);
  await assert.rejects(driverB.removeNetwork(scope.name('net-alpha')), (err) => err instanceof BerthError && err.code === 'INSTANCE_CLAIMED');
  assert.deepEqual(await networksOf(scope.instance), [scope.name('net-alpha')], 'B created and removed nothing');

  await rm(a, { recursive: true, force: true });
  await driverB.ensureNetwork(net('beta'));
  assert.deepEqual(await networksOf(scope.instance), [scope.name('net-alpha'), scope.name('net-beta')].sort(), 'the stale claim was taken over');
  await assert.rejects(
    driverA.ensureNetwork(net('gamma')),
    (err) => err instanceof BerthError && err.code === 'INSTANCE_CLAIMED',
    'A (its state directory removed under it) sees that B holds the instance now',
  );
});

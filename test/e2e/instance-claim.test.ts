/**
 * One instance, one state directory (#15 item 13): beside a running `berth run --instance X
 * --state-dir A`, a `berth apply --once --instance X --state-dir B` (another repository) is
 * refused at start with an error naming A — before it touches the engine, and without the
 * running berth pruning anything. Once A is stopped and removed, B takes the instance over.
 * Two real berth processes, real Git, real containers.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBerth, startBerth, type BerthDaemon, stopAndKeepLogs } from '../helpers/berth-cli.js';
import { dockerClient, dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml } from '../helpers/manifests.js';
import { localRepo, type LocalRepo } from '../helpers/tmp-repo.js';
import { layout, ownedContainers } from '../helpers/world.js';

describe('an instance belongs to one state directory', { timeout: 240_000 }, () => {
  const scope = dockerScope('e2e-claim');
  let repoA: LocalRepo;
  let repoB: LocalRepo;
  let stateA: string;
  let stateB: string;
  let berth: BerthDaemon | undefined;

  before(async () => {
    [repoA, repoB] = [await localRepo(), await localRepo()];
    stateA = await mkdtemp(join(tmpdir(), 'berth-claim-a-'));
    stateB = await mkdtemp(join(tmpdir(), 'berth-claim-b-'));
    await repoA.write('manifests/alpha/web.yaml', deploymentYaml({ name: 'web' }));
    await repoA.commit('alpha');
    await repoB.write('manifests/beta/web.yaml', deploymentYaml({ name: 'web' }));
    await repoB.commit('beta');
    berth = startBerth([
      '--repo',
      repoA.dir,
      '--path',
      'manifests',
      '--state-dir',
      stateA,
      '--instance',
      scope.instance,
      '--poll',
      '*/1 * * * * *',
      '--no-server',
    ]);
    await eventually(async () => assert.deepEqual(layout(await ownedContainers(scope.instance)), { 'alpha/web': [0] }), {
      timeoutMs: 60_000,
      what: 'alpha runs',
    });
  });

  after(async () => {
    await stopAndKeepLogs(berth, 'instance-claim');
    await scope.cleanup();
    await repoA?.cleanup();
    await repoB?.cleanup();
    for (const d of [stateA, stateB]) if (d) await rm(d, { recursive: true, force: true });
  });

  it('a second state directory is refused at start, naming the first; it creates nothing, the first is untouched', async () => {
    const before = (await ownedContainers(scope.instance)).map((c) => c.id);
    const r = await runBerth(['apply', '--once', '--repo', repoB.dir, '--path', 'manifests', '--state-dir', stateB, '--instance', scope.instance]);
    assert.equal(r.code, 3, `exit 3: ${r.stderr}`);
    assert.match(r.stderr, /INSTANCE_CLAIMED|is claimed by the state directory/);
    assert.ok(r.stderr.includes(stateA), `the error names ${stateA}: ${r.stderr}`);
    assert.equal(berth!.child.exitCode, null, 'berth run still runs');
    assert.deepEqual(layout(await ownedContainers(scope.instance)), { 'alpha/web': [0] }, 'no beta namespace, alpha untouched');
    assert.deepEqual(
      (await ownedContainers(scope.instance)).map((c) => c.id),
      before,
      'the same alpha container',
    );
  });

  it('the claim is on the engine: a berth-owned volume naming the state directory', async () => {
    const { Volumes } = await dockerClient().listVolumes({ filters: { label: [`berth.instance=${scope.instance}`] } });
    const claim = (Volumes ?? []).find((v) => v.Name === `berth_instance_${scope.instance}`);
    assert.ok(claim, 'the claim volume exists');
    assert.equal(claim.Labels['berth.state-dir'], stateA);
    assert.equal(claim.Labels['berth.managed'], 'true');
  });

  it('once the first state directory is gone, the second takes the instance over', async () => {
    await berth!.stop();
    berth = undefined;
    await rm(stateA, { recursive: true, force: true });
    const r = await runBerth([
      'apply',
      '--once',
      '--repo',
      repoB.dir,
      '--path',
      'manifests',
      '--state-dir',
      stateB,
      '--instance',
      scope.instance,
      '--timeout',
      '60',
    ]);
    // alpha is not in B's repository: a whole namespace, so the prune guard holds it (exit 2,
    // "Refused"); beta is created.
    assert.equal(r.code, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /INSTANCE_CLAIMED|is claimed by/);
    assert.deepEqual(layout(await ownedContainers(scope.instance)), { 'alpha/web': [0], 'beta/web': [0] });
    const { Volumes } = await dockerClient().listVolumes({ filters: { label: [`berth.instance=${scope.instance}`] } });
    assert.equal((Volumes ?? []).find((v) => v.Name === `berth_instance_${scope.instance}`)?.Labels['berth.state-dir'], stateB, 'the claim names B now');
  });
});

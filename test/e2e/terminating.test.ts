/**
 * Terminating replicas (issue #14): a rollout does not wait for the old replicas to stop. Their
 * drain, stop and delete run off the pass, as Kubernetes' terminating pods, so a replica that
 * becomes ready is acted on at once. Shown causally, not by timing: the old replicas ignore
 * SIGTERM with a 120 s grace period, so their stop takes 120 s; the rollout is done while they
 * are still on the engine, Terminating, and no longer routed. Real engine, Git, CLI and API.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { daemonFlags, runBerth, startBerth, type BerthDaemon, tearDown } from '../helpers/berth-cli.js';
import { dockerClient, dockerScope } from '../helpers/docker-scope.js';
import { deploymentYaml, serviceYaml } from '../helpers/manifests.js';
import { freePort } from '../helpers/webhook-hook.js';
import { localRepo, type LocalRepo } from '../helpers/tmp-repo.js';
import { ownedContainers } from '../helpers/world.js';

const TOKEN = 'e2e-terminating-token';
const NEVER = '0 0 0 1 1 *';

/** httpd that ignores SIGTERM (the disposition survives exec): only the grace period's SIGKILL stops it. */
const stubborn = (text: string) =>
  deploymentYaml({
    name: 'web',
    replicas: 2,
    command: ['sh', '-c', `trap '' TERM; mkdir -p /www && echo '${text}' > /www/index.html && exec httpd -f -p 8080 -h /www`],
    port: 8080,
    readinessProbe: { path: '/', port: 8080 },
    strategy: { maxSurge: 1, maxUnavailable: 0 },
    terminationGracePeriodSeconds: 120,
  });

describe('terminating replicas: a rollout does not wait for old replicas to stop', { timeout: 300_000 }, () => {
  const scope = dockerScope('e2e-terminating');
  let repo: LocalRepo;
  let stateDir: string;
  let berth: BerthDaemon | undefined;
  let server = '';
  let servicePort = 0;
  const source = (): string[] => ['--repo', repo.dir, '--path', 'manifests', '--instance', scope.instance, '--state-dir', stateDir];
  const sync = async () => {
    const r = await fetch(`${server}/api/v1/sync`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(r.status, 202, await r.text());
  };
  const rolloutStatus = () => runBerth(['rollout', 'status', 'shop/web', ...source(), '--timeout', '120']);

  before(async () => {
    repo = await localRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-terminating-'));
    const port = await freePort();
    server = `http://127.0.0.1:${port}`;
    servicePort = await freePort();
    await repo.write('manifests/shop/web.yaml', stubborn('v1'));
    await repo.write('manifests/shop/web-service.yaml', serviceYaml({ name: 'web', port: servicePort, targetPort: 8080 }));
    await repo.commit('web v1');
    berth = startBerth(daemonFlags({ repo: repo.dir, stateDir, instance: scope.instance, poll: NEVER, listen: `127.0.0.1:${port}` }), {
      env: { BERTH_API_TOKEN: TOKEN },
    });
    const done = await rolloutStatus();
    assert.equal(done.code, 0, done.stdout + done.stderr);
  });

  after(async () => {
    // The old replicas would take their whole grace period to stop: gone now, so berth's shutdown (which lets removals end) is quick.
    for (const c of await ownedContainers(scope.instance))
      await dockerClient()
        .getContainer(c.id)
        .remove({ force: true })
        .catch(() => undefined);
    await tearDown({ berth, name: 'terminating', stateDir, scope, repos: [repo] });
  });

  it('the rollout completes while the old replicas still terminate; they are Terminating and get no request', async () => {
    const v1 = (await ownedContainers(scope.instance)).map((c) => c.id).sort();
    assert.equal(v1.length, 2);
    await repo.write('manifests/shop/web.yaml', stubborn('v2'));
    await repo.commit('web v2');
    await sync();
    const done = await rolloutStatus();
    assert.equal(done.code, 0, done.stdout + done.stderr);

    // Both old replicas were removed by the rollout (drained, sent SIGTERM), and their stop takes 120 s: still there.
    const now = await ownedContainers(scope.instance);
    const old = now.filter((c) => v1.includes(c.id));
    assert.deepEqual(
      old.map((c) => c.state),
      ['running', 'running'],
      'the rollout did not wait for the old replicas to stop',
    );
    assert.equal(now.filter((c) => !v1.includes(c.id) && c.state === 'running').length, 2, 'two new replicas serve');

    // The API shows them Terminating, and the data plane routes only the new ones.
    const pods = await runBerth(['get', 'pods', '-n', 'shop', '-o', 'json', ...source(), '--server', server]);
    assert.equal(pods.code, 0, pods.stdout + pods.stderr);
    const { items } = JSON.parse(pods.stdout) as { items: { id: string; status: string }[] };
    assert.deepEqual(
      v1.map((id) => items.find((p) => p.id === id)?.status),
      ['Terminating', 'Terminating'],
      pods.stdout,
    );
    // Every answer through the Service is v2's: the old replicas, still up and answering on their own, get no request.
    const answers = new Set<string>();
    for (let i = 0; i < 20; i++) answers.add((await (await fetch(`http://127.0.0.1:${servicePort}/`)).text()).trim());
    assert.deepEqual([...answers], ['v2']);
    const status = JSON.parse((await runBerth(['status', ...source(), '-o', 'json'])).stdout) as {
      namespaces: Record<string, { deployments: { name: string; phase: string; updatedReplicas: number }[] }>;
    };
    assert.equal(status.namespaces.shop?.deployments.find((d) => d.name === 'web')?.phase, 'Complete');
  });
});

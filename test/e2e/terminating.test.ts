/**
 * Terminating replicas (issue #14): a rollout's moves do not wait for the old replicas to stop.
 * Their drain, stop and delete run off the pass, as Kubernetes' terminating pods, so a replica
 * that becomes ready is acted on at once. Shown causally, not by timing: the old replicas ignore
 * SIGTERM with a 120 s grace period, so their stop takes 120 s; the rollout's second wave is made
 * while they are still on the engine, Terminating, and no longer routed. Real engine, Git, CLI and API.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { daemonFlags, runBerth, startBerth, type BerthDaemon, tearDown } from '../helpers/berth-cli.js';
import { dockerClient, dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
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

  it('the rollout moves on while the old replicas still terminate: they are Terminating, get no request, and it completes once they are gone', async () => {
    const v1 = (await ownedContainers(scope.instance)).map((c) => c.id).sort();
    assert.equal(v1.length, 2);
    await repo.write('manifests/shop/web.yaml', stubborn('v2'));
    await repo.commit('web v2');
    await sync();

    // maxSurge 1: v2's second replica is made by the move that removes the first old one. With that
    // old one's stop taking 120 s, both v2 replicas serve while both old ones are still up: the
    // moves did not wait for a stop (before, the second wave waited the whole grace period out).
    const pods = async () =>
      (
        JSON.parse((await runBerth(['get', 'pods', '-n', 'shop', '-o', 'json', ...source(), '--server', server])).stdout) as {
          items: { id: string; status: string; ready: boolean; revision: string }[];
        }
      ).items;
    await eventually(
      async () => {
        const items = await pods();
        assert.deepEqual(
          v1.map((id) => items.find((p) => p.id === id)?.status),
          ['Terminating', 'Terminating'],
        );
        const serving = items.filter((p) => !v1.includes(p.id) && p.status === 'Running' && p.ready);
        assert.equal(serving.length, 2, JSON.stringify(items));
      },
      { timeoutMs: 90_000, what: 'both v2 replicas ready, both v1 replicas terminating' },
    );
    assert.deepEqual(
      (await ownedContainers(scope.instance)).filter((c) => v1.includes(c.id)).map((c) => c.state),
      ['running', 'running'],
      'the old replicas are still up (their stop takes 120 s)',
    );
    // Every answer through the Service is v2's: the old replicas, still up and answering on their own, get no request.
    const answers = new Set<string>();
    for (let i = 0; i < 20; i++) answers.add((await (await fetch(`http://127.0.0.1:${servicePort}/`)).text()).trim());
    assert.deepEqual([...answers], ['v2']);
    // Not complete while they terminate: status says what it waits for.
    const status = JSON.parse((await runBerth(['status', ...source(), '-o', 'json'])).stdout) as {
      namespaces: Record<string, { deployments: { name: string; phase: string; message?: string }[] }>;
    };
    const web = status.namespaces.shop?.deployments.find((d) => d.name === 'web');
    assert.match(web?.message ?? '', /waiting for 2 replica\(s\) to finish terminating/, JSON.stringify(web));

    // Once they are gone (here: killed, as the grace period's end would), the rollout completes.
    for (const id of v1)
      await dockerClient()
        .getContainer(id)
        .kill()
        .catch(() => undefined);
    const done = await rolloutStatus();
    assert.equal(done.code, 0, done.stdout + done.stderr);
    assert.deepEqual(
      (await ownedContainers(scope.instance)).filter((c) => v1.includes(c.id)),
      [],
      'no old replica left once complete',
    );
  });
});

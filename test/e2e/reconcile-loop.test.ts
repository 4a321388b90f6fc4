/**
 * The reconcile loop end to end: native `git push` to a real Git HTTP server, the real
 * `berth run` CLI polling it every second, a real Docker engine. Assertions read the engine
 * (what a person would see with `docker ps`), never berth's internals.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerth, type BerthDaemon, daemonFlags, tearDown } from '../helpers/berth-cli.js';
import { dockerClient, dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml, serveCommand } from '../helpers/manifests.js';
import { tmpRepo, type TmpRepo } from '../helpers/tmp-repo.js';
import { envOf, httpGet, layout, networksOf, ownedContainers } from '../helpers/world.js';

describe('reconcile loop: git push → containers', { timeout: 600_000 }, () => {
  const scope = dockerScope('e2e-loop');
  let repo: TmpRepo;
  let stateDir: string;
  let berth: BerthDaemon | undefined;
  let unownedId: string;

  const start = () => {
    berth = startBerth([
      ...daemonFlags({ repo: repo.url, stateDir, instance: scope.instance, poll: '*/1 * * * * *', listen: '127.0.0.1:0' }),
      '--log-level',
      'debug',
    ]);
  };
  const converged = (expected: Record<string, number[]>, what: string) =>
    eventually(
      async () => {
        assertAlive();
        const seen = await ownedContainers(scope.instance);
        assert.deepEqual(layout(seen), expected);
        // Nothing half-done: no exited containers, no second revision of one Deployment.
        assert.deepEqual(
          seen.filter((r) => r.state !== 'running').map((r) => r.name),
          [],
        );
        for (const key of Object.keys(expected)) {
          const revisions = new Set(seen.filter((r) => `${r.namespace}/${r.deployment}` === key).map((r) => r.revision));
          assert.equal(revisions.size, 1, `${key} runs one revision`);
        }
        return seen;
      },
      { timeoutMs: 90_000, what },
    );
  /** A berth that died fails the test at once, with its last words, instead of after a timeout. */
  const assertAlive = () => {
    if (berth && berth.child.exitCode !== null)
      throw Object.assign(new Error(`berth exited with ${berth.child.exitCode}:\n${berth.logs().slice(-3000)}`), { fatal: true });
  };
  const byDeployment = async (key: string) => (await ownedContainers(scope.instance)).filter((r) => `${r.namespace}/${r.deployment}` === key);
  const status = async () => JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8'));

  before(async () => {
    repo = await tmpRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-state-'));
    // A container berth does not own, named like one of its own: it must never be touched.
    unownedId = (await scope.runUnownedContainer({ name: `${scope.instance}.shop.web.0000000000.0` })).id;
    await repo.write(
      'manifests/shop/web.yaml',
      deploymentYaml({
        name: 'web',
        replicas: 3,
        command: serveCommand('web v1'),
        port: 8080,
        env: { COLOR: 'blue' },
        strategy: { maxSurge: 1, maxUnavailable: 0 },
      }),
    );
    await repo.write('manifests/shop/worker.yaml', deploymentYaml({ name: 'worker', strategy: 'Recreate' }));
    await repo.write('manifests/blog/front.yaml', deploymentYaml({ name: 'front', command: serveCommand('blog v1', 80), port: 80 }));
    await repo.write('manifests/README.md', 'not a manifest\n');
    await repo.commit('initial');
    await repo.push();
    start();
  });

  after(() => tearDown({ berth, name: 'reconcile-loop', stateDir, scope, repos: [repo] }));

  it('a pushed commit converges: labelled containers, a network per namespace, ports on 127.0.0.1', async () => {
    const seen = await converged({ 'blog/front': [0], 'shop/web': [0, 1, 2], 'shop/worker': [0] }, 'initial commit applied');
    const head = await repo.head();
    for (const r of seen) {
      assert.equal(r.commit, head);
      assert.equal(r.name, `${scope.instance}.${r.namespace}.${r.deployment}.${r.revision}.${r.replica}`);
    }
    assert.deepEqual(await networksOf(scope.instance), [`berth.${scope.instance}.blog`, `berth.${scope.instance}.shop`]);
    const web = seen.find((r) => r.deployment === 'web')!;
    const info = await dockerClient().getContainer(web.id).inspect();
    assert.equal(info.HostConfig.Init, true);
    const binding = info.HostConfig.PortBindings?.['8080/tcp']?.[0];
    assert.equal(binding?.HostIp, '127.0.0.1');
    assert.equal(await eventually(() => httpGet(web.hostPort!)), 'web v1');
    await eventually(async () => assert.equal((await status()).namespaces.shop.lastAppliedCommit, head));
  });

  it('changing env replaces every replica with the new revision', async () => {
    const before = await byDeployment('shop/web');
    await repo.write(
      'manifests/shop/web.yaml',
      deploymentYaml({
        name: 'web',
        replicas: 3,
        command: serveCommand('web v2'),
        port: 8080,
        env: { COLOR: 'green' },
        strategy: { maxSurge: 1, maxUnavailable: 0 },
      }),
    );
    await repo.commit('web: green');
    await repo.push();
    await eventually(
      async () => {
        const now = await byDeployment('shop/web');
        assert.equal(now.length, 3);
        assert.ok(
          now.every((r) => r.revision !== before[0]!.revision && r.state === 'running'),
          'every web replica runs the new revision',
        );
      },
      { timeoutMs: 90_000, what: 'web rolled' },
    );
    const now = await byDeployment('shop/web');
    assert.ok((await envOf(now[0]!.id)).includes('COLOR=green'), 'the new env reached the container');
    assert.equal(await httpGet(now[0]!.hostPort!), 'web v2');
  });

  it('changing the image (Recreate) and the command replaces the containers', async () => {
    const worker = await byDeployment('shop/worker');
    const front = await byDeployment('blog/front');
    await repo.write('manifests/shop/worker.yaml', deploymentYaml({ name: 'worker', strategy: 'Recreate', image: 'berth-test/busybox:1' }));
    await repo.write('manifests/blog/front.yaml', deploymentYaml({ name: 'front', command: serveCommand('blog v2', 80), port: 80 }));
    await repo.commit('new worker image, new front command');
    await repo.push();
    await eventually(
      async () => {
        const w = await byDeployment('shop/worker');
        const f = await byDeployment('blog/front');
        assert.equal(w.length, 1);
        assert.equal(w[0]!.image, 'berth-test/busybox:1');
        assert.notEqual(w[0]!.id, worker[0]!.id);
        assert.equal(f.length, 1);
        assert.notEqual(f[0]!.revision, front[0]!.revision);
        assert.equal(await httpGet(f[0]!.hostPort!), 'blog v2');
      },
      { timeoutMs: 90_000, what: 'worker and front replaced' },
    );
  });

  it('replicas 3 → 1 → 4', async () => {
    const web = (n: number) =>
      deploymentYaml({
        name: 'web',
        replicas: n,
        command: serveCommand('web v2'),
        port: 8080,
        env: { COLOR: 'green' },
        strategy: { maxSurge: 1, maxUnavailable: 0 },
      });
    const revision = (await byDeployment('shop/web'))[0]!.revision;
    await repo.write('manifests/shop/web.yaml', web(1));
    await repo.commit('web: 1 replica');
    await repo.push();
    await converged({ 'blog/front': [0], 'shop/web': [0], 'shop/worker': [0] }, 'scaled to 1');
    await repo.write('manifests/shop/web.yaml', web(4));
    await repo.commit('web: 4 replicas');
    await repo.push();
    const seen = await converged({ 'blog/front': [0], 'shop/web': [0, 1, 2, 3], 'shop/worker': [0] }, 'scaled to 4');
    assert.ok(
      seen.filter((r) => r.deployment === 'web').every((r) => r.revision === revision),
      'scaling does not change the revision',
    );
  });

  it('deleting a file prunes its Deployment', async () => {
    await repo.remove('manifests/shop/worker.yaml');
    await repo.commit('drop the worker');
    await repo.push();
    await converged({ 'blog/front': [0], 'shop/web': [0, 1, 2, 3] }, 'worker pruned');
  });

  it('broken YAML in one namespace leaves it untouched, reports file:line, and the others converge', async () => {
    const frontBefore = await byDeployment('blog/front');
    await repo.write('manifests/blog/front.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: front\nspec:\n  replicas: [1\n');
    await repo.write(
      'manifests/shop/web.yaml',
      deploymentYaml({
        name: 'web',
        replicas: 2,
        command: serveCommand('web v2'),
        port: 8080,
        env: { COLOR: 'green' },
        strategy: { maxSurge: 1, maxUnavailable: 0 },
      }),
    );
    const broken = await repo.commit('broken blog, web to 2');
    await repo.push();
    await converged({ 'blog/front': [0], 'shop/web': [0, 1] }, 'shop converged despite broken blog');
    await eventually(async () => {
      const s = await status();
      assert.equal(s.namespaces.blog.phase, 'Invalid');
      assert.equal(s.namespaces.blog.lastAttemptedCommit, broken);
      const d = s.namespaces.blog.diagnostics.find((x: { severity: string }) => x.severity === 'error');
      assert.equal(d.file, 'blog/front.yaml');
      assert.ok(d.line >= 6, `line ${d.line}`);
      assert.equal(s.namespaces.shop.lastAppliedCommit, broken);
    });
    assert.deepEqual(
      (await byDeployment('blog/front')).map((r) => r.id),
      frontBefore.map((r) => r.id),
      'the broken namespace keeps its containers',
    );
    // Fixed → converges again.
    await repo.write('manifests/blog/front.yaml', deploymentYaml({ name: 'front', command: serveCommand('blog v3', 80), port: 80 }));
    await repo.commit('fix blog');
    await repo.push();
    await eventually(async () => assert.equal((await status()).namespaces.blog.phase, 'Synced'), { timeoutMs: 90_000 });
    assert.notDeepEqual(
      (await byDeployment('blog/front')).map((r) => r.id),
      frontBefore.map((r) => r.id),
    );
  });

  it('docker rm -f of an owned container is restored; a killed one is replaced', async () => {
    const [victim, other] = await byDeployment('shop/web');
    await dockerClient().getContainer(victim!.id).remove({ force: true });
    await dockerClient().getContainer(other!.id).kill();
    const seen = await converged({ 'blog/front': [0], 'shop/web': [0, 1] }, 'restored');
    const ids = seen.map((r) => r.id);
    assert.ok(!ids.includes(victim!.id) && !ids.includes(other!.id), 'both containers were replaced');
  });

  it('a container labelled as a replica of another revision (edited out of band) is replaced', async () => {
    const [web] = await byDeployment('shop/web');
    const container = await dockerClient().createContainer({
      name: `${scope.instance}.shop.web.0ddba11000.1`,
      Image: 'busybox:1.36',
      Entrypoint: ['sleep', '3600'],
      Labels: scope.labels({
        'berth.namespace': 'shop',
        'berth.kind': 'Deployment',
        'berth.name': 'web',
        'berth.revision': '0ddba11000',
        'berth.replica': '1',
        'berth.commit': web!.commit,
      }),
      HostConfig: { Init: true },
    });
    await container.start();
    await eventually(
      async () => {
        const ids = (await ownedContainers(scope.instance)).map((r) => r.id);
        assert.ok(!ids.includes(container.id), 'the out-of-band container is gone');
      },
      { timeoutMs: 90_000 },
    );
    await converged({ 'blog/front': [0], 'shop/web': [0, 1] }, 'web intact');
  });

  it('an image that cannot be pulled fails only its Deployment, with a clear status', async () => {
    await repo.write('manifests/shop/ghost.yaml', deploymentYaml({ name: 'ghost', image: 'berth-test/does-not-exist:1' }));
    await repo.commit('ghost with a missing image');
    await repo.push();
    await eventually(
      async () => {
        const ghost = (await status()).namespaces.shop.deployments.find((d: { name: string }) => d.name === 'ghost');
        assert.equal(ghost?.phase, 'Failed');
        assert.match(ghost.message, /IMAGE_PULL_FAILED.*berth-test\/does-not-exist:1/);
      },
      { timeoutMs: 90_000 },
    );
    assert.deepEqual(layout(await ownedContainers(scope.instance)), { 'blog/front': [0], 'shop/web': [0, 1] });
    await repo.remove('manifests/shop/ghost.yaml');
    await repo.commit('drop ghost');
    await repo.push();
    await eventually(async () => assert.equal((await status()).namespaces.shop.phase, 'Synced'), { timeoutMs: 90_000 });
  });

  it('restarting berth (kill -9 mid-change) leaves no duplicates and no orphans', async () => {
    await repo.write(
      'manifests/shop/web.yaml',
      deploymentYaml({
        name: 'web',
        replicas: 4,
        command: serveCommand('web v4'),
        port: 8080,
        env: { COLOR: 'red' },
        strategy: { maxSurge: 2, maxUnavailable: 1 },
      }),
    );
    await repo.commit('web v4');
    await repo.push();
    // Wait until berth has started changing things, then crash it.
    await eventually(
      async () => {
        const web = await byDeployment('shop/web');
        assert.ok(new Set(web.map((r) => r.revision)).size > 1, 'rollout under way');
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    await berth!.kill();
    start();
    const seen = await converged({ 'blog/front': [0], 'shop/web': [0, 1, 2, 3] }, 'converged after restart');
    const web = seen.filter((r) => r.deployment === 'web');
    assert.equal(new Set(web.map((r) => r.name)).size, web.length, 'no duplicate names');
    assert.equal(await httpGet(web[0]!.hostPort!), 'web v4');
  });

  it('removing a namespace folder is held by the prune guard until a commit confirms it', async () => {
    const blogBefore = (await byDeployment('blog/front')).map((r) => r.id);
    await repo.remove('manifests/blog');
    const held = await repo.commit('drop blog');
    await repo.push();
    await eventually(
      async () => {
        const s = await status();
        assert.equal(s.namespaces.blog.phase, 'Refused');
        assert.equal(s.namespaces.blog.lastAttemptedCommit, held);
        assert.match(s.namespaces.blog.message, /prune guard: the commit removes namespace blog.*Berth-Confirm-Prune: yes/);
      },
      { timeoutMs: 90_000 },
    );
    assert.deepEqual(
      (await byDeployment('blog/front')).map((r) => r.id),
      blogBefore,
      'blog keeps running',
    );
    await repo.commit('confirm dropping blog\n\nBerth-Confirm-Prune: yes');
    await repo.push();
    await converged({ 'shop/web': [0, 1, 2, 3] }, 'blog pruned');
    await eventually(async () => assert.deepEqual(await networksOf(scope.instance), [`berth.${scope.instance}.shop`]));
  });

  it('never touched the container it does not own', async () => {
    const info = await dockerClient().getContainer(unownedId).inspect();
    assert.equal(info.State.Running, true);
  });
});

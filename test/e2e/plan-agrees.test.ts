/**
 * `berth plan --live` and `berth run` must never disagree (this wave's condition). After an
 * automatic rollback and after a manual one, the head's template is not what berth runs: the
 * plan applies the same rollback rule (plan/pins.ts) as the pass, so it shows exactly what the
 * next pass does. So it does with an invalid head, a held failure (nothing to roll back to) and
 * a prune the guard holds. Real engine, real Git, the real CLI; passes are triggered by the API
 * (the poll never fires), so each plan is taken before the pass it predicts.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { daemonFlags, runBerth, startBerth, type BerthDaemon, tearDown } from '../helpers/berth-cli.js';
import { dockerClient, dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml, serveCommand } from '../helpers/manifests.js';
import { freePort } from '../helpers/webhook-hook.js';
import { localRepo, type LocalRepo } from '../helpers/tmp-repo.js';
import { ownedContainers } from '../helpers/world.js';

const TOKEN = 'e2e-plan-agrees-token';
const NEVER = '0 0 0 1 1 *';

/** Two replicas of httpd answering `text`, ready on `readyPath`, rolled one at a time (maxSurge 1, maxUnavailable 0). */
const web = (text: string, readyPath = '/', o: { name?: string; namespace?: string; progressDeadlineSeconds?: number } = {}) =>
  deploymentYaml({
    name: o.name ?? 'web',
    ...(o.namespace ? { namespace: o.namespace } : {}),
    replicas: 2,
    command: serveCommand(text),
    port: 8080,
    readinessProbe: { path: readyPath, port: 8080 },
    strategy: { maxSurge: 1, maxUnavailable: 0 },
    progressDeadlineSeconds: o.progressDeadlineSeconds ?? 5,
  });
const api = (text: string) => deploymentYaml({ name: 'api', command: ['sh', '-c', `echo ${text}; exec sleep 100000`] });

describe('plan --live agrees with run after rollbacks', { timeout: 300_000 }, () => {
  const scope = dockerScope('e2e-plan-agrees');
  let repo: LocalRepo;
  let stateDir: string;
  let berth: BerthDaemon | undefined;
  let server: string;
  const source = (): string[] => ['--repo', repo.dir, '--path', 'manifests', '--instance', scope.instance, '--state-dir', stateDir];
  const plan = () => runBerth(['plan', '--live', ...source()]);
  const sync = async () => {
    const r = await fetch(`${server}/api/v1/sync`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(r.status, 202, await r.text());
  };
  const rolloutStatus = (name: string) => runBerth(['rollout', 'status', `shop/${name}`, ...source(), '--timeout', '120']);
  /** Revisions of the running web replicas, sorted. */
  const running = async (name: string) =>
    (await ownedContainers(scope.instance))
      .filter((c) => c.deployment === name && c.state === 'running')
      .map((c) => c.revision)
      .sort();
  /** Revisions of every container of the Deployment the engine has, whatever its state (a replica being removed is one still). */
  const onEngine = async (name: string) =>
    (await ownedContainers(scope.instance))
      .filter((c) => c.deployment === name)
      .map((c) => c.revision)
      .sort();
  let v1 = '';

  before(async () => {
    repo = await localRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-plan-agrees-'));
    const port = await freePort();
    server = `http://127.0.0.1:${port}`;
    await repo.write('manifests/shop/web.yaml', web('v1'));
    await repo.commit('web v1');
    berth = startBerth(daemonFlags({ repo: repo.dir, stateDir, instance: scope.instance, poll: NEVER, listen: `127.0.0.1:${port}` }), {
      env: { BERTH_API_TOKEN: TOKEN },
    });
    const done = await rolloutStatus('web');
    assert.equal(done.code, 0, done.stdout + done.stderr);
    v1 = (await running('web'))[0]!;
  });

  after(() => tearDown({ berth, name: 'plan-agrees', stateDir, scope, repos: [repo] }));

  it('after an automatic rollback: the plan names it and plans no roll; the next pass rolls nothing', async () => {
    await repo.write('manifests/shop/web.yaml', web('v2', '/never-ready'));
    await repo.commit('web v2 never gets ready');
    await sync();
    const failed = await rolloutStatus('web');
    assert.equal(failed.code, 3, failed.stdout + failed.stderr);
    // Every container of the failed revision gone (not only stopped): what the plan is taken against.
    await eventually(async () => assert.deepEqual(await onEngine('web'), [v1, v1]), { timeoutMs: 60_000, what: 'web back on v1 only' });

    const p = await plan();
    assert.equal(p.code, 0, `in sync: ${p.stdout}${p.stderr}`);
    assert.match(p.stdout, new RegExp(`= deployment web: rolled back to revision ${v1} \\(commit [0-9a-f]{12}\\) until a commit changes it`));
    assert.doesNotMatch(p.stdout, /~ deployment web/);

    // A commit that leaves web alone: the plan shows only api, and so does the pass.
    await repo.write('manifests/shop/api.yaml', api('a1'));
    const c3 = await repo.commit('api');
    const next = await plan();
    assert.equal(next.code, 1, next.stdout + next.stderr);
    assert.match(next.stdout, /\+ deployment api: 1 replica/);
    assert.doesNotMatch(next.stdout, /~ deployment web/);
    await sync();
    assert.equal((await rolloutStatus('api')).code, 0);
    const state = JSON.parse((await runBerth(['status', ...source(), '-o', 'json'])).stdout) as {
      namespaces: Record<string, { lastAttemptedCommit?: string }>;
    };
    assert.equal(state.namespaces.shop?.lastAttemptedCommit, c3, 'the pass on the api commit ran');
    assert.deepEqual(await running('web'), [v1, v1], 'web was not rolled');
    assert.equal((await plan()).code, 0);
  });

  it('after a manual rollback: the plan names the pin, the pass keeps it; a commit changing web releases it in both', async () => {
    await repo.write('manifests/shop/web.yaml', web('v3'));
    const c4 = await repo.commit('web v3');
    const release = await plan();
    assert.equal(release.code, 1);
    assert.match(release.stdout, /~ deployment web: roll .* → /, 'a commit that changes web ends the rollback: the plan rolls it');
    assert.doesNotMatch(release.stdout, /rolled back to/);
    await sync();
    assert.equal((await rolloutStatus('web')).code, 0);
    const v3 = (await running('web'))[0]!;
    assert.notEqual(v3, v1);

    const r = await runBerth(['rollback', 'shop/web', '--to-revision', v1, '--server', server], { env: { BERTH_API_TOKEN: TOKEN } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    await eventually(async () => assert.deepEqual(await onEngine('web'), [v1, v1]), { timeoutMs: 60_000, what: 'web rolled back to v1' });
    const pinned = await plan();
    assert.equal(pinned.code, 0, pinned.stdout + pinned.stderr);
    assert.match(pinned.stdout, new RegExp(`= deployment web: rolled back to revision ${v1}`));

    await repo.write('manifests/shop/api.yaml', api('a2'));
    await repo.commit('api a2');
    const next = await plan();
    assert.equal(next.code, 1);
    assert.match(next.stdout, /~ deployment api: roll/);
    assert.doesNotMatch(next.stdout, /~ deployment web/);
    await sync();
    await eventually(
      async () => {
        const s = await runBerth(['rollout', 'status', 'shop/api', ...source(), '--no-watch']);
        assert.equal(s.code, 0, s.stdout);
      },
      { timeoutMs: 60_000, what: 'api rolled' },
    );
    assert.deepEqual(await running('web'), [v1, v1], 'the pass kept the pin, as the plan said');
    assert.ok(c4);
  });

  it('a head that is invalid: the plan shows what run converges to at the last valid commit, and run does exactly that', async () => {
    await repo.write('manifests/shop/broken.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: [unclosed\n');
    await repo.commit('a broken file');
    await sync();
    await eventually(
      async () => {
        const state = JSON.parse((await runBerth(['status', ...source(), '-o', 'json'])).stdout) as { namespaces: Record<string, { phase: string }> };
        assert.equal(state.namespaces.shop?.phase, 'Invalid');
      },
      { timeoutMs: 30_000, what: 'shop invalid' },
    );
    // berth stopped, a replica removed behind its back: the plan says what the next berth will do.
    await berth?.stop();
    const api = (await ownedContainers(scope.instance)).find((c) => c.deployment === 'api');
    assert.ok(api);
    await dockerClient().getContainer(api.id).remove({ force: true });
    const p = await plan();
    assert.equal(p.code, 2, p.stdout + p.stderr);
    assert.match(p.stdout, /namespace shop: invalid — invalid manifests: the namespace keeps running as of [0-9a-f]{12}, which berth converges to/);
    assert.match(p.stdout, /\+ deployment api: 1 replica/);
    assert.doesNotMatch(p.stdout, /~ deployment web/, 'web stays rolled back');
    assert.match(p.stdout, new RegExp(`= deployment web: rolled back to revision ${v1}`));

    berth = startBerth(daemonFlags({ repo: repo.dir, stateDir, instance: scope.instance, poll: NEVER, listen: new URL(server).host }), {
      env: { BERTH_API_TOKEN: TOKEN },
    });
    await eventually(async () => assert.equal((await running('api')).length, 1), { timeoutMs: 60_000, what: 'api made again' });
    assert.deepEqual(await running('web'), [v1, v1]);
    const after = await plan();
    assert.equal(after.code, 2);
    assert.doesNotMatch(after.stdout, /^ {2}[+~-] /m, 'nothing left to do');
  });

  it('a held failure (nothing to roll back to): the plan plans nothing for it, and the pass moves nothing of it', async () => {
    await repo.remove('manifests/shop/broken.yaml');
    await repo.write(
      'manifests/shop/solo.yaml',
      deploymentYaml({
        name: 'solo',
        command: serveCommand('s1'),
        port: 8080,
        readinessProbe: { path: '/never-ready', port: 8080 },
        progressDeadlineSeconds: 5,
      }),
    );
    await repo.commit('solo, which never gets ready');
    await sync();
    const failed = await rolloutStatus('solo');
    assert.equal(failed.code, 3, failed.stdout + failed.stderr);
    await eventually(
      async () => {
        const p = await plan();
        assert.match(p.stdout, /= deployment solo: revision \w+ failed \(ProgressDeadlineExceeded\) with nothing to roll back to/);
      },
      { timeoutMs: 30_000, what: 'solo held' },
    );
    const solo = await onEngine('solo');
    assert.equal(solo.length, 1, 'the failed revision is left as it runs');

    // A commit that changes only api: the plan lists api alone, and the pass leaves solo as it is.
    await repo.write('manifests/shop/api.yaml', api('a3'));
    const c = await repo.commit('api a3');
    const p = await plan();
    assert.equal(p.code, 1, p.stdout + p.stderr);
    assert.match(p.stdout, /~ deployment api: roll/);
    assert.doesNotMatch(p.stdout, /deployment solo: (roll|heal|scale)|\+ deployment solo/);
    await sync();
    await eventually(
      async () => {
        const s = await runBerth(['rollout', 'status', 'shop/api', ...source(), '--no-watch']);
        assert.equal(s.code, 0, s.stdout);
        const state = JSON.parse((await runBerth(['status', ...source(), '-o', 'json'])).stdout) as {
          namespaces: Record<string, { lastAttemptedCommit?: string }>;
        };
        assert.equal(state.namespaces.shop?.lastAttemptedCommit, c);
      },
      { timeoutMs: 60_000, what: 'api rolled at the new commit' },
    );
    assert.deepEqual(await onEngine('solo'), solo, 'solo was left as it runs, as the plan said');
  });

  it('a prune the guard holds: the plan refuses it and lists what else changes; the pass does exactly that', async () => {
    // shop leaves Git (a whole namespace: the guard waits for a confirmed commit) and blog arrives.
    const before = (await ownedContainers(scope.instance)).map((c) => c.id).sort();
    await repo.remove('manifests/shop/web.yaml');
    await repo.remove('manifests/shop/api.yaml');
    await repo.remove('manifests/shop/solo.yaml');
    await repo.write('manifests/blog/front.yaml', deploymentYaml({ name: 'front', namespace: 'blog', command: ['sh', '-c', 'exec sleep 100000'] }));
    await repo.commit('shop leaves, blog arrives');
    const p = await plan();
    assert.equal(p.code, 1, p.stdout + p.stderr);
    assert.match(p.stdout, /namespace shop: refused/);
    assert.doesNotMatch(p.stdout, /- deployment (web|api|solo)/);
    assert.match(p.stdout, /\+ deployment front: 1 replica/);
    await sync();
    await eventually(async () => assert.equal((await running('front')).length, 1), { timeoutMs: 60_000, what: 'blog/front made' });
    const state = JSON.parse((await runBerth(['status', ...source(), '-o', 'json'])).stdout) as { namespaces: Record<string, { phase: string }> };
    assert.equal(state.namespaces.shop?.phase, 'Refused');
    const now = (await ownedContainers(scope.instance))
      .filter((c) => c.deployment !== 'front')
      .map((c) => c.id)
      .sort();
    assert.deepEqual(now, before, 'the pass pruned nothing of shop, as the plan said');
  });

  it('a rollout mid-way: the plan says the next pass creates one, the pass does; then that it waits, and the pass waits', async () => {
    // blog/feed: 2 ready replicas, then a revision that never gets ready (maxSurge 1, maxUnavailable 0, a long deadline).
    const feed = (text: string, readyPath: string) => web(text, readyPath, { name: 'feed', namespace: 'blog', progressDeadlineSeconds: 600 });
    const feedOnEngine = async () =>
      (await ownedContainers(scope.instance))
        .filter((c) => c.deployment === 'feed' && c.state === 'running')
        .map((c) => c.revision)
        .sort();
    const livePlan = async () => {
      const p = await runBerth(['plan', '--live', '--server', server, '-o', 'json'], { env: { BERTH_API_TOKEN: TOKEN } });
      assert.ok(p.code === 0 || p.code === 1, p.stdout + p.stderr);
      const plan = JSON.parse(p.stdout) as { namespaces: { namespace: string; actions: { kind: string; name?: string; next?: string }[] }[] };
      return plan.namespaces.find((n) => n.namespace === 'blog')?.actions.filter((a) => a.name === 'feed') ?? [];
    };
    await repo.write('manifests/blog/feed.yaml', feed('f1', '/'));
    await repo.commit('feed f1');
    await sync();
    assert.equal((await runBerth(['rollout', 'status', 'blog/feed', ...source(), '--timeout', '120'])).code, 0);
    const f1 = (await feedOnEngine())[0]!;

    await repo.write('manifests/blog/feed.yaml', feed('f2', '/never-ready'));
    await repo.commit('feed f2, never ready');
    // The running berth has not fetched the commit: its plan is of what it follows. Fetched, not yet applied: the sync
    // below fetches and passes at once, so the first plan is taken from the CLI against the new head instead.
    const local = await runBerth(['plan', '--live', ...source(), '-o', 'json']);
    assert.equal(local.code, 1, local.stdout + local.stderr);
    const first = (JSON.parse(local.stdout) as { namespaces: { namespace: string; actions: { kind: string; name?: string; next?: string }[] }[] }).namespaces
      .find((n) => n.namespace === 'blog')
      ?.actions.filter((a) => a.name === 'feed');
    assert.deepEqual(
      first?.map((a) => [a.kind, a.next]),
      [['update-deployment', 'create 1']],
      'one surge replica of f2 first',
    );
    await sync();
    await eventually(async () => assert.equal((await feedOnEngine()).length, 3), { timeoutMs: 60_000, what: 'the surge replica made' });
    const f2 = (await feedOnEngine()).find((r) => r !== f1)!;
    assert.deepEqual(await feedOnEngine(), [f1, f1, f2].sort(), 'the pass did what the plan said: one of f2, both of f1 kept');

    // Mid-way: f2's replica never gets ready. The running berth's plan (its prober's verdicts) says the next pass waits.
    await eventually(
      async () => {
        const mid = await livePlan();
        assert.deepEqual(
          mid.map((a) => a.kind),
          ['update-deployment'],
        );
        assert.match(mid[0]?.next ?? '', /^waits: waiting for new replicas to become ready \(0\/2\)/);
      },
      { timeoutMs: 30_000, what: 'the plan says the rollout waits' },
    );
    const text = await runBerth(['plan', '--live', '--server', server], { env: { BERTH_API_TOKEN: TOKEN } });
    assert.match(text.stdout, /~ deployment feed: roll \w+ → \w+ .*\n {6}next pass: waits: waiting for new replicas to become ready/);
    // Without --server, on the running berth's state directory: its plan too (made here, the never-ready
    // replica would count as ready, and the plan would say the roll goes on).
    const asked = await runBerth(['plan', '--live', ...source()], { env: { BERTH_API_TOKEN: TOKEN } });
    assert.equal(asked.code, 1, asked.stdout + asked.stderr);
    assert.match(asked.stdout, /~ deployment feed: roll \w+ → \w+ .*\n {6}next pass: waits: waiting for new replicas to become ready/);
    assert.equal(asked.stderr, '', 'no note: the running berth planned it');
    // It is asked with the caller's token (reads need one here) and about the same source and policy; else planned here, and said so.
    const noToken = await runBerth(['plan', '--live', ...source()]);
    assert.match(noToken.stderr, /note: planned here, not by the berth running on this state directory \(pid \d+, http:\/\/127\.0\.0\.1:\d+\): UNAUTHORIZED/);
    assert.doesNotMatch(noToken.stdout, /next pass: waits/);
    const otherPolicy = await runBerth(['plan', '--live', ...source(), '--max-pod-security', 'baseline'], { env: { BERTH_API_TOKEN: TOKEN } });
    assert.match(
      otherPolicy.stderr,
      /note: planned here: the berth running on this state directory \(pid \d+\) follows another source, path, instance or policy/,
    );
    // And the passes wait: three more passes over blog (status written by each) move nothing.
    const before = (await ownedContainers(scope.instance))
      .filter((c) => c.deployment === 'feed')
      .map((c) => c.id)
      .sort();
    for (let i = 0; i < 3; i++) {
      const at = JSON.parse((await runBerth(['status', ...source(), '-o', 'json'])).stdout) as { namespaces: Record<string, { updatedAt?: string }> };
      await sync();
      await eventually(
        async () => {
          const now = JSON.parse((await runBerth(['status', ...source(), '-o', 'json'])).stdout) as { namespaces: Record<string, { updatedAt?: string }> };
          assert.notEqual(now.namespaces.blog?.updatedAt, at.namespaces.blog?.updatedAt);
        },
        { timeoutMs: 30_000, what: 'another pass over blog' },
      );
    }
    const after = (await ownedContainers(scope.instance))
      .filter((c) => c.deployment === 'feed')
      .map((c) => c.id)
      .sort();
    assert.deepEqual(after, before, 'the passes moved nothing, as the plan said');
  });
});

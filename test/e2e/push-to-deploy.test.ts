/**
 * Push to deploy: a native `git push` to a real Git HTTP server whose post-receive hook calls
 * berth's GitHub webhook (HMAC-signed) → the engine converges without waiting for a poll (the
 * poll is set to once a year). Then the API: sync with a bearer token, and a manual rollback
 * through `berth rollback` that pins the Deployment until the next commit that changes it.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBerth, startBerth, type BerthDaemon, daemonFlags, tearDown } from '../helpers/berth-cli.js';
import { dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml, serveCommand } from '../helpers/manifests.js';
import { tmpRepo, type TmpRepo } from '../helpers/tmp-repo.js';
import { freePort, installPostReceiveHook, type InstalledHook } from '../helpers/webhook-hook.js';
import { httpGet, ownedContainers } from '../helpers/world.js';

const SECRET = 'whsec-e2e-9f2c-4b7d-a1e0-53c8';
const TOKEN = 'api-token-e2e-77d1';
const YEARLY = '0 0 0 1 1 *';

describe('push to deploy: webhook, API sync, manual rollback', { timeout: 300_000 }, () => {
  const scope = dockerScope('e2e-push');
  let repo: TmpRepo;
  let stateDir: string;
  let berth: BerthDaemon;
  let api: string;
  let hook: InstalledHook;
  const web = (text: string) =>
    deploymentYaml({ name: 'web', replicas: 2, command: serveCommand(text), port: 8080, strategy: { maxSurge: 1, maxUnavailable: 0 } });
  const serving = async () => {
    const running = (await ownedContainers(scope.instance)).filter((r) => r.deployment === 'web' && r.state === 'running');
    assert.equal(running.length, 2, 'two web replicas run');
    const texts = new Set(await Promise.all(running.map((r) => httpGet(r.hostPort!))));
    assert.equal(texts.size, 1, `one revision serves: ${[...texts].join(', ')}`);
    return [...texts][0]!;
  };
  const hookAnswers = () => hook.answers();

  before(async () => {
    repo = await tmpRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-push-state-'));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    hook = await installPostReceiveHook({ bareDir: repo.bareDir, scratchDir: stateDir, url: `${api}/hooks/github`, secret: SECRET });
    await repo.write('manifests/shop/web.yaml', web('v1'));
    await repo.commit('v1');
    await repo.push();
    berth = startBerth([...daemonFlags({ repo: repo.url, ref: 'main', stateDir, instance: scope.instance, poll: YEARLY, listen: `127.0.0.1:${port}` })], {
      env: { BERTH_WEBHOOK_SECRET: SECRET, BERTH_API_TOKEN: TOKEN },
    });
    await eventually(async () => assert.equal(await serving(), 'v1'), { timeoutMs: 60_000, what: 'initial sync at start' });
  });

  after(() => tearDown({ berth, name: 'push-to-deploy', stateDir, scope, repos: [repo] }));

  it('a push reaches the engine through the webhook, without a poll', async () => {
    await repo.write('manifests/shop/web.yaml', web('v2'));
    await repo.commit('v2');
    await repo.push();
    await eventually(async () => assert.equal(await serving(), 'v2'), { timeoutMs: 60_000, what: 'v2 serving' });
    const last = (await hookAnswers()).at(-1)!;
    assert.equal(last.status, 202);
    assert.equal(last.body.accepted, true);
  });

  it('a push to another branch is ignored', async () => {
    await repo.git('checkout', '-q', '-b', 'feature');
    await repo.write('manifests/shop/web.yaml', web('feature'));
    await repo.commit('feature work');
    await repo.push({ refspec: 'feature' });
    await eventually(async () => {
      const a = (await hookAnswers()).find((x) => x.ref === 'refs/heads/feature');
      assert.equal(a?.status, 202);
      assert.equal(a?.body.ignored, true);
    });
    await repo.git('checkout', '-q', 'main');
    assert.equal(await serving(), 'v2');
  });

  it('an unsigned or wrongly signed hook is refused', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const unsigned = await fetch(`${api}/hooks/github`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push' }, body });
    assert.equal(unsigned.status, 401);
    const wrong = await fetch(`${api}/hooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) },
      body,
    });
    assert.equal(wrong.status, 401);
  });

  it('the API serves status; sync needs the bearer token', async () => {
    const status = (await (await fetch(`${api}/api/v1/status`)).json()) as { namespaces: Record<string, { lastAppliedCommit?: string }> };
    assert.equal(status.namespaces.shop?.lastAppliedCommit, await repo.git('rev-parse', 'main'));
    assert.equal((await fetch(`${api}/api/v1/sync`, { method: 'POST' })).status, 401);
    const ok = await fetch(`${api}/api/v1/sync`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 202);
    assert.ok(!JSON.stringify(await ok.json()).includes(TOKEN), 'the token is never echoed');
  });

  it('berth rollback pins the previous revision; history shows it; the next commit that changes the Deployment unpins', async () => {
    await eventually(async () => {
      const h = await runBerth(['history', 'shop/web', '-o', 'json', '--state-dir', stateDir]);
      assert.equal(JSON.parse(h.stdout).revisions.length, 2, h.stdout);
    });
    // Revision 1 of `berth history` (by number, as kubectl rollout undo --to-revision).
    const r = await runBerth(['rollback', 'shop/web', '--to-revision', '1', '--server', api], { env: { BERTH_API_TOKEN: TOKEN } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pinned to [0-9a-f]{10}@[0-9a-f]{12}/);
    await eventually(async () => assert.equal(await serving(), 'v1'), { timeoutMs: 60_000, what: 'rolled back to v1' });
    const h = JSON.parse((await runBerth(['history', 'shop/web', '-o', 'json', '--state-dir', stateDir])).stdout);
    assert.ok(h.pin, 'history shows the pin');
    const refused = await runBerth(['rollback', 'shop/web', '--server', api], { env: { BERTH_API_TOKEN: 'wrong' } });
    assert.notEqual(refused.code, 0);
    // A commit that changes the Deployment releases the pin.
    await repo.write('manifests/shop/web.yaml', web('v3'));
    await repo.commit('v3');
    await repo.push();
    await eventually(async () => assert.equal(await serving(), 'v3'), { timeoutMs: 60_000, what: 'v3 after unpin' });
    const after = JSON.parse((await runBerth(['history', 'shop/web', '-o', 'json', '--state-dir', stateDir])).stdout);
    assert.equal(after.pin, undefined);
    // --to-commit takes a revision expression, resolved by the running berth in its source: HEAD~1 is v2's commit.
    const v2Commit = (await repo.git('rev-parse', 'HEAD~1')).trim();
    const back = await runBerth(['rollback', 'shop/web', '--to-commit', 'HEAD~1', '--server', api], { env: { BERTH_API_TOKEN: TOKEN } });
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, new RegExp(`pinned to [0-9a-f]{10}@${v2Commit.slice(0, 12)}`));
    await eventually(async () => assert.equal(await serving(), 'v2'), { timeoutMs: 60_000, what: 'rolled back to HEAD~1 (v2)' });
    const past = await runBerth(['rollback', 'shop/web', '--to-commit', 'HEAD~9', '--server', api], { env: { BERTH_API_TOKEN: TOKEN } });
    assert.notEqual(past.code, 0);
    assert.match(past.stderr, /HEAD~9 goes past the first commit of its history/);
  });
});

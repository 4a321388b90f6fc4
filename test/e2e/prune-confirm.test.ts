/**
 * Prune confirmation from the CLI and the API: a pushed commit that deletes a whole namespace
 * is held by the prune guard (status Refused, the containers keep running) until
 * `berth prune confirm` (POST /api/v1/prune/confirm) confirms exactly that commit; then the
 * namespace is pruned at once — the poll is set to once a year, so only the confirmation can
 * have triggered it. A wrong token and a commit that is not the one held are refused, and the
 * next commit is judged afresh. Native `git push` to a real Git HTTP server, the real
 * `berth run`, the real engine; assertions read the engine and the state directory.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBerth, startBerth, type BerthDaemon, daemonFlags, tearDown } from '../helpers/berth-cli.js';
import { dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml } from '../helpers/manifests.js';
import { tmpRepo, type TmpRepo } from '../helpers/tmp-repo.js';
import { freePort } from '../helpers/webhook-hook.js';
import { layout, ownedContainers } from '../helpers/world.js';

const TOKEN = 'api-token-e2e-prune-3e8a51c0';
const YEARLY = '0 0 0 1 1 *';

describe('prune confirmation: berth prune confirm and POST /api/v1/prune/confirm', { timeout: 300_000 }, () => {
  const scope = dockerScope('e2e-prune');
  let repo: TmpRepo;
  let stateDir: string;
  let berth: BerthDaemon;
  let api: string;
  let initial: string;
  let held: string;

  const status = async () => JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8'));
  const running = async () => layout(await ownedContainers(scope.instance));
  const idsOf = async (key: string) =>
    (await ownedContainers(scope.instance))
      .filter((r) => `${r.namespace}/${r.deployment}` === key && r.state === 'running')
      .map((r) => r.id)
      .sort();
  /** Push, then ask berth to fetch now (no poll, no webhook in this test). */
  const pushAndSync = async () => {
    await repo.push();
    const r = await fetch(`${api}/api/v1/sync`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(r.status, 202, 'sync accepted');
  };
  const confirm = (args: string[], token = TOKEN) => runBerth(['prune', 'confirm', '--server', api, ...args], { env: { BERTH_API_TOKEN: token } });

  before(async () => {
    repo = await tmpRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-prune-state-'));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    await repo.write('manifests/shop/web.yaml', deploymentYaml({ name: 'web' }));
    await repo.write('manifests/blog/front.yaml', deploymentYaml({ name: 'front' }));
    initial = await repo.commit('shop and blog');
    await repo.push();
    berth = startBerth([...daemonFlags({ repo: repo.url, ref: 'main', stateDir, instance: scope.instance, poll: YEARLY, listen: `127.0.0.1:${port}` })], {
      env: { BERTH_API_TOKEN: TOKEN },
    });
    await eventually(async () => assert.deepEqual(await running(), { 'blog/front': [0], 'shop/web': [0] }), {
      timeoutMs: 60_000,
      what: 'initial sync at start',
    });
  });

  after(() => tearDown({ berth, name: 'prune-confirm', stateDir, scope, repos: [repo] }));

  it('a commit deleting a whole namespace is refused: status Refused, its containers keep running', async () => {
    const before = await idsOf('blog/front');
    await repo.remove('manifests/blog');
    held = await repo.commit('drop blog');
    await pushAndSync();
    await eventually(
      async () => {
        const s = await status();
        assert.equal(s.namespaces.blog?.phase, 'Refused');
        assert.equal(s.namespaces.blog?.lastAttemptedCommit, held);
        assert.match(s.namespaces.blog?.message, /prune guard: the commit removes namespace blog.*berth prune confirm/);
      },
      { timeoutMs: 60_000, what: 'blog refused' },
    );
    assert.deepEqual(await idsOf('blog/front'), before, 'blog keeps running, untouched');
  });

  it('a wrong token is refused (401) and confirms nothing', async () => {
    const r = await confirm(['--commit', held], 'not-the-token');
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stderr, /UNAUTHORIZED/);
    const api401 = await fetch(`${api}/api/v1/prune/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ commit: held }),
    });
    assert.equal(api401.status, 401, 'no token at all');
    assert.equal((await status()).pruneConfirmations, undefined, 'nothing recorded');
  });

  it('confirming a commit that is not the one held → 409', async () => {
    const r = await fetch(`${api}/api/v1/prune/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ commit: initial.slice(0, 7) }),
    });
    assert.equal(r.status, 409);
    const body = (await r.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'CONFLICT');
    assert.match(body.error.message, new RegExp(`not the commit berth is at \\(${held.slice(0, 12)}, whose prunes the guard holds\\)`));
    const cli = await confirm(['--commit', initial]);
    assert.equal(cli.code, 3, cli.stdout + cli.stderr);
    assert.match(cli.stderr, /CONFLICT/);
    assert.equal((await running())['blog/front']?.length, 1, 'blog still runs');
  });

  it('berth prune confirm (the held commit, from the status) → the namespace is pruned at once', async () => {
    const r = await confirm([]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`prunes of commit ${held.slice(0, 12)} confirmed \\(the commit removes namespace blog\\)`));
    await eventually(async () => assert.deepEqual(await running(), { 'shop/web': [0] }), { timeoutMs: 60_000, what: 'blog pruned' });
    const s = await status();
    assert.ok(s.pruneConfirmations?.[held]?.at, `the confirmation is recorded for exactly ${held}`);
    assert.deepEqual(Object.keys(s.pruneConfirmations), [held], 'and for no other commit');
    const again = await confirm(['--commit', held.slice(0, 7), '-o', 'json']);
    assert.equal(again.code, 0, `confirming again answers the same: ${again.stderr}`);
    assert.equal(JSON.parse(again.stdout).confirmed, held, 'the full commit id');
    const byName = await confirm(['--commit', 'main', '-o', 'json']);
    assert.equal(byName.code, 0, `a revision, resolved by the running berth: ${byName.stderr}`);
    assert.equal(JSON.parse(byName.stdout).confirmed, held, 'main names the held commit');
  });

  it('the next commit is judged afresh: deleting the namespace again is refused again', async () => {
    await repo.write('manifests/blog/front.yaml', deploymentYaml({ name: 'front' }));
    await repo.commit('blog is back');
    await pushAndSync();
    await eventually(async () => assert.deepEqual(await running(), { 'blog/front': [0], 'shop/web': [0] }), { timeoutMs: 60_000, what: 'blog back' });
    const before = await idsOf('blog/front');
    await repo.remove('manifests/blog');
    const next = await repo.commit('drop blog again');
    await pushAndSync();
    await eventually(
      async () => {
        const s = await status();
        assert.equal(s.namespaces.blog?.phase, 'Refused');
        assert.equal(s.namespaces.blog?.lastAttemptedCommit, next);
      },
      { timeoutMs: 60_000, what: 'blog refused again' },
    );
    assert.deepEqual(await idsOf('blog/front'), before, 'blog keeps running');
  });
});

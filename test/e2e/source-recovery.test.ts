/**
 * The source error is the truth about the last fetch, in both directions (#15 items 9, 10):
 *  - `POST /api/v1/sync` whose fetch fails answers 503 with the error (never 202 `accepted`);
 *  - after the watched branch is deleted and recreated at the *same* commit, the next fetch
 *    that succeeds clears `source.error` and `berth_source_fetch_failing`, although the commit
 *    did not change.
 * A real `berth run` against a real Git HTTP server; the namespace holds only a ConfigMap, so
 * no container is started (the scope still cleans up whatever carries the instance label).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerth, type BerthDaemon } from '../helpers/berth-cli.js';
import { dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { runGit, tmpRepo, type TmpRepo } from '../helpers/tmp-repo.js';
import { freePort } from '../helpers/webhook-hook.js';

const TOKEN = 'api-token-source-recovery-3f9a';
const YEARLY = '0 0 0 1 1 *';

describe('source errors: 503 on a failed sync, cleared by the next good fetch', { timeout: 120_000 }, () => {
  const scope = dockerScope('e2e-src');
  let repo: TmpRepo;
  let stateDir: string;
  let berth: BerthDaemon;
  let api: string;
  let head: string;

  const status = async () => (await (await fetch(`${api}/api/v1/status`)).json()) as { source?: { commit?: string; error?: string } };
  const failingGauge = async () => {
    const text = await (await fetch(`${api}/metrics`)).text();
    const m = /^berth_source_fetch_failing (\d+)$/m.exec(text);
    assert.ok(m, 'the metric is exported');
    return Number(m[1]);
  };
  const sync = async () => {
    const res = await fetch(`${api}/api/v1/sync`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  };

  before(async () => {
    repo = await tmpRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-src-state-'));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    await repo.write('manifests/cfg/settings.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: calm\n');
    await repo.commit('config');
    await repo.push();
    head = (await repo.git('rev-parse', 'HEAD')).trim();
    berth = startBerth(['--repo', repo.url, '--ref', 'main', '--path', 'manifests', '--state-dir', stateDir, '--instance', scope.instance, '--poll', YEARLY, '--listen', `127.0.0.1:${port}`], {
      env: { BERTH_API_TOKEN: TOKEN },
    });
    await eventually(async () => assert.equal((await status()).source?.commit, head, 'the first fetch is recorded'), { what: 'first fetch' });
  });

  after(async () => {
    await berth?.stop();
    if (process.env.BERTH_TEST_LOGS) await writeFile(join(process.env.BERTH_TEST_LOGS, 'source-recovery.log'), berth?.logs() ?? '');
    await scope.cleanup();
    await repo?.cleanup();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('a sync whose fetch fails answers 503 with the error, and the error is recorded', async () => {
    assert.equal(await failingGauge(), 0);
    await runGit(repo.bareDir, ['update-ref', '-d', 'refs/heads/main']);
    const r = await sync();
    assert.equal(r.status, 503, JSON.stringify(r.json));
    assert.equal(r.json.accepted, undefined);
    assert.equal(r.json.error.code, 'SOURCE_REF_NOT_FOUND');
    assert.match(r.json.error.message, /source fetch failed/);
    const s = await status();
    assert.ok(s.source?.error, 'source.error is set');
    assert.equal(s.source?.commit, head, 'the last good commit is kept');
    assert.equal(await failingGauge(), 1);
  });

  it('the branch recreated at the same commit: the next sync answers 202 and clears the error and the metric', async () => {
    await runGit(repo.bareDir, ['update-ref', 'refs/heads/main', head]);
    const r = await sync();
    assert.equal(r.status, 202, JSON.stringify(r.json));
    assert.deepEqual(r.json, { accepted: true, commit: head });
    const s = await status();
    assert.equal(s.source?.error, undefined, `source.error is cleared: ${s.source?.error}`);
    assert.equal(s.source?.commit, head);
    assert.equal(await failingGauge(), 0);
  });
});

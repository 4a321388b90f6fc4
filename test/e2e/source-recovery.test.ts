/**
 * Source fetches as the API and webhooks trigger them (#15 items 9, 10, 13):
 *  - 200 concurrent signed webhook deliveries without `after` (a replay) cost at most two
 *    fetches, counted at the Git server;
 *  - `POST /api/v1/sync` whose fetch fails answers 503 with the error (never 202 `accepted`);
 *  - after the watched branch is deleted and recreated at the *same* commit, the next fetch
 *    that succeeds clears `source.error` and `berth_source_fetch_failing`, although the commit
 *    did not change.
 * A real `berth run` against a real Git HTTP server; the namespace holds only its Namespace object, so
 * no container is started (the scope still cleans up whatever carries the instance label).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerth, type BerthDaemon, daemonFlags, tearDown } from '../helpers/berth-cli.js';
import { dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { runGit, tmpRepo, type TmpRepo } from '../helpers/tmp-repo.js';
import { freePort } from '../helpers/webhook-hook.js';

const TOKEN = 'api-token-source-recovery-3f9a';
const SECRET = 'whsec-source-recovery-51c8-9d0e';
const YEARLY = '0 0 0 1 1 *';

describe('source fetches: 503 on a failed sync, the error cleared by the next good fetch, webhook bursts coalesced', { timeout: 120_000 }, () => {
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
  /** Fetches as the Git server saw them (each starts with ref discovery). */
  const fetchesSeen = () => repo.server.requests.filter((r) => r.startsWith('GET /repo.git/info/refs?service=git-upload-pack')).length;
  const hookSyncs = async () => {
    const text = await (await fetch(`${api}/metrics`)).text();
    return [...text.matchAll(/^berth_webhook_syncs_total\{result="(?:ok|failed)"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
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
    await repo.write('manifests/cfg/namespace.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cfg\n');
    await repo.commit('config');
    await repo.push();
    head = (await repo.git('rev-parse', 'HEAD')).trim();
    berth = startBerth([...daemonFlags({ repo: repo.url, ref: 'main', stateDir, instance: scope.instance, poll: YEARLY, listen: `127.0.0.1:${port}` })], {
      env: { BERTH_API_TOKEN: TOKEN, BERTH_WEBHOOK_SECRET: SECRET },
    });
    await eventually(async () => assert.equal((await status()).source?.commit, head, 'the first fetch is recorded'), { what: 'first fetch' });
  });

  after(() => tearDown({ berth, name: 'source-recovery', stateDir, scope, repos: [repo] }));

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

  it('200 replayed deliveries without `after` from 8 concurrent senders cost two fetches', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    const fetchesBefore = fetchesSeen();
    const syncsBefore = await hookSyncs();
    // Eight senders, 25 deliveries each, while the first sync's fetch is still running (the Git
    // server holds it until the burst is over, however long the burst takes on a busy host): the
    // deliveries answer at once and coalesce into one more sync behind it.
    const answers: { status: number; json: { accepted?: boolean; coalesced?: boolean } }[] = [];
    const release = repo.server.hold();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 25; i++) {
          const res = await fetch(`${api}/hooks/generic`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-berth-signature': signature },
            body,
          });
          answers.push({ status: res.status, json: (await res.json()) as { accepted?: boolean; coalesced?: boolean } });
        }
      }),
    ).finally(release);
    assert.equal(answers.length, 200);
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([202]));
    assert.equal(answers.filter((a) => a.json.accepted && !a.json.coalesced).length, 1, 'one delivery started a sync, the others joined it');
    await eventually(async () => assert.equal((await hookSyncs()) - syncsBefore, 2, 'the started sync and the one queued behind it end'), {
      what: 'two hook syncs',
    });
    assert.equal(fetchesSeen() - fetchesBefore, 2, 'two fetches reached the Git server');
  });
});

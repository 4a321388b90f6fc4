/**
 * A corrupt status file does not undo a manual rollback (#15 item 5). A real `berth run`
 * rolls shop/web from v1 to v2, `POST …/rollback` pins it back to v1; then, for each kind of
 * damage (a torn write, garbage, valid JSON of the wrong shape, a stale copy without the
 * decisions), berth is stopped, status.json is damaged, berth is started again, and its first
 * pass (counted in history.jsonl) makes no move: the same v1 container serves, the pin shows,
 * the revision history keeps both revisions.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerth, type BerthDaemon, daemonFlags, tearDown } from '../helpers/berth-cli.js';
import { dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml, serveCommand } from '../helpers/manifests.js';
import { tmpRepo, type TmpRepo } from '../helpers/tmp-repo.js';
import { freePort } from '../helpers/webhook-hook.js';
import { httpGet, ownedContainers } from '../helpers/world.js';

const TOKEN = 'api-token-store-corruption-8e21';
const YEARLY = '0 0 0 1 1 *';

describe('a corrupt status.json does not undo a manual rollback', { timeout: 300_000 }, () => {
  const scope = dockerScope('e2e-store');
  let repo: TmpRepo;
  let stateDir: string;
  let berth: BerthDaemon | undefined;
  let api: string;
  let port: number;
  const web = (text: string) =>
    deploymentYaml({ name: 'web', replicas: 1, command: serveCommand(text), port: 8080, strategy: { maxSurge: 1, maxUnavailable: 0 } });

  const start = () => {
    berth = startBerth([...daemonFlags({ repo: repo.url, ref: 'main', stateDir, instance: scope.instance, poll: YEARLY, listen: `127.0.0.1:${port}` })], {
      env: { BERTH_API_TOKEN: TOKEN },
    });
  };
  const running = async () => (await ownedContainers(scope.instance)).filter((r) => r.deployment === 'web' && r.state === 'running');
  const serving = async () => {
    const r = await running();
    assert.equal(r.length, 1, 'one web replica runs');
    return { id: r[0]!.id, revision: r[0]!.revision, text: await httpGet(r[0]!.hostPort!) };
  };
  const post = async (path: string, body?: unknown) => {
    const res = await fetch(`${api}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  };
  const historyLines = async () => (await readFile(join(stateDir, 'history.jsonl'), 'utf8').catch(() => '')).split('\n').filter((l) => l.trim());

  before(async () => {
    repo = await tmpRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-store-state-'));
    port = await freePort();
    api = `http://127.0.0.1:${port}`;
    await repo.write('manifests/shop/web.yaml', web('v1'));
    await repo.commit('v1');
    await repo.push();
    start();
    await eventually(async () => assert.equal((await serving()).text, 'v1'), { timeoutMs: 60_000, what: 'v1 serving' });
    await repo.write('manifests/shop/web.yaml', web('v2'));
    await repo.commit('v2');
    await repo.push();
    assert.equal((await post('/api/v1/sync')).status, 202);
    await eventually(async () => assert.equal((await serving()).text, 'v2'), { timeoutMs: 60_000, what: 'v2 serving' });
    // v2 enters the history once its rollout is complete (a pass after the one that made it
    // serve): roll back only then, or the history under test would hold one revision.
    await eventually(
      async () => {
        const d = (await (await fetch(`${api}/api/v1/namespaces/shop/deployments/web`)).json()) as Record<string, any>;
        assert.equal(d.revisions?.length, 2, `v1 and v2 in the history: ${JSON.stringify(d.revisions)}`);
      },
      { timeoutMs: 60_000, what: 'v2 recorded complete' },
    );
    const r = await post('/api/v1/namespaces/shop/deployments/web/rollback');
    assert.equal(r.status, 202, JSON.stringify(r.json));
    await eventually(async () => assert.equal((await serving()).text, 'v1'), { timeoutMs: 60_000, what: 'rolled back to v1' });
  });

  after(() => tearDown({ berth, name: 'store-corruption', stateDir, scope, repos: [repo] }));

  const damages: [what: string, damage: (full: string) => string][] = [
    ['torn (truncated mid-write)', (full) => full.slice(0, Math.floor(full.length / 2))],
    ['garbage', () => 'garbage\u0000\n'],
    ['valid JSON of the wrong shape', () => JSON.stringify({ version: 1, namespaces: { shop: 'x' }, pins: [], revisions: 7 })],
    ['a stale copy without the decisions', () => JSON.stringify({ version: 1, namespaces: {} })],
  ];
  for (const [what, damage] of damages) {
    it(`status.json ${what}: after a restart the pin holds, no move is made, the history is whole`, async () => {
      const before = await serving();
      assert.equal(before.text, 'v1');
      await berth!.stop();
      const file = join(stateDir, 'status.json');
      await writeFile(file, damage(await readFile(file, 'utf8')));
      const linesBefore = (await historyLines()).length;
      start();
      // The restarted berth has no namespace status, so its first pass over shop records one line.
      const record = await eventually(
        async () => {
          const lines = await historyLines();
          assert.ok(lines.length > linesBefore, 'a pass of the restarted berth is recorded');
          return JSON.parse(lines[linesBefore]!) as { namespace: string; moves: number };
        },
        { timeoutMs: 60_000, what: 'first pass after the restart' },
      );
      assert.equal(record.namespace, 'shop');
      assert.equal(record.moves, 0, `the first pass made no move: ${JSON.stringify(record)}`);
      const after = await serving();
      assert.deepEqual(after, before, 'the same v1 container still serves');
      const d = (await (await fetch(`${api}/api/v1/namespaces/shop/deployments/web`)).json()) as Record<string, any>;
      assert.equal(d.pin?.revision, before.revision, `pinned to the v1 revision: ${JSON.stringify(d.pin)}`);
      assert.match(d.deployment?.pinnedTo ?? '', new RegExp(`^${before.revision}@`));
      assert.ok(d.revisions.length >= 2, `the revision history is whole: ${JSON.stringify(d.revisions)}`);
    });
  }
});

/**
 * HorizontalPodAutoscaler on a real engine: a replica that burns cpu (busybox spinning while
 * /burn exists) makes the HPA scale its Deployment up; a commit that changes the template
 * while the HPA holds the count rolls that many replicas, not Git's; `berth plan --live` shows
 * the count as the HPA's and plans nothing; with the load gone it scales down after its
 * (test-shortened) window; removing the HPA hands the count back to Git. Real Git, the real CLI,
 * `--hpa-sync-period 1`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { daemonFlags, runBerth, startBerth, type BerthDaemon, tearDown } from '../helpers/berth-cli.js';
import { dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml, hpaYaml } from '../helpers/manifests.js';
import { freePort } from '../helpers/webhook-hook.js';
import { localRepo, type LocalRepo } from '../helpers/tmp-repo.js';
import { execOutput, ownedContainers } from '../helpers/world.js';

const TOKEN = 'e2e-autoscale-token';
const NEVER = '0 0 0 1 1 *';

/** Spins while /burn exists, idles otherwise; cpu request 100m, so one spinning replica is ~1000 % of it. */
const burner = (version: string, name = 'burn', replicas = 2) =>
  deploymentYaml({
    name,
    replicas,
    command: ['sh', '-c', 'while :; do if [ -f /burn ]; then :; else sleep 1; fi; done'],
    env: { VERSION: version },
    terminationGracePeriodSeconds: 1,
    resources: { requests: { cpu: '100m' } },
  });

const hpa = (scaleDownWindow: number, name = 'burn', max = 3) => hpaYaml({ name, max, metrics: [{ resource: 'cpu', utilization: 50 }], scaleDownWindow });

describe('HorizontalPodAutoscaler (cpu) on a real engine', { timeout: 300_000 }, () => {
  const scope = dockerScope('e2e-autoscale');
  let repo: LocalRepo;
  let stateDir: string;
  let berth: BerthDaemon | undefined;
  let server: string;
  let start: () => BerthDaemon;
  const source = (): string[] => ['--repo', repo.dir, '--path', 'manifests', '--instance', scope.instance, '--state-dir', stateDir];
  const sync = async () => {
    const r = await fetch(`${server}/api/v1/sync`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(r.status, 202, await r.text());
  };
  const running = async (name = 'burn') => (await ownedContainers(scope.instance)).filter((c) => c.deployment === name && c.state === 'running');
  const onEngine = async () => (await ownedContainers(scope.instance)).filter((c) => c.deployment === 'burn');
  const record = async (key = 'work/burn') => JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8')).autoscalers?.[key];

  before(async () => {
    repo = await localRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-autoscale-'));
    const port = await freePort();
    server = `http://127.0.0.1:${port}`;
    await repo.write('manifests/work/burn.yaml', burner('1'));
    await repo.write('manifests/work/hpa.yaml', hpa(600));
    // A namespace whose ResourceQuota (pods 4, another Deployment at 2) caps its HPA (max 5) at 2.
    await repo.write('manifests/capped/burn.yaml', burner('1', 'hot', 1));
    await repo.write('manifests/capped/hpa.yaml', hpa(600, 'hot', 5));
    await repo.write('manifests/capped/other.yaml', burner('1', 'other', 2));
    // An HPA whose metric cannot be read (berth_in_flight of a Deployment no Service routes to): it keeps its count and says why.
    await repo.write('manifests/capped/other-hpa.yaml', hpaYaml({ name: 'other', max: 2, metrics: [{ pods: 'berth_in_flight', averageValue: '5' }] }));
    await repo.write('manifests/capped/quota.yaml', 'apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: small\nspec:\n  hard:\n    pods: "4"\n');
    await repo.commit('burn with an HPA');
    start = () =>
      startBerth([...daemonFlags({ repo: repo.dir, stateDir, instance: scope.instance, poll: NEVER, listen: `127.0.0.1:${port}` }), '--hpa-sync-period', '1'], {
        env: { BERTH_API_TOKEN: TOKEN },
      });
    berth = start();
    for (const d of ['work/burn', 'capped/hot', 'capped/other']) {
      const done = await runBerth(['rollout', 'status', d, ...source(), '--timeout', '120']);
      assert.equal(done.code, 0, done.stdout + done.stderr);
    }
  });

  after(() => tearDown({ berth, name: 'autoscale', stateDir, scope, repos: [repo] }));

  it("idle replicas stay at Git's count: the HPA measures and records, and scales nothing", async () => {
    const r = await eventually(
      async () => {
        const r = await record();
        assert.ok(r?.metrics?.[0]?.current !== undefined, JSON.stringify(r));
        return r;
      },
      { timeoutMs: 30_000, what: 'a first measurement' },
    );
    assert.equal(r.replicas, 2);
    assert.ok(r.metrics[0].current < 50, `idle utilization ${r.metrics[0].current}`);
    assert.equal(r.lastScale, undefined);
    assert.equal((await running()).length, 2);
  });

  it('a replica that burns cpu scales the Deployment up to maxReplicas', async () => {
    const [first] = await running();
    const touched = await execOutput(first!.id, ['touch', '/burn']);
    assert.equal(touched.exitCode, 0);
    await eventually(async () => assert.equal((await running()).length, 3), { timeoutMs: 60_000, what: '3 replicas' });
    const r = await record();
    assert.equal(r.replicas, 3);
    assert.equal(r.lastScale.from, 2);
    assert.equal(r.lastScale.to, 3);
    assert.match(r.lastScale.reason, /above target/);
    assert.ok(berth!.logs().includes('HPA scaled'), 'the scale is logged');
    // Visible: status, the API and /metrics.
    const status = await runBerth(['status', ...source()]);
    assert.match(status.stdout, /hpa burn → deployment burn: current \d, desired 3; cpu utilization \d+(\.\d+)? \(target 50\); last scaled 2 → 3 at /);
    const api = (await (await fetch(`${server}/api/v1/status`)).json()) as {
      autoscalers?: Record<string, { replicas: number; conditions: { type: string }[] }>;
    };
    assert.equal(api.autoscalers?.['work/burn']?.replicas, 3);
    assert.deepEqual(
      api.autoscalers?.['work/burn']?.conditions.map((c) => c.type),
      ['AbleToScale', 'ScalingActive', 'ScalingLimited'],
    );
    const metrics = await (await fetch(`${server}/metrics`)).text();
    assert.match(metrics, /berth_hpa_desired_replicas\{namespace="work",hpa="burn",deployment="burn"\} 3/);
    assert.match(metrics, /berth_hpa_current_replicas\{namespace="work",hpa="burn",deployment="burn"\} \d/);
    assert.match(metrics, /berth_hpa_condition\{namespace="work",hpa="burn",condition="ScalingActive",status="True",reason="ValidMetricFound"\} 1/);
    // The burning replica is stopped: the count must hold anyway (a 600 s scale-down window).
    assert.equal((await execOutput(first!.id, ['rm', '/burn'])).exitCode, 0);
  });

  it("plan --live shows the count as the HPA's and plans nothing to undo it", async () => {
    const plan = await runBerth(['plan', '--live', ...source()]);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    assert.match(plan.stdout, /= deployment burn: replicas: managed by HPA burn \(now 3; 2 in Git is only the start\)/);
  });

  it("a commit that changes the template while the HPA holds 3 rolls 3 replicas, not Git's 2", async () => {
    const before = new Set((await running()).map((c) => c.revision));
    assert.equal(before.size, 1);
    await repo.write('manifests/work/burn.yaml', burner('2'));
    await repo.commit('burn v2');
    await sync();
    const rolled = await runBerth(['rollout', 'status', 'work/burn', ...source(), '--timeout', '120']);
    assert.equal(rolled.code, 0, rolled.stdout + rolled.stderr);
    await eventually(
      async () => {
        const all = await onEngine();
        assert.equal(all.length, 3, JSON.stringify(all.map((c) => `${c.revision}:${c.state}`)));
        assert.ok(all.every((c) => c.state === 'running' && !before.has(c.revision)));
      },
      { timeoutMs: 60_000, what: '3 replicas of the new revision and nothing else' },
    );
  });

  it("a restarted berth keeps the HPA's count (journaled), not Git's", async () => {
    await berth!.stop();
    assert.match(await readFile(join(stateDir, 'decisions.jsonl'), 'utf8'), /"op":"autoscaler"/);
    const before = JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8')).namespaces.work.updatedAt;
    berth = start();
    // A pass has run since the restart (the namespace's status is written anew): it kept 3.
    await eventually(async () => assert.notEqual(JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8')).namespaces.work.updatedAt, before), {
      timeoutMs: 60_000,
      what: 'a pass after the restart',
    });
    assert.equal((await running()).length, 3);
    assert.equal((await record()).replicas, 3);
    const plan = await runBerth(['plan', '--live', ...source()]);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  });

  it('with the load gone and a short window, it scales down to minReplicas', async () => {
    await repo.write('manifests/work/hpa.yaml', hpa(2));
    await repo.commit('shorter scale-down window');
    await sync();
    await eventually(async () => assert.equal((await running()).length, 1), { timeoutMs: 90_000, what: 'down to 1 replica' });
    const r = await record();
    assert.equal(r.replicas, 1);
    assert.match(r.lastScale.reason, /below target/);
  });

  it('removing the HPA hands the count back to Git', async () => {
    await repo.remove('manifests/work/hpa.yaml');
    await repo.commit('no HPA');
    await sync();
    // The pass gives Git's count at once (the HPA is no longer in Git: plan/autoscale.ts); the
    // autoscaler forgets the record at its next sync. Both, in whichever order.
    await eventually(
      async () => {
        assert.equal((await running()).length, 2);
        assert.equal(await record(), undefined);
      },
      { timeoutMs: 60_000, what: "Git's 2 replicas and the HPA's record gone" },
    );
  });

  it('a scale-up stops where the ResourceQuota would be exceeded, and ScalingLimited says so', async () => {
    const [hot] = await running('hot');
    assert.equal((await execOutput(hot!.id, ['touch', '/burn'])).exitCode, 0);
    try {
      const r = await eventually(
        async () => {
          const r = await record('capped/hot');
          assert.equal(r?.conditions?.[2]?.reason, 'QuotaLimited', JSON.stringify(r?.conditions));
          return r;
        },
        { timeoutMs: 60_000, what: 'the quota condition' },
      );
      assert.equal(r.replicas, 2);
      assert.match(r.conditions[2].message, /capped at 2: ResourceQuota small allows pods 4, and the other Deployments run 2/);
      await eventually(async () => assert.equal((await running('hot')).length, 2), { timeoutMs: 60_000, what: '2 replicas of hot' });
      assert.equal((await running('other')).length, 2, 'the other Deployment is untouched');
      const other = await record('capped/other');
      assert.equal(other.replicas, 2, 'metrics that cannot be read never scale (never to min on missing data)');
      assert.equal(other.conditions[1].type, 'ScalingActive');
      assert.equal(other.conditions[1].status, 'False');
      assert.match(other.conditions[1].message, /berth_in_flight is measured by the data plane, and no Service routes to Deployment other/);
      assert.match(other.metrics[0].error, /no Service routes/);
    } finally {
      await execOutput(hot!.id, ['rm', '-f', '/burn']).catch(() => undefined);
    }
  });
});

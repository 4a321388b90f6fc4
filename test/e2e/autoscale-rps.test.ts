/**
 * An HPA on request rate, measured by berth's own data plane (the `Pods` metric
 * berth_requests_per_second, which Kubernetes needs a custom-metrics adapter for): load through
 * the Service scales the Deployment up, a light load lets it scale down, and no request fails
 * in either direction (new replicas join when ready, leaving ones are drained first). Real
 * engine, real Git, real HTTP through the data plane; `--hpa-sync-period 1`.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { daemonFlags, runBerth, startBerth, type BerthDaemon, tearDown } from '../helpers/berth-cli.js';
import { dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { startLoad } from '../helpers/load.js';
import { deploymentYaml, hpaYaml, serveCommand, serviceYaml } from '../helpers/manifests.js';
import { freePort } from '../helpers/webhook-hook.js';
import { localRepo, type LocalRepo } from '../helpers/tmp-repo.js';
import { ownedContainers } from '../helpers/world.js';

const NEVER = '0 0 0 1 1 *';

const hpa = hpaYaml({
  name: 'web',
  max: 3,
  metrics: [
    { pods: 'berth_requests_per_second', averageValue: '20' },
    { pods: 'berth_in_flight', averageValue: '1000' },
  ],
  scaleDownWindow: 2,
});

/** One request at a time with a pause between: a light, steady load (about 1000 / (pauseMs + latency) per second). */
function pacedLoad(port: number, pauseMs: number): { stop(): Promise<{ ok: number; failed: number; errors: string[] }> } {
  let running = true;
  let ok = 0;
  let failed = 0;
  const errors: string[] = [];
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) ok++;
          else {
            failed++;
            errors.push(`HTTP ${res.statusCode}`);
          }
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => {
        failed++;
        if (errors.length < 20) errors.push(err.message);
        resolve();
      });
    });
  const loop = (async () => {
    while (running) {
      await one();
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { ok, failed, errors };
    },
  };
}

describe('HorizontalPodAutoscaler on request rate (berth_requests_per_second)', { timeout: 300_000 }, () => {
  const scope = dockerScope('e2e-autoscale-rps');
  let repo: LocalRepo;
  let stateDir: string;
  let berth: BerthDaemon | undefined;
  let port: number;
  const source = (): string[] => ['--repo', repo.dir, '--path', 'manifests', '--instance', scope.instance, '--state-dir', stateDir];
  const running = async () => (await ownedContainers(scope.instance)).filter((c) => c.deployment === 'web' && c.state === 'running');
  const record = async () => JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8')).autoscalers?.['shop/web'];

  before(async () => {
    repo = await localRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-autoscale-rps-'));
    port = await freePort();
    await repo.write(
      'manifests/shop/web.yaml',
      deploymentYaml({ name: 'web', replicas: 1, command: serveCommand('web'), port: 8080, readinessProbe: { path: '/', port: 8080 } }),
    );
    await repo.write('manifests/shop/web-service.yaml', serviceYaml({ name: 'web', port, targetPort: 8080 }));
    await repo.write('manifests/shop/hpa.yaml', hpa);
    await repo.commit('web behind a Service, scaled on request rate');
    berth = startBerth([
      ...daemonFlags({ repo: repo.dir, stateDir, instance: scope.instance, poll: NEVER, listen: `127.0.0.1:${await freePort()}` }),
      '--hpa-sync-period',
      '1',
    ]);
    const done = await runBerth(['rollout', 'status', 'shop/web', ...source(), '--timeout', '120']);
    assert.equal(done.code, 0, done.stdout + done.stderr);
  });

  after(() => tearDown({ berth, name: 'autoscale-rps', stateDir, scope, repos: [repo] }));

  it('load through the Service scales up to maxReplicas with no failed request', async () => {
    const load = startLoad({ port, concurrency: 4 });
    try {
      await eventually(async () => assert.equal((await running()).length, 3), { timeoutMs: 90_000, what: '3 replicas under load' });
      // Every new replica serves before the load stops: the scale-up is done only when they take traffic.
      await eventually(
        async () => {
          const r = await record();
          assert.equal(r?.replicas, 3);
          assert.ok(r.metrics[0].current > 20, JSON.stringify(r.metrics));
          // Open connections per replica, from the same data plane: a reading (never above the load's 4 loops), far under its target.
          assert.equal(typeof r.metrics[1].current, 'number', JSON.stringify(r.metrics));
          assert.ok(r.metrics[1].current >= 0 && r.metrics[1].current <= 4, JSON.stringify(r.metrics));
        },
        { timeoutMs: 30_000, what: 'the HPA at 3 with the request rate above target' },
      );
    } finally {
      const stats = await load.stop();
      assert.equal(stats.failed, 0, `failed requests during the scale-up: ${stats.errors.join('; ')}`);
      assert.ok(stats.ok > 0);
    }
  });

  it('a light load lets it scale down to minReplicas, draining the replicas it removes: no failed request', async () => {
    const load = pacedLoad(port, 100);
    try {
      await eventually(async () => assert.equal((await running()).length, 1), { timeoutMs: 90_000, what: 'down to 1 replica' });
      const r = await record();
      assert.equal(r.replicas, 1);
      assert.match(r.lastScale.reason, /below target/);
    } finally {
      const stats = await load.stop();
      assert.equal(stats.failed, 0, `failed requests during the scale-down: ${stats.errors.join('; ')}`);
      assert.ok(stats.ok > 0);
    }
  });
});

/**
 * The `berth` CLI against the bundled sample-repo/ with its embedded defaults (the project's
 * own repository, --path sample-repo): validate, plan, apply --once, plan again, status.
 * Exit codes are part of the contract (README "Exit codes").
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBerth } from '../helpers/berth-cli.js';
import { dockerClient, dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { envOf, execOutput, httpGet, layout, ownedContainers } from '../helpers/world.js';
import { stopDataPlane } from '../helpers/data-plane.js';
import { freePort } from '../helpers/webhook-hook.js';
import http from 'node:http';

/** GET / with a Host header (fetch() may not set one). */
function fetchWithHost(port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body.trim()));
      })
      .on('error', reject);
  });
}

describe('berth CLI on the bundled sample', { timeout: 300_000 }, () => {
  const scope = dockerScope('e2e-sample');
  let stateDir: string;
  let ingressPort: number;
  const flags = () => ['--state-dir', stateDir, '--instance', scope.instance];

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'berth-sample-state-'));
    ingressPort = await freePort();
  });
  after(async () => {
    await stopDataPlane(stateDir);
    await scope.cleanup();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('validate: the sample is valid (exit 0)', async () => {
    const r = await runBerth(['validate', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.valid, true);
    assert.deepEqual(
      out.diagnostics.filter((d: { severity: string }) => d.severity === 'error'),
      [],
    );
  });

  it('plan before anything runs: 3 Deployments to create in 2 namespaces (exit 1)', async () => {
    const r = await runBerth(['plan', '-o', 'json', ...flags()]);
    assert.equal(r.code, 1, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.deepEqual(
      plan.namespaces.map((n: { namespace: string }) => n.namespace),
      ['blog', 'shop'],
    );
    const creates = plan.namespaces.flatMap((n: { actions: { kind: string; name?: string }[] }) =>
      n.actions.filter((a) => a.kind === 'create-deployment').map((a) => a.name),
    );
    assert.deepEqual(creates.sort(), ['frontend', 'web', 'worker']);
    assert.equal((await ownedContainers(scope.instance)).length, 0, 'plan changes nothing');
  });

  it('apply --once converges the sample and serves it (exit 0)', async () => {
    const r = await runBerth(['apply', '--once', '-o', 'json', '--ingress-listen', `127.0.0.1:${ingressPort}`, ...flags()]);
    assert.equal(r.code, 0, r.stderr);
    const seen = await ownedContainers(scope.instance);
    assert.deepEqual(layout(seen), { 'blog/frontend': [0], 'shop/web': [0, 1], 'shop/worker': [0] });
    const web = seen.find((x) => x.deployment === 'web')!;
    assert.equal(await httpGet(web.hostPort!), 'shop web, hello');
    // The sample's Services and Ingress, through the data plane apply started.
    assert.equal(await httpGet(8081), 'shop web, hello', 'Service shop/web on 127.0.0.1:8081');
    const viaIngress = await fetchWithHost(ingressPort, 'shop.localhost');
    assert.equal(viaIngress, 'shop web, hello', 'Ingress: host shop.localhost → web');
  });

  it('inside the namespace: the worker reaches the web Service by name, with settings from its ConfigMap, logging onto its claim, served by its sidecar', async () => {
    const worker = (await ownedContainers(scope.instance)).find((x) => x.deployment === 'worker' && x.member === 'worker' && x.state === 'running')!;
    assert.ok(worker, 'the worker runs');
    assert.ok((await envOf(worker.id)).includes('QUEUE=orders'), 'envFrom: the ConfigMap worker-config');
    await eventually(
      async () => {
        const { stdout } = await execOutput(worker.id, ['cat', '/data/worker.log']);
        assert.match(stdout, /working on queue orders; web answered: shop web, hello/, 'web:8081 answered through the namespace DNS and the Service address');
        assert.match(stdout, /status sidecar serves the log/, "the Pod's sidecar answered on localhost:8090");
      },
      { timeoutMs: 30_000, what: 'the worker called web by name' },
    );
    const volumes = await dockerClient().listVolumes({ filters: { label: [`berth.instance=${scope.instance}`, 'berth.kind=PersistentVolumeClaim'] } });
    assert.deepEqual(
      (volumes.Volumes ?? []).map((v) => v.Labels?.['berth.name']),
      ['worker-data'],
      'the claim is a volume berth owns',
    );
  });

  it('plan after apply: no changes (exit 0); status shows both namespaces synced', async () => {
    const r = await runBerth(['plan', ...flags()]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Summary: 0 to create, 0 to change, 0 to prune/);
    // The sample's HPA owns web's replica count (its minimum, 2, is also Git's count: no note on Git's value).
    assert.match(r.stdout, /= deployment web: replicas: managed by HPA web \(now 2\)\n/);
    const s = await runBerth(['status', '-o', 'json', ...flags()]);
    assert.equal(s.code, 0);
    const state = JSON.parse(s.stdout);
    assert.equal(state.namespaces.shop.phase, 'Synced');
    assert.equal(state.namespaces.blog.phase, 'Synced');
  });

  it('bad flags are a usage error (exit 4); a missing repository an operational one (exit 3)', async () => {
    assert.equal((await runBerth(['plan', '-o', 'xml'])).code, 4);
    assert.equal((await runBerth(['run', '--poll', 'every minute'])).code, 4);
    const missing = await runBerth(['validate', '--repo', join(stateDir, 'nope')]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /SOURCE_NOT_A_REPOSITORY/);
  });

  it('a second apply on the same state directory while one holds it is refused clearly', async () => {
    const { acquireLock } = await import('../../src/store/index.js');
    const { writeFile } = await import('node:fs/promises');
    const lockPath = join(stateDir, 'berth.lock');
    const lock = await acquireLock(lockPath);
    await writeFile(lockPath, '1\n'); // held by a live process (pid 1)
    const r = await runBerth(['apply', '--once', ...flags()]);
    await lock.release();
    assert.equal(r.code, 3);
    assert.match(r.stderr, /STATE_LOCKED/);
  });
});

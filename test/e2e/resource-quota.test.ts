/**
 * Namespace quotas end to end: a `v1 ResourceQuota` in the namespace folder, checked when a
 * commit is loaded. The real `berth` CLI against a real Git repository and the real engine:
 * `validate`, `plan --base/--head` and `plan --live` exit 2 with the located QUOTA_EXCEEDED
 * diagnostic, and `apply --once` leaves the namespace exactly as it runs.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBerth } from '../helpers/berth-cli.js';
import { stopDataPlane } from '../helpers/data-plane.js';
import { dockerScope } from '../helpers/docker-scope.js';
import { deploymentYaml } from '../helpers/manifests.js';
import { localRepo, type LocalRepo } from '../helpers/tmp-repo.js';
import { freePort } from '../helpers/webhook-hook.js';
import { layout, ownedContainers } from '../helpers/world.js';

const QUOTA = `apiVersion: v1
kind: ResourceQuota
metadata:
  name: compute
spec:
  hard:
    pods: "4"
`;

describe('namespace quotas: berth validate / plan / apply on a commit over its ResourceQuota', { timeout: 300_000 }, () => {
  const scope = dockerScope('e2e-quota');
  let repo: LocalRepo;
  let stateDir: string;
  let ingressPort: number;
  let within: string;
  let over: string;
  const source = () => ['--repo', repo.dir, '--path', 'manifests'];
  const engine = () => ['--state-dir', stateDir, '--instance', scope.instance];

  before(async () => {
    repo = await localRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-quota-state-'));
    ingressPort = await freePort();
    await repo.write('manifests/shop/quota.yaml', QUOTA);
    await repo.write('manifests/shop/web.yaml', deploymentYaml({ name: 'web', replicas: 2 }));
    await repo.write('manifests/shop/worker.yaml', deploymentYaml({ name: 'worker', replicas: 2 }));
    within = await repo.commit('shop: 4 replicas, quota pods 4');
    await repo.write('manifests/shop/web.yaml', deploymentYaml({ name: 'web', replicas: 3 }));
    over = await repo.commit('shop: web to 3 replicas (over the quota)');
  });

  after(async () => {
    await stopDataPlane(stateDir);
    await scope.cleanup();
    await repo?.cleanup();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('validate: at the quota is valid (exit 0)', async () => {
    const r = await runBerth(['validate', ...source(), '--ref', within]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('validate: over the quota is exit 2, with the located diagnostic on the Deployment that goes over', async () => {
    const r = await runBerth(['validate', ...source(), '--ref', over, '-o', 'json']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as { valid: boolean; diagnostics: { code: string; file: string; line: number; field: string; message: string }[] };
    assert.equal(out.valid, false, 'invalid');
    const d = out.diagnostics.find((x) => x.code === 'QUOTA_EXCEEDED');
    assert.ok(d, `a QUOTA_EXCEEDED diagnostic: ${r.stdout}`);
    assert.deepEqual([d.file, d.line, d.field], ['shop/worker.yaml', 6, 'spec.replicas'], 'on worker, which takes the total over');
    assert.match(d.message, /^replicas 3 \+ 2 = 5 > pods 4 of ResourceQuota shop\/compute \(shop\/quota\.yaml:7\)/);
    const text = await runBerth(['validate', ...source(), '--ref', over]);
    assert.equal(text.code, 2, text.stderr);
    assert.match(
      text.stdout,
      /shop\/worker\.yaml:6:3: error spec\.replicas: replicas 3 \+ 2 = 5 > pods 4 of ResourceQuota shop\/compute \(shop\/quota\.yaml:7\)/,
      'printed as file:line',
    );
  });

  it('plan --base/--head (a pull-request plan) is exit 2 and shows the diagnostic', async () => {
    const r = await runBerth(['plan', ...source(), '--base', within, '--head', over, '-o', 'markdown']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /QUOTA_EXCEEDED/, 'the code');
    assert.match(r.stdout, /shop\/worker\.yaml:6/, 'file:line');
    assert.match(r.stdout, /pods 4 of ResourceQuota shop\/compute/, 'the quota');
  });

  it('apply --once runs the commit within the quota; a commit over it is exit 2 and changes nothing', async () => {
    const first = await runBerth(['apply', '--once', ...source(), '--ref', within, '--ingress-listen', `127.0.0.1:${ingressPort}`, ...engine()]);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const running = await ownedContainers(scope.instance);
    assert.deepEqual(layout(running), { 'shop/web': [0, 1], 'shop/worker': [0, 1] }, 'four replicas run');

    const plan = await runBerth(['plan', ...source(), '--ref', over, '-o', 'json', ...engine()]);
    assert.equal(plan.code, 2, plan.stdout + plan.stderr);
    const shop = (JSON.parse(plan.stdout) as { namespaces: { namespace: string; verdict: string; actions: unknown[] }[] }).namespaces.find(
      (n) => n.namespace === 'shop',
    );
    assert.deepEqual([shop?.verdict, shop?.actions], ['invalid', []], 'plan --live: invalid, no actions');

    const second = await runBerth(['apply', '--once', ...source(), '--ref', over, '--ingress-listen', `127.0.0.1:${ingressPort}`, '-o', 'json', ...engine()]);
    assert.equal(second.code, 2, second.stdout + second.stderr);
    const state = JSON.parse(second.stdout) as { namespaces: Record<string, { phase: string; diagnostics: { code: string }[] }> };
    assert.equal(state.namespaces.shop?.phase, 'Invalid', 'status says Invalid');
    assert.ok(
      state.namespaces.shop?.diagnostics.some((d) => d.code === 'QUOTA_EXCEEDED'),
      'status carries the diagnostic',
    );
    const after = await ownedContainers(scope.instance);
    assert.deepEqual(
      after
        .filter((c) => c.state === 'running')
        .map((c) => c.id)
        .sort(),
      running.map((c) => c.id).sort(),
      'the same four containers keep running: nothing created, nothing removed',
    );
  });
});

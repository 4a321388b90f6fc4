/**
 * `berth get` (issue 13, item 4) against a real `berth run` on a real engine: the tables say
 * what the engine runs and what the running berth's prober decided, and they move when the
 * world does (a replica that becomes ready, a replica removed behind berth's back).
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { daemonFlags, runBerth, startBerth, type BerthDaemon, tearDown } from '../helpers/berth-cli.js';
import { dockerClient, dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml, serveCommand } from '../helpers/manifests.js';
import { freePort } from '../helpers/webhook-hook.js';
import { localRepo, type LocalRepo } from '../helpers/tmp-repo.js';
import { execOutput, ownedContainers } from '../helpers/world.js';

const NS = 'shop';

/** A table's rows as objects keyed by its header (kubectl's columns are three or more spaces apart). */
function rowsOf(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trimEnd().split('\n');
  const columns = header!.split(/ {3,}/);
  return lines.map((line) => Object.fromEntries(line.split(/ {3,}/).map((cell, i) => [columns[i]!, cell])));
}

describe('berth get', { timeout: 300_000 }, () => {
  const scope = dockerScope('e2e-get');
  let repo: LocalRepo;
  let stateDir: string;
  let berth: BerthDaemon | undefined;
  let server: string;
  const source = (): string[] => ['--repo', repo.dir, '--path', 'manifests', '--instance', scope.instance, '--state-dir', stateDir];
  const get = (...args: string[]) => runBerth(['get', ...args, ...source(), '--server', server]);

  before(async () => {
    repo = await localRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-get-'));
    const apiPort = await freePort();
    server = `http://127.0.0.1:${apiPort}`;
    await repo.write(
      `manifests/${NS}/web.yaml`,
      deploymentYaml({ name: 'web', replicas: 2, command: serveCommand('web'), port: 8080, readinessProbe: { path: '/', port: 8080 } }),
    );
    // Ready only once /www/ready exists, which the test writes.
    await repo.write(
      `manifests/${NS}/api.yaml`,
      deploymentYaml({ name: 'api', command: serveCommand('api'), port: 8080, readinessProbe: { path: '/ready', port: 8080 }, progressDeadlineSeconds: 600 }),
    );
    await repo.write(
      `manifests/${NS}/web-service.yaml`,
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n    - name: http\n      port: 80\n      targetPort: 8080\n    - name: alt\n      port: 81\n      targetPort: 8080\n',
    );
    await repo.commit('shop');
    berth = startBerth(daemonFlags({ repo: repo.dir, stateDir, instance: scope.instance, poll: '*/1 * * * * *', listen: `127.0.0.1:${apiPort}` }));
  });

  after(() => tearDown({ berth, name: 'get', stateDir, scope, repos: [repo] }));

  it('pods: READY is the prober’s verdict, with the reason in -o wide; -o json and -o yaml give the same items', async () => {
    const pods = await eventually(
      async () => {
        const r = await get('pods', '-n', NS, '-o', 'wide');
        assert.equal(r.code, 0, r.stderr);
        const rows = rowsOf(r.stdout);
        assert.equal(rows.length, 3, r.stdout);
        assert.deepEqual(
          rows.filter((p) => p.NAME!.startsWith('web-')).map((p) => p.READY),
          ['1/1', '1/1'],
          r.stdout,
        );
        return rows;
      },
      { timeoutMs: 60_000, what: 'both web replicas ready in `berth get pods`' },
    );
    const api = pods.find((p) => p.NAME!.startsWith('api-'))!;
    assert.equal(api.READY, '0/1');
    assert.equal(api.STATUS, 'Running');
    assert.equal(api.RESTARTS, '0');
    assert.match(api.REASON!, /404|status/i, 'the readiness probe’s failure');
    const engine = (await ownedContainers(scope.instance)).filter((c) => c.namespace === NS && c.state === 'running');
    assert.deepEqual(pods.map((p) => p.CONTAINER).sort(), engine.map((c) => c.name).sort(), 'one row per running replica, by its engine name');
    for (const p of pods) assert.match(p.IP!, /^\d+\.\d+\.\d+\.\d+$/);

    const asJson = await get('pods', '-n', NS, '-o', 'json');
    const asYaml = await get('pods', '-n', NS, '-o', 'yaml');
    const doc = JSON.parse(asJson.stdout) as { kind: string; items: { name: string; ready: boolean; deployment: string }[] };
    assert.equal(doc.kind, 'pods');
    assert.deepEqual(parse(asYaml.stdout), doc);
    assert.deepEqual(doc.items.map((p) => `${p.deployment}:${p.ready}`).sort(), ['api:false', 'web:true', 'web:true']);
  });

  it('pods: a replica that becomes ready shows 1/1, and `get deployments` follows', async () => {
    const api = (await ownedContainers(scope.instance)).find((c) => c.deployment === 'api' && c.state === 'running');
    assert.ok(api);
    assert.equal((await execOutput(api.id, ['sh', '-c', 'echo ok > /www/ready'])).exitCode, 0);
    await eventually(
      async () => {
        const r = await get('po', 'api-' + api.revision + '-0', '-n', NS);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(rowsOf(r.stdout)[0]?.READY, '1/1', r.stdout);
      },
      { timeoutMs: 30_000, what: 'api ready' },
    );
    const deployments = await eventually(
      async () => {
        const r = await get('deploy', '-n', NS);
        assert.equal(r.code, 0, r.stderr);
        const rows = rowsOf(r.stdout);
        assert.deepEqual(
          rows.map((d) => [d.NAME, d.READY, d.PHASE]),
          [
            ['api', '1/1', 'Complete'],
            ['web', '2/2', 'Complete'],
          ],
          r.stdout,
        );
        return r.stdout;
      },
      { timeoutMs: 30_000, what: 'both Deployments complete' },
    );
    assert.match(deployments.split('\n')[0]!, /^NAME +READY +UP-TO-DATE +AVAILABLE +PHASE$/);
  });

  it('services, namespaces, and every namespace at once (a NAMESPACE column)', async () => {
    const svc = await eventually(
      async () => {
        const r = await get('svc');
        assert.equal(r.code, 0, r.stderr);
        const rows = rowsOf(r.stdout);
        assert.equal(rows[0]?.ENDPOINTS, '2', r.stdout);
        return rows;
      },
      { timeoutMs: 30_000, what: 'the Service with two endpoints' },
    );
    assert.equal(svc.length, 1);
    assert.equal(svc[0]!.NAMESPACE, NS);
    assert.equal(svc[0]!.TYPE, 'ClusterIP');
    assert.match(svc[0]!['CLUSTER-IP']!, /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(svc[0]!['PORT(S)'], '80/TCP,81/TCP');
    const ns = await get('namespaces');
    assert.equal(ns.code, 0, ns.stderr);
    const row = rowsOf(ns.stdout).find((r) => r.NAME === NS);
    assert.equal(row?.STATUS, 'Synced', ns.stdout);
    assert.equal(row?.COMMIT, (await repo.git('rev-parse', 'HEAD')).trim().slice(0, 12));
    assert.equal(row?.DEPLOYMENTS, '2');
    const pods = rowsOf((await get('pods')).stdout);
    assert.ok(pods.length >= 3 && pods.every((p) => p.NAMESPACE === NS), JSON.stringify(pods));
  });

  it('a replica removed behind berth’s back is gone from `get pods` at once (it reads the engine, not the last pass)', async () => {
    const ids = async () => (JSON.parse((await get('pods', '-n', NS, '-o', 'json')).stdout) as { items: { id: string; deployment: string }[] }).items;
    const victim = (await ids()).find((p) => p.deployment === 'web')!;
    await dockerClient().getContainer(victim.id).remove({ force: true });
    // berth replaces it at once, under the same name: the row to lose is the container's id.
    assert.ok(!(await ids()).some((p) => p.id === victim.id));
  });

  it('bad input: an unknown kind and a bad name are usage errors (4); a missing object is 3; an empty namespace says so; no berth is 3', async () => {
    const kind = await get('replicasets');
    assert.equal(kind.code, 4);
    assert.match(kind.stderr, /not a kind berth gets; allowed: namespaces \(ns\), deployments \(deploy\), statefulsets \(sts\), pods \(po\), services \(svc\)/);
    const name = await get('deploy', 'Bad_Name');
    assert.equal(name.code, 4);
    const missing = await get('deploy', 'nope', '-n', NS);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /deployments "nope" not found in namespace shop/);
    const empty = await get('deploy', '-n', 'nothing-here');
    assert.equal(empty.code, 0);
    assert.equal(empty.stdout, '');
    assert.match(empty.stderr, /No resources found in nothing-here namespace\./);
    const down = await runBerth(['get', 'pods', ...source(), '--server', `http://127.0.0.1:${await freePort()}`]);
    assert.equal(down.code, 3);
    assert.match(down.stderr, /is `berth run` running\?/);
  });
});

/**
 * apps/v1 StatefulSet end to end, on the real engine with the real `berth run` and its data
 * plane: replicas `db-0..2` come up one at a time (each only once the one before is ready:
 * readiness is a file the test writes into that replica's own volume), each has its hostname
 * and its own volume and answers by name through the headless Service from another pod; a new
 * template rolls 2, 1, 0 in place with every ordinal's data kept; 3 → 1 → 3 keeps the volumes
 * of the removed ordinals and mounts them again; a replica removed with `docker rm -f` comes back
 * with its data; a commit that changes volumeClaimTemplates is refused, nothing is replaced.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { daemonFlags, runBerth, startBerth, tearDown, type BerthDaemon } from '../helpers/berth-cli.js';
import { dockerClient, dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml } from '../helpers/manifests.js';
import { tmpRepo, type TmpRepo } from '../helpers/tmp-repo.js';
import { freePort } from '../helpers/webhook-hook.js';
import { execOutput, ownedContainers, type SeenReplica } from '../helpers/world.js';

const TOKEN = 'e2e-statefulsets-token';
const NS = 'data';

/**
 * StatefulSet db: at its first start a replica writes a random id into its volume; every start
 * serves `<hostname> <id> <VERSION>` on 8080. Ready while /data/go exists (the test writes it).
 */
function dbYaml(o: { version: string; replicas: number; storage?: string; crash?: boolean }): string {
  return [
    'apiVersion: apps/v1',
    'kind: StatefulSet',
    'metadata:',
    '  name: db',
    'spec:',
    `  replicas: ${o.replicas}`,
    '  serviceName: db',
    '  selector:',
    '    matchLabels: { app: db }',
    '  template:',
    '    metadata:',
    '      labels: { app: db }',
    '    spec:',
    '      terminationGracePeriodSeconds: 2',
    '      containers:',
    '        - name: db',
    '          image: busybox:1.36',
    '          command: ["sh", "-c"]',
    '          args:',
    '            - >-',
    '              [ -f /data/id ] || cat /proc/sys/kernel/random/uuid > /data/id;',
    '              mkdir -p /www && echo "$(hostname) $(cat /data/id) $VERSION" > /www/index.html;',
    `              ${o.crash ? 'exit 3' : 'exec httpd -f -p 8080 -h /www'}`,
    '          env:',
    `            - { name: VERSION, value: "${o.version}" }`,
    '          ports: [{ containerPort: 8080 }]',
    '          readinessProbe:',
    '            exec: { command: ["test", "-f", "/data/go"] }',
    '            periodSeconds: 1',
    '          volumeMounts: [{ name: data, mountPath: /data }]',
    '  volumeClaimTemplates:',
    '    - metadata: { name: data }',
    `      spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: ${o.storage ?? '64Mi'} } } }`,
    '',
  ].join('\n');
}
const SERVICE = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: db\nspec:\n  clusterIP: None\n  selector: { app: db }\n  ports: [{ port: 8080 }]\n';

describe('StatefulSets: ordinals, their names and their data', { timeout: 600_000 }, () => {
  const scope = dockerScope('e2e-statefulsets');
  const docker = dockerClient();
  let repo: TmpRepo;
  let stateDir: string;
  let berth: BerthDaemon | undefined;
  let api: string;
  /** Each ordinal's id, written into its volume at its first start. */
  const ids = new Map<number, string>();

  const dbs = async (): Promise<SeenReplica[]> =>
    (await ownedContainers(scope.instance)).filter((r) => r.namespace === NS && r.deployment === 'db' && r.state === 'running');
  const ordinal = async (n: number): Promise<SeenReplica> => {
    const found = (await dbs()).filter((r) => r.replica === n);
    assert.equal(found.length, 1, `one running replica db-${n}, got ${found.length}`);
    return found[0]!;
  };
  const sh = async (id: string, script: string) => (await execOutput(id, ['sh', '-c', script])).stdout.trim();
  const status = async () => JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8'));
  const dbStatus = async () => (await status()).namespaces?.[NS]?.deployments?.find((d: { name: string }) => d.name === 'db');
  const complete = (replicas: number, what: string) =>
    eventually(
      async () => {
        const s = await dbStatus();
        assert.equal(s?.phase, 'Complete', JSON.stringify(s));
        assert.equal(s?.availableReplicas, replicas);
        assert.equal((await dbs()).length, replicas);
      },
      { timeoutMs: 90_000, what },
    );
  const pushAndSync = async () => {
    await repo.push();
    const r = await fetch(`${api}/api/v1/sync`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(r.status, 202, 'sync accepted');
  };
  /** Waits until status.json has been written by `n` more passes (each pass writes it). */
  const passes = async (n: number) => {
    const seen = new Set<string>([(await status()).namespaces?.[NS]?.updatedAt]);
    await eventually(
      async () => {
        seen.add((await status()).namespaces?.[NS]?.updatedAt);
        assert.ok(seen.size > n, `${seen.size - 1} of ${n} passes`);
      },
      { timeoutMs: 30_000, intervalMs: 100, what: `${n} passes` },
    );
  };
  const client = async () => {
    const c = (await ownedContainers(scope.instance)).find((r) => r.namespace === NS && r.deployment === 'client' && r.state === 'running');
    assert.ok(c, 'a running client');
    return c.id;
  };
  const GET = (target: string) => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${target} 8080 | tail -n 1`;

  before(async () => {
    repo = await tmpRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-sts-state-'));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    await repo.write(`manifests/${NS}/db.yaml`, dbYaml({ version: 'v1', replicas: 3 }));
    await repo.write(`manifests/${NS}/db-service.yaml`, SERVICE);
    await repo.write(`manifests/${NS}/client.yaml`, deploymentYaml({ name: 'client', replicas: 1, command: ['sleep', '100000'] }));
    await repo.commit('StatefulSet db, its headless Service, a client');
    await repo.push();
    berth = startBerth(
      [...daemonFlags({ repo: repo.url, ref: 'main', stateDir, instance: scope.instance, poll: '0 0 0 1 1 *', listen: `127.0.0.1:${port}` })],
      {
        env: { BERTH_API_TOKEN: TOKEN },
      },
    );
  });

  after(() => tearDown({ berth, name: 'statefulsets', stateDir, scope, repos: [repo] }));

  it('comes up in order: db-1 only once db-0 is ready, db-2 once db-1 is; each with its hostname and its own volume', async () => {
    for (const n of [0, 1, 2]) {
      const r = await eventually(() => ordinal(n), { timeoutMs: 60_000, what: `db-${n} running` });
      if (n < 2) {
        // Not ready yet: however many passes run, the next ordinal is not created.
        await passes(3);
        assert.deepEqual(
          (await dbs()).map((x) => x.replica),
          [...Array(n + 1).keys()],
          `db-${n + 1} waits for db-${n}`,
        );
      }
      assert.equal(await sh(r.id, 'hostname'), `db-${n}`);
      ids.set(n, await sh(r.id, 'cat /data/id'));
      await sh(r.id, 'touch /data/go');
    }
    await complete(3, 'db complete');
    assert.equal(new Set(ids.values()).size, 3, 'three volumes, three ids');
    const volumes = ((await docker.listVolumes({ filters: { label: [`berth.instance=${scope.instance}`, 'berth.statefulset=db'] } })).Volumes ?? [])
      .map((v) => `${v.Name} ${v.Labels?.['berth.replica']}`)
      .sort();
    assert.deepEqual(
      volumes,
      [0, 1, 2].map((n) => `${scope.instance}.${NS}.data-db-${n} ${n}`),
    );
    // As kubectl shows them: the StatefulSet (not among the Deployments) and its pods by their stable names.
    const flags = ['--repo', repo.url, '--ref', 'main', '--path', 'manifests', '--instance', scope.instance, '--state-dir', stateDir, '--server', api];
    const sts = await runBerth(['get', 'sts', '-n', NS, ...flags]);
    assert.match(sts.stdout, /^db\s+3\/3\s/m, sts.stdout + sts.stderr);
    assert.doesNotMatch((await runBerth(['get', 'deployments', '-n', NS, ...flags])).stdout, /^db\s/m);
    // Read live (the prober's verdicts now): an exec probe of 1 s that times out three times in a
    // row on a loaded machine unreadies a replica for a moment, as a kubelet's would. Wide: a
    // failure names each pod's reason.
    await eventually(
      async () => {
        const pods = await runBerth(['get', 'pods', '-n', NS, '-o', 'wide', ...flags]);
        for (const n of [0, 1, 2]) assert.match(pods.stdout, new RegExp(`^db-${n}\\s+1/1\\s+Running`, 'm'), pods.stdout + pods.stderr);
      },
      { timeoutMs: 60_000, what: 'get pods: db-0..2 ready' },
    );
  });

  it('each replica answers by its name through the headless Service, from another pod', async () => {
    const id = await client();
    for (const [name, n] of [
      ['db-0.db', 0],
      ['db-1.db.data', 1],
      ['db-2.db.data.svc.cluster.local', 2],
    ] as const) {
      assert.equal(await sh(id, GET(name)), `db-${n} ${ids.get(n)} v1`, name);
    }
    assert.match(await sh(id, GET('db')), /^db-[012] [0-9a-f-]{36} v1$/, 'the Service name itself resolves to the replicas');
  });

  it('a new template rolls 2, 1, 0 in place; every ordinal keeps its data', async () => {
    const before = new Map((await dbs()).map((r) => [r.replica, r.revision]));
    await repo.write(`manifests/${NS}/db.yaml`, dbYaml({ version: 'v2', replicas: 3 }));
    await repo.commit('db v2');
    await pushAndSync();
    await eventually(
      async () => {
        const now = await dbs();
        assert.equal(now.length, 3);
        assert.ok(
          now.every((r) => r.revision !== before.get(r.replica)),
          'every ordinal on the new revision',
        );
      },
      { timeoutMs: 120_000, what: 'all ordinals updated' },
    );
    await complete(3, 'db v2 complete');
    const created = await Promise.all([0, 1, 2].map(async (n) => Date.parse((await docker.getContainer((await ordinal(n)).id).inspect()).Created)));
    assert.ok(created[2]! < created[1]! && created[1]! < created[0]!, `updated from the highest ordinal down: ${created.join(', ')}`);
    const id = await client();
    for (const n of [0, 1, 2]) assert.equal(await sh(id, GET(`db-${n}.db`)), `db-${n} ${ids.get(n)} v2`);
  });

  it('3 → 1 keeps the volumes of db-1 and db-2 (reported as kept); 1 → 3 mounts them again', async () => {
    await repo.write(`manifests/${NS}/db.yaml`, dbYaml({ version: 'v2', replicas: 1 }));
    await repo.commit('db: 1 replica');
    await pushAndSync();
    await complete(1, 'db scaled to 1');
    await eventually(
      async () => {
        const volumes = (await status()).namespaces?.[NS]?.volumes ?? [];
        const kept = volumes.filter((v: { name: string; phase: string; message?: string }) => /kept for ordinal/.test(v.message ?? ''));
        assert.deepEqual(
          kept.map((v: { name: string; phase: string }) => `${v.name} ${v.phase}`),
          ['data-db-1 Bound', 'data-db-2 Bound'],
        );
      },
      { timeoutMs: 30_000, what: 'volumes reported kept' },
    );
    await repo.write(`manifests/${NS}/db.yaml`, dbYaml({ version: 'v2', replicas: 3 }));
    await repo.commit('db: 3 replicas again');
    await pushAndSync();
    await complete(3, 'db scaled back to 3');
    for (const n of [1, 2]) assert.equal(await sh((await ordinal(n)).id, 'cat /data/id'), ids.get(n), `db-${n} has its data back`);
  });

  it('docker rm -f of db-1: it comes back as db-1 with its data', async () => {
    const gone = await ordinal(1);
    await docker.getContainer(gone.id).remove({ force: true });
    const back = await eventually(
      async () => {
        const r = await ordinal(1);
        assert.notEqual(r.id, gone.id);
        return r;
      },
      { timeoutMs: 60_000, what: 'db-1 recreated' },
    );
    assert.equal(await sh(back.id, 'hostname'), 'db-1');
    assert.equal(await sh(back.id, 'cat /data/id'), ids.get(1));
    await complete(3, 'db complete again');
  });

  it('a commit that changes volumeClaimTemplates is refused: the StatefulSet is left as it runs', async () => {
    const running = (await dbs()).map((r) => r.id).sort();
    await repo.write(`manifests/${NS}/db.yaml`, dbYaml({ version: 'v3', replicas: 3, storage: '128Mi' }));
    await repo.commit('db: bigger claims and v3');
    await pushAndSync();
    await eventually(
      async () => {
        const s = await dbStatus();
        assert.equal(s?.phase, 'Failed');
        assert.match(s?.message ?? '', /StatefulSet data\/db \(data\/db.yaml:1\): spec.volumeClaimTemplates cannot change once it runs/);
      },
      { timeoutMs: 30_000, what: 'refusal in status' },
    );
    // The pass that wrote the refusal acted on nothing; later passes neither: a commit that changes the client runs several.
    assert.deepEqual((await dbs()).map((r) => r.id).sort(), running, 'nothing replaced by the refusing pass');
    const clientBefore = await client();
    await repo.write(`manifests/${NS}/client.yaml`, deploymentYaml({ name: 'client', replicas: 1, command: ['sleep', '100001'] }));
    await repo.commit('client: another command');
    await pushAndSync();
    await eventually(async () => assert.notEqual(await client(), clientBefore), { timeoutMs: 60_000, what: 'client replaced by later passes' });
    assert.deepEqual((await dbs()).map((r) => r.id).sort(), running, 'nothing replaced');
    assert.equal((await dbStatus())?.phase, 'Failed');
  });

  it('a template that crashes: CrashLoop at db-2, rolled back to the last good revision, recorded in history; db-0 and db-1 untouched', async () => {
    const good = await ordinal(0);
    const untouched = (await dbs())
      .filter((r) => r.replica < 2)
      .map((r) => r.id)
      .sort();
    await repo.write(`manifests/${NS}/db.yaml`, dbYaml({ version: 'v4', replicas: 3, crash: true }));
    await repo.commit('db v4: crashes');
    await pushAndSync();
    await eventually(
      async () => {
        const s = await dbStatus();
        assert.equal(s?.phase, 'RolledBack', JSON.stringify(s));
        assert.equal(s?.revision, good.revision);
        assert.equal((await dbs()).filter((r) => r.revision === good.revision).length, 3);
      },
      { timeoutMs: 120_000, what: 'rolled back, three replicas on the good revision' },
    );
    const history = (await status()).revisions[`${NS}/db`] as { outcome: string; reason?: string }[];
    assert.ok(
      history.some((h) => h.outcome === 'failed' && h.reason === 'CrashLoop'),
      JSON.stringify(history),
    );
    assert.deepEqual(
      (await dbs())
        .filter((r) => r.replica < 2)
        .map((r) => r.id)
        .sort(),
      untouched,
      'db-0 and db-1 never replaced',
    );
    assert.equal(await sh((await ordinal(2)).id, 'cat /data/id'), ids.get(2), 'db-2 has its data');
  });
});

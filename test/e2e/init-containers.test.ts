/**
 * Init containers (issue #10 item 2) on a real engine with the real `berth run`: they run in
 * order, each to completion, before the app; one waiting for a Service by name blocks the app
 * until the Service answers; a failing one is retried with the crash back-off, shown by `berth
 * get pods` and `berth status`, and fails a rollout (auto-rollback as for any failed rollout).
 * Each pass starts the next container of a replica when the previous one exited: nothing waits
 * inside a pass, so the Service an init container waits for is served meanwhile.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { daemonFlags, runBerth, startBerth, type BerthDaemon, tearDown } from '../helpers/berth-cli.js';
import { dockerClient, dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml } from '../helpers/manifests.js';
import { freePort } from '../helpers/webhook-hook.js';
import { localRepo, type LocalRepo } from '../helpers/tmp-repo.js';
import { execOutput, ownedContainers } from '../helpers/world.js';

const NS = 'app';
const claim =
  'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n';
const dbService = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: db\nspec:\n  selector:\n    app: db\n  ports:\n    - port: 5432\n';
const db = deploymentYaml({
  name: 'db',
  command: ['sh', '-c', 'mkdir -p /www && echo db > /www/index.html && exec httpd -f -p 5432 -h /www'],
  port: 5432,
  readinessProbe: { tcp: true, port: 5432 },
});

/** One init container: name, shell script, and whether it mounts the claim at /data. */
type Init = readonly [name: string, script: string];

/** A Deployment whose init containers write to the claim; the app appends `app <version>` and serves /data. */
function web(version: string, inits: readonly Init[], o: { name?: string; progressDeadlineSeconds?: number } = {}): string {
  const name = o.name ?? 'web';
  const base = deploymentYaml({
    name,
    // The page an init container rendered into the shared emptyDir, if one did.
    command: ['sh', '-c', `echo "app ${version} $(cat /scratch/page 2>/dev/null || echo no-page)" >> /data/order && exec httpd -f -p 8080 -h /data`],
    port: 8080,
    readinessProbe: { path: '/order', port: 8080 },
    strategy: { maxSurge: 1, maxUnavailable: 0 },
    ...(o.progressDeadlineSeconds ? { progressDeadlineSeconds: o.progressDeadlineSeconds } : {}),
  });
  const initLines = inits.flatMap(([n, script]) => [
    `        - name: ${n}`,
    '          image: busybox:1.36',
    `          command: ${JSON.stringify(['sh', '-c', script])}`,
    '          volumeMounts:',
    '            - name: data',
    '              mountPath: /data',
    ...(script.includes('/scratch') ? ['            - name: scratch', '              mountPath: /scratch'] : []),
  ]);
  return base
    .replace(
      '      containers:\n',
      `      volumes:\n        - name: data\n          persistentVolumeClaim:\n            claimName: data\n        - name: scratch\n          emptyDir: {}\n      initContainers:\n${initLines.join('\n')}\n      containers:\n`,
    )
    .concat(
      '          volumeMounts:\n            - name: data\n              mountPath: /data\n            - name: scratch\n              mountPath: /scratch\n',
    );
}

describe('init containers', { timeout: 300_000 }, () => {
  const scope = dockerScope('e2e-init');
  let repo: LocalRepo;
  let stateDir: string;
  let berth: BerthDaemon | undefined;
  let server: string;
  const source = (): string[] => ['--repo', repo.dir, '--path', 'manifests', '--instance', scope.instance, '--state-dir', stateDir];
  const rolloutStatus = (name: string) => runBerth(['rollout', 'status', `${NS}/${name}`, ...source(), '--timeout', '120']);
  const pods = async () =>
    (
      JSON.parse((await runBerth(['get', 'pods', '-n', NS, '-o', 'json', ...source(), '--server', server])).stdout) as {
        items: { deployment: string; status: string; ready: boolean; reason?: string; revision: string }[];
      }
    ).items;
  const order = async () => {
    const app = (await ownedContainers(scope.instance)).find((c) => c.deployment === 'web' && c.state === 'running' && !c.name.includes('.init-'));
    assert.ok(app, 'a running web app container');
    return (await execOutput(app.id, ['cat', '/data/order'])).stdout.trim().split('\n');
  };

  before(async () => {
    repo = await localRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-init-'));
    const port = await freePort();
    server = `http://127.0.0.1:${port}`;
    await repo.write(`manifests/${NS}/data.yaml`, claim);
    await repo.write(`manifests/${NS}/db-service.yaml`, dbService);
    // The db Deployment is not there yet: wait-db blocks web's start until a later commit adds it.
    await repo.write(
      `manifests/${NS}/web.yaml`,
      web('v1', [
        // busybox nc has no -z: ask for the page and look for db's answer.
        ['wait-db', 'until printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 1 db 5432 | grep -q "^db"; do sleep 0.2; done'],
        ['first', 'echo first >> /data/order && echo rendered-by-first > /scratch/page'],
        ['second', 'echo second >> /data/order'],
      ]),
    );
    await repo.commit('web waits for db');
    berth = startBerth(daemonFlags({ repo: repo.dir, stateDir, instance: scope.instance, poll: '*/1 * * * * *', listen: `127.0.0.1:${port}` }));
  });

  after(() => tearDown({ berth, name: 'init-containers', stateDir, scope, repos: [repo] }));

  it('an init container waiting for a Service by name holds the app back until the Service answers; then they run in order, each to completion, before the app', async () => {
    await eventually(
      async () => {
        const web = (await pods()).filter((p) => p.deployment === 'web');
        assert.deepEqual(
          web.map((p) => [p.status, p.ready]),
          [['Init:Running', false]],
        );
        assert.match(web[0]!.reason ?? '', /init container "wait-db" is running/);
      },
      { timeoutMs: 60_000, what: 'web starting in its first init container' },
    );
    const engine = (await ownedContainers(scope.instance)).filter((c) => c.deployment === 'web');
    assert.deepEqual(
      engine.map((c) => c.name.replace(/^.*\./, '')),
      ['init-wait-db'],
      'only the init container exists: the app was not created',
    );

    await repo.write(`manifests/${NS}/db.yaml`, db);
    await repo.commit('db');
    const done = await rolloutStatus('web');
    assert.equal(done.code, 0, done.stdout + done.stderr);
    assert.deepEqual(await order(), ['first', 'second', 'app v1 rendered-by-first'], 'the page an init container wrote into the emptyDir reached the app');
    const dirs = (await dockerClient().listVolumes({ filters: { label: [`berth.instance=${scope.instance}`, 'berth.kind=EmptyDir'] } })).Volumes ?? [];
    assert.equal(dirs.length, 1, 'one emptyDir volume, the replica’s');
    const left = (await ownedContainers(scope.instance)).filter((c) => c.deployment === 'web');
    assert.deepEqual(
      left.map((c) => c.state),
      ['running'],
      'the init containers that completed are gone; the app runs',
    );
    const [pod] = (await pods()).filter((p) => p.deployment === 'web');
    assert.deepEqual([pod?.status, pod?.ready], ['Running', true]);
  });

  it('a rollout whose init container fails is retried with the back-off, shown, and rolled back like any failed rollout', async () => {
    await repo.write(`manifests/${NS}/web.yaml`, web('v2', [['migrate', 'echo "cannot migrate: schema 7 unknown"; exit 3']], { progressDeadlineSeconds: 60 }));
    await repo.commit('web v2 with a failing migration');
    // A failed init container is visible for about a second each time (the first retry is at
    // once, the second failure is a CrashLoop and rolls back): polled through the API `berth get
    // pods` reads, every 50 ms, since one CLI call per poll can miss the window (as CI found).
    await eventually(
      async () => {
        const answer = (await (await fetch(`${server}/api/v1/pods?namespace=${NS}`)).json()) as {
          pods: { deployment: string; status: string; reason?: string }[];
        };
        const failing = answer.pods.find((p) => p.deployment === 'web' && p.status.startsWith('Init:') && p.status !== 'Init:Running');
        assert.ok(failing, JSON.stringify(answer.pods));
        assert.match(failing.reason ?? '', /init container "migrate" failed \(exit code 3\)/);
      },
      { timeoutMs: 60_000, intervalMs: 50, what: 'the failed init container shown by the pods berth get pods lists' },
    );
    const r = await rolloutStatus('web');
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /init container "migrate" of replica 0 of revision \w+ failed again after 1 restart\(s\) \(exit code 3\)/);
    // Rolled back: v1 still serves, and its data is there; the failed revision's containers are gone.
    await eventually(
      async () => {
        const web = (await ownedContainers(scope.instance)).filter((c) => c.deployment === 'web');
        assert.deepEqual(
          web.map((c) => c.state),
          ['running'],
        );
        assert.ok(!web[0]!.name.includes('.init-'));
      },
      { timeoutMs: 60_000, what: 'only the v1 replica left' },
    );
    assert.deepEqual((await order()).slice(0, 3), ['first', 'second', 'app v1 rendered-by-first']);
    const status = JSON.parse((await runBerth(['status', ...source(), '-o', 'json'])).stdout) as {
      namespaces: Record<string, { deployments: { name: string; phase: string; rolledBack?: { reason: string; message: string } }[] }>;
    };
    const d = status.namespaces[NS]?.deployments.find((x) => x.name === 'web');
    assert.equal(d?.phase, 'RolledBack');
    assert.equal(d?.rolledBack?.reason, 'CrashLoop');
    assert.match(d?.rolledBack?.message ?? '', /init container "migrate"/);
  });
});

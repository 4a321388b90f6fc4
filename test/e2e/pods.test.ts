/**
 * Pods of several containers and native sidecars (issue #10 item 1) on a real engine with the
 * real `berth run`: the containers of a replica share one network namespace (held by berth's
 * pause container: one address, `localhost` between them) and an emptyDir; a Service routes to
 * ports of any of them; the replica is ready only when every container is; the sidecar starts
 * first and stops last, and the app waits for its startup probe; one container that exits (or
 * fails liveness) restarts in place with its own back-off; a rollout replaces Pods whole and
 * leaves no container of the old ones behind.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { daemonFlags, runBerth, startBerth, type BerthDaemon, tearDown } from '../helpers/berth-cli.js';
import { dockerClient, dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml, hpaYaml } from '../helpers/manifests.js';
import { freePort } from '../helpers/webhook-hook.js';
import { localRepo, type LocalRepo } from '../helpers/tmp-repo.js';
import { execOutput } from '../helpers/world.js';

const NS = 'app';
const claim =
  'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n';
const service =
  'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n    - name: http\n      port: 80\n      targetPort: 8080\n    - name: proxy\n      port: 9000\n      targetPort: proxy\n';
const client = deploymentYaml({ name: 'client', command: ['sh', '-c', 'exec sleep 3600'] });

/** A shell line that records `stop-<name>` in the claim on SIGTERM, then runs `cmd` in the background and waits. */
const stoppable = (name: string, cmd: string) => `trap "echo stop-${name} >> /data/stops; exit 0" TERM; ${cmd} & wait`;

/** cpu requests (outside the revision): what an HPA's Utilization is a percent of, summed over the pod's containers. */
const requests = ['          resources:', '            requests:', '              cpu: 100m'];

/**
 * An exec probe runs through the engine (exec create, start, inspect), which under the suite's load
 * can take longer than Kubernetes' default 1 s timeout: a timed-out liveness probe (failureThreshold 1)
 * would restart the log container, and a timed-out readiness probe makes the pod unready, whose cpu
 * an HPA ignores: the likely cause of a CI run (2026-12-05) where the HPA case never scaled. The probes'
 * verdicts, not the engine's speed, are tested here.
 */
const execTimeout = ['            timeoutSeconds: 10'];

/** web: a sidecar `proxy` (serves on 9000), the app `web` (serves the shared emptyDir on 8080) and `log` (writes into it). */
function web(version: string): string {
  const list = (xs: string[]) => JSON.stringify(xs);
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: web',
    'spec:',
    '  replicas: 1',
    '  selector:',
    '    matchLabels:',
    '      app: web',
    '  template:',
    '    metadata:',
    '      labels:',
    '        app: web',
    '    spec:',
    '      terminationGracePeriodSeconds: 5',
    '      volumes:',
    '        - name: shared',
    '          emptyDir: {}',
    '        - name: data',
    '          persistentVolumeClaim:',
    '            claimName: data',
    '      initContainers:',
    '        - name: proxy',
    '          image: busybox:1.36',
    '          restartPolicy: Always',
    ...requests,
    `          command: ${list(['sh', '-c', `mkdir -p /www && echo proxy-${version} > /www/index.html && ${stoppable('proxy', 'httpd -f -p 9000 -h /www')}`])}`,
    '          ports:',
    '            - containerPort: 9000',
    '              name: proxy',
    '          volumeMounts:',
    '            - name: data',
    '              mountPath: /data',
    '      containers:',
    '        - name: web',
    '          image: busybox:1.36',
    ...requests,
    `          command: ${list(['sh', '-c', stoppable('web', 'httpd -f -p 8080 -h /shared')])}`,
    '          ports:',
    '            - containerPort: 8080',
    '          readinessProbe:',
    '            httpGet:',
    '              path: /log',
    '              port: 8080',
    '            periodSeconds: 1',
    '          volumeMounts:',
    '            - name: shared',
    '              mountPath: /shared',
    '            - name: data',
    '              mountPath: /data',
    '        - name: log',
    '          image: busybox:1.36',
    ...requests,
    `          command: ${list(['sh', '-c', stoppable('log', `echo log-${version} > /shared/log; sleep 3600`)])}`,
    '          readinessProbe:',
    '            exec:',
    '              command: ["test", "-f", "/shared/ready"]',
    '            periodSeconds: 1',
    ...execTimeout,
    '          livenessProbe:',
    '            exec:',
    '              command: ["sh", "-c", "test ! -f /die"]',
    '            periodSeconds: 1',
    '            failureThreshold: 1',
    ...execTimeout,
    '          volumeMounts:',
    '            - name: shared',
    '              mountPath: /shared',
    '            - name: data',
    '              mountPath: /data',
    '',
  ].join('\n');
}

/**
 * A sidecar with a startup probe that passes only after it wrote /shared/up (2 s after it starts);
 * the app records whether that file was there when it started.
 */
const gated = [
  'apiVersion: apps/v1',
  'kind: Deployment',
  'metadata:',
  '  name: gated',
  'spec:',
  '  selector: { matchLabels: { app: gated } }',
  '  template:',
  '    metadata: { labels: { app: gated } }',
  '    spec:',
  '      initContainers:',
  '        - name: gate',
  '          image: busybox:1.36',
  '          restartPolicy: Always',
  '          command: ["sh", "-c", "sleep 2; touch /shared/up; exec sleep 3600"]',
  '          startupProbe: { exec: { command: ["test", "-f", "/shared/up"] }, periodSeconds: 1, failureThreshold: 30 }',
  '          volumeMounts: [{ name: shared, mountPath: /shared }]',
  '      containers:',
  '        - name: main',
  '          image: busybox:1.36',
  '          command: ["sh", "-c", "if [ -f /shared/up ]; then echo saw-up; else echo no-up; fi > /shared/seen; exec sleep 3600"]',
  '          volumeMounts: [{ name: shared, mountPath: /shared }]',
  '      volumes: [{ name: shared, emptyDir: {} }]',
  '',
].join('\n');

interface Pod {
  deployment: string;
  status: string;
  ready: boolean;
  reason?: string;
  restarts: number;
  id: string;
  containers?: { name: string; state: string; ready: boolean; sidecar?: boolean }[];
}

describe('pods of several containers', { timeout: 300_000 }, () => {
  const scope = dockerScope('e2e-pods');
  let repo: LocalRepo;
  let stateDir: string;
  let berth: BerthDaemon | undefined;
  let server: string;
  const source = (): string[] => ['--repo', repo.dir, '--path', 'manifests', '--instance', scope.instance, '--state-dir', stateDir];
  const pods = async (): Promise<Pod[]> =>
    ((await (await fetch(`${server}/api/v1/pods?namespace=${NS}`)).json()) as { pods: Pod[] }).pods.filter((p) => p.deployment === 'web');
  /** The web replica's engine containers: its infra container and its members by name. */
  const engine = async () => {
    const list = await dockerClient().listContainers({ all: true, filters: { label: [`berth.instance=${scope.instance}`, 'berth.name=web'] } });
    const infra = list.filter((c) => c.Labels['berth.pod'] !== undefined);
    const members = list.filter((c) => c.Labels['berth.member'] !== undefined);
    return { infra, members, member: (name: string) => members.find((c) => c.Labels['berth.member'] === name && c.State === 'running') };
  };
  const clientId = async () => {
    const list = await dockerClient().listContainers({ filters: { label: [`berth.instance=${scope.instance}`, 'berth.name=client'] } });
    assert.ok(list[0], 'the client replica runs');
    return list[0].Id;
  };
  /** What the client gets from `host:port/path` through the namespace's Service names. */
  const call = async (host: string, port: number, path = '/') =>
    (await execOutput(await clientId(), ['sh', '-c', `printf "GET ${path} HTTP/1.0\\r\\n\\r\\n" | nc -w 2 ${host} ${port} | tail -n 1`])).stdout.trim();

  before(async () => {
    repo = await localRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-pods-'));
    const port = await freePort();
    server = `http://127.0.0.1:${port}`;
    await repo.write(`manifests/${NS}/data.yaml`, claim);
    await repo.write(`manifests/${NS}/service.yaml`, service);
    await repo.write(`manifests/${NS}/client.yaml`, client);
    await repo.write(`manifests/${NS}/web.yaml`, web('v1'));
    await repo.write(`manifests/${NS}/gated.yaml`, gated);
    await repo.commit('web: a pod of three');
    berth = startBerth([
      ...daemonFlags({ repo: repo.dir, stateDir, instance: scope.instance, poll: '*/1 * * * * *', listen: `127.0.0.1:${port}` }),
      '--hpa-sync-period',
      '1',
    ]);
  });

  after(() => tearDown({ berth, name: 'pods', stateDir, scope, repos: [repo] }));

  it('one network namespace and one emptyDir for all containers; the sidecar starts first; ready only when every container is', async () => {
    // Not ready while the log container's readiness fails, and the pod says which container.
    await eventually(
      async () => {
        const [pod] = await pods();
        assert.equal(pod?.status, 'Running');
        assert.equal(pod?.ready, false);
        assert.match(pod?.reason ?? '', /container "log"/);
        assert.deepEqual(
          pod?.containers?.map((c) => [c.name, c.ready]),
          [
            ['proxy', true],
            ['web', true],
            ['log', false],
          ],
        );
      },
      { timeoutMs: 60_000, what: 'the pod running, not ready because of its log container' },
    );
    const table = await runBerth(['get', 'pods', '-n', NS, ...source(), '--server', server]);
    assert.match(table.stdout, /^web-\w+-0\s+2\/3\s+Running/m, table.stdout);
    const { infra, members, member } = await engine();
    assert.equal(infra.length, 1, 'one infra container');
    assert.equal(infra[0]!.Image, 'berth/pause:1');
    assert.deepEqual(members.map((c) => c.Labels['berth.member']).sort(), ['log', 'proxy', 'web']);
    for (const m of members) {
      const info = await dockerClient().getContainer(m.Id).inspect();
      assert.equal(info.HostConfig.NetworkMode, `container:${infra[0]!.Id}`, `${m.Labels['berth.member']} joins the infra container's network namespace`);
    }
    const started = async (name: string) => Date.parse((await dockerClient().getContainer(member(name)!.Id).inspect()).State.StartedAt);
    assert.ok((await started('proxy')) < (await started('web')), 'the sidecar started before the app containers');
    assert.ok((await started('proxy')) < (await started('log')), 'the sidecar started before the app containers');
    // localhost between containers; the emptyDir the log container wrote is what web serves.
    const local = await execOutput(member('web')!.Id, ['sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 2 127.0.0.1 9000 | tail -n 1']);
    assert.equal(local.stdout.trim(), 'proxy-v1');

    await execOutput(member('log')!.Id, ['touch', '/shared/ready']);
    await eventually(
      async () => {
        const [pod] = await pods();
        assert.equal(pod?.ready, true, pod?.reason);
        assert.deepEqual(
          pod?.containers?.map((c) => [c.name, c.state, c.sidecar ?? false]),
          [
            ['proxy', 'running', true],
            ['web', 'running', false],
            ['log', 'running', false],
          ],
        );
      },
      { timeoutMs: 30_000, what: 'the pod ready once every container is' },
    );
    // A Service routes to ports of two containers of the pod, by name from another replica.
    await eventually(async () => assert.equal(await call('web', 80, '/log'), 'log-v1'), { timeoutMs: 30_000, what: 'web:80 answering from the pod' });
    assert.equal(await call('web.app.svc.cluster.local', 9000), 'proxy-v1');
    const logs = await runBerth(['logs', `${NS}/web`, '-c', 'proxy', ...source()]);
    assert.equal(logs.code, 0, logs.stderr);
    const names = await runBerth(['logs', `${NS}/web`, '-c', 'nope', ...source()]);
    assert.match(names.stderr, /its containers: log, proxy, web/);
  });

  it("the app container starts only once the sidecar's startup probe passed (as the kubelet waits)", async () => {
    const main = await eventually(
      async () => {
        const list = await dockerClient().listContainers({ filters: { label: [`berth.instance=${scope.instance}`, 'berth.name=gated', 'berth.member=main'] } });
        assert.equal(list.length, 1, 'the app container of gated runs');
        return list[0]!.Id;
      },
      { timeoutMs: 60_000, what: 'gated running' },
    );
    assert.equal((await execOutput(main, ['cat', '/shared/seen'])).stdout.trim(), 'saw-up');
  });

  it('a container that exits restarts in place: the same pod (address, other containers, emptyDir), a restart counted', async () => {
    const before = await engine();
    const oldInfra = before.infra[0]!.Id;
    const others = [before.member('web')!.Id, before.member('proxy')!.Id].sort();
    const deadLog = before.member('log')!.Id;
    await dockerClient().getContainer(deadLog).kill({ signal: 'SIGKILL' });
    await eventually(
      async () => {
        const [pod] = await pods();
        assert.equal(pod?.id, oldInfra, 'the same infra container: the pod was not replaced');
        assert.equal(pod?.restarts, 1);
        assert.equal(pod?.status, 'Running');
        assert.equal(pod?.ready, true, pod?.reason);
      },
      { timeoutMs: 60_000, what: 'the log container restarted in its pod' },
    );
    const now = await engine();
    assert.deepEqual([now.member('web')!.Id, now.member('proxy')!.Id].sort(), others, 'web and proxy untouched');
    assert.notEqual(now.member('log')!.Id, deadLog);
    assert.equal(now.member('log')!.Labels['berth.restarts'], '1');
    assert.deepEqual(now.members.map((c) => c.Labels['berth.member']).sort(), ['log', 'proxy', 'web'], 'the dead log container is gone');
    await eventually(async () => assert.equal(await call('web', 80, '/log'), 'log-v1'), { timeoutMs: 30_000, what: 'the pod serving' });
  });

  it('a rollout replaces pods whole: apps stop before the sidecar, and nothing of the old pod is left', async () => {
    const oldInfra = (await engine()).infra[0]!.Id;
    await repo.write(`manifests/${NS}/web.yaml`, web('v2').replace('["test", "-f", "/shared/ready"]', '["true"]'));
    await repo.commit('web v2');
    const done = await runBerth(['rollout', 'status', `${NS}/web`, ...source(), '--timeout', '120']);
    assert.equal(done.code, 0, done.stdout + done.stderr);
    await eventually(
      async () => {
        const now = await engine();
        assert.equal(now.infra.length, 1);
        assert.notEqual(now.infra[0]!.Id, oldInfra);
        assert.equal(now.members.length, 3);
      },
      { timeoutMs: 30_000, what: 'only the v2 pod on the engine' },
    );
    assert.equal(await call('web', 9000), 'proxy-v2');
    // Every pod so far stopped its apps before its sidecar (the killed log container wrote nothing).
    const stops = (await execOutput((await engine()).member('web')!.Id, ['cat', '/data/stops'])).stdout.trim().split('\n');
    assert.ok(stops.length >= 3, stops.join(' '));
    for (const [i, line] of stops.entries()) if (line === 'stop-proxy') assert.ok(i > 0 && stops[i - 1] !== 'stop-proxy', stops.join(' '));
    assert.equal(stops.at(-1), 'stop-proxy', stops.join(' '));
    assert.ok(
      stops.slice(-3).includes('stop-web') && stops.slice(-3).includes('stop-log'),
      `the rolled pod stopped web and log before proxy: ${stops.join(' ')}`,
    );
  });

  it('a failing liveness probe of one container (not the first) restarts that container in place', async () => {
    const [before] = await pods();
    assert.equal(before?.restarts, 0);
    const web = (await engine()).member('web')!.Id;
    await execOutput((await engine()).member('log')!.Id, ['touch', '/die']);
    await eventually(
      async () => {
        const [pod] = await pods();
        assert.equal(pod?.id, before?.id, 'the same pod');
        assert.equal(pod?.restarts, 1);
        assert.equal(pod?.ready, true, pod?.reason);
      },
      { timeoutMs: 60_000, what: 'the log container restarted after it failed liveness' },
    );
    assert.equal((await engine()).member('web')!.Id, web, 'web untouched');
    assert.equal(await call('web', 80, '/log'), 'log-v2');
  });

  it("an HPA measures a pod's cpu as its containers' sum (the infra container uses none): one busy container scales it", async () => {
    await repo.write(`manifests/${NS}/hpa.yaml`, hpaYaml({ name: 'web', max: 2, metrics: [{ resource: 'cpu', utilization: 50 }] }));
    await repo.commit('an HPA for web');
    // A busy loop in the web container (no liveness probe restarts it), left running in the background (exec returns at once).
    await execOutput((await engine()).member('web')!.Id, ['sh', '-c', '(while :; do :; done) >/dev/null 2>&1 &']);
    await eventually(
      async () => {
        const now = await engine();
        assert.equal(now.infra.filter((c) => c.State === 'running').length, 2);
      },
      { timeoutMs: 90_000, what: 'web scaled to 2 pods' },
    );
    const status = await runBerth(['status', ...source()]);
    assert.match(status.stdout, /hpa web → deployment web: current \d, desired 2; cpu utilization \d+/);
  });
});

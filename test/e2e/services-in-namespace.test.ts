/**
 * Services inside the namespace (issue #9), end to end: the real `berth run` (and its data
 * plane process), a real engine, and clients *inside* replicas calling Services by name with
 * busybox `nc` (busybox wget segfaults on a name lookup in a container). Assertions read what
 * the clients got, the engine and the data plane's status; never berth's internals.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { daemonFlags, runBerth, startBerth, type BerthDaemon, tearDown } from '../helpers/berth-cli.js';
import { dataPlaneStatus } from '../helpers/data-plane.js';
import { dockerClient, dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml, ingressYaml } from '../helpers/manifests.js';
import { freePort } from '../helpers/webhook-hook.js';
import { tmpRepo, type TmpRepo } from '../helpers/tmp-repo.js';
import { execOutput, ownedContainers } from '../helpers/world.js';

/**
 * A web server that answers `notready <host>` until it is ready (1 s after start), then
 * `<text> <host>`; its readiness probe reads /ready.html, written at the same moment. So an
 * answer `notready …` is an answer from a replica that was not ready. `/cgi-bin/slow` answers
 * `slow <host>` after 2 s: a request in flight when its replica is taken out of the rotation.
 */
const gatedWeb = (text: string, port: number) => [
  'sh',
  '-c',
  // `;` not `&&` before the `&`: `a && b && (c) &` would background the whole list, racing httpd against mkdir.
  // A restarted container keeps its files: the markers are written afresh on every start.
  `mkdir -p /www/cgi-bin; printf '#!/bin/sh\\nsleep 2\\necho "Content-Type: text/plain"\\necho\\necho slow $(hostname)\\n' > /www/cgi-bin/slow; chmod +x /www/cgi-bin/slow; rm -f /www/ready.html; echo ok > /www/alive.html; echo "notready $(hostname)" > /www/index.html; (sleep 1; echo "${text} $(hostname)" > /www/index.html; echo ok > /www/ready.html) & exec httpd -f -p ${port} -h /www`,
];

const svc = (name: string, spec: string) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

const webYaml = (text: string, o: { replicas?: number; readyPath?: string; progressDeadlineSeconds?: number; liveness?: boolean } = {}) =>
  deploymentYaml({
    name: 'web',
    replicas: o.replicas ?? 3,
    command: gatedWeb(text, 8080),
    port: 8080,
    strategy: { maxSurge: 1, maxUnavailable: 0 },
    readinessProbe: { path: o.readyPath ?? '/ready.html', port: 8080, periodSeconds: 1 },
    terminationGracePeriodSeconds: 5,
    ...(o.liveness ? { livenessProbe: { path: '/alive.html', port: 8080, periodSeconds: 1, failureThreshold: 2 } } : {}),
    ...(o.progressDeadlineSeconds ? { progressDeadlineSeconds: o.progressDeadlineSeconds } : {}),
  }).replace('            - containerPort: 8080', '            - containerPort: 8080\n              name: http');

/** One HTTP/1.0 GET through `nc` inside a container: the last line of the answer ('' when the connection failed). */
const GET = (target: string, port: number, path = '/', waitSeconds = 3) =>
  `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w ${waitSeconds} ${target} ${port} | tail -n 1`;

describe('Services inside the namespace', { timeout: 600_000 }, () => {
  const scope = dockerScope('e2e-east-west');
  let repo: TmpRepo;
  let stateDir: string;
  let berth: BerthDaemon | undefined;
  let ingressPort: number;
  let apiPort: number;
  const TOKEN = 'e2e-east-west-token';
  const NS = 'east';

  const clientOf = async (namespace: string) => {
    const c = (await ownedContainers(scope.instance)).find((r) => r.namespace === namespace && r.deployment === 'client' && r.state === 'running');
    assert.ok(c, `a running client in ${namespace}`);
    return c.id;
  };
  const sh = async (id: string, script: string) => (await execOutput(id, ['sh', '-c', script])).stdout.trim();
  const assertAlive = () => {
    if (berth && berth.child.exitCode !== null)
      throw Object.assign(new Error(`berth exited with ${berth.child.exitCode}:\n${berth.logs().slice(-3000)}`), { fatal: true });
  };

  before(async () => {
    repo = await tmpRepo();
    ingressPort = await freePort();
    apiPort = await freePort();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-east-west-'));
    await repo.write(`m/${NS}/web.yaml`, webYaml('v1'));
    await repo.write(
      `m/${NS}/api.yaml`,
      deploymentYaml({
        name: 'api',
        command: ['sh', '-c', 'mkdir -p /www && echo "api $(hostname)" > /www/index.html && exec httpd -f -p 9090 -h /www'],
        port: 9090,
        readinessProbe: { port: 9090, tcp: true },
      }),
    );
    await repo.write(`m/${NS}/client.yaml`, deploymentYaml({ name: 'client', command: ['sleep', '100000'] }));
    // Two Services on port 80 (each its own address); port ≠ targetPort; a named targetPort.
    await repo.write(`m/${NS}/web-service.yaml`, svc('web', '  selector:\n    app: web\n  ports:\n    - port: 80\n      targetPort: http\n'));
    await repo.write(`m/${NS}/api-service.yaml`, svc('api', '  selector:\n    app: api\n  ports:\n    - port: 80\n      targetPort: 9090\n'));
    await repo.write(
      `m/${NS}/multi-service.yaml`,
      svc(
        'multi',
        '  selector:\n    app: web\n  ports:\n    - name: a\n      port: 81\n      targetPort: http\n    - name: b\n      port: 82\n      targetPort: 8080\n',
      ),
    );
    await repo.write(`m/${NS}/db-service.yaml`, svc('db', '  clusterIP: None\n  selector:\n    app: web\n  ports:\n    - port: 8080\n'));
    await repo.write(`m/${NS}/none-service.yaml`, svc('nobody', '  selector:\n    app: nothing-has-this\n  ports:\n    - port: 80\n'));
    await repo.write(`m/${NS}/ingress.yaml`, ingressYaml({ name: 'front', rules: [{ host: 'east.test', paths: [{ path: '/', service: 'web', port: 80 }] }] }));
    await repo.write('m/other/client.yaml', deploymentYaml({ name: 'client', command: ['sleep', '100000'] }));
    await repo.write('m/other/own-service.yaml', svc('own', '  selector:\n    app: client\n  ports:\n    - port: 80\n'));
    await repo.commit('v1');
    await repo.push();
    berth = startDaemon();
  });

  const startDaemon = () =>
    startBerth(
      [
        ...daemonFlags({ repo: repo.url, path: 'm', stateDir, instance: scope.instance, poll: '*/1 * * * * *', listen: `127.0.0.1:${apiPort}` }),
        '--ingress-listen',
        `127.0.0.1:${ingressPort}`,
        '--log-level',
        'debug',
      ],
      { env: { BERTH_API_TOKEN: TOKEN } },
    );
  /** Service name → virtual address, as the data plane serves them for the namespace. */
  const addresses = async (): Promise<Record<string, string>> => {
    const status = (await dataPlaneStatus(stateDir)) as unknown as
      | { namespaces: { namespace: string; services: { name: string; clusterIP?: string }[] }[] }
      | undefined;
    const table = status?.namespaces.find((n) => n.namespace === NS);
    return Object.fromEntries((table?.services ?? []).flatMap((x) => (x.clusterIP ? [[x.name, x.clusterIP]] : [])));
  };

  after(() => tearDown({ berth, name: 'east-west', stateDir, scope, repos: [repo] }));

  it('a replica reaches a Service by every name form, on the Service port mapped to its targetPort', async () => {
    const client = await eventually(
      async () => {
        assertAlive();
        const id = await clientOf(NS);
        assert.match(await sh(id, GET('web', 80)), /^v1 /);
        return id;
      },
      { timeoutMs: 120_000, what: 'web answers by name inside the namespace' },
    );
    for (const name of ['web', `web.${NS}`, `web.${NS}.svc`, `web.${NS}.svc.cluster.local`]) assert.match(await sh(client, GET(name, 80)), /^v1 /, name);
    assert.match(await sh(client, GET('api', 80)), /^api /, 'another Service on the same port 80');
    assert.match(await sh(client, GET('multi', 81)), /^v1 /, 'named port a → targetPort http');
    assert.match(await sh(client, GET('multi', 82)), /^v1 /, 'named port b → 8080');
    const hosts = new Set<string>();
    // The kernel path picks at random (kube-proxy's probabilities), not round-robin: call until all three answered,
    // at most 60 times (a replica missed 60 times in a row: 3·(2/3)^60 ≈ 1e-10).
    for (let i = 0; i < 60 && hosts.size < 3; i++) hosts.add((await sh(client, GET('web', 80))).split(' ')[1]!);
    assert.equal(hosts.size, 3, `balanced over the 3 replicas: ${[...hosts].join(', ')}`);
    // The kernel path (proxy/kernel-rules.ts) carries these: no NetworkPolicy, no affinity, no autoscaler reading them.
    const kernel = async () => (await dataPlaneStatus(stateDir)) as unknown as { kernelPath?: { routes: string[] }; served?: Record<string, number> };
    const carried = ((await kernel()).kernelPath?.routes ?? []).filter((r) => r.startsWith(`${NS}/`)).sort();
    assert.deepEqual(carried, [`${NS}/api:80`, `${NS}/multi:81`, `${NS}/multi:82`, `${NS}/web:80`]);
    const webIds = (await ownedContainers(scope.instance)).filter((r) => r.deployment === 'web').map((r) => r.id);
    const servedByDataPlane = async () => {
      const served = (await kernel()).served ?? {};
      return webIds.reduce((n, id) => n + (served[id] ?? 0), 0);
    };
    const before = await servedByDataPlane();
    for (let i = 0; i < 6; i++) assert.match(await sh(client, GET('web', 80)), /^v1 /);
    assert.equal(await servedByDataPlane(), before, "in-namespace calls do not pass through the data plane's listeners");
    assert.match(await sh(client, `nslookup example.invalid 2>&1; echo rc=$?`), /rc=\d/, 'a public name still gets an answer (forwarded or SERVFAIL), no hang');
    const viaIngress = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: ingressPort, path: '/', headers: { host: 'east.test' }, agent: false }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve(body.trim()));
        })
        .on('error', reject);
    });
    assert.match(viaIngress, /^v1 /, 'an Ingress reaches a ClusterIP Service (no host port)');
  });

  it('berth plan names the addresses berth run serves (one allocation function, the data plane’s kept table)', async () => {
    const served = await addresses();
    assert.ok(served.web && served.api, `the data plane serves web and api: ${JSON.stringify(served)}`);
    const plan = await runBerth(['plan', '--repo', repo.url, '--path', 'm', '--state-dir', stateDir, '--instance', scope.instance]);
    assert.equal(plan.code, 0, `in sync: ${plan.stdout}${plan.stderr}`);
    for (const [name, vip] of Object.entries(served))
      assert.match(plan.stdout, new RegExp(`= service ${name}: ClusterIP ${vip.replaceAll('.', '\\.')}, `), name);
    assert.match(plan.stdout, /= service db: ClusterIP None, ports 8080 → 8080/);
  });

  it('a Service with no endpoints refuses at once; a headless Service resolves to the ready replicas', async () => {
    const client = await clientOf(NS);
    const started = Date.now();
    assert.equal(await sh(client, GET('nobody', 80)), '', 'nothing answers');
    assert.ok(Date.now() - started < 2500, 'refused, not a 3 s nc timeout');
    const web = (await ownedContainers(scope.instance)).filter((r) => r.deployment === 'web' && r.state === 'running');
    const ips = await Promise.all(
      web.map(async (r) => (await dockerClient().getContainer(r.id).inspect()).NetworkSettings.Networks[`berth.${scope.instance}.${NS}`]!.IPAddress),
    );
    const answer = await sh(client, 'nslookup db 2>&1');
    const resolved = [...answer.matchAll(/Address:\s*(\d+\.\d+\.\d+\.\d+)(?!:53)/g)].map((m) => m[1]!).filter((ip) => !ip.startsWith('127.'));
    assert.deepEqual(resolved.sort(), ips.sort(), `db resolves to the web replicas: ${answer}`);
  });

  it('namespaces are isolated: another namespace neither resolves nor reaches the Service', async () => {
    const status = await dataPlaneStatus(stateDir);
    const vip = (status as unknown as { namespaces: { namespace: string; services: { name: string; clusterIP?: string }[] }[] }).namespaces
      .find((n) => n.namespace === NS)!
      .services.find((s) => s.name === 'web')!.clusterIP!;
    assert.match(vip, /^\d+\.\d+\.\d+\.\d+$/);
    const inside = await clientOf(NS);
    assert.match(await sh(inside, GET(vip, 80)), /^v1 /, 'by address from inside');
    const outside = await eventually(() => clientOf('other'), { timeoutMs: 60_000, what: 'the other client runs' });
    assert.equal(await sh(outside, GET(vip, 80)), '', 'the address refuses another namespace');
    assert.equal(await sh(outside, GET(`web.${NS}`, 80)), '', 'the name does not resolve there');
    assert.match(await sh(outside, `nslookup web.${NS}.svc.cluster.local 2>&1`), /NXDOMAIN|can't find/i);
  });

  it('a rolling update under constant in-namespace load: 0 failed requests, none answered by a replica that was not ready', async (t) => {
    const client = await clientOf(NS);
    const loop = `rm -f /stop /log; while [ ! -f /stop ]; do r=$(${GET('web', 80)}); echo "r:$r" >> /log; done`;
    // In the background of the client, its output closed, so this exec returns at once (a detached exec would hold a socket open).
    await sh(client, `(${loop}) >/dev/null 2>&1 </dev/null &`);
    // Two loops of 2 s requests: one is nearly always in flight on a replica when it leaves the rotation (the drain waits for it).
    const slow = (n: number) => `rm -f /slow${n}; while [ ! -f /stop ]; do r=$(${GET('web', 80, '/cgi-bin/slow', 10)}); echo "s:$r" >> /slow${n}; done`;
    for (const n of [1, 2]) await sh(client, `(${slow(n)}) >/dev/null 2>&1 </dev/null &`);
    try {
      await repo.write(`m/${NS}/web.yaml`, webYaml('v2'));
      await repo.commit('v2');
      await repo.push();
      await eventually(
        async () => {
          assertAlive();
          const web = (await ownedContainers(scope.instance)).filter((r) => r.deployment === 'web');
          assert.equal(web.length, 3, `3 web containers: ${web.map((r) => `${r.revision}:${r.state}`).join(' ')}`);
          assert.equal(new Set(web.map((r) => r.revision)).size, 1, 'one revision');
          assert.match(await sh(client, GET('web', 80)), /^v2 /);
        },
        { timeoutMs: 120_000, what: 'web rolled to v2' },
      );
    } finally {
      await sh(client, 'touch /stop; sleep 4');
    }
    const lines = (await sh(client, 'cat /log')).split('\n').filter((l) => l.startsWith('r:'));
    const bad = lines.filter((l) => !/^r:v[12] /.test(l));
    const v2 = lines.filter((l) => l.startsWith('r:v2 ')).length;
    const slowLines = (await sh(client, 'cat /slow1 /slow2')).split('\n').filter((l) => l.startsWith('s:'));
    t.diagnostic(`${slowLines.length} requests of 2 s each during the rollout`);
    assert.ok(slowLines.length >= 4, `the slow loops ran through the rollout: ${slowLines.length}`);
    assert.deepEqual(
      slowLines.filter((l) => !/^s:slow /.test(l)),
      [],
      'every request in flight when its replica left the rotation was answered (the drain waited for it)',
    );
    assert.ok(lines.some((l) => l.startsWith('r:v1 ')) && v2 > 0, `the load ran through the rollout (${lines.length} requests, ${v2} answered by v2)`);
    t.diagnostic(`${lines.length} in-namespace requests during the rollout, ${v2} answered by v2, ${bad.length} failed`);
    assert.deepEqual(bad, [], `0 failed of ${lines.length}, and no 'notready' answer`);
  });

  it('a rollout that never gets ready is rolled back, then a scale-down, both under in-namespace load: 0 failed, none answered by a replica that was not ready', async (t) => {
    const client = await clientOf(NS);
    const loop = `rm -f /stop3 /log3; while [ ! -f /stop3 ]; do r=$(${GET('web', 80)}); echo "r:$r" >> /log3; done`;
    await sh(client, `(${loop}) >/dev/null 2>&1 </dev/null &`);
    const running = async () => (await ownedContainers(scope.instance)).filter((r) => r.deployment === 'web' && r.state === 'running');
    try {
      const good = (await running())[0]!.revision;
      // v3 is never ready (its readiness probe reads a file that never appears): berth rolls it back by itself.
      await repo.write(`m/${NS}/web.yaml`, webYaml('v3', { readyPath: '/never.html', progressDeadlineSeconds: 6 }));
      await repo.commit('v3: never ready');
      await repo.push();
      await eventually(
        async () => {
          assertAlive();
          const status = JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8')) as { revisions?: Record<string, { outcome: string }[]> };
          assert.ok(
            (status.revisions?.[`${NS}/web`] ?? []).some((r) => r.outcome === 'failed'),
            'v3 recorded as failed',
          );
          const web = await running();
          assert.deepEqual([web.length, [...new Set(web.map((r) => r.revision))]], [3, [good]], 'back to 3 replicas of v2');
        },
        { timeoutMs: 120_000, what: 'v3 rolled back' },
      );
      await repo.write(`m/${NS}/web.yaml`, webYaml('v2', { replicas: 2 }));
      await repo.commit('web: 2 replicas');
      await repo.push();
      await eventually(async () => assert.equal((await running()).length, 2, 'scaled down to 2'), { timeoutMs: 60_000, what: 'scale-down' });
      await grows(client, '/log3');
    } finally {
      await sh(client, 'touch /stop3; sleep 4');
    }
    const lines = (await sh(client, 'cat /log3')).split('\n').filter((l) => l.startsWith('r:'));
    const bad = lines.filter((l) => !/^r:v2 /.test(l));
    t.diagnostic(`${lines.length} in-namespace requests across a failed rollout, its rollback and a scale-down; ${bad.length} failed or not from v2`);
    assert.deepEqual(bad, [], `0 failed of ${lines.length}; no answer from v3 (never ready) nor 'notready'`);
  });

  /** Runs `during` under a constant in-namespace load (the client calls web:80 in a loop); returns every answer line. */
  /** Waits until `file` in the client has `by` more lines than now: the load goes on after an action (an event, not a count at a fixed time). */
  const grows = async (client: string, file: string, by = 10): Promise<void> => {
    const now = Number(await sh(client, `wc -l < ${file}`));
    await eventually(async () => assert.ok(Number(await sh(client, `wc -l < ${file}`)) >= now + by, 'the load goes on'), {
      timeoutMs: 20_000,
      what: 'load after',
    });
  };
  const underLoad = async (tag: string, during: (client: string) => Promise<void>): Promise<string[]> => {
    const client = await clientOf(NS);
    const loop = `rm -f /stop-${tag} /log-${tag}; while [ ! -f /stop-${tag} ]; do r=$(${GET('web', 80)}); echo "r:$r" >> /log-${tag}; done`;
    await sh(client, `(${loop}) >/dev/null 2>&1 </dev/null &`);
    try {
      await eventually(async () => assert.ok(Number(await sh(client, `wc -l < /log-${tag}`)) > 10, 'the load runs'), {
        timeoutMs: 20_000,
        what: 'load before',
      });
      await during(client);
      await grows(client, `/log-${tag}`);
    } finally {
      await sh(client, `touch /stop-${tag}; sleep 4`);
    }
    return (await sh(client, `cat /log-${tag}`)).split('\n').filter((l) => l.startsWith('r:'));
  };
  const webRunning = async () => (await ownedContainers(scope.instance)).filter((r) => r.deployment === 'web' && r.state === 'running');

  it('a liveness restart under in-namespace load: the failing replica leaves the rotation first; 0 failed, none answered by a replica that was not ready', async (t) => {
    await repo.write(`m/${NS}/web.yaml`, webYaml('v2', { replicas: 2, liveness: true }));
    await repo.commit('web: liveness probe');
    await repo.push();
    await eventually(
      async () => {
        assertAlive();
        const web = await webRunning();
        assert.equal(web.length, 2);
        assert.equal(new Set(web.map((r) => r.revision)).size, 1, 'one revision');
        const labels = (await dockerClient().getContainer(web[0]!.id).inspect()).Config.Labels;
        assert.match(labels['berth.probes'] ?? '', /alive/, 'the new revision has the liveness probe');
      },
      { timeoutMs: 120_000, what: 'web with liveness' },
    );
    let restarted = '';
    const lines = await underLoad('live', async () => {
      const victim = (await webRunning())[0]!;
      restarted = victim.id;
      const before = (await dockerClient().getContainer(victim.id).inspect()).State.StartedAt;
      await sh(victim.id, 'rm -f /www/alive.html');
      // The failing replica is drained and stopped; the crash back-off path brings it back (the same container, or a new one).
      await eventually(
        async () => {
          assertAlive();
          const info = await dockerClient()
            .getContainer(victim.id)
            .inspect()
            .catch(() => undefined);
          assert.ok(!info || info.State.StartedAt !== before, 'the replica was stopped');
          const web = await webRunning();
          assert.equal(web.length, 2, 'two replicas run again');
          for (const r of web) assert.match(await sh(r.id, 'cat /www/index.html'), /^v2 /, 'and both serve');
        },
        { timeoutMs: 60_000, what: 'liveness restart' },
      );
      await sh(await clientOf(NS), 'sleep 2');
    });
    const bad = lines.filter((l) => !/^r:v2 /.test(l));
    t.diagnostic(`${lines.length} in-namespace requests across a liveness restart of ${restarted.slice(0, 12)}; ${bad.length} failed`);
    assert.deepEqual(bad, [], `0 failed of ${lines.length}; no 'notready' answer`);
  });

  it('a manual berth rollback under in-namespace load: 0 failed, none answered by a replica that was not ready', async (t) => {
    const from = (await webRunning())[0]!.revision;
    let to = '';
    const lines = await underLoad('rollback', async () => {
      const r = await runBerth(['rollback', `${NS}/web`, '--server', `http://127.0.0.1:${apiPort}`], { env: { BERTH_API_TOKEN: TOKEN } });
      assert.equal(r.code, 0, `berth rollback: ${r.stdout}${r.stderr}`);
      await eventually(
        async () => {
          assertAlive();
          const web = await webRunning();
          const revisions = [...new Set(web.map((x) => x.revision))];
          assert.equal(revisions.length, 1);
          assert.notEqual(revisions[0], from, 'rolled back to another revision');
          assert.equal(web.length, 2);
          to = revisions[0]!;
        },
        { timeoutMs: 120_000, what: 'the rollback' },
      );
      await sh(await clientOf(NS), 'sleep 2');
    });
    const bad = lines.filter((l) => !/^r:v2 /.test(l));
    t.diagnostic(`${lines.length} in-namespace requests across berth rollback ${from} → ${to}; ${bad.length} failed`);
    assert.deepEqual(bad, [], `0 failed of ${lines.length}; no 'notready' answer`);
  });

  it('addresses survive a kill -9 of the data plane (bounded failures for in-namespace callers meanwhile) and a berth restart', async (t) => {
    const before = await addresses();
    assert.deepEqual(Object.keys(before).sort(), ['api', 'multi', 'nobody', 'web']);
    const client = await clientOf(NS);
    const loop = `rm -f /stop2 /log2; while [ ! -f /stop2 ]; do r=$(${GET('web', 80)}); echo "r:$r" >> /log2; done`;
    await sh(client, `(${loop}) >/dev/null 2>&1 </dev/null &`);
    let killedAt = 0;
    try {
      await eventually(async () => assert.ok(Number(await sh(client, 'wc -l < /log2')) > 20, 'the load runs'), {
        timeoutMs: 20_000,
        what: 'load before the kill',
      });
      const pid = (await dataPlaneStatus(stateDir))!.pid;
      process.kill(pid, 'SIGKILL');
      killedAt = Date.now();
      await eventually(
        async () => {
          assertAlive();
          const status = await dataPlaneStatus(stateDir);
          assert.ok(status && status.pid !== pid, 'a new data plane answers');
          assert.deepEqual(await addresses(), before, 'the same addresses');
          assert.match(await sh(client, GET('web', 80)), /^v2 /);
        },
        { timeoutMs: 60_000, what: 'the data plane is back' },
      );
      t.diagnostic(`data plane back and serving ${Date.now() - killedAt} ms after kill -9`);
      await eventually(async () => assert.match(await sh(client, 'tail -n 5 /log2'), /(r:v2 .*\n){4}r:v2 /), {
        timeoutMs: 20_000,
        what: 'load succeeds again',
      });
    } finally {
      await sh(client, 'touch /stop2; sleep 4');
    }
    const lines = (await sh(client, 'cat /log2')).split('\n').filter((l) => l.startsWith('r:'));
    const failed = lines.filter((l) => !/^r:v2 /.test(l)).length;
    t.diagnostic(`${failed} failed of ${lines.length} in-namespace requests across the data plane's kill -9 and restart`);
    assert.ok(failed < lines.length / 2, `failures are bounded to the restart (${failed} of ${lines.length})`);

    // berth run itself killed -9 under load: the data plane outlives it and keeps serving its last tables.
    const duringBerthKill = await underLoad('berth-kill', async (c) => {
      await berth!.kill();
      await sh(c, 'sleep 2');
      berth = startDaemon();
      await eventually(async () => assert.ok(Number(await sh(c, 'wc -l < /log-berth-kill')) > 20), { timeoutMs: 20_000, what: 'load after' });
    });
    const failedDuringKill = duringBerthKill.filter((l) => !/^r:v2 /.test(l));
    t.diagnostic(`${failedDuringKill.length} failed of ${duringBerthKill.length} in-namespace requests across a kill -9 of berth run and its restart`);
    assert.ok(duringBerthKill.length > 20, `the load ran (${duringBerthKill.length})`);
    assert.deepEqual(failedDuringKill, [], 'the data plane serves on while berth run is dead: 0 failed');
    await eventually(
      async () => {
        assertAlive();
        const status = JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8')) as {
          namespaces: Record<string, { services?: { name: string; clusterIP?: string }[] }>;
        };
        const shown = Object.fromEntries(
          (status.namespaces[NS]?.services ?? []).flatMap((x) => (x.clusterIP && x.clusterIP !== 'None' ? [[x.name, x.clusterIP]] : [])),
        );
        assert.deepEqual(shown, before, 'status after the restart shows the same addresses');
      },
      { timeoutMs: 60_000, what: 'a restarted berth keeps the addresses' },
    );
    assert.deepEqual(await addresses(), before);
    assert.match(await sh(client, GET(`web.${NS}.svc.cluster.local`, 80)), /^v2 /);
  });
});

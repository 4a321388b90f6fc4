/**
 * East-west traffic during rolling updates: a client *inside* the namespace calling a Service of
 * 10 replicas by name, 16 loops, while the Deployment is rolled again and again. Side by side, in
 * one run, on the same engine and image:
 *
 *  - berth: the Service's name (`web.ew.svc.cluster.local`, what `web` becomes through the
 *    search list) → its virtual address → berth's kernel path (NAT rules the data plane writes;
 *    the data plane's listener for what needs it) → ready replicas only, drained
 *    before they stop;
 *  - Docker's alias DNS (what berth had before Services inside namespaces): the same berth, the
 *    same rollouts, the client calling the Deployment's network alias `web:8080` — Docker's
 *    embedded DNS answers every running replica, ready or not, until it is removed;
 *  - Swarm: a single-node swarm on the same engine, a service of 10 tasks with
 *    `--endpoint-mode dnsrr` on an attachable overlay network (the routing mesh and VIPs need
 *    IPVS, which this kernel lacks), a health check like berth's readiness probe, and
 *    `docker service update` with `--update-order start-first --update-parallelism 3`.
 *    A single-node swarm on this engine, not the 3-node rig, so that the three peers share the
 *    engine, the bridge path and the CPU; cross-node overlay traffic would measure VXLAN instead.
 *
 * The client (bench/east-west/client.ts) is a Node process entered into a client container's
 * network namespace (`nsenter --net`): packets leave from the container's address and its DNS is
 * the container's 127.0.0.11, while each request is timed with the host's clock. Every request
 * looks the name up (no caching, like `nc web 80`), opens a new connection, `GET /`; a failed
 * lookup, a refused/reset/timed-out connection or a non-200 answer is a failed request.
 *
 * Latency: with nothing rolling, 16 loops alternately through the Service's virtual address
 * (port 80: berth's path, the kernel's rules) and straight to the replicas' addresses (port 8080,
 * round-robin), both addresses looked up once: the difference of the medians is what berth adds.
 *
 * Goals (issue #9): berth 0 failed of ≥ 20,000 east-west requests; added latency ≤ 0.5 ms median
 * at 16 loops. Rollouts go on back to back until berth's load passed --min-requests (at least
 * --min-rollouts, at most --max-rollouts); the other peers get the same number of rollouts.
 *
 *   node --import tsx bench/east-west.ts [--replicas 10] [--loops 16] [--min-requests 20000]
 *        [--min-rollouts 2] [--max-rollouts 8] [--steady-ms 3000] [--steady-rounds 2] [--peers berth,alias,swarm] [--json FILE] [--logs DIR]
 *
 * Everything it creates (berth and its data plane, containers and networks under a unique
 * instance label, the swarm service, overlay network and client, the swarm itself if it created
 * it, temp folders) is removed at the end, on error and on Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { daemonFlags, runBerth, startBerth } from '../test/helpers/berth-cli.js';
import { dataPlaneStatus, stopDataPlane } from '../test/helpers/data-plane.js';
import { dockerClient, dockerScope, TEST_IMAGE, TEST_RUN_LABEL } from '../test/helpers/docker-scope.js';
import { deploymentYaml, serviceYaml, webCommand } from '../test/helpers/manifests.js';
import { localRepo } from '../test/helpers/tmp-repo.js';
import { freePort } from '../test/helpers/webhook-hook.js';
import { ownedContainers } from '../test/helpers/world.js';
import { Cleanups, isInterrupted, runBenchmark } from './cleanup.js';
import type { Report, Target } from './east-west/client.js';
import { InNamespaceClient } from './east-west/in-namespace.js';
import { now, sleep, waitFor as waitUntil } from './push-to-serve/clock.js';
import { ms, quantile } from './reconcile/stats.js';
import { createService, dockerCli, ensureSwarm, removeService, tasksOf, updateService, updateStatus } from './rollout/swarm.js';
import { sourceFingerprint } from './source-fingerprint.js';

const NS = 'ew';
const NAME = 'web';
const SERVICE_PORT = 80;
const TARGET_PORT = 8080;
/** Once a year: no poll fires during the run; every change is triggered through the API. */
const NEVER = '0 0 0 1 1 *';
const REQUESTS_GOAL = 20_000;
const ADDED_LATENCY_GOAL_MS = 0.5;
const MAX_SURGE = 3;
const API_TOKEN = `bench-${randomBytes(12).toString('hex')}`;

type Peer = 'berth' | 'alias' | 'swarm';
const PEERS: readonly Peer[] = ['berth', 'alias', 'swarm'];

interface Options {
  readonly replicas: number;
  readonly loops: number;
  readonly minRequests: number;
  readonly minRollouts: number;
  readonly maxRollouts: number;
  readonly steadyMs: number;
  /** Windows per path, alternating (more rounds: less drift of a shared host between the two paths). */
  readonly steadyRounds: number;
  readonly peers: readonly Peer[];
  readonly json: string | undefined;
  /** A folder for berth's and its data plane's logs (kept after the run). */
  readonly logs: string | undefined;
}

interface RolloutRun {
  readonly ms: number;
  readonly ok: number;
  readonly failed: number;
}

interface PeerResult {
  readonly peer: Peer;
  readonly description: string;
  readonly rollouts: RolloutRun[];
  ok: number;
  failed: number;
  /** Name lookups over 1 s (a request that waited on DNS; failed only after glibc's 2 × 5 s). */
  slowLookups: number;
  errors: string[];
  latencies: number[];
}

interface SteadyLatency {
  readonly path: string;
  /** CPU time of berth's data plane process per request (ms), when it was on the path. */
  readonly dataPlaneCpuMs?: number;
  readonly requests: number;
  readonly failed: number;
  readonly median: number;
  readonly p99: number;
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

const cleanups = new Cleanups(progress);

function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  return waitUntil(what, timeoutMs, check, () => isInterrupted());
}

function peerResult(peer: Peer, description: string): PeerResult {
  return { peer, description, rollouts: [], ok: 0, failed: 0, slowLookups: 0, errors: [], latencies: [] };
}

/** User + system CPU time of a process so far, in ms (NaN when it cannot be read). */
async function cpuMsOf(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of proc(5))
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

function absorb(result: PeerResult, r: Report): void {
  result.ok += r.ok;
  result.failed += r.failed;
  result.slowLookups += r.slowLookups;
  for (const e of r.errors) if (result.errors.length < 10) result.errors.push(e);
  for (const l of r.latencies) result.latencies.push(l);
}

/** Load on `client` while `roll(k)` rolls out revision k and returns when it is complete; until `enough`. */
async function rollUnderLoad(
  result: PeerResult,
  client: InNamespaceClient,
  roll: (k: number) => Promise<void>,
  enough: (result: PeerResult) => boolean,
): Promise<void> {
  await client.report(); // what ran before the load's target was set is not counted
  await sleep(500);
  absorb(result, await client.report());
  for (let k = 2; ; k++) {
    const t = now();
    await roll(k);
    const r = await client.report();
    absorb(result, r);
    result.rollouts.push({ ms: now() - t, ok: r.ok, failed: r.failed });
    const gaps = r.gaps.map(([a, b]) => `${new Date(a).toISOString().slice(11, 23)}+${b - a} ms`);
    progress(
      `${result.peer}: rollout to v${k} in ${ms(now() - t)}: ${r.failed} failed of ${r.ok + r.failed} requests${r.slowLookups > 0 ? `, ${r.slowLookups} lookups over 1 s` : ''}${gaps.length > 0 ? `; no answer for ${gaps.join(', ')}` : ''}`,
    );
    if (enough(result)) break;
  }
}

// ---------------------------------------------------------------- berth (and the alias peer on the same berth)

async function runBerthPeers(options: Options, scratch: string): Promise<{ results: PeerResult[]; steady: SteadyLatency[] }> {
  const scope = dockerScope('east-west');
  cleanups.push(() => scope.cleanup());
  const repo = await localRepo();
  cleanups.push(() => repo.cleanup());
  const web = (text: string) =>
    deploymentYaml({
      name: NAME,
      replicas: options.replicas,
      command: webCommand(text),
      port: TARGET_PORT,
      strategy: { maxSurge: MAX_SURGE, maxUnavailable: 0 },
      readinessProbe: { path: '/', port: TARGET_PORT, periodSeconds: 1 },
      terminationGracePeriodSeconds: 5,
    });
  await repo.write(`manifests/${NS}/web.yaml`, web('v1'));
  await repo.write(`manifests/${NS}/web-service.yaml`, serviceYaml({ name: NAME, port: SERVICE_PORT, targetPort: TARGET_PORT, type: 'ClusterIP' }));
  await repo.write(`manifests/${NS}/client.yaml`, deploymentYaml({ name: 'client', command: ['sleep', '1000000'] }));
  const v1 = await repo.commit('v1');
  const stateDir = path.join(scratch, 'berth-state');
  await fsp.mkdir(stateDir);
  cleanups.push(() => stopDataPlane(stateDir));
  const apiPort = await freePort();
  const flags = daemonFlags({ repo: repo.dir, stateDir, instance: scope.instance, poll: NEVER, listen: `127.0.0.1:${apiPort}` });
  const berth = startBerth([...flags, '--ingress-listen', `127.0.0.1:${await freePort()}`, ...(options.logs ? ['--log-level', 'debug'] : [])], {
    env: { BERTH_API_TOKEN: API_TOKEN },
  });
  cleanups.push(async () => {
    await berth.stop();
    if (!options.logs) return;
    await fsp.mkdir(options.logs, { recursive: true });
    await fsp.writeFile(path.join(options.logs, 'berth.log'), berth.logs());
    await fsp.copyFile(path.join(stateDir, 'proxy.log'), path.join(options.logs, 'berth-proxy.log')).catch(() => undefined);
  });
  const cliFlags = ['--repo', repo.dir, '--path', 'manifests', '--state-dir', stateDir, '--instance', scope.instance];
  const rolledOut = async (commit: string) => {
    const r = await runBerth(['rollout', 'status', `${NS}/${NAME}`, ...cliFlags, '--commit', commit, '--timeout', '300'], { timeoutMs: 320_000 });
    if (r.code !== 0) throw new Error(`berth rollout status ${commit.slice(0, 12)} exited ${r.code}: ${r.stdout}${r.stderr}\n${berth.logs().slice(-3000)}`);
  };
  const sync = async () => {
    const res = await fetch(`http://127.0.0.1:${apiPort}/api/v1/sync`, { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}` } });
    if (res.status !== 202) throw new Error(`POST /api/v1/sync answered ${res.status}: ${await res.text()}`);
  };

  let t = now();
  await waitFor('berth to answer its API', 60_000, async () => ((await fetch(`http://127.0.0.1:${apiPort}/healthz`)).ok ? true : undefined));
  await rolledOut(v1);
  const [clientId, clientPid] = await waitFor('the client replica to run', 60_000, async () => {
    const c = (await ownedContainers(scope.instance)).find((r) => r.namespace === NS && r.deployment === 'client' && r.state === 'running');
    if (!c) return undefined;
    const pid = (await dockerClient().getContainer(c.id).inspect()).State.Pid;
    return pid > 0 ? ([c.id, pid] as const) : undefined;
  });
  progress(`berth: ${options.replicas} replicas of v1 ready and a client replica running ${ms(now() - t)} after start`);

  const client = await InNamespaceClient.start(clientPid, options.loops);
  cleanups.push(async () => client.kill());
  const fqdn = `${NAME}.${NS}.svc.cluster.local`;
  const vip = await waitFor('the Service name to resolve inside the namespace', 30_000, async () => (await client.resolve(fqdn))[0]);
  const direct = await waitFor(`all ${options.replicas} replicas behind the alias`, 30_000, async () => {
    const a = await client.resolve(NAME);
    return a.length === options.replicas ? a : undefined;
  });
  progress(`berth: ${fqdn} → ${vip}; the alias ${NAME} → ${direct.length} replica addresses`);

  // Steady state: through the data plane vs straight to the replicas, alternately, at 1 loop (no queueing) and at --loops.
  const dataPlanePid = (await dataPlaneStatus(stateDir))?.pid;
  const window = async (target: Target, cpuOf?: number): Promise<{ report: Report; cpuMs: number }> => {
    await client.target(target);
    await sleep(300);
    await client.report();
    const cpu = await cpuMsOf(cpuOf);
    await sleep(options.steadyMs);
    const report = await client.report();
    return { report, cpuMs: (await cpuMsOf(cpuOf)) - cpu };
  };
  const steadyOf = (p: string, reports: readonly Report[], cpuMs?: number): SteadyLatency => {
    const latencies = reports.flatMap((r) => r.latencies);
    const requests = reports.reduce((n, r) => n + r.ok + r.failed, 0);
    return {
      path: p,
      ...(cpuMs !== undefined && Number.isFinite(cpuMs) && requests > 0 ? { dataPlaneCpuMs: cpuMs / requests } : {}),
      requests,
      failed: reports.reduce((n, r) => n + r.failed, 0),
      median: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
    };
  };
  const steady: SteadyLatency[] = [];
  for (const loops of [1, options.loops]) {
    await client.loops(loops);
    const through: Report[] = [];
    const straight: Report[] = [];
    let throughCpuMs = 0;
    for (let round = 0; round < options.steadyRounds; round++) {
      const a = await window({ kind: 'addresses', addresses: [vip], port: SERVICE_PORT }, dataPlanePid);
      through.push(a.report);
      throughCpuMs += a.cpuMs;
      straight.push((await window({ kind: 'addresses', addresses: direct, port: TARGET_PORT })).report);
    }
    steady.push(
      steadyOf(`${loops} loop${loops === 1 ? '' : 's'}, through the Service's address (${vip}:${SERVICE_PORT}, berth's kernel path)`, through, throughCpuMs),
      steadyOf(`${loops} loop${loops === 1 ? '' : 's'}, straight to the replicas (${direct.length} addresses, :${TARGET_PORT})`, straight),
    );
  }
  // The name lookups alone: the Service's name (Docker's DNS forwards it to berth's namespace DNS) vs the alias (Docker answers itself).
  const gateway = Object.values((await dockerClient().getContainer(clientId).inspect()).NetworkSettings.Networks)[0]?.Gateway;
  const lookupTargets: { path: string; target: Target }[] = [
    { path: `lookup of the Service's name ${fqdn} (Docker's DNS → berth's namespace DNS)`, target: { kind: 'lookup', name: fqdn } },
    ...(gateway
      ? [
          {
            path: `lookup of the Service's name at berth's namespace DNS (${gateway}) directly`,
            target: { kind: 'lookup' as const, name: fqdn, server: gateway },
          },
        ]
      : []),
    { path: `lookup of the alias ${NAME} (Docker's DNS answers)`, target: { kind: 'lookup', name: NAME } },
  ];
  const lookups: Report[][] = lookupTargets.map(() => []);
  for (let round = 0; round < 2; round++) {
    for (const [i, l] of lookupTargets.entries()) lookups[i]!.push((await window(l.target)).report);
  }
  steady.push(...lookupTargets.map((l, i) => steadyOf(`${options.loops} loops, ${l.path}`, lookups[i]!)));
  for (const s of steady)
    progress(
      `steady, ${s.path}: ${s.requests} requests, median ${s.median.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms${s.dataPlaneCpuMs !== undefined ? `, data plane CPU ${(s.dataPlaneCpuMs * 1000).toFixed(0)} µs per request` : ''}`,
    );

  let revision = 1;
  const roll = async () => {
    revision++;
    await repo.write(`manifests/${NS}/web.yaml`, web(`v${revision}`));
    const sha = await repo.commit(`v${revision}`);
    await sync();
    await rolledOut(sha);
  };

  const berthResult = peerResult(
    'berth',
    `berth: the Service's name (${fqdn}) → its virtual address → berth's kernel path (NAT rules the data plane keeps); RollingUpdate maxSurge ${MAX_SURGE}, maxUnavailable 0, readiness every 1 s`,
  );
  const results = [berthResult];
  if (options.peers.includes('berth')) {
    await client.target({ kind: 'name', name: fqdn, port: SERVICE_PORT });
    await rollUnderLoad(
      berthResult,
      client,
      roll,
      (r) => r.rollouts.length >= options.maxRollouts || (r.rollouts.length >= options.minRollouts && r.ok + r.failed >= options.minRequests),
    );
  }
  if (options.peers.includes('alias')) {
    const count = Math.max(options.minRollouts, berthResult.rollouts.length);
    const alias = peerResult(
      'alias',
      `Docker's alias DNS: the same berth and rollouts, the client calling the Deployment's network alias (${NAME}:${TARGET_PORT}) as before this wave`,
    );
    await client.target({ kind: 'name', name: NAME, port: TARGET_PORT });
    await rollUnderLoad(alias, client, roll, (r) => r.rollouts.length >= count);
    results.push(alias);
  }
  await client.stop();
  t = now();
  await berth.stop();
  progress(`berth: stopped in ${ms(now() - t)}`);
  return { results: options.peers.includes('berth') ? results : results.slice(1), steady };
}

// ---------------------------------------------------------------- Swarm

async function runSwarm(options: Options, rollouts: number): Promise<PeerResult> {
  const docker = dockerClient();
  const suffix = randomBytes(3).toString('hex');
  const name = `ew-${suffix}`;
  const network = `ew-net-${suffix}`;
  const swarm = await ensureSwarm(docker, progress);
  cleanups.push(swarm.leave);
  await dockerCli(['network', 'create', '--driver', 'overlay', '--attachable', '--label', `${TEST_RUN_LABEL}=east-west`, network]);
  cleanups.push(async () => void (await dockerCli(['network', 'rm', network]).catch(() => undefined)));
  const imageId = (await docker.getImage(TEST_IMAGE).inspect()).Id;
  const t = now();
  await createService({
    name,
    imageId,
    replicas: options.replicas,
    version: 'v1',
    command: webCommand('v1'),
    labels: { [TEST_RUN_LABEL]: 'east-west' },
    parallelism: MAX_SURGE,
    network,
    endpointMode: 'dnsrr',
    publish: false,
  });
  cleanups.push(() => removeService(docker, name));
  const healthy = async () => {
    const tasks = await tasksOf(docker, name, { 'desired-state': ['running'] });
    if (tasks.length !== options.replicas || tasks.some((x) => x.state !== 'running')) return undefined;
    for (const x of tasks) {
      const health = (await docker.getContainer(x.containerId!).inspect()).State.Health?.Status;
      if (health !== 'healthy') return undefined;
    }
    return tasks;
  };
  await waitFor(`swarm: ${options.replicas} healthy tasks`, 180_000, healthy);
  progress(`swarm: service ${name} runs ${options.replicas} healthy tasks ${ms(now() - t)} after create`);
  const container = await docker.createContainer({
    Image: TEST_IMAGE,
    Cmd: ['sleep', '1000000'],
    Labels: { [TEST_RUN_LABEL]: 'east-west' },
    HostConfig: { Init: true, NetworkMode: network },
  });
  cleanups.push(async () => void (await container.remove({ force: true }).catch(() => undefined)));
  await container.start();
  const pid = (await container.inspect()).State.Pid;
  const client = await InNamespaceClient.start(pid, options.loops);
  cleanups.push(async () => client.kill());
  await waitFor(`the swarm service name to resolve to ${options.replicas} tasks`, 30_000, async () =>
    (await client.resolve(name)).length === options.replicas ? true : undefined,
  );
  const result = peerResult(
    'swarm',
    `Swarm (single node, same engine): --endpoint-mode dnsrr on an overlay network, health check every 1 s, start-first, parallelism ${MAX_SURGE}`,
  );
  await client.target({ kind: 'name', name, port: TARGET_PORT });
  await rollUnderLoad(
    result,
    client,
    async (k) => {
      const before = (await updateStatus(docker, name)).startedAt;
      await updateService(name, `v${k}`);
      await waitFor(`swarm update to v${k}`, 300_000, async () => {
        const u = await updateStatus(docker, name);
        if (u.state === 'paused' || u.state === 'rollback_completed') throw new Error(`swarm update ${u.state}: ${u.message}`);
        return u.state === 'completed' && u.startedAt !== before ? true : undefined;
      });
    },
    (r) => r.rollouts.length >= rollouts,
  );
  await client.stop();
  return result;
}

// ---------------------------------------------------------------- report

async function render(options: Options, results: readonly PeerResult[], steady: readonly SteadyLatency[]): Promise<string> {
  const lines: string[] = [];
  const berth = results.find((r) => r.peer === 'berth');
  // steady: [1 loop through, 1 loop straight, N loops through, N loops straight, lookups…]
  const [through1, straight1, through, straight] = steady;
  const added = through && straight ? through.median - straight.median : Number.NaN;
  const added1 = through1 && straight1 ? through1.median - straight1.median : Number.NaN;
  lines.push('## East-west: a Service called by name from inside the namespace during rollouts', '');
  lines.push(`${os.cpus().length} cores, ${options.replicas} replicas, ${options.loops} client loops, source ${await sourceFingerprint()}`, '');
  lines.push('| goal | measured | verdict |', '|---|---|---|');
  if (berth) {
    const total = berth.ok + berth.failed;
    lines.push(
      `| berth: 0 failed of ≥ ${REQUESTS_GOAL.toLocaleString('en')} east-west requests during rollouts | ${berth.failed} failed of ${total.toLocaleString('en')} (${berth.rollouts.length} rollouts) | ${berth.failed === 0 && total >= REQUESTS_GOAL ? 'met' : 'MISSED'} |`,
    );
  }
  if (Number.isFinite(added))
    lines.push(
      `| latency added by berth's path to a Service ≤ ${ADDED_LATENCY_GOAL_MS} ms median at ${options.loops} loops | ${added.toFixed(3)} ms (${through!.median.toFixed(3)} vs ${straight!.median.toFixed(3)} ms direct); at 1 loop ${added1.toFixed(3)} ms | ${added <= ADDED_LATENCY_GOAL_MS ? 'met' : 'MISSED'} |`,
    );
  lines.push('', '| peer | rollouts | requests | failed | lookups over 1 s | median rollout | request median / p99 |', '|---|---|---|---|---|---|---|');
  for (const r of results) {
    const durations = r.rollouts.map((x) => x.ms);
    lines.push(
      `| ${r.peer} | ${r.rollouts.length} | ${(r.ok + r.failed).toLocaleString('en')} | ${r.failed} | ${r.slowLookups} | ${ms(quantile(durations, 0.5))} | ${quantile(r.latencies, 0.5).toFixed(2)} / ${quantile(r.latencies, 0.99).toFixed(2)} ms |`,
    );
  }
  lines.push('');
  for (const r of results) {
    lines.push(`- **${r.peer}**: ${r.description}.`);
    if (r.errors.length > 0) lines.push(`  First failures: ${r.errors.slice(0, 4).join('; ')}`);
  }
  if (steady.length > 0) {
    lines.push(
      '',
      `Nothing rolling, alternately (${options.steadyRounds} windows each): requests to addresses looked up once, then name lookups alone:`,
      '',
      '| path | requests | failed | median | p99 | data plane CPU per request |',
      '|---|---|---|---|---|---|',
    );
    for (const s of steady)
      lines.push(
        `| ${s.path} | ${s.requests.toLocaleString('en')} | ${s.failed} | ${s.median.toFixed(3)} ms | ${s.p99.toFixed(3)} ms | ${s.dataPlaneCpuMs !== undefined ? `${(s.dataPlaneCpuMs * 1000).toFixed(0)} µs` : '–'} |`,
      );
  }
  lines.push(
    '',
    "Requests during rollouts look the name up each time (Docker's embedded DNS at 127.0.0.11, which forwards Service names to berth's namespace DNS; glibc's resolver defaults: 5 s timeout, 2 attempts), so the request medians include a DNS lookup.",
  );
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- entry

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      replicas: { type: 'string', default: '10' },
      loops: { type: 'string', default: '16' },
      'min-requests': { type: 'string', default: String(REQUESTS_GOAL) },
      'min-rollouts': { type: 'string', default: '2' },
      'max-rollouts': { type: 'string', default: '8' },
      'steady-ms': { type: 'string', default: '3000' },
      'steady-rounds': { type: 'string', default: '2' },
      peers: { type: 'string', default: PEERS.join(',') },
      json: { type: 'string' },
      logs: { type: 'string' },
    },
  });
  const int = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min} (got ${JSON.stringify(v)})`);
    return n;
  };
  const peers = values.peers!.split(',').map((p) => p.trim());
  for (const p of peers) if (!PEERS.includes(p as Peer)) throw new Error(`--peers: unknown peer ${JSON.stringify(p)} (known: ${PEERS.join(', ')})`);
  return {
    replicas: int('replicas', values.replicas!, 2),
    loops: int('loops', values.loops!, 1),
    minRequests: int('min-requests', values['min-requests']!, 0),
    minRollouts: int('min-rollouts', values['min-rollouts']!, 1),
    maxRollouts: int('max-rollouts', values['max-rollouts']!, 1),
    steadyMs: int('steady-ms', values['steady-ms']!, 100),
    steadyRounds: int('steady-rounds', values['steady-rounds']!, 1),
    peers: peers as Peer[],
    json: values.json,
    logs: values.logs,
  };
}

async function main(): Promise<number> {
  const options = parseOptions();
  const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-east-west-'));
  cleanups.push(() => fsp.rm(scratch, { recursive: true, force: true }));
  const results: PeerResult[] = [];
  let steady: SteadyLatency[] = [];
  if (options.peers.includes('berth') || options.peers.includes('alias')) {
    const b = await runBerthPeers(options, scratch);
    results.push(...b.results);
    steady = b.steady;
  }
  if (options.peers.includes('swarm')) {
    const rollouts = Math.max(options.minRollouts, ...results.map((r) => r.rollouts.length));
    try {
      results.push(await runSwarm(options, rollouts));
    } catch (err) {
      if (isInterrupted()) throw err;
      // The other peers' figures stand on their own: report them, and say why Swarm's are missing.
      const why = err instanceof Error ? err.message : String(err);
      progress(`swarm: did not finish (${why}); reporting the other peers`);
      results.push(peerResult('swarm', `Swarm (single node, same engine, --endpoint-mode dnsrr): did not finish: ${why}`));
    }
  }
  const text = await render(options, results, steady);
  process.stdout.write(text);
  if (options.json)
    await fsp.writeFile(options.json, `${JSON.stringify({ options, results: results.map(({ latencies: _l, ...r }) => r), steady }, null, 2)}\n`);
  const berth = results.find((r) => r.peer === 'berth');
  return berth && berth.failed > 0 ? 1 : 0;
}

runBenchmark({ main, cleanups, progress });

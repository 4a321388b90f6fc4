/**
 * berth on a 3-node Docker Swarm against Swarm's own rolling update, in one run, on the test rig
 * (scripts/swarm-rig.sh: three dockerds in network namespaces, dispatcher heartbeat 1 s).
 *
 *  - berth: `berth run --driver swarm` against the manager, a local Git repository (poll every
 *    second). Deployment `web`: 10 replicas, RollingUpdate maxSurge 2 / maxUnavailable 0,
 *    readinessProbe httpGet `/` every 1 s, grace 5 s; a LoadBalancer Service on this host (berth's
 *    data plane, reaching each replica at its node's address). Rollout time = from the commit to:
 *    10 running replicas of the new revision, the data plane routing exactly 10, answers saying the
 *    new text (it includes up to one poll interval, 1 s, to see the commit).
 *  - Swarm: one replicated service of 10 tasks, same image and command, --init, healthcheck every
 *    1 s (HTTP GET through busybox nc), update parallelism 2 (= maxSurge), start-first, delay 0,
 *    monitor 2 s, stop grace 5 s, restart condition any; host-mode ephemeral ports (no routing mesh
 *    on this kernel) behind the naive LB a Swarm user would run (bench/rollout/naive-lb.ts: berth's
 *    proxy class, backends = tasks running per the manager, refreshed every 250 ms). Rollout time
 *    = from `service update` (an env change) to 10 running tasks of the new spec and none of the
 *    old one.
 *  - Node loss, each: `kill -9` of the dockerd (and containers) of the worker with the most
 *    replicas; time until every replica serves again on the other nodes (berth: 10 running and
 *    routed; Swarm: 10 running tasks, none on the killed node). Goal: heartbeat × 2 + one replica
 *    start.
 * A load client counts every failed request through each one's front door during its rollouts
 * and its node loss. Goals (issue #12): 0 failed requests in the rollout; berth's rollout ≤
 * Swarm's. Markdown to stdout, progress to stderr; exit 1 only when the benchmark itself failed.
 *
 *   node --import tsx bench/swarm.ts [--runs 2] [--concurrency 8]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startBerth, type BerthDaemon } from '../test/helpers/berth-cli.js';
import { backendsOf, dataPlaneStatus, stopDataPlane } from '../test/helpers/data-plane.js';
import { underLoad, type LoadStats } from '../test/helpers/load.js';
import { deploymentYaml, serviceYaml, webCommand } from '../test/helpers/manifests.js';
import { killNode, managerDocker, startNode, SWARM_NODE_SOCKET, swarmCleanup, swarmRigUp, type SwarmNode } from '../test/helpers/swarm.js';
import { localRepo, type LocalRepo } from '../test/helpers/tmp-repo.js';
import { freePort } from '../test/helpers/webhook-hook.js';
import { Cleanups, isInterrupted, runBenchmark } from './cleanup.js';
import { now, waitFor } from './push-to-serve/clock.js';
import { NaiveLb } from './rollout/naive-lb.js';
import { HEALTH_CMD } from './rollout/swarm.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '2' }, concurrency: { type: 'string', default: '8' } } });
const RUNS = Number(args.runs);
const CONCURRENCY = Number(args.concurrency);
const REPLICAS = 10;
const MAX_SURGE = 2;
const HEARTBEAT_S = 1;
const progress = (m: string) => process.stderr.write(`[bench/swarm] ${m}\n`);
const cleanups = new Cleanups(progress);

interface Task {
  readonly service: string;
  readonly state: string;
  readonly desired: string;
  readonly node: SwarmNode | undefined;
  readonly address: string | undefined;
  readonly port: number | undefined;
  readonly version: string | undefined;
  readonly revision: string | undefined;
  readonly created: string;
}

/** Every task of the services labelled `berth.instance=<instance>`, with its node. */
async function tasksOf(instance: string): Promise<Task[]> {
  const manager = managerDocker();
  const [services, tasks, nodes] = await Promise.all([
    manager.listServices({ filters: { label: [`berth.instance=${instance}`] } }),
    manager.listTasks() as Promise<any[]>,
    manager.listNodes() as Promise<any[]>,
  ]);
  const byId = new Map(services.map((s) => [s.ID, s]));
  const node = new Map(nodes.map((n) => [n.ID as string, { host: n.Description?.Hostname as SwarmNode, address: n.Status?.Addr as string }]));
  return tasks
    .filter((t) => byId.has(t.ServiceID))
    .map((t) => ({
      service: t.ServiceID as string,
      state: t.Status?.State ?? '',
      desired: t.DesiredState ?? '',
      node: node.get(t.NodeID)?.host,
      address: node.get(t.NodeID)?.address,
      port: t.Status?.PortStatus?.Ports?.find((p: { TargetPort?: number }) => p.TargetPort === 8080)?.PublishedPort,
      version: (t.Spec?.ContainerSpec?.Env as string[] | undefined)?.find((e) => e.startsWith('VERSION='))?.slice(8),
      revision: byId.get(t.ServiceID)?.Spec?.Labels?.['berth.revision'],
      created: t.CreatedAt ?? '',
    }));
}

/** The newest task of each service (berth: one service per replica). */
function newestPerService(tasks: readonly Task[]): Task[] {
  const out = new Map<string, Task>();
  for (const t of tasks) if (!out.has(t.service) || t.created > out.get(t.service)!.created) out.set(t.service, t);
  return [...out.values()];
}

/** Answers through a front door, all saying `text`. */
async function answersAre(port: number, text: string): Promise<boolean> {
  const answers = await Promise.all(Array.from({ length: 6 }, () => fetch(`http://127.0.0.1:${port}/`).then((r) => r.text())));
  return answers.every((a) => a.startsWith(`${text} `));
}

/** The worker running most of `tasks` (never the manager: losing it is losing the cluster). */
function victimOf(tasks: readonly Task[]): SwarmNode {
  const count = (n: SwarmNode) => tasks.filter((t) => t.node === n && t.state === 'running').length;
  return count('node2') >= count('node3') ? 'node2' : 'node3';
}

interface PeerResult {
  rollouts: number[];
  rolloutLoad: LoadStats;
  nodeLoss: number;
  nodeLossLoad: LoadStats;
  victim: SwarmNode;
}

const withLoad = <T>(port: number, fn: () => Promise<T>) => underLoad({ port, concurrency: CONCURRENCY }, fn);

async function benchBerth(): Promise<PeerResult> {
  const instance = `bench-swarm-${randomBytes(3).toString('hex')}`;
  const repo: LocalRepo = await localRepo();
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'berth-bench-swarm-'));
  const port = await freePort();
  let berth: BerthDaemon | undefined;
  const release = async () => {
    await berth?.stop();
    await stopDataPlane(stateDir).catch(() => undefined);
    await swarmCleanup(instance);
    await repo.cleanup();
    await rm(stateDir, { recursive: true, force: true });
  };
  cleanups.push(release);
  const web = (text: string) =>
    deploymentYaml({
      name: 'web',
      replicas: REPLICAS,
      command: webCommand(text),
      port: 8080,
      strategy: { maxSurge: MAX_SURGE, maxUnavailable: 0 },
      readinessProbe: { path: '/', port: 8080, periodSeconds: 1 },
      progressDeadlineSeconds: 120,
    });
  const commit = async (text: string) => {
    await repo.write('manifests/bench/web.yaml', web(text));
    return repo.commit(text);
  };
  await repo.write('manifests/bench/svc.yaml', serviceYaml({ name: 'web', port, targetPort: 8080 }));
  await commit('v1');
  berth = startBerth(
    ['--repo', repo.dir, '--path', 'manifests', '--state-dir', stateDir, '--instance', instance, '--poll', '*/1 * * * * *', '--listen', '127.0.0.1:0'].concat([
      '--driver',
      'swarm',
      '--docker-socket',
      SWARM_NODE_SOCKET.node1,
      '--ingress-listen',
      `127.0.0.1:${await freePort()}`,
      '--log-level',
      'debug',
    ]),
  );
  const serving = (text: string, avoid?: SwarmNode) =>
    waitFor(
      `berth serving ${text}`,
      300_000,
      async () => {
        if (berth?.child.exitCode !== null) throw new Error(`berth exited:\n${berth?.logs().slice(-2000)}`);
        const current = newestPerService(await tasksOf(instance));
        const revisions = new Set(current.map((t) => t.revision));
        if (current.length !== REPLICAS || revisions.size !== 1 || current.some((t) => t.state !== 'running' || (avoid && t.node === avoid))) return undefined;
        if (backendsOf(await dataPlaneStatus(stateDir), 'bench', 'web').length !== REPLICAS) return undefined;
        return (await answersAre(port, text)) ? current : undefined;
      },
      isInterrupted,
    );
  progress('berth: converging v1 (10 replicas over 3 nodes)');
  await serving('v1');
  const rollouts: number[] = [];
  const { load: rolloutLoad } = await withLoad(port, async () => {
    for (let run = 0; run < RUNS; run++) {
      const text = `v${run + 2}`;
      const t0 = now();
      await commit(text);
      await serving(text);
      rollouts.push(now() - t0);
      progress(`berth: rollout to ${text} in ${Math.round(rollouts.at(-1)!)} ms`);
    }
  });
  const victim = victimOf(await tasksOf(instance));
  const revive = () => startNode(victim);
  const last = `v${RUNS + 1}`;
  const { result: nodeLoss, load: nodeLossLoad } = await withLoad(port, async () => {
    const t0 = now();
    cleanups.push(revive);
    await killNode(victim);
    await serving(last, victim);
    return now() - t0;
  });
  progress(`berth: node ${victim} lost → serving again in ${Math.round(nodeLoss)} ms`);
  await cleanups.releaseNow(revive);
  await cleanups.releaseNow(release);
  return { rollouts, rolloutLoad, nodeLoss, nodeLossLoad, victim };
}

async function benchSwarm(): Promise<PeerResult> {
  const instance = `bench-swarm-peer-${randomBytes(3).toString('hex')}`;
  const manager = managerDocker();
  const lbPort = await freePort();
  const labels = { 'berth.instance': instance };
  const network = await manager.createNetwork({ Name: `bench_${randomBytes(3).toString('hex')}`, Driver: 'overlay', Attachable: true, Labels: labels });
  let lb: NaiveLb | undefined;
  const release = async () => {
    await lb?.stop();
    await swarmCleanup(instance);
  };
  cleanups.push(release);
  const spec = (version: string) => ({
    Name: `bench_web_${instance.slice(-6)}`,
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: 'busybox:1.36',
        Command: ['sh', '-c', 'mkdir -p /www && echo "$VERSION $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www'],
        Env: [`VERSION=${version}`],
        Labels: labels,
        Init: true,
        StopGracePeriod: 5e9,
        HealthCheck: { Test: ['CMD-SHELL', HEALTH_CMD], Interval: 1e9, Timeout: 1e9, Retries: 3, StartPeriod: 0 },
      },
      RestartPolicy: { Condition: 'any', Delay: 0 },
      Networks: [{ Target: network.id }],
    },
    Mode: { Replicated: { Replicas: REPLICAS } },
    UpdateConfig: { Parallelism: MAX_SURGE, Delay: 0, Order: 'start-first', Monitor: 2e9, FailureAction: 'pause' },
    EndpointSpec: { Mode: 'dnsrr', Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishMode: 'host' }] },
  });
  const created = (await manager.createService(spec('v1') as never)) as unknown as { id: string };
  const service = manager.getService(created.id);
  const up = async () => (await tasksOf(instance)).filter((t) => t.desired === 'running' && t.state === 'running');
  lb = new NaiveLb({
    port: lbPort,
    refreshMs: 250,
    source: async () => (await up()).flatMap((t, i) => (t.address && t.port ? [{ id: `${t.node}-${i}-${t.port}`, host: t.address, port: t.port }] : [])),
  });
  await lb.start();
  const serving = (version: string, avoid?: SwarmNode) =>
    waitFor(
      `swarm serving ${version}`,
      300_000,
      async () => {
        // A killed node's tasks stay "running" in the manager's list (it cannot hear from them): they count nowhere.
        const running = (await tasksOf(instance)).filter((t) => t.state === 'running' && !(avoid && t.node === avoid));
        const fresh = running.filter((t) => t.version === version && t.desired === 'running');
        return fresh.length === REPLICAS && running.length === REPLICAS && (await answersAre(lbPort, version)) ? running : undefined;
      },
      isInterrupted,
    );
  progress('swarm: converging v1');
  await serving('v1');
  const rollouts: number[] = [];
  const { load: rolloutLoad } = await withLoad(lbPort, async () => {
    for (let run = 0; run < RUNS; run++) {
      const version = `v${run + 2}`;
      const info = (await service.inspect()) as { Version: { Index: number } };
      const t0 = now();
      await service.update({ ...spec(version), version: info.Version.Index } as never);
      await serving(version);
      rollouts.push(now() - t0);
      progress(`swarm: rollout to ${version} in ${Math.round(rollouts.at(-1)!)} ms`);
    }
  });
  const victim = victimOf(await up());
  const revive = () => startNode(victim);
  const last = `v${RUNS + 1}`;
  const { result: nodeLoss, load: nodeLossLoad } = await withLoad(lbPort, async () => {
    const t0 = now();
    cleanups.push(revive);
    await killNode(victim);
    await serving(last, victim);
    return now() - t0;
  });
  progress(`swarm: node ${victim} lost → serving again in ${Math.round(nodeLoss)} ms`);
  await cleanups.releaseNow(revive);
  await cleanups.releaseNow(release);
  return { rollouts, rolloutLoad, nodeLoss, nodeLossLoad, victim };
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const failed = (l: LoadStats) => `${l.failed} of ${l.ok + l.failed}`;

runBenchmark({
  cleanups,
  progress,
  main: async () => {
    progress('rig up');
    await swarmRigUp();
    const berth = await benchBerth();
    const swarm = await benchSwarm();
    const nodeLossGoalMs = HEARTBEAT_S * 2 * 1000 + 1000;
    const lines = [
      `## berth on a 3-node Swarm vs Swarm's own update (${REPLICAS} replicas, maxSurge/parallelism ${MAX_SURGE}, ${RUNS} rollouts each, heartbeat ${HEARTBEAT_S} s)`,
      '',
      '| figure | berth | Swarm (`service update`, start-first) | goal | verdict |',
      '|---|---|---|---|---|',
      `| rollout, median | ${s(median(berth.rollouts))} (${berth.rollouts.map(s).join(', ')}) | ${s(median(swarm.rollouts))} (${swarm.rollouts.map(s).join(', ')}) | berth ≤ Swarm | ${median(berth.rollouts) <= median(swarm.rollouts) ? 'met' : 'MISSED'} |`,
      `| failed requests in the rollouts | ${failed(berth.rolloutLoad)} | ${failed(swarm.rolloutLoad)} (naive LB) | 0 | ${berth.rolloutLoad.failed === 0 ? 'met' : 'MISSED'} |`,
      `| node loss → all serving again | ${s(berth.nodeLoss)} (${berth.victim}) | ${s(swarm.nodeLoss)} (${swarm.victim}) | heartbeat × 2 + a start ≈ ${s(nodeLossGoalMs)} | ${berth.nodeLoss <= nodeLossGoalMs ? 'met' : 'MISSED'} |`,
      `| failed requests during the node loss | ${failed(berth.nodeLossLoad)} | ${failed(swarm.nodeLossLoad)} | bounded, reported | — |`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
    if (berth.rolloutLoad.errors.length > 0) progress(`berth rollout failures: ${berth.rolloutLoad.errors.slice(0, 5).join('; ')}`);
    return 0;
  },
});

/**
 * Autoscaling on request rate (issue #11): a step of load through a Service, from one replica's
 * worth to N replicas' worth and back. Side by side, in one run, on the same engine and image:
 *
 *  - berth: `--hpa-sync-period 1`, the HPA's own behavior (a scale-down window of --down-window s);
 *  - the same algorithm at Kubernetes' default timings: `--hpa-sync-period 15` (the controller's
 *    --horizontal-pod-autoscaler-sync-period) and the default behavior. Its scale-down waits the
 *    default 300 s window, so only its scale-up is measured; the scale-down is stated by
 *    construction (window + up to one sync period);
 *  - a fixed-replica run at the final size (no HPA) under the same load: the latency floor.
 *
 * The Deployment serves its container's hostname, so the bodies tell which replicas serve. The
 * load is open-loop (a fixed rate, a new connection per request, at most 64 in flight); a refused,
 * reset, timed-out or non-200 request is a failure. Reported per run: the time from the load step
 * to the scale decision (the HPA record's lastScale.at, berth's clock, same machine) and to every
 * new replica serving (the first second in which N distinct replicas answered); failed requests;
 * the p99 latency during the step.
 *
 * Sampling cost: a Deployment of --sample-replicas (100) replicas with an HPA on cpu and memory
 * that never scales (min = max), measured over --sample-seconds: berth's and dockerd's CPU time
 * (from /proc) with the HPA at --hpa-sync-period 15, minus the same window without the HPA, as a
 * percent of one core. Goal: < 2 %.
 *
 *   node --import tsx bench/autoscale.ts [--rate 160] [--per-replica 40] [--max 4] [--step-seconds 40]
 *        [--down-window 10] [--sample-replicas 100] [--sample-seconds 45] [--parts step,k8s,fixed,sampling] [--json FILE]
 *
 * Everything it creates (berth and its data plane, containers and networks under a unique
 * instance label, temp folders) is removed at the end, on error and on Ctrl-C.
 */
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { daemonFlags, startBerth, runBerth, type BerthDaemon } from '../test/helpers/berth-cli.js';
import { stopDataPlane } from '../test/helpers/data-plane.js';
import { dockerScope } from '../test/helpers/docker-scope.js';
import { deploymentYaml, hpaYaml, serviceYaml } from '../test/helpers/manifests.js';
import { localRepo, type LocalRepo } from '../test/helpers/tmp-repo.js';
import { freePort } from '../test/helpers/webhook-hook.js';
import { ownedContainers } from '../test/helpers/world.js';
import { Cleanups, isInterrupted, runBenchmark } from './cleanup.js';
import { now, sleep, waitFor as waitUntil } from './push-to-serve/clock.js';
import { ms, quantile } from './reconcile/stats.js';
import { sourceFingerprint } from './source-fingerprint.js';

const NS = 'auto';
const NEVER = '0 0 0 1 1 *';
const CPU_GOAL_PERCENT = 2;

interface Options {
  readonly rate: number;
  readonly perReplica: number;
  readonly max: number;
  readonly stepSeconds: number;
  readonly downWindow: number;
  readonly sampleReplicas: number;
  readonly sampleSeconds: number;
  readonly parts: readonly string[];
  readonly json?: string;
}

interface StepResult {
  readonly run: string;
  readonly syncSeconds: number;
  readonly requests: number;
  readonly failed: number;
  readonly errors: readonly string[];
  readonly p50: number;
  readonly p99: number;
  /** ms from the load step to the HPA's first scale-up decision. */
  readonly decisionMs?: number;
  /** ms from the load step to the first second with N distinct replicas answering. */
  readonly servingMs?: number;
  readonly finalReplicas: number;
  /** ms from the end of the load to the scale-down decision and to one replica left (berth only). */
  readonly downDecisionMs?: number;
  readonly downDoneMs?: number;
  readonly downFailed?: number;
}

interface SamplingResult {
  readonly replicas: number;
  readonly seconds: number;
  readonly berthWithPercent: number;
  readonly berthWithoutPercent: number;
  readonly dockerdWithPercent: number;
  readonly dockerdWithoutPercent: number;
  readonly evaluations: number;
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

const cleanups = new Cleanups(progress);

function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  return waitUntil(what, timeoutMs, check, () => isInterrupted());
}

/** Open-loop load: `rate` requests per second, each on a new connection, at most 64 in flight. */
class OpenLoad {
  readonly latencies: number[] = [];
  /** Second (since start) → the distinct bodies (replicas) that answered in it. */
  readonly servedBy = new Map<number, Set<string>>();
  ok = 0;
  failed = 0;
  readonly errors: string[] = [];
  private inFlight = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly pending = new Set<Promise<void>>();
  readonly startedAt = now();

  constructor(
    private readonly port: number,
    rate: number,
  ) {
    const perTick = rate / 100;
    let owed = 0;
    this.timer = setInterval(() => {
      owed += perTick;
      for (; owed >= 1; owed--) this.fire();
    }, 10);
  }

  private fire(): void {
    if (this.inFlight >= 64) {
      this.fail('client at 64 requests in flight (dropped)');
      return;
    }
    this.inFlight++;
    const start = now();
    const p = new Promise<void>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: this.port, path: '/', agent: false, timeout: 10_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          if (res.statusCode === 200) {
            this.ok++;
            this.latencies.push(now() - start);
            const second = Math.floor((now() - this.startedAt) / 1000);
            let set = this.servedBy.get(second);
            if (!set) this.servedBy.set(second, (set = new Set()));
            set.add(body.trim());
          } else this.fail(`HTTP ${res.statusCode}`);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => {
        this.fail(err.message);
        resolve();
      });
    }).finally(() => {
      this.inFlight--;
      this.pending.delete(p);
    });
    this.pending.add(p);
  }

  private fail(why: string): void {
    this.failed++;
    if (this.errors.length < 10) this.errors.push(why);
  }

  /** The first second (ms from the start) in which `n` distinct replicas answered. */
  firstSecondWith(n: number): number | undefined {
    const seconds = [...this.servedBy.entries()].filter(([, s]) => s.size >= n).map(([sec]) => sec);
    return seconds.length > 0 ? Math.min(...seconds) * 1000 : undefined;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.pending]);
  }
}

const web = (replicas: number) =>
  deploymentYaml({
    name: 'web',
    replicas,
    command: ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www'],
    port: 8080,
    readinessProbe: { path: '/', port: 8080 },
  });

const rpsHpa = (o: Options, behavior: 'berth' | 'kubernetes') =>
  hpaYaml({
    name: 'web',
    max: o.max,
    metrics: [{ pods: 'berth_requests_per_second', averageValue: String(o.perReplica) }],
    ...(behavior === 'berth' ? { scaleDownWindow: o.downWindow } : {}),
  });

interface Rig {
  readonly repo: LocalRepo;
  readonly stateDir: string;
  readonly instance: string;
  readonly berth: BerthDaemon;
  /** A pass now (the poll never fires). */
  sync(): Promise<void>;
  /** Stops berth and its data plane and removes what the run made (also registered for the end). */
  teardown(): Promise<void>;
}

const API_TOKEN = `bench-autoscale-${process.pid}`;

/** A fresh repository, state directory, instance and berth, all registered for cleanup. */
async function rig(name: string, files: Record<string, string>, syncSeconds: number): Promise<Rig> {
  const scope = dockerScope(`auto-${name}`);
  const repo = await localRepo();
  const stateDir = await fsp.mkdtemp(path.join(os.tmpdir(), `berth-bench-autoscale-${name}-`));
  for (const [file, text] of Object.entries(files)) await repo.write(`manifests/${NS}/${file}`, text);
  await repo.commit(name);
  const listen = `127.0.0.1:${await freePort()}`;
  const berth = startBerth(
    [...daemonFlags({ repo: repo.dir, stateDir, instance: scope.instance, poll: NEVER, listen }), '--hpa-sync-period', String(syncSeconds)],
    { env: { BERTH_API_TOKEN: API_TOKEN } },
  );
  let done: Promise<void> | undefined;
  const teardown = () =>
    (done ??= (async () => {
      await berth.stop();
      await stopDataPlane(stateDir).catch(() => undefined);
      await scope.cleanup();
      await repo.cleanup();
      await fsp.rm(stateDir, { recursive: true, force: true });
    })());
  cleanups.push(teardown);
  return {
    repo,
    stateDir,
    instance: scope.instance,
    berth,
    async sync() {
      await fetch(`http://${listen}/api/v1/sync`, { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}` } });
    },
    teardown,
  };
}

async function record(stateDir: string): Promise<{ replicas: number; lastScale?: { at: string; from: number; to: number } } | undefined> {
  const text = await fsp.readFile(path.join(stateDir, 'status.json'), 'utf8').catch(() => '{}');
  return (JSON.parse(text) as { autoscalers?: Record<string, { replicas: number; lastScale?: { at: string; from: number; to: number } }> }).autoscalers?.[
    `${NS}/web`
  ];
}

async function runningWeb(instance: string): Promise<number> {
  return (await ownedContainers(instance)).filter((c) => c.deployment === 'web' && c.state === 'running').length;
}

async function rolledOut(r: Rig, name: string): Promise<void> {
  const done = await runBerth([
    'rollout',
    'status',
    `${NS}/${name}`,
    '--repo',
    r.repo.dir,
    '--path',
    'manifests',
    '--instance',
    r.instance,
    '--state-dir',
    r.stateDir,
    '--timeout',
    '300',
  ]);
  if (done.code !== 0) throw new Error(`rollout of ${name}: ${done.stdout}${done.stderr}`);
}

/** The step: load at `rate` for stepSeconds (and until N replicas serve); for berth, then the way down. */
async function step(o: Options, run: 'berth' | 'kubernetes' | 'fixed'): Promise<StepResult> {
  const syncSeconds = run === 'kubernetes' ? 15 : 1;
  const port = await freePort();
  const files: Record<string, string> = {
    'web.yaml': web(run === 'fixed' ? o.max : 1),
    'web-service.yaml': serviceYaml({ name: 'web', port, targetPort: 8080 }),
    ...(run === 'fixed' ? {} : { 'hpa.yaml': rpsHpa(o, run) }),
  };
  const r = await rig(run, files, syncSeconds);
  try {
    return await stepOn(o, run, r, port, syncSeconds);
  } finally {
    await r.teardown();
  }
}

async function stepOn(o: Options, run: 'berth' | 'kubernetes' | 'fixed', r: Rig, port: number, syncSeconds: number): Promise<StepResult> {
  await rolledOut(r, 'web');
  if (run !== 'fixed') await waitFor('the HPA first evaluated', 60_000, async () => ((await record(r.stateDir)) ? true : undefined));
  progress(`${run}: load step to ${o.rate} req/s (${(o.rate / o.perReplica).toFixed(1)} replicas' worth at ${o.perReplica} each)`);
  const load = new OpenLoad(port, o.rate);
  let decisionMs: number | undefined;
  const stepEnd = load.startedAt + o.stepSeconds * 1000;
  const deadline = load.startedAt + Math.max(o.stepSeconds, 180) * 1000;
  for (;;) {
    await sleep(250);
    if (isInterrupted()) break;
    if (run !== 'fixed' && decisionMs === undefined) {
      const rec = await record(r.stateDir);
      if (rec?.lastScale && rec.lastScale.to > rec.lastScale.from) decisionMs = Date.parse(rec.lastScale.at) - load.startedAt;
    }
    const serving = load.firstSecondWith(o.max) !== undefined;
    if (now() >= stepEnd && (serving || now() >= deadline)) break;
  }
  await load.stop();
  const servingMs = load.firstSecondWith(o.max);
  const finalReplicas = await runningWeb(r.instance);
  const result: StepResult = {
    run,
    syncSeconds,
    requests: load.ok + load.failed,
    failed: load.failed,
    errors: load.errors,
    p50: quantile(load.latencies, 0.5),
    p99: quantile(load.latencies, 0.99),
    ...(decisionMs !== undefined ? { decisionMs } : {}),
    ...(servingMs !== undefined && run !== 'fixed' ? { servingMs } : {}),
    finalReplicas,
  };
  if (run !== 'berth') return result;
  // The way down: a light load (2 req/s) while the HPA scales back to 1 after its window.
  progress(`${run}: load off; waiting for the scale-down (window ${o.downWindow} s)`);
  const light = new OpenLoad(port, 2);
  let downDecisionMs: number | undefined;
  const off = light.startedAt;
  const downDoneMs = await waitFor('one replica left', 120_000, async () => {
    const rec = await record(r.stateDir);
    if (downDecisionMs === undefined && rec?.lastScale && rec.lastScale.to < rec.lastScale.from) downDecisionMs = Date.parse(rec.lastScale.at) - off;
    return (await runningWeb(r.instance)) === 1 ? now() - off : undefined;
  });
  await light.stop();
  return { ...result, ...(downDecisionMs !== undefined ? { downDecisionMs } : {}), downDoneMs, downFailed: light.failed };
}

/** utime + stime of a process, in seconds (/proc/<pid>/stat, clock ticks of 100 Hz). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function dockerdPid(): Promise<number> {
  const text = await fsp.readFile('/var/run/docker.pid', 'utf8').catch(() => '');
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error('no /var/run/docker.pid');
  return pid;
}

/** berth's and dockerd's CPU over `seconds`, as a percent of one core. */
async function cpuOver(berthPid: number, seconds: number): Promise<{ berth: number; dockerd: number }> {
  const dpid = await dockerdPid();
  const [b0, d0, t0] = [await cpuSeconds(berthPid), await cpuSeconds(dpid), now()];
  await sleep(seconds * 1000);
  const [b1, d1, t1] = [await cpuSeconds(berthPid), await cpuSeconds(dpid), now()];
  const wall = (t1 - t0) / 1000;
  return { berth: ((b1 - b0) / wall) * 100, dockerd: ((d1 - d0) / wall) * 100 };
}

async function sampling(o: Options): Promise<SamplingResult> {
  const n = o.sampleReplicas;
  const fleet = deploymentYaml({ name: 'fleet', replicas: n, command: ['sleep', '100000'], resources: { requests: { cpu: '10m', memory: '4Mi' } } });
  const hpa = hpaYaml({
    name: 'fleet',
    min: n,
    max: n,
    metrics: [
      { resource: 'cpu', utilization: 50 },
      { resource: 'memory', averageValue: '64Mi' },
    ],
  });
  const r = await rig('sampling', { 'fleet.yaml': fleet, 'hpa.yaml': hpa }, 15);
  try {
    return await samplingOn(o, r, n);
  } finally {
    await r.teardown();
  }
}

async function samplingOn(o: Options, r: Rig, n: number): Promise<SamplingResult> {
  progress(`sampling: starting ${n} replicas`);
  await rolledOut(r, 'fleet');
  const pid = r.berth.child.pid!;
  await sleep(16_000); // one sync has read every replica once: the window measures steady state
  progress(`sampling: ${o.sampleSeconds} s with the HPA (sync 15 s)`);
  const withHpa = await cpuOver(pid, o.sampleSeconds);
  const evaluations = Math.floor(o.sampleSeconds / 15);
  await r.repo.remove(`manifests/${NS}/hpa.yaml`);
  await r.repo.commit('no HPA');
  await r.sync();
  await waitFor('the HPA record removed', 60_000, async () => ((await record(r.stateDir)) === undefined ? true : undefined)).catch(() => undefined);
  progress(`sampling: ${o.sampleSeconds} s without the HPA`);
  const without = await cpuOver(pid, o.sampleSeconds);
  return {
    replicas: n,
    seconds: o.sampleSeconds,
    berthWithPercent: withHpa.berth,
    berthWithoutPercent: without.berth,
    dockerdWithPercent: withHpa.dockerd,
    dockerdWithoutPercent: without.dockerd,
    evaluations,
  };
}

function render(o: Options, steps: readonly StepResult[], sample: SamplingResult | undefined, fingerprint: string): string {
  const lines: string[] = [];
  lines.push(
    `# Autoscaling benchmark (${new Date().toISOString()}, ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')})`,
  );
  lines.push(`source: ${fingerprint}`);
  lines.push(`load step: ${o.rate} req/s through the Service, ${o.perReplica} req/s per replica targeted, max ${o.max} replicas, at least ${o.stepSeconds} s`);
  if (steps.length > 0) {
    lines.push('');
    lines.push('| run | sync | decision after the step | all replicas serving after | failed | p50 | p99 | replicas at the end |');
    lines.push('|---|---|---|---|---|---|---|---|');
  }
  for (const s of steps)
    lines.push(
      `| ${s.run === 'berth' ? 'berth (1 s sync, its HPA behavior)' : s.run === 'kubernetes' ? "same algorithm, Kubernetes' default timings (15 s sync)" : `fixed ${o.max} replicas, no HPA`} | ${s.run === 'fixed' ? '—' : `${s.syncSeconds} s`} | ${s.decisionMs !== undefined ? ms(s.decisionMs) : s.run === 'fixed' ? '—' : 'none'} | ${s.servingMs !== undefined ? ms(s.servingMs) : s.run === 'fixed' ? '—' : 'not reached'} | ${s.failed} of ${s.requests} | ${ms(s.p50)} | ${ms(s.p99)} | ${s.finalReplicas} |`,
    );
  const berth = steps.find((s) => s.run === 'berth');
  if (berth?.downDoneMs !== undefined) {
    lines.push('');
    lines.push(
      `way down (berth, window ${o.downWindow} s): decision ${berth.downDecisionMs !== undefined ? ms(berth.downDecisionMs) : 'n/a'} and one replica left ${ms(berth.downDoneMs)} after the load stopped; ${berth.downFailed ?? 0} failed requests meanwhile. Kubernetes' defaults: 300 s window + up to 15 s sync, by construction.`,
    );
  }
  const errors = steps.flatMap((s) => s.errors.map((e) => `${s.run}: ${e}`));
  if (errors.length > 0) lines.push('', `first failures: ${errors.slice(0, 10).join('; ')}`);
  if (sample) {
    lines.push('');
    lines.push(`sampling cost at ${sample.replicas} replicas (cpu + memory HPA, sync 15 s, ${sample.seconds} s windows):`);
    lines.push('| process | with the HPA | without | added | goal |');
    lines.push('|---|---|---|---|---|');
    const added = sample.berthWithPercent - sample.berthWithoutPercent;
    const addedD = sample.dockerdWithPercent - sample.dockerdWithoutPercent;
    lines.push(
      `| berth | ${sample.berthWithPercent.toFixed(2)} % | ${sample.berthWithoutPercent.toFixed(2)} % | ${added.toFixed(2)} % of a core | < ${CPU_GOAL_PERCENT} % ${added < CPU_GOAL_PERCENT ? 'met' : 'MISSED'} |`,
    );
    lines.push(
      `| dockerd (answers the stats calls) | ${sample.dockerdWithPercent.toFixed(2)} % | ${sample.dockerdWithoutPercent.toFixed(2)} % | ${addedD.toFixed(2)} % of a core | — |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '160' },
      'per-replica': { type: 'string', default: '40' },
      max: { type: 'string', default: '4' },
      'step-seconds': { type: 'string', default: '40' },
      'down-window': { type: 'string', default: '10' },
      'sample-replicas': { type: 'string', default: '100' },
      'sample-seconds': { type: 'string', default: '45' },
      parts: { type: 'string', default: 'step,k8s,fixed,sampling' },
      json: { type: 'string' },
    },
  });
  const num = (v: string | undefined, name: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  return {
    rate: num(values.rate, 'rate'),
    perReplica: num(values['per-replica'], 'per-replica'),
    max: num(values.max, 'max'),
    stepSeconds: num(values['step-seconds'], 'step-seconds'),
    downWindow: num(values['down-window'], 'down-window'),
    sampleReplicas: num(values['sample-replicas'], 'sample-replicas'),
    sampleSeconds: num(values['sample-seconds'], 'sample-seconds'),
    parts: String(values.parts).split(','),
    ...(values.json ? { json: values.json } : {}),
  };
}

async function main(): Promise<number> {
  const o = parseOptions();
  const steps: StepResult[] = [];
  if (o.parts.includes('step')) steps.push(await step(o, 'berth'));
  if (o.parts.includes('k8s')) steps.push(await step(o, 'kubernetes'));
  if (o.parts.includes('fixed')) steps.push(await step(o, 'fixed'));
  const sample = o.parts.includes('sampling') ? await sampling(o) : undefined;
  const text = render(o, steps, sample, await sourceFingerprint());
  process.stdout.write(text);
  if (o.json) await fsp.writeFile(o.json, `${JSON.stringify({ options: o, steps, sample }, null, 2)}\n`);
  return steps.some((s) => s.failed > 0) ? 1 : 0;
}

runBenchmark({ main, cleanups, progress });

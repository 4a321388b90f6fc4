/**
 * Rollout benchmark: a zero-downtime rolling update of 10 replicas behind a Service, under a
 * constant load that counts every failed request, done in the same run by berth, by Docker
 * Swarm (`docker service update` on a single-node swarm) and by a Compose-style recreate.
 *
 *  - berth: `berth run` (CLI child process; it spawns its data plane, `berth proxy`) on a local
 *    Git repository (`--repo <path>`, poll never: every change is triggered with
 *    `POST /api/v1/sync` right after the commit). Namespace `bench`, Deployment `web`: 10
 *    replicas, RollingUpdate maxSurge 2 / maxUnavailable 0, readinessProbe httpGet `/` :8080
 *    every 1 s, terminationGracePeriodSeconds 5; Service `web` on a free 127.0.0.1 port →
 *    8080. --runs changes of the served text (v2, v3, …). Rollout time = from the sync request
 *    to: the running containers are exactly 10 of the new revision, the data plane routes
 *    exactly those 10, and answers through the Service say the new text. Then a failed
 *    rollout (readiness path 404s, progressDeadlineSeconds 5): time from berth's decision
 *    ("rollout failed: …; rolling back to revision …", its log `time`) to the old revision
 *    fully serving again (10 old replicas routed, no container of the failed revision left).
 *    Then a crash loop (the container exits 3 at once, progressDeadlineSeconds 600, Kubernetes'
 *    default): the same two times, the decision judged from the exits alone (CrashLoop).
 *    The load runs from v1 serving to the end of the berth part, extended by a steady-state
 *    period until it made --min-requests requests.
 *  - Swarm: a replicated service of 10 tasks of the same image (by ID, --no-resolve-image) and
 *    command, --init, healthcheck every 1 s (HTTP GET through busybox nc), update parallelism 2,
 *    start-first, monitor 2 s, delay 0, stop grace 5 s; published in host mode with an
 *    ephemeral port per task (the routing mesh does not work on this kernel). The load goes
 *    through a naive LB (naive-lb.ts: berth's ProxyServer class in this process, backends =
 *    tasks desired+running, which Swarm reports only once healthy, refreshed every
 *    --lb-refresh-ms). The update changes an env var (new tasks; the text is `$VERSION`).
 *    Rollout time = from `docker service update` to 10 running tasks of the new spec (and none
 *    of the old one running); Swarm's own UpdateStatus completion is reported beside it.
 *  - Compose: `docker compose up -d` after an env change, or its emulation when no Compose
 *    CLI exists (compose.ts: every replica recreated at once — stop old, create new — then the
 *    new ones started one by one), behind the same naive LB (running + healthy containers).
 *  - floor: create + start + first HTTP 200 of one container with berth's create body, polled
 *    every 10 ms (floor.ts), before anything runs (quiet) and again under the berth load; the
 *    goal uses waves × the under-load median, waves = ceil(replicas / maxSurge).
 *
 * Where the time goes: berth's own debug log split into phases along the critical path
 * (rollout/berth-log.ts) and the engine's event stream (create/start/kill/die of its
 * containers); for Swarm, per slot, from the task list, the engine's events and the LB's table
 * changes.
 *
 * Goals (the issue): 0 failed of ≥ 20,000 requests; berth's rollout ≤ 1.2 × floor and ≤ Swarm's;
 * failed rollout → old revision fully serving ≤ 2 s after the decision. Markdown to stdout,
 * progress to stderr; exit 0 even when a goal is missed (MISSED is printed), 1 when the
 * benchmark itself failed.
 *
 *   node --import tsx bench/rollout.ts [--runs 3] [--min-requests 20000] [--concurrency 16]
 *        [--floor-runs 7] [--peers berth,swarm,compose] [--lb-refresh-ms 250] [--poll-ms 100]
 *        [--json results.json] [--logs DIR]
 *
 * Everything it creates (containers and networks under a unique instance label, the swarm
 * service, the swarm itself if it created it, temp folders, berth and its proxy process) is
 * removed at the end, also on error or Ctrl-C.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type Docker from 'dockerode';
import { startBerth, type BerthDaemon } from '../test/helpers/berth-cli.js';
import { backendsOf, dataPlaneStatus, stopDataPlane } from '../test/helpers/data-plane.js';
import { dockerClient, dockerScope, TEST_IMAGE, TEST_RUN_LABEL, type DockerScope } from '../test/helpers/docker-scope.js';
import { deploymentYaml, serviceYaml, webCommand, type DeploymentYamlOptions } from '../test/helpers/manifests.js';
import { localRepo } from '../test/helpers/tmp-repo.js';
import { freePort } from '../test/helpers/webhook-hook.js';
import { ownedContainers, type SeenReplica } from '../test/helpers/world.js';
import { LogCursor, type LogLine } from './push-to-serve/berth-log.js';
import { now, sleep } from './push-to-serve/clock.js';
import { probe } from './push-to-serve/http-probe.js';
import { ms, summarize } from './reconcile/stats.js';
import { sourceFingerprint } from './source-fingerprint.js';
import { Cleanups, isInterrupted, runBenchmark } from './cleanup.js';
import { analyzeRollout, PHASE_LABEL, PHASES, type Phase, type RolloutLog } from './rollout/berth-log.js';
import { composeBackends, composeDriver } from './rollout/compose.js';
import { measureFloor, measureRollingFloor, type FloorSample, type RollingFloorSample } from './rollout/floor.js';
import { answersByText, LoadRun, type LoadTotals, type WindowStats } from './rollout/load-run.js';
import { NaiveLb } from './rollout/naive-lb.js';
import { ContainerEvents } from './rollout/engine-events.js';
import { createService, ensureSwarm, removeService, slotsOf, swarmBackends, tasksOf, updateService, updateStatus, type SwarmSlot } from './rollout/swarm.js';

const NS = 'bench';
const NAME = 'web';
/** Once a year (1 January, 00:00:00): no poll fires during the run; every change is triggered through the API. */
const NEVER = '0 0 0 1 1 *';
const GRACE_SECONDS = 5;
const REQUESTS_GOAL = 20_000;
const FLOOR_RATIO_GOAL = 1.2;
const ROLLBACK_GOAL_MS = 2_000;
/** Kubernetes' default progressDeadlineSeconds: when a Deployment that makes no progress is marked failed (it is never rolled back). */
const K8S_PROGRESS_DEADLINE_S = 600;
const API_TOKEN = `bench-${randomBytes(12).toString('hex')}`;

type Peer = 'berth' | 'swarm' | 'compose';
const PEERS: readonly Peer[] = ['berth', 'swarm', 'compose'];

interface Options {
  readonly runs: number;
  readonly minRequests: number;
  readonly concurrency: number;
  readonly floorRuns: number;
  readonly peers: readonly Peer[];
  readonly lbRefreshMs: number;
  readonly pollMs: number;
  readonly replicas: number;
  readonly maxSurge: number;
  readonly json: string | undefined;
  readonly logs: string | undefined;
}

/** One rollout of one peer. Times are epoch ms (clock.ts). */
interface RolloutSample {
  readonly peer: Peer;
  readonly run: number;
  readonly text: string;
  /** The trigger: berth's sync request sent, `docker service update` started, `up -d` started. */
  readonly triggeredAt: number;
  /** berth: the sync request answered; Swarm: the CLI returned (--detach); Compose: `up -d` returned. */
  readonly answeredAt: number;
  /** Done (see the header): the observation that first saw it. */
  readonly doneAt: number;
  readonly rolloutMs: number;
  /** When the data plane / LB first routed exactly the 10 new backends (epoch ms). */
  readonly routedOnlyNewAt?: number;
  /** Fewest backends the data plane / LB routed to while the rollout ran. */
  readonly minRouted: number;
  /** The load from the trigger until the next trigger (or the end of the peer's load). */
  load?: WindowStats;
  /** Swarm: UpdateStatus (Swarm's own timestamps). */
  readonly swarmUpdate?: { readonly startedAt?: number; readonly completedAt?: number; readonly state?: string };
  /** Swarm: every slot of the update (engine events, task list, LB). */
  readonly swarmSlots?: readonly SwarmSlot[];
  /** Compose emulation: every replica recreated (stopped, replaced), before the starts. */
  readonly replacedAt?: number;
  /** berth: its log of this rollout, split into phases. */
  readonly berth?: RolloutLog;
  /** berth: the engine's events of the containers it created and stopped in this rollout (epoch ms). */
  readonly berthEngine?: {
    readonly created: readonly { id: string; create?: number; start?: number }[];
    readonly stopped: readonly { id: string; kill?: number; die?: number }[];
  };
}

interface FailedRollout {
  /** The failed revision's served text (it must never answer). */
  readonly text: string;
  /** Why berth judged it failed (its log's `reason`: ProgressDeadlineExceeded, CrashLoop). */
  readonly reason: string;
  /** Each exit of a failed-revision container before the decision (engine `die`) → berth's next action on it. */
  readonly exitToActionMs: readonly number[];
  readonly triggeredAt: number;
  readonly decidedAt: number;
  readonly decision: string;
  readonly servingAt: number;
  readonly decisionToServingMs: number;
  readonly triggerToDecisionMs: number;
  readonly load: WindowStats;
  badAnswers: number;
  readonly berth: RolloutLog;
}

interface PeerResult {
  readonly peer: Peer;
  readonly description: string;
  readonly runs: RolloutSample[];
  totals?: LoadTotals;
  /** Load start → stop. */
  loadMs?: number;
  readonly notes: string[];
}

interface BerthResult extends PeerResult {
  failed?: FailedRollout;
  /** A revision whose container exits at once: judged CrashLoop from its exits, no deadline. */
  crashLoop?: FailedRollout;
  floorUnderLoad: FloorSample[];
  pairUnderLoad: FloorSample[];
  /** The engine's own rolling update of the same shape (no orchestrator), under the same load. */
  rollingUnderLoad: RollingFloorSample[];
  steadyStateMs: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      'min-requests': { type: 'string', default: String(REQUESTS_GOAL) },
      concurrency: { type: 'string', default: '16' },
      'floor-runs': { type: 'string', default: '7' },
      peers: { type: 'string', default: PEERS.join(',') },
      'lb-refresh-ms': { type: 'string', default: '250' },
      'poll-ms': { type: 'string', default: '100' },
      replicas: { type: 'string', default: '10' },
      'max-surge': { type: 'string', default: '2' },
      json: { type: 'string' },
      logs: { type: 'string' },
    },
    strict: true,
  });
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${v}`);
    return n;
  };
  const peers = String(values.peers)
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const p of peers) if (!PEERS.includes(p as Peer)) throw new Error(`--peers takes ${PEERS.join(', ')}; got ${p}`);
  return {
    runs: int('runs', values.runs, 1),
    minRequests: int('min-requests', values['min-requests'], 0),
    concurrency: int('concurrency', values.concurrency, 2),
    floorRuns: int('floor-runs', values['floor-runs'], 1),
    peers: PEERS.filter((p) => peers.includes(p)),
    lbRefreshMs: int('lb-refresh-ms', values['lb-refresh-ms'], 10),
    pollMs: int('poll-ms', values['poll-ms'], 10),
    replicas: int('replicas', values.replicas, 2),
    maxSurge: int('max-surge', values['max-surge'], 1),
    json: values.json,
    logs: values.logs,
  };
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

const cleanups = new Cleanups(progress);
function checkInterrupted(): void {
  if (isInterrupted()) throw new Error('interrupted');
}
const releaseNow = (release: () => Promise<void>): Promise<void> => cleanups.releaseNow(release);

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

/** `n` GETs of `/` through `port`: true when every one answered `<text> …`. */
async function allAnswer(port: number, text: string, n = 10): Promise<boolean> {
  const answers = await Promise.all(Array.from({ length: n }, () => probe(port, 2000)));
  return answers.every((a) => a?.startsWith(`${text} `) === true);
}

/** Polls `check` every `pollMs` (from the start of one round to the next) until it returns a value. */
async function pollUntil<T>(
  what: string,
  pollMs: number,
  timeoutMs: number,
  check: (roundStart: number) => Promise<T | undefined>,
  died?: Promise<never>,
): Promise<T> {
  const deadline = now() + timeoutMs;
  for (;;) {
    checkInterrupted();
    const round = now();
    const value = await (died ? Promise.race([check(round), died]) : check(round));
    if (value !== undefined) return value;
    if (now() > deadline) throw new Error(`timed out after ${ms(timeoutMs)} waiting for ${what}`);
    await sleep(Math.max(0, pollMs - (now() - round)));
  }
}

// ---------------------------------------------------------------- berth

interface Daemon {
  readonly berth: BerthDaemon;
  readonly api: string;
  readonly died: Promise<never>;
  readonly stop: () => Promise<void>;
  lines(): LogLine[];
}

async function startDaemon(args: { repoDir: string; stateDir: string; instance: string; ingressPort: number; logs: string | undefined }): Promise<Daemon> {
  const port = await freePort();
  const berth = startBerth(
    [
      '--repo',
      args.repoDir,
      '--path',
      'manifests',
      '--state-dir',
      args.stateDir,
      '--instance',
      args.instance,
      '--poll',
      NEVER,
      '--listen',
      `127.0.0.1:${port}`,
      '--ingress-listen',
      `127.0.0.1:${args.ingressPort}`,
      '--log-level',
      'debug',
    ],
    { env: { BERTH_API_TOKEN: API_TOKEN } },
  );
  let stopping = false;
  const died = new Promise<never>((_, reject) =>
    berth.child.once('exit', (code, signal) => {
      if (!stopping) reject(new Error(`berth exited (code ${code}, signal ${signal}); last output:\n${berth.logs().slice(-3000)}`));
    }),
  );
  died.catch(() => undefined);
  const stop = async (): Promise<void> => {
    stopping = true;
    const timer = setTimeout(() => void berth.kill(), 15_000);
    await berth.stop();
    clearTimeout(timer);
    if (args.logs) {
      await fsp.writeFile(path.join(args.logs, 'berth.log'), berth.logs());
      await fsp.copyFile(path.join(args.stateDir, 'proxy.log'), path.join(args.logs, 'berth-proxy.log')).catch(() => undefined);
    }
  };
  cleanups.push(stop);
  const cursor = new LogCursor(() => berth.logs());
  return { berth, api: `http://127.0.0.1:${port}`, died, stop, lines: () => cursor.since() };
}

async function triggerSync(d: Daemon): Promise<number> {
  const res = await fetch(`${d.api}/api/v1/sync`, { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}` } });
  const body = await res.text();
  if (res.status !== 202) throw new Error(`POST /api/v1/sync answered ${res.status}: ${body}`);
  return now();
}

async function runBerth(ctx: { options: Options; scope: DockerScope; scratch: string; floorNetwork: string; docker: Docker }): Promise<BerthResult> {
  const { options, scope } = ctx;
  const result: BerthResult = {
    peer: 'berth',
    description: `berth RollingUpdate maxSurge ${options.maxSurge}, maxUnavailable 0, readinessProbe httpGet every 1 s; its data plane (\`berth proxy\`) in front`,
    runs: [],
    notes: [],
    floorUnderLoad: [],
    pairUnderLoad: [],
    rollingUnderLoad: [],
    steadyStateMs: 0,
  };
  const repo = await localRepo();
  cleanups.push(() => repo.cleanup());
  const [webPort, ingressPort] = [await freePort(), await freePort()];
  const manifest = (text: string, over: Partial<DeploymentYamlOptions> = {}) =>
    deploymentYaml({
      name: NAME,
      replicas: options.replicas,
      command: webCommand(text),
      port: 8080,
      strategy: { maxSurge: options.maxSurge, maxUnavailable: 0 },
      readinessProbe: { path: '/', port: 8080, periodSeconds: 1 },
      terminationGracePeriodSeconds: GRACE_SECONDS,
      ...over,
    });
  await repo.write(`manifests/${NS}/web.yaml`, manifest('v1'));
  await repo.write(`manifests/${NS}/web-service.yaml`, serviceYaml({ name: NAME, port: webPort, targetPort: 8080 }));
  const v1 = await repo.commit('v1');
  const stateDir = path.join(ctx.scratch, 'berth-state');
  await fsp.mkdir(stateDir);
  cleanups.push(() => stopDataPlane(stateDir));
  const events = await ContainerEvents.start(ctx.docker, `berth.instance=${scope.instance}`);
  const stopEvents = async () => events.stop();
  cleanups.push(stopEvents);
  const daemon = await startDaemon({ repoDir: repo.dir, stateDir, instance: scope.instance, ingressPort, logs: options.logs });
  const engineOf = (log: RolloutLog) => ({
    created: log.created.flatMap((c) => (c.id ? [{ id: c.id, create: events.first(c.id, 'create'), start: events.first(c.id, 'start') }] : [])),
    stopped: log.removedOld.flatMap((c) => (c.id ? [{ id: c.id, kill: events.first(c.id, 'kill'), die: events.first(c.id, 'die') }] : [])),
  });
  const prefix = `${scope.instance}.${NS}.${NAME}.`;

  const webContainers = async () => (await ownedContainers(scope.instance)).filter((c) => c.namespace === NS && c.deployment === NAME);
  /** Done: exactly `replicas` running containers, all `match`; (exclusive: no other container at all); routed exactly; answers say `text`. */
  const waitServing = (what: string, match: (c: SeenReplica) => boolean, text: string, opts: { exclusive?: boolean; timeoutMs?: number } = {}) => {
    let minRouted = Number.POSITIVE_INFINITY;
    let routedOnlyNewAt: number | undefined;
    return pollUntil(
      what,
      options.pollMs,
      opts.timeoutMs ?? 180_000,
      async (round) => {
        const cs = await webContainers();
        const running = cs.filter((c) => c.state === 'running');
        const routed = backendsOf(await dataPlaneStatus(stateDir), NS, NAME);
        minRouted = Math.min(minRouted, routed.length);
        const newIds = cs.filter(match).map((c) => c.id);
        if (routedOnlyNewAt === undefined && routed.length === options.replicas && routed.every((id) => newIds.includes(id))) routedOnlyNewAt = round;
        const ok =
          running.length === options.replicas &&
          running.every(match) &&
          (!opts.exclusive || cs.every(match)) &&
          sameSet(
            routed,
            running.map((c) => c.id),
          );
        if (!ok) return undefined;
        if (!(await allAnswer(webPort, text))) return undefined;
        return { at: round, minRouted, routedOnlyNewAt: routedOnlyNewAt ?? round };
      },
      daemon.died,
    );
  };

  let t = now();
  await waitServing('berth to serve v1 on 10 replicas', (c) => c.commit === v1, 'v1', { exclusive: true });
  progress(`berth: serving v1 on ${options.replicas} replicas ${ms(now() - t)} after start (pid ${daemon.berth.child.pid}, Service on 127.0.0.1:${webPort})`);
  await sleep(1_000);

  const load = LoadRun.start({ port: webPort, concurrency: options.concurrency });
  const stopLoad = async () => void (await load.stop());
  cleanups.push(stopLoad);
  await sleep(1_000);

  let previous: RolloutSample | undefined;
  const closeWindow = (s: RolloutSample | undefined, end: number) => {
    if (s) s.load = load.window(s.triggeredAt, end);
  };
  for (let i = 0; i < options.runs; i++) {
    checkInterrupted();
    const text = `v${i + 2}`;
    await repo.write(`manifests/${NS}/web.yaml`, manifest(text));
    const commit = await repo.commit(text);
    const triggeredAt = now();
    closeWindow(previous, triggeredAt);
    const answeredAt = await triggerSync(daemon);
    const done = await waitServing(`berth to roll out ${text}`, (c) => c.commit === commit, text);
    const sample: RolloutSample = {
      peer: 'berth',
      run: i + 1,
      text,
      triggeredAt,
      answeredAt,
      doneAt: done.at,
      rolloutMs: done.at - triggeredAt,
      routedOnlyNewAt: done.routedOnlyNewAt,
      minRouted: done.minRouted,
      berth: analyzeRollout(daemon.lines(), { deployment: NAME, containerPrefix: prefix, from: triggeredAt, to: done.at }),
    };
    result.runs.push(sample);
    previous = sample;
    // Let the last old replicas be deleted and berth's follow-up pass run before the next change.
    await pollUntil(
      'old containers to be deleted',
      100,
      30_000,
      async () => ((await webContainers()).length === options.replicas ? true : undefined),
      daemon.died,
    );
    await sleep(1_000);
    Object.assign(sample, { berthEngine: engineOf(sample.berth!) });
    const w = load.window(triggeredAt, now());
    progress(
      `berth run ${i + 1}/${options.runs} (${text}): ${ms(sample.rolloutMs)}; ${w.failed} failed of ${w.total} requests; min routed ${sample.minRouted}`,
    );
  }

  // ---- failed rollouts: a readiness probe that never passes, then a crash loop ----
  // Each is judged by berth and rolled back to the revision that served before it (the newer
  // commit of the second releases the first's rollback pin).
  const failRollout = async (text: string, over: Partial<DeploymentYamlOptions>, why: string): Promise<FailedRollout> => {
    checkInterrupted();
    const good = (await webContainers())[0]!.revision;
    await repo.write(`manifests/${NS}/web.yaml`, manifest(text, over));
    await repo.commit(`${text}: ${why}`);
    const triggeredAt = now();
    closeWindow(previous, triggeredAt);
    previous = undefined;
    await triggerSync(daemon);
    const decision = await pollUntil(
      `berth to judge the rollout of ${text} failed`,
      50,
      90_000,
      async () => daemon.lines().find((l) => l.time >= triggeredAt && l.msg.startsWith('rollout failed:')),
      daemon.died,
    );
    const serving = await waitServing('the old revision to serve again', (c) => c.revision === good, result.runs.at(-1)?.text ?? 'v1', {
      exclusive: true,
      timeoutMs: 60_000,
    });
    await sleep(1_000);
    const window = load.window(triggeredAt, now());
    // Each exit of the failed revision (the engine's `die`) → berth acting on it (removing the
    // exited replica to restart it, or the CrashLoop decision).
    const actions = daemon
      .lines()
      .filter(
        (l) =>
          l.time >= triggeredAt &&
          l.time <= decision.time &&
          ((l.time === decision.time && l.msg === decision.msg) || (l.msg === 'removing replica' && l.reason === 'exited')),
      );
    const exitToActionMs = events.events
      .filter((e) => e.action === 'die' && e.at >= triggeredAt && e.at <= decision.time)
      .map((d) => (actions.find((l) => l.time >= d.at)?.time ?? Number.NaN) - d.at);
    const failure: FailedRollout = {
      text,
      reason: String(decision.reason),
      exitToActionMs,
      triggeredAt,
      decidedAt: decision.time,
      decision: decision.msg,
      servingAt: serving.at,
      decisionToServingMs: serving.at - decision.time,
      triggerToDecisionMs: decision.time - triggeredAt,
      load: window,
      badAnswers: 0,
      berth: analyzeRollout(daemon.lines(), { deployment: NAME, containerPrefix: prefix, from: decision.time, to: serving.at }),
    };
    progress(
      `berth failed rollout (${why}): judged failed ${ms(failure.triggerToDecisionMs)} after the trigger; old revision fully serving ${ms(failure.decisionToServingMs)} after the decision; ` +
        `${window.failed} failed of ${window.total} requests${exitToActionMs.length > 0 ? `; each exit → berth acting on it: ${exitToActionMs.map(ms).join(', ')}` : ''}`,
    );
    return failure;
  };
  result.failed = await failRollout(
    'vbad',
    { readinessProbe: { path: '/not-there', port: 8080, periodSeconds: 1 }, progressDeadlineSeconds: 5 },
    'readiness never passes',
  );
  // The deadline stays Kubernetes' default: the crash loop must be judged from the exits alone.
  result.crashLoop = await failRollout(
    'vcrash',
    { command: ['sh', '-c', 'echo crashing; exit 3'], progressDeadlineSeconds: K8S_PROGRESS_DEADLINE_S },
    'crashes at start',
  );

  // ---- the floor under the same load, then steady state until enough requests ----
  checkInterrupted();
  t = now();
  const floorArgs = {
    docker: ctx.docker,
    network: ctx.floorNetwork,
    labels: { [TEST_RUN_LABEL]: scope.instance },
    image: TEST_IMAGE,
    runs: options.floorRuns,
    intervalMs: 10,
  };
  result.floorUnderLoad = await measureFloor({ ...floorArgs, name: (s) => scope.name(`load-${s}`), parallel: 1 });
  result.pairUnderLoad = await measureFloor({ ...floorArgs, name: (s) => scope.name(`load-pair-${s}`), parallel: options.maxSurge });
  result.rollingUnderLoad = await measureRollingFloor({
    ...floorArgs,
    name: (s) => scope.name(`load-${s}`),
    runs: options.runs,
    replicas: options.replicas,
    surge: options.maxSurge,
  });
  progress(
    `floor under load: one container ${ms(summarize(result.floorUnderLoad.map((f) => f.readyMs)).median)}, ${options.maxSurge} at once ${ms(summarize(result.pairUnderLoad.map((f) => f.readyMs)).median)}; ` +
      `the engine's own rolling update: new answering ${ms(summarize(result.rollingUnderLoad.map((f) => f.newReadyMs)).median)}, old gone ${ms(summarize(result.rollingUnderLoad.map((f) => f.oldGoneMs)).median)}`,
  );
  const steadyFrom = now();
  let lastReport = now();
  while (load.total() < options.minRequests) {
    checkInterrupted();
    if (now() - steadyFrom > 15 * 60_000) {
      result.notes.push(`the steady-state period was cut at 15 min with ${load.total()} requests`);
      break;
    }
    if (now() - lastReport > 10_000) {
      progress(`berth steady state: ${load.total()} of ${options.minRequests} requests`);
      lastReport = now();
    }
    await Promise.race([sleep(250), daemon.died]);
  }
  result.steadyStateMs = now() - t;
  const totals = await load.stop();
  await releaseNow(stopLoad);
  result.totals = totals;
  result.loadMs = now() - load.startedAt;
  for (const f of [result.failed, result.crashLoop]) f.badAnswers = answersByText(totals.bodies)[f.text] ?? 0;
  progress(`berth: ${totals.failed} failed of ${totals.total} requests in ${ms(result.loadMs)} of load`);
  await releaseNow(daemon.stop);
  await releaseNow(stopEvents);
  return result;
}

// ---------------------------------------------------------------- Swarm

async function runSwarm(ctx: { options: Options; scope: DockerScope; docker: Docker }): Promise<PeerResult> {
  const { options, scope, docker } = ctx;
  const result: PeerResult = {
    peer: 'swarm',
    description: `docker service update: start-first, parallelism ${options.maxSurge}, healthcheck every 1 s, monitor 2 s, delay 0; naive LB in front (tasks desired+running, refreshed every ${options.lbRefreshMs} ms)`,
    runs: [],
    notes: [],
  };
  const swarm = await ensureSwarm(docker, progress);
  cleanups.push(swarm.leave);
  if (!swarm.created) result.notes.push('the engine was already in a swarm: it was used and left as it was');
  const name = `${scope.instance}-web`;
  const imageId = (await docker.getImage(TEST_IMAGE).inspect()).Id;
  const removeSvc = () => removeService(docker, name);
  cleanups.push(removeSvc);
  const events = await ContainerEvents.start(docker, `com.docker.swarm.service.name=${name}`);
  const stopEvents = async () => events.stop();
  cleanups.push(stopEvents);
  let t = now();
  await createService({
    name,
    imageId,
    replicas: options.replicas,
    version: 'v1',
    command: webCommand('$VERSION'),
    labels: { [TEST_RUN_LABEL]: scope.instance },
    parallelism: options.maxSurge,
  });
  const runningOf = async (version: string) => {
    const tasks = await tasksOf(docker, name);
    const running = tasks.filter((x) => x.state === 'running');
    return running.length === options.replicas && running.every((x) => x.version === version) ? running : undefined;
  };
  await pollUntil('the swarm service to run 10 healthy tasks', 250, 180_000, () => runningOf('v1'));
  progress(`swarm: service ${name} runs ${options.replicas} healthy tasks ${ms(now() - t)} after create`);
  const lbPort = await freePort();
  const lb = new NaiveLb({ port: lbPort, refreshMs: options.lbRefreshMs, source: swarmBackends(docker, name) });
  await lb.start();
  const stopLb = () => lb.stop();
  cleanups.push(stopLb);
  await pollUntil('the LB to route the swarm tasks', 100, 30_000, async () =>
    lb.ids().length === options.replicas && (await allAnswer(lbPort, 'v1')) ? true : undefined,
  );
  const load = LoadRun.start({ port: lbPort, concurrency: options.concurrency });
  const stopLoad = async () => void (await load.stop());
  cleanups.push(stopLoad);
  await sleep(2_000);

  for (let i = 0; i < options.runs; i++) {
    checkInterrupted();
    const text = `v${i + 2}`;
    let minRouted = lb.ids().length;
    const triggeredAt = now();
    const prev = result.runs.at(-1);
    if (prev) prev.load = load.window(prev.triggeredAt, triggeredAt);
    await updateService(name, text);
    const answeredAt = now();
    const done = await pollUntil(`swarm to roll out ${text}`, options.pollMs, 180_000, async (round) => {
      minRouted = Math.min(minRouted, lb.ids().length);
      const running = await runningOf(text);
      return running ? { at: round, ids: running.map((x) => x.id) } : undefined;
    });
    const routedOnlyNewAt = await pollUntil('the LB to route only the new tasks', 50, 30_000, async () => {
      if (!sameSet(lb.ids(), done.ids)) return undefined;
      return [...lb.changes].reverse().find((c) => sameSet(c.ids, done.ids))?.at ?? now();
    });
    await pollUntil(`the LB to answer ${text}`, 100, 30_000, async () => ((await allAnswer(lbPort, text)) ? true : undefined));
    const update = await pollUntil('Swarm to mark the update completed', 250, 120_000, async () => {
      const u = await updateStatus(docker, name);
      return u.state === 'completed'
        ? u
        : u.state === 'paused' || u.state?.startsWith('rollback')
          ? Promise.reject(new Error(`swarm update ${u.state}: ${u.message}`))
          : undefined;
    });
    await sleep(500); // the last engine events
    const swarmSlots = await slotsOf({
      docker,
      service: name,
      version: text,
      previous: i === 0 ? 'v1' : `v${i + 1}`,
      events,
      lbChanges: lb.changes,
      since: triggeredAt,
    });
    result.runs.push({
      peer: 'swarm',
      swarmSlots,
      run: i + 1,
      text,
      triggeredAt,
      answeredAt,
      doneAt: done.at,
      rolloutMs: done.at - triggeredAt,
      routedOnlyNewAt,
      minRouted,
      swarmUpdate: update,
    });
    await sleep(1_000);
    const w = load.window(triggeredAt, now());
    progress(
      `swarm run ${i + 1}/${options.runs} (${text}): ${ms(done.at - triggeredAt)} (UpdateStatus completed at ${ms((update.completedAt ?? NaN) - triggeredAt)}); ${w.failed} failed of ${w.total} requests; LB min routed ${minRouted}`,
    );
  }
  const last = result.runs.at(-1);
  const totals = await load.stop();
  if (last) last.load = load.window(last.triggeredAt, now());
  await releaseNow(stopLoad);
  result.totals = totals;
  result.loadMs = now() - load.startedAt;
  if (lb.refreshErrors > 0) result.notes.push(`${lb.refreshErrors} LB refreshes failed (task list unavailable); the LB kept its table`);
  await releaseNow(stopLb);
  await releaseNow(stopEvents);
  t = now();
  await releaseNow(removeSvc);
  await releaseNow(swarm.leave);
  progress(`swarm: ${totals.failed} failed of ${totals.total} requests; service removed${swarm.created ? ', swarm left' : ''} in ${ms(now() - t)}`);
  return result;
}

// ---------------------------------------------------------------- Compose

async function runCompose(ctx: { options: Options; scope: DockerScope; docker: Docker; scratch: string }): Promise<PeerResult> {
  const { options, scope, docker } = ctx;
  const driver = await composeDriver({
    docker,
    project: `${scope.instance}-compose`,
    image: TEST_IMAGE,
    replicas: options.replicas,
    command: webCommand('$VERSION'),
    labels: { [TEST_RUN_LABEL]: scope.instance },
    stopGraceSeconds: GRACE_SECONDS,
    scratchDir: ctx.scratch,
  });
  const result: PeerResult = {
    peer: 'compose',
    description: `Compose-style recreate (${driver.description}), same healthcheck; naive LB in front (running + healthy containers, refreshed every ${options.lbRefreshMs} ms)`,
    runs: [],
    notes: [],
  };
  const down = () => driver.down();
  cleanups.push(down);
  const t = now();
  await driver.up('v1');
  const healthyOf = async (version: string) => {
    const cs = await driver.containers();
    const running = cs.filter((c) => c.running);
    return running.length === options.replicas && running.every((c) => c.version === version && c.healthy) ? running : undefined;
  };
  await pollUntil('the compose replicas to be healthy', 250, 180_000, () => healthyOf('v1'));
  progress(`compose: ${options.replicas} healthy containers ${ms(now() - t)} after up`);
  const lbPort = await freePort();
  const lb = new NaiveLb({ port: lbPort, refreshMs: options.lbRefreshMs, source: composeBackends(driver) });
  await lb.start();
  const stopLb = () => lb.stop();
  cleanups.push(stopLb);
  await pollUntil('the LB to route the compose replicas', 100, 30_000, async () =>
    lb.ids().length === options.replicas && (await allAnswer(lbPort, 'v1')) ? true : undefined,
  );
  const load = LoadRun.start({ port: lbPort, concurrency: options.concurrency });
  const stopLoad = async () => void (await load.stop());
  cleanups.push(stopLoad);
  await sleep(2_000);

  for (let i = 0; i < options.runs; i++) {
    checkInterrupted();
    const text = `v${i + 2}`;
    let minRouted = lb.ids().length;
    // The LB's table is watched while `up -d` runs (it takes seconds).
    let watching = true;
    const watch = (async () => {
      while (watching) {
        minRouted = Math.min(minRouted, lb.ids().length);
        await sleep(25);
      }
    })();
    const triggeredAt = now();
    const prev = result.runs.at(-1);
    if (prev) prev.load = load.window(prev.triggeredAt, triggeredAt);
    const up = await driver.up(text);
    const done = await pollUntil(`compose to run ${text}`, options.pollMs, 180_000, async (round) => {
      const running = await healthyOf(text);
      return running ? { at: round, ids: running.map((c) => c.id) } : undefined;
    });
    const routedOnlyNewAt = await pollUntil('the LB to route only the new containers', 50, 30_000, async () => {
      if (!sameSet(lb.ids(), done.ids)) return undefined;
      return [...lb.changes].reverse().find((c) => sameSet(c.ids, done.ids))?.at ?? now();
    });
    watching = false;
    await watch;
    await pollUntil(`the LB to answer ${text}`, 100, 30_000, async () => ((await allAnswer(lbPort, text)) ? true : undefined));
    result.runs.push({
      peer: 'compose',
      run: i + 1,
      text,
      triggeredAt,
      answeredAt: up.returnedAt,
      doneAt: done.at,
      rolloutMs: done.at - triggeredAt,
      routedOnlyNewAt,
      minRouted,
      ...(up.replacedAt !== undefined ? { replacedAt: up.replacedAt } : {}),
    });
    await sleep(1_000);
    const w = load.window(triggeredAt, now());
    progress(
      `compose run ${i + 1}/${options.runs} (${text}): ${ms(done.at - triggeredAt)} (up -d returned at ${ms(up.returnedAt - triggeredAt)}); ${w.failed} failed of ${w.total} requests; no answer for ${ms(w.longestNoSuccessMs)}`,
    );
  }
  const last = result.runs.at(-1);
  const totals = await load.stop();
  if (last) last.load = load.window(last.triggeredAt, now());
  await releaseNow(stopLoad);
  result.totals = totals;
  result.loadMs = now() - load.startedAt;
  await releaseNow(stopLb);
  await releaseNow(down);
  progress(`compose: ${totals.failed} failed of ${totals.total} requests`);
  return result;
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const options = parseOptions();
  if (options.logs) await fsp.mkdir(options.logs, { recursive: true });
  const loadBefore = os.loadavg();
  const srcState = await sourceFingerprint();
  const startedAt = new Date().toISOString();
  const docker = dockerClient();
  await docker.ping();
  await docker.getImage(TEST_IMAGE).inspect();

  const scope = dockerScope('bench-rollout');
  cleanups.push(() => scope.cleanup());
  const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-bench-rollout-'));
  cleanups.push(() => fsp.rm(scratch, { recursive: true, force: true }));
  progress(`instance ${scope.instance}, scratch ${scratch}; peers ${options.peers.join(', ')}; ${options.runs} run(s) each`);

  // ---- the floor, quiet ----
  const floorNetwork = scope.name('floor');
  await docker.createNetwork({ Name: floorNetwork, Driver: 'bridge', CheckDuplicate: true, Labels: { [TEST_RUN_LABEL]: scope.instance } });
  const floorArgs = { docker, network: floorNetwork, labels: { [TEST_RUN_LABEL]: scope.instance }, image: TEST_IMAGE, runs: options.floorRuns, intervalMs: 10 };
  const floorQuiet = await measureFloor({ ...floorArgs, name: (s) => scope.name(`quiet-${s}`), parallel: 1 });
  const pairQuiet = await measureFloor({ ...floorArgs, name: (s) => scope.name(`quiet-pair-${s}`), parallel: options.maxSurge });
  const noPortQuiet = await measureFloor({ ...floorArgs, name: (s) => scope.name(`quiet-noport-${s}`), parallel: 1, publish: false });
  progress(
    `floor (quiet): one container ${ms(summarize(floorQuiet.map((f) => f.readyMs)).median)}, ${options.maxSurge} at once ${ms(summarize(pairQuiet.map((f) => f.readyMs)).median)}, ` +
      `one without a published port ${ms(summarize(noPortQuiet.map((f) => f.readyMs)).median)}`,
  );

  const results: PeerResult[] = [];
  let berth: BerthResult | undefined;
  for (const peer of options.peers) {
    checkInterrupted();
    progress(`---- ${peer} ----`);
    if (peer === 'berth') results.push((berth = await runBerth({ options, scope, scratch, floorNetwork, docker })));
    if (peer === 'swarm') results.push(await runSwarm({ options, scope, docker }));
    if (peer === 'compose') results.push(await runCompose({ options, scope, docker, scratch }));
  }

  const context = {
    options,
    startedAt,
    loadBefore,
    loadAfter: os.loadavg(),
    srcState,
    instance: scope.instance,
    floorQuiet,
    pairQuiet,
    noPortQuiet,
    results,
    berth,
  };
  process.stdout.write(report(context));
  if (options.json) {
    await fsp.writeFile(options.json, `${JSON.stringify(context, null, 2)}\n`);
    progress(`raw numbers written to ${options.json}`);
  }
  return 0;
}

// ---------------------------------------------------------------- report

function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}

function report(c: {
  options: Options;
  startedAt: string;
  loadBefore: number[];
  loadAfter: number[];
  srcState: string;
  floorQuiet: readonly FloorSample[];
  pairQuiet: readonly FloorSample[];
  noPortQuiet: readonly FloorSample[];
  results: readonly PeerResult[];
  berth: BerthResult | undefined;
}): string {
  const { options, berth } = c;
  const lines: string[] = [];
  const cpus = os.cpus();
  const waves = Math.ceil(options.replicas / options.maxSurge);
  const med = (xs: readonly number[]) => summarize(xs.filter(Number.isFinite)).median;
  const floorLoad = berth && berth.floorUnderLoad.length > 0 ? berth.floorUnderLoad : undefined;
  const floorOne = med((floorLoad ?? c.floorQuiet).map((f) => f.readyMs));
  const floorMs = waves * floorOne;
  const floorWhat = floorLoad ? 'under the berth load' : 'quiet (no berth run: no under-load sample)';
  const pairLoad = berth && berth.pairUnderLoad.length > 0 ? berth.pairUnderLoad : undefined;
  const waveFloorMs = waves * med((pairLoad ?? c.pairQuiet).map((f) => f.readyMs));
  const stat = (r: PeerResult) => summarize(r.runs.map((x) => x.rolloutMs));
  const sum = (r: PeerResult, pick: (w: WindowStats) => number) => r.runs.reduce((a, x) => a + (x.load ? pick(x.load) : 0), 0);
  const byPeer = (p: Peer) => c.results.find((r) => r.peer === p);

  lines.push('## Rollout: berth vs Docker Swarm vs a Compose-style recreate', '');
  lines.push(
    `Machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, Node ${process.version}. Started ${c.startedAt}; ` +
      `load average (1/5/15 min) before ${c.loadBefore.map((l) => l.toFixed(2)).join(' / ')}, after ${c.loadAfter.map((l) => l.toFixed(2)).join(' / ')}. berth measured: ${c.srcState}.`,
    '',
    `${options.replicas} replicas of busybox httpd (\`/\` at once, \`/cgi-bin/slow\` after 200 ms); ${options.runs} update(s) per peer, each changing the served text. ` +
      `Load: ${options.concurrency} closed loops (${Math.floor(options.concurrency / 2)} on \`/cgi-bin/slow\`, the rest on \`/\`), a new connection per request, every refused/reset/timed-out/non-2xx request counted as failed.`,
    '',
  );

  lines.push(
    `| peer | rollout time, median (min – max) | ÷ floor | ÷ wave floor (${options.maxSurge} at once) | failed / total requests during the rollouts | of which \`/cgi-bin/slow\` | longest stretch without a successful answer | fewest backends routed | what it is |`,
  );
  lines.push('|---|---|---|---|---|---|---|---|---|');
  for (const r of c.results) {
    const s = stat(r);
    const noAnswer = Math.max(0, ...r.runs.map((x) => x.load?.longestNoSuccessMs ?? 0));
    lines.push(
      `| ${r.peer === 'berth' ? '**berth**' : r.peer === 'swarm' ? 'Docker Swarm' : 'Compose-style recreate'} | ${ms(s.median)} (${ms(Math.min(...r.runs.map((x) => x.rolloutMs)))} – ${ms(s.max)}) | ${(s.median / floorMs).toFixed(2)} | ${(s.median / waveFloorMs).toFixed(2)} | ` +
        `${int(sum(r, (w) => w.failed))} / ${int(sum(r, (w) => w.total))} | ${int(sum(r, (w) => w.slowFailed))} / ${int(sum(r, (w) => w.slowOk + w.slowFailed))} | ${ms(noAnswer)} | ${Math.min(...r.runs.map((x) => x.minRouted))} | ${r.description} |`,
    );
  }
  lines.push('');
  lines.push(
    `Floor: ${waves} waves (${options.replicas} replicas ÷ maxSurge ${options.maxSurge}) × ${ms(floorOne)} (one container's create + start + first HTTP 200, polled every 10 ms, median of ${(floorLoad ?? c.floorQuiet).length}, ${floorWhat}) = **${ms(floorMs)}**. ` +
      `Quiet machine: one container ${ms(med(c.floorQuiet.map((f) => f.readyMs)))}, ${options.maxSurge} at once ${ms(med(c.pairQuiet.map((f) => f.readyMs)))}` +
      (berth
        ? `; under the load: one ${ms(med(berth.floorUnderLoad.map((f) => f.readyMs)))}, ${options.maxSurge} at once ${ms(med(berth.pairUnderLoad.map((f) => f.readyMs)))}`
        : '') +
      ` (start call returned at ${ms(med((floorLoad ?? c.floorQuiet).map((f) => f.startedMs)))}). ` +
      `Wave floor: ${waves} × ${options.maxSurge} containers created and started at once until both answer = ${ms(waveFloorMs)} (${pairLoad ? 'under the load' : 'quiet'}); a wave of a rolling update starts ${options.maxSurge} at once. ` +
      `For scale (quiet): the same container without a published port (probed on its bridge address) ${ms(med(c.noPortQuiet.map((f) => f.readyMs)))}; ` +
      `a graceful stop through the init: ${ms(med(c.floorQuiet.map((f) => f.stopMs)))} (${ms(med(c.noPortQuiet.map((f) => f.stopMs)))} without a published port)` +
      (berth ? `, ${ms(med(berth.floorUnderLoad.map((f) => f.stopMs)))} under the load` : '') +
      '.',
    '',
  );
  const rolling = berth && berth.rollingUnderLoad.length > 0 ? berth.rollingUnderLoad : undefined;
  if (berth && rolling) {
    const newReady = med(rolling.map((f) => f.newReadyMs));
    const oldGone = med(rolling.map((f) => f.oldGoneMs));
    const m = stat(berth).median;
    const routedOnlyNew = med(berth.runs.map((x) => (x.routedOnlyNewAt ?? x.doneAt) - x.triggeredAt));
    lines.push(
      `The engine's own rolling update, under the same load (no orchestrator: ${options.replicas} containers answering, then waves of ${options.maxSurge} created and started at once; ` +
        `as soon as a wave answers, ${options.maxSurge} old ones get a graceful stop and are removed while the next wave starts; no drain, no probe period, polled every 10 ms; median of ${rolling.length}): ` +
        `every new container answering after **${ms(newReady)}** (${(newReady / waveFloorMs).toFixed(2)} × the wave floor), the last old one removed after **${ms(oldGone)}** (${(oldGone / waveFloorMs).toFixed(2)} × the wave floor). ` +
        `berth's rollout (old ones gone) is ${(m / oldGone).toFixed(2)} × that; berth routing only the new revision (${ms(routedOnlyNew)}, median) is ${(routedOnlyNew / newReady).toFixed(2)} × its new-answering time.`,
      '',
    );
  }

  // ---- goals ----
  lines.push('| goal | measured | met/MISSED |', '|---|---|---|');
  const verdict = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'met' : '**MISSED**');
  if (berth?.totals) {
    const t = berth.totals;
    lines.push(
      `| berth: 0 failed of ≥ ${int(REQUESTS_GOAL)} requests (the whole berth part: ${options.runs} rollouts, the failed rollout, steady state) | ${int(t.failed)} failed of ${int(t.total)} (${int(t.slowFailed)} of ${int(t.slowOk + t.slowFailed)} slow) | ${verdict(t.failed === 0 && t.total >= REQUESTS_GOAL)} |`,
    );
    const m = stat(berth).median;
    lines.push(
      `| berth rollout ≤ ${FLOOR_RATIO_GOAL} × floor (${ms(FLOOR_RATIO_GOAL * floorMs)}) | median ${ms(m)} = ${(m / floorMs).toFixed(2)} × floor | ${verdict(m <= FLOOR_RATIO_GOAL * floorMs)} |`,
    );
    lines.push(
      `| berth rollout ≤ ${FLOOR_RATIO_GOAL} × wave floor (${ms(FLOOR_RATIO_GOAL * waveFloorMs)}) | median ${ms(m)} = ${(m / waveFloorMs).toFixed(2)} × wave floor | ${verdict(m <= FLOOR_RATIO_GOAL * waveFloorMs)} |`,
    );
    const sw = byPeer('swarm');
    lines.push(
      `| berth rollout ≤ Swarm's | berth ${ms(m)} vs Swarm ${sw ? ms(stat(sw).median) : 'not run'} (medians) | ${verdict(sw ? m <= stat(sw).median : undefined)} |`,
    );
    const f = berth.failed;
    if (f) {
      lines.push(
        `| failed rollout → old revision fully serving ≤ ${ms(ROLLBACK_GOAL_MS)} after the decision | ${ms(f.decisionToServingMs)} | ${verdict(f.decisionToServingMs <= ROLLBACK_GOAL_MS)} |`,
      );
      lines.push(
        `| failed rollout: 0 failed requests, no answer from the failed revision | ${int(f.load.failed)} failed of ${int(f.load.total)}; ${int(f.badAnswers)} answers from it | ${verdict(f.load.failed === 0 && f.badAnswers === 0)} |`,
      );
    }
    const c = berth.crashLoop;
    if (c) {
      lines.push(
        `| crash-looping revision judged failed from its exits, not its deadline (Kubernetes: ProgressDeadlineExceeded after ${K8S_PROGRESS_DEADLINE_S} s, no rollback) | ${ms(c.triggerToDecisionMs)} after the sync request (each exit → berth acting on it: ${c.exitToActionMs.map(ms).join(', ')}); old revision fully serving ${ms(c.decisionToServingMs)} after the decision | ${verdict(c.reason === 'CrashLoop' && c.decisionToServingMs <= ROLLBACK_GOAL_MS)} |`,
      );
      lines.push(
        `| crash loop: 0 failed requests, no answer from the failed revision | ${int(c.load.failed)} failed of ${int(c.load.total)}; ${int(c.badAnswers)} answers from it | ${verdict(c.load.failed === 0 && c.badAnswers === 0)} |`,
      );
    }
  }
  lines.push('');

  // ---- per run ----
  lines.push('### Every rollout', '');
  lines.push(
    '| peer | run | rollout time | trigger answered / returned | routes only new backends | platform\'s own "done" | failed / total (trigger → next trigger) | slow failed | first → last failure | longest without an answer |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of c.results) {
    for (const x of r.runs) {
      const rel = (t: number | undefined) => (t === undefined ? 'n/a' : ms(t - x.triggeredAt));
      const own =
        x.swarmUpdate?.completedAt !== undefined
          ? `UpdateStatus completed ${rel(x.swarmUpdate.completedAt)}`
          : x.replacedAt !== undefined
            ? `all recreated ${rel(x.replacedAt)}, \`up -d\` returned ${rel(x.answeredAt)}`
            : '—';
      const w = x.load;
      lines.push(
        `| ${r.peer} | ${x.run} (${x.text}) | ${ms(x.rolloutMs)} | ${rel(x.answeredAt)} | ${rel(x.routedOnlyNewAt)} | ${own} | ${w ? `${int(w.failed)} / ${int(w.total)}` : 'n/a'} | ${w ? int(w.slowFailed) : 'n/a'} | ` +
          `${w?.firstFailureAt !== undefined ? `${rel(w.firstFailureAt)} → ${rel(w.lastFailureAt)}` : '—'} | ${w ? ms(w.longestNoSuccessMs) : 'n/a'} |`,
      );
    }
  }
  lines.push('');
  for (const r of c.results) {
    const t = r.totals;
    if (t) {
      lines.push(
        `${r.peer}: the load ran ${ms(r.loadMs ?? NaN)} in all: ${int(t.failed)} failed of ${int(t.total)} requests` +
          (t.errors.length > 0
            ? ` (first errors: ${t.errors
                .slice(0, 4)
                .map((e) => `\`${e}\``)
                .join(', ')})`
            : '') +
          `.${r.notes.length > 0 ? ` Notes: ${r.notes.join('; ')}.` : ''}`,
        '',
      );
    }
  }

  // ---- berth: where the time goes ----
  if (berth && berth.runs.length > 0) {
    const logs = berth.runs.map((x) => x.berth!);
    lines.push("### berth: where a rollout's time goes (its own log, critical path)", '');
    lines.push(
      `Per rollout, the time from the sync request to done, split by what berth was waiting for between two of its moves (each rollout's phases add up to its rollout time; shown: each phase's median over the ${logs.length} rollouts):`,
      '',
    );
    lines.push('| phase | median per rollout | per wave (÷ ' + waves + ') | share |', '|---|---|---|---|');
    const total = med(berth.runs.map((x) => x.rolloutMs));
    for (const p of PHASES) {
      const v = med(logs.map((l) => l.phases[p]));
      lines.push(`| ${PHASE_LABEL[p as Phase]} | ${ms(v)} | ${ms(v / waves)} | ${((100 * v) / total).toFixed(0)} % |`);
    }
    const created = logs.flatMap((l) => l.created);
    const startMs = created.filter((x) => x.started !== undefined).map((x) => x.started! - x.creating);
    const readyMs = created.filter((x) => x.ready !== undefined && x.started !== undefined).map((x) => x.ready! - x.started!);
    const firstFailed = created.filter((x) => x.failedProbesBeforeReady > 0).length;
    const removed = logs.flatMap((l) => l.removedOld);
    const stopMs = removed.filter((x) => x.stopped !== undefined).map((x) => x.stopped! - x.drained);
    const delMs = removed.filter((x) => x.stopped !== undefined && x.removed !== undefined).map((x) => x.removed! - x.stopped!);
    const engine = berth.runs.flatMap((x) => (x.berth && x.berthEngine ? [{ log: x.berth, engine: x.berthEngine }] : []));
    const pairs = (f: (e: (typeof engine)[number]) => number[]) => engine.flatMap(f).filter(Number.isFinite);
    const createCall = pairs(({ log, engine: en }) => log.created.map((c) => (en.created.find((x) => x.id === c.id)?.create ?? NaN) - c.creating));
    const createToStart = pairs(({ engine: en }) => en.created.map((x) => (x.start ?? NaN) - (x.create ?? NaN)));
    const startToLogged = pairs(({ log, engine: en }) => log.created.map((c) => (c.started ?? NaN) - (en.created.find((x) => x.id === c.id)?.start ?? NaN)));
    const drainedToKill = pairs(({ log, engine: en }) => log.removedOld.map((c) => (en.stopped.find((x) => x.id === c.id)?.kill ?? NaN) - c.drained));
    const killToDie = pairs(({ engine: en }) => en.stopped.map((x) => (x.die ?? NaN) - (x.kill ?? NaN)));
    const dieToStopped = pairs(({ log, engine: en }) => log.removedOld.map((c) => (c.stopped ?? NaN) - (en.stopped.find((x) => x.id === c.id)?.die ?? NaN)));
    const moves = logs.map((l) => l.moves.length);
    const allMoves = logs.flatMap((l) => l.moves);
    const partial = allMoves.filter((m) => Math.max(m.create, m.remove) < options.maxSurge).length;
    lines.push('');
    lines.push(
      `Per container (all rollouts): \`creating replica\` → \`container started\` median ${ms(med(startMs))} (max ${ms(summarize(startMs).max)}); started → \`container ready\` median ${ms(med(readyMs))} (max ${ms(summarize(readyMs).max)}); ` +
        `the first readiness probe failed for ${firstFailed} of ${created.length} new containers (each such failure costs one probe period, 1 s); stop median ${ms(med(stopMs))}, delete median ${ms(med(delMs))}. ` +
        `Moves per rollout: median ${med(moves)}, ${Math.min(...moves)}–${Math.max(...moves)} (${waves + 1} when every wave stays whole: create ${options.maxSurge}, ${waves - 1} × remove ${options.maxSurge} + create ${options.maxSurge}, remove ${options.maxSurge}); ` +
        `${partial} of ${allMoves.length} moves replaced fewer than ${options.maxSurge} replicas (a new replica that became ready while a move was running waits for that whole move, stop of the old one included).`,
      '',
    );
    lines.push(
      `The engine's side (its event stream): \`creating replica\` → engine \`create\` event median ${ms(med(createCall))}, \`create\` → \`start\` event ${ms(med(createToStart))}, \`start\` event → berth's \`container started\` ${ms(med(startToLogged))}; ` +
        `\`removing replica\` (drain done) → engine \`kill\` (SIGTERM) ${ms(med(drainedToKill))}, \`kill\` → \`die\` (the process exited) ${ms(med(killToDie))}, \`die\` → berth's \`container stopped\` (the stop call returned) ${ms(med(dieToStopped))}.`,
      '',
    );
    const f = berth.failed;
    if (f) {
      lines.push(
        `Failed rollout: judged failed ${ms(f.triggerToDecisionMs)} after the sync request (progressDeadlineSeconds 5 after the last progress); ` +
          `"${f.decision.slice(0, 160)}${f.decision.length > 160 ? '…' : ''}"; the old revision fully served again ${ms(f.decisionToServingMs)} later ` +
          `(after the decision: ${PHASES.filter((p) => f.berth.phases[p] > 0)
            .map((p) => `${p} ${ms(f.berth.phases[p])}`)
            .join(', ')}; \`sync\` here = decision → the pass that removes the failed revision's containers).`,
        '',
      );
    }
    const cl = berth.crashLoop;
    if (cl) {
      lines.push(
        `Crash loop (the container exits 3 at once, progressDeadlineSeconds ${K8S_PROGRESS_DEADLINE_S}): judged failed (${cl.reason}) ${ms(cl.triggerToDecisionMs)} after the sync request — ` +
          `create and start, the exit, a restart at once, the second exit; each exit (the engine's \`die\`) → berth acting on it: ${cl.exitToActionMs.map(ms).join(', ')} — "${cl.decision.slice(0, 160)}${cl.decision.length > 160 ? '…' : ''}"; ` +
          `the old revision fully served again ${ms(cl.decisionToServingMs)} later. Kubernetes' defaults for the same commit: the kubelet restarts the container at once, ` +
          `then after 10 s, 20 s, 40 s … (CrashLoopBackOff, at most 5 min); the Deployment is marked ProgressDeadlineExceeded after ${K8S_PROGRESS_DEADLINE_S} s and is not rolled back.`,
        '',
      );
    }
  }
  const sw = c.results.find((r) => r.peer === 'swarm');
  const slots = sw?.runs.flatMap((x) => (x.swarmSlots ?? []).map((slot) => ({ slot, x }))) ?? [];
  if (sw && slots.length > 0) {
    const d = (a: (s: SwarmSlot) => number | undefined, b: (s: SwarmSlot) => number | undefined) =>
      ms(med(slots.map(({ slot }) => (a(slot) === undefined || b(slot) === undefined ? NaN : b(slot)! - a(slot)!))));
    const firstTask = med(sw.runs.map((x) => Math.min(...(x.swarmSlots ?? []).map((s) => s.taskCreated)) - x.triggeredAt));
    // For each slot after the first `parallelism`: how long after the latest earlier slot's new task ran / old container stopped was it created?
    const gaps = sw.runs.flatMap((x) => {
      const ss = [...(x.swarmSlots ?? [])].sort((a, b) => a.taskCreated - b.taskCreated);
      return ss.slice(options.maxSurge).map((s) => {
        const before = ss.filter((o) => o.taskCreated < s.taskCreated);
        const lastRunning = Math.max(...before.map((o) => o.running ?? -Infinity).filter((t) => t <= s.taskCreated));
        const lastStopped = Math.max(...before.map((o) => o.oldStopped ?? -Infinity).filter((t) => t <= s.taskCreated));
        return { fromRunning: s.taskCreated - lastRunning, fromStopped: s.taskCreated - lastStopped };
      });
    });
    lines.push("### Docker Swarm: where a slot's time goes (engine events, task list)", '');
    lines.push('| step (median over every slot of every update) | time |', '|---|---|');
    lines.push(`| \`docker service update\` started → first new task created | ${ms(firstTask)} |`);
    lines.push(
      `| new task created → its container created | ${d(
        (s) => s.taskCreated,
        (s) => s.containerCreated,
      )} |`,
    );
    lines.push(
      `| container created → started | ${d(
        (s) => s.containerCreated,
        (s) => s.containerStarted,
      )} |`,
    );
    lines.push(
      `| started → first passing healthcheck (interval 1 s; the first check runs one interval after the start) | ${d(
        (s) => s.containerStarted,
        (s) => s.healthy,
      )} |`,
    );
    lines.push(
      `| healthy → task reported running | ${d(
        (s) => s.healthy,
        (s) => s.running,
      )} |`,
    );
    lines.push(
      `| new task running → the old task's container exited | ${d(
        (s) => s.running,
        (s) => s.oldStopped,
      )} |`,
    );
    lines.push(
      `| new task running → the old task's container gets SIGTERM (engine \`kill\` event) | ${d(
        (s) => s.running,
        (s) => s.oldKilled,
      )} |`,
    );
    lines.push(
      `| SIGTERM → the old task's container exited | ${d(
        (s) => s.oldKilled,
        (s) => s.oldStopped,
      )} |`,
    );
    lines.push(
      `| the LB dropped the old task (its desired state left running) → SIGTERM | ${d(
        (s) => s.lbDropped,
        (s) => s.oldKilled,
      )} |`,
    );
    lines.push(`| next slot's task created after the latest earlier slot's old container exited | ${ms(med(gaps.map((g) => g.fromStopped)))} |`);
    lines.push(`| next slot's task created after the latest earlier slot's new task ran | ${ms(med(gaps.map((g) => g.fromRunning)))} |`);
    lines.push('');
  }
  const lead = slots.map(({ slot }) => (slot.lbDropped !== undefined && slot.oldKilled !== undefined ? slot.oldKilled - slot.lbDropped : NaN));
  lines.push(
    "What the naive LB in front of Swarm and Compose knows: it is berth's own data plane class (ProxyServer) in the benchmark process, fed every " +
      `${options.lbRefreshMs} ms from the platform's API — Swarm: tasks whose desired state is running and whose state is running (with a healthcheck Swarm reports running only once healthy), ` +
      "Compose: running containers whose healthcheck says healthy (what Traefik's Swarm and Docker providers route to). It retries a connection refused before any answer on the next backend, as berth's data plane does. " +
      'What it does not know: that a backend is about to stop — nobody tells it, it can only notice at its next refresh. ' +
      (sw
        ? `Swarm gives it a head start without saying so: an old task's desired state leaves running (so it leaves the list) before its container gets SIGTERM — the LB dropped old tasks median ${ms(med(lead))} (min ${ms(Math.min(...lead.filter(Number.isFinite)))}) before the engine's \`kill\` event here, and the stop itself takes a while more — so their in-flight requests finished. `
        : '') +
      'Compose stops the old containers first: they leave the list only once stopped, so their in-flight requests are cut, and until the new ones are healthy there is nothing to route to. ' +
      "berth's data plane is told by berth itself: a replica leaves the rotation before it is stopped, and is stopped once its connections finished (drain).",
    '',
  );
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- entry

runBenchmark({ main, cleanups, progress });

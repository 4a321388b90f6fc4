/**
 * A benchmark worker: one berth pipeline in its own process, driven over the IPC channel by
 * bench/reconcile.ts (see protocol.ts). It runs exactly the calls a poll runs
 * (DesiredSource.refresh(), observe(), livePlan()), or a sweep's (the prune guard over the whole
 * list, then observe() and decideWorkloads() per namespace), and checks every plan and decision, so
 * a figure can only be printed for a pass that produced the right answer.
 */
import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import { performance } from 'node:perf_hooks';
import { DesiredSource } from '../../src/controller/desired-source.js';
import { type Logger, silentLogger } from '../../src/core/index.js';
import { buildDesiredState, type DesiredState } from '../../src/desired/index.js';
import { loadManifests, ManifestCache, parseAsRead } from '../../src/manifests/index.js';
import { observe, ObserveMemo } from '../../src/observed/index.js';
import type { Plan } from '../../src/plan/index.js';
import { livePlan } from '../../src/controller/live-plan.js';
import { decideWorkloads } from '../../src/controller/decide.js';
import { guardLivePrunes } from '../../src/plan/index.js';
import { DecisionMemo } from '../../src/controller/decision-memo.js';
import type { Inventory } from '../../src/runtime/index.js';
import { useNativeInflate } from '../../src/source/native-inflate.js';
import { openGitSource, type CommitInfo, type GitSource, type Snapshot, type SnapshotArgs } from '../../src/source/index.js';
import { completedRevisions } from './in-sync-inventory.js';
import { BENCH_INSTANCE as INSTANCE, namespaceFile, readEngineList } from './engine-file.js';
import type { RevisionRecord } from '../../src/store/index.js';
import type { EngineSpec, Memory, Phases, Reply, Request, SourceSpec, Timed } from './protocol.js';

/**
 * A GitSource that times the calls DesiredSource makes through it, and counts what a snapshot
 * actually read (folders listed, blobs read): the same object, only observed.
 */
class TimedSource implements GitSource {
  last = { resolveMs: 0, snapshotMs: 0, foldersRead: 0, blobsRead: 0, snapshots: 0 };

  constructor(private readonly inner: GitSource) {}

  get description(): string {
    return this.inner.description;
  }

  reset(): void {
    this.last = { resolveMs: 0, snapshotMs: 0, foldersRead: 0, blobsRead: 0, snapshots: 0 };
  }

  async resolve(): Promise<CommitInfo> {
    const t = performance.now();
    try {
      return await this.inner.resolve();
    } finally {
      this.last.resolveMs += performance.now() - t;
    }
  }

  resolveRef(ref: string): Promise<CommitInfo> {
    return this.inner.resolveRef(ref);
  }

  peekHead(): Promise<string> {
    return this.inner.peekHead();
  }

  includes(commit: string, ancestor: string): Promise<boolean> {
    return this.inner.includes(commit, ancestor);
  }

  async snapshot(args: SnapshotArgs): Promise<Snapshot> {
    const t = performance.now();
    const consume = args.consume;
    const counted: SnapshotArgs = consume
      ? {
          ...args,
          consume: (path, oid, content) => {
            const taken = consume(path, oid, content);
            if (taken) this.last.blobsRead++; // it comes without content; one left to the snapshot is counted below
            return taken;
          },
        }
      : args;
    try {
      const snapshot = await this.inner.snapshot(counted);
      this.last.snapshots++;
      for (const folder of snapshot.folders) {
        if (!folder.files) continue;
        this.last.foldersRead++;
        for (const f of folder.files) if (f.content) this.last.blobsRead++;
      }
      return snapshot;
    } finally {
      this.last.snapshotMs += performance.now() - t;
    }
  }

  changedPaths(from: string, to: string): Promise<string[]> {
    return this.inner.changedPaths(from, to);
  }
}

interface Warm {
  source: TimedSource;
  desiredSource: DesiredSource;
  /**
   * The in-sync engine's answer to a list, a file the driver keeps (engine-file.ts): each pass
   * reads and parses its own copy (engineList). Not held in the heap, where the daemon holds no
   * such text (it was 13 MB of the warm worker's live heap).
   */
  engine: EngineSpec;
  /** What the daemon's observe() remembers between passes (its Controller holds one per engine). */
  memo: ObserveMemo;
  /** The settled decisions the daemon keeps between passes (its Controller's, beside the ObserveMemo). */
  decisions: DecisionMemo;
  /** The store's revision histories: every Deployment's running revision recorded complete, as the daemon's store has them once in sync. */
  revisions: Readonly<Record<string, readonly RevisionRecord[]>>;
}

/**
 * The engine's answer for one pass, parsed anew (not timed), as the docker driver reads every list
 * (chunk by chunk, element by element: json-array.ts): the
 * pass sees fresh objects and strings, never the ones the previous pass (and the memo) saw. It
 * is handed over once, so nothing here holds it while the pass goes on: the daemon's list is a
 * temporary, garbage once observed.
 */
function engineList(w: Warm): () => Inventory {
  let listed: Inventory | undefined = readEngineList(w.engine.file);
  return () => {
    const taken = listed!;
    listed = undefined;
    return taken;
  };
}

function warmWith(
  source: TimedSource,
  desiredSource: DesiredSource,
  engine: EngineSpec,
  desired: DesiredState,
  previous?: Pick<Warm, 'memo' | 'decisions' | 'revisions'>,
): Warm {
  return {
    source,
    desiredSource,
    engine,
    memo: previous?.memo ?? new ObserveMemo(),
    decisions: previous?.decisions ?? new DecisionMemo(),
    revisions: completedRevisions(desired, previous?.revisions),
  };
}

let warm: Warm | undefined;

function memory(options: { gc?: boolean } = {}): Memory {
  const gc = (globalThis as { gc?: () => void }).gc;
  const afterGc = Boolean(options.gc && gc);
  if (afterGc) gc!();
  const m = process.memoryUsage();
  return {
    maxRssKb: peakRssKb(),
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    heapTotalBytes: m.heapTotal,
    externalBytes: m.external,
    afterGc,
  };
}

/** VmHWM, the kernel's peak RSS of this process's own memory, which `reset-peak` can reset (Memory.maxRssKb). */
function peakRssKb(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] ?? NaN);
}

/** Writing 5 to clear_refs resets the process's peak RSS to its RSS now (Linux ≥ 4.0, proc(5)). */
function resetPeak(): Untimed {
  fs.writeFileSync('/proc/self/clear_refs', '5');
  return { totalMs: 0, phases: {}, work: {}, memory: memory() };
}

/** Samples the RSS every half second until it has set no new low for `quietMs` (or `maxMs` passed); nothing else runs meanwhile. */
async function settle(quietMs: number, maxMs: number): Promise<Untimed> {
  const t = performance.now();
  let low = process.memoryUsage().rss;
  let lowAt = t;
  while (performance.now() - lowAt < quietMs && performance.now() - t < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rss = process.memoryUsage().rss;
    if (rss < low) [low, lowAt] = [rss, performance.now()];
  }
  return { totalMs: performance.now() - t, phases: {}, work: { settledAfterMs: Math.round(lowAt - t) }, memory: memory() };
}

/** Runs `fn` and adds its duration to `phases[name]` (and, given `peaks`, the peak RSS once it ran). */
async function phase<T>(phases: Phases, name: string, fn: () => T | Promise<T>, peaks?: Record<string, number>): Promise<T> {
  const t = performance.now();
  const value = await fn();
  phases[name] = (phases[name] ?? 0) + (performance.now() - t);
  if (peaks) peaks[name] = peakRssKb();
  return value;
}

function sum(phases: Phases): number {
  return Object.values(phases).reduce((a, b) => a + b, 0);
}

function check(condition: boolean, message: string, plan?: Plan): asserts condition {
  if (condition) return;
  const detail = plan
    ? ` (summary ${JSON.stringify(plan.summary)}; namespaces with actions: ${plan.namespaces
        .filter((n) => n.actions.length > 0)
        .slice(0, 3)
        .map((n) => `${n.namespace}: ${n.actions.map((a) => a.kind).join(',')}`)
        .join('; ')})`
    : '';
  throw new Error(`benchmark check failed: ${message}${detail}`);
}

/** Every desired Deployment is created, nothing is invalid or diagnosed. */
function checkColdPlan(desired: DesiredState, plan: Plan, expect: { deployments: number; namespaces: number }): void {
  check(desired.namespaces.length === expect.namespaces, `expected ${expect.namespaces} namespaces, got ${desired.namespaces.length}`);
  const diagnostics = desired.diagnostics.length + desired.namespaces.reduce((n, ns) => n + ns.diagnostics.length, 0);
  check(diagnostics === 0, `expected a clean repository, got ${diagnostics} diagnostics`);
  check(plan.summary.create === expect.deployments, `expected ${expect.deployments} create-deployment actions`, plan);
  check(plan.summary.update === 0 && plan.summary.prune === 0 && plan.summary.invalidNamespaces === 0, 'expected creations only', plan);
}

function checkInSync(plan: Plan): void {
  check(
    plan.namespaces.every((n) => n.actions.length === 0 && n.verdict === 'in-sync'),
    'expected an in-sync plan (no actions)',
    plan,
  );
}

/**
 * A logger that keeps, in `work.fetchProcessPeakKb`, the peak RSS of the process a mirror's
 * first fetch ran in (remote-mirror.ts logs it): that memory is not the worker's, and is reported beside it.
 */
function fetchProcessRecorder(work: Record<string, number>): Logger {
  const logger: Logger = {
    ...silentLogger,
    debug: (obj) => {
      const kb = typeof obj === 'object' ? (obj as { fetchProcessPeakRssKb?: unknown }).fetchProcessPeakRssKb : undefined;
      if (typeof kb === 'number') work.fetchProcessPeakKb = kb;
    },
    child: () => logger,
  };
  return logger;
}

async function cold(source: SourceSpec, expect: { deployments: number; namespaces: number }): Promise<Untimed> {
  const phases: Phases = {};
  const peaks: Record<string, number> = {};
  const work: Record<string, number> = {};
  const gitSource = await phase(
    phases,
    'open',
    () => openGitSource({ repo: source.repo, cacheDir: source.cacheDir, logger: fetchProcessRecorder(work) }),
    peaks,
  );
  const commit = await phase(phases, 'resolve', () => gitSource.resolve(), peaks);
  // Exactly what DesiredSource.refresh() does (readManifestSet), one timer per step: the snapshot
  // parses each manifest as it is read, the load assembles the folders.
  const cache = new ManifestCache();
  const snapshot = await phase(
    phases,
    'snapshot+parse',
    () => gitSource.snapshot({ commit: commit.oid, knownTree: cache.hasTree, knownBlob: cache.hasBlob, consume: parseAsRead(cache) }),
    peaks,
  );
  const manifests = await phase(phases, 'load', () => loadManifests(snapshot, cache), peaks);
  await phase(phases, 'retain', () => cache.retain(manifests), peaks);
  const desired = await phase(phases, 'desired', () => buildDesiredState(manifests, { instance: INSTANCE }), peaks);
  const observed = await phase(phases, 'observe', () => observe({ containers: [], networks: [] }), peaks);
  const plan = await phase(phases, 'diff', () => livePlan(desired, observed, { now: new Date() }), peaks);
  checkColdPlan(desired, plan, expect);
  work.parsedFiles = cache.stats.parsedFiles;
  work.actions = plan.namespaces.reduce((n, ns) => n + ns.actions.length, 0);
  return { totalMs: sum(phases), phases, work, memory: memory(), peakAfter: peaks };
}

/**
 * The Git read alone (the 'git-floor' request): what any cold plan must at least do with this
 * stack, in a fresh process. For a remote, isomorphic-git fetches the ref into an empty bare
 * repository over the same HTTP client; then it reads every tree and blob at the commit with one
 * object cache, as berth's snapshot does. It parses nothing and keeps no blob.
 */
async function gitFloor(spec: SourceSpec, local: boolean): Promise<Untimed> {
  useNativeInflate();
  const phases: Phases = {};
  const peaks: Record<string, number> = {};
  let gitdir = path.join(spec.repo, '.git');
  let oid: string;
  if (local) {
    oid = await phase(phases, 'resolve', () => git.resolveRef({ fs, gitdir, ref: 'main' }), peaks);
  } else {
    gitdir = path.join(spec.cacheDir, 'floor.git');
    const fetched = await phase(
      phases,
      'resolve',
      async () => {
        await git.init({ fs, gitdir, bare: true, defaultBranch: 'main' });
        await git.addRemote({ fs, gitdir, remote: 'origin', url: spec.repo });
        return git.fetch({ fs, http: nodeHttp, gitdir, remote: 'origin', remoteRef: 'main', singleBranch: true, tags: false });
      },
      peaks,
    );
    oid = fetched.fetchHead!;
  }
  const cache = {};
  const counts = { trees: 0, blobs: 0, bytes: 0 };
  const readTree = async (treeOid: string): Promise<void> => {
    counts.trees++;
    const { tree } = await git.readTree({ fs, gitdir, oid: treeOid, cache });
    for (const entry of tree) {
      if (entry.type === 'tree') await readTree(entry.oid);
      else if (entry.type === 'blob') {
        const { blob } = await git.readBlob({ fs, gitdir, oid: entry.oid, cache });
        counts.blobs++;
        counts.bytes += blob.length;
      }
    }
  };
  await phase(phases, 'snapshot', async () => readTree((await git.readCommit({ fs, gitdir, oid, cache })).commit.tree), peaks);
  return { totalMs: sum(phases), phases, work: counts, memory: memory(), peakAfter: peaks };
}

async function init(spec: SourceSpec, engine: EngineSpec): Promise<Untimed> {
  const t = performance.now();
  const source = new TimedSource(await openGitSource({ repo: spec.repo, cacheDir: spec.cacheDir, logger: silentLogger }));
  const desiredSource = new DesiredSource(source, INSTANCE, silentLogger);
  const { revision } = await desiredSource.refresh();
  const totalMs = performance.now() - t;
  warm = warmWith(source, desiredSource, engine, revision.desired);
  return {
    totalMs,
    phases: { resolve: source.last.resolveMs, snapshot: source.last.snapshotMs },
    work: { containers: warm.engine.containers, blobsRead: source.last.blobsRead },
    memory: memory(),
  };
}

function needWarm(): Warm {
  if (!warm) throw new Error('worker: init first');
  return warm;
}

async function pure(): Promise<Untimed> {
  const w = needWarm();
  const desired = w.desiredSource.current()!.desired;
  const phases: Phases = {};
  const listed = engineList(w);
  const observed = await phase(phases, 'observe', () => observe(listed(), w.memo));
  const plan = await phase(phases, 'diff', () => livePlan(desired, observed, { now: new Date(), revisions: w.revisions, decisionMemo: w.decisions }));
  checkInSync(plan);
  return { totalMs: sum(phases), phases, work: { containers: w.engine.containers }, memory: memory() };
}

/** refresh() + observe + diff, the way a pass consumes a poll. */
async function pass(w: Warm): Promise<{ timed: Untimed; plan: Plan; changed: boolean; desired: DesiredState }> {
  w.source.reset();
  const cpuBefore = process.cpuUsage();
  const phases: Phases = {};
  const { revision, changed } = await phase(phases, 'refresh', () => w.desiredSource.refresh());
  // The engine's list comes after the fetch, as in a pass (its parse is not timed, nor its CPU counted).
  const parseCpu = process.cpuUsage();
  const listed = engineList(w);
  const parseCpuMs = cpuSince(parseCpu);
  const observed = await phase(phases, 'observe', () => observe(listed(), w.memo));
  const plan = await phase(phases, 'diff', () => livePlan(revision.desired, observed, { now: new Date(), revisions: w.revisions, decisionMemo: w.decisions }));
  const totalMs = sum(phases);
  const cpuMs = cpuSince(cpuBefore) - parseCpuMs;
  // Split refresh() into what the TimedSource saw and the rest (load + retain + desired, all pure).
  const refreshMs = phases.refresh!;
  delete phases.refresh;
  const split: Phases = { resolve: w.source.last.resolveMs, snapshot: w.source.last.snapshotMs };
  split['load+retain+desired'] = Math.max(0, refreshMs - split.resolve! - split.snapshot!);
  return {
    timed: {
      totalMs,
      cpuMs,
      phases: { ...split, ...phases },
      work: { foldersRead: w.source.last.foldersRead, blobsRead: w.source.last.blobsRead, containers: w.engine.containers },
      memory: memory(),
    },
    plan,
    changed,
    desired: revision.desired,
  };
}

async function poll(): Promise<Untimed> {
  const w = needWarm();
  const { timed, plan, changed } = await pass(w);
  check(!changed, 'a no-change poll saw a new commit');
  check(timed.work.foldersRead === 0 && timed.work.blobsRead === 0, 'a no-change poll read folders or blobs');
  checkInSync(plan);
  return timed;
}

/**
 * The daemon's sweep (the Controller's after a poll that found a commit, or its minutely resync):
 * the whole engine's list once, for the prune guard, then one pass per namespace over its own
 * list (Reconciler.pass: observe that namespace, decide its workloads). Lists are read as
 * engineList reads them; nothing is applied. A moved Deployment is then recorded complete, as
 * `change` does, and the driver rolls the engine file out.
 */
async function sweep(expect?: { namespace: string; name: string }): Promise<Untimed> {
  const w = needWarm();
  // The RSS the daemon rests at: what the sweep before (or the idle) left, a poll period later.
  const restRssBytes = process.memoryUsage.rss();
  w.source.reset();
  const phases: Phases = {};
  const { revision, changed } = await phase(phases, 'refresh', () => w.desiredSource.refresh());
  check(changed === (expect !== undefined), expect ? 'the commit before the sweep was not seen' : 'a sweep without a commit saw one');
  const desired = revision.desired;
  const listed = engineList(w);
  await phase(phases, 'whole list + guard', () => guardLivePrunes(desired, observe(listed(), w.memo), false));
  const moved: string[] = [];
  await phase(phases, 'namespace passes', () => {
    for (const ns of desired.namespaces) {
      const inventory = readEngineList(namespaceFile(w.engine.file, ns.name));
      const observed = observe(inventory, w.memo).namespaces.find((n) => n.name === ns.name);
      const decisions = decideWorkloads({
        namespace: ns.name,
        target: ns,
        observed,
        mayPrune: true,
        commit: desired.commit,
        head: ns,
        headCommit: desired.commit,
        now: new Date(),
        readiness: new Map(),
        pins: undefined,
        revisions: w.revisions,
        memo: w.decisions,
      });
      for (const d of decisions) if (d.step?.kind === 'act') moved.push(`${ns.name}/${d.name}`);
    }
  });
  const want = expect ? [`${expect.namespace}/${expect.name}`] : [];
  check(moved.join() === want.join(), `expected moves for [${want.join(', ')}], the sweep decided [${moved.join(', ')}]`);
  if (changed) warm = warmWith(w.source, w.desiredSource, w.engine, desired, w);
  return { totalMs: sum(phases), phases, work: { namespaces: desired.namespaces.length, containers: w.engine.containers, restRssBytes }, memory: memory() };
}

async function change(expect: { namespace: string; name: string }): Promise<Untimed> {
  const w = needWarm();
  const { timed, plan, changed, desired } = await pass(w);
  check(changed, 'the one-file change was not seen');
  const touched = plan.namespaces.filter((n) => n.actions.length > 0);
  check(touched.length === 1 && touched[0]!.namespace === expect.namespace, `expected exactly 1 changed namespace (${expect.namespace})`, plan);
  const actions = touched[0]!.actions;
  check(
    actions.length === 1 && actions[0]!.kind === 'update-deployment' && actions[0]!.name === expect.name,
    `expected exactly 1 update-deployment of ${expect.name}`,
    plan,
  );
  check(plan.summary.update === 1 && plan.summary.create === 0 && plan.summary.prune === 0, 'expected a 1-update plan', plan);
  // The rollout "happened": the store records each running revision complete, as the daemon's
  // does (the driver then rolls the engine file out, so the next change starts in sync).
  warm = warmWith(w.source, w.desiredSource, w.engine, desired, w);
  return timed;
}

/** A result whose CPU time is the whole request's unless the operation measured its timed part itself. */
type Untimed = Omit<Timed, 'cpuMs'> & { cpuMs?: number };

async function handle(request: Request): Promise<Timed> {
  const before = process.cpuUsage();
  const result = await dispatch(request);
  return { ...result, cpuMs: result.cpuMs ?? cpuSince(before) };
}

function cpuSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

async function dispatch(request: Request): Promise<Untimed> {
  switch (request.op) {
    case 'cold':
      return cold(request.source, request.expect);
    case 'init':
      return init(request.source, request.engine);
    case 'pure':
      return pure();
    case 'poll':
      return poll();
    case 'change':
      return change(request.expect);
    case 'git-floor':
      return gitFloor(request.source, request.local);
    case 'memory':
      return { totalMs: 0, phases: {}, work: {}, memory: memory({ gc: true }) };
    case 'settle':
      return settle(request.quietMs, request.maxMs);
    case 'reset-peak':
      return resetPeak();
    case 'sweep':
      return sweep(request.expect);
  }
}

process.on('message', (request: Request) => {
  handle(request).then(
    (timed): void => void process.send!({ ok: true, ...timed } satisfies Reply),
    (err: unknown): void => void process.send!({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies Reply),
  );
});
// The driver closing the channel (normally, or because it died) ends the worker.
process.on('disconnect', () => process.exit(0));
// Tell the driver the listener is in place (messages sent earlier could be missed).
process.send!({ ready: true });

/**
 * Reconcile benchmark: a generated repository of Deployments (default 10,000 in 500 namespaces),
 * served by a real `git http-backend` over loopback HTTP (berth's normal remote path) and also
 * read as a local-path repository, through the same calls a poll makes:
 *
 *  - cold plan: open + resolve (a full fetch for the remote) + snapshot + loadManifests +
 *    retain + buildDesiredState + observe(empty engine) + diff, in a fresh process per run, so
 *    nothing is warm and the peak RSS (VmHWM) is the cold plan's own; the peak is
 *    also read after each phase, to show where it was reached;
 *  - the Git read alone, the cold plan's floor with this stack: isomorphic-git (with berth's
 *    inflate) fetches the ref into an empty repository (remote) and reads every tree and blob at
 *    its commit, in a fresh process, parsing nothing; its time and peak RSS beside the cold plan's;
 *  - no-change poll + pass: DesiredSource.refresh() (same commit: reads no tree) + observe +
 *    diff against an in-sync engine (one running replica per desired replica, labelled the way
 *    the executor labels them);
 *  - one-file change: a commit (pushed, for the remote) that changes one Deployment's image,
 *    then refresh() + observe + diff; the plan must hold exactly one update in one namespace;
 *  - the warm process as the daemon runs: after those passes (made back to back, so V8 grows its
 *    heap past what the process keeps), left idle until its RSS stops falling; then one sweep
 *    per poll period (10 s, berth run's), each after a one-file commit and from a reset peak:
 *    refresh() + the whole engine's list for the prune guard + one pass per namespace over its
 *    own list (observe + decideWorkloads), as Controller.enqueueAll and the Reconciler read them.
 *
 * Native git does the same reads beside it, for scale. Goals: cold ≤ 5 s, no-change ≤ 50 ms,
 * one-file change ≤ 100 ms, RSS ≤ 200 MB. The figures go to stdout as Markdown, progress to
 * stderr. It exits 0 when a goal is missed (it prints MISSED) and 1 only when the benchmark
 * itself failed (an error, or a plan that was not the expected one).
 *
 *   node --import tsx bench/reconcile.ts [--deployments 10000] [--namespaces 500]
 *        [--runs 10] [--cold-runs 3] [--sweeps 6] [--source both|remote|local] [--json results.json] [--load bundle|tsx]
 *        [--worker-arg=--max-old-space-size=128 …] [--worker-arg=--cpu-prof --worker-arg=--cpu-prof-dir=/tmp/prof]
 *        [--worker-env MALLOC_MMAP_THRESHOLD_=131072 …] [--worker-env NAME= (removes it)]
 *
 * Workers load berth the way it ships (--load bundle, the default): their entry, worker.ts, is
 * bundled with bin/bundle.mjs's esbuild settings, as bin/berth.mjs runs dist/berth.mjs. With
 * --load tsx they run the sources through tsx, as the benchmark did before 2026-12-05: tsx's
 * loader adds ~40 MB to a fresh process. The fresh-worker baseline is printed both ways.
 *
 * Workers always get --expose-gc (only so the final memory figure can be the live heap) and the
 * environment and flags berth ships with (bin/berth.mjs's first line); --worker-arg adds Node
 * flags to every worker after those (so `--worker-arg=--max-semi-space-size=16` measures Node's
 * default young generation), e.g. memory limits, --cpu-prof, …; --worker-env sets or removes a
 * variable of their environment.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startGitServer, type GitServer } from '../test/helpers/git-server.js';
import { runGit } from '../test/helpers/tmp-repo.js';
import { deploymentName, deploymentsIn, importImageChange, importRepository, namespaceName, type RepoShape } from './reconcile/generate.js';
import { readWholeTree, timeGit } from './reconcile/native-git.js';
import type { Phases, Timed } from './reconcile/protocol.js';
import { mb, ms, summarize, type Summary } from './reconcile/stats.js';
import { bundleWorker, describeLaunch, removeWorkerBundle, WorkerProcess, type WorkerLoad } from './reconcile/worker-process.js';
import { sourceFingerprint } from './source-fingerprint.js';
import { Cleanups } from './cleanup.js';
import { EngineFile } from './reconcile/engine-file.js';

const GOALS = { coldMs: 5_000, noChangeMs: 50, oneFileMs: 100, rssBytes: 200 * 1024 * 1024 } as const;
/**
 * The remote path's goals relative to native git in the same run (issue #14 item 6): a no-change
 * poll + pass ≤ `git fetch` (no change) + 15 ms; a one-file change ≤ fetch + diff-tree + 40 ms.
 */
const OVER_NATIVE = { noChangeMs: 15, oneFileMs: 40 } as const;
/** berth run's poll period (DEFAULT_POLL_SCHEDULE, every 10 s): the daemon-shaped sweeps come at most this often. */
const POLL_PERIOD_MS = 10_000;
/**
 * An idle worker has settled once its RSS has set no new low for 20 s, at most 60 s: V8's memory
 * reducer shrinks the heap ~8 s after a collection once allocation has stopped, and its work was
 * seen 13–16 s after the last pass.
 */
const SETTLE = { quietMs: 20_000, maxMs: 60_000 } as const;

type SourceKind = 'remote' | 'local';

interface Options {
  readonly shape: RepoShape;
  readonly runs: number;
  readonly coldRuns: number;
  readonly sources: readonly SourceKind[];
  readonly json: string | undefined;
  readonly workerArgs: readonly string[];
  /** Environment for every worker over berth's shipped one: `NAME=value`, or `NAME=` to remove it. */
  readonly workerEnv: readonly string[];
  readonly load: WorkerLoad['kind'];
  /** How many daemon-shaped sweeps (a one-file commit per poll period) the warm worker makes at the end. */
  readonly sweeps: number;
}

/** Everything one source measured. */
interface SourceResults {
  readonly kind: SourceKind;
  readonly cold: Timed[];
  /** The Git read alone in a fresh process (isomorphic-git fetch + every tree and blob): a cold plan's floor. */
  readonly gitFloor: Timed[];
  /** Peak RSS of a fresh worker before it does anything (node + berth modules, + tsx when loaded through it). */
  readonly baselineMaxRssKb: number[];
  /** The same through the other loader (tsx when the runs use the bundle, and the reverse). */
  readonly otherBaselineMaxRssKb: number[];
  readonly nativeRead: number[];
  nativeCloneMs?: number;
  init?: Timed;
  readonly pure: Timed[];
  readonly noChange: Timed[];
  readonly nativeNoChange: number[];
  readonly oneFile: Timed[];
  readonly nativeOneFile: number[];
  readonly nativeFetchOne: number[];
  readonly nativeDiffTree: number[];
  warmEnd?: Timed;
  /** The warm worker left idle after its passes until its RSS stopped falling (V8's memory reducer). */
  idle?: Timed;
  /** The daemon-shaped sweeps, one per poll period, each after a one-file commit; each one's maxRssKb is its own peak (reset just before it). */
  readonly sweeps: Timed[];
}

/**
 * The sweeps' peaks: the first one's, and the highest of the rest. The first starts from the heap
 * the bench's back-to-back passes left (30 passes in a few seconds, which the daemon never makes),
 * less what V8's memory reducer gave back while the worker idled (nothing, when no full
 * collection ran among those passes: the reducer starts only after one). From the second on,
 * each starts from what the sweep before it left: the daemon's steady state.
 */
function sweepPeaks(sweeps: readonly Timed[]): { readonly first: number; readonly steady: number | undefined } {
  const peaks = sweeps.map((x) => x.memory.maxRssKb * 1024);
  return { first: peaks[0] ?? NaN, steady: peaks.length > 1 ? Math.max(...peaks.slice(1)) : undefined };
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      deployments: { type: 'string', default: '10000' },
      namespaces: { type: 'string', default: '500' },
      runs: { type: 'string', default: '10' },
      'cold-runs': { type: 'string', default: '3' },
      source: { type: 'string', default: 'both' },
      json: { type: 'string' },
      'worker-arg': { type: 'string', multiple: true },
      'worker-env': { type: 'string', multiple: true },
      load: { type: 'string', default: 'bundle' },
      sweeps: { type: 'string', default: '6' },
    },
    strict: true,
  });
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${v}`);
    return n;
  };
  const shape = { deployments: int('deployments', values.deployments, 1), namespaces: int('namespaces', values.namespaces, 1) };
  if (shape.namespaces > shape.deployments) throw new Error('--namespaces must not exceed --deployments (every namespace gets at least one Deployment)');
  const source = values.source;
  if (source !== 'both' && source !== 'remote' && source !== 'local') throw new Error(`--source must be both, remote or local, got ${source}`);
  const load = values.load;
  if (load !== 'bundle' && load !== 'tsx') throw new Error(`--load must be bundle or tsx, got ${load}`);
  return {
    shape,
    runs: int('runs', values.runs, 1),
    coldRuns: int('cold-runs', values['cold-runs'], 1),
    sources: source === 'both' ? ['remote', 'local'] : [source],
    json: values.json,
    workerArgs: values['worker-arg'] ?? [],
    workerEnv: (values['worker-env'] ?? []).map((e) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(e)) throw new Error(`--worker-env ${e}: expected NAME=value (or NAME= to remove it)`);
      return e;
    }),
    load,
    sweeps: int('sweeps', values.sweeps, 0),
  };
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** /dev/shm when it is a writable folder (ENVIRONMENT.md: small-file I/O on the VM disk is erratic), else the OS temp folder. */
async function scratchBase(): Promise<string> {
  try {
    await fsp.access('/dev/shm', fsp.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

const cleanups = new Cleanups(progress);
const cleanUp = (): Promise<void> => cleanups.run();

let workerArgs: readonly string[] = [];
let workerEnv: readonly string[] = [];
/** How workers load berth (`load`), and the other way, for the baseline's comparison. */
let loads: { load: WorkerLoad; other: WorkerLoad } | undefined;

async function withWorker<T>(use: (w: WorkerProcess) => Promise<T>, which: 'load' | 'other' = 'load'): Promise<T> {
  const worker = await WorkerProcess.start(loads![which], ['--expose-gc', ...workerArgs], workerEnv);
  const stop = () => worker.stop();
  cleanups.push(stop);
  try {
    return await use(worker);
  } finally {
    await cleanups.releaseNow(stop);
  }
}

/** Which Deployment the i-th one-file change touches: spread over namespaces, never the same twice in a row. */
function changeTarget(shape: RepoShape, i: number): { ns: number; dep: number } {
  const ns = (i * 37 + 11) % shape.namespaces;
  return { ns, dep: i % deploymentsIn(shape, ns) };
}

async function main(): Promise<number> {
  const options = parseOptions();
  workerArgs = options.workerArgs;
  workerEnv = options.workerEnv;
  const bundled = await bundleWorker();
  cleanups.push(() => removeWorkerBundle(bundled));
  loads = options.load === 'bundle' ? { load: bundled, other: { kind: 'tsx' } } : { load: { kind: 'tsx' }, other: bundled };
  const { shape } = options;
  const loadBefore = os.loadavg();
  const srcState = await sourceFingerprint();
  const startedAt = new Date().toISOString();
  const base = await scratchBase();
  const root = await fsp.mkdtemp(path.join(base, 'berth-bench-'));
  cleanups.push(() => fsp.rm(root, { recursive: true, force: true }));

  // ---- the repository: generated with fast-import, pushed over HTTP to a bare repo ----
  const work = path.join(root, 'work');
  const servedRoot = path.join(root, 'served');
  await fsp.mkdir(servedRoot);
  await runGit(root, ['init', '--quiet', '-b', 'main', work]);
  await runGit(servedRoot, ['init', '--quiet', '--bare', '-b', 'main', 'repo.git']);
  progress(`generating ${shape.deployments} Deployments in ${shape.namespaces} namespaces under ${root}`);
  let t = performance.now();
  const generated = await importRepository(path.join(work, '.git'), shape);
  const generateMs = performance.now() - t;
  const server: GitServer = await startGitServer(servedRoot);
  cleanups.push(() => server.close());
  const url = server.url('repo.git');
  await runGit(work, ['remote', 'add', 'origin', url]);
  t = performance.now();
  await runGit(work, ['push', '--quiet', 'origin', 'main']);
  const pushMs = performance.now() - t;
  progress(`generated ${generated.files} files (${mb(generated.bytes)} of Deployment YAML) in ${ms(generateMs)}, pushed in ${ms(pushMs)}`);

  const repoOf = (kind: SourceKind) => (kind === 'remote' ? url : work);
  const results: SourceResults[] = [];
  let changeSerial = 0;

  for (const kind of options.sources) {
    const r: SourceResults = {
      kind,
      cold: [],
      gitFloor: [],
      baselineMaxRssKb: [],
      otherBaselineMaxRssKb: [],
      nativeRead: [],
      pure: [],
      noChange: [],
      nativeNoChange: [],
      oneFile: [],
      nativeOneFile: [],
      nativeFetchOne: [],
      nativeDiffTree: [],
      sweeps: [],
    };
    results.push(r);

    // ---- native git, cold: (remote) a mirror clone, then reading every blob at HEAD ----
    const nativeGitdir = kind === 'remote' ? path.join(root, 'native-mirror.git') : path.join(work, '.git');
    if (kind === 'remote') {
      r.nativeCloneMs = await timeGit(root, ['clone', '--quiet', '--mirror', url, nativeGitdir]);
    }
    for (let i = 0; i < options.runs; i++) r.nativeRead.push((await readWholeTree(nativeGitdir, 'main')).ms);

    // ---- berth, cold: one fresh process per run ----
    for (let i = 0; i < options.coldRuns; i++) {
      const cacheDir = path.join(root, `cache-cold-${kind}-${i}`);
      await withWorker(async (w) => {
        r.baselineMaxRssKb.push((await w.request({ op: 'memory' })).memory.maxRssKb);
        const cold = await w.request({ op: 'cold', source: { repo: repoOf(kind), cacheDir }, expect: shape });
        r.cold.push(cold);
        const apart = cold.work.fetchProcessPeakKb;
        progress(
          `${kind} cold run ${i + 1}/${options.coldRuns}: ${ms(cold.totalMs)}, peak RSS ${mb(cold.memory.maxRssKb * 1024)}${apart === undefined ? '' : ` (its first fetch's own process: ${mb(apart * 1024)})`}`,
        );
      });
      await fsp.rm(cacheDir, { recursive: true, force: true });
      await withWorker(async (w) => {
        const floor = await w.request({ op: 'git-floor', source: { repo: repoOf(kind), cacheDir }, local: kind === 'local' });
        r.gitFloor.push(floor);
        progress(`${kind} the Git read alone ${i + 1}/${options.coldRuns}: ${ms(floor.totalMs)}, peak RSS ${mb(floor.memory.maxRssKb * 1024)}`);
      });
      await fsp.rm(cacheDir, { recursive: true, force: true });
      await withWorker(async (w) => void r.otherBaselineMaxRssKb.push((await w.request({ op: 'memory' })).memory.maxRssKb), 'other');
    }

    // ---- berth, warm: one long-lived process, like the controller ----
    const cacheDir = path.join(root, `cache-warm-${kind}`);
    const engine = await EngineFile.open(work, path.join(root, `cache-engine-${kind}`), path.join(root, `engine-${kind}.json`));
    const containers = await engine.rollOut();
    await withWorker(async (w) => {
      r.init = await w.request({ op: 'init', source: { repo: repoOf(kind), cacheDir }, engine: { file: engine.file, containers } });
      progress(`${kind} warm worker ready (first refresh ${ms(r.init.totalMs)}, ${r.init.work.containers} containers in sync)`);
      for (let i = 0; i < options.runs; i++) r.pure.push(await w.request({ op: 'pure' }));
      for (let i = 0; i < options.runs; i++) {
        r.noChange.push(await w.request({ op: 'poll' }));
        r.nativeNoChange.push(
          kind === 'remote'
            ? await timeGit(nativeGitdir, ['fetch', '--quiet', 'origin'])
            : await timeGit(work, ['rev-parse', '--verify', '--quiet', 'refs/heads/main']),
        );
      }
      progress(`${kind} no-change: median ${ms(summarize(r.noChange.map((x) => x.totalMs)).median)}`);
      for (let i = 0; i < options.runs; i++) {
        const target = changeTarget(shape, changeSerial++);
        const before = await runGit(work, ['rev-parse', 'main']);
        await importImageChange(path.join(work, '.git'), { ...target, tag: `bench-${kind}-${i}` });
        const after = await runGit(work, ['rev-parse', 'main']);
        if (kind === 'remote') await runGit(work, ['push', '--quiet', 'origin', 'main']);
        const changed = await w.request({ op: 'change', expect: { namespace: namespaceName(target.ns), name: deploymentName(target.dep) } });
        // The rollout "happens" (the engine file now answers in sync with the commit), and how much
        // of "load+retain+desired" buildDesiredState alone costs is timed here, out of the worker.
        await engine.rollOut();
        r.oneFile.push({ ...changed, phases: { ...changed.phases, 'of which desired (re-run)': engine.desiredAloneMs() } });
        if (kind === 'remote') {
          const fetchMs = await timeGit(nativeGitdir, ['fetch', '--quiet', 'origin']);
          const diffMs = await timeGit(nativeGitdir, ['diff-tree', '-r', before, after]);
          r.nativeFetchOne.push(fetchMs);
          r.nativeDiffTree.push(diffMs);
          r.nativeOneFile.push(fetchMs + diffMs);
        } else {
          const diffMs = await timeGit(work, ['diff-tree', '-r', before, after]);
          r.nativeDiffTree.push(diffMs);
          r.nativeOneFile.push(diffMs);
        }
      }
      progress(`${kind} one-file change: median ${ms(summarize(r.oneFile.map((x) => x.totalMs)).median)}`);
      // ---- the same process as the daemon runs it: idle between polls, then a commit every poll ----
      // Idle first, before the bench's own full GC below, which would restart V8's memory reducer.
      r.idle = await w.request({ op: 'settle', quietMs: SETTLE.quietMs, maxMs: SETTLE.maxMs });
      progress(`${kind} warm worker idle: RSS ${mb(r.idle.memory.rssBytes)} (lowest after ${ms(r.idle.work.settledAfterMs ?? NaN)})`);
      r.warmEnd = await w.request({ op: 'memory' });
      const started = performance.now();
      for (let i = 0; i < options.sweeps; i++) {
        await delay(Math.max(0, started + i * POLL_PERIOD_MS - performance.now()));
        const target = changeTarget(shape, changeSerial++);
        await importImageChange(path.join(work, '.git'), { ...target, tag: `sweep-${kind}-${i}` });
        if (kind === 'remote') await runGit(work, ['push', '--quiet', 'origin', 'main']);
        // Each sweep's own peak: from the RSS it starts at (the peak is reset just before it).
        await w.request({ op: 'reset-peak' });
        r.sweeps.push(await w.request({ op: 'sweep', expect: { namespace: namespaceName(target.ns), name: deploymentName(target.dep) } }));
        await engine.rollOut();
      }
      if (options.sweeps > 0) {
        const { first, steady } = sweepPeaks(r.sweeps);
        progress(`${kind} daemon-shaped sweeps: peak RSS ${steady === undefined ? '—' : mb(steady)} from the second on (the first: ${mb(first)})`);
      }
    });
    await fsp.rm(cacheDir, { recursive: true, force: true });
  }

  const context = { options, base, generated, generateMs, pushMs, results, loadBefore, loadAfter: os.loadavg(), srcState, startedAt };
  process.stdout.write(report(context));
  if (options.json) {
    await fsp.writeFile(options.json, `${JSON.stringify(context, null, 2)}\n`);
    progress(`raw samples written to ${options.json}`);
  }
  return 0;
}

// ---------------------------------------------------------------- report

function verdict(value: number, goal: number, p90?: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value > goal) return '**MISSED**';
  return p90 !== undefined && p90 > goal ? 'met (median; p90 over)' : 'met';
}

function phaseMedians(samples: readonly Timed[]): Phases {
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.phases)))];
  const out: Phases = {};
  for (const name of names) out[name] = summarize(samples.map((s) => s.phases[name] ?? 0)).median;
  return out;
}

function report(args: {
  options: Options;
  base: string;
  generated: { files: number; bytes: number };
  generateMs: number;
  pushMs: number;
  results: readonly SourceResults[];
  loadBefore: number[];
  loadAfter: number[];
  srcState: string;
  startedAt: string;
}): string {
  const { options, results } = args;
  const lines: string[] = [];
  const cpus = os.cpus();
  lines.push(`## berth reconcile benchmark — ${options.shape.deployments} Deployments in ${options.shape.namespaces} namespaces`, '');
  lines.push(
    `Machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'}, ${mb(os.totalmem())} RAM, Node ${process.version}, ` +
      `scratch on ${args.base}. Repository: ${args.generated.files} files (${mb(args.generated.bytes)} of Deployment YAML), ` +
      `generated in ${ms(args.generateMs)}, first push over HTTP ${ms(args.pushMs)}. ` +
      `Warm runs: ${options.runs} each; cold runs: ${options.coldRuns} per source, each in a fresh process` +
      `; workers run as berth ships (${describeLaunch()})${options.workerArgs.length > 0 ? `, then ${options.workerArgs.join(' ')}` : ''}${options.workerEnv.length > 0 ? `, environment ${options.workerEnv.join(' ')}` : ''}; workers load berth ${options.load === 'bundle' ? 'from an esbuild bundle, as it ships' : 'through tsx'}.`,
    '',
    `Started ${args.startedAt}. Load average (1/5/15 min) before ${args.loadBefore.map((l) => l.toFixed(2)).join(' / ')}, ` +
      `after ${args.loadAfter.map((l) => l.toFixed(2)).join(' / ')} — above ${cpus.length} means other processes competed for the CPUs and wall times are inflated (the CPU column is less affected). ` +
      `berth measured: ${args.srcState}.`,
    '',
  );

  lines.push('| metric | source | berth median | p90 | max | berth CPU (median) | native git (median) | goal | result |');
  lines.push('|---|---|---|---|---|---|---|---|---|');
  const row = (metric: string, source: string, samples: readonly Timed[], native: string, goal: string, result: (s: Summary) => string) => {
    const s = summarize(samples.map((x) => x.totalMs));
    const cpu = summarize(samples.map((x) => x.cpuMs));
    lines.push(`| ${metric} | ${source} | ${ms(s.median)} | ${ms(s.p90)} | ${ms(s.max)} | ${ms(cpu.median)} | ${native} | ${goal} | ${result(s)} |`);
  };
  for (const r of results) {
    const nativeCold =
      r.kind === 'remote'
        ? `${ms((r.nativeCloneMs ?? NaN) + summarize(r.nativeRead).median)} (clone --mirror ${ms(r.nativeCloneMs ?? NaN)} + ls-tree/cat-file ${ms(summarize(r.nativeRead).median)})`
        : `${ms(summarize(r.nativeRead).median)} (ls-tree -r + cat-file --batch)`;
    row('cold plan (fresh process, empty engine)', r.kind, r.cold, nativeCold, '≤ 5 s', (s) => verdict(s.median, GOALS.coldMs, s.p90));
    row(
      'the Git read alone (isomorphic-git: fetch + every tree and blob, fresh process)',
      r.kind,
      r.gitFloor,
      nativeCold,
      '— (reference: the memory floor of a cold plan)',
      () => '—',
    );
  }
  for (const r of results) {
    const native = `${ms(summarize(r.nativeNoChange).median)} (${r.kind === 'remote' ? 'git fetch, no change' : 'git rev-parse'})`;
    row('no-change poll + pass (in-sync engine)', r.kind, r.noChange, native, '≤ 50 ms', (s) => verdict(s.median, GOALS.noChangeMs, s.p90));
    if (r.kind === 'remote') {
      const goal = summarize(r.nativeNoChange).median + OVER_NATIVE.noChangeMs;
      row('no-change poll + pass, against native', r.kind, r.noChange, native, `≤ fetch + ${OVER_NATIVE.noChangeMs} ms = ${ms(goal)}`, (s) =>
        verdict(s.median, goal, s.p90),
      );
    }
  }
  for (const r of results) {
    const native =
      r.kind === 'remote'
        ? `${ms(summarize(r.nativeOneFile).median)} (fetch ${ms(summarize(r.nativeFetchOne).median)} + diff-tree ${ms(summarize(r.nativeDiffTree).median)})`
        : `${ms(summarize(r.nativeOneFile).median)} (diff-tree -r)`;
    row('one-file change pass (1 update asserted)', r.kind, r.oneFile, native, '≤ 100 ms', (s) => verdict(s.median, GOALS.oneFileMs, s.p90));
    if (r.kind === 'remote') {
      const goal = summarize(r.nativeOneFile).median + OVER_NATIVE.oneFileMs;
      row('one-file change pass, against native', r.kind, r.oneFile, native, `≤ fetch + diff-tree + ${OVER_NATIVE.oneFileMs} ms = ${ms(goal)}`, (s) =>
        verdict(s.median, goal, s.p90),
      );
    }
  }
  for (const r of results) {
    row(`pure pass: observe + diff, ${r.pure[0]?.work.containers ?? 0} containers`, r.kind, r.pure, '—', '—', () => '—');
  }
  for (const r of results) {
    const peaks = r.cold.map((x) => x.memory.maxRssKb * 1024);
    const peak = Math.max(...peaks);
    const baseline = summarize(r.baselineMaxRssKb.map((k) => k * 1024)).median;
    const otherBaseline = summarize(r.otherBaselineMaxRssKb.map((k) => k * 1024)).median;
    const otherKind = options.load === 'bundle' ? 'tsx' : 'bundle';
    const how = (kind: WorkerLoad['kind']): string => (kind === 'bundle' ? 'from the bundle' : 'through tsx');
    const floors = r.gitFloor.map((x) => x.memory.maxRssKb * 1024);
    const floor = summarize(floors).median;
    lines.push(
      `| peak RSS, cold plan (median; max of ${peaks.length}) | ${r.kind} | ${mb(summarize(peaks).median)} | — | ${mb(peak)} | — | — (fresh worker before any work: ${mb(baseline)} ${how(options.load)}; ${mb(otherBaseline)} ${how(otherKind)}) | ≤ 200 MB | ${verdict(peak, GOALS.rssBytes)} |`,
      ...fetchProcessRow(r),
      `| peak RSS, the Git read alone (median; max of ${floors.length}) | ${r.kind} | ${mb(floor)} | — | ${mb(Math.max(...floors))} | — | — (the cold plan's peak is ${(summarize(peaks).median / floor).toFixed(2)} × this) | ≤ 200 MB | ${verdict(Math.max(...floors), GOALS.rssBytes)} |`,
    );
  }
  /** The first fetch's own process (remote only): its peak beside the worker's, not in it. */
  function fetchProcessRow(r: SourceResults): string[] {
    const apart = r.cold.flatMap((x) => (x.work.fetchProcessPeakKb === undefined ? [] : [x.work.fetchProcessPeakKb * 1024]));
    if (apart.length === 0) return [];
    const m = summarize(apart);
    return [
      `| peak RSS of the first fetch's own process, beside the cold plan's (median; max of ${apart.length}) | ${r.kind} | ${mb(m.median)} | — | ${mb(m.max)} | — | — (berth's process waits meanwhile near its start size; the child ends before the snapshot is read) | ≤ 200 MB | ${verdict(m.max, GOALS.rssBytes)} |`,
    ];
  }
  for (const r of results) {
    if (!r.warmEnd) continue;
    const m = r.warmEnd.memory;
    const peak = m.maxRssKb * 1024;
    lines.push(
      `| RSS of the warm process after all passes, back to back (now: after idling, then a full GC; max = their peak) | ${r.kind} | ${mb(m.rssBytes)} | — | ${mb(peak)} | — | — (${m.afterGc ? 'live heap after GC' : 'heap used'} ${mb(m.heapUsedBytes)}, external ${mb(m.externalBytes)}) | ≤ 200 MB | ${verdict(peak, GOALS.rssBytes)} |`,
    );
    if (r.idle) {
      const i = r.idle.memory;
      lines.push(
        `| RSS of the warm process once idle (lowest ${ms(r.idle.work.settledAfterMs ?? NaN)} after the passes) | ${r.kind} | ${mb(i.rssBytes)} | — | — | — | — (V8 heap committed ${mb(i.heapTotalBytes)}, used ${mb(i.heapUsedBytes)}; external ${mb(i.externalBytes)}) | ≤ 200 MB | ${verdict(i.rssBytes, GOALS.rssBytes)} |`,
      );
    }
    const last = r.sweeps.at(-1);
    if (last) {
      const sweepMs = summarize(r.sweeps.map((x) => x.totalMs));
      const { first, steady } = sweepPeaks(r.sweeps);
      const after = r.sweeps.map((x) => x.memory.rssBytes);
      const rest = r.sweeps.slice(1).map((x) => x.work.restRssBytes ?? NaN);
      lines.push(
        `| peak RSS as the daemon runs: a one-file commit every ${POLL_PERIOD_MS / 1000} s poll, sweeps 2–${r.sweeps.length} (whole list + ${last.work.namespaces} namespace passes) | ${r.kind} | ${steady === undefined ? '—' : mb(steady)} | — | — | — | — (the first sweep, from the passes' heap: ${mb(first)}; a sweep: median ${ms(sweepMs.median)}, max ${ms(sweepMs.max)}; RSS after each ${mb(Math.min(...after))}–${mb(Math.max(...after))}) | ≤ 200 MB | ${steady === undefined ? '—' : verdict(steady, GOALS.rssBytes)} |`,
      );
      if (rest.length > 0) {
        lines.push(
          `| RSS at rest as the daemon runs: just before sweeps 2–${r.sweeps.length}, a poll period after the last | ${r.kind} | ${mb(Math.max(...rest))} | — | — | — | — (lowest ${mb(Math.min(...rest))}) | ≤ 200 MB | ${verdict(Math.max(...rest), GOALS.rssBytes)} |`,
        );
      }
    }
  }
  lines.push('');

  const phaseTable = (title: string, pick: (r: SourceResults) => readonly Timed[]) => {
    const withData = results.filter((r) => pick(r).length > 0);
    if (withData.length === 0) return;
    const names = [...new Set(withData.flatMap((r) => pick(r).flatMap((s) => Object.keys(s.phases))))];
    lines.push(`### ${title} — phase medians`, '');
    lines.push(`| source | ${names.join(' | ')} | total (median) | work |`);
    lines.push(`|---|${names.map(() => '---').join('|')}|---|---|`);
    for (const r of withData) {
      const samples = pick(r);
      const med = phaseMedians(samples);
      // What each pass handled; a measurement kept in `work` (the sweep's rest RSS) has its own row.
      const work = Object.entries(samples[0]!.work)
        .filter(([k]) => !k.endsWith('Bytes'))
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      lines.push(`| ${r.kind} | ${names.map((n) => ms(med[n] ?? NaN)).join(' | ')} | ${ms(summarize(samples.map((s) => s.totalMs)).median)} | ${work} |`);
    }
    lines.push('');
  };
  phaseTable('Cold plan', (r) => r.cold);
  phaseTable('The Git read alone', (r) => r.gitFloor);
  const peakTable = (title: string, pick: (r: SourceResults) => readonly Timed[]) => {
    const withData = results.filter((r) => pick(r).some((s) => s.peakAfter));
    if (withData.length === 0) return;
    const names = [...new Set(withData.flatMap((r) => pick(r).flatMap((s) => Object.keys(s.peakAfter ?? {}))))];
    lines.push(`### ${title} — peak RSS once each phase had run (median)`, '');
    lines.push(`| source | before any work | ${names.join(' | ')} |`);
    lines.push(`|---|---|${names.map(() => '---').join('|')}|`);
    for (const r of withData) {
      const at = (n: string) => mb(summarize(pick(r).map((s) => (s.peakAfter?.[n] ?? NaN) * 1024)).median);
      lines.push(`| ${r.kind} | ${mb(summarize(r.baselineMaxRssKb.map((k) => k * 1024)).median)} | ${names.map(at).join(' | ')} |`);
    }
    lines.push('');
  };
  peakTable('Cold plan', (r) => r.cold);
  peakTable('The Git read alone', (r) => r.gitFloor);
  phaseTable('No-change poll + pass', (r) => r.noChange);
  phaseTable('One-file change pass', (r) => r.oneFile);
  phaseTable('Daemon-shaped sweep (one per poll period, after a one-file commit)', (r) => r.sweeps);
  lines.push(
    '`load+retain+desired` is refresh() minus the resolve and snapshot time the wrapped GitSource saw; ' +
      "`of which desired (re-run)` is buildDesiredState() run again, without its cache, on the same commit's ManifestSet (in the driver, out of the measured worker).",
    '',
  );
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- entry

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`[bench] FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  })
  .then(async (code) => {
    await cleanUp(); // the same promise a signal handler may already be awaiting
    process.exit(code);
  });

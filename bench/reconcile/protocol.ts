/**
 * Messages between the benchmark driver (which owns the repositories, the HTTP server and the
 * commits) and a worker process (which owns one berth pipeline). A worker is a fresh Node
 * process, so a cold run starts with nothing warm and its peak RSS is its own.
 */
export interface SourceSpec {
  /** A URL (remote over loopback HTTP) or a local repository folder. */
  readonly repo: string;
  /** Where a remote's mirror goes; a fresh folder for a cold run. */
  readonly cacheDir: string;
}

/** The in-sync engine's answer to a list: the file the driver keeps (engine-file.ts) and how many containers it lists. */
export interface EngineSpec {
  readonly file: string;
  readonly containers: number;
}

/** Phase name → milliseconds. */
export type Phases = Record<string, number>;

export type Request =
  /** One cold plan with a timer around each phase: open, resolve, snapshot, load, retain, desired, observe (empty), diff. */
  | { readonly op: 'cold'; readonly source: SourceSpec; readonly expect: { readonly deployments: number; readonly namespaces: number } }
  /**
   * Open a DesiredSource and refresh once. `engine` is the in-sync engine's answer to a list (a
   * JSON file the driver keeps, see engine-file.ts), read and parsed anew by every pass.
   */
  | { readonly op: 'init'; readonly source: SourceSpec; readonly engine: EngineSpec }
  /** observe + diff against the in-sync inventory only (no Git). */
  | { readonly op: 'pure' }
  /** The no-change poll + pass: refresh() (same commit) + observe + diff. */
  | { readonly op: 'poll' }
  /** The pass after a one-file commit: refresh() + observe + diff; asserts one update in one namespace, then records the revisions complete (the driver then rolls the engine file out). */
  | { readonly op: 'change'; readonly expect: { readonly namespace: string; readonly name: string } }
  /** Memory now and at peak, after a full GC (the live heap). */
  | { readonly op: 'memory' }
  /**
   * The worker left idle, as a daemon is between polls, until its RSS stops falling (no new low
   * for `quietMs`, at most `maxMs`): V8's memory reducer then has shrunk the heap it grew. Memory
   * as it is then, without a GC of the bench's own.
   */
  | { readonly op: 'settle'; readonly quietMs: number; readonly maxMs: number }
  /** Resets the process's peak RSS (VmHWM, through /proc/self/clear_refs), so a later `maxRssKb` is the peak from here. */
  | { readonly op: 'reset-peak' }
  /**
   * The daemon's sweep after a poll: refresh() (new commit or not), then what Controller.enqueueAll
   * and the Reconciler's passes read: the whole engine's list once (observe + the prune guard),
   * then each namespace's own list (the engine file's per-namespace copy), observed and decided
   * alone (decideWorkloads, as a pass decides). With `expect`: exactly that Deployment has a move.
   */
  | { readonly op: 'sweep'; readonly expect?: { readonly namespace: string; readonly name: string } }
  /**
   * The Git read alone, as the floor of a cold plan's memory and time: isomorphic-git (with the
   * inflate berth gives it) fetches the ref into an empty repository (remote) and reads every tree
   * and blob at its commit, and nothing else: no parse, no validation, no plan.
   */
  | { readonly op: 'git-floor'; readonly source: SourceSpec; readonly local: boolean };

export interface Memory {
  /**
   * The peak RSS of the worker's own memory (VmHWM), in KB: since it started, or since its last
   * `reset-peak`. Not getrusage's maxRSS, which in a forked child also counts the parent's RSS at
   * the fork: a local Git read alone "peaked" there at the driver's 98 MB, where its own peak was 86–88 MB.
   */
  readonly maxRssKb: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** Buffers and other memory outside the V8 heap (memoryUsage().external). */
  readonly externalBytes: number;
  /** The V8 heap's committed size (memoryUsage().heapTotal): what V8 holds for the heap, used or not. */
  readonly heapTotalBytes: number;
  /** True when a full GC ran just before (the worker was started with --expose-gc): heapUsed is then the live heap. */
  readonly afterGc: boolean;
}

export interface Timed {
  readonly totalMs: number;
  /** CPU time (user + system) the worker process used during the request: berth's own work, without waiting for the server or for other processes. */
  readonly cpuMs: number;
  readonly phases: Phases;
  /** Counts that show how much work the pass did (folders and blobs read, containers observed). */
  readonly work: Record<string, number>;
  readonly memory: Memory;
  /** A cold plan's peak RSS (KB) once each phase had run, in phase order: where the peak was reached. */
  readonly peakAfter?: Readonly<Record<string, number>>;
}

export type Reply = ({ readonly ok: true } & Timed) | { readonly ok: false; readonly error: string };

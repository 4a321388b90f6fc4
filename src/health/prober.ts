/**
 * The effectful half of health: owns one timer per probed container, runs the probes that
 * are due (probe.ts) and folds their results into the pure state machine (assess.ts).
 *
 * Invariants:
 *  - The set of probed containers is whatever the last `sync(namespace, …)` said for that
 *    namespace: new ids start probing, known ids keep their state untouched (only their
 *    published ports are refreshed), ids missing from the list are stopped and forgotten.
 *  - At most one probe of a kind runs on a container at a time; the next run of a kind is
 *    scheduled from its result (assess.nextTick), so a slow probe never piles up.
 *  - A result arriving for a forgotten container (or after close()) is dropped.
 *  - onChange fires after a result changes `started`, `ready`/`readySince` or demands a
 *    restart (once: a demand is final, probing of that container stops). It does not fire
 *    for the initial state: read `view(id)` right after `sync`.
 */
import type { Logger } from '../core/index.js';
import type { Probes } from '../desired/index.js';
import { samePublishedPorts, type PublishedPort } from '../runtime/index.js';
import {
  dueProbes,
  hasViewChanged,
  initialState,
  nextDueAt,
  recordResult,
  viewOf,
  type ContainerProbeState,
  type ProbeKind,
  type ProbeResult,
  type ProbeView,
} from './assess.js';
import { runProbe, type ProbeDeps } from './probe.js';

export interface ProbeTarget {
  /** Engine container id. */
  readonly id: string;
  readonly namespace: string;
  readonly deployment: string;
  readonly probes: Probes;
  readonly ports: readonly PublishedPort[];
  /** When the container started: initialDelaySeconds counts from here. */
  readonly startedAt: Date;
  /** Start as started and ready (the data plane still routes to it after a berth restart); see assess.InitialStateOptions. */
  readonly initiallyReady?: boolean;
  /** readySince of an initiallyReady container. Default: startedAt. */
  readonly readySince?: Date;
}

export interface ProbeChange {
  readonly id: string;
  readonly namespace: string;
  readonly deployment: string;
  readonly state: ProbeView;
}

export interface ProberOptions {
  /** RuntimeDriver.exec, for exec probes. */
  readonly exec: ProbeDeps['exec'];
  readonly now: () => Date;
  readonly logger: Logger;
  /** Called after a result changed the container's view; exceptions are logged and ignored. */
  readonly onChange: (event: ProbeChange) => void;
  /** tcpSocket settle window (probe.ts). Default 200 ms. */
  readonly tcpSettleMs?: number;
}

interface Entry {
  target: ProbeTarget;
  state: ContainerProbeState;
  readonly running: Set<ProbeKind>;
  timer: NodeJS.Timeout | undefined;
  /** False once forgotten: late results are dropped and nothing is rescheduled. */
  active: boolean;
  readonly log: Logger;
  /** When this process began probing the container (a restarted berth saw nothing before). */
  readonly watchedSince: Date;
}

/** setTimeout's ceiling (about 24.8 days); a later due time is reached in several waits. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export class Prober {
  private readonly entries = new Map<string, Entry>();
  private readonly log: Logger;
  private readonly deps: ProbeDeps;
  private closed = false;

  constructor(private readonly options: ProberOptions) {
    this.log = options.logger;
    this.deps = { exec: options.exec, ...(options.tcpSettleMs !== undefined ? { tcpSettleMs: options.tcpSettleMs } : {}) };
  }

  /** Makes `targets` the probed containers of `namespace` (see the invariants above). A no-op after close(). */
  sync(namespace: string, targets: readonly ProbeTarget[]): void {
    if (this.closed) return;
    const listed = new Set<string>();
    for (const target of targets) {
      listed.add(target.id);
      const known = this.entries.get(target.id);
      if (known) {
        if (!samePublishedPorts(known.target.ports, target.ports)) known.target = { ...known.target, ports: target.ports };
        continue;
      }
      this.start(target);
    }
    for (const [id, entry] of this.entries) {
      if (entry.target.namespace === namespace && !listed.has(id)) this.forget(entry);
    }
  }

  view(id: string): ProbeView | undefined {
    const entry = this.entries.get(id);
    return entry ? viewOf(entry.state) : undefined;
  }

  /** When this process began probing the container; undefined for one it does not probe. */
  watchedSince(id: string): Date | undefined {
    return this.entries.get(id)?.watchedSince;
  }

  /** Stops every timer and forgets every container; probes in flight finish unobserved. */
  close(): void {
    this.closed = true;
    for (const entry of this.entries.values()) this.forget(entry);
  }

  private start(target: ProbeTarget): void {
    const watchedSince = this.options.now();
    const state = initialState(target.probes, target.startedAt, {
      seenAt: watchedSince,
      ...(target.initiallyReady ? { initiallyReady: true } : {}),
      ...(target.readySince ? { readySince: target.readySince } : {}),
    });
    const log = this.log.child({ namespace: target.namespace, deployment: target.deployment, container: target.id.slice(0, 12) });
    const entry: Entry = { target, state, running: new Set(), timer: undefined, active: true, log, watchedSince };
    this.entries.set(target.id, entry);
    const view = viewOf(state);
    log.debug({ started: view.started, ready: view.ready, probes: Object.keys(target.probes) }, 'probing container');
    this.schedule(entry);
  }

  private forget(entry: Entry): void {
    entry.active = false;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    this.entries.delete(entry.target.id);
  }

  /** Starts the due probes that are not running, then sleeps until the next due time. */
  private schedule(entry: Entry): void {
    if (!entry.active) return;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    const now = this.options.now();
    for (const kind of dueProbes(entry.state, now)) if (!entry.running.has(kind)) this.run(entry, kind);
    const next = nextDueAt(entry.state, [...entry.running]);
    if (next === undefined) return;
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, next.getTime() - this.options.now().getTime()));
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      this.schedule(entry);
    }, delay);
    entry.timer.unref();
  }

  private run(entry: Entry, kind: ProbeKind): void {
    const spec = entry.target.probes[kind];
    if (!spec) return;
    entry.running.add(kind);
    const address = { containerId: entry.target.id, ports: entry.target.ports };
    runProbe(spec.action, address, spec.timeoutSeconds * 1000, this.deps)
      .catch((err: unknown): ProbeResult => ({ ok: false, message: `probe error: ${err instanceof Error ? err.message : String(err)}` }))
      .then((result) => {
        entry.running.delete(kind);
        if (entry.active) this.record(entry, kind, result);
      })
      .catch((err: unknown) => entry.log.error({ err, probe: kind }, 'recording a probe result failed'));
  }

  private record(entry: Entry, kind: ProbeKind, result: ProbeResult): void {
    const spec = entry.target.probes[kind]!;
    const before = viewOf(entry.state);
    entry.state = recordResult(entry.state, kind, result, spec, this.options.now());
    const after = viewOf(entry.state);
    entry.log.debug({ probe: kind, ok: result.ok, result: result.message }, 'probe result');
    if (hasViewChanged(before, after)) {
      if (after.restart) entry.log.info({ probe: kind, reason: after.restart.reason }, 'probe demands a restart');
      else if (before.started !== after.started) entry.log.info({ probe: kind, ready: after.ready }, 'container started (startup probe passed)');
      else entry.log.info({ probe: kind, result: result.message }, after.ready ? 'container ready' : 'container not ready');
      try {
        this.options.onChange({ id: entry.target.id, namespace: entry.target.namespace, deployment: entry.target.deployment, state: after });
      } catch (err) {
        entry.log.error({ err }, 'probe change handler threw');
      }
    }
    this.schedule(entry);
  }
}

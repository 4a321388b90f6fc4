/**
 * The Kubernetes probe state machine for one container. Pure: every function takes the time
 * it needs as an argument and returns a new state; nothing here schedules or runs a probe
 * (prober.ts does, through probe.ts).
 *
 * The rules (kubelet's prober `worker.go`, `results_manager`):
 *  - No probe of a kind: startup → started at once; readiness → ready as soon as started;
 *    liveness → always live.
 *  - A probe first runs at `startedAt + initialDelaySeconds`, then every `periodSeconds` on a
 *    fixed grid anchored there (ticks that pass while a probe is still running are dropped,
 *    as Go's ticker drops them). A timeout is a failure (probe.ts reports it as one).
 *  - Results change the state only when a run of equal results reaches its threshold:
 *    `successThreshold` consecutive successes, `failureThreshold` consecutive failures.
 *  - Until the startup probe has succeeded, readiness and liveness are not run and the
 *    container is not ready. `failureThreshold` startup failures → restart.
 *  - Readiness starts false; ready after `successThreshold` consecutive successes, unready
 *    after `failureThreshold` consecutive failures.
 *  - `failureThreshold` consecutive liveness failures → restart. A container whose restart is
 *    demanded is also not ready (it is about to be stopped) and is probed no more: the
 *    replacement container is a new id with a fresh state.
 *
 * Worked example (readiness: initialDelay 5, period 10, successThreshold 1, failureThreshold 3;
 * container started at t=0):
 *   t=0   not ready, readiness due at t=5
 *   t=5   success → ready, readySince=5, next due t=15
 *   t=15  failure (1 of 3) → still ready          t=25 failure (2 of 3) → still ready
 *   t=35  failure (3 of 3) → not ready            t=45 success (1 of 1) → ready, readySince=45
 */
import type { ProbeSpec, Probes } from '../desired/index.js';

export type ProbeKind = 'startup' | 'readiness' | 'liveness';

/** Checked in this order when several are due at once. */
export const PROBE_KINDS: readonly ProbeKind[] = ['startup', 'readiness', 'liveness'];

export interface ProbeResult {
  readonly ok: boolean;
  /** What happened, for logs and status: `HTTP 200`, `exit code 3`, `timed out after 1000 ms`. */
  readonly message: string;
}

/** Per probe kind present in the template. */
export interface ProbeCounts {
  readonly consecutiveSuccesses: number;
  readonly consecutiveFailures: number;
  /** When this probe should run next (if it is eligible then: see `eligibleProbes`). */
  readonly dueAt: Date;
  readonly last?: { readonly ok: boolean; readonly message: string; readonly at: Date };
}

export interface ContainerProbeState {
  readonly startedAt: Date;
  /**
   * When the prober took the container up (initialState's seenAt), when that is after
   * `startedAt`: the engine's list gives a creation time in whole seconds, and a container is
   * taken up once its start returned, which under load is seconds after its creation.
   */
  readonly seenAt?: Date;
  /** The startup probe has succeeded (or there is none). */
  readonly started: boolean;
  readonly ready: boolean;
  /** When `ready` last became true; absent while not ready. */
  readonly readySince?: Date;
  /** False once liveness failed `failureThreshold` times in a row. */
  readonly live: boolean;
  /** Set once, when the startup or liveness probe gives up; the state is final from then on. */
  readonly restart?: { readonly reason: string };
  readonly probes: { readonly [K in ProbeKind]?: ProbeCounts };
}

/** What the rest of berth reads. */
export interface ProbeView {
  readonly started: boolean;
  readonly ready: boolean;
  readonly readySince?: Date;
  /** Present when the container must be restarted (startup or liveness probe gave up). */
  readonly restart?: { readonly reason: string };
  /** Why the container is not ready, when it is not. */
  readonly notReadyReason?: string;
}

export interface InitialStateOptions {
  /**
   * Seed the container as already started and ready — for a container the data plane still
   * routes to after a reconciler restart (Kubernetes keeps a ready container ready across a
   * kubelet restart the same way). Readiness failures then need `failureThreshold` to unready it.
   */
  readonly initiallyReady?: boolean;
  /** readySince of a seeded-ready container. Default: startedAt. */
  readonly readySince?: Date;
  /**
   * When the prober begins watching the container. Probes run on a grid anchored at the later
   * of `startedAt + initialDelaySeconds` and this, as the kubelet's probe worker ticks from its
   * own start: a container found late (a busy host, a restarted berth) is probed at once, then
   * every `periodSeconds` — never twice within a period because the grid began before it was seen.
   */
  readonly seenAt?: Date;
}

/**
 * The state of a container just started (or just found running):
 *   initialState({}, t0)                        → started, ready, readySince=t0, live
 *   initialState({ readiness }, t0)             → started, not ready; readiness due at t0 + initialDelay
 *   initialState({ startup, readiness }, t0)    → not started, not ready; only startup is eligible
 *   initialState({ liveness: delay 1, period 1 }, t0, { seenAt: t0+1.9 })
 *                                               → liveness due at t0+1.9, then t0+2.9 (not t0+2)
 */
export function initialState(probes: Probes, startedAt: Date, options: InitialStateOptions = {}): ContainerProbeState {
  const counts: { [K in ProbeKind]?: ProbeCounts } = {};
  for (const kind of PROBE_KINDS) {
    const spec = probes[kind];
    if (!spec) continue;
    const delayed = addSeconds(startedAt, spec.initialDelaySeconds);
    const dueAt = options.seenAt && options.seenAt.getTime() > delayed.getTime() ? options.seenAt : delayed;
    counts[kind] = { consecutiveSuccesses: 0, consecutiveFailures: 0, dueAt };
  }
  const seeded = options.initiallyReady === true;
  const started = seeded || !probes.startup;
  const ready = seeded || (started && !probes.readiness);
  return {
    startedAt,
    ...(options.seenAt && options.seenAt.getTime() > startedAt.getTime() ? { seenAt: options.seenAt } : {}),
    started,
    ready,
    ...(ready ? { readySince: seeded ? (options.readySince ?? startedAt) : startedAt } : {}),
    live: true,
    probes: counts,
  };
}

/** The probe kinds that may run now, whatever their due time: startup until it succeeds, then readiness and liveness. */
export function eligibleProbes(state: ContainerProbeState): ProbeKind[] {
  if (state.restart) return [];
  return PROBE_KINDS.filter((kind) => state.probes[kind] !== undefined && (kind === 'startup' ? !state.started : state.started));
}

/** Eligible probes whose due time has come, in PROBE_KINDS order. */
export function dueProbes(state: ContainerProbeState, now: Date): ProbeKind[] {
  return eligibleProbes(state).filter((kind) => state.probes[kind]!.dueAt.getTime() <= now.getTime());
}

/**
 * The earliest due time among eligible probes (optionally leaving some out, e.g. those
 * already running); undefined when nothing is left to run.
 */
export function nextDueAt(state: ContainerProbeState, except: readonly ProbeKind[] = []): Date | undefined {
  let next: Date | undefined;
  for (const kind of eligibleProbes(state)) {
    if (except.includes(kind)) continue;
    const due = state.probes[kind]!.dueAt;
    if (next === undefined || due.getTime() < next.getTime()) next = due;
  }
  return next;
}

/**
 * The next tick of the probe's grid after a run that was due at `due` and reported at `now`:
 * `due + period × max(1, ceil((now − due) / period))`.
 *   due=5, period=10, now=5.2  → 15      (the usual case: the result came quickly)
 *   due=15, period=1, now=16.0 → 16      (a 1 s timeout on a 1 s period: next tick, no gap)
 *   due=15, period=1, now=16.5 → 17      (the tick at 16 passed while the probe ran: dropped)
 */
export function nextTick(due: Date, periodSeconds: number, now: Date): Date {
  const period = Math.max(1, periodSeconds) * 1000;
  const ticks = Math.max(1, Math.ceil((now.getTime() - due.getTime()) / period));
  return new Date(due.getTime() + ticks * period);
}

/**
 * Folds one probe result into the state. A result for a probe that is not eligible (none in
 * the template, startup already passed, restart already demanded) leaves the state as it is.
 *
 * Startup (failureThreshold 3): fail, fail → not started; success → started (and ready at
 * once when there is no readiness probe); fail ×3 instead → restart 'startup probe failed…'.
 * Liveness (failureThreshold 2): fail, success, fail → live (the run was broken); fail, fail →
 * restart 'liveness probe failed…', not ready.
 */
export function recordResult(state: ContainerProbeState, kind: ProbeKind, result: ProbeResult, spec: ProbeSpec, now: Date): ContainerProbeState {
  const counts = state.probes[kind];
  if (!counts || !eligibleProbes(state).includes(kind)) return state;
  const updated: ProbeCounts = {
    consecutiveSuccesses: result.ok ? counts.consecutiveSuccesses + 1 : 0,
    consecutiveFailures: result.ok ? 0 : counts.consecutiveFailures + 1,
    dueAt: nextTick(counts.dueAt, spec.periodSeconds, now),
    last: { ok: result.ok, message: result.message, at: now },
  };
  const next: ContainerProbeState = { ...state, probes: { ...state.probes, [kind]: updated } };
  const succeeded = updated.consecutiveSuccesses >= Math.max(1, spec.successThreshold);
  const failed = updated.consecutiveFailures >= Math.max(1, spec.failureThreshold);

  switch (kind) {
    case 'startup':
      if (succeeded) {
        const ready = !state.probes.readiness;
        return { ...next, started: true, ready, ...(ready ? { readySince: now } : {}) };
      }
      if (failed) return demandRestart(next, `startup probe failed${inARow(updated.consecutiveFailures)}: ${result.message}`);
      return next;
    case 'readiness':
      if (!state.ready && succeeded) return { ...next, ready: true, readySince: now };
      if (!result.ok && !state.ready && !state.readySince && firstPeriod(state, spec, now))
        return { ...next, probes: { ...next.probes, readiness: { ...updated, dueAt: fastRetry(updated.dueAt, now) } } };
      if (state.ready && failed) return withoutReadySince({ ...next, ready: false });
      return next;
    case 'liveness':
      if (failed) return demandRestart({ ...next, live: false }, `liveness probe failed${inARow(updated.consecutiveFailures)}: ${result.message}`);
      return next;
  }
}

/**
 * berth's one departure from the kubelet, and only towards earlier readiness: within the first
 * period of a new container, a failed readiness probe is retried after FIRST_READY_RETRY_MS
 * instead of a whole period, so a replica that starts listening a few ms after its first probe
 * is not held back a full `periodSeconds` (a rolling update waits on each wave's slowest
 * replica). Never-ready containers fall back to the normal period after that first window.
 *   period 1 s, started t=0: fail at 0.01 → retry 0.11 → ok at 0.11: ready (kubelet: at 1.0)
 */
export const FIRST_READY_RETRY_MS = 100;

/**
 * Whether `now` is within the first period of probing: from the first due time (initialDelay
 * after the start, or when the prober took the container up if later) for one period. Anchored
 * at the creation time alone, the window had mostly passed before the first probe (a creation
 * time in whole seconds, and the create + start of a rolling update's wave takes 0.6–2 s), so
 * the retry never happened and a replica listening a few ms after its first probe waited a
 * whole period.
 *   created 0 (listed as 0), taken up at 1.9, period 1 → the window is 1.9 – 2.9
 */
function firstPeriod(state: ContainerProbeState, spec: ProbeSpec, now: Date): boolean {
  const firstDue = Math.max(addSeconds(state.startedAt, spec.initialDelaySeconds).getTime(), state.seenAt?.getTime() ?? 0);
  return now.getTime() < firstDue + spec.periodSeconds * 1000;
}

function fastRetry(dueAt: Date, now: Date): Date {
  const soon = now.getTime() + FIRST_READY_RETRY_MS;
  return dueAt.getTime() <= soon ? dueAt : new Date(soon);
}

/** The derived view: what the controller, rollout and data plane read. */
export function viewOf(state: ContainerProbeState): ProbeView {
  return {
    started: state.started,
    ready: state.ready,
    ...(state.ready && state.readySince ? { readySince: state.readySince } : {}),
    ...(state.restart ? { restart: state.restart } : {}),
    ...(state.ready ? {} : { notReadyReason: notReadyReason(state) }),
  };
}

/** True when the two views differ in what onChange reports: started, ready, readySince or restart. */
export function hasViewChanged(before: ProbeView, after: ProbeView): boolean {
  return (
    before.started !== after.started ||
    before.ready !== after.ready ||
    before.readySince?.getTime() !== after.readySince?.getTime() ||
    before.restart?.reason !== after.restart?.reason
  );
}

function notReadyReason(state: ContainerProbeState): string {
  if (state.restart) return state.restart.reason;
  if (!state.started) {
    const last = state.probes.startup?.last;
    return last && !last.ok ? `startup probe failed: ${last.message}` : 'startup probe has not succeeded yet';
  }
  const last = state.probes.readiness?.last;
  return last && !last.ok ? `readiness probe failed: ${last.message}` : 'readiness probe has not succeeded yet';
}

function demandRestart(state: ContainerProbeState, reason: string): ContainerProbeState {
  return withoutReadySince({ ...state, ready: false, restart: { reason } });
}

function withoutReadySince(state: ContainerProbeState): ContainerProbeState {
  const { readySince: _dropped, ...rest } = state;
  return rest;
}

/** ' 3 times in a row', or nothing for a single failure. */
function inARow(n: number): string {
  return n === 1 ? '' : ` ${n} times in a row`;
}

function addSeconds(at: Date, seconds: number): Date {
  return new Date(at.getTime() + Math.max(0, seconds) * 1000);
}

/**
 * Where berth's rollout time goes, from its own JSON log lines (--log-level debug). Only
 * messages berth already writes are used:
 *
 *   <step summary> {remove, create}   a pass decided a move for the Deployment (reconcile.ts)   info
 *   creating replica {container}      the executor creates one (after the image check)          info
 *   container started {container, id} the engine's start call returned (docker driver)          info
 *   probe result {container: id12}    one readiness probe (prober)                               debug
 *   container ready {container: id12} the readiness probe passed (prober)                        info
 *   removing replica {container}      logged after the drain, right before the stop              info
 *   container stopped {container}     the stop call returned                                     info
 *   container removed {container}     the delete call returned                                   info
 *   rollout failed: …                 the rollout was judged failed; rolling back                error
 *
 * The critical path of one rollout is rebuilt by walking the Deployment's moves in order:
 * every interval between two consecutive moves is split into the phases it consists of, so
 * the phases add up exactly to trigger → done.
 */
import type { LogLine } from '../push-to-serve/berth-log.js';

export const PHASES = ['sync', 'createStart', 'drain', 'stop', 'remove', 'probe', 'decide', 'tail'] as const;
export type Phase = (typeof PHASES)[number];

export const PHASE_LABEL: Record<Phase, string> = {
  sync: 'trigger → first move (sync request, read the commit, first pass)',
  createStart: 'create + start of the move’s new containers, when that was the longer branch of the move',
  drain: 'drain of the move’s old containers (out of rotation, in-flight requests finish), when removal was the longer branch',
  stop: 'stop of the old containers (SIGTERM through init), idem',
  remove: 'delete of the old containers, idem',
  probe: 'move done → the readiness probe that allowed the next move passed',
  decide: 'readiness passed → the next pass decides the next move',
  tail: 'last move done (and ready) → observed done',
};

export interface Move {
  readonly time: number;
  readonly create: number;
  readonly remove: number;
  readonly summary: string;
}

export interface NewContainer {
  readonly name: string;
  readonly creating: number;
  readonly started?: number;
  readonly id?: string;
  readonly ready?: number;
  /** Readiness probe results logged before the first success. */
  readonly failedProbesBeforeReady: number;
  readonly firstProbeAt?: number;
}

export interface RemovedContainer {
  readonly name: string;
  /** Engine id (from `container stopped`). */
  readonly id?: string;
  readonly drained: number;
  readonly stopped?: number;
  readonly removed?: number;
}

export interface RolloutLog {
  readonly moves: readonly Move[];
  readonly created: readonly NewContainer[];
  readonly removedOld: readonly RemovedContainer[];
  readonly phases: Record<Phase, number>;
  /** `rollout failed: …` (time and message), when the rollout was judged failed. */
  readonly failure?: { readonly time: number; readonly msg: string; readonly rollbackTo?: string };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The log of one rollout of `deployment` (lines between the trigger and done), split into phases. */
export function analyzeRollout(lines: readonly LogLine[], args: { deployment: string; containerPrefix: string; from: number; to: number }): RolloutLog {
  const ours = (l: LogLine) => str(l.container)?.startsWith(args.containerPrefix) === true;
  const moves: Move[] = lines
    .filter((l) => l.deployment === args.deployment && typeof l.remove === 'number' && typeof l.create === 'number' && l.time >= args.from && l.time <= args.to)
    .map((l) => ({ time: l.time, create: l.create as number, remove: l.remove as number, summary: l.msg }));
  const startedBy = new Map<string, LogLine>();
  for (const l of lines) if (l.msg === 'container started' && ours(l) && !startedBy.has(str(l.container)!)) startedBy.set(str(l.container)!, l);
  const byId12 = (id: string | undefined) => (id ? (l: LogLine) => str(l.container) === id.slice(0, 12) : () => false);
  const created: NewContainer[] = lines
    .filter((l) => l.msg === 'creating replica' && ours(l) && l.time >= args.from && l.time <= args.to)
    .map((l) => {
      const name = str(l.container)!;
      const s = startedBy.get(name);
      const id = s ? str(s.id) : undefined;
      const mine = byId12(id);
      const ready = lines.find((x) => x.msg === 'container ready' && mine(x));
      const probes = lines.filter((x) => x.msg === 'probe result' && x.probe === 'readiness' && mine(x));
      const firstOk = probes.findIndex((p) => p.ok === true);
      return {
        name,
        creating: l.time,
        ...(s ? { started: s.time } : {}),
        ...(id ? { id } : {}),
        ...(ready ? { ready: ready.time } : {}),
        failedProbesBeforeReady: firstOk === -1 ? probes.length : firstOk,
        ...(probes[0] ? { firstProbeAt: probes[0].time } : {}),
      };
    });
  const removedOld: RemovedContainer[] = lines
    .filter((l) => l.msg === 'removing replica' && ours(l) && l.time >= args.from && l.time <= args.to)
    .map((l) => {
      const name = str(l.container)!;
      const stopped = lines.find((x) => x.msg === 'container stopped' && str(x.container) === name && x.time >= l.time);
      const removed = lines.find((x) => x.msg === 'container removed' && str(x.container) === name && x.time >= l.time);
      const id = stopped ? str(stopped.id) : undefined;
      return { name, ...(id ? { id } : {}), drained: l.time, ...(stopped ? { stopped: stopped.time } : {}), ...(removed ? { removed: removed.time } : {}) };
    });
  const failureLine = lines.find((l) => l.msg.startsWith('rollout failed:') && l.time >= args.from);

  const phases = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>;
  const add = (p: Phase, a: number, b: number) => (phases[p] += Math.max(0, b - a));
  const max = (xs: readonly number[], fallback: number) => (xs.length > 0 ? Math.max(...xs) : fallback);
  if (moves.length === 0) add('tail', args.from, args.to);
  else add('sync', args.from, moves[0]!.time);
  let createdIdx = 0;
  let removedIdx = 0;
  // A move may create new containers and remove old ones at once (the executor runs both
  // branches side by side): the longer branch is the critical path. Then the move waits for
  // the readiness that lets the next move happen, then for the pass that decides it.
  moves.forEach((m, k) => {
    const end = moves[k + 1]?.time ?? args.to;
    const cap = (t: number, floor: number) => Math.min(end, Math.max(floor, t));
    const news = created.slice(createdIdx, createdIdx + m.create);
    createdIdx += m.create;
    const olds = removedOld.slice(removedIdx, removedIdx + m.remove);
    removedIdx += m.remove;
    const started = cap(
      max(
        news.map((c) => c.started ?? m.time),
        m.time,
      ),
      m.time,
    );
    const drained = cap(
      max(
        olds.map((c) => c.drained),
        m.time,
      ),
      m.time,
    );
    const stopped = cap(
      max(
        olds.map((c) => c.stopped ?? drained),
        drained,
      ),
      drained,
    );
    const removed = cap(
      max(
        olds.map((c) => c.removed ?? stopped),
        stopped,
      ),
      stopped,
    );
    if (news.length > 0 && started >= removed) add('createStart', m.time, started);
    else {
      add('drain', m.time, drained);
      add('stop', drained, stopped);
      add('remove', stopped, removed);
    }
    const own = Math.max(started, removed);
    const readyTimes = created.map((c) => c.ready).filter((t): t is number => t !== undefined && t > m.time && t <= end);
    const ready = cap(max(readyTimes, own), own);
    add('probe', own, ready);
    add(moves[k + 1] ? 'decide' : 'tail', ready, end);
  });
  return {
    moves,
    created,
    removedOld,
    phases,
    ...(failureLine
      ? { failure: { time: failureLine.time, msg: failureLine.msg, ...(str(failureLine.rollbackTo) ? { rollbackTo: str(failureLine.rollbackTo)! } : {}) } }
      : {}),
  };
}

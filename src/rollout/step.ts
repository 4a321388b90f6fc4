import type { DesiredDeployment } from '../desired/index.js';
import type { ObservedReplica } from '../observed/index.js';
import { restartDelayMs, restartKey, type RestartRecord } from './backoff.js';
import { fenceposts } from './fenceposts.js';
import { countReplicas, isAlive, isReady, readySince } from './availability.js';
import { nextStatefulStep } from './stateful-step.js';

/**
 * The next move of one Deployment: a pure function of (desired, observed, history, now),
 * one move per pass, like the Kubernetes deployment controller's rolling.go. A crash of
 * berth between moves costs nothing: the next pass re-derives the step from labels.
 */
export interface RolloutInput {
  /** `undefined` = the Deployment was removed from Git: every replica goes (prune). */
  readonly desired: DesiredDeployment | undefined;
  readonly observed: readonly ObservedReplica[];
  /** Commit to stamp on replicas of a revision no running replica carries yet. */
  readonly commit: string;
  readonly now: Date;
  /** Restarts already made per replica slot (see backoff.ts restartKey). */
  readonly restarts: ReadonlyMap<string, RestartRecord>;
  /**
   * Probe verdicts by container id (health/). A replica missing here is ready as soon as it
   * runs (no readiness probe), since its creation.
   */
  readonly readiness?: ReadonlyMap<string, Readiness>;
  /**
   * True once the desired revision has completed for this Deployment (store history): then it
   * is no longer a rollout, and neither a deadline nor crashes can fail it (as Kubernetes'
   * progress deadline only applies while Progressing). Replicas that crash are restarted.
   */
  readonly completed?: boolean;
  /**
   * When this berth process began watching (its start). While berth was down nobody could
   * create, start or probe a replica, so a rollout's progress deadline counts from here at the
   * earliest (judgeRollout). Absent: from the replicas alone.
   */
  readonly watchingSince?: Date;
}

export interface Readiness {
  readonly ready: boolean;
  /** When it last became ready. */
  readonly since?: Date;
  /**
   * When this berth process began probing the replica. Readiness is berth's own observation:
   * while berth was down nobody could see a replica become ready, so that time is no evidence
   * of a stalled rollout (see judgeRollout).
   */
  readonly watchedSince?: Date;
}

/**
 * A replica of the new revision that has exited this many times (restarts already made for
 * its slot ≥ this) during a rollout fails the rollout: CrashLoop.
 *   exit → restarted at once (count 1) → exits again → CrashLoop
 */
export const CRASH_LOOP_RESTARTS = 1;

export type RemovalReason = 'outdated' | 'scale-down' | 'exited' | 'duplicate' | 'prune' | 'recreate' | 'init-done' | 'never-started' | 'evicted';

export interface Removal {
  readonly replica: ObservedReplica;
  readonly reason: RemovalReason;
}

export interface Creation {
  readonly revision: string;
  readonly replica: number;
  readonly commit: string;
  /** True when this replaces an exited replica of the same slot (counts toward back-off). */
  readonly restart: boolean;
  /** On a restart: the slot's restart record after it (count including this one, at = now), written as labels on the new container. */
  readonly restartRecord?: { readonly count: number; readonly at: string };
  /** The start goes on after this init container exited 0 (executor.ts: the next one, or the app). */
  readonly afterInit?: string;
}

export interface ReplicaCounts {
  readonly desired: number;
  /** Replicas of the desired revision (any state). */
  readonly updated: number;
  /** Replicas running and past minReadySeconds, any revision. */
  readonly available: number;
  /** Replicas of the desired revision that are available. */
  readonly updatedAvailable: number;
  readonly total: number;
}

export type Step =
  /** Removals first (the executor drains and stops them), then creations. */
  | {
      readonly kind: 'act';
      readonly remove: readonly Removal[];
      readonly create: readonly Creation[];
      readonly summary: string;
      readonly counts: ReplicaCounts;
    }
  | {
      readonly kind: 'wait';
      /** `terminating`: replicas on their way out take the room a new one needs (maxSurge, or Recreate's "all old gone first"). */
      readonly reason: 'readiness' | 'min-ready-seconds' | 'crash-backoff' | 'terminating';
      readonly recheckAt?: Date;
      readonly summary: string;
      readonly counts: ReplicaCounts;
    }
  | { readonly kind: 'complete'; readonly counts: ReplicaCounts }
  /** The rollout of the desired revision failed: the caller rolls back to the last good revision. */
  | { readonly kind: 'fail'; readonly reason: FailReason; readonly summary: string; readonly counts: ReplicaCounts };

export type FailReason = 'ProgressDeadlineExceeded' | 'CrashLoop';

export function nextStep(input: RolloutInput): Step {
  if (input.desired?.stateful) return nextStatefulStep(input, input.desired);
  const { desired, observed, now } = input;
  const live = observed.filter((r) => r.state !== 'removing');
  // Terminating (draining and stopping, the engine's `removing`): they serve nothing and are no
  // replica any more, but until they are gone they count against maxSurge, Recreate starts
  // nothing new beside them, and the rollout (or prune) is not complete.
  const terminating = observed.filter((r) => r.state === 'removing');
  if (!desired) {
    const counts = { desired: 0, updated: 0, available: 0, updatedAvailable: 0, total: live.length };
    if (live.length === 0) return terminating.length > 0 ? terminatingWait(terminating.length, counts) : { kind: 'complete', counts };
    return {
      kind: 'act',
      remove: live.map((replica) => ({ replica, reason: 'prune' as const })),
      create: [],
      summary: `prune ${live.length} replica(s)`,
      counts,
    };
  }
  const { counts, current, old } = countReplicas(desired, live, input.readiness, now);
  const commit = current.find((r) => r.commit)?.commit ?? input.commit;
  const failure = input.completed ? undefined : judgeRollout(input, desired, current, old.length === 0 && counts.updatedAvailable >= desired.replicas, counts);
  if (failure) return failure;

  // 1. Current-revision slots: keep one container per ordinal < replicas; duplicates and
  //    ordinals beyond the desired count go; exited ones are replaced after back-off.
  const bySlot = new Map<number, ObservedReplica[]>();
  for (const r of current) {
    const slot = bySlot.get(r.replica);
    if (slot) slot.push(r);
    else bySlot.set(r.replica, [r]);
  }
  const remove: Removal[] = [];
  const create: Creation[] = [];
  let backoffUntil: Date | undefined;
  let backoffWhy = 'replica exited; restarting after back-off';
  const slotsInUse = new Set<number>();
  for (const [slot, replicas] of bySlot) {
    // Prefer keeping a running container, then the oldest.
    const ordered =
      replicas.length === 1 ? replicas : [...replicas].sort((a, b) => Number(isAlive(b)) - Number(isAlive(a)) || a.created.localeCompare(b.created));
    const [keep, ...extra] = ordered;
    for (const r of extra) remove.push({ replica: r, reason: 'duplicate' });
    if (!keep) continue;
    if (slot >= desired.replicas) {
      remove.push({ replica: keep, reason: 'scale-down' });
      continue;
    }
    slotsInUse.add(slot);
    const care = tendSlot(input, desired, keep, commit);
    if (care.remove) remove.push(care.remove);
    if (care.create) create.push(care.create);
    if (care.backoff && (!backoffUntil || care.backoff.until < backoffUntil)) {
      backoffUntil = care.backoff.until;
      backoffWhy = care.backoff.why;
    }
  }
  if (remove.length > 0 || create.length > 0) {
    return { kind: 'act', remove, create, summary: describe(remove, create), counts };
  }

  const freeSlots = (n: number): number[] => {
    const slots: number[] = [];
    for (let i = 0; i < desired.replicas && slots.length < n; i++) if (!slotsInUse.has(i)) slots.push(i);
    return slots;
  };
  const oldLive = old;

  // 2. Recreate: stop every old replica, then start all new ones once they are gone.
  if (desired.strategy.type === 'Recreate' && oldLive.length > 0) {
    const rm = oldLive.map((replica) => ({ replica, reason: 'recreate' as const }));
    return { kind: 'act', remove: rm, create: [], summary: describe(rm, []), counts };
  }
  const oldTerminating = terminating.filter((r) => r.revision !== desired.revision);
  if (desired.strategy.type === 'Recreate' && oldTerminating.length > 0) return terminatingWait(oldTerminating.length, counts);

  // 3. RollingUpdate with old replicas around (Kubernetes rolling.go: scale up new, else scale down old).
  if (oldLive.length > 0 && desired.strategy.type === 'RollingUpdate') {
    const { maxSurge, maxUnavailable } = fenceposts(desired.strategy.maxSurge, desired.strategy.maxUnavailable, desired.replicas);
    // Unhealthy old replicas (down, or failing their readiness probe) serve nothing: they go
    // first and cost no availability (Kubernetes' cleanupUnhealthyReplicas). This is also how
    // a rollback retires the unready replicas of a failed revision.
    const oldUnhealthy = oldLive.filter((r) => !isReady(r, input.readiness));
    if (oldUnhealthy.length > 0) {
      const rm = oldUnhealthy.map((replica) => ({ replica, reason: 'outdated' as const }));
      return { kind: 'act', remove: rm, create: [], summary: describe(rm, []), counts };
    }
    // Scale up: total may reach replicas + maxSurge.
    //   replicas 10, maxSurge 2, 10 old, 0 new → create min(12 - 10, 10 - 0) = 2
    // Terminating replicas count here: no replica is added for room that is not free yet.
    //   the same with 2 old terminating → create min(12 - 12, 10) = 0: wait until they are gone
    const liveTotal = current.length + oldLive.length;
    const total = liveTotal + terminating.length;
    const scaleUp = Math.min(desired.replicas + maxSurge - total, desired.replicas - current.length);
    if (scaleUp > 0) {
      const add = freeSlots(scaleUp).map((replica) => ({ revision: desired.revision, replica, commit, restart: false }));
      if (add.length > 0) return { kind: 'act', remove: [], create: add, summary: describe([], add), counts };
    }
    // Scale down old: keep at least replicas - maxUnavailable available.
    //   replicas 10, maxUnavailable 0, available 12 (10 old + 2 new ready) → remove 12 - 10 = 2 old
    const minAvailable = desired.replicas - maxUnavailable;
    const canRemove = Math.min(counts.available - minAvailable, oldLive.length);
    if (canRemove > 0) {
      // Oldest first: by creation time, then highest ordinal.
      const victims = [...oldLive].sort((a, b) => a.created.localeCompare(b.created) || b.replica - a.replica).slice(0, canRemove);
      const rm = victims.map((replica) => ({ replica, reason: 'outdated' as const }));
      // The room the removals make is refilled in the same move, whatever still terminates (the
      // move stays whole, as Kubernetes' controller replaces what it scales down without waiting
      // for the pods to go): the next wave starts while these drain and stop.
      //   replicas 10, maxSurge 2: 10 old + 2 new ready → remove 2 old and create 2 new
      const refill = Math.min(desired.replicas + maxSurge - (liveTotal - rm.length), desired.replicas - current.length);
      const add = refill > 0 ? freeSlots(refill).map((replica) => ({ revision: desired.revision, replica, commit, restart: false })) : [];
      return { kind: 'act', remove: rm, create: add, summary: describe(rm, add), counts };
    }
    // Nothing to do but for the terminating ones, whose room a new replica needs.
    if (terminating.length > 0 && scaleUp <= 0 && desired.replicas + maxSurge - liveTotal > 0 && current.length < desired.replicas)
      return terminatingWait(terminating.length, counts);
    return waitForReadiness(current, desired.minReadySeconds, now, counts, backoffUntil && { until: backoffUntil, why: backoffWhy }, input.readiness);
  }

  // 4. Steady state on the desired revision: fill missing slots.
  const missing = freeSlots(desired.replicas);
  if (missing.length > 0) {
    const add = missing.map((replica) => ({ revision: desired.revision, replica, commit, restart: false }));
    return { kind: 'act', remove: [], create: add, summary: describe([], add), counts };
  }
  if (backoffUntil)
    return {
      kind: 'wait',
      reason: 'crash-backoff',
      recheckAt: backoffUntil,
      summary: `${backoffWhy} at ${backoffUntil.toISOString()}`,
      counts,
    };
  if (counts.updatedAvailable < desired.replicas) return waitForReadiness(current, desired.minReadySeconds, now, counts, undefined, input.readiness);
  // Done once nothing of it terminates any more: after `rollout status` says so, no old replica is left on the engine.
  if (terminating.length > 0) return terminatingWait(terminating.length, counts);
  return { kind: 'complete', counts };
}

/** A wait for replicas still terminating: the engine's destroy event (or the next look) brings the next pass. */
function terminatingWait(n: number, counts: ReplicaCounts): Step {
  return { kind: 'wait', reason: 'terminating', summary: `waiting for ${n} replica(s) to finish terminating`, counts };
}

/**
 * The care of one replica of the desired revision in its slot: an init container that finished
 * hands over to the next one (or the app), a replica that is down is replaced once its crash
 * back-off has passed (until then `backoff` says when and why), one its node took away is
 * replaced at once, even while it still runs. Nothing for a live replica.
 *   init "migrate" exited 0            → remove it, create the slot again afterInit "migrate"
 *   evicted (node drained), running    → replace now: Swarm stops it whatever berth does
 *   down, 2 restarts, last at t        → replace at t + restartDelayMs(2)
 */
export function tendSlot(
  input: RolloutInput,
  desired: DesiredDeployment,
  keep: ObservedReplica,
  commit: string,
): { remove?: Removal; create?: Creation; backoff?: { until: Date; why: string } } {
  const { now } = input;
  const slot = keep.replica;
  const replace = (reason: RemovalReason, how: Pick<Creation, 'restart' | 'afterInit' | 'restartRecord'>) => ({
    remove: { replica: keep, reason },
    create: { revision: desired.revision, replica: slot, commit, ...how },
  });
  // An init container finished: the replica's start goes on with the next one, or the app (same restart record).
  if (keep.init !== undefined && keep.state === 'exited' && keep.exitCode === 0)
    return replace('init-done', { restart: false, afterInit: keep.init, ...(keep.restart ? { restartRecord: keep.restart } : {}) });
  // Its node took it away (drained, lost): nothing crashed, so it is replaced at once and no restart is counted.
  // Also while it still runs: its node stops it on its own (a drain), so it is drained out of routing and replaced now, as
  // a ReplicaSet replaces an evicted Pod while it terminates.
  if (keep.evicted) return replace('evicted', { restart: false, ...(keep.restart ? { restartRecord: keep.restart } : {}) });
  if (isAlive(keep)) return {};
  // Waiting for a node to take it (a cluster driver): nothing ran, nothing to replace; the progress deadline judges the wait.
  if (keep.state === 'pending') return {};
  // Created and never started: berth stopped between the two (a start that fails is discarded
  // at once, runtime/docker/driver.ts). Nothing ran, so nothing crashed: replaced at once, no restart counted.
  if (keep.state === 'created' && keep.init === undefined)
    return replace('never-started', { restart: false, ...(keep.restart ? { restartRecord: keep.restart } : {}) });
  const record = input.restarts.get(restartKey(desired.namespace, desired.name, desired.revision, slot));
  const readyAt = record ? new Date(record.lastAt.getTime() + restartDelayMs(record.count)) : now;
  if (readyAt.getTime() <= now.getTime())
    return replace('exited', { restart: true, restartRecord: { count: (record?.count ?? 0) + 1, at: now.toISOString() } });
  const code = keep.exitCode !== undefined ? ` (exit code ${keep.exitCode})` : '';
  const why =
    keep.init !== undefined
      ? `init container ${JSON.stringify(keep.init)} of replica ${slot} failed${code}; running the init containers again after back-off`
      : `replica ${slot} exited${code}; restarting after back-off`;
  return { backoff: { until: readyAt, why } };
}

/**
 * Has the rollout of the desired revision failed? Only asked while it is a rollout (the
 * revision never completed). Pure: time since the last progress comes from the replicas.
 *   CrashLoop: a new-revision replica is down and its slot was already restarted
 *     CRASH_LOOP_RESTARTS time(s).
 *   ProgressDeadlineExceeded: no new-revision replica was created or became ready in the
 *     last progressDeadlineSeconds, and the rollout is not done.
 */
export function judgeRollout(
  input: RolloutInput,
  desired: DesiredDeployment,
  current: readonly ObservedReplica[],
  done: boolean,
  counts: ReplicaCounts,
): Step | undefined {
  if (current.length === 0) return undefined; // nothing of the new revision yet: the next move creates it
  if (done) return undefined;
  for (const r of current) {
    if (r.replica >= desired.replicas) continue;
    // A Pod's container restarted in place that is down again: the same rule, per container.
    for (const name of r.down ?? []) {
      const again = (r.members ?? []).filter((m) => m.container === name && m.state !== 'running' && (m.restart?.count ?? 0) >= CRASH_LOOP_RESTARTS)[0];
      if (!again?.restart) continue;
      const code = again.exitCode !== undefined ? ` (exit code ${again.exitCode})` : '';
      return {
        kind: 'fail',
        reason: 'CrashLoop',
        summary: `container ${JSON.stringify(name)} of replica ${r.replica} of revision ${desired.revision} exited again after ${again.restart.count} restart(s)${code}`,
        counts,
      };
    }
    if (isAlive(r) || r.state === 'pending' || r.evicted || (r.state === 'created' && r.init === undefined)) continue; // pending, or created and never started: nothing crashed (tendSlot)
    const record = input.restarts.get(restartKey(desired.namespace, desired.name, desired.revision, r.replica));
    if (record && record.count >= CRASH_LOOP_RESTARTS) {
      const code = r.exitCode !== undefined ? ` (exit code ${r.exitCode})` : '';
      return {
        kind: 'fail',
        reason: 'CrashLoop',
        summary:
          r.init !== undefined
            ? `init container ${JSON.stringify(r.init)} of replica ${r.replica} of revision ${desired.revision} failed again after ${record.count} restart(s)${code}`
            : `replica ${r.replica} of revision ${desired.revision} exited again after ${record.count} restart(s)${code}`,
        counts,
      };
    }
  }
  // Progress = the latest creation or readiness of a new-revision replica — or the moment this
  // berth started watching it (its probes, or the process itself), whichever is later. Worked
  // example (progressDeadlineSeconds 8): a replica created at t=0, berth killed at t=1 and back
  // at t=9: without the watch time the deadline "passed" at t=8 although nobody could start,
  // probe or see the replica meanwhile, and the restarted berth rolled back a healthy rollout
  // (found by the e2e kill -9 test, twice: a running replica, then one killed between create
  // and start, which no probe watches); with it, the deadline is t=17.
  const watched = (r: ObservedReplica) => input.readiness?.get(r.id)?.watchedSince?.getTime() ?? 0;
  const since = input.watchingSince?.getTime() ?? 0;
  const progress = Math.max(since, ...current.map((r) => Math.max(Date.parse(r.created), readySince(r, input.readiness) ?? 0, watched(r))));
  const deadline = progress + desired.progressDeadlineSeconds * 1000;
  if (input.now.getTime() > deadline) {
    return {
      kind: 'fail',
      reason: 'ProgressDeadlineExceeded',
      summary: `revision ${desired.revision} made no progress for ${desired.progressDeadlineSeconds}s (${counts.updatedAvailable}/${desired.replicas} updated replicas available)`,
      counts,
    };
  }
  return undefined;
}

export function waitForReadiness(
  current: readonly ObservedReplica[],
  minReadySeconds: number,
  now: Date,
  counts: ReplicaCounts,
  backoff: { readonly until: Date; readonly why: string } | undefined,
  readiness: RolloutInput['readiness'],
): Step {
  if (backoff) return { kind: 'wait', reason: 'crash-backoff', recheckAt: backoff.until, summary: backoff.why, counts };
  // The earliest moment a ready-but-not-yet-available replica becomes available.
  const pending = current
    .map((r) => readySince(r, readiness))
    .filter((since): since is number => since !== undefined && now.getTime() - since < minReadySeconds * 1000)
    .map((since) => since + minReadySeconds * 1000);
  if (pending.length > 0) {
    return {
      kind: 'wait',
      reason: 'min-ready-seconds',
      recheckAt: new Date(Math.min(...pending)),
      summary: `waiting for ${pending.length} replica(s) to be ready for ${minReadySeconds}s`,
      counts,
    };
  }
  // A replica no node can take (a cluster driver) says why: that is what a person must change.
  const unplaced = current.find((r) => r.state === 'pending' && r.stateReason);
  const why = unplaced ? `; replica ${unplaced.replica} is pending: ${unplaced.stateReason}` : '';
  return {
    kind: 'wait',
    reason: 'readiness',
    summary: `waiting for new replicas to become ready (${counts.updatedAvailable}/${counts.desired})${why}`,
    counts,
  };
}

export function describe(remove: readonly Removal[], create: readonly Creation[]): string {
  const parts: string[] = [];
  const byReason = new Map<string, number>();
  for (const r of remove) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
  for (const [reason, n] of byReason) parts.push(`remove ${n} (${reason})`);
  if (create.length > 0) parts.push(`create ${create.length}`);
  return parts.join(', ');
}

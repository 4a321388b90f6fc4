import type { DesiredDeployment } from '../desired/index.js';
import type { ObservedReplica } from '../observed/index.js';
import { restartDelayMs, restartKey, type RestartRecord } from './backoff.js';
import { fenceposts } from './fenceposts.js';

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
}

export type RemovalReason = 'outdated' | 'scale-down' | 'exited' | 'duplicate' | 'prune' | 'recreate';

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
  | { readonly kind: 'act'; readonly remove: readonly Removal[]; readonly create: readonly Creation[]; readonly summary: string; readonly counts: ReplicaCounts }
  | { readonly kind: 'wait'; readonly reason: 'readiness' | 'min-ready-seconds' | 'crash-backoff'; readonly recheckAt?: Date; readonly summary: string; readonly counts: ReplicaCounts }
  | { readonly kind: 'complete'; readonly counts: ReplicaCounts };

/** Containers that count as a live replica: running, or about to be (a removal in progress does not count). */
function isAlive(r: ObservedReplica): boolean {
  return r.state === 'running';
}

function isAvailable(r: ObservedReplica, minReadySeconds: number, now: Date): boolean {
  return isAlive(r) && now.getTime() - Date.parse(r.created) >= minReadySeconds * 1000;
}

export function nextStep(input: RolloutInput): Step {
  const { desired, observed, now } = input;
  const live = observed.filter((r) => r.state !== 'removing');
  if (!desired) {
    const counts = { desired: 0, updated: 0, available: 0, updatedAvailable: 0, total: live.length };
    if (live.length === 0) return { kind: 'complete', counts };
    return { kind: 'act', remove: live.map((replica) => ({ replica, reason: 'prune' as const })), create: [], summary: `prune ${live.length} replica(s)`, counts };
  }
  const minReady = desired.minReadySeconds;
  const current = live.filter((r) => r.revision === desired.revision);
  const old = live.filter((r) => r.revision !== desired.revision);
  const counts: ReplicaCounts = {
    desired: desired.replicas,
    updated: current.length,
    available: live.filter((r) => isAvailable(r, minReady, now)).length,
    updatedAvailable: current.filter((r) => isAvailable(r, minReady, now)).length,
    total: live.length,
  };
  const commit = current.find((r) => r.commit)?.commit ?? input.commit;

  // 1. Current-revision slots: keep one container per ordinal < replicas; duplicates and
  //    ordinals beyond the desired count go; exited ones are replaced after back-off.
  const bySlot = new Map<number, ObservedReplica[]>();
  for (const r of current) bySlot.set(r.replica, [...(bySlot.get(r.replica) ?? []), r]);
  const remove: Removal[] = [];
  const create: Creation[] = [];
  let backoffUntil: Date | undefined;
  const slotsInUse = new Set<number>();
  for (const [slot, replicas] of bySlot) {
    // Prefer keeping a running container, then the oldest.
    const ordered = [...replicas].sort((a, b) => Number(isAlive(b)) - Number(isAlive(a)) || a.created.localeCompare(b.created));
    const [keep, ...extra] = ordered;
    for (const r of extra) remove.push({ replica: r, reason: 'duplicate' });
    if (!keep) continue;
    if (slot >= desired.replicas) {
      remove.push({ replica: keep, reason: 'scale-down' });
      continue;
    }
    slotsInUse.add(slot);
    if (!isAlive(keep)) {
      const record = input.restarts.get(restartKey(desired.namespace, desired.name, desired.revision, slot));
      const readyAt = record ? new Date(record.lastAt.getTime() + restartDelayMs(record.count)) : now;
      if (readyAt.getTime() <= now.getTime()) {
        remove.push({ replica: keep, reason: 'exited' });
        create.push({ revision: desired.revision, replica: slot, commit, restart: true });
      } else if (!backoffUntil || readyAt < backoffUntil) {
        backoffUntil = readyAt;
      }
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

  // 2. Recreate: stop every old replica, then start all new ones.
  if (desired.strategy.type === 'Recreate' && oldLive.length > 0) {
    const rm = oldLive.map((replica) => ({ replica, reason: 'recreate' as const }));
    return { kind: 'act', remove: rm, create: [], summary: describe(rm, []), counts };
  }

  // 3. RollingUpdate with old replicas around (Kubernetes rolling.go: scale up new, else scale down old).
  if (oldLive.length > 0 && desired.strategy.type === 'RollingUpdate') {
    const { maxSurge, maxUnavailable } = fenceposts(desired.strategy.maxSurge, desired.strategy.maxUnavailable, desired.replicas);
    // Unhealthy old replicas never serve: remove them first, they cost no availability.
    const oldUnhealthy = oldLive.filter((r) => !isAlive(r));
    if (oldUnhealthy.length > 0) {
      const rm = oldUnhealthy.map((replica) => ({ replica, reason: 'outdated' as const }));
      return { kind: 'act', remove: rm, create: [], summary: describe(rm, []), counts };
    }
    // Scale up: total may reach replicas + maxSurge.
    //   replicas 10, maxSurge 2, 10 old, 0 new → create min(12 - 10, 10 - 0) = 2
    const total = current.length + oldLive.length;
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
      return { kind: 'act', remove: rm, create: [], summary: describe(rm, []), counts };
    }
    return waitForReadiness(current, desired.minReadySeconds, now, counts, backoffUntil);
  }

  // 4. Steady state on the desired revision: fill missing slots.
  const missing = freeSlots(desired.replicas);
  if (missing.length > 0) {
    const add = missing.map((replica) => ({ revision: desired.revision, replica, commit, restart: false }));
    return { kind: 'act', remove: [], create: add, summary: describe([], add), counts };
  }
  if (backoffUntil) return { kind: 'wait', reason: 'crash-backoff', recheckAt: backoffUntil, summary: `replica exited; restarting after back-off at ${backoffUntil.toISOString()}`, counts };
  if (counts.updatedAvailable < desired.replicas) return waitForReadiness(current, desired.minReadySeconds, now, counts, undefined);
  return { kind: 'complete', counts };
}

function waitForReadiness(current: readonly ObservedReplica[], minReadySeconds: number, now: Date, counts: ReplicaCounts, backoffUntil: Date | undefined): Step {
  if (backoffUntil) return { kind: 'wait', reason: 'crash-backoff', recheckAt: backoffUntil, summary: `replica exited; restarting after back-off`, counts };
  // The earliest moment a running-but-not-yet-available replica becomes available.
  const pending = current
    .filter((r) => isAlive(r) && !isAvailable(r, minReadySeconds, now))
    .map((r) => Date.parse(r.created) + minReadySeconds * 1000);
  if (pending.length > 0) {
    return { kind: 'wait', reason: 'min-ready-seconds', recheckAt: new Date(Math.min(...pending)), summary: `waiting for ${pending.length} replica(s) to be ready for ${minReadySeconds}s`, counts };
  }
  return { kind: 'wait', reason: 'readiness', summary: `waiting for new replicas to become ready (${counts.updatedAvailable}/${counts.desired})`, counts };
}

function describe(remove: readonly Removal[], create: readonly Creation[]): string {
  const parts: string[] = [];
  const byReason = new Map<string, number>();
  for (const r of remove) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
  for (const [reason, n] of byReason) parts.push(`remove ${n} (${reason})`);
  if (create.length > 0) parts.push(`create ${create.length}`);
  return parts.join(', ');
}

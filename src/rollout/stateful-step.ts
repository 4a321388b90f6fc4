import type { DesiredDeployment } from '../desired/index.js';
import type { ObservedReplica } from '../observed/index.js';
import { rollsOnUpdate } from '../plan/index.js';
import { countReplicas, isAlive, isAvailable } from './availability.js';
import { describe, judgeRollout, tendSlot, waitForReadiness, type Creation, type Removal, type RolloutInput, type Step } from './step.js';

/**
 * The next move of a StatefulSet (Kubernetes' stateful_set_control.go, one move per pass): a
 * pure function of the same inputs as nextStep, which hands StatefulSets here. Each ordinal has
 * at most one replica, of any revision; it never surges.
 *
 *  1. Care: a replica of the desired revision that is down is replaced after its back-off (or
 *     hands over after an init container); one of an older revision that is down comes back
 *     with the desired template.
 *  2. Missing ordinals < replicas are created. OrderedReady: the lowest one, and only once
 *     every lower ordinal is available; Parallel: all at once.
 *  3. Ordinals >= replicas go, highest first: OrderedReady one at a time once the others are
 *     available; Parallel all at once.
 *  4. RollingUpdate, once every ordinal is available: the highest ordinal >= partition not on
 *     the desired revision is stopped and started again on it (same ordinal, name, volumes).
 *     OnDelete: nothing (a replica takes the template when it is replaced, step 1).
 *
 * Worked example (3 replicas, RollingUpdate, partition 0, all on revision a, desired b):
 *   pass 1: replace ordinal 2 (a → b) · pass 2: ordinal 2 not ready yet → wait
 *   pass 3: replace ordinal 1 · … · ordinal 0 on b and ready → complete.
 */
export function nextStatefulStep(input: RolloutInput, desired: DesiredDeployment): Step {
  const sts = desired.stateful!;
  const { now } = input;
  const live = input.observed.filter((r) => r.state !== 'removing');
  const available = (r: ObservedReplica): boolean => isAvailable(r, input.readiness, desired.minReadySeconds, now);
  const { counts, current } = countReplicas(desired, live, input.readiness, now);
  const commit = current.find((r) => r.commit)?.commit ?? input.commit;
  const act = (remove: readonly Removal[], create: readonly Creation[]): Step => ({ kind: 'act', remove, create, summary: describe(remove, create), counts });
  const fresh = (replica: number): Creation => ({ revision: desired.revision, replica, commit, restart: false });

  // One replica per ordinal: keep a running one, then one of the desired revision, then the oldest.
  const byOrdinal = new Map<number, ObservedReplica[]>();
  for (const r of live) byOrdinal.set(r.replica, [...(byOrdinal.get(r.replica) ?? []), r]);
  const duplicates: Removal[] = [];
  const kept = new Map<number, ObservedReplica>();
  for (const [ordinal, list] of byOrdinal) {
    const [keep, ...extra] = [...list].sort(
      (a, b) =>
        Number(isAlive(b)) - Number(isAlive(a)) ||
        Number(b.revision === desired.revision) - Number(a.revision === desired.revision) ||
        a.created.localeCompare(b.created),
    );
    if (keep) kept.set(ordinal, keep);
    for (const r of extra) duplicates.push({ replica: r, reason: 'duplicate' });
  }
  const ordinals = Array.from({ length: desired.replicas }, (_, i) => i);
  // The plan's rule (plan/diff.ts): a rollout reaches ordinals from the partition up, never with OnDelete.
  const outdated = (r: ObservedReplica): boolean => r.revision !== desired.revision && rollsOnUpdate(desired, r.replica);
  const condemned = [...kept.values()].filter((r) => r.replica >= desired.replicas).sort((a, b) => b.replica - a.replica);
  const allAvailable = ordinals.every((o) => {
    const r = kept.get(o);
    return r !== undefined && available(r);
  });
  const done = duplicates.length === 0 && condemned.length === 0 && allAvailable && ordinals.every((o) => !outdated(kept.get(o)!));
  const failure = input.completed ? undefined : judgeRollout(input, desired, current, done, counts);
  if (failure) return failure;
  if (duplicates.length > 0) return act(duplicates, []);

  // 1. Care of the replicas that are down.
  const remove: Removal[] = [];
  const create: Creation[] = [];
  let backoff: { until: Date; why: string } | undefined;
  for (const o of ordinals) {
    const r = kept.get(o);
    if (!r) continue;
    if (r.revision === desired.revision) {
      const care = tendSlot(input, desired, r, commit);
      if (care.remove) remove.push(care.remove);
      if (care.create) create.push(care.create);
      if (care.backoff && (!backoff || care.backoff.until < backoff.until)) backoff = care.backoff;
    } else if (r.state === 'exited' || r.down !== undefined || r.evicted) {
      // Down (or a Pod with a container down: restarts in place are for the desired template only), or its node took it away.
      remove.push({ replica: r, reason: 'outdated' });
      create.push(fresh(o));
    }
  }
  if (remove.length > 0 || create.length > 0) return act(remove, create);
  const waiting = (): Step =>
    waitForReadiness(
      ordinals.flatMap((o) => kept.get(o) ?? []),
      desired.minReadySeconds,
      now,
      counts,
      backoff,
      input.readiness,
    );

  // 2. Missing ordinals.
  if (sts.podManagementPolicy === 'Parallel') {
    const missing = ordinals.filter((o) => !kept.has(o));
    if (missing.length > 0) return act([], missing.map(fresh));
  } else {
    for (const o of ordinals) {
      const r = kept.get(o);
      if (!r) return act([], [fresh(o)]);
      if (!available(r)) return waiting();
    }
  }

  // 3. Ordinals beyond replicas.
  if (condemned.length > 0) {
    const going = sts.podManagementPolicy === 'Parallel' ? condemned : condemned.slice(0, 1);
    return act(
      going.map((replica) => ({ replica, reason: 'scale-down' as const })),
      [],
    );
  }

  // 4. The update, one ordinal at a time from the highest, once every ordinal is available.
  if (!allAvailable) return waiting();
  const next = ordinals
    .map((o) => kept.get(o)!)
    .filter(outdated)
    .sort((a, b) => b.replica - a.replica)[0];
  if (next) return act([{ replica: next, reason: 'outdated' }], [fresh(next.replica)]);
  return { kind: 'complete', counts };
}

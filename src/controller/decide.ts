import { entriesOf } from '../core/index.js';
import type { DesiredDeployment, DesiredNamespace } from '../desired/index.js';
import type { ObservedNamespace, ObservedReplica } from '../observed/index.js';
import { statefulRefusal } from '../plan/index.js';
import { memberRestarts, nextStep, restartRecordsOf, type MemberRestart, type Readiness, type Step } from '../rollout/index.js';
import { hasCompleted, holdOf, rollbackDecision, type RollbackDecision } from './rollback.js';
import type { DeploymentStatus, Pin, RevisionRecord } from '../store/index.js';
import { deploymentStatus } from './status.js';
import type { DecisionMemo } from './decision-memo.js';

/**
 * A pass's decision for the workloads of one namespace, pure: for every Deployment or
 * StatefulSet in Git or on the engine, its next step (rollout/step.ts), or why it gets none
 * (a held failure, a StatefulSet change Kubernetes forbids), the containers of its Pods to
 * restart in place, and its status line. Decided for all of them before anything is touched;
 * the Reconciler applies at most one step each.
 */
export interface WorkloadDecision {
  readonly name: string;
  /** undefined: gone from Git, its replicas are pruned (only when prunes may run). */
  readonly desired: DesiredDeployment | undefined;
  readonly replicas: readonly ObservedReplica[];
  readonly step?: Step;
  /** Its rollout failed with nowhere to go back to: left as it is until a commit changes it. */
  readonly hold?: Pin['failed'];
  /** A StatefulSet's commit changes what Kubernetes forbids changing (statefulRefusal). */
  readonly refused?: string;
  /** Its line in status, as decided (a failing step makes it Failed when applying it fails). */
  readonly status?: DeploymentStatus;
  /**
   * Containers of its running Pods that are down, started again in place before the step, each
   * after its own back-off (memberRestarts), as a kubelet restarts them: held workloads too.
   */
  readonly restarts?: readonly MemberRestart[];
  /** The earliest moment a container of its Pods still in back-off restarts, and why (memberRestarts): the pass waits for it. */
  readonly backoff?: { readonly until: Date; readonly why: string };
  /** With a failing step: the history entry and the pin the pass writes, rolling back to the last good revision or holding. */
  readonly rollback?: RollbackDecision;
}

export interface WorkloadFacts {
  readonly namespace: string;
  /** The desired state the pass converges to (head or last valid, pins and HPAs applied); undefined: gone from Git. */
  readonly target: DesiredNamespace | undefined;
  readonly observed: ObservedNamespace | undefined;
  /** Whether workloads gone from Git may be pruned (the prune guard let them, and the head is valid). */
  readonly mayPrune: boolean;
  /** The commit new replicas are stamped with (of `target`). */
  readonly commit: string;
  /**
   * The namespace as the head commit declares it, and that commit: a rollback's pin remembers the
   * head's spec (rollbackDecision). Absent: `target` is the head's.
   */
  readonly head?: DesiredNamespace | undefined;
  readonly headCommit?: string;
  readonly now: Date;
  /** When the berth making the pass began watching (RolloutInput.watchingSince). */
  readonly watchingSince?: Date;
  readonly readiness: ReadonlyMap<string, Readiness>;
  /** The store's pins and revision histories, by `namespace/name`. */
  readonly pins: Readonly<Record<string, Pin>> | undefined;
  readonly revisions: Readonly<Record<string, readonly RevisionRecord[]>> | undefined;
  /** The settled decisions of earlier passes (DecisionMemo, the daemon's); the decisions are the same with or without it. */
  readonly memo?: DecisionMemo;
}

/**
 * Worked example: web in Git at revision b, two replicas of a running and ready, maxSurge 1 →
 * { name: 'web', step: act (create one of b) }; old gone from Git with mayPrune false → nothing.
 */
export function decideWorkloads(f: WorkloadFacts): WorkloadDecision[] {
  const readiness = downPodsNotReady(f.readiness, f.observed);
  const desiredByName = new Map((f.target?.deployments ?? []).map((d) => [d.name, d]));
  const observedByName = new Map((f.observed?.deployments ?? []).map((d) => [d.name, d.replicas]));
  const names = [...new Set<string>([...desiredByName.keys(), ...observedByName.keys()])].sort();
  const pins = entriesOf(f.pins, f.namespace);
  const histories = entriesOf(f.revisions, f.namespace);
  return names.flatMap((name) => {
    const desired = desiredByName.get(name);
    if (!desired && !f.mayPrune) return [];
    const replicas = observedByName.get(name) ?? [];
    const pin = pins?.get(name);
    const history = histories?.get(name);
    const inputs = desired && f.memo ? { desired, replicas, pin, history, readiness } : undefined;
    const kept = inputs && f.memo!.recall(inputs);
    if (kept) return [kept];
    const completed = desired ? hasCompleted(history ?? [], desired.revision) : true;
    const hold = desired ? holdOf(pin) : undefined;
    const refused = desired ? statefulRefusal(desired, replicas) : undefined;
    const step: Step | undefined =
      hold || refused
        ? undefined
        : nextStep({
            desired,
            observed: replicas,
            commit: f.commit,
            now: f.now,
            ...(f.watchingSince ? { watchingSince: f.watchingSince } : {}),
            restarts: restartRecordsOf(replicas),
            readiness,
            completed,
          });
    const status = desired ? deploymentStatus(desired, step, pin, hold, refused, replicas) : undefined;
    const { restart: restarts, backoff } = memberRestarts(desired, replicas, f.now);
    const rollback =
      desired && step?.kind === 'fail'
        ? rollbackDecision({
            desired,
            reason: step.reason,
            summary: step.summary,
            replicas,
            history: history ?? [],
            head: (f.head ?? f.target)?.deployments.find((d) => d.name === name),
            headCommit: f.headCommit ?? f.commit,
            now: f.now.toISOString(),
          })
        : undefined;
    const decision: WorkloadDecision = {
      name,
      desired,
      replicas,
      ...(step ? { step } : {}),
      ...(hold ? { hold } : {}),
      ...(refused ? { refused } : {}),
      ...(status ? { status } : {}),
      ...(restarts.length > 0 ? { restarts } : {}),
      ...(backoff ? { backoff } : {}),
      ...(rollback ? { rollback } : {}),
    };
    if (inputs) f.memo!.remember(inputs, decision, completed);
    return [decision];
  });
}

/**
 * Probe verdicts with every Pod that has a container down (restarted in place, in back-off) not
 * ready, whatever the probes of its other containers say: it serves nothing whole. The data
 * plane's routes and the rollout read the same verdicts.
 */
export function downPodsNotReady(readiness: ReadonlyMap<string, Readiness>, observed: ObservedNamespace | undefined): ReadonlyMap<string, Readiness> {
  // Copied only when a Pod is down: the live plan hands every namespace the verdicts of all of them.
  let out: Map<string, Readiness> | undefined;
  for (const d of observed?.deployments ?? [])
    for (const r of d.replicas) if (r.state === 'running' && r.down) (out ??= new Map(readiness)).set(r.id, { ready: false });
  return out ?? readiness;
}

/** The replicas the decided steps remove: the data plane stops routing to them before the moves. */
export function leavingReplicas(decisions: readonly WorkloadDecision[]): Set<string> {
  return new Set(decisions.flatMap((d) => (d.step?.kind === 'act' ? d.step.remove.map((r) => r.replica.id) : [])));
}

/**
 * The namespace with the replicas in `terminating` (their removal under way, off the pass) in
 * the engine's `removing` state: no replica any more, never routed nor probed, but still in the
 * rollout's room (rollout/step.ts). Pure.
 *   web a0 running, terminating {a0} → web a0 removing
 */
export function terminatingAs(observed: ObservedNamespace | undefined, terminating: ReadonlySet<string>): ObservedNamespace | undefined {
  if (!observed || terminating.size === 0) return observed;
  return {
    ...observed,
    deployments: observed.deployments.map((d) =>
      d.replicas.some((r) => terminating.has(r.id))
        ? { ...d, replicas: d.replicas.map((r) => (terminating.has(r.id) ? { ...r, state: 'removing' as const } : r)) }
        : d,
    ),
  };
}

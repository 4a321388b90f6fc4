import type { DesiredDeployment } from '../desired/index.js';
import { CONFIRM_VOLUME_DELETE_TRAILER, type VolumePlan } from '../plan/index.js';
import type { Step } from '../rollout/index.js';
import type { Condition, DeploymentStatus, NamespaceStatus, Pin, ReplicaPlacement, ServiceStatus, SyncRecord, VolumeStatus } from '../store/index.js';
import type { ObservedReplica } from '../observed/index.js';
import type { Diagnostic } from '../core/index.js';

/**
 * What a pass writes about a namespace: its status (phase, conditions, the Deployments', Services'
 * and volumes' lines) and, when something changed, a history record. Pure: the Reconciler hands
 * in what the pass saw and did, and writes what comes back.
 */

/** What a pass ended with, as the queue hears it (STYLE §2). */
export interface PassOutcome {
  readonly result: 'ready' | 'progressing' | 'stalled' | 'error';
  readonly requeueAfterMs?: number;
}

/** What one pass did and saw. */
export interface PassResult {
  readonly phase: NamespaceStatus['phase'];
  readonly message?: string;
  readonly deployments: readonly DeploymentStatus[];
  readonly moves: number;
  readonly outcome: PassOutcome;
  /** This pass's view of the Services and volumes; undefined when it ended before seeing them (the last pass's are kept). */
  readonly services?: readonly ServiceStatus[];
  readonly volumes?: readonly VolumeStatus[];
}

/** One pass over a namespace, as its status records it. */
export interface PassReport extends PassResult {
  readonly namespace: string;
  readonly previous: NamespaceStatus | undefined;
  /** The head commit the pass worked from. */
  readonly commit: string;
  /** Whether the namespace is valid at the head (undefined: its folder is not in the head). */
  readonly headValid: boolean | undefined;
  readonly diagnostics: readonly Diagnostic[];
  /** ISO time of the pass's end. */
  readonly now: string;
}

/**
 * The phase a pass that went through ends with: a valid head that is still moving is
 * Progressing, a namespace gone from Git whose pass finished is Pruned. Invalid and Refused
 * (decided before the moves) stay.
 *   ('Synced', progressing, in Git) → 'Progressing'; ('Synced', ready, gone from Git) → 'Pruned'
 */
export function finalPhase(phase: NamespaceStatus['phase'], outcome: PassOutcome, inGit: boolean): NamespaceStatus['phase'] {
  if (phase === 'Synced' && outcome.result === 'progressing') return 'Progressing';
  if (!inGit && phase === 'Synced') return 'Pruned';
  return phase;
}

/**
 * What to write: the status (or that the namespace is removed: pruned, and no volume of it kept),
 * and the history record when the pass moved something, changed phase or saw a new commit.
 */
export function passRecords(r: PassReport): { readonly status: NamespaceStatus; readonly removed: boolean; readonly history?: SyncRecord } {
  const validHead = r.headValid === true;
  const converged = r.outcome.result === 'ready' && validHead;
  const lastApplied = converged ? r.commit : r.previous?.lastAppliedCommit;
  const lastValid = validHead ? r.commit : r.previous?.lastValidCommit;
  // A pass that ended before routing keeps what the last one saw.
  const services = r.services ?? r.previous?.services ?? [];
  const volumes = r.volumes ?? r.previous?.volumes ?? [];
  const status: NamespaceStatus = {
    namespace: r.namespace,
    lastAttemptedCommit: r.commit,
    ...(lastApplied ? { lastAppliedCommit: lastApplied } : {}),
    ...(lastValid ? { lastValidCommit: lastValid } : {}),
    phase: r.phase,
    ...(r.message ? { message: r.message } : {}),
    conditions: conditionsFor(r.phase, r.message, r.previous?.conditions ?? [], r.now),
    deployments: r.deployments,
    ...(services.length > 0 ? { services } : {}),
    ...(volumes.length > 0 ? { volumes } : {}),
    diagnostics: r.diagnostics,
    updatedAt: r.now,
  };
  // A namespace removed from Git keeps its status while volumes of it remain (they are reported as orphaned).
  const removed = r.headValid === undefined && r.phase === 'Pruned' && volumes.length === 0;
  const changed = r.moves > 0 || r.previous?.phase !== r.phase || r.previous?.lastAttemptedCommit !== r.commit;
  const history: SyncRecord | undefined = changed
    ? {
        time: r.now,
        namespace: r.namespace,
        commit: r.commit,
        outcome: outcomeOf(r.phase, r.outcome),
        moves: r.moves,
        ...(r.message ? { message: r.message } : {}),
      }
    : undefined;
  return { status, removed, ...(history ? { history } : {}) };
}

/** A history record's outcome: the phase's, and for a pass that went through, applied or still progressing. */
export function outcomeOf(phase: NamespaceStatus['phase'], outcome: PassOutcome): SyncRecord['outcome'] {
  switch (phase) {
    case 'Invalid':
      return 'invalid';
    case 'Refused':
      return 'refused';
    case 'Error':
      return 'failed';
    case 'Pruned':
      return 'pruned';
    default:
      return outcome.result === 'ready' ? 'applied' : 'progressing';
  }
}

/** Synced, Valid and Progressing, each keeping its lastTransitionTime while its status does not change. */
export function conditionsFor(phase: NamespaceStatus['phase'], message: string | undefined, previous: readonly Condition[], now: string): Condition[] {
  const make = (type: Condition['type'], ok: boolean, reason: string): Condition => {
    const status = ok ? 'True' : 'False';
    const prev = previous.find((c) => c.type === type);
    return { type, status, reason, message: message ?? '', lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : now };
  };
  return [
    make('Synced', phase === 'Synced' || phase === 'Pruned', phase),
    make('Valid', phase !== 'Invalid', phase === 'Invalid' ? 'InvalidManifests' : 'Valid'),
    make('Progressing', phase === 'Progressing', phase === 'Progressing' ? 'RolloutInProgress' : 'Idle'),
  ];
}

/**
 * The Deployment's line in status: counts and phase from its step, what a pin, a held failure or
 * a refusal says. No step (held or refused) is Failed; a step that failed too.
 */
export function deploymentStatus(
  desired: DesiredDeployment,
  step: Step | undefined,
  pin: Pin | undefined,
  hold: Pin['failed'],
  refused?: string,
  replicas: readonly ObservedReplica[] = [],
): DeploymentStatus {
  const phase: DeploymentStatus['phase'] =
    !step || step.kind === 'fail'
      ? 'Failed'
      : step.kind === 'complete'
        ? pin?.failed
          ? 'RolledBack'
          : 'Complete'
        : step.kind === 'wait'
          ? 'Waiting'
          : 'Progressing';
  const message = step
    ? step.kind !== 'complete'
      ? step.summary
      : undefined
    : (refused ??
      (hold &&
        `rollout of revision ${hold.revision} failed (${hold.reason}: ${hold.message}) and there is no earlier good revision: left as it is until a commit changes the Deployment`));
  return {
    name: desired.name,
    ...(desired.stateful ? { kind: 'StatefulSet' as const } : {}),
    revision: desired.revision,
    replicas: desired.replicas,
    updatedReplicas: step?.counts.updated ?? 0,
    availableReplicas: step?.counts.updatedAvailable ?? 0,
    phase,
    ...(message ? { message } : {}),
    ...(pin && !pin.failed ? { pinnedTo: `${pin.revision}@${pin.commit.slice(0, 12)}` } : {}),
    ...(pin?.failed ? { rolledBack: pin.failed } : {}),
    ...placementOf(replicas),
  };
}

/**
 * Where each replica is, when a cluster driver placed them (any replica knows its node or is
 * pending for one); nothing on one host. Init containers and terminating replicas aside.
 *   web.0 running on node2, web.1 pending (no node matches …) → [{ 0 running node2 }, { 1 pending reason }]
 */
function placementOf(replicas: readonly ObservedReplica[]): { placement?: ReplicaPlacement[] } {
  const shown = replicas.filter((r) => r.init === undefined && r.state !== 'removing');
  if (!shown.some((r) => r.node !== undefined || r.state === 'pending')) return {};
  return {
    placement: [...shown]
      .sort((a, b) => a.replica - b.replica || a.revision.localeCompare(b.revision))
      .map((r) => ({
        replica: r.replica,
        revision: r.revision,
        state: r.evicted ? 'evicted' : r.state,
        ...(r.node !== undefined ? { node: r.node } : {}),
        ...(r.stateReason !== undefined && r.state !== 'running' ? { reason: r.stateReason } : {}),
      })),
  };
}

/** The namespace's volumes as status shows them: bound and pending claims, then orphaned volumes, by name. */
export function volumeStatuses(
  namespace: string,
  plan: VolumePlan,
  failed: ReadonlyMap<string, string>,
  deleted: { readonly waiting: ReadonlyMap<string, string> },
): VolumeStatus[] {
  const out: VolumeStatus[] = [];
  const of = (v: { storage?: string; storageClass?: string }) => ({
    ...(v.storage ? { storage: v.storage } : {}),
    ...(v.storageClass ? { storageClass: v.storageClass } : {}),
  });
  for (const b of plan.bound)
    out.push({ name: b.desired.name, volume: b.desired.volumeName, phase: 'Bound', ...of(b.desired), ...(b.drift ? { message: b.drift } : {}) });
  for (const c of plan.create) {
    const why = failed.get(c.name);
    out.push({ name: c.name, volume: c.volumeName, phase: why ? 'Pending' : 'Bound', ...of(c), ...(why ? { message: why } : {}) });
  }
  for (const r of plan.retained ?? []) {
    out.push({
      name: r.name,
      volume: r.volumeName,
      phase: 'Bound',
      ...of(r),
      message: `kept for ordinal ${r.statefulSet?.ordinal} of StatefulSet ${r.statefulSet?.name}, which has fewer replicas now: mounted again when it scales up`,
    });
  }
  for (const o of plan.orphaned) {
    out.push({
      name: o.name,
      volume: o.volumeName,
      phase: 'Orphaned',
      ...of(o),
      message: `no PersistentVolumeClaim in Git names it: kept with its data until \`berth volume delete ${namespace}/${o.name}\` or a commit with the trailer "${CONFIRM_VOLUME_DELETE_TRAILER}: ${namespace}/${o.name}"`,
    });
  }
  for (const o of plan.delete) {
    const why = deleted.waiting.get(o.name);
    if (why) out.push({ name: o.name, volume: o.volumeName, phase: 'Orphaned', ...of(o), message: why });
  }
  return out.sort((x, y) => x.name.localeCompare(y.name));
}

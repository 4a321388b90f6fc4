/**
 * What is worth telling a team, decided from status alone (pure): the namespace status a pass
 * writes, compared with the one before it. Everything a notification says is already in
 * `berth status`; this only picks the transitions. Worked examples (in test/unit/notify/events.test.ts):
 *  - prev lastApplied a1, next lastApplied = lastAttempted = b2, no failed Deployment → sync-succeeded at b2;
 *  - prev phase Synced, next phase Invalid at b2 → sync-failed (once: the next pass at b2 says nothing);
 *  - Deployment web Progressing → RolledBack (rolledBack.commit b2) → rolled-back web at b2;
 *  - phase Refused (the prune guard holds) after Synced → prune-held.
 * The commit status of a commit is judged over every namespace berth knows (commitStateOf).
 */
import type { AutoscalerRecord, NamespaceStatus, StoreState } from '../store/index.js';

export type NotificationKind = 'sync-succeeded' | 'sync-failed' | 'rollout-failed' | 'rolled-back' | 'prune-held' | 'hpa-scaled';

export interface NotificationEvent {
  readonly kind: NotificationKind;
  readonly namespace: string;
  readonly commit: string;
  /** The Deployment, for rollout events. */
  readonly deployment?: string;
  readonly message: string;
}

const FAILED_PHASES: ReadonlySet<NamespaceStatus['phase']> = new Set(['Invalid', 'Error']);

/** The events one status write means (in a stable order). */
export function eventsFor(prev: NamespaceStatus | undefined, next: NamespaceStatus): NotificationEvent[] {
  const events: NotificationEvent[] = [];
  const commit = next.lastAttemptedCommit ?? '';
  const ns = next.namespace;
  const newCommit = prev?.lastAttemptedCommit !== next.lastAttemptedCommit;
  const entered = (phase: NamespaceStatus['phase']): boolean => next.phase === phase && (prev?.phase !== phase || newCommit);
  for (const d of next.deployments) {
    const before = prev?.deployments.find((p) => p.name === d.name);
    if (d.phase === 'Failed' && (before?.phase !== 'Failed' || before.revision !== d.revision))
      events.push({ kind: 'rollout-failed', namespace: ns, commit, deployment: d.name, message: d.message ?? `rollout of ${d.name} failed` });
    if (d.phase === 'RolledBack' && d.rolledBack && (before?.phase !== 'RolledBack' || before.rolledBack?.revision !== d.rolledBack.revision))
      events.push({
        kind: 'rolled-back',
        namespace: ns,
        commit: d.rolledBack.commit,
        deployment: d.name,
        message: `${d.name}: revision ${d.rolledBack.revision} failed (${d.rolledBack.reason}: ${d.rolledBack.message}); rolled back to ${d.revision}`,
      });
  }
  const applied = next.lastAppliedCommit;
  if (
    applied !== undefined &&
    applied === next.lastAttemptedCommit &&
    prev?.lastAppliedCommit !== applied &&
    next.phase === 'Synced' &&
    !hasFailed(next, applied)
  )
    events.push({ kind: 'sync-succeeded', namespace: ns, commit: applied, message: `${ns} is synced to ${applied.slice(0, 12)}` });
  for (const phase of FAILED_PHASES)
    if (entered(phase)) events.push({ kind: 'sync-failed', namespace: ns, commit, message: next.message ?? `${ns}: ${phase}` });
  if (entered('Refused')) events.push({ kind: 'prune-held', namespace: ns, commit, message: next.message ?? `${ns}: the prune guard holds` });
  return events;
}

/**
 * The event one HPA record write means: a scale it had not made before (a new lastScale), at the
 * namespace's last attempted commit. An evaluation that scales nothing says nothing.
 *   prev lastScale 2 → 3 at t1, next lastScale 3 → 5 at t2 → hpa-scaled "web: 3 → 5 replicas (HPA web: …)"
 */
export function autoscaleEventFor(prev: AutoscalerRecord | undefined, next: AutoscalerRecord, state: StoreState): NotificationEvent | undefined {
  const scale = next.lastScale;
  if (!scale || prev?.lastScale?.at === scale.at) return undefined;
  return {
    kind: 'hpa-scaled',
    namespace: next.namespace,
    commit: state.namespaces[next.namespace]?.lastAttemptedCommit ?? '',
    deployment: next.target,
    message: `${next.target}: ${scale.from} → ${scale.to} replicas (HPA ${next.name}: ${scale.reason})`,
  };
}

function hasFailed(status: NamespaceStatus, commit: string): boolean {
  return status.deployments.some((d) => d.phase === 'Failed' || d.rolledBack?.commit === commit);
}

export type CommitState = 'pending' | 'success' | 'failure';

/**
 * The state of `commit` over every namespace berth keeps status for (pruned ones aside):
 * failure when one is invalid, errored, held by the prune guard, or failed a rollout of this
 * commit; success when every one has applied it; else pending.
 */
export function commitStateOf(state: StoreState, commit: string): { state: CommitState; description: string } {
  const all = Object.values(state.namespaces).filter((n) => n.phase !== 'Pruned');
  const attempted = all.filter((n) => n.lastAttemptedCommit === commit);
  const bad = attempted.find((n) => FAILED_PHASES.has(n.phase) || n.phase === 'Refused' || hasFailed(n, commit));
  if (bad) return { state: 'failure', description: `${bad.namespace}: ${bad.message ?? failureOf(bad, commit)}` };
  if (all.length > 0 && all.every((n) => n.lastAppliedCommit === commit && n.phase === 'Synced'))
    return { state: 'success', description: `${all.length} namespace${all.length === 1 ? '' : 's'} synced and healthy` };
  return { state: 'pending', description: `${attempted.length} of ${all.length} namespaces at this commit` };
}

function failureOf(status: NamespaceStatus, commit: string): string {
  const d = status.deployments.find((x) => x.phase === 'Failed' || x.rolledBack?.commit === commit);
  return d ? `rollout of ${d.name} failed${d.rolledBack ? ` and was rolled back (${d.rolledBack.reason})` : ''}` : status.phase;
}

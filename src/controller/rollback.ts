import type { DesiredDeployment } from '../desired/index.js';
import type { Pin, RevisionRecord } from '../store/index.js';
import { specHash } from '../plan/index.js';

/**
 * The revision-history and rollback rules of a Deployment, pure: the Reconciler writes what they
 * return. The pin they make is what `applyPinsTo` (plan/pins.ts) applies on every later pass and in
 * `berth plan --live`.
 */

/** A replica as these rules read it: the revision it runs and the commit that introduced it. */
export interface RevisionOfReplica {
  readonly revision: string;
  readonly commit: string;
}

/** Whether `revision` completed before (the history holds it as anything but failed): then it is no longer a rollout that can fail. */
export function hasCompleted(history: readonly RevisionRecord[], revision: string): boolean {
  return history.some((r) => r.revision === revision && r.outcome !== 'failed');
}

/** A held failure: the Deployment's pin says its rollout failed with nowhere to go back to (not stepped until a commit changes it). */
export function holdOf(pin: Pin | undefined): Pin['failed'] {
  return pin?.hold && pin.failed ? pin.failed : undefined;
}

/** The commit that introduced `revision`: a replica of it says, else `fallback` (the head's). */
export function commitOf(revision: string, replicas: readonly RevisionOfReplica[], fallback: string): string {
  return replicas.find((r) => r.revision === revision && r.commit)?.commit ?? fallback;
}

/**
 * The history entry for a revision that just completed, or undefined when the history ends
 * with it already (once per revision). Completed while a pin holds the Deployment: it was
 * rolled back to.
 *   history [a complete], desired b, unpinned → { b, complete }
 *   history [a complete, b complete], desired b → undefined
 */
export function completionRecord(a: {
  readonly desired: DesiredDeployment;
  readonly replicas: readonly RevisionOfReplica[];
  readonly history: readonly RevisionRecord[];
  readonly pinned: boolean;
  readonly now: string;
}): RevisionRecord | undefined {
  if (a.history.at(-1)?.revision === a.desired.revision) return undefined;
  return {
    revision: a.desired.revision,
    commit: commitOf(a.desired.revision, a.replicas, ''),
    image: a.desired.template.image,
    time: a.now,
    outcome: a.pinned ? 'rolled-back-to' : 'complete',
  };
}

/** What a failed rollout leads to: the failed revision in the history, and the pin that rolls back (or holds). */
export interface RollbackDecision {
  readonly record: RevisionRecord;
  readonly pin: Pin;
  /** The revision rolled back to; absent: none was good, the Deployment is held as it is. */
  readonly to?: { readonly revision: string; readonly commit: string };
  /** The failed revision's commit. */
  readonly failedCommit: string;
}

/**
 * The rollout of `desired` failed (`reason`, `summary`): pin the Deployment to its newest good
 * revision (the history's last one that is another revision, did not fail and has a commit),
 * to be rolled forward to like any template; with none, hold it as it is. Either way until a
 * commit changes the Deployment: the pin remembers the head's spec (`head`, else `desired`).
 * Worked examples (history oldest first):
 *   [a complete, b complete], b fails → pin a, record b failed
 *   [a complete, b failed], c fails   → pin a (b failed)
 *   [], a fails                        → hold at a
 */
export function rollbackDecision(a: {
  readonly desired: DesiredDeployment;
  readonly reason: string;
  readonly summary: string;
  readonly replicas: readonly RevisionOfReplica[];
  readonly history: readonly RevisionRecord[];
  /** The Deployment as the head commit declares it (absent: as `desired`). */
  readonly head: DesiredDeployment | undefined;
  readonly headCommit: string;
  readonly now: string;
}): RollbackDecision {
  const { desired } = a;
  const failedCommit = commitOf(desired.revision, a.replicas, a.headCommit);
  const failed = { revision: desired.revision, commit: failedCommit, reason: a.reason, message: a.summary };
  const good = [...a.history].reverse().find((r) => r.revision !== desired.revision && r.outcome !== 'failed' && r.commit);
  const record: RevisionRecord = {
    revision: desired.revision,
    commit: failedCommit,
    image: desired.template.image,
    time: a.now,
    outcome: 'failed',
    reason: a.reason,
    message: a.summary,
  };
  const base = {
    namespace: desired.namespace,
    name: desired.name,
    headSpec: specHash(a.head ?? desired),
    createdAt: a.now,
    cause: 'auto-rollback' as const,
    failed,
  };
  if (!good) return { record, pin: { ...base, commit: failedCommit, revision: desired.revision, hold: true }, failedCommit };
  return {
    record,
    pin: { ...base, commit: good.commit, revision: good.revision },
    to: { revision: good.revision, commit: good.commit },
    failedCommit,
  };
}

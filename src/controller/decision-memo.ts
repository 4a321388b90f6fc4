import type { DesiredDeployment } from '../desired/index.js';
import type { ObservedReplica } from '../observed/index.js';
import type { Readiness } from '../rollout/index.js';
import type { Pin, RevisionRecord } from '../store/index.js';
import type { WorkloadDecision } from './decide.js';

/** What a settled decision was made of: the same objects (and readiness verdicts) give the same decision. */
export interface DecisionInputs {
  readonly desired: DesiredDeployment;
  readonly replicas: readonly ObservedReplica[];
  readonly pin: Pin | undefined;
  readonly history: readonly RevisionRecord[] | undefined;
  readonly readiness: ReadonlyMap<string, Readiness>;
}

interface Kept {
  readonly replicas: readonly ObservedReplica[];
  readonly pin: Pin | undefined;
  readonly history: readonly RevisionRecord[] | undefined;
  /** Each replica's readiness verdict, in `replicas`' order (undefined: none known). */
  readonly ready: readonly (boolean | undefined)[];
  readonly decision: WorkloadDecision;
}

/**
 * The decisions of settled workloads (decideWorkloads), kept between passes by desired
 * Deployment. A Deployment whose rollout is complete, on a revision its history records as
 * completed, with no hold, no restart or back-off and no minReadySeconds, is decided without
 * reading the clock: its step counts its replicas and their readiness, nothing more (no replica
 * is created, so the commit new ones would be stamped with does not matter). Given the same
 * desired Deployment (a commit that changes another folder keeps it), the same observed replicas
 * (ObserveMemo hands back the same objects while nothing changed), the same pin and history, and
 * the same readiness verdicts, it is decided the same, so the decision made last time is handed
 * back. Any other decision is made anew every time and forgets what was kept; StatefulSets always
 * are. Decisions are immutable. At 10,000 Deployments that is most of a no-change decision. What
 * a commit no longer desires is forgotten with it (a WeakMap by the desired Deployment).
 */
export class DecisionMemo {
  private readonly kept = new WeakMap<DesiredDeployment, Kept>();

  /** The decision kept for `inputs.desired` when it was made of the same inputs, else undefined. */
  recall(inputs: DecisionInputs): WorkloadDecision | undefined {
    const k = this.kept.get(inputs.desired);
    if (k === undefined || k.replicas !== inputs.replicas || k.pin !== inputs.pin || k.history !== inputs.history) return undefined;
    for (let i = 0; i < k.ready.length; i++) if (inputs.readiness.get(k.replicas[i]!.id)?.ready !== k.ready[i]) return undefined;
    return k.decision;
  }

  /** Keeps `decision` for `inputs.desired` when it is settled (settledDecision), else forgets what was kept for it. */
  remember(inputs: DecisionInputs, decision: WorkloadDecision, completed: boolean): void {
    const { desired, replicas, pin, history, readiness } = inputs;
    if (!settledDecision(decision, completed)) this.kept.delete(desired);
    else this.kept.set(desired, { replicas, pin, history, ready: replicas.map((r) => readiness.get(r.id)?.ready), decision });
  }
}

/**
 * Whether a decision reads no clock, so that the same inputs decide it the same at any time:
 * complete, on a completed revision (no deadline judged), a Deployment without minReadySeconds
 * (availability is readiness), nothing held, refused, restarted or in back-off.
 */
export function settledDecision(d: WorkloadDecision, completed: boolean): boolean {
  return (
    completed &&
    d.desired !== undefined &&
    !d.desired.stateful &&
    !(d.desired.minReadySeconds > 0) &&
    d.step?.kind === 'complete' &&
    d.hold === undefined &&
    d.refused === undefined &&
    d.restarts === undefined &&
    d.backoff === undefined &&
    d.rollback === undefined
  );
}

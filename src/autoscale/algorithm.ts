/**
 * The HorizontalPodAutoscaler algorithm, as Kubernetes' controller runs it
 * (pkg/controller/podautoscaler: replica_calculator.go and horizontal.go), pure: the caller
 * brings the samples, the time and the history, and stores the history handed back. `berth run`
 * (controller/autoscaler.ts) is its one caller; `berth plan` shows what it stored.
 *
 * One decision, in three stages:
 *
 *  1. per metric, the replica count that brings the average to its target
 *     (`replicasForMetric`); the largest over the metrics wins (`decide`);
 *  2. stabilization: the lowest recommendation of the scale-up window and the highest of the
 *     scale-down window bound the change (so a dip inside 300 s never scales down);
 *  3. rate policies (`Pods`/`Percent` per `periodSeconds`, `selectPolicy`) and min/max.
 *
 * Worked examples (the table in test/unit/autoscale/algorithm.test.ts has each):
 *
 *   cpu target 50 %, request 100m, 2 ready replicas at 90m and 110m:
 *     utilization = 200m·100/200m = 100 %, ratio 2.0 → ceil(2.0 · 2) = 4 replicas
 *   same, ratio 1.08 (54 %): inside the 10 % tolerance → stays 2
 *   3 replicas, one with no sample yet, the other two at 100 % of a 50 % target (ratio 2.0):
 *     scale-up → the missing one counts as 0 → ratio (100+100+0)/3/50 = 1.33 → ceil(1.33·3) = 4
 *   2 replicas at 10 % of a 50 % target, one missing (ratio 0.2 < 1): the missing one counts as
 *     100 % of its request → (10+10+100)/3/50 = 0.8 → ceil(0.8·3) = 3 (never below what it would
 *     be if the missing replica were busy)
 *   cpu, 1 ready at 200 % of a 50 % target and 1 not ready: the unready one counts as 0 on a
 *     scale-up → (200+0)/2/50 = 2.0 → ceil(2.0·2) = 4
 *   scale-up from 2 with the default policies (4 pods or 100 % per 15 s, Max): limit
 *     max(2+4, 2·2) = 6, so a recommendation of 10 becomes 6 (ScalingLimited: ScaleUpLimit)
 *   scale-down to 2 with Percent 50 per 60 s from 8, after a scale 10 → 8 30 s ago: the period
 *     started at 8 + 2 = 10 → trunc(10 · 0.5) = 5 is as low as it may go now
 *   recommendations 4, 6, 3 inside the 300 s scale-down window and a new one of 2: the
 *     scale-down window keeps the highest, 6; current 5 → 6 is not below current, so 5 stays
 *     and nothing scales down until the 6 ages out.
 */

import type { Behavior, MetricTarget, ScalingRules } from '../desired/index.js';

export { DEFAULT_BEHAVIOR } from '../desired/index.js';
export type { Behavior, MetricTarget, ScalingRules } from '../desired/index.js';

/** One replica of the target as the algorithm sees it. */
export interface ReplicaSample {
  readonly name: string;
  /** Created and started (a replica still being created or whose init containers run is Pending). */
  readonly running: boolean;
  readonly ready: boolean;
  /** The metric's value for this replica; undefined: no sample (yet). */
  readonly value?: number;
  /** Utilization only: the replica's request of the resource (same unit as value). */
  readonly request?: number;
}

export type MetricResult =
  | {
      readonly replicas: number;
      /** The current average: a percent for Utilization, else the metric's unit. */
      readonly current: number;
    }
  | { readonly error: string };

/** A change at or below the tolerance, on either side of 1, is too small to act on. */
function withinTolerance(ratio: number, tolerance: { readonly up: number; readonly down: number }): boolean {
  return ratio >= 1 ? ratio - 1 <= tolerance.up : 1 - ratio <= tolerance.down;
}

/**
 * The replicas one metric asks for (replica_calculator.go: GetResourceReplicas,
 * calcPlainMetricReplicas). Pending replicas and, for cpu, unready ones are left out of the
 * average ("ignored"); replicas without a sample are "missing". When either is there the
 * recommendation is damped: missing ones count as 100 % of the request (target for a plain
 * metric) on a scale-down and as 0 on a scale-up, ignored ones as 0 on a scale-up, and a
 * recomputation that flips the direction keeps the current count.
 */
export function replicasForMetric(
  metric: MetricTarget,
  replicas: readonly ReplicaSample[],
  currentReplicas: number,
  tolerance: { readonly up: number; readonly down: number },
): MetricResult {
  if (replicas.length === 0) return { error: 'no replicas of the target to measure' };
  const utilization = metric.type === 'Utilization';
  const target = metric.type === 'Utilization' ? metric.averageUtilization : metric.averageValue;
  const ignoreUnready = metric.kind === 'Resource' && metric.resource === 'cpu';
  const counted: ReplicaSample[] = [];
  const ignored: ReplicaSample[] = [];
  const missing: ReplicaSample[] = [];
  for (const r of replicas) {
    if (!r.running || (ignoreUnready && !r.ready)) ignored.push(r);
    else if (r.value === undefined) missing.push(r);
    else counted.push(r);
  }
  if (counted.length === 0) return { error: 'no metrics from any ready replica' };
  if (utilization && replicas.some((r) => !r.request || r.request <= 0)) return { error: 'a replica has no request for the resource' };
  const usage = (entries: readonly { value: number; request: number }[]): number => {
    const total = entries.reduce((s, e) => s + e.value, 0);
    if (utilization) return (total * 100) / entries.reduce((s, e) => s + e.request, 0);
    return total / entries.length;
  };
  const entries = counted.map((r) => ({ value: r.value as number, request: r.request ?? 0 }));
  const current = usage(entries);
  const ratio = current / target;
  const rebalanceIgnored = ignored.length > 0 && ratio > 1;
  if (!rebalanceIgnored && missing.length === 0) {
    if (withinTolerance(ratio, tolerance)) return { replicas: currentReplicas, current };
    return { replicas: Math.ceil(ratio * counted.length), current };
  }
  const padded = [...entries];
  if (missing.length > 0) {
    for (const r of missing) {
      const request = r.request ?? 0;
      // A scale-down assumes the missing ones are busy (their whole request, or the target); a scale-up that they are idle.
      padded.push({ value: ratio < 1 ? (utilization ? request : target) : 0, request });
    }
  }
  if (rebalanceIgnored) for (const r of ignored) padded.push({ value: 0, request: r.request ?? 0 });
  const newRatio = usage(padded) / target;
  if (withinTolerance(newRatio, tolerance) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return { replicas: currentReplicas, current };
  const proposed = Math.ceil(newRatio * padded.length);
  if ((newRatio < 1 && proposed > currentReplicas) || (newRatio > 1 && proposed < currentReplicas)) return { replicas: currentReplicas, current };
  return { replicas: proposed, current };
}

/** A recommendation the algorithm made (kept for the stabilization windows). */
export interface Recommendation {
  readonly at: number;
  readonly replicas: number;
}

/** A scale the autoscaler made: `change` > 0 up, < 0 down (kept for the rate policies). */
export interface ScaleEvent {
  readonly at: number;
  readonly change: number;
}

export interface AutoscalerHistory {
  readonly recommendations: readonly Recommendation[];
  readonly events: readonly ScaleEvent[];
}

export interface Condition {
  readonly type: 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

export interface DecideInput {
  /** Milliseconds (the caller's clock). */
  readonly now: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** The replica count the target is scaled to now. */
  readonly currentReplicas: number;
  /** One result per metric of the spec, in its order. */
  readonly metrics: readonly MetricResult[];
  readonly behavior: Behavior;
  readonly history: AutoscalerHistory;
  /** The most replicas the namespace's ResourceQuotas allow the target (autoscale/quota.ts); a scale-up stops there. */
  readonly quotaLimit?: { readonly replicas: number; readonly message: string };
}

export interface Decision {
  readonly desiredReplicas: number;
  /** The history to keep: the windows' recommendations (with this one) and the policies' events (with this scale). */
  readonly history: AutoscalerHistory;
  readonly conditions: readonly [Condition, Condition, Condition];
  /** Why it scales (for the log and the event record); undefined when it does not. */
  readonly reason?: string;
}

/**
 * One pass of the autoscaler for one HPA (horizontal.go: reconcileAutoscaler,
 * computeReplicasForMetrics, normalizeDesiredReplicasWithBehaviors).
 *
 *   current 0 (and min > 0)      → scaling is disabled: nothing changes (ScalingActive False)
 *   current > max / < min        → max / min, whatever the metrics say
 *   every metric failed, or some failed and the others would scale down
 *                                → keep the current count (never scale on missing data)
 *   otherwise                    → the largest metric recommendation, stabilized, rate-limited, clamped
 */
export function decide(input: DecideInput): Decision {
  const { now, minReplicas, maxReplicas, currentReplicas, behavior } = input;
  const pruned = prune(input.history, behavior, now);
  // A new HPA (no recommendation yet) starts its scale-down window with the current count, so it
  // never scales down within the window of its creation (horizontal.go: maybeInitScaleDownStabilizationWindow).
  const history =
    input.history.recommendations.length === 0 && behavior.scaleDown.stabilizationWindowSeconds > 0
      ? { ...pruned, recommendations: [{ at: now, replicas: currentReplicas }] }
      : pruned;
  const cond = (type: Condition['type'], status: Condition['status'], reason: string, message: string): Condition => ({ type, status, reason, message });
  const able = cond('AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size');
  const withinRange = cond('ScalingLimited', 'False', 'DesiredWithinRange', 'the desired count is within the acceptable range');

  if (currentReplicas === 0 && minReplicas !== 0) {
    return {
      desiredReplicas: 0,
      history,
      conditions: [able, cond('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero'), withinRange],
    };
  }
  if (currentReplicas > maxReplicas || currentReplicas < minReplicas) {
    const desired = currentReplicas > maxReplicas ? maxReplicas : minReplicas;
    const reason = currentReplicas > maxReplicas ? 'Current number of replicas above Spec.MaxReplicas' : 'Current number of replicas below Spec.MinReplicas';
    return {
      desiredReplicas: desired,
      history: { ...history, events: [...history.events, { at: now, change: desired - currentReplicas }] },
      conditions: [
        cond('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`),
        cond('ScalingActive', 'True', 'ValidMetricFound', 'the HPA was able to compute the replica count'),
        cond('ScalingLimited', 'True', currentReplicas > maxReplicas ? 'TooManyReplicas' : 'TooFewReplicas', reason),
      ],
      reason,
    };
  }

  const valid = input.metrics.filter((m): m is Extract<MetricResult, { replicas: number }> => 'replicas' in m);
  const errors = input.metrics.filter((m): m is Extract<MetricResult, { error: string }> => 'error' in m);
  const proposed = valid.length > 0 ? Math.max(...valid.map((m) => m.replicas)) : currentReplicas;
  if (valid.length === 0 || (errors.length > 0 && proposed < currentReplicas)) {
    const why = errors.map((e) => e.error).join('; ') || 'no metrics';
    return {
      desiredReplicas: currentReplicas,
      history,
      conditions: [able, cond('ScalingActive', 'False', 'FailedGetMetrics', `the HPA was unable to compute the replica count: ${why}`), withinRange],
    };
  }
  const active = cond('ScalingActive', 'True', 'ValidMetricFound', 'the HPA was able to compute the replica count from its metrics');

  // Stabilization: the lowest recommendation inside the scale-up window, the highest inside the scale-down window.
  const upCutoff = now - behavior.scaleUp.stabilizationWindowSeconds * 1000;
  const downCutoff = now - behavior.scaleDown.stabilizationWindowSeconds * 1000;
  let up = proposed;
  let down = proposed;
  for (const r of history.recommendations) {
    if (r.at > upCutoff) up = Math.min(up, r.replicas);
    if (r.at > downCutoff) down = Math.max(down, r.replicas);
  }
  let stabilized = currentReplicas;
  if (stabilized < up) stabilized = up;
  if (stabilized > down) stabilized = down;
  const recommendations = [...history.recommendations, { at: now, replicas: proposed }];
  const stabilizedAble =
    stabilized !== proposed
      ? cond(
          'AbleToScale',
          'True',
          stabilized < proposed ? 'ScaleUpStabilized' : 'ScaleDownStabilized',
          'recent recommendations were ' + (stabilized < proposed ? 'lower' : 'higher') + ' than the current one, applying the lowest recent recommendation',
        )
      : able;

  // Rate policies and min/max.
  let desired = stabilized;
  let limited = withinRange;
  if (stabilized > currentReplicas) {
    let limit = scaleUpLimit(currentReplicas, history.events, behavior.scaleUp, now);
    if (limit < currentReplicas) limit = currentReplicas;
    if (maxReplicas > limit) {
      if (stabilized > limit)
        limited = cond('ScalingLimited', 'True', 'ScaleUpLimit', `the desired replica count is increasing faster than the maximum scale rate (${limit})`);
      desired = Math.min(stabilized, limit);
    } else {
      if (stabilized > maxReplicas)
        limited = cond('ScalingLimited', 'True', 'TooManyReplicas', `the desired replica count is more than the maximum replica count (${maxReplicas})`);
      desired = Math.min(stabilized, maxReplicas);
    }
    // A scale-up never takes the namespace over a ResourceQuota: capped (never below the current count), and said so.
    if (input.quotaLimit && desired > input.quotaLimit.replicas) {
      desired = Math.max(currentReplicas, input.quotaLimit.replicas);
      limited = cond('ScalingLimited', 'True', 'QuotaLimited', `the desired replica count is capped at ${desired}: ${input.quotaLimit.message}`);
    }
  } else if (stabilized < currentReplicas) {
    let limit = scaleDownLimit(currentReplicas, history.events, behavior.scaleDown, now);
    if (limit > currentReplicas) limit = currentReplicas;
    if (minReplicas < limit) {
      if (stabilized < limit)
        limited = cond('ScalingLimited', 'True', 'ScaleDownLimit', `the desired replica count is decreasing faster than the maximum scale rate (${limit})`);
      desired = Math.max(stabilized, limit);
    } else {
      if (stabilized < minReplicas)
        limited = cond('ScalingLimited', 'True', 'TooFewReplicas', `the desired replica count is less than the minimum replica count (${minReplicas})`);
      desired = Math.max(stabilized, minReplicas);
    }
  } else if (stabilized > maxReplicas) {
    desired = maxReplicas;
    limited = cond('ScalingLimited', 'True', 'TooManyReplicas', `the desired replica count is more than the maximum replica count (${maxReplicas})`);
  } else if (stabilized < minReplicas) {
    desired = minReplicas;
    limited = cond('ScalingLimited', 'True', 'TooFewReplicas', `the desired replica count is less than the minimum replica count (${minReplicas})`);
  }

  if (desired === currentReplicas)
    return { desiredReplicas: desired, history: { recommendations, events: history.events }, conditions: [stabilizedAble, active, limited] };
  const biggest = valid.find((m) => m.replicas === proposed);
  return {
    desiredReplicas: desired,
    history: { recommendations, events: [...history.events, { at: now, change: desired - currentReplicas }] },
    conditions: [cond('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`), active, limited],
    reason: `metric ${desired > currentReplicas ? 'above' : 'below'} target (current ${biggest ? formatValue(biggest.current) : '?'})`,
  };
}

function formatValue(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, '');
}

/** Sum of the changes of one direction inside the last `periodSeconds`. */
function changedWithin(events: readonly ScaleEvent[], direction: 1 | -1, periodSeconds: number, now: number): number {
  const cutoff = now - periodSeconds * 1000;
  return events.filter((e) => e.at > cutoff && Math.sign(e.change) === direction).reduce((s, e) => s + Math.abs(e.change), 0);
}

/** horizontal.go calculateScaleUpLimitWithScalingRules: the most replicas the policies allow now. */
export function scaleUpLimit(current: number, events: readonly ScaleEvent[], rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  let result = rules.selectPolicy === 'Min' ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start = current - changedWithin(events, 1, p.periodSeconds, now) + changedWithin(events, -1, p.periodSeconds, now);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = rules.selectPolicy === 'Min' ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** horizontal.go calculateScaleDownLimitWithBehaviors: the fewest replicas the policies allow now. */
export function scaleDownLimit(current: number, events: readonly ScaleEvent[], rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  let result = rules.selectPolicy === 'Min' ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start = current - changedWithin(events, 1, p.periodSeconds, now) + changedWithin(events, -1, p.periodSeconds, now);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = rules.selectPolicy === 'Min' ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

/** Drops what no window or period can see any more, so the stored history stays small. */
function prune(history: AutoscalerHistory, behavior: Behavior, now: number): AutoscalerHistory {
  const window = Math.max(behavior.scaleUp.stabilizationWindowSeconds, behavior.scaleDown.stabilizationWindowSeconds) * 1000;
  const period = Math.max(0, ...behavior.scaleUp.policies.map((p) => p.periodSeconds), ...behavior.scaleDown.policies.map((p) => p.periodSeconds)) * 1000;
  return {
    recommendations: history.recommendations.filter((r) => r.at > now - window),
    events: history.events.filter((e) => e.at > now - period),
  };
}

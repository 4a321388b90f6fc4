import {
  type HorizontalPodAutoscalerManifest,
  type Manifest,
  type MetricTargetSpec,
  parseCount,
  parseCpu,
  parseMemory,
  parseNumber,
  type ResourceQuotaManifest,
  type ScalingRulesSpec,
} from '../manifests/index.js';
import type { Behavior, DesiredAutoscaler, MetricTarget, QuotaBounds, ScalingRules } from './types.js';

/** Kubernetes' defaults (autoscaling/v2): up at once by 4 pods or 100 % per 15 s; down by 100 % per 15 s after a 300 s window. */
export const DEFAULT_BEHAVIOR: Behavior = {
  scaleUp: {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ],
    tolerance: 0.1,
  },
  scaleDown: {
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Max',
    policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    tolerance: 0.1,
  },
};

/** Kubernetes' default metric when an HPA lists none: cpu at 80 % of requests. */
const DEFAULT_METRIC: MetricTarget = { kind: 'Resource', resource: 'cpu', type: 'Utilization', averageUtilization: 80 };

/** A validated HPA manifest → the autoscaler berth runs: minReplicas 1, Kubernetes' behavior for what is not written. */
export function normalizeAutoscaler(manifest: HorizontalPodAutoscalerManifest, namespace: string): DesiredAutoscaler {
  const spec = manifest.spec;
  const metrics = (spec.metrics ?? []).map((m): MetricTarget => {
    if (m.type === 'Pods') return { kind: 'Pods', name: m.pods.metric.name, type: 'AverageValue', averageValue: averageValueOf(m.pods.target) };
    const t = m.resource.target;
    return t.type === 'Utilization'
      ? { kind: 'Resource', resource: m.resource.name, type: 'Utilization', averageUtilization: t.averageUtilization ?? 0 }
      : { kind: 'Resource', resource: m.resource.name, type: 'AverageValue', averageValue: averageValueOf(t) };
  });
  return {
    namespace,
    name: manifest.metadata.name,
    target: spec.scaleTargetRef.name,
    minReplicas: spec.minReplicas ?? 1,
    maxReplicas: spec.maxReplicas,
    metrics: metrics.length > 0 ? metrics : [DEFAULT_METRIC],
    behavior: {
      scaleUp: rulesOf(spec.behavior?.scaleUp, DEFAULT_BEHAVIOR.scaleUp),
      scaleDown: rulesOf(spec.behavior?.scaleDown, DEFAULT_BEHAVIOR.scaleDown),
    },
    source: manifest.source,
  };
}

/** An averageValue as a number in the metric's unit: cpu in cores ("500m" = 0.5), memory in bytes, a Pods metric as written. */
function averageValueOf(t: MetricTargetSpec): number {
  return t.averageValue === undefined ? 0 : (parseNumber(t.averageValue) ?? 0);
}

function rulesOf(spec: ScalingRulesSpec | undefined, defaults: ScalingRules): ScalingRules {
  if (!spec) return defaults;
  return {
    stabilizationWindowSeconds: spec.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: spec.selectPolicy ?? defaults.selectPolicy,
    policies: spec.policies ? spec.policies.map((p) => ({ type: p.type, value: p.value, periodSeconds: p.periodSeconds })) : defaults.policies,
    tolerance: spec.tolerance === undefined ? defaults.tolerance : (parseNumber(spec.tolerance) ?? defaults.tolerance),
  };
}

/** The tightest pods / limits.cpu / limits.memory of the folder's ResourceQuotas (what caps an HPA's scale-up). */
export function quotaBoundsOf(objects: readonly Manifest[]): { quota?: QuotaBounds } {
  const bounds: { pods?: QuotaBounds['pods']; cpu?: QuotaBounds['cpu']; memory?: QuotaBounds['memory'] } = {};
  const tighter = (key: 'pods' | 'cpu' | 'memory', amount: number | undefined, quota: string): void => {
    if (amount === undefined) return;
    const now = bounds[key];
    if (!now || amount < now.amount) bounds[key] = { amount, quota };
  };
  for (const o of objects) {
    if (o.kind !== 'ResourceQuota') continue;
    const hard = (o as ResourceQuotaManifest).spec.hard;
    const name = o.metadata.name;
    if (hard.pods !== undefined) tighter('pods', parseCount(hard.pods), name);
    if (hard['limits.cpu'] !== undefined) tighter('cpu', parseCpu(hard['limits.cpu']), name);
    if (hard['limits.memory'] !== undefined) tighter('memory', parseMemory(hard['limits.memory']), name);
  }
  return Object.keys(bounds).length > 0 ? { quota: bounds } : {};
}

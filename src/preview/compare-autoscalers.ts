import { byCodeUnit } from '../core/index.js';
import type { DesiredAutoscaler, DesiredDeployment, MetricTarget, ScalingRules } from '../desired/index.js';
import type { AutoscalerChange, FieldChange, ServingVersion } from './change-set.js';

/**
 * compare() for HorizontalPodAutoscalers, one line each, like a Service. Its description says
 * what a reviewer needs to know of GitOps and the HPA: while it exists, its Deployment's
 * spec.replicas in Git is only the starting point; removing it hands the count back to Git.
 * Fields: `target`, `minReplicas`, `maxReplicas`, `metrics`, `behavior.scaleUp`, `behavior.scaleDown`.
 */
export function compareAutoscalers(
  base: readonly DesiredAutoscaler[],
  head: readonly DesiredAutoscaler[],
  headDeployments: readonly DesiredDeployment[],
): AutoscalerChange[] {
  const names = [...new Set([...base.map((a) => a.name), ...head.map((a) => a.name)])].sort(byCodeUnit);
  return names.map((name): AutoscalerChange => {
    const b = base.find((a) => a.name === name);
    const h = head.find((a) => a.name === name);
    const gitReplicas = (a: DesiredAutoscaler) => headDeployments.find((d) => d.name === a.target)?.replicas;
    const sides = { ...(b ? { base: version(b, h ? undefined : gitReplicas(b)) } : {}), ...(h ? { head: version(h) } : {}) };
    if (!h) return { kind: 'HorizontalPodAutoscaler', name, change: 'removed', ...sides, fields: [] };
    const fields = [
      field('target', b && `deployment ${b.target}`, `deployment ${h.target}`),
      field('minReplicas', b && String(b.minReplicas), String(h.minReplicas)),
      field('maxReplicas', b && String(b.maxReplicas), String(h.maxReplicas)),
      field('metrics', b && describeMetrics(b.metrics), describeMetrics(h.metrics)),
      field('behavior.scaleUp', b && describeRules(b.behavior.scaleUp), describeRules(h.behavior.scaleUp)),
      field('behavior.scaleDown', b && describeRules(b.behavior.scaleDown), describeRules(h.behavior.scaleDown)),
    ].filter((f): f is FieldChange => f !== undefined);
    return { kind: 'HorizontalPodAutoscaler', name, change: !b ? 'added' : fields.length > 0 ? 'changed' : 'unchanged', ...sides, fields };
  });
}

/** `cpu 70 % of requests, berth_requests_per_second 50 a replica`. */
export function describeMetrics(metrics: readonly MetricTarget[]): string {
  return metrics
    .map((m) =>
      m.kind === 'Pods'
        ? `${m.name} ${m.averageValue} a replica`
        : m.type === 'Utilization'
          ? `${m.resource} ${m.averageUtilization} % of requests`
          : `${m.resource} ${m.averageValue} a replica`,
    )
    .join(', ');
}

function describeRules(r: ScalingRules): string {
  const policies = r.policies.map((p) => `${p.value}${p.type === 'Percent' ? ' %' : ' pods'} per ${p.periodSeconds} s`).join(' or ');
  return `window ${r.stabilizationWindowSeconds} s, ${r.selectPolicy === 'Disabled' ? 'disabled' : `${policies} (${r.selectPolicy})`}, tolerance ${r.tolerance}`;
}

function version(a: DesiredAutoscaler, returnsTo?: number): ServingVersion {
  const what = `scales deployment ${a.target} between ${a.minReplicas} and ${a.maxReplicas} on ${describeMetrics(a.metrics)}`;
  return {
    description:
      returnsTo !== undefined
        ? `${what}; deployment ${a.target} goes back to Git's ${returnsTo} replica${returnsTo === 1 ? '' : 's'}`
        : `${what}; while it exists, Git's spec.replicas of ${a.target} is only the starting point`,
    source: a.source,
  };
}

function field(name: string, from: string | undefined, to: string): FieldChange | undefined {
  if (from === to) return undefined;
  if (from === undefined) return { field: name, change: 'added', to };
  return { field: name, change: 'changed', from, to };
}

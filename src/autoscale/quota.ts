import type { DesiredNamespace } from '../desired/index.js';

/**
 * The most replicas Deployment `target` may have without taking its namespace over a
 * ResourceQuota, the other Deployments counted at the replicas run gives them (`ns` as
 * plan/autoscale.ts returns it). Steady-state counts, as the loader's quota check counts them
 * (a rollout's surge is not counted there either). Undefined: no quota bounds it.
 *
 *   pods 4, another Deployment at 2                                → 2
 *   limits.cpu 2, the target 500m a replica, another at 2 × 250m  → floor((2 − 0.5) / 0.5) = 3
 *   limits.memory 1Gi, the target 256Mi, nothing else             → 4
 *   several bounds                                                 → the smallest, named in the message
 */
export function quotaCap(ns: DesiredNamespace, target: string): { replicas: number; message: string } | undefined {
  const quota = ns.quota;
  const d = ns.deployments.find((x) => x.name === target);
  if (!quota || !d) return undefined;
  const others = ns.deployments.filter((x) => x.name !== target);
  const caps: { replicas: number; message: string }[] = [];
  if (quota.pods) {
    const used = others.reduce((s, o) => s + o.replicas, 0);
    caps.push({
      replicas: quota.pods.amount - used,
      message: `ResourceQuota ${quota.pods.quota} allows pods ${quota.pods.amount}, and the other Deployments run ${used}`,
    });
  }
  const per = (key: 'cpu' | 'memory') => (key === 'cpu' ? d.template.nanoCpus : d.template.memoryBytes);
  for (const key of ['cpu', 'memory'] as const) {
    const bound = quota[key];
    const each = per(key);
    if (!bound || !each) continue;
    const used = others.reduce((s, o) => s + o.replicas * ((key === 'cpu' ? o.template.nanoCpus : o.template.memoryBytes) ?? 0), 0);
    caps.push({
      replicas: Math.floor((bound.amount - used) / each),
      message: `ResourceQuota ${bound.quota} allows limits.${key} for ${Math.max(0, Math.floor((bound.amount - used) / each))} replicas of ${target} beside the other Deployments`,
    });
  }
  if (caps.length === 0) return undefined;
  const tightest = caps.reduce((a, b) => (b.replicas < a.replicas ? b : a));
  return { replicas: Math.max(0, tightest.replicas), message: tightest.message };
}

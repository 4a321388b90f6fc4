import type { IntOrPercent } from '../manifests/index.js';

/**
 * Kubernetes fencepost arithmetic, shared by the rollout step (which moves replicas) and the
 * change preview (which says how a Deployment will roll). rollout/fenceposts.ts re-exports it.
 */

/**
 * Resolves an int-or-percent against `total`, Kubernetes style (intstr.GetScaledValueFromIntOrPercent):
 * percentages round up for maxSurge and down for maxUnavailable.
 *   resolve('25%', 10, 'up')   = 3   (2.5 → 3)
 *   resolve('25%', 10, 'down') = 2   (2.5 → 2)
 *   resolve(2, 10, 'up')       = 2
 */
export function resolveIntOrPercent(value: IntOrPercent, total: number, round: 'up' | 'down'): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) return Number.parseInt(value, 10) || 0;
  const exact = (Number(m[1]) * total) / 100;
  return round === 'up' ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * maxSurge and maxUnavailable for `replicas`, as Kubernetes' ResolveFenceposts: when both
 * resolve to 0 (e.g. 1 replica with 25%/25% → surge 1, unavailable 0 is fine; but 10%/10% of
 * 3 → 1/0; and 0/0 literal is refused by validation) unavailable becomes 1 so progress is possible.
 *   fenceposts('25%', '25%', 4) = { maxSurge: 1, maxUnavailable: 1 }
 *   fenceposts('0%', '10%', 3)  = { maxSurge: 0, maxUnavailable: 1 }   (0.3 rounds down to 0, then forced to 1)
 */
export function fenceposts(maxSurge: IntOrPercent, maxUnavailable: IntOrPercent, replicas: number): { maxSurge: number; maxUnavailable: number } {
  const surge = resolveIntOrPercent(maxSurge, replicas, 'up');
  let unavailable = resolveIntOrPercent(maxUnavailable, replicas, 'down');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { maxSurge: surge, maxUnavailable: Math.min(unavailable, replicas) };
}

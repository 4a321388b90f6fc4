import type { DesiredNamespace } from '../desired/index.js';

/** An HPA's decision as the rule needs it (the store's AutoscalerRecord has these fields). */
export interface AutoscalerView {
  readonly namespace: string;
  /** The HPA. */
  readonly name: string;
  readonly target: string;
  readonly replicas: number;
}

/** A Deployment whose replica count an HPA owns. */
export interface Autoscaled {
  readonly deployment: string;
  readonly autoscaler: string;
  /** What run converges to (and plan shows): the HPA's count, within its bounds. */
  readonly replicas: number;
  /** Git's spec.replicas: only the starting point. */
  readonly git: number;
}

/**
 * The one rule for who owns a Deployment's replica count, shared by `berth run`
 * (controller/reconcile.ts) and `berth plan` (cli), so they never disagree. Pure.
 *
 *   an HPA of the folder targets the Deployment, and has decided N → N, within [min, max]
 *   an HPA targets it, no decision yet       → Git's spec.replicas within [min, max]
 *                                             (0 stays 0: Kubernetes disables an HPA whose target is at 0)
 *   no HPA targets it (none, or it left Git) → Git's spec.replicas (the HPA hands them back)
 *
 * So a commit that changes the image while an HPA holds 5 replicas rolls 5, and the next pass
 * never scales back to Git's value; Argo CD users need ignoreDifferences for this.
 */
export function applyAutoscalersTo(ns: DesiredNamespace, records: readonly AutoscalerView[]): { target: DesiredNamespace; autoscaled: readonly Autoscaled[] } {
  const autoscalers = ns.autoscalers ?? [];
  if (autoscalers.length === 0) return { target: ns, autoscaled: [] };
  const autoscaled: Autoscaled[] = [];
  const deployments = ns.deployments.map((d) => {
    const hpa = autoscalers.find((a) => a.target === d.name);
    if (!hpa) return d;
    const record = records.find((r) => r.namespace === ns.name && r.name === hpa.name && r.target === d.name);
    const wanted = record?.replicas ?? d.replicas;
    const replicas = wanted === 0 && !record ? 0 : Math.min(hpa.maxReplicas, Math.max(hpa.minReplicas, wanted));
    autoscaled.push({ deployment: d.name, autoscaler: hpa.name, replicas, git: d.replicas });
    return replicas === d.replicas ? d : { ...d, replicas };
  });
  return { target: { ...ns, deployments }, autoscaled };
}

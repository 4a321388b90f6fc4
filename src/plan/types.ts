import type { Autoscaled } from './autoscale.js';
import type { Diagnostic } from '../core/index.js';
import type { LivePruneGuard } from './prune-guard.js';

export type PlanAction =
  | { readonly kind: 'create-network'; readonly namespace: string; readonly network: string }
  | {
      readonly kind: 'create-deployment';
      /** A StatefulSet's (absent: a Deployment's). */
      readonly workload?: 'StatefulSet';
      readonly namespace: string;
      readonly name: string;
      /** What the next pass does to it, as the pass's decision says (controller/live-plan.ts): `create 1 of b (surge)`, `waits: …`, `rolls back to …`. */
      readonly next?: string;
      readonly revision: string;
      readonly replicas: number;
      readonly image: string;
    }
  | {
      readonly kind: 'update-deployment';
      /** A StatefulSet's (absent: a Deployment's). */
      readonly workload?: 'StatefulSet';
      readonly namespace: string;
      readonly name: string;
      /** What the next pass does to it, as the pass's decision says (controller/live-plan.ts): `create 1 of b (surge)`, `waits: …`, `rolls back to …`. */
      readonly next?: string;
      readonly fromRevisions: readonly string[];
      readonly toRevision: string;
      readonly replicas: number;
      readonly image: string;
      /** How it will roll, e.g. `RollingUpdate (maxSurge 1, maxUnavailable 0)` or `Recreate`. */
      readonly strategy: string;
      /** The ConfigMaps whose content differs from what the running replicas were created with (sorted); absent when none. */
      readonly configMapsChanged?: readonly string[];
    }
  | {
      readonly kind: 'scale-deployment';
      /** A StatefulSet's (absent: a Deployment's). */
      readonly workload?: 'StatefulSet';
      readonly namespace: string;
      readonly name: string;
      /** What the next pass does to it, as the pass's decision says (controller/live-plan.ts): `create 1 of b (surge)`, `waits: …`, `rolls back to …`. */
      readonly next?: string;
      readonly from: number;
      readonly to: number;
    }
  | {
      readonly kind: 'heal-deployment';
      /** A StatefulSet's (absent: a Deployment's). */
      readonly workload?: 'StatefulSet';
      readonly namespace: string;
      readonly name: string;
      /** What the next pass does to it, as the pass's decision says (controller/live-plan.ts): `create 1 of b (surge)`, `waits: …`, `rolls back to …`. */
      readonly next?: string;
      readonly exited: number;
      readonly missing: number;
      readonly duplicates: number;
    }
  /** The rollout of `failedRevision` failed (`reason`): the next pass rolls back to `toRevision` or, with none good, holds it as it runs. */
  | {
      readonly kind: 'rollback-deployment';
      /** A StatefulSet's (absent: a Deployment's). */
      readonly workload?: 'StatefulSet';
      readonly namespace: string;
      readonly name: string;
      readonly next?: string;
      readonly failedRevision: string;
      readonly reason: string;
      /** The revision (and its commit) rolled back to; absent: none was good, it is held as it runs. */
      readonly toRevision?: string;
      readonly toCommit?: string;
    }
  | {
      readonly kind: 'prune-deployment';
      /** A StatefulSet's (absent: a Deployment's). */
      readonly workload?: 'StatefulSet';
      readonly namespace: string;
      readonly name: string;
      /** What the next pass does to it, as the pass's decision says (controller/live-plan.ts): `create 1 of b (surge)`, `waits: …`, `rolls back to …`. */
      readonly next?: string;
      readonly replicas: number;
    }
  | { readonly kind: 'remove-strays'; readonly namespace: string; readonly containers: readonly string[] }
  | { readonly kind: 'remove-network'; readonly namespace: string; readonly network: string }
  | {
      readonly kind: 'create-volume';
      readonly namespace: string;
      readonly name: string;
      readonly volume: string;
      readonly storage: string;
      readonly storageClass?: string;
    }
  /**
   * Only for an orphaned volume whose deletion the commit confirms by name, or the volume of an
   * ordinal a StatefulSet with whenScaled: Delete no longer has (`retention`) (volumes.ts); never a prune.
   */
  | { readonly kind: 'delete-volume'; readonly namespace: string; readonly name: string; readonly volume: string; readonly retention?: true };

export type NamespaceVerdict =
  /** Nothing to do. */
  | 'in-sync'
  /** Actions to take. */
  | 'changes'
  /** The folder is invalid at this commit: nothing is touched. */
  | 'invalid'
  /** The prune guard refused what the commit would remove: nothing is touched. */
  | 'refused';

export interface NamespacePlan {
  readonly namespace: string;
  readonly verdict: NamespaceVerdict;
  /** Ordered: network first, Deployments by name, prunes and network removal last. */
  readonly actions: readonly PlanAction[];
  readonly diagnostics: readonly Diagnostic[];
  readonly message?: string;
  /** StatefulSets left as they run because the commit changes a field Kubernetes forbids changing (statefulRefusal); absent: none. */
  readonly refused?: readonly { readonly name: string; readonly reason: string }[];
  /** Volumes no claim in Git names, kept with their data (plan/volumes.ts); absent: none. */
  readonly orphanedVolumes?: readonly { readonly name: string; readonly volume: string }[];
  /** The Services as `berth run` serves them: type, the virtual address it keeps or allocates (the same function), host ports. Absent: none. */
  readonly services?: readonly ServicePlan[];
  /**
   * Deployments a rollback governs (applyPinsTo): pinned to the template of `commit` until a commit
   * changes them, or `held` (the reason its revision failed) and left as they run.
   */
  readonly rollbacks?: readonly { readonly name: string; readonly revision: string; readonly commit?: string; readonly held?: string }[];
  /** Deployments whose replica counts HPAs own (plan/autoscale.ts): `replicas` is what run converges to, `git` only the start. */
  readonly autoscaled?: readonly Autoscaled[];
}

export interface ServicePlan {
  readonly name: string;
  readonly type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  /** The virtual address; `None` for a headless Service; absent when it has none (see `note`). */
  readonly clusterIP?: string;
  /** Why there is no address yet, or why there will be none (a fixed address outside the range). */
  readonly note?: string;
  /** `80 → http`, per Service port. */
  readonly ports: readonly string[];
  /** Host listeners of a NodePort/LoadBalancer: `127.0.0.1:8081`. */
  readonly host: readonly string[];
}

export interface PlanSummary {
  readonly create: number;
  readonly update: number;
  readonly prune: number;
  readonly invalidNamespaces: number;
  readonly refusedNamespaces: number;
}

export interface Plan {
  readonly commit: string;
  /** Sorted by namespace. */
  readonly namespaces: readonly NamespacePlan[];
  /** Problems outside any namespace folder. */
  readonly diagnostics: readonly Diagnostic[];
  readonly summary: PlanSummary;
  readonly pruneGuard: LivePruneGuard;
}

export function isPrune(action: PlanAction): boolean {
  return action.kind === 'prune-deployment' || action.kind === 'remove-network' || action.kind === 'remove-strays';
}

export function hasChanges(plan: Plan): boolean {
  return plan.namespaces.some((n) => n.actions.length > 0);
}

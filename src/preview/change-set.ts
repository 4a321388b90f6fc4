import type { Diagnostic } from '../core/index.js';
import type { SourceLocation } from '../manifests/index.js';

/**
 * A ChangeSet is what one commit (the head) would change relative to another (the base),
 * computed from the two desired states alone: no engine, no history. `berth plan --base
 * --head` renders it as text, Markdown (a PR comment) or JSON.
 *
 * Invariants (compare.ts keeps them; the renderers rely on them):
 *  - Everything is sorted (namespaces by name; objects by kind, then name; fields in a fixed
 *    order per kind), so the same two states always give the same ChangeSet, byte for byte.
 *  - No secret value is in it: values of secret-looking env vars are never copied in (see
 *    mask.ts), so no rendering, log or bot can leak one.
 *  - Values are display strings, already formatted (quantities as 128Mi / 250m), so every
 *    rendering shows the same thing.
 */
export interface ChangeSet {
  /** Bumped when the JSON shape changes incompatibly; for scripts reading `-o json`. */
  readonly schemaVersion: 1;
  /** Base commit; absent when there is no base (every namespace of the head is new). */
  readonly base?: string;
  readonly head: string;
  /** The manifest root inside the repository (`--path`), '' for the repository root; renderers prefix file paths with it. */
  readonly root: string;
  /** Sorted by name: the union of the base's and the head's namespaces. */
  readonly namespaces: readonly NamespaceChange[];
  /** The head's problems outside any namespace folder (root files, bad folder names). */
  readonly diagnostics: readonly Diagnostic[];
  /** Policy denials that name no namespace of the head (those are on their namespace). */
  readonly denials: readonly Diagnostic[];
  readonly pruneGuard: PruneGuard;
  readonly summary: ChangeSummary;
}

export type NamespaceStatus =
  /** Only in the head. */
  | 'added'
  /** Only in the base: everything berth runs in it would be pruned. */
  | 'removed'
  /** In both, valid in both, some object differs. */
  | 'changed'
  /** In both, valid in both, nothing differs (warnings may still be listed). */
  | 'unchanged'
  /** Invalid in the head: berth leaves it exactly as it runs, so nothing in it changes. */
  | 'invalid'
  /** Valid in the head but invalid in the base (so berth runs it from an older valid commit): the head's objects are listed in full, as added. */
  | 'base-invalid'
  /** Valid in the head but denied by policy: berth leaves it as it runs. Its objects show what would change once allowed. */
  | 'denied';

export interface NamespaceChange {
  readonly namespace: string;
  readonly status: NamespaceStatus;
  /** One sentence for people on what the status means for this namespace. */
  readonly message?: string;
  /** Sorted by kind (Deployment, Service, Ingress: the data flow's order), then name. Empty when the head is invalid (nothing changes). */
  readonly objects: readonly ObjectChange[];
  /** The head's errors and warnings for this namespace (file:line, field), sorted. */
  readonly diagnostics: readonly Diagnostic[];
  /** Policy denials for this namespace in the head (the policy module fills these; none yet). */
  readonly denials: readonly Diagnostic[];
}

export type ObjectChangeKind = 'added' | 'removed' | 'changed' | 'unchanged';

/** Every kind of object a ChangeSet can hold, discriminated on `kind`. Secret … join this union. */
export type ObjectChange = DeploymentChange | ServiceChange | IngressChange | ClaimChange | ConfigMapChange | NetworkPolicyChange | AutoscalerChange;

export interface DeploymentChange {
  readonly kind: 'Deployment';
  /** A StatefulSet (same template, its own rollout): absent for a Deployment. */
  readonly workload?: 'StatefulSet';
  readonly name: string;
  readonly change: ObjectChangeKind;
  /** The Deployment in the base (absent when added). */
  readonly base?: ObjectVersion;
  /** The Deployment in the head (absent when removed). */
  readonly head?: ObjectVersion;
  /**
   * Field-level changes in a fixed order. For an added Deployment every field is `added`; for
   * a removed one the list is empty (`base` says what is pruned); for an unchanged one, empty.
   */
  readonly fields: readonly FieldChange[];
  /** True when the pod template's revision changes and the head runs replicas: the Deployment rolls. Scale-only changes do not. */
  readonly rolls: boolean;
  /** How it rolls; present exactly when `rolls`. */
  readonly rollout?: RolloutPreview;
  /** The ConfigMaps it uses whose content changes (sorted): why it rolls when nothing else in its template does. Absent when none. */
  readonly configMapsChanged?: readonly string[];
}

/**
 * A Service or an Ingress: what the data plane serves. Nothing rolls; a change takes effect
 * when the data plane's table is replaced. Rendered one line per object.
 */
export interface ServingChange<K extends 'Service' | 'Ingress' | 'PersistentVolumeClaim' | 'ConfigMap' | 'NetworkPolicy' | 'HorizontalPodAutoscaler'> {
  readonly kind: K;
  readonly name: string;
  readonly change: ObjectChangeKind;
  /** The object in the base (absent when added). */
  readonly base?: ServingVersion;
  /** The object in the head (absent when removed). */
  readonly head?: ServingVersion;
  /**
   * Field-level changes in a fixed order. Service: `selector`, `ports`. Ingress:
   * `defaultBackend`, then one per route, `<host or *><path> (<pathType>)`, valued
   * `<service>:<port>`. Added: every field `added`; removed and unchanged: empty.
   */
  readonly fields: readonly FieldChange[];
}

/** A v1 Service in a ChangeSet. */
export type ServiceChange = ServingChange<'Service'>;

/** A networking.k8s.io/v1 Ingress in a ChangeSet. */
export type IngressChange = ServingChange<'Ingress'>;

/**
 * A v1 PersistentVolumeClaim in a ChangeSet (compare-claims.ts), shown like a Service: one line.
 * Its fields: `storage`, `storageClassName`, `accessModes`. A removed claim's description says
 * its volume is kept with its data: berth never deletes a volume because its claim left Git.
 */
export type ClaimChange = ServingChange<'PersistentVolumeClaim'>;

/**
 * A v1 ConfigMap in a ChangeSet, rendered like a Service: one line. Fields: `data.<key>` (values
 * shortened), `binaryData.<key>` (sizes), `immutable`. The Deployments it makes roll say so
 * themselves (`configMapsChanged`); its description names who uses it.
 */
export type ConfigMapChange = ServingChange<'ConfigMap'>;

/**
 * A networking.k8s.io/v1 NetworkPolicy in a ChangeSet, one line: which pods it selects and who
 * may reach them. Fields: `pods`, then `ingress` (every rule, `; `-separated).
 */
export type NetworkPolicyChange = ServingChange<'NetworkPolicy'>;

/** An autoscaling/v2 HorizontalPodAutoscaler in a ChangeSet (compare-autoscalers.ts), one line: what it scales, between what, on what. */
export type AutoscalerChange = ServingChange<'HorizontalPodAutoscaler'>;

/** One side of a Service or Ingress change. */
export interface ServingVersion {
  /** One line for people: `selects app=web; listens on 8081 (target http)`, `shop.localhost/ (Prefix) → web:8081`. */
  readonly description: string;
  readonly source: SourceLocation;
}

/** The identifying facts of one side of a Deployment change. */
export interface ObjectVersion {
  readonly revision: string;
  readonly replicas: number;
  readonly image: string;
  readonly source: SourceLocation;
}

/**
 * One changed field, e.g. `{ field: 'image', change: 'changed', from: 'busybox:1.36', to: 'busybox:1.37' }`.
 * `masked` fields never carry `from`/`to`: the value is secret (mask.ts) and only the fact
 * that it was added, removed or changed is shown.
 */
export interface FieldChange {
  /** Display path, e.g. `replicas`, `image`, `env.GREETING`, `resources.limits.memory`, `labels.app`. */
  readonly field: string;
  readonly change: 'added' | 'removed' | 'changed';
  readonly from?: string;
  readonly to?: string;
  readonly masked?: true;
}

export interface RolloutPreview {
  readonly strategy: 'RollingUpdate' | 'Recreate';
  /** Replicas after the change (what the rollout converges to). */
  readonly replicas: number;
  /** Resolved fenceposts (Kubernetes rounding) for RollingUpdate. */
  readonly maxSurge?: number;
  readonly maxUnavailable?: number;
  /** E.g. `RollingUpdate (maxSurge 25% = 1, maxUnavailable 25% = 0) over 3 replicas: at most 4 run, at least 3 stay available`. */
  readonly description: string;
}

export type PruneVerdict =
  /** The head prunes nothing. */
  | 'no-prunes'
  /** The head prunes a few Deployments; berth prunes them. */
  | 'allowed'
  /** The head removes a whole namespace or more than half of the base's Deployments: berth refuses unless the commit is confirmed. */
  | 'needs-confirmation'
  /** The head holds no namespaces at all while the base runs some: berth refuses outright (an empty tree never prunes everything). */
  | 'refused';

export interface PruneGuard {
  readonly verdict: PruneVerdict;
  /** Deployments the head would prune (in valid head namespaces and in removed namespaces). Services and Ingresses do not count: removing one stops a listener or a route, no workload. */
  readonly deployments: number;
  /** Namespaces the head removes. */
  readonly namespaces: number;
  /** Why, one sentence each, sorted; empty for `no-prunes` and `allowed`. */
  readonly reasons: readonly string[];
}

export interface ChangeSummary {
  readonly namespaces: {
    readonly added: number;
    readonly removed: number;
    readonly changed: number;
    readonly unchanged: number;
    readonly invalid: number;
    readonly baseInvalid: number;
    readonly denied: number;
  };
  readonly deployments: {
    readonly added: number;
    readonly changed: number;
    /** Of the changed ones, how many roll (the rest are scale- or setting-only). */
    readonly rolls: number;
    readonly removed: number;
    readonly unchanged: number;
  };
  /** Present only when the base or the head has a Service (so a ChangeSet of Deployments alone keeps its shape). */
  readonly services?: ServingCounts;
  /** Present only when the base or the head has an Ingress. */
  readonly ingresses?: ServingCounts;
  /** Present only when the base or the head has a ConfigMap. */
  readonly configMaps?: ServingCounts;
  /** The head's errors (all namespaces and the repository level). */
  readonly errors: number;
  readonly warnings: number;
  readonly denials: number;
}

export interface ServingCounts {
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
  readonly unchanged: number;
}

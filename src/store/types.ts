import type { Diagnostic } from '../core/index.js';

/** Kubernetes-style condition: `type` is stable, `status` says whether it holds. */
export interface Condition {
  readonly type: 'Synced' | 'Progressing' | 'Available' | 'Valid' | 'SourceReachable' | 'EngineReachable';
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

export interface DeploymentStatus {
  readonly name: string;
  /** StatefulSet for one; absent: a Deployment. */
  readonly kind?: 'StatefulSet';
  readonly revision: string;
  readonly replicas: number;
  readonly updatedReplicas: number;
  readonly availableReplicas: number;
  readonly phase: 'Complete' | 'Progressing' | 'Waiting' | 'Failed' | 'RolledBack';
  readonly message?: string;
  /** Set while a manual rollback pins the Deployment: `<revision>@<commit>`. */
  readonly pinnedTo?: string;
  /** Set after berth rolled a failed rollout back: what failed and why (until a commit changes the Deployment). */
  readonly rolledBack?: { readonly revision: string; readonly commit: string; readonly reason: string; readonly message: string };
  /** Under a cluster driver: where each replica is (its node, or why it has none), by replica then revision. Absent on one host. */
  readonly placement?: readonly ReplicaPlacement[];
}

/** One replica of a Deployment on a cluster: `replica 0 (revision 1a2b3c4d5e) running on node2`. */
export interface ReplicaPlacement {
  readonly replica: number;
  readonly revision: string;
  readonly state: string;
  readonly node?: string;
  /** Why it has no node or does not run (pending: no node matches its nodeSelector …). */
  readonly reason?: string;
}

/** One entry of a Deployment's revision history (newest last, capped by revisionHistoryLimit). */
export interface RevisionRecord {
  readonly revision: string;
  /** The commit that introduced the revision. */
  readonly commit: string;
  readonly image: string;
  /** When the revision became complete (all replicas available). */
  readonly time: string;
  /** complete: all replicas became available; rolled-back-to: completed again by a rollback; failed: its rollout failed and was rolled back. */
  readonly outcome: 'complete' | 'rolled-back-to' | 'failed';
  /** For `failed`: why (ProgressDeadlineExceeded, CrashLoop) and what was seen. */
  readonly reason?: string;
  readonly message?: string;
}

/**
 * A manual rollback: the Deployment runs its template from `commit` until a later commit
 * changes the Deployment in Git (its spec hash at head differs from `headSpec`).
 */
export interface Pin {
  readonly namespace: string;
  readonly name: string;
  readonly commit: string;
  readonly revision: string;
  /** Hash of the head's desired Deployment when the pin was made. */
  readonly headSpec: string;
  readonly createdAt: string;
  /** Absent or `manual`: `berth rollback`. `auto-rollback`: berth rolled back a failed rollout by itself. */
  readonly cause?: 'manual' | 'auto-rollback';
  /**
   * For auto-rollback: the revision whose rollout failed. With `hold` there was no earlier good
   * revision to return to: the Deployment is left as it is and not stepped until a commit changes it.
   */
  readonly failed?: { readonly revision: string; readonly commit: string; readonly reason: string; readonly message: string };
  readonly hold?: true;
}

export interface NamespaceStatus {
  readonly namespace: string;
  /** The commit the last pass worked from. */
  readonly lastAttemptedCommit?: string;
  /** The last commit whose desired state was fully reached (moves only after health gates pass). */
  readonly lastAppliedCommit?: string;
  /**
   * The last commit at which the folder was valid: what the namespace keeps running while a later
   * head is invalid (`berth run` converges to it, `berth plan --live` shows the same).
   */
  readonly lastValidCommit?: string;
  readonly phase: 'Synced' | 'Progressing' | 'Invalid' | 'Refused' | 'Error' | 'Pruned';
  readonly message?: string;
  readonly conditions: readonly Condition[];
  readonly deployments: readonly DeploymentStatus[];
  /** The namespace's Service ports as the data plane serves them (absent: no Service). */
  readonly services?: readonly ServiceStatus[];
  /** Its PersistentVolumeClaims' volumes, orphaned ones included (absent: none). */
  readonly volumes?: readonly VolumeStatus[];
  readonly diagnostics: readonly Diagnostic[];
  readonly updatedAt: string;
}

/** One Service port in the data plane: where it listens and how many ready replicas it balances over. */
export interface ServiceStatus {
  readonly name: string;
  readonly port: number;
  readonly type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  /** The virtual address inside the namespace (`None`: headless; empty: none could be given, see `error`). */
  readonly clusterIP?: string;
  /** `host:port` the data plane also listens on, on the host (NodePort, LoadBalancer). */
  readonly listen?: string;
  readonly endpoints: number;
  /** Why it cannot listen (e.g. the address is taken by another Service or process). */
  readonly error?: string;
}

/**
 * A claim's Docker volume. Bound: the claim is in Git and the volume exists. Pending: the claim
 * is in Git, the volume not created yet (`message` says why when creating failed). Orphaned: no
 * claim in Git names it; kept with its data until `berth volume delete NS/NAME` or a commit with
 * the trailer `Berth-Confirm-Volume-Delete: NS/NAME`.
 */
export interface VolumeStatus {
  /** The claim. */
  readonly name: string;
  /** The engine's name of the volume. */
  readonly volume: string;
  readonly phase: 'Bound' | 'Pending' | 'Orphaned';
  readonly storage?: string;
  readonly storageClass?: string;
  readonly message?: string;
}

export interface SyncRecord {
  readonly time: string;
  readonly namespace: string;
  readonly commit: string;
  readonly outcome: 'applied' | 'progressing' | 'invalid' | 'refused' | 'failed' | 'pruned';
  /** Number of engine moves made by the pass. */
  readonly moves: number;
  readonly message?: string;
}

/**
 * A prune confirmation given through the API (`berth prune confirm`), for exactly one commit: the
 * prune guard lets that commit prune as if its message carried `Berth-Confirm-Prune: yes`. The
 * next commit is judged afresh.
 */
export interface PruneConfirmation {
  /** When it was given (ISO 8601). */
  readonly at: string;
  /** Who says they gave it (informational: the API token is shared), e.g. the CLI user; `api` when not said. */
  readonly by: string;
}

/** Confirmations kept (the newest); older commits are long past being held. */
export const PRUNE_CONFIRMATIONS_KEPT = 50;

/**
 * A HorizontalPodAutoscaler's decisions (controller/autoscaler.ts): the replica count it set its
 * target to — what `berth run` and `berth plan` use instead of the Deployment's spec.replicas
 * (plan/autoscale.ts) — and the history its stabilization windows and rate policies read.
 * Durable: a restarted berth keeps the count (it is journaled whenever it changes).
 */
export interface AutoscalerRecord {
  readonly namespace: string;
  /** The HPA. */
  readonly name: string;
  /** The Deployment it scales. */
  readonly target: string;
  readonly replicas: number;
  /** The replicas of the target the last evaluation counted (running or starting): Kubernetes' status.currentReplicas. */
  readonly currentReplicas?: number;
  /** The last scale: when, from, to, why. */
  readonly lastScale?: { readonly at: string; readonly from: number; readonly to: number; readonly reason: string };
  /** Recommendations inside the longest stabilization window (ms since the epoch). */
  readonly recommendations: readonly { readonly at: number; readonly replicas: number }[];
  /** Scales inside the longest policy period (ms since the epoch; change > 0 up). */
  readonly events: readonly { readonly at: number; readonly change: number }[];
  /** What the last evaluation measured, per metric of the spec (a value in the target's unit; a percent for Utilization). */
  readonly metrics?: readonly { readonly metric: string; readonly target: number; readonly current?: number; readonly error?: string }[];
  /** Kubernetes' HPA conditions after the last evaluation (AbleToScale, ScalingActive, ScalingLimited). */
  readonly conditions?: readonly { readonly type: string; readonly status: 'True' | 'False'; readonly reason: string; readonly message: string }[];
  /** The last evaluation (ISO 8601). */
  readonly updatedAt: string;
}

export interface StoreState {
  readonly version: 1;
  /** Last commit the source resolved, for `berth status`. */
  readonly source?: {
    readonly description: string;
    readonly commit?: string;
    /** The commit's subject line, author name and time (source/commit-summary.ts); absent in a state written before them. */
    readonly subject?: string;
    readonly author?: string;
    readonly committedAt?: string;
    readonly error?: string;
    readonly updatedAt: string;
  };
  readonly namespaces: Readonly<Record<string, NamespaceStatus>>;
  /** Revision history per Deployment, keyed `namespace/name`. */
  readonly revisions?: Readonly<Record<string, readonly RevisionRecord[]>>;
  /** Manual rollbacks in force, keyed `namespace/name`. */
  readonly pins?: Readonly<Record<string, Pin>>;
  /** Prune confirmations by full commit id (see PruneConfirmation), oldest first. */
  readonly pruneConfirmations?: Readonly<Record<string, PruneConfirmation>>;
  /** HorizontalPodAutoscalers' decisions, keyed `namespace/name` (of the HPA). */
  readonly autoscalers?: Readonly<Record<string, AutoscalerRecord>>;
}

/** The store port, as the controller and surfaces use it. */
export interface Store {
  readState(): StoreState;
  putNamespace(status: NamespaceStatus): Promise<void>;
  removeNamespace(namespace: string): Promise<void>;
  putSource(source: NonNullable<StoreState['source']>): Promise<void>;
  appendHistory(record: SyncRecord): Promise<void>;
  /** Appends to a Deployment's revision history, keeping the newest `limit` (+ the current). */
  recordRevision(key: string, record: RevisionRecord, limit: number): Promise<void>;
  putPin(pin: Pin): Promise<void>;
  removePin(key: string): Promise<void>;
  /**
   * Records an HPA's evaluation. `durable`: its replica count changed (journaled, so a restart
   * keeps it); otherwise only the status file is rewritten (the windows' history and what was measured).
   */
  putAutoscaler(record: AutoscalerRecord, options: { readonly durable: boolean }): Promise<void>;
  /** Forgets an HPA (it left Git): its Deployment's replicas are Git's again. */
  removeAutoscaler(key: string): Promise<void>;
  /** Records a prune confirmation for the full commit id `commit` (keeping the newest PRUNE_CONFIRMATIONS_KEPT). */
  confirmPrune(commit: string, confirmation: PruneConfirmation): Promise<void>;
  readHistory(filter?: { readonly namespace?: string; readonly limit?: number }): Promise<SyncRecord[]>;
}

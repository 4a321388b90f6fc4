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
  readonly revision: string;
  readonly replicas: number;
  readonly updatedReplicas: number;
  readonly availableReplicas: number;
  readonly phase: 'Complete' | 'Progressing' | 'Waiting' | 'Failed';
  readonly message?: string;
}

export interface NamespaceStatus {
  readonly namespace: string;
  /** The commit the last pass worked from. */
  readonly lastAttemptedCommit?: string;
  /** The last commit whose desired state was fully reached (moves only after health gates pass). */
  readonly lastAppliedCommit?: string;
  readonly phase: 'Synced' | 'Progressing' | 'Invalid' | 'Refused' | 'Error' | 'Pruned';
  readonly message?: string;
  readonly conditions: readonly Condition[];
  readonly deployments: readonly DeploymentStatus[];
  readonly diagnostics: readonly Diagnostic[];
  readonly updatedAt: string;
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

export interface StoreState {
  readonly version: 1;
  /** Last commit the source resolved, for `berth status`. */
  readonly source?: { readonly description: string; readonly commit?: string; readonly error?: string; readonly updatedAt: string };
  readonly namespaces: Readonly<Record<string, NamespaceStatus>>;
}

/** The store port, as the controller and surfaces use it. */
export interface Store {
  readState(): StoreState;
  putNamespace(status: NamespaceStatus): Promise<void>;
  removeNamespace(namespace: string): Promise<void>;
  putSource(source: NonNullable<StoreState['source']>): Promise<void>;
  appendHistory(record: SyncRecord): Promise<void>;
  readHistory(filter?: { readonly namespace?: string; readonly limit?: number }): Promise<SyncRecord[]>;
}

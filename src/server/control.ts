import type { DesiredDeployment, DesiredState } from '../desired/index.js';
import type { NodeRow, PodStatus } from '../observed/index.js';
import type { Plan } from '../plan/index.js';

/**
 * The port the HTTP server drives the controller through. The server never imports the
 * controller: `berth run` (cli) adapts the Controller to this interface, tests pass a
 * recording implementation.
 */
export interface ControlPort {
  /**
   * Fetch now and reconcile; resolves with the commit seen by a fetch that began after the call
   * (coalesced with other callers), and throws that fetch's error when it failed (→ 503).
   */
  syncNow(): Promise<{ commit?: string }>;
  /** The branch (or ref) berth watches, e.g. "main"; hooks for other refs are ignored. */
  watchedRef(): string | undefined;
  /**
   * Manual rollback (implemented in the controller). Neither `toCommit` nor `toRevision`
   * means "the previous revision". Throws a BerthError whose code decides the HTTP status
   * (see http-errors.ts): ROLLBACK_TARGET_NOT_FOUND/NOT_FOUND → 404, CONFLICT → 409, …
   */
  rollback(args: { namespace: string; name: string; toCommit?: string; toRevision?: string }): Promise<{ pinnedTo: string }>;
  /**
   * Prune confirmation (implemented in the controller): lets the commit the prune guard holds
   * prune, as a `Berth-Confirm-Prune: yes` trailer would. `commit` (full id or a prefix of at
   * least 7 hex digits) must name that very commit. Resolves with its full id and the guard's
   * reasons; throws CONFLICT (→ 409) when that commit is not the one held.
   */
  confirmPrune(args: { commit: string; by?: string }): Promise<{ confirmed: string; reasons: readonly string[] }>;
  /**
   * The replicas the engine runs now (of one namespace, or all), with the running berth's
   * readiness verdicts: what `berth get pods` shows. Readiness is the prober's, held in memory
   * only, so this asks the controller rather than the store.
   */
  pods(args: { namespace?: string }): Promise<readonly PodStatus[]>;
  /** A cluster's nodes with berth's replicas on each (`berth nodes`); undefined when berth drives one engine. Absent: the same. */
  nodes?(): Promise<readonly NodeRow[] | undefined>;
  /**
   * The live plan: what the head commit would change on the engine now, with the prune guard's
   * verdict (what `berth plan --live` prints). Throws CONFLICT before the first fetch.
   */
  livePlan(): Promise<Plan>;
  /** The desired state of the head commit berth works from (undefined before the first fetch): the dashboard's Ingresses and ConfigMaps. */
  desired(): DesiredState | undefined;
  /**
   * An owned replica container's log (`docker logs`): the last `tail` lines, then, with `follow`,
   * what it prints until it stops or `signal` aborts. ENGINE_CONFLICT when the container is not owned or gone.
   */
  replicaLogs(
    args: { id: string; tail: number; follow: boolean },
    onText: (stream: 'stdout' | 'stderr', text: string) => void,
    signal: AbortSignal,
  ): Promise<void>;
  /**
   * A Deployment as the manifests at `commit` declare it (the template its revision hashes), for
   * the dashboard's revision diff; undefined when that commit has no valid namespace or no such Deployment.
   */
  deploymentAt(args: { namespace: string; name: string; commit: string }): Promise<DesiredDeployment | undefined>;
}

/**
 * What the dashboard shows of the live plan for one namespace: the head commit, the namespace's
 * verdict, its pending changes as `berth plan` words them, the rollback and HPA notes, and the
 * prune guard's verdict on the whole engine (it decides for every namespace at once). Pure.
 *
 * Services are left out: their addresses in a plan built outside the data plane may differ
 * from the ones it serves. Nothing here carries a value from the manifests beyond names,
 * images and revisions (a plan holds no env or Secret values).
 */
import { type LivePruneGuard, type NamespaceVerdict, type Plan, renderActionText } from '../plan/index.js';

export interface NamespacePlanView {
  readonly commit: string;
  readonly namespace: string;
  /** `absent`: neither Git nor the engine knows the namespace. */
  readonly verdict: NamespaceVerdict | 'absent';
  readonly message?: string;
  /** One line per action, as `berth plan` prints it (`+ deployment web: …`). */
  readonly changes: readonly string[];
  /** Deployments that stay as they run, and why (rollback pins, HPAs). */
  readonly notes: readonly string[];
  readonly pruneGuard: {
    readonly verdict: LivePruneGuard['verdict'];
    readonly holds: boolean;
    readonly reasons: readonly string[];
    readonly prunedDeployments: readonly string[];
    readonly removedNamespaces: readonly string[];
  };
}

export function namespacePlanView(plan: Plan, namespace: string): NamespacePlanView {
  const ns = plan.namespaces.find((n) => n.namespace === namespace);
  const g = plan.pruneGuard;
  const notes = [
    ...(ns?.rollbacks ?? []).map((r) =>
      r.held !== undefined
        ? `${r.name}: revision ${r.revision} failed (${r.held}); left as it runs until a commit changes it`
        : `${r.name}: rolled back to revision ${r.revision} (commit ${(r.commit ?? '').slice(0, 12)}) until a commit changes it`,
    ),
    ...(ns?.autoscaled ?? []).map((a) => `${a.deployment}: replicas managed by HPA ${a.autoscaler} (now ${a.replicas})`),
  ];
  return {
    commit: plan.commit,
    namespace,
    verdict: ns?.verdict ?? 'absent',
    ...(ns?.message !== undefined ? { message: ns.message } : {}),
    changes: (ns?.actions ?? []).map((a) => `${renderActionText(a)}${'next' in a && a.next !== undefined ? ` — next pass: ${a.next}` : ''}`),
    notes,
    pruneGuard: {
      verdict: g.verdict,
      holds: g.holds,
      reasons: [...g.reasons],
      prunedDeployments: [...g.prunedDeployments],
      removedNamespaces: [...g.removedNamespaces],
    },
  };
}

import { ownValue } from '../core/index.js';
import type { StoreState } from '../store/index.js';
import { EXIT } from './exit-codes.js';

export interface RolloutVerdict {
  /** A line like kubectl's `rollout status`. */
  readonly line: string;
  /** Set when watching can stop: the exit code. */
  readonly exit?: number;
}

/**
 * What `berth rollout status NS/NAME` says about the state the running berth wrote, for the
 * commit it is asked about: the source's head when the command looked (or `--commit`). Only a
 * pass over that commit counts — like kubectl waiting for `observedGeneration` to reach the
 * Deployment's generation — so right after a `git push`, before berth has picked the commit
 * up, the previous revision's "Complete" is not reported as this push's success (issue #14:
 * both e2e rollout failures were that race).
 *   Complete                     → `deployment "web" successfully rolled out`, exit 0
 *   RolledBack                   → the failed revision, why, what runs instead; exit 3
 *   Progressing/Waiting/Failed   → `Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...`
 */
export function rolloutVerdict(state: StoreState, namespace: string, name: string, commit: string): RolloutVerdict {
  const ns = ownValue(state.namespaces, namespace);
  const head = commit;
  if (!ns) return { line: `Waiting for namespace "${namespace}" to be synced at ${head.slice(0, 12)}...` };
  if (ns.lastAttemptedCommit !== head) return { line: `Waiting for commit ${head.slice(0, 12)} to be applied to namespace "${namespace}"...` };
  if (ns.phase === 'Invalid')
    return { line: `error: the manifests of namespace "${namespace}" at ${head.slice(0, 12)} are invalid: ${ns.message ?? ''}`.trimEnd(), exit: EXIT.invalid };
  const d = ns.deployments.find((x) => x.name === name);
  if (!d) {
    if (ns.phase === 'Error' || ns.phase === 'Refused') return { line: `Waiting for namespace "${namespace}": ${ns.phase}: ${ns.message ?? ''}`.trimEnd() };
    return { line: `error: deployment "${name}" is not in namespace "${namespace}" at ${head.slice(0, 12)}`, exit: EXIT.failure };
  }
  if (d.rolledBack && d.rolledBack.revision === d.revision) {
    // The failed revision is what Git asks for and there was nothing good to return to (a first deploy).
    const f = d.rolledBack;
    return {
      line: `error: deployment "${name}" rollout failed: revision ${f.revision} (commit ${f.commit.slice(0, 12)}) failed: ${f.reason}: ${f.message}; no earlier good revision, left as it is until a commit changes it`,
      exit: EXIT.failure,
    };
  }
  if (d.phase === 'RolledBack' || d.rolledBack) {
    const f = d.rolledBack;
    const why = f ? `revision ${f.revision} (commit ${f.commit.slice(0, 12)}) failed: ${f.reason}: ${f.message}` : 'the rollout failed';
    const now =
      d.phase === 'RolledBack'
        ? `; rolled back to revision ${d.revision}, ${d.availableReplicas} of ${d.replicas} available`
        : `; rolling back to revision ${d.revision}`;
    return { line: `error: deployment "${name}" rollout failed: ${why}${now}`, ...(d.phase === 'RolledBack' ? { exit: EXIT.failure } : {}) };
  }
  if (d.phase === 'Complete')
    return { line: `deployment "${name}" successfully rolled out (revision ${d.revision}${d.pinnedTo ? `, pinned to ${d.pinnedTo}` : ''})`, exit: EXIT.ok };
  if (d.updatedReplicas < d.replicas)
    return { line: `Waiting for deployment "${name}" rollout to finish: ${d.updatedReplicas} out of ${d.replicas} new replicas have been updated...` };
  if (d.phase === 'Failed') return { line: `Waiting for deployment "${name}": ${d.message ?? 'a step failed; retrying'}` };
  return { line: `Waiting for deployment "${name}" rollout to finish: ${d.availableReplicas} of ${d.replicas} updated replicas are available...` };
}

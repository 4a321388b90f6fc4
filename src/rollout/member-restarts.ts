import type { DesiredDeployment } from '../desired/index.js';
import type { ObservedMember, ObservedReplica } from '../observed/index.js';
import { restartDelayMs } from './backoff.js';

/** One container of a running Pod to start again in place: the containers of that name to remove first, and its restart record after it. */
export interface MemberRestart {
  readonly replica: ObservedReplica;
  /** Its name in the template. */
  readonly container: string;
  /** The containers of that name that are not running (removed before the new one starts: it reuses the name). */
  readonly remove: readonly ObservedMember[];
  /** Written as labels on the new container: count including this restart, at = now. */
  readonly restartRecord: { readonly count: number; readonly at: string };
}

/**
 * The containers of running Pods to restart in place now, as the kubelet restarts a container
 * of a pod: each with its own crash back-off (restartDelayMs over its own restart count, from
 * the labels of the container it replaces), never the whole Pod. Pure. Only Pods of the desired
 * revision: an older revision's Pod is not ready meanwhile, so the rollout replaces it.
 * `backoff`: the earliest moment a container still waiting may restart, and why.
 *   log exited, never restarted                      → restart now, count 1
 *   log exited again, restarted once at t (count 1)  → at t + 10 s, count 2
 *   sidecar proxy and app web both down              → proxy now; web in a later pass, once proxy runs
 */
export function memberRestarts(
  desired: DesiredDeployment | undefined,
  replicas: readonly ObservedReplica[],
  now: Date,
): { restart: MemberRestart[]; backoff?: { until: Date; why: string } } {
  const restart: MemberRestart[] = [];
  let backoff: { until: Date; why: string } | undefined;
  if (!desired || !replicas.some((r) => r.down)) return { restart };
  // In start order (sidecars first); a sidecar that is down holds back the containers after it, as at the Pod's start.
  const sidecars = new Set((desired.template.sidecars ?? []).map((c) => c.name));
  for (const r of replicas) {
    if (r.state !== 'running' || !r.down || r.revision !== desired.revision) continue;
    for (const container of r.down) {
      const remove = (r.members ?? []).filter((m) => m.container === container && m.state !== 'running');
      const last = [...remove].sort((a, b) => b.created.localeCompare(a.created))[0];
      const record = last?.restart;
      const readyAt = record ? Date.parse(record.at) + restartDelayMs(record.count) : now.getTime();
      if (readyAt <= now.getTime()) {
        restart.push({ replica: r, container, remove, restartRecord: { count: (record?.count ?? 0) + 1, at: now.toISOString() } });
        if (sidecars.has(container)) break; // the next ones once it runs (and started up)
        continue;
      }
      if (!backoff || readyAt < backoff.until.getTime()) {
        const code = last?.exitCode !== undefined ? ` (exit code ${last.exitCode})` : '';
        backoff = {
          until: new Date(readyAt),
          why: `container ${JSON.stringify(container)} of replica ${r.replica} exited${code}; restarting it after back-off`,
        };
      }
      if (sidecars.has(container)) break;
    }
  }
  return { restart, ...(backoff ? { backoff } : {}) };
}

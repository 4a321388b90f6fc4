import type { ObservedReplica } from '../observed/index.js';

/**
 * Crash-loop back-off, as the kubelet does it: a replica that exits is replaced at once the
 * first time, then after 10 s, 20 s, 40 s … capped at 5 minutes.
 *   restartDelayMs(0) = 0, restartDelayMs(1) = 10_000, restartDelayMs(3) = 40_000, restartDelayMs(9) = 300_000
 */
export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;

export function restartDelayMs(previousRestarts: number): number {
  if (previousRestarts <= 0) return 0;
  return Math.min(BACKOFF_INITIAL_MS * 2 ** (previousRestarts - 1), BACKOFF_MAX_MS);
}

/** Restarts already made for one replica slot (namespace/deployment/revision/ordinal). */
export interface RestartRecord {
  readonly count: number;
  readonly lastAt: Date;
}

/**
 * The restart records of a Deployment's replicas, rebuilt from the labels of the containers
 * that were made as restarts (observed `restart`): per slot, the highest count seen. This is
 * the only memory of restarts, so a restarted berth continues where the last one was.
 *   [web rev a slot 0 restart {1, t1}, web rev a slot 0 restart {2, t2}] → { 'ns/web/a/0': { count: 2, lastAt: t2 } }
 */
export function restartRecordsOf(replicas: readonly ObservedReplica[]): Map<string, RestartRecord> {
  const out = new Map<string, RestartRecord>();
  for (const r of replicas) {
    if (!r.restart) continue;
    const key = restartKey(r.namespace, r.deployment, r.revision, r.replica);
    const known = out.get(key);
    if (!known || r.restart.count > known.count) out.set(key, { count: r.restart.count, lastAt: new Date(r.restart.at) });
  }
  return out;
}

export function restartKey(namespace: string, deployment: string, revision: string, replica: number): string {
  return `${namespace}/${deployment}/${revision}/${replica}`;
}

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

export function restartKey(namespace: string, deployment: string, revision: string, replica: number): string {
  return `${namespace}/${deployment}/${revision}/${replica}`;
}

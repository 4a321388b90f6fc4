const MAX_BACKOFF_MS = 60_000;

/**
 * berth's one retry back-off (a failed pass, reconnecting the engine's event stream, a
 * notification that was not accepted): `baseMs` after the first failure, doubling, capped at `maxMs`.
 *   backoffMs(1) = 1_000, backoffMs(3) = 4_000, backoffMs(7) = 60_000, backoffMs(6, 30_000) = 30_000,
 *   backoffMs(2, 60_000, 50) = 100
 */
export function backoffMs(attempt: number, maxMs = MAX_BACKOFF_MS, baseMs = 1000): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), maxMs);
}

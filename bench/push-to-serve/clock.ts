/**
 * One clock for every timestamp of the benchmark: epoch milliseconds with sub-millisecond
 * resolution (performance.timeOrigin + performance.now()). berth's pino `time`, the hook's
 * Date.now() and the engine's `timeNano` are epoch times on the same machine, so they can be
 * placed on the same axis (to the millisecond).
 */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `check` every 200 ms until it gives a value (a throw counts as "not yet"); throws when
 * `timeoutMs` passes or `stopped()` says the benchmark is being interrupted.
 */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, stopped: () => boolean = () => false): Promise<T> {
  const deadline = now() + timeoutMs;
  for (;;) {
    if (stopped()) throw new Error('interrupted');
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

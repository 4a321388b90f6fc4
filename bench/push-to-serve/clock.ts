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

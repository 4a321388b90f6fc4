/**
 * A bounded pool: at most `limit` tasks run at once, the rest wait in FIFO order.
 * Used to read many git objects concurrently without opening thousands of files at once, and
 * to ask the engine about many containers that died at once without thousands of requests.
 * A slot is held only while a task's own promise is pending, so a task may schedule more
 * tasks on the same pool (recursive tree walks) without deadlocking, as long as it does not
 * await them while holding its slot.
 */
export type Pool = <T>(task: () => Promise<T>) => Promise<T>;

export function boundedPool(limit: number): Pool {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`pool limit must be a positive integer, got ${limit}`);
  let active = 0;
  const waiting: Array<() => void> = [];

  const acquire = (): Promise<void> | undefined => {
    if (active < limit) {
      active++;
      return undefined;
    }
    return new Promise<void>((resolve) => waiting.push(resolve));
  };
  // The slot passes straight to the next waiter (active stays the same), so a newcomer
  // cannot slip in between a release and the waiter's wake-up and overshoot the limit.
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };

  return async <T>(task: () => Promise<T>): Promise<T> => {
    await acquire();
    try {
      return await task();
    } finally {
      release();
    }
  };
}

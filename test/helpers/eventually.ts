/**
 * NOTE: give every `assert.ok` inside a check a message. Without one, node:assert re-reads and
 * parses the whole test file with acorn to describe the failure: seconds of blocked event
 * loop per retry (it starved a Git server living in the same process for 90 s once).
 *
 * Polls `check` until it returns without throwing, or rethrows its last error after
 * `timeoutMs`. Assertions are about the state of the world, so they are retried rather than
 * timed: the timeout is a safety net against a hang, never the thing under test.
 */
export async function eventually<T>(check: () => Promise<T> | T, options: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      lastError = err;
      // A check may declare that waiting cannot help (the process under test died).
      if ((err as { fatal?: boolean }).fatal) throw err;
    }
    if (Date.now() > deadline) {
      const what = options.what ? ` (${options.what})` : '';
      const reason = lastError instanceof Error ? lastError.message : String(lastError);
      throw new Error(`condition not met within ${timeoutMs} ms${what}: ${reason}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Resources a benchmark must release whatever happens (end, error, Ctrl-C), newest first.
 * `run()` releases them once; every exit path awaits the same promise before `process.exit`,
 * so a signal can never cut a cleanup half-way.
 */
export class Cleanups {
  private readonly steps: Array<() => Promise<void>> = [];
  private running: Promise<void> | undefined;

  constructor(private readonly report: (message: string) => void) {}

  push(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  /** Runs `step` now and forgets it (it was registered with `push`); the cleanup owns it once started. */
  async releaseNow(step: () => Promise<void>): Promise<void> {
    if (this.running) return;
    const i = this.steps.indexOf(step);
    if (i !== -1) this.steps.splice(i, 1);
    await step();
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length > 0) {
        const step = this.steps.pop()!;
        try {
          await step();
        } catch (err) {
          this.report(`cleanup step failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    })();
    return this.running;
  }
}

/** Set once a signal or a failure interrupts the benchmark (one per process): its waits then give up. */
let interrupted = false;

export function isInterrupted(): boolean {
  return interrupted;
}

/**
 * Runs a benchmark's `main` with the exit paths every benchmark shares: an uncaught error or a
 * rejected promise fails it (exit 1), SIGINT/SIGTERM interrupt it (exit 130; a second signal
 * while cleaning up keeps cleaning), and every path runs `cleanups` before `process.exit`.
 * An interruption sets isInterrupted().
 */
export function runBenchmark(o: { readonly main: () => Promise<number>; readonly cleanups: Cleanups; readonly progress: (message: string) => void }): void {
  const describe = (err: unknown): string => (err instanceof Error ? (err.stack ?? err.message) : String(err));
  const cleanUp = () => o.cleanups.run();
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.on(event, (err: unknown) => {
      process.stderr.write(`[bench] FAILED (${event}): ${describe(err)}\n`);
      interrupted = true;
      void cleanUp().finally(() => process.exit(1));
    });
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      o.progress(`${signal}: cleaning up`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  o.main()
    .catch((err: unknown) => {
      if (!interrupted) process.stderr.write(`[bench] FAILED: ${describe(err)}\n`);
      return 1;
    })
    .then(async (code) => {
      await cleanUp();
      process.exit(interrupted ? 130 : code);
    });
}

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

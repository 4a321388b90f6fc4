import { describeError, type Logger } from '../core/index.js';

/**
 * Turns verified pushes into syncs without piling them up. At most one hook-triggered sync
 * is in flight; a push that arrives meanwhile only marks "again", and when the running sync
 * ends, one more runs (it fetches whatever those pushes brought). Syncs also start at least
 * `minIntervalMs` apart (default 2 s): a push arriving just after a sync ended waits for the
 * rest of that interval, with every push arriving meanwhile, instead of starting a fetch of its
 * own. So a burst of N pushes within the interval costs at most 2 syncs (fetches): the one it
 * started and one after it; a sustained flood costs one fetch per interval.
 * Example (interval 2 s, fetch 70 ms): 200 deliveries between t=0 and t=1.2 s → sync#1 at t=0,
 * sync#2 at t=2 s. Without the interval each delivery arriving after a sync ended started a
 * new one: 200 replayed deliveries cost 14 fetches (#15).
 * The controller coalesces again across triggers (poll, API, hooks), and passes are
 * level-triggered, so a pass per new commit is all any burst can cause.
 *
 * The request that fired is answered at once (202); the sync's outcome is logged here.
 */
export interface HookTriggerOptions {
  /** Least time between the starts of two hook-triggered syncs. Default 2000 ms. */
  readonly minIntervalMs?: number;
  /** Injected for tests: the time in ms, and a wait. Default: Date.now and setTimeout. */
  readonly now?: () => number;
  readonly wait?: (ms: number) => Promise<void>;
}

export const DEFAULT_HOOK_MIN_INTERVAL_MS = 2000;

export class HookTrigger {
  private running = false;
  private again = false;
  private closed = false;
  private lastStart = -Infinity;
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private readonly wait: (ms: number) => Promise<void>;

  constructor(
    private readonly sync: () => Promise<{ commit?: string }>,
    private readonly logger: Logger,
    private readonly onSettled: (result: 'ok' | 'failed') => void = () => undefined,
    options: HookTriggerOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? DEFAULT_HOOK_MIN_INTERVAL_MS;
    this.now = options.now ?? Date.now;
    this.wait = options.wait ?? ((ms) => new Promise((r) => setTimeout(r, ms).unref()));
  }

  /** 'started' a sync (now, or at the end of the interval), or 'coalesced' into one already started or waiting. */
  fire(): 'started' | 'coalesced' {
    if (this.running) {
      this.again = true;
      return 'coalesced';
    }
    void this.run();
    return 'started';
  }

  /** No more syncs start after this (a running one finishes in the controller). */
  close(): void {
    this.closed = true;
    this.again = false;
  }

  /** `running` covers the wait for the interval too: pushes meanwhile coalesce into this sync. */
  private async run(): Promise<void> {
    this.running = true;
    const waitMs = this.lastStart + this.minIntervalMs - this.now();
    if (waitMs > 0) await this.wait(waitMs);
    if (this.closed) {
      this.running = false;
      return;
    }
    this.again = false;
    this.lastStart = this.now();
    let pending: Promise<{ commit?: string }>;
    try {
      pending = this.sync();
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending
      .then(
        (r) => {
          this.onSettled('ok');
          this.logger.info({ commit: r.commit }, 'hook-triggered sync done');
        },
        (err: unknown) => {
          this.onSettled('failed');
          this.logger.warn({ err: describeError(err) }, 'hook-triggered sync failed; the poll retries');
        },
      )
      .finally(() => {
        this.running = false;
        if (this.again && !this.closed) void this.run();
      });
  }
}

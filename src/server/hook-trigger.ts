import { describeError, type Logger } from '../core/index.js';

/**
 * Turns verified pushes into syncs without piling them up. At most one hook-triggered sync
 * is in flight; a push that arrives meanwhile only marks "again", and when the running sync
 * ends, one more runs (it fetches whatever those pushes brought). So a burst of N pushes
 * costs at most 2 syncs (fetches): the one running when the burst began, and one after it.
 * Example: pushes at t=0,1,…,19 while the first sync takes 30 → sync#1 (t=0), sync#2 (t=30).
 * The controller coalesces again across triggers (poll, API, hooks), and passes are
 * level-triggered, so a pass per new commit is all any burst can cause.
 *
 * The request that fired is answered at once (202); the sync's outcome is logged here.
 */
export class HookTrigger {
  private running = false;
  private again = false;
  private closed = false;

  constructor(
    private readonly sync: () => Promise<{ commit?: string }>,
    private readonly logger: Logger,
    private readonly onSettled: (result: 'ok' | 'failed') => void = () => undefined,
  ) {}

  /** 'started' a sync now, or 'coalesced' into the one running (which will run once more). */
  fire(): 'started' | 'coalesced' {
    if (this.running) {
      this.again = true;
      return 'coalesced';
    }
    this.run();
    return 'started';
  }

  /** No more syncs start after this (a running one finishes in the controller). */
  close(): void {
    this.closed = true;
    this.again = false;
  }

  private run(): void {
    this.running = true;
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
        if (this.again && !this.closed) {
          this.again = false;
          this.run();
        }
      });
  }
}

import type { Clock } from '../core/index.js';

/**
 * A keyed work queue (controller-runtime style): enqueueing a key that is already waiting is
 * a no-op; a key is never processed twice at once (a key enqueued while running runs once
 * more afterwards); different keys run in parallel up to `concurrency`. The worker returns
 * when to come back (`requeueAfterMs`), or nothing for "at the next trigger". With `holdOff`
 * (a failed pass backing off) ordinary enqueues of that key are ignored until the retry is due:
 * without it, the engine's own events about a failed create re-ran the failing pass every
 * ~60 ms forever (found by test/e2e/chaos.test.ts). `enqueue(key, 0, { force: true })` (a new
 * commit, a rollback) goes through anyway. The hold is measured on the injected clock.
 */
export type Worker = (key: string) => Promise<{ readonly requeueAfterMs?: number; readonly holdOff?: boolean }>;

export interface WorkQueueOptions {
  /** When a back-off ends is measured on this clock. */
  readonly clock: Clock;
  /** Keys run at once at most. Default 8. */
  readonly concurrency?: number;
}

export class WorkQueue {
  private readonly waiting = new Set<string>();
  private readonly order: string[] = [];
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Keys backing off after a failed pass: epoch ms before which plain enqueues are ignored. */
  private readonly notBefore = new Map<string, number>();
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  private readonly clock: Clock;
  private readonly concurrency: number;

  constructor(
    private readonly worker: Worker,
    options: WorkQueueOptions,
  ) {
    this.clock = options.clock;
    this.concurrency = options.concurrency ?? 8;
  }

  enqueue(key: string, delayMs = 0, options: { readonly force?: boolean } = {}): void {
    if (this.stopped) return;
    const holdUntil = this.notBefore.get(key);
    if (holdUntil !== undefined) {
      const now = this.clock.now().getTime();
      if (!options.force && now < holdUntil && delayMs === 0) return;
      if (options.force || now >= holdUntil) this.notBefore.delete(key);
    }
    if (delayMs > 0) {
      const existing = this.timers.get(key);
      if (existing) clearTimeout(existing);
      this.timers.set(
        key,
        setTimeout(() => {
          this.timers.delete(key);
          this.enqueue(key, 0, { force: true }); // the retry itself is never held off
        }, delayMs),
      );
      return;
    }
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.waiting.has(key)) return;
    this.waiting.add(key);
    this.order.push(key);
    this.pump();
  }

  /** Resolves when nothing is running or waiting (timers for later are not counted). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  hasTimers(): boolean {
    return this.timers.size > 0;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.waiting.clear();
    this.order.length = 0;
  }

  private isIdle(): boolean {
    return this.running.size === 0 && this.waiting.size === 0;
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.concurrency && this.order.length > 0) {
      const key = this.order.shift()!;
      this.waiting.delete(key);
      this.running.add(key);
      void this.run(key);
    }
    if (this.isIdle()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async run(key: string): Promise<void> {
    let requeueAfterMs: number | undefined;
    let holdOff = false;
    try {
      ({ requeueAfterMs, holdOff = false } = await this.worker(key));
    } catch {
      requeueAfterMs = 5000; // the worker maps its own errors; this is a last resort
      holdOff = true;
    } finally {
      this.running.delete(key);
    }
    if (holdOff && requeueAfterMs !== undefined) {
      this.notBefore.set(key, this.clock.now().getTime() + requeueAfterMs);
      this.dirty.delete(key);
      this.enqueue(key, requeueAfterMs);
    } else if (this.dirty.delete(key)) this.enqueue(key);
    else if (requeueAfterMs !== undefined) this.enqueue(key, requeueAfterMs);
    this.pump();
  }
}

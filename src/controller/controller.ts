import { schedule as cronSchedule, type ScheduledTask } from 'node-cron';
import { describeError, type Clock, type Logger } from '../core/index.js';
import { LABEL, type RuntimeDriver } from '../runtime/index.js';
import type { Store } from '../store/index.js';
import type { DesiredSource, SourceRevision } from './desired-source.js';
import { Reconciler, type PassOutcome } from './reconcile.js';
import { WorkQueue } from './work-queue.js';

export interface ControllerOptions {
  readonly desiredSource: DesiredSource;
  readonly driver: RuntimeDriver;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly instance: string;
  /** node-cron expression (with seconds) for polling the source. Default: every 10 s. */
  readonly pollSchedule?: string;
  /** Namespaces reconciled at once. Default 8. */
  readonly concurrency?: number;
}

export const DEFAULT_POLL_SCHEDULE = '*/10 * * * * *';

/**
 * Drives the pipeline. Triggers (poll, engine events, an explicit sync) only fetch and
 * enqueue namespace keys; the queue runs one pass per namespace at a time, namespaces in
 * parallel. Nothing here crashes the loop: a failed fetch keeps the last desired state and
 * retries at the next poll; a failed pass is requeued by its error's handling.
 */
export class Controller {
  private readonly queue: WorkQueue;
  private readonly reconciler: Reconciler;
  private readonly outcomes = new Map<string, PassOutcome>();
  private syncing: Promise<SourceRevision | undefined> | undefined;
  private syncAgain = false;
  private task: ScheduledTask | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly o: ControllerOptions) {
    this.reconciler = new Reconciler(o);
    this.queue = new WorkQueue(async (ns) => {
      const outcome = await this.reconciler.reconcile(ns);
      this.outcomes.set(ns, outcome);
      return outcome.requeueAfterMs !== undefined ? { requeueAfterMs: outcome.requeueAfterMs } : {};
    }, o.concurrency ?? 8);
  }

  /** Starts the poll schedule and the engine event watch, and runs a first sync now. */
  start(): void {
    const schedule = this.o.pollSchedule ?? DEFAULT_POLL_SCHEDULE;
    this.task = cronSchedule(schedule, () => void this.sync(), { noOverlap: true, name: 'berth-poll' });
    void this.watchEvents();
    void this.sync();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.task?.stop();
    this.queue.stop();
    await this.queue.idle();
  }

  /**
   * Fetches the source and enqueues every namespace (desired ∪ observed). Concurrent calls
   * coalesce: one running sync plus at most one queued behind it.
   */
  sync(): Promise<SourceRevision | undefined> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = this.syncOnce().finally(() => {
      this.syncing = undefined;
      if (this.syncAgain) {
        this.syncAgain = false;
        void this.sync();
      }
    });
    return this.syncing;
  }

  private async syncOnce(): Promise<SourceRevision | undefined> {
    const ds = this.o.desiredSource;
    let revision: SourceRevision | undefined;
    try {
      const r = await ds.refresh();
      revision = r.revision;
      if (r.changed) await this.o.store.putSource({ description: ds.description, commit: r.revision.commit.oid, updatedAt: this.o.clock.now().toISOString() });
    } catch (err) {
      revision = ds.current();
      this.o.logger.warn({ source: ds.description, err: describeError(err) }, 'source fetch failed; keeping what runs');
      await this.o.store
        .putSource({ description: ds.description, ...(revision ? { commit: revision.commit.oid } : {}), error: describeError(err), updatedAt: this.o.clock.now().toISOString() })
        .catch(() => undefined);
    }
    if (revision) await this.enqueueAll(revision);
    return revision;
  }

  private async enqueueAll(revision: SourceRevision): Promise<void> {
    const names = new Set(revision.desired.namespaces.map((n) => n.name));
    try {
      const inventory = await this.o.driver.inventory();
      for (const c of inventory.containers) {
        const ns = c.labels[LABEL.namespace];
        if (ns) names.add(ns);
      }
      for (const n of inventory.networks) {
        const ns = n.labels[LABEL.namespace];
        if (ns) names.add(ns);
      }
    } catch (err) {
      this.o.logger.warn({ err: describeError(err) }, 'engine inventory failed; reconciling desired namespaces only');
    }
    for (const ns of names) this.queue.enqueue(ns);
  }

  /** For `apply --once`: sync, then wait until every namespace is ready or stalled (or the deadline passes). */
  async converge(deadline: Date): Promise<ReadonlyMap<string, PassOutcome>> {
    const revision = await this.sync();
    if (!revision) return this.outcomes;
    for (;;) {
      await this.queue.idle();
      const settled = [...this.outcomes.values()].every((o) => o.result === 'ready' || o.result === 'stalled');
      if ((settled && !this.queue.hasTimers()) || this.o.clock.now() >= deadline) return this.outcomes;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Engine events: an owned container died or was removed → reconcile its namespace now. */
  private async watchEvents(): Promise<void> {
    let attempt = 0;
    while (!this.abort.signal.aborted) {
      try {
        await this.o.driver.watch((event) => {
          if (event.kind === 'stream-error') return;
          attempt = 0;
          if (event.kind === 'container-started') return;
          const ns = event.labels[LABEL.namespace];
          if (ns) this.queue.enqueue(ns);
        }, this.abort.signal);
      } catch (err) {
        this.o.logger.debug({ err: describeError(err) }, 'engine event stream failed');
      }
      if (this.abort.signal.aborted) break;
      attempt++;
      await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** (attempt - 1), 30_000)));
      // Events may have been missed while disconnected: a level-triggered sweep repairs that.
      const revision = this.o.desiredSource.current();
      if (revision) await this.enqueueAll(revision);
    }
  }
}

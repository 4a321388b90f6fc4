/**
 * Sends what events.ts decides to the targets of targets.ts, off the pass: `notify*` only
 * queues and returns. Each request is retried with berth's back-off until it is accepted (2xx)
 * or `maxAttempts` is spent; a 4xx other than 408/429 is not retried (the receiver refused it
 * for good). Each receiver has its own queue, delivered one at a time in order (a commit's
 * `pending` never lands after its `success`), so a receiver that is down delays only itself. Logs name the target by scheme and host only: webhook URLs and tokens are credentials.
 */
import { randomUUID } from 'node:crypto';
import { backoffMs, describeError, type Clock, type Logger } from '../core/index.js';
import type { NamespaceStatus, StoreState } from '../store/index.js';
import { commitStateOf, eventsFor, type CommitState, type NotificationEvent } from './events.js';
import { commitStatusRequest, eventRequests, type NotifyConfig, type OutgoingRequest } from './targets.js';

export interface NotifierOptions {
  readonly config: NotifyConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Attempts per request (default 6: 1 + 2 + 4 + 8 + 16 s of back-off). */
  readonly maxAttempts?: number;
  /** The first back-off (default 1 s); it doubles, capped at 60 s. */
  readonly retryBaseMs?: number;
  /** Per-attempt timeout (default 10 s). */
  readonly timeoutMs?: number;
}

export interface DeliveryCounts {
  delivered: number;
  failed: number;
  retried: number;
}

export class Notifier {
  /** One queue per receiver URL, with the promise draining it. */
  private readonly queues = new Map<string, { items: OutgoingRequest[]; running: Promise<void> }>();
  private closed = false;
  /** The last commit state sent per commit (a repeat of the same state is not sent again). */
  private readonly sentStates = new Map<string, CommitState>();
  private readonly abort = new AbortController();
  readonly counts: DeliveryCounts = { delivered: 0, failed: 0, retried: 0 };

  constructor(private readonly o: NotifierOptions) {}

  get enabled(): boolean {
    const c = this.o.config;
    return c.webhooks.length > 0 || c.slack.length > 0 || c.commitStatus !== undefined;
  }

  /** A namespace status was written: queue the events it means and the commit's new state. */
  statusWritten(prev: NamespaceStatus | undefined, next: NamespaceStatus, state: StoreState): void {
    if (!this.enabled) return;
    for (const event of eventsFor(prev, next)) this.event(event);
    if (next.lastAttemptedCommit) this.commitState(state, next.lastAttemptedCommit);
  }

  /** The source moved to `commit`: it is pending until every namespace has applied it. */
  commitPickedUp(commit: string, state: StoreState): void {
    if (this.enabled) this.commitState(state, commit);
  }

  event(event: NotificationEvent): void {
    const meta = { id: randomUUID(), time: this.o.clock.now().toISOString() };
    this.o.logger.info(
      { event: event.kind, namespace: event.namespace, deployment: event.deployment, commit: event.commit.slice(0, 12) },
      'notification queued',
    );
    for (const r of eventRequests(this.o.config, event, meta)) this.enqueue(r);
  }

  private commitState(state: StoreState, commit: string): void {
    const judged = commitStateOf(state, commit);
    if (this.sentStates.get(commit) === judged.state) return;
    this.sentStates.set(commit, judged.state);
    if (this.sentStates.size > 64) this.sentStates.delete(this.sentStates.keys().next().value!);
    const request = commitStatusRequest(this.o.config, commit, judged.state, judged.description);
    if (request) this.enqueue(request);
  }

  private enqueue(request: OutgoingRequest): void {
    if (this.closed) return;
    const queue = this.queues.get(request.url);
    if (queue) {
      queue.items.push(request);
      return;
    }
    const items = [request];
    const drain = async () => {
      for (let r = items.shift(); r; r = items.shift()) await this.deliver(r);
    };
    this.queues.set(request.url, {
      items,
      running: drain().finally(() => this.queues.delete(request.url)),
    });
  }

  private async deliver(r: OutgoingRequest): Promise<void> {
    const max = this.o.maxAttempts ?? 6;
    for (let attempt = 1; attempt <= max && !this.abort.signal.aborted; attempt++) {
      const outcome = await this.send(r);
      if (outcome === 'ok') {
        this.counts.delivered++;
        return;
      }
      if (outcome.final || attempt === max) {
        this.counts.failed++;
        this.o.logger.warn({ target: r.target, attempts: attempt, err: outcome.error }, 'notification not delivered');
        return;
      }
      this.counts.retried++;
      const wait = backoffMs(attempt, 60_000, this.o.retryBaseMs ?? 1000);
      this.o.logger.debug({ target: r.target, attempt, retryInMs: wait, err: outcome.error }, 'notification not accepted; retrying');
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.abort.signal.removeEventListener('abort', wake);
          resolve();
        };
        const timer = setTimeout(wake, wait);
        this.abort.signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  private async send(r: OutgoingRequest): Promise<'ok' | { final: boolean; error: string }> {
    try {
      const res = await fetch(r.url, {
        method: 'POST',
        headers: r.headers,
        body: r.body,
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.timeoutMs ?? 10_000)]),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return 'ok';
      return { final: res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429, error: `HTTP ${res.status}` };
    } catch (err) {
      return { final: false, error: describeError(err) };
    }
  }

  /** Waits up to `graceMs` for what is queued, then gives up on the rest. */
  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    const running = Promise.all([...this.queues.values()].map((q) => q.running));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([running, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    this.abort.abort();
    await running;
  }
}

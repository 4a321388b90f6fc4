import { schedule as cronSchedule, validate as isValidCron, type ScheduledTask } from 'node-cron';
import { BerthError, describeError, ownValue } from '../core/index.js';
import { nodeRows, observe, ObserveMemo, podsOf, replicaVerdict, type NodeRow, type PodStatus } from '../observed/index.js';
import { confirmedVolumeDeletes, describeHold, guardLivePrunes, isPruneConfirmed, type LivePruneGuard, type Plan, specHash } from '../plan/index.js';
import { LABEL } from '../runtime/index.js';
import type { DesiredDeployment, DesiredState } from '../desired/index.js';
import type { SourceRevision } from './desired-source.js';
import { Reconciler, type PassOutcome, type ReconcilerOptions } from './reconcile.js';
import { backoffMs } from './error-handling.js';
import { runTargets } from './run-targets.js';
import { livePlan } from './live-plan.js';
import { DecisionMemo } from './decision-memo.js';
import { commitSummary } from '../source/index.js';
import { WorkQueue } from './work-queue.js';
import { Autoscaler, DEFAULT_AUTOSCALE_SYNC_MS } from './autoscaler.js';
import { Prober } from '../health/index.js';

export interface ControllerOptions extends Omit<ReconcilerOptions, 'prober'> {
  /** node-cron expression (with seconds) for polling the source. Default: every 10 s. */
  readonly pollSchedule?: string;
  /** Namespaces reconciled at once. Default 8. */
  readonly concurrency?: number;
  /**
   * A poll that finds no new commit reconciles every namespace only when the last full sweep
   * is older than this (engine events repair single containers in between). Default 60 s,
   * like Argo CD's periodic resync; a sweep lists containers once per namespace.
   */
  readonly resyncMs?: number;
  /** The branch berth follows (`--ref`), for webhooks; undefined = the remote's default branch. */
  readonly watchedRef?: string;
  /** How often HPAs are evaluated (`--hpa-sync-period`). Default 15 s, as Kubernetes. */
  readonly autoscaleSyncMs?: number;
}

/** What one sync saw: the desired state berth works from, and the fetch error when the fetch failed. */
interface SyncResult {
  readonly revision?: SourceRevision;
  readonly error?: unknown;
}

/** The head commit as the store's source record keeps it: id, subject, author name, time. */
function headOf(revision: SourceRevision): { commit: string; subject: string; author: string; committedAt: string } {
  const { subject, author, time } = commitSummary(revision.commit);
  return { commit: revision.commit.oid, subject, author, committedAt: time };
}

export const DEFAULT_POLL_SCHEDULE = '*/10 * * * * *';

/** Whether `expression` is a schedule the poll trigger takes (node-cron syntax, with seconds): node-cron stays here. */
export function isValidPollSchedule(expression: string): boolean {
  return isValidCron(expression);
}

/**
 * Drives the pipeline. Triggers (poll, engine events, an explicit sync) only fetch and
 * enqueue namespace keys; the queue runs one pass per namespace at a time, namespaces in
 * parallel. Nothing here crashes the loop: a failed fetch keeps the last desired state and
 * retries at the next poll; a failed pass is requeued by its error's handling.
 */
export class Controller {
  private readonly queue: WorkQueue;
  private readonly reconciler: Reconciler;
  /** What observe() remembers of the engine's containers between passes (ObserveMemo), when its driver's labels are fixed. */
  private readonly observeMemo: ObserveMemo | undefined;
  /** The settled decisions of its passes and live plans (DecisionMemo): with the ObserveMemo only, whose unchanged replicas it recognizes. */
  private readonly decisionMemo: DecisionMemo | undefined;
  private readonly outcomes = new Map<string, PassOutcome>();
  private syncing: Promise<SyncResult> | undefined;
  /** The sync queued behind the running one (at most one), shared by every caller that asked meanwhile. */
  private queued: Promise<SyncResult> | undefined;
  private task: ScheduledTask | undefined;
  private readonly abort = new AbortController();
  private lastSweep = 0;
  /** Whether the data plane answered the last time it was asked (a watchdog: see dataPlaneLost). */
  private dataPlaneUp = false;
  /** The prune guard's verdict on the latest commit, judged on a whole-engine inventory. */
  private guard: { commit: string; guard: LivePruneGuard } | undefined;

  private readonly prober: Prober;
  private readonly autoscaler: Autoscaler;
  private autoscaleTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly o: ControllerOptions) {
    this.observeMemo = o.driver.labelsFixed ? new ObserveMemo() : undefined;
    this.decisionMemo = o.driver.labelsFixed ? new DecisionMemo() : undefined;
    // Probes keep running between passes; a verdict that changes (ready, unready, restart) reconciles the namespace at once.
    this.prober = new Prober({
      exec: (id, command, timeoutMs) => o.driver.exec(id, command, timeoutMs),
      now: () => o.clock.now(),
      logger: o.logger.child({ component: 'prober' }),
      onChange: (event) => this.queue.enqueue(event.namespace),
    });
    this.reconciler = new Reconciler({
      ...o,
      observeMemo: this.observeMemo,
      decisionMemo: this.decisionMemo,
      prober: this.prober,
      pruneGuard: (commit) => (this.guard?.commit === commit ? this.guard.guard : undefined),
    });
    this.queue = new WorkQueue(
      async (ns) => {
        const outcome = await this.reconciler.reconcile(ns);
        this.outcomes.set(ns, outcome);
        return outcome.requeueAfterMs !== undefined ? { requeueAfterMs: outcome.requeueAfterMs, holdOff: outcome.result === 'error' } : {};
      },
      { clock: o.clock, ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}) },
    );
    this.autoscaler = new Autoscaler({
      driver: o.driver,
      ...(o.dataPlane ? { dataPlane: o.dataPlane } : {}),
      store: o.store,
      clock: o.clock,
      logger: o.logger.child({ component: 'autoscaler' }),
      current: () => o.desiredSource.current()?.desired,
      pods: (namespace) => this.pods({ namespace }),
      scaled: (namespace) => this.queue.enqueue(namespace, 0, { force: true }),
    });
  }

  /** Starts the poll schedule and the engine event watch, and runs a first sync now. */
  start(): void {
    const schedule = this.o.pollSchedule ?? DEFAULT_POLL_SCHEDULE;
    this.task = cronSchedule(schedule, () => void this.sync(), { noOverlap: true, name: 'berth-poll' });
    void this.watchEvents();
    void this.sync();
    this.autoscaleTimer = setInterval(() => void this.autoscaler.sync(), this.o.autoscaleSyncMs ?? DEFAULT_AUTOSCALE_SYNC_MS);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    clearInterval(this.autoscaleTimer);
    await this.task?.stop();
    this.queue.stop();
    await this.queue.idle();
    await this.reconciler.settle();
    this.prober.close();
  }

  /**
   * Fetches the source and enqueues every namespace (desired ∪ observed). Concurrent calls
   * coalesce: one running sync plus at most one queued behind it. Resolves with the desired
   * state berth works from (the last good one when this fetch failed).
   */
  async sync(): Promise<SourceRevision | undefined> {
    return (await this.syncResult()).revision;
  }

  /**
   * An explicit "fetch now" (API, webhooks): resolves with the commit a fetch that began after
   * the call resolved to, or throws that fetch's error (the API answers it as 503: a sync that
   * did not fetch must not be reported as accepted).
   */
  async syncNow(): Promise<{ commit: string }> {
    const r = await this.syncResult();
    if (r.error !== undefined || !r.revision) {
      throw r.error instanceof BerthError
        ? r.error
        : new BerthError('SOURCE_UNREACHABLE', `source fetch failed: ${describeError(r.error)}`, { cause: r.error });
    }
    return { commit: r.revision.commit.oid };
  }

  /**
   * One running sync plus at most one queued: a caller arriving while a sync runs gets the
   * queued one (its fetch starts after the call, so it sees what was pushed before it).
   */
  private syncResult(): Promise<SyncResult> {
    if (!this.syncing) {
      this.syncing = this.syncOnce().finally(() => {
        this.syncing = undefined;
      });
      return this.syncing;
    }
    if (!this.queued) {
      const next = () => {
        this.queued = undefined;
        return this.syncResult();
      };
      this.queued = this.syncing.then(next, next);
    }
    return this.queued;
  }

  private async syncOnce(): Promise<SyncResult> {
    const ds = this.o.desiredSource;
    let revision: SourceRevision | undefined;
    let changed = true;
    let error: unknown;
    try {
      const r = await ds.refresh();
      revision = r.revision;
      changed = r.changed;
      // A fetch that succeeds clears the source error whatever the commit (a branch deleted and
      // recreated at the same commit left `source.error` and berth_source_fetch_failing set: #15).
      const recorded = this.o.store.readState().source;
      if (r.changed || recorded?.error !== undefined || recorded?.commit !== r.revision.commit.oid) {
        await this.o.store.putSource({ description: ds.description, ...headOf(r.revision), updatedAt: this.o.clock.now().toISOString() });
      }
    } catch (err) {
      error = err;
      revision = ds.current();
      this.o.logger.warn({ source: ds.description, err: describeError(err) }, 'source fetch failed; keeping what runs');
      await this.o.store
        .putSource({
          description: ds.description,
          ...(revision ? headOf(revision) : {}),
          error: describeError(err),
          updatedAt: this.o.clock.now().toISOString(),
        })
        .catch(() => undefined);
    }
    const now = this.o.clock.now().getTime();
    const sweep = changed || now - this.lastSweep >= (this.o.resyncMs ?? 60_000) || (await this.dataPlaneLost());
    if (revision && sweep) {
      this.lastSweep = now;
      // A new commit may fix what a backing-off namespace failed on: it goes through at once.
      await this.enqueueAll(revision, { force: changed });
    }
    return { ...(revision ? { revision } : {}), ...(error !== undefined ? { error } : {}) };
  }

  /**
   * True once when a data plane that answered before stops answering (killed, crashed): every
   * namespace is then reconciled at once, and the first pass that pushes a table starts a new
   * one, which serves its persisted tables (same Service addresses). Without this watchdog a
   * killed data plane came back only at the next resync (up to a minute of in-namespace calls
   * failing). Asked on every poll (with no data plane running, the refused socket costs little).
   */
  private async dataPlaneLost(): Promise<boolean> {
    if (!this.o.dataPlane) return false;
    const up = await this.o.dataPlane.status().then(
      () => true,
      () => false,
    );
    const lost = this.dataPlaneUp && !up;
    this.dataPlaneUp = up;
    if (lost) this.o.logger.warn({}, 'the data plane stopped answering: reconciling every namespace now (the next table push restarts it)');
    return lost;
  }

  private async enqueueAll(revision: SourceRevision, options: { readonly force?: boolean } = {}): Promise<void> {
    const names = new Set(revision.desired.namespaces.map((n) => n.name));
    try {
      const observed = observe(await this.o.driver.inventory(), this.observeMemo);
      for (const ns of observed.namespaces) names.add(ns.name);
      const guard = guardLivePrunes(revision.desired, observed, this.isConfirmed(revision));
      if (guard.holds) this.o.logger.warn({ commit: revision.commit.oid, reasons: guard.reasons }, describeHold(guard));
      this.guard = { commit: revision.commit.oid, guard };
    } catch (err) {
      this.o.logger.warn({ err: describeError(err) }, 'engine inventory failed; reconciling desired namespaces only');
    }
    for (const ns of names) this.queue.enqueue(ns, 0, options);
  }

  /**
   * Manual rollback (`POST …/rollback`, `berth rollback`): pin the Deployment to the template it
   * had at `toCommit`, or at the commit that introduced `toRevision`, or (neither) to the
   * revision before the one running now. The pin holds until a commit changes the Deployment.
   */
  async rollback(args: { namespace: string; name: string; toCommit?: string; toRevision?: string }): Promise<{ pinnedTo: string }> {
    const revision = this.o.desiredSource.current();
    const head = revision?.desired.namespaces.find((n) => n.name === args.namespace)?.deployments.find((d) => d.name === args.name);
    if (!revision || !head) throw new BerthError('ROLLBACK_TARGET_NOT_FOUND', `Deployment ${args.namespace}/${args.name} is not in the watched commit`);
    const key = `${args.namespace}/${args.name}`;
    const history = ownValue(this.o.store.readState().revisions, key) ?? [];
    let commit: string;
    if (args.toCommit) {
      commit = await this.o.desiredSource.commitOf(args.toCommit).catch((err: unknown) => {
        throw new BerthError(
          'ROLLBACK_TARGET_NOT_FOUND',
          `commit ${args.toCommit} is not in the repository: ${err instanceof Error ? err.message : String(err)}`,
          {
            cause: err,
          },
        );
      });
    } else {
      // --to-revision takes a revision hash, or its number in `berth history` (1 = oldest kept).
      const byNumber = args.toRevision && /^[1-9]\d*$/.test(args.toRevision) ? history[Number(args.toRevision) - 1] : undefined;
      const record = args.toRevision
        ? (history.find((r) => r.revision === args.toRevision) ?? byNumber)
        : [...history].reverse().find((r) => r.revision !== head.revision && r.outcome !== 'failed' && r.commit);
      if (!record?.commit) {
        const known = history.map((r) => r.revision).join(', ') || 'none yet';
        throw new BerthError(
          'ROLLBACK_TARGET_NOT_FOUND',
          `${key} has no ${args.toRevision ? `revision ${args.toRevision}` : 'earlier revision'} in its history (known: ${known})`,
        );
      }
      commit = record.commit;
    }
    const target = (await this.o.desiredSource.namespaceAt(commit, args.namespace))?.deployments.find((d) => d.name === args.name);
    if (!target) throw new BerthError('ROLLBACK_TARGET_NOT_FOUND', `commit ${commit.slice(0, 12)} holds no valid Deployment ${key}`);
    await this.o.store.putPin({
      namespace: args.namespace,
      name: args.name,
      commit,
      revision: target.revision,
      headSpec: specHash(head),
      createdAt: this.o.clock.now().toISOString(),
    });
    this.o.logger.info({ namespace: args.namespace, deployment: args.name, commit, revision: target.revision }, 'rollback: Deployment pinned');
    this.queue.enqueue(args.namespace, 0, { force: true });
    return { pinnedTo: `${target.revision}@${commit.slice(0, 12)}` };
  }

  /** A commit is confirmed by its message's trailer, or by a confirmation recorded for exactly that commit. */
  private isConfirmed(revision: SourceRevision): boolean {
    return isPruneConfirmed(revision.commit.message) || ownValue(this.o.store.readState().pruneConfirmations, revision.commit.oid) !== undefined;
  }

  /**
   * Prune confirmation from the API (`POST /api/v1/prune/confirm`, `berth prune confirm`): lets
   * the commit the prune guard holds now prune, as its message's `Berth-Confirm-Prune: yes`
   * trailer would. `commit` (a full id or a prefix of at least 7 hex digits) must name that very
   * commit, so a confirmation never carries over to a commit nobody looked at; the next commit is
   * judged afresh. Recorded in the store (it survives a restart); the guard is judged again and
   * every namespace enqueued at once. Confirming a commit already confirmed answers the same.
   * Throws CONFLICT (409) when nothing is held, another commit is, or the commit holds no
   * namespaces at all (berth never prunes everything).
   */
  async confirmPrune(args: { commit: string; by?: string }): Promise<{ confirmed: string; reasons: readonly string[] }> {
    const revision = this.o.desiredSource.current();
    const judged = revision && this.guard?.commit === revision.commit.oid ? this.guard.guard : undefined;
    let wanted = args.commit.toLowerCase();
    if (/^[0-9a-f]+$/.test(wanted)) {
      if (wanted.length < 7 || wanted.length > 64)
        throw new BerthError(
          'REQUEST_INVALID',
          `commit must be a commit id or a prefix of at least 7 hex digits, got ${JSON.stringify(args.commit.slice(0, 80))}`,
        );
    } else {
      // A revision (HEAD, main~0, a tag): the commit it names in the source now.
      wanted = await this.o.desiredSource.commitOf(args.commit).catch((err: unknown) => {
        throw new BerthError(
          'REQUEST_INVALID',
          `commit ${JSON.stringify(args.commit.slice(0, 80))} names no commit: ${err instanceof Error ? err.message : String(err)}`,
          {
            cause: err,
          },
        );
      });
    }
    if (!revision || !judged)
      throw new BerthError(
        'CONFLICT',
        `the prune guard holds no commit${revision ? ` (${revision.commit.oid.slice(0, 12)} is not judged yet; try again)` : ' (no commit fetched yet)'}`,
      );
    const head = revision.commit.oid;
    if (!head.startsWith(wanted)) {
      throw new BerthError(
        'CONFLICT',
        `commit ${args.commit} is not the commit berth is at (${head.slice(0, 12)}${judged.holds ? ', whose prunes the guard holds' : ''}): a confirmation applies to exactly the commit the guard holds`,
      );
    }
    if (judged.verdict === 'confirmed') return { confirmed: head, reasons: judged.reasons };
    if (judged.verdict === 'refused') throw new BerthError('CONFLICT', `${describeHold(judged)}; no confirmation changes that`);
    if (!judged.holds)
      throw new BerthError(
        'CONFLICT',
        `the prune guard holds nothing at ${head.slice(0, 12)}: it prunes ${judged.prunedDeployments.length === 0 ? 'nothing' : judged.prunedDeployments.join(', ')} without confirmation`,
      );
    await this.o.store.confirmPrune(head, { at: this.o.clock.now().toISOString(), by: args.by ?? 'api' });
    this.o.logger.warn(
      { commit: head, by: args.by ?? 'api', reasons: judged.reasons, prunedDeployments: judged.prunedDeployments },
      'prune confirmed through the API',
    );
    await this.enqueueAll(revision, { force: true });
    return { confirmed: head, reasons: judged.reasons };
  }

  /** A cluster driver's nodes with berth's replicas on each (`berth nodes`); undefined on one engine. */
  async nodes(): Promise<readonly NodeRow[] | undefined> {
    if (!this.o.driver.nodes) return undefined;
    const [nodes, inventory] = await Promise.all([this.o.driver.nodes(), this.o.driver.inventory()]);
    return nodeRows(nodes, inventory.containers);
  }

  /**
   * The replicas the engine runs now, with the prober's verdicts (`GET /api/v1/pods`, `berth get
   * pods`). A replica with probes that the prober has not taken up yet (created since the last
   * pass) is not ready, as Kubernetes counts a pod whose probe has not run. One whose removal is
   * under way is Terminating.
   */
  async pods(args: { namespace?: string }): Promise<readonly PodStatus[]> {
    const observed = observe(await this.o.driver.inventory(args.namespace ? { namespace: args.namespace } : {}), this.observeMemo);
    return observed.namespaces.flatMap((inventoried) => {
      const ns = this.reconciler.withTerminating(inventoried) ?? inventoried;
      return podsOf(ns, (r) =>
        replicaVerdict(r, (id) => {
          const view = this.prober.view(id);
          return view ? { ready: view.ready, ...(view.notReadyReason ? { reason: view.notReadyReason } : {}) } : undefined;
        }),
      );
    });
  }

  /**
   * The live plan (`GET /api/v1/plan`, `berth plan --live --server`; per namespace the dashboard's
   * `GET /api/v1/namespaces/:ns/plan`): what the head commit
   * would change on the engine now, by the same targets and decision as `berth plan --live`
   * (pins, last valid commits, HPAs, the prune guard with the confirmations recorded).
   * Service addresses are not the data plane's (the plan's `services` may name others): the
   * dashboard shows the actions and the guard only. CONFLICT when no commit was fetched yet.
   */
  async livePlan(): Promise<Plan> {
    const revision = this.o.desiredSource.current();
    if (!revision) throw new BerthError('CONFLICT', 'no commit fetched yet: the plan follows the first successful fetch');
    const inventory = observe(await this.o.driver.inventory(), this.observeMemo);
    // As the next pass sees it: replicas whose removal is under way are terminating.
    const observed = { namespaces: inventory.namespaces.flatMap((ns) => this.reconciler.withTerminating(ns) ?? []) };
    const state = this.o.store.readState();
    const { desired, rollbacks, lastValid, autoscaled } = await runTargets(revision.desired, revision.commit.oid, state, (commit) =>
      this.o.desiredSource.stateAt(commit),
    );
    // The prober's verdicts, as the next pass reads them.
    const readiness = new Map(observed.namespaces.flatMap((ns) => [...this.reconciler.readinessNow(ns)]));
    return livePlan(desired, observed, {
      now: this.o.clock.now(),
      watchingSince: this.reconciler.watchingSince,
      head: revision.desired,
      readiness,
      ...(state.pins ? { pins: state.pins } : {}),
      ...(state.revisions ? { revisions: state.revisions } : {}),
      rollbacks,
      lastValid,
      autoscaled,
      confirmPrune: this.isConfirmed(revision),
      confirmedVolumeDeletes: confirmedVolumeDeletes(revision.commit.message),
      ...(this.o.serviceAddress !== undefined ? { serviceAddress: this.o.serviceAddress } : {}),
      ...(this.decisionMemo ? { decisionMemo: this.decisionMemo } : {}),
    });
  }

  /** The desired state of the head commit berth works from; undefined before the first fetch. */
  desired(): DesiredState | undefined {
    return this.o.desiredSource.current()?.desired;
  }

  /** An owned replica's log, for the dashboard's log pane (the driver refuses a container berth does not own). */
  async replicaLogs(
    args: { id: string; tail: number; follow: boolean },
    onText: (stream: 'stdout' | 'stderr', text: string) => void,
    signal: AbortSignal,
  ): Promise<void> {
    await this.o.driver.logs(args.id, { follow: args.follow, tail: args.tail }, onText, signal);
  }

  /** A Deployment as the manifests at `commit` declare it (the revision diff of the dashboard); undefined when absent or invalid there. */
  async deploymentAt(args: { namespace: string; name: string; commit: string }): Promise<DesiredDeployment | undefined> {
    const ns = await this.o.desiredSource.namespaceAt(args.commit, args.namespace);
    return ns?.deployments.find((d) => d.name === args.name);
  }

  /** The ref berth follows, for webhooks (undefined = the remote's default branch). */
  watchedRef(): string | undefined {
    return this.o.watchedRef;
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

  /**
   * Engine events: an owned container started (perhaps out of band), died or was removed →
   * reconcile its namespace now. berth's own moves trigger passes too; the queue coalesces them.
   * One the cluster ordered to stop (a drained node) leaves the rotation at once, before that pass.
   */
  private async watchEvents(): Promise<void> {
    let attempt = 0;
    while (!this.abort.signal.aborted) {
      try {
        await this.o.driver.watch((event) => {
          if (event.kind === 'stream-error') return;
          attempt = 0;
          const ns = event.labels[LABEL.namespace];
          if (!ns) return;
          if (event.kind === 'container-died' && event.evicted) this.reconciler.evicted(event);
          this.queue.enqueue(ns);
        }, this.abort.signal);
      } catch (err) {
        this.o.logger.debug({ err: describeError(err) }, 'engine event stream failed');
      }
      if (this.abort.signal.aborted) break;
      attempt++;
      await new Promise((r) => setTimeout(r, backoffMs(attempt, 30_000)));
      // Events may have been missed while disconnected: a level-triggered sweep repairs that.
      const revision = this.o.desiredSource.current();
      if (revision) await this.enqueueAll(revision);
    }
  }
}

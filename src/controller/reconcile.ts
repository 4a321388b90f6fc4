import { describeError, isBerthError, ownValue, type Clock, type Logger } from '../core/index.js';
import { namespaceDnsAddress, namespaceSubnets, type DesiredDeployment, type DesiredNamespace } from '../desired/index.js';
import { observe, type ObserveMemo, type ObservedNamespace, type ObservedReplica } from '../observed/index.js';
import {
  applyAutoscalersTo,
  applyPinsTo,
  confirmedVolumeDeletes,
  describeHold,
  networkChange,
  pinnedTemplates,
  planVolumes,
  type LivePruneGuard,
  type VolumePlan,
} from '../plan/index.js';
import { storageClassOf, type OperatorPolicy } from '../policy/index.js';
import { applyStep, restartPodMembers, type ApplyStepOptions, type MemberRestart, type Readiness, type Step } from '../rollout/index.js';
import { LABEL, type Labels, type RuntimeDriver } from '../runtime/index.js';
import type { SecretResolver } from '../secrets/index.js';
import { awaitStartup, type Prober } from '../health/index.js';
import { DNS_OPTIONS, searchDomains, type DataPlane } from '../proxy/index.js';
import type { DeploymentStatus, NamespaceStatus, Store, VolumeStatus } from '../store/index.js';
import { Serving } from './serving.js';
import type { SourceRevision, DesiredSource } from './desired-source.js';
import { classifyError, type ErrorVerdict } from './error-handling.js';
import { completionRecord, hasCompleted, type RollbackDecision } from './rollback.js';
import { decideWorkloads, leavingReplicas, terminatingAs, type WorkloadDecision } from './decide.js';
import type { DecisionMemo } from './decision-memo.js';
import { finalPhase, passRecords, volumeStatuses, type PassOutcome, type PassResult } from './status.js';

export interface ReconcilerOptions {
  readonly desiredSource: DesiredSource;
  readonly driver: RuntimeDriver;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly instance: string;
  /**
   * The prune guard's verdict for a commit (undefined = not judged yet: then nothing is
   * pruned, the safe default). Supplied by the controller, which sees the whole engine.
   */
  readonly pruneGuard?: (commit: string) => LivePruneGuard | undefined;
  /** Secrets: reads the values of env vars from v1 Secrets when a replica is created (main.ts: secrets/host). */
  readonly secretResolver?: SecretResolver;
  /** Runs readiness/liveness/startup probes (health/); without one, a replica is ready when it runs. */
  readonly prober?: Pick<Prober, 'sync' | 'view' | 'watchedSince'>;
  /** The data plane (Service/Ingress proxy): routes pushed every pass, replicas drained before they stop. */
  readonly dataPlane?: DataPlane;
  /** Address Services listen on. Default 127.0.0.1. */
  readonly serviceAddress?: string;
  /** The operator's storage classes (`--storage-class`): driver and options of the volumes claims get. Absent: only `local`. */
  readonly storageClasses?: OperatorPolicy['storageClasses'];
  /** What observe() remembers of this engine's containers between passes (the controller's, shared with its own observes). */
  readonly observeMemo?: ObserveMemo;
  /** The settled decisions of earlier passes (the controller's, shared with its live plans). */
  readonly decisionMemo?: DecisionMemo;
}

export type { PassOutcome } from './status.js';

/** What a namespace converges to in this pass, and whether workloads gone from Git may be pruned. */
interface Resolution {
  /** The head's desired state, or the last valid commit's while the head is invalid; pins and HPAs applied. Undefined: gone from Git. */
  readonly target: DesiredNamespace | undefined;
  /** The commit of `target`. */
  readonly targetCommit: string;
  readonly mayPrune: boolean;
  readonly phase: NamespaceStatus['phase'];
  readonly message?: string;
}

/** How soon to look again after making a move (the new replicas' state is then re-observed). */
const AFTER_MOVE_MS = 500;
/** How often to re-check while waiting for readiness. */
const READINESS_RECHECK_MS = 1000;

/**
 * One level-triggered pass over one namespace, in order: resolve (what to converge to) →
 * observe → prepare (network, volumes, liveness restarts) → decide (decide.ts, pure: every
 * workload's next step and in-place container restarts, before anything is touched) → route
 * (the data plane) → apply (the restarts, then at most one step each) → finish (strays,
 * confirmed volume deletes, a pruned namespace's network) → record (status.ts, pure: status
 * and history, written whatever happened). The pass never branches on why it ran.
 */
export class Reconciler {
  /** The last valid desired state of each namespace (a cache: the store's lastValidCommit is read back from Git after a restart). */
  private readonly lastGood = new Map<string, { commit: string; ns: DesiredNamespace }>();
  /** Consecutive failed passes per namespace: the error back-off's attempt number. */
  private readonly failures = new Map<string, number>();
  private readonly serving: Serving;
  /**
   * Replicas whose removal (drain, stop, delete) is under way off the pass, by container id:
   * Kubernetes' terminating pods. A pass sees them as `removing` (terminatingAs). Memory only, and
   * safely so: after a restart of berth a replica whose removal was cut short is still on the
   * engine, running or stopped, and the pass decides about it again.
   */
  private readonly terminating = new Map<string, Promise<void>>();

  /** A native sidecar's startup probe, run to its end before the Pod's next container starts (the executor asks). */
  private readonly awaitStartup: NonNullable<ApplyStepOptions['awaitStartup']> = (probe, target) =>
    awaitStartup(probe, target, { exec: (id, command, timeoutMs) => this.o.driver.exec(id, command, timeoutMs) });

  /**
   * When this berth began watching: a rollout's progress deadline counts from here at the
   * earliest (RolloutInput.watchingSince). A fact of this process, not state to keep.
   */
  readonly watchingSince: Date;

  constructor(private readonly o: ReconcilerOptions) {
    this.watchingSince = o.clock.now();
    this.serving = new Serving({
      ...o,
      isCompleted: (namespace, name, revision) => hasCompleted(ownValue(o.store.readState().revisions, `${namespace}/${name}`) ?? [], revision),
    });
  }

  /** A replica the cluster ordered to stop (RuntimeEvent.evicted) leaves the rotation now, not at the next pass. */
  evicted(event: { readonly id: string; readonly labels: Labels }): void {
    const l = event.labels;
    const log = this.o.logger.child({
      namespace: l[LABEL.namespace],
      deployment: l[LABEL.name],
      revision: l[LABEL.revision],
      replica: Number(l[LABEL.replica]),
      id: event.id,
    });
    this.serving
      .outOfRotation(event.id, log)
      .catch((err: unknown) => log.warn({ err: describeError(err) }, 'could not take an evicted replica out of rotation'));
  }

  /** The namespace as a pass sees it: the replicas whose removal is under way are terminating (`removing`). */
  withTerminating(observed: ObservedNamespace | undefined): ObservedNamespace | undefined {
    return terminatingAs(observed, new Set(this.terminating.keys()));
  }

  /** Resolves once every removal under way has ended (berth stopping). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.terminating.values()]);
  }

  /** The probe verdicts a pass would read now, without taking anything up (Serving.readinessNow): for the live plan. */
  readinessNow(observed: ObservedNamespace | undefined): ReadonlyMap<string, Readiness> {
    return this.serving.readinessNow(observed);
  }

  async reconcile(namespace: string): Promise<PassOutcome> {
    const revision = this.o.desiredSource.current();
    if (!revision) return { result: 'stalled' }; // nothing known yet: the first successful fetch enqueues again
    const log = this.o.logger.child({ namespace, commit: revision.commit.oid.slice(0, 12) });
    const previous = ownValue(this.o.store.readState().namespaces, namespace);
    const head = revision.desired.namespaces.find((n) => n.name === namespace);
    const result = await this.pass(namespace, revision, head, previous, log).catch((err: unknown) => this.failedPass(namespace, { err }, {}, log));
    if (result.outcome.result !== 'error') this.failures.delete(namespace);
    await this.record(namespace, revision.commit.oid, head, previous, result);
    return result.outcome;
  }

  private async pass(
    namespace: string,
    revision: SourceRevision,
    head: DesiredNamespace | undefined,
    previous: NamespaceStatus | undefined,
    log: Logger,
  ): Promise<PassResult> {
    const resolved = await this.resolve(namespace, revision, head, previous, log);
    if ('stop' in resolved) return resolved.stop;
    const { target, targetCommit, mayPrune } = resolved;
    const summary = { phase: resolved.phase, ...(resolved.message ? { message: resolved.message } : {}) };

    const observed = this.withTerminating(
      observe(await this.o.driver.inventory({ namespace }), this.o.observeMemo).namespaces.find((n) => n.name === namespace),
    );
    if (!target && !mayPrune) return { ...summary, deployments: [], moves: 0, outcome: { result: 'stalled' } };

    // Prepare: the network, volumes before the replicas that mount them, restarts of what failed liveness, stale emptyDirs.
    const network = await this.ensureNetwork(namespace, target, observed);
    // Replicas resolve through the namespace DNS when there is a data plane to run it and a Service to find:
    // one of their own, or one of another namespace that a NetworkPolicy may open to them.
    const findable = (target?.services.length ?? 0) > 0 || revision.desired.namespaces.some((n) => (n.networkPolicies?.length ?? 0) > 0);
    // The namespace DNS: on the bridge's gateway, or on a cluster overlay at its Service network's .1 on this host.
    const dnsAddress = namespaceDnsAddress(network);
    const dns = this.o.dataPlane && dnsAddress && findable ? { servers: [dnsAddress], search: searchDomains(namespace), options: DNS_OPTIONS } : undefined;
    // An invalid head deletes no volume, whatever its message says.
    const volumePlan = planVolumes(namespace, target, observed, head && !head.valid ? new Set() : confirmedVolumeDeletes(revision.commit.message));
    const created = await this.ensureVolumes(namespace, volumePlan, log);
    const restarted = (await this.serving.restartUnhealthy(observed, target, log)) + (await this.removeOrphanedEmptyDirs(observed, log));
    const readiness = await this.serving.readiness(namespace, observed);

    // Decide every workload's next move (pure), before touching anything.
    const state = this.o.store.readState();
    const decisions = decideWorkloads({
      namespace,
      target,
      observed,
      mayPrune,
      commit: targetCommit,
      head,
      headCommit: revision.commit.oid,
      now: this.o.clock.now(),
      watchingSince: this.watchingSince,
      readiness,
      pins: state.pins,
      revisions: state.revisions,
      ...(this.o.decisionMemo ? { memo: this.o.decisionMemo } : {}),
    });
    for (const d of decisions) if (d.refused) log.warn({ kind: 'StatefulSet', name: d.name }, d.refused);

    // The data plane routes to what is ready now, minus what this pass removes.
    const services = await this.serving.push(namespace, target, observed, readiness, leavingReplicas(decisions), log);

    // Apply at most one move per workload.
    const attempt = 1 + (this.failures.get(namespace) ?? 0);
    const applied = await Promise.all(decisions.map((d) => this.apply(d, { network: target?.network ?? '', dns, attempt, log })));
    const deployments = applied.flatMap((a) => (a.status ? [a.status] : [])).sort((a, b) => a.name.localeCompare(b.name));
    let moves = (network.created ? 1 : 0) + created.moves + restarted + applied.reduce((n, a) => n + a.moves, 0);

    // Finish: strays, confirmed volume deletes, the network of a namespace pruned to nothing.
    let volumes: VolumeStatus[];
    try {
      moves += await this.removeStrays(observed, log);
      const deleted = await this.deleteConfirmedVolumes(volumePlan, log);
      moves += deleted.moves;
      volumes = volumeStatuses(namespace, volumePlan, created.failed, deleted);
      const settled = decisions.every((d) => !d.step || d.step.kind === 'complete');
      if (networkChange(target, observed) === 'remove' && observed?.network && settled && observed.strays.length === 0) {
        log.info({ network: observed.network.name }, 'removing network of pruned namespace');
        await this.o.driver.removeNetwork(observed.network.name);
        moves++;
      }
    } catch (err) {
      return this.failedPass(namespace, { err }, { deployments, moves, services }, log);
    }

    const errors = applied.flatMap((a) => (a.error ? [a.error] : []));
    if (errors.length > 0) {
      const verdict = errors.find((e) => e.handling === 'transient') ?? errors[0]!;
      return this.failedPass(namespace, { verdict }, { deployments, moves, services, volumes }, log);
    }
    const outcome = this.nextLook(decisions, moves);
    const message =
      !target && volumes.length > 0
        ? `removed from Git: everything berth ran in it is pruned; ${volumes.length} volume(s) kept with their data (${volumes.map((v) => v.name).join(', ')}): see berth volume delete`
        : summary.message;
    return {
      phase: finalPhase(resolved.phase, outcome, target !== undefined),
      ...(message ? { message } : {}),
      deployments,
      moves,
      outcome,
      services,
      volumes,
    };
  }

  /**
   * What the namespace converges to: the head when valid; while it is invalid, the last valid
   * commit's state (nothing pruned). Prunes also wait for the controller's guard; a namespace
   * gone from Git while the guard holds (or before it judged the commit) is Refused: no pass.
   */
  private async resolve(
    namespace: string,
    revision: SourceRevision,
    head: DesiredNamespace | undefined,
    previous: NamespaceStatus | undefined,
    log: Logger,
  ): Promise<Resolution | { readonly stop: PassResult }> {
    const commit = revision.commit.oid;
    let resolution: Resolution;
    if (head?.valid) {
      this.lastGood.set(namespace, { commit, ns: head });
      resolution = { target: this.autoscaled(await this.applyPins(head, log)), targetCommit: commit, mayPrune: true, phase: 'Synced' };
    } else if (head) {
      const good = await this.lastGoodOf(namespace, previous?.lastValidCommit ?? previous?.lastAppliedCommit, commit);
      const message = `invalid manifests at ${commit.slice(0, 12)}: the namespace keeps running ${good ? `as of ${good.commit.slice(0, 12)}` : 'as it is'}`;
      log.warn({ diagnostics: head.diagnostics.filter((d) => d.severity === 'error').length }, message);
      resolution = {
        // With its pins: an invalid commit after a rollback must not re-roll the revision rolled back from
        // (found by test/e2e/persistent-volumes.test.ts: the last valid head was the failed rollout's commit).
        target: good ? this.autoscaled(await this.applyPins(good.ns, log, { release: false })) : undefined,
        targetCommit: good?.commit ?? commit,
        mayPrune: false,
        phase: 'Invalid',
        message,
      };
    } else {
      resolution = { target: undefined, targetCommit: commit, mayPrune: true, phase: 'Synced' };
    }
    const guard = this.o.pruneGuard?.(commit);
    if (guard && !guard.holds) return resolution;
    if (head) return { ...resolution, mayPrune: false };
    const message = guard ? describeHold(guard) : 'prunes wait until the whole engine has been inventoried for this commit';
    log.warn(message);
    const outcome: PassOutcome = guard ? { result: 'stalled' } : { result: 'progressing', requeueAfterMs: READINESS_RECHECK_MS };
    return { stop: { phase: 'Refused', message, deployments: [], moves: 0, outcome } };
  }

  /** When to look again: soon after a move (at once after a rollback was decided: its pin is in the store), else when the first wait ends. */
  private nextLook(decisions: readonly WorkloadDecision[], moves: number): PassOutcome {
    const steps = decisions.flatMap((d) => (d.step ? [d.step] : []));
    if (moves > 0 || steps.some((s) => s.kind === 'act')) {
      return { result: 'progressing', requeueAfterMs: steps.some((s) => s.kind === 'fail') ? 1 : AFTER_MOVE_MS };
    }
    const waits = steps.filter((s): s is Extract<Step, { kind: 'wait' }> => s.kind === 'wait');
    if (waits.length === 0) return { result: 'ready' };
    const now = this.o.clock.now().getTime();
    const at = Math.min(...waits.map((w) => (w.recheckAt ? w.recheckAt.getTime() - now : READINESS_RECHECK_MS)));
    return { result: 'progressing', requeueAfterMs: Math.max(100, at) };
  }

  /** One workload's decided move: a rollback on a failed rollout, a step, or the history entry of a completed revision. */
  private async apply(
    d: WorkloadDecision,
    ctx: { readonly network: string; readonly dns: ApplyStepOptions['dns']; readonly attempt: number; readonly log: Logger },
  ): Promise<{ readonly status?: DeploymentStatus; readonly moves: number; readonly error?: ErrorVerdict }> {
    const { desired, step, status } = d;
    const kept = status ? { status } : {};
    const log = ctx.log.child({
      kind: desired?.stateful ? 'StatefulSet' : 'Deployment',
      deployment: d.name,
      ...(desired ? { revision: desired.revision } : {}),
    });
    const restarted = desired && d.restarts ? await this.restartPodMembers(desired, d.restarts, ctx.network, log) : 0;
    if (!step || step.kind === 'wait') return { ...kept, moves: restarted };
    if (step.kind === 'fail') return { ...kept, moves: restarted + (desired && d.rollback ? await this.autoRollback(desired, step, d.rollback, log) : 0) };
    if (step.kind === 'complete') {
      if (desired && desired.replicas > 0) await this.noteComplete(desired, d.replicas);
      return { ...kept, moves: restarted };
    }
    log.info({ remove: step.remove.length, create: step.create.length }, step.summary);
    const moves = restarted + step.remove.length + step.create.length;
    try {
      await applyStep({
        ...this.executor(ctx.network, log),
        step,
        desired,
        ...(this.o.serviceAddress ? { hostPortAddress: this.o.serviceAddress } : {}),
        ...(ctx.dns ? { dns: ctx.dns } : {}),
        ...(this.o.dataPlane ? { drain: (ids: readonly string[], graceSeconds: number) => this.serving.drain(ids, graceSeconds, log) } : {}),
        detachRemovals: (ids, removal) => {
          const done = removal
            .catch((err: unknown) => log.warn({ err: describeError(err), containers: ids }, 'removing replicas failed; the next pass decides about them again'))
            .finally(() => {
              for (const id of ids) if (this.terminating.get(id) === done) this.terminating.delete(id);
            });
          for (const id of ids) this.terminating.set(id, done);
        },
      });
      return { ...kept, moves };
    } catch (err) {
      const error = classifyError(err, ctx.attempt);
      log[error.level]({ code: error.code, err: error.message }, 'step failed');
      return { ...(status ? { status: { ...status, phase: 'Failed', message: `${error.code}: ${error.message}` } } : {}), moves, error };
    }
  }

  /** A pass that failed: phase Error with the verdict's code, and the back-off's next attempt. What it did and saw before is kept. */
  private failedPass(
    namespace: string,
    cause: { readonly err: unknown } | { readonly verdict: ErrorVerdict },
    partial: Partial<Pick<PassResult, 'deployments' | 'moves' | 'services' | 'volumes'>>,
    log: Logger,
  ): PassResult {
    const attempt = 1 + (this.failures.get(namespace) ?? 0);
    this.failures.set(namespace, attempt);
    const v = 'verdict' in cause ? cause.verdict : classifyError(cause.err, attempt);
    log[v.level]({ code: v.code, err: v.message, retryAfterMs: v.retryAfterMs }, 'pass failed');
    return {
      phase: 'Error',
      message: `${v.code}: ${v.message}`,
      deployments: partial.deployments ?? [],
      moves: partial.moves ?? 0,
      ...(partial.services ? { services: partial.services } : {}),
      ...(partial.volumes ? { volumes: partial.volumes } : {}),
      outcome: { result: 'error', ...(v.retryAfterMs !== undefined ? { requeueAfterMs: v.retryAfterMs } : {}) },
    };
  }

  /** Writes the pass's status and history (passRecords decides what); a write that fails is logged, the next pass writes again. */
  private async record(
    namespace: string,
    commit: string,
    head: DesiredNamespace | undefined,
    previous: NamespaceStatus | undefined,
    result: PassResult,
  ): Promise<void> {
    const { status, removed, history } = passRecords({
      namespace,
      previous,
      commit,
      headValid: head?.valid,
      diagnostics: head?.diagnostics ?? [],
      ...result,
      now: this.o.clock.now().toISOString(),
    });
    try {
      if (removed) await this.o.store.removeNamespace(namespace);
      else await this.o.store.putNamespace(status);
      if (history) await this.o.store.appendHistory(history);
    } catch (err) {
      this.o.logger.error({ namespace, err: (err as Error).message }, 'could not write status');
    }
  }

  /**
   * Manual rollbacks: a pinned Deployment runs its template from the pin's commit until the
   * head changes that Deployment (its spec hash differs from the one the pin was made on).
   * `release: false` (an older valid commit run while the head is invalid): pins are applied
   * where they match and never released — only a valid head may end a rollback.
   */
  private async applyPins(head: DesiredNamespace, log: Logger, options: { release?: boolean } = {}): Promise<DesiredNamespace> {
    const pins = Object.values(this.o.store.readState().pins ?? {}).filter((p) => p.namespace === head.name);
    if (pins.length === 0) return head;
    const templates = await pinnedTemplates(head, pins, (commit) => this.o.desiredSource.namespaceAt(commit, head.name));
    const applied = applyPinsTo(head, pins, (name) => templates.get(name), { release: options.release ?? true });
    for (const name of applied.released) {
      log.info({ deployment: name }, 'a newer commit changed the Deployment: rollback pin released');
      await this.o.store.removePin(`${head.name}/${name}`);
    }
    return applied.target;
  }

  /** HPAs own the replica counts of their Deployments (plan/autoscale.ts: the rule `berth plan` shows too). */
  private autoscaled(ns: DesiredNamespace): DesiredNamespace {
    return applyAutoscalersTo(ns, Object.values(this.o.store.readState().autoscalers ?? {})).target;
  }

  /** Appends a completed revision to the Deployment's history (once per revision). */
  private async noteComplete(desired: DesiredDeployment, replicas: readonly ObservedReplica[]): Promise<void> {
    const key = `${desired.namespace}/${desired.name}`;
    const state = this.o.store.readState();
    const record = completionRecord({
      desired,
      replicas,
      history: ownValue(state.revisions, key) ?? [],
      pinned: ownValue(state.pins, key) !== undefined,
      now: this.o.clock.now().toISOString(),
    });
    if (record) await this.o.store.recordRevision(key, record, desired.revisionHistoryLimit);
  }

  /**
   * Last valid desired state of a namespace: this process's memory, else the store's
   * lastValidCommit (lastAppliedCommit in a store written before it) read back from Git — the
   * commit `berth plan --live` reads too.
   */
  private async lastGoodOf(namespace: string, lastApplied: string | undefined, head: string): Promise<{ commit: string; ns: DesiredNamespace } | undefined> {
    const known = this.lastGood.get(namespace);
    if (known) return known;
    if (!lastApplied || lastApplied === head) return undefined;
    const ns = await this.o.desiredSource.namespaceAt(lastApplied, namespace).catch(() => undefined);
    if (!ns) return undefined;
    const good = { commit: lastApplied, ns };
    this.lastGood.set(namespace, good);
    return good;
  }

  /** The namespace network, created on a subnet berth lays out (desired/cluster-network.ts) when missing. */
  private async ensureNetwork(
    namespace: string,
    target: DesiredNamespace | undefined,
    observed: ObservedNamespace | undefined,
  ): Promise<{ created: boolean; subnet?: string; gateway?: string; bridge?: string }> {
    const of = (n: { readonly subnet?: string; readonly gateway?: string; readonly bridge?: string }) => ({
      ...(n.subnet ? { subnet: n.subnet } : {}),
      ...(n.gateway ? { gateway: n.gateway } : {}),
      ...(n.bridge ? { bridge: n.bridge } : {}),
    });
    if (observed?.network) return { created: false, ...of(observed.network) };
    if (!target || networkChange(target, observed) !== 'create') return { created: false };
    const network = await this.o.driver.ensureNetwork({
      name: target.network,
      labels: { [LABEL.managed]: 'true', [LABEL.instance]: this.o.instance, [LABEL.namespace]: namespace, [LABEL.kind]: 'Namespace', [LABEL.name]: namespace },
      subnets: namespaceSubnets(this.o.instance, namespace),
    });
    return { created: true, ...of(network) };
  }

  /** Creates the volumes of claims that have none (labelled as berth's, with the claim's storage class). */
  private async ensureVolumes(namespace: string, plan: VolumePlan, log: Logger): Promise<{ moves: number; failed: ReadonlyMap<string, string> }> {
    const failed = new Map<string, string>();
    let moves = 0;
    for (const v of plan.create) {
      const storageClass = storageClassOf({ storageClasses: this.o.storageClasses }, v.storageClass);
      if (!storageClass) {
        // The namespace policy refuses such a claim (STORAGE_CLASS_UNKNOWN); kept for desired states built without it.
        failed.set(v.name, `storage class ${JSON.stringify(v.storageClass)} is not defined by the operator (--storage-class)`);
        continue;
      }
      try {
        await this.o.driver.ensureVolume({
          name: v.volumeName,
          driver: storageClass.driver,
          driverOpts: storageClass.options,
          labels: {
            [LABEL.managed]: 'true',
            [LABEL.instance]: this.o.instance,
            [LABEL.namespace]: namespace,
            [LABEL.kind]: 'PersistentVolumeClaim',
            [LABEL.name]: v.name,
            [LABEL.storage]: v.storage,
            [LABEL.accessModes]: v.accessModes.join(','),
            ...(v.storageClass ? { [LABEL.storageClass]: v.storageClass } : {}),
            ...(v.statefulSet ? { [LABEL.statefulSet]: v.statefulSet.name, [LABEL.replica]: String(v.statefulSet.ordinal) } : {}),
          },
        });
        log.info({ kind: 'PersistentVolumeClaim', claim: v.name, volume: v.volumeName, driver: storageClass.driver }, 'volume created');
        moves++;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        failed.set(v.name, message);
        log.error({ kind: 'PersistentVolumeClaim', claim: v.name, volume: v.volumeName, err: message }, 'could not create the volume of a claim');
      }
    }
    return { moves, failed };
  }

  /**
   * Deletes the orphaned volumes the commit confirms by name (`Berth-Confirm-Volume-Delete: NS/NAME`).
   * One still in use (a replica of a pruned Deployment not gone yet, or a container berth does
   * not own) is kept and retried by the next pass.
   */
  private async deleteConfirmedVolumes(plan: VolumePlan, log: Logger): Promise<{ moves: number; waiting: ReadonlyMap<string, string> }> {
    const waiting = new Map<string, string>();
    let moves = 0;
    for (const v of plan.delete) {
      try {
        await this.o.driver.removeVolume(v.volumeName);
        log.warn({ kind: 'PersistentVolumeClaim', claim: v.name, volume: v.volumeName }, 'volume deleted with its data, as the commit confirms');
        moves++;
      } catch (err) {
        if (!isBerthError(err) || err.code !== 'ENGINE_CONFLICT') throw err;
        waiting.set(v.name, `deletion confirmed by the commit, waiting: ${err.message}`);
        log.warn({ kind: 'PersistentVolumeClaim', claim: v.name, volume: v.volumeName, err: err.message }, 'volume deletion waits');
      }
    }
    return { moves, waiting };
  }

  /** What the executor needs for any move: the engine, the instance, the namespace network, Secrets, startup waits. */
  private executor(network: string, logger: Logger): Pick<ApplyStepOptions, 'driver' | 'instance' | 'network' | 'logger' | 'secrets' | 'awaitStartup'> {
    return {
      driver: this.o.driver,
      instance: this.o.instance,
      network,
      logger,
      ...(this.o.secretResolver ? { secrets: this.o.secretResolver } : {}),
      awaitStartup: this.awaitStartup,
    };
  }

  /**
   * Containers of running Pods that are down start again in place (decided with the step: each
   * after its own back-off); the rollout's readiness wait brings the next pass (the Pod is not
   * ready meanwhile). One that cannot start is tried again by the next pass.
   */
  private async restartPodMembers(desired: DesiredDeployment, restarts: readonly MemberRestart[], network: string, log: Logger): Promise<number> {
    try {
      await restartPodMembers({ ...this.executor(network, log), desired, restarts });
      return restarts.length;
    } catch (err) {
      log.warn({ err: describeError(err) }, 'could not restart a container of a pod; the next pass tries again');
      return 0;
    }
  }

  /**
   * A replica's shared emptyDir goes with the replica: removed once no container of its slot and
   * revision is left (before this pass's moves, which may start that slot again with a new one).
   */
  private async removeOrphanedEmptyDirs(observed: ObservedNamespace | undefined, log: Logger): Promise<number> {
    let moves = 0;
    for (const dir of observed?.emptyDirs ?? []) {
      const replicas = observed?.deployments.find((d) => d.name === dir.deployment)?.replicas ?? [];
      if (replicas.some((r) => r.revision === dir.revision && r.replica === dir.replica)) continue;
      try {
        await this.o.driver.removeVolume(dir.volumeName);
        log.info({ volume: dir.volumeName }, "removed a replica's emptyDir: the replica is gone");
        moves++;
      } catch (err) {
        log.warn({ volume: dir.volumeName, err: describeError(err) }, "could not remove a replica's emptyDir; the next pass tries again");
      }
    }
    return moves;
  }

  private async removeStrays(observed: ObservedNamespace | undefined, log: Logger): Promise<number> {
    for (const stray of observed?.strays ?? []) {
      log.warn({ container: stray.name, reason: stray.reason }, 'removing owned container with unusable labels');
      await this.o.driver.removeContainer(stray.id, 10);
    }
    return observed?.strays.length ?? 0;
  }

  /**
   * The rollout of `desired` failed: record it, and pin the Deployment to its last good revision
   * (a forward roll to the old template, same surge rules; old replicas still serving are simply
   * kept) or hold it as it is, as the pass decided (decide.ts: rollbackDecision, pure), until a
   * commit changes the Deployment.
   */
  private async autoRollback(desired: DesiredDeployment, step: Extract<Step, { kind: 'fail' }>, decision: RollbackDecision, log: Logger): Promise<number> {
    const key = `${desired.namespace}/${desired.name}`;
    await this.o.store.recordRevision(key, decision.record, desired.revisionHistoryLimit);
    await this.o.store.putPin(decision.pin);
    if (!decision.to) {
      log.error(
        { reason: step.reason },
        `rollout failed: ${step.summary}; no earlier good revision to roll back to, leaving the Deployment as it is until a commit changes it`,
      );
    } else {
      log.error(
        {
          reason: step.reason,
          rollbackTo: decision.to.revision,
          rollbackCommit: decision.to.commit.slice(0, 12),
          failedCommit: decision.failedCommit.slice(0, 12),
        },
        `rollout failed: ${step.summary}; rolling back to revision ${decision.to.revision} (commit ${decision.to.commit.slice(0, 12)})`,
      );
    }
    return 1;
  }
}

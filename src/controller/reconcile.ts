import { describeError, isBerthError, ownValue, type Clock, type Logger } from '../core/index.js';
import { namespaceSubnets, type DesiredDeployment, type DesiredNamespace } from '../desired/index.js';
import { observe, type ObservedNamespace } from '../observed/index.js';
import {
  applyAutoscalersTo,
  applyPinsTo,
  CONFIRM_VOLUME_DELETE_TRAILER,
  confirmedVolumeDeletes,
  describeHold,
  pinnedTemplates,
  planVolumes,
  specHash,
  statefulRefusal,
  type LivePruneGuard,
  type VolumePlan,
} from '../plan/index.js';
import { storageClassOf, type OperatorPolicy } from '../policy/index.js';
import { applyStep, memberRestarts, nextStep, restartPodMembers, restartRecordsOf, type ApplyStepOptions, type Step } from '../rollout/index.js';
import { LABEL, type RuntimeDriver } from '../runtime/index.js';
import type { SecretResolver } from '../secrets/index.js';
import { awaitStartup, type Prober } from '../health/index.js';
import { DNS_OPTIONS, searchDomains, type DataPlane } from '../proxy/index.js';
import type { ObservedReplica } from '../observed/index.js';
import type { Condition, DeploymentStatus, NamespaceStatus, Pin, ServiceStatus, Store, SyncRecord, VolumeStatus } from '../store/index.js';
import { Serving } from './serving.js';
import type { DesiredSource } from './desired-source.js';
import { classifyError, type ErrorVerdict } from './error-handling.js';

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
}

/** What a pass tells the queue (STYLE §2). */
export interface PassOutcome {
  readonly result: 'ready' | 'progressing' | 'stalled' | 'error';
  readonly requeueAfterMs?: number;
}

/** How soon to look again after making a move (the new replicas' state is then re-observed). */
const AFTER_MOVE_MS = 500;
/** How often to re-check while waiting for readiness. */
const READINESS_RECHECK_MS = 1000;

/**
 * One level-triggered pass over one namespace: observe, derive the next step of every
 * Deployment, apply at most one step each, write status (always, in `finally`). The pass
 * never branches on why it ran.
 */
export class Reconciler {
  /** The last valid desired state of each namespace, to keep healing while the head is broken. */
  private readonly lastGood = new Map<string, { commit: string; ns: DesiredNamespace }>();
  private readonly failures = new Map<string, number>();
  private readonly serving: Serving;

  /** A native sidecar's startup probe, run to its end before the Pod's next container starts (the executor asks). */
  private readonly awaitStartup: NonNullable<ApplyStepOptions['awaitStartup']> = (probe, target) =>
    awaitStartup(probe, target, { exec: (id, command, timeoutMs) => this.o.driver.exec(id, command, timeoutMs) });

  constructor(private readonly o: ReconcilerOptions) {
    this.serving = new Serving({ ...o, isCompleted: (namespace, name, revision) => hasCompleted(o.store, namespace, name, revision) });
  }

  async reconcile(namespace: string): Promise<PassOutcome> {
    const revision = this.o.desiredSource.current();
    if (!revision) return { result: 'stalled' }; // nothing known yet: the first successful fetch enqueues again
    const commit = revision.commit.oid;
    const log = this.o.logger.child({ namespace, commit: commit.slice(0, 12) });
    const previous = ownValue(this.o.store.readState().namespaces, namespace);
    const head = revision.desired.namespaces.find((n) => n.name === namespace);

    let target: DesiredNamespace | undefined;
    let targetCommit = commit;
    let mayPrune = true;
    let phase: NamespaceStatus['phase'] = 'Synced';
    let message: string | undefined;
    const deployments: DeploymentStatus[] = [];
    let moves = 0;
    let outcome: PassOutcome = { result: 'ready' };
    let verdict: ErrorVerdict | undefined;
    let services: ServiceStatus[] | undefined;
    let volumes: VolumeStatus[] | undefined;

    try {
      if (head?.valid) {
        this.lastGood.set(namespace, { commit, ns: head });
        target = this.autoscaled(await this.applyPins(head, log));
      } else if (head) {
        mayPrune = false;
        const good = await this.lastGoodOf(namespace, previous?.lastValidCommit ?? previous?.lastAppliedCommit, commit);
        // With its pins: an invalid commit after a rollback must not re-roll the revision rolled back from
        // (found by test/e2e/persistent-volumes.test.ts: the last valid head was the failed rollout's commit).
        target = good ? this.autoscaled(await this.applyPins(good.ns, log, { release: false })) : undefined;
        if (good) targetCommit = good.commit;
        phase = 'Invalid';
        message = `invalid manifests at ${commit.slice(0, 12)}: the namespace keeps running ${good ? `as of ${good.commit.slice(0, 12)}` : 'as it is'}`;
        log.warn({ diagnostics: head.diagnostics.filter((d) => d.severity === 'error').length }, message);
      }
      const guard = this.o.pruneGuard?.(commit);
      if (!guard || guard.holds) {
        mayPrune = false;
        if (!head) {
          phase = 'Refused';
          message = guard ? describeHold(guard) : 'prunes wait until the whole engine has been inventoried for this commit';
          log.warn(message);
          outcome = guard ? { result: 'stalled' } : { result: 'progressing', requeueAfterMs: READINESS_RECHECK_MS };
          return outcome;
        }
      }

      const observed = observe(await this.o.driver.inventory({ namespace })).namespaces.find((n) => n.name === namespace);
      if (!target && !mayPrune) {
        outcome = { result: 'stalled' };
        return outcome;
      }
      const network = await this.ensureNetwork(namespace, target, observed);
      if (network.created) moves++;
      // Replicas resolve through the namespace DNS when there is a data plane to run it and a Service to find:
      // one of their own, or one of another namespace that a NetworkPolicy may open to them.
      const findable = (target?.services.length ?? 0) > 0 || revision.desired.namespaces.some((n) => (n.networkPolicies?.length ?? 0) > 0);
      const dns =
        this.o.dataPlane && network.gateway && findable ? { servers: [network.gateway], search: searchDomains(namespace), options: DNS_OPTIONS } : undefined;
      // Volumes before the replicas that mount them; an invalid head deletes nothing, whatever its message says.
      const volumePlan = planVolumes(namespace, target, observed, head && !head.valid ? new Set() : confirmedVolumeDeletes(revision.commit.message));
      const created = await this.ensureVolumes(namespace, volumePlan, log);
      moves += created.moves;

      const names = [...new Set<string>([...(target?.deployments ?? []).map((d) => d.name), ...(observed?.deployments ?? []).map((d) => d.name)])].sort();
      moves += await this.serving.restartUnhealthy(observed, target, log);
      moves += await this.restartPodMembers(observed, target, log);
      moves += await this.removeOrphanedEmptyDirs(observed, log);
      const readiness = await this.serving.readiness(namespace, observed);
      const steps: Step[] = [];
      const errors: ErrorVerdict[] = [];
      // 1. Decide every Deployment's next move (pure), before touching anything.
      const plans = names.flatMap((name) => {
        const desired = target?.deployments.find((d) => d.name === name);
        if (!desired && !mayPrune) return [];
        const replicas = observed?.deployments.find((d) => d.name === name)?.replicas ?? [];
        const hold = desired ? this.holdOf(namespace, name) : undefined;
        const refused = desired ? statefulRefusal(desired, replicas) : undefined;
        if (refused) log.warn({ kind: 'StatefulSet', name }, refused);
        const step: Step | undefined =
          hold || refused
            ? undefined
            : nextStep({
                desired,
                observed: replicas,
                commit: targetCommit,
                now: this.o.clock.now(),
                restarts: restartRecordsOf(replicas),
                readiness,
                completed: desired ? hasCompleted(this.o.store, namespace, name, desired.revision) : true,
              });
        if (step) steps.push(step);
        return [{ name, desired, replicas, step, hold, refused }];
      });
      // 2. The data plane routes to what is ready now, minus what this pass removes.
      const leaving = new Set(steps.flatMap((s) => (s.kind === 'act' ? s.remove.map((r) => r.replica.id) : [])));
      services = await this.serving.push(namespace, target, observed, readiness, leaving, log);
      // 3. Apply at most one move per Deployment.
      await Promise.all(
        plans.map(async ({ name, desired, replicas, step, hold, refused }) => {
          const dlog = log.child({
            kind: desired?.stateful ? 'StatefulSet' : 'Deployment',
            deployment: name,
            ...(desired ? { revision: desired.revision } : {}),
          });
          let status = desired && deploymentStatus(desired, step, ownValue(this.o.store.readState().pins, `${namespace}/${name}`), hold, refused);
          if (!step) return void (status && deployments.push(status));
          if (step.kind === 'fail' && desired) {
            moves += await this.autoRollback(desired, step, replicas, dlog);
          }
          if (step.kind === 'act') {
            dlog.info({ remove: step.remove.length, create: step.create.length }, step.summary);
            moves += step.remove.length + step.create.length;
            try {
              await applyStep({
                driver: this.o.driver,
                step,
                desired,
                instance: this.o.instance,
                network: target?.network ?? '',
                ...(this.o.serviceAddress ? { hostPortAddress: this.o.serviceAddress } : {}),
                ...(dns ? { dns } : {}),
                logger: dlog,
                ...(this.o.dataPlane ? { drain: (ids: readonly string[], graceSeconds: number) => this.serving.drain(ids, graceSeconds, dlog) } : {}),
                ...(this.o.secretResolver ? { secrets: this.o.secretResolver } : {}), // Secrets
                awaitStartup: this.awaitStartup,
              });
            } catch (err) {
              const v = classifyError(err, 1 + (this.failures.get(namespace) ?? 0));
              errors.push(v);
              dlog[v.level]({ code: v.code, err: v.message }, 'step failed');
              if (status) status = { ...status, phase: 'Failed', message: `${v.code}: ${v.message}` };
            }
          }
          if (step.kind === 'complete' && desired && desired.replicas > 0) await this.noteComplete(desired, replicas);
          if (status) deployments.push(status);
        }),
      );
      deployments.sort((a, b) => a.name.localeCompare(b.name));
      moves += await this.removeStrays(observed, log);
      const deleted = await this.deleteConfirmedVolumes(volumePlan, log);
      moves += deleted.moves;
      volumes = volumeStatuses(namespace, volumePlan, created.failed, deleted);
      if (!target && volumes.length > 0)
        message = `removed from Git: everything berth ran in it is pruned; ${volumes.length} volume(s) kept with their data (${volumes.map((v) => v.name).join(', ')}): see berth volume delete`;
      if (!target && observed?.network && steps.every((s) => s.kind === 'complete') && observed.strays.length === 0) {
        log.info({ network: observed.network.name }, 'removing network of pruned namespace');
        await this.o.driver.removeNetwork(observed.network.name);
        moves++;
      }

      if (errors.length > 0) {
        verdict = errors.find((e) => e.handling === 'transient') ?? errors[0]!;
        throw Object.assign(new Error(verdict.message), { verdict });
      }
      const acted = steps.some((s) => s.kind === 'act') || moves > 0;
      const waits = steps.filter((s): s is Extract<Step, { kind: 'wait' }> => s.kind === 'wait');
      // A rollback decided in this pass starts at once: the pin is in the store already.
      if (acted) outcome = { result: 'progressing', requeueAfterMs: steps.some((st) => st.kind === 'fail') ? 1 : AFTER_MOVE_MS };
      else if (waits.length > 0) {
        const now = this.o.clock.now().getTime();
        const at = Math.min(...waits.map((w) => (w.recheckAt ? w.recheckAt.getTime() - now : READINESS_RECHECK_MS)));
        outcome = { result: 'progressing', requeueAfterMs: Math.max(100, at) };
      }
      if (phase === 'Synced' && outcome.result === 'progressing') phase = 'Progressing';
      if (!target && phase === 'Synced') phase = 'Pruned';
      this.failures.delete(namespace);
      return outcome;
    } catch (err) {
      const attempt = 1 + (this.failures.get(namespace) ?? 0);
      this.failures.set(namespace, attempt);
      const v = verdict ?? (err as { verdict?: ErrorVerdict }).verdict ?? classifyError(err, attempt);
      phase = 'Error';
      message = `${v.code}: ${v.message}`;
      log[v.level]({ code: v.code, err: v.message, retryAfterMs: v.retryAfterMs }, 'pass failed');
      outcome = { result: 'error', ...(v.retryAfterMs !== undefined ? { requeueAfterMs: v.retryAfterMs } : {}) };
      return outcome;
    } finally {
      // A namespace removed from Git keeps its status while volumes of it remain (they are reported as orphaned).
      const kept = volumes ?? previous?.volumes ?? [];
      await this.writeStatus({
        namespace,
        previous,
        commit,
        head,
        phase,
        message,
        deployments,
        moves,
        outcome,
        validHead: head?.valid === true,
        removed: !head && phase === 'Pruned' && kept.length === 0,
        services,
        volumes,
      });
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

  private pinOf(namespace: string, name: string): string | undefined {
    const pin = ownValue(this.o.store.readState().pins, `${namespace}/${name}`);
    return pin ? `${pin.revision}@${pin.commit.slice(0, 12)}` : undefined;
  }

  /** Appends a completed revision to the Deployment's history (once per revision). */
  private async noteComplete(desired: DesiredDeployment, replicas: readonly { revision: string; commit: string }[]): Promise<void> {
    const key = `${desired.namespace}/${desired.name}`;
    const history = ownValue(this.o.store.readState().revisions, key) ?? [];
    if (history.at(-1)?.revision === desired.revision) return;
    const commit = replicas.find((r) => r.revision === desired.revision && r.commit)?.commit ?? '';
    await this.o.store.recordRevision(
      key,
      {
        revision: desired.revision,
        commit,
        image: desired.template.image,
        time: this.o.clock.now().toISOString(),
        outcome: this.pinOf(desired.namespace, desired.name) ? 'rolled-back-to' : 'complete',
      },
      desired.revisionHistoryLimit,
    );
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
  ): Promise<{ created: boolean; gateway?: string }> {
    if (observed?.network) return { created: false, ...(observed.network.gateway ? { gateway: observed.network.gateway } : {}) };
    if (!target || target.deployments.length === 0) return { created: false };
    const network = await this.o.driver.ensureNetwork({
      name: target.network,
      labels: { [LABEL.managed]: 'true', [LABEL.instance]: this.o.instance, [LABEL.namespace]: namespace, [LABEL.kind]: 'Namespace', [LABEL.name]: namespace },
      subnets: namespaceSubnets(this.o.instance, namespace),
    });
    return { created: true, ...(network.gateway ? { gateway: network.gateway } : {}) };
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

  /**
   * Containers of running Pods that are down start again in place, each after its own back-off
   * (memberRestarts, pure); the rollout's readiness wait brings the next pass (the Pod is not ready meanwhile).
   */
  private async restartPodMembers(observed: ObservedNamespace | undefined, target: DesiredNamespace | undefined, log: Logger): Promise<number> {
    let moves = 0;
    for (const d of observed?.deployments ?? []) {
      const desired = target?.deployments.find((x) => x.name === d.name);
      const { restart } = memberRestarts(desired, d.replicas, this.o.clock.now());
      if (!desired || restart.length === 0) continue;
      try {
        await restartPodMembers({
          driver: this.o.driver,
          desired,
          restarts: restart,
          instance: this.o.instance,
          network: target?.network ?? '',
          logger: log.child({ deployment: d.name }),
          ...(this.o.secretResolver ? { secrets: this.o.secretResolver } : {}),
          awaitStartup: this.awaitStartup,
        });
        moves += restart.length;
      } catch (err) {
        log.warn({ deployment: d.name, err: describeError(err) }, 'could not restart a container of a pod; the next pass tries again');
      }
    }
    return moves;
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

  /** A failed rollout with nowhere to return to: the Deployment is not stepped until a commit changes it. */
  private holdOf(namespace: string, name: string): Pin['failed'] {
    const pin = ownValue(this.o.store.readState().pins, `${namespace}/${name}`);
    return pin?.hold && pin.failed ? pin.failed : undefined;
  }

  /**
   * The rollout of `desired` failed: pin the Deployment to its last good revision (a forward
   * roll to the old template, same surge rules; old replicas still serving are simply kept),
   * record the revision as failed, and leave it so until a commit changes the Deployment.
   */
  private async autoRollback(
    desired: DesiredDeployment,
    step: Extract<Step, { kind: 'fail' }>,
    replicas: readonly ObservedReplica[],
    log: Logger,
  ): Promise<number> {
    const key = `${desired.namespace}/${desired.name}`;
    const state = this.o.store.readState();
    const head = this.o.desiredSource
      .current()
      ?.desired.namespaces.find((n) => n.name === desired.namespace)
      ?.deployments.find((d) => d.name === desired.name);
    const commit = replicas.find((r) => r.revision === desired.revision && r.commit)?.commit ?? this.o.desiredSource.current()?.commit.oid ?? '';
    const failed = { revision: desired.revision, commit, reason: step.reason, message: step.summary };
    const good = [...(ownValue(state.revisions, key) ?? [])].reverse().find((r) => r.revision !== desired.revision && r.outcome !== 'failed' && r.commit);
    const now = this.o.clock.now().toISOString();
    await this.o.store.recordRevision(
      key,
      { revision: desired.revision, commit, image: desired.template.image, time: now, outcome: 'failed', reason: step.reason, message: step.summary },
      desired.revisionHistoryLimit,
    );
    const base = {
      namespace: desired.namespace,
      name: desired.name,
      headSpec: head ? specHash(head) : specHash(desired),
      createdAt: now,
      cause: 'auto-rollback' as const,
      failed,
    };
    if (!good) {
      await this.o.store.putPin({ ...base, commit, revision: desired.revision, hold: true });
      log.error(
        { reason: step.reason },
        `rollout failed: ${step.summary}; no earlier good revision to roll back to, leaving the Deployment as it is until a commit changes it`,
      );
      return 1;
    }
    await this.o.store.putPin({ ...base, commit: good.commit, revision: good.revision });
    log.error(
      { reason: step.reason, rollbackTo: good.revision, rollbackCommit: good.commit.slice(0, 12), failedCommit: commit.slice(0, 12) },
      `rollout failed: ${step.summary}; rolling back to revision ${good.revision} (commit ${good.commit.slice(0, 12)})`,
    );
    return 1;
  }

  private async writeStatus(a: {
    namespace: string;
    previous: NamespaceStatus | undefined;
    commit: string;
    head: DesiredNamespace | undefined;
    phase: NamespaceStatus['phase'];
    message: string | undefined;
    deployments: DeploymentStatus[];
    moves: number;
    outcome: PassOutcome;
    validHead: boolean;
    removed: boolean;
    services: ServiceStatus[] | undefined;
    volumes: VolumeStatus[] | undefined;
  }): Promise<void> {
    const now = this.o.clock.now().toISOString();
    const converged = a.outcome.result === 'ready' && a.validHead;
    const lastApplied = converged ? a.commit : a.previous?.lastAppliedCommit;
    const status: NamespaceStatus = {
      namespace: a.namespace,
      lastAttemptedCommit: a.commit,
      ...(lastApplied ? { lastAppliedCommit: lastApplied } : {}),
      ...((a.validHead ? a.commit : a.previous?.lastValidCommit) ? { lastValidCommit: a.validHead ? a.commit : a.previous?.lastValidCommit } : {}),
      phase: a.phase,
      ...(a.message ? { message: a.message } : {}),
      conditions: conditionsFor(a.phase, a.message, a.previous?.conditions ?? [], now),
      deployments: a.deployments,
      // A pass that failed before routing keeps what the last one saw.
      ...((a.services ?? a.previous?.services)?.length ? { services: a.services ?? a.previous!.services! } : {}),
      ...((a.volumes ?? a.previous?.volumes)?.length ? { volumes: a.volumes ?? a.previous!.volumes! } : {}),
      diagnostics: a.head?.diagnostics ?? [],
      updatedAt: now,
    };
    try {
      if (a.removed) await this.o.store.removeNamespace(a.namespace);
      else await this.o.store.putNamespace(status);
      const changed = a.moves > 0 || a.previous?.phase !== a.phase || a.previous?.lastAttemptedCommit !== a.commit;
      if (changed) {
        const record: SyncRecord = {
          time: now,
          namespace: a.namespace,
          commit: a.commit,
          outcome: outcomeOf(a.phase, a.outcome),
          moves: a.moves,
          ...(a.message ? { message: a.message } : {}),
        };
        await this.o.store.appendHistory(record);
      }
    } catch (err) {
      this.o.logger.error({ namespace: a.namespace, err: (err as Error).message }, 'could not write status');
    }
  }
}

/** The namespace's volumes as status shows them: bound and pending claims, then orphaned volumes. */
function volumeStatuses(
  namespace: string,
  plan: VolumePlan,
  failed: ReadonlyMap<string, string>,
  deleted: { waiting: ReadonlyMap<string, string> },
): VolumeStatus[] {
  const out: VolumeStatus[] = [];
  const of = (v: { storage?: string; storageClass?: string }) => ({
    ...(v.storage ? { storage: v.storage } : {}),
    ...(v.storageClass ? { storageClass: v.storageClass } : {}),
  });
  for (const b of plan.bound)
    out.push({ name: b.desired.name, volume: b.desired.volumeName, phase: 'Bound', ...of(b.desired), ...(b.drift ? { message: b.drift } : {}) });
  for (const c of plan.create) {
    const why = failed.get(c.name);
    out.push({ name: c.name, volume: c.volumeName, phase: why ? 'Pending' : 'Bound', ...of(c), ...(why ? { message: why } : {}) });
  }
  for (const r of plan.retained ?? []) {
    out.push({
      name: r.name,
      volume: r.volumeName,
      phase: 'Bound',
      ...of(r),
      message: `kept for ordinal ${r.statefulSet?.ordinal} of StatefulSet ${r.statefulSet?.name}, which has fewer replicas now: mounted again when it scales up`,
    });
  }
  for (const o of plan.orphaned) {
    out.push({
      name: o.name,
      volume: o.volumeName,
      phase: 'Orphaned',
      ...of(o),
      message: `no PersistentVolumeClaim in Git names it: kept with its data until \`berth volume delete ${namespace}/${o.name}\` or a commit with the trailer "${CONFIRM_VOLUME_DELETE_TRAILER}: ${namespace}/${o.name}"`,
    });
  }
  for (const o of plan.delete) {
    const why = deleted.waiting.get(o.name);
    if (why) out.push({ name: o.name, volume: o.volumeName, phase: 'Orphaned', ...of(o), message: why });
  }
  return out.sort((x, y) => x.name.localeCompare(y.name));
}

function outcomeOf(phase: NamespaceStatus['phase'], outcome: PassOutcome): SyncRecord['outcome'] {
  switch (phase) {
    case 'Invalid':
      return 'invalid';
    case 'Refused':
      return 'refused';
    case 'Error':
      return 'failed';
    case 'Pruned':
      return 'pruned';
    default:
      return outcome.result === 'ready' ? 'applied' : 'progressing';
  }
}

function conditionsFor(phase: NamespaceStatus['phase'], message: string | undefined, previous: readonly Condition[], now: string): Condition[] {
  const make = (type: Condition['type'], ok: boolean, reason: string): Condition => {
    const status = ok ? 'True' : 'False';
    const prev = previous.find((c) => c.type === type);
    return { type, status, reason, message: message ?? '', lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : now };
  };
  return [
    make('Synced', phase === 'Synced' || phase === 'Pruned', phase),
    make('Valid', phase !== 'Invalid', phase === 'Invalid' ? 'InvalidManifests' : 'Valid'),
    make('Progressing', phase === 'Progressing', phase === 'Progressing' ? 'RolloutInProgress' : 'Idle'),
  ];
}

/** The Deployment's line in status: counts and phase from its step, what a pin or a held failure says. */
function deploymentStatus(desired: DesiredDeployment, step: Step | undefined, pin: Pin | undefined, hold: Pin['failed'], refused?: string): DeploymentStatus {
  const phase: DeploymentStatus['phase'] =
    !step || step.kind === 'fail'
      ? 'Failed'
      : step.kind === 'complete'
        ? pin?.failed
          ? 'RolledBack'
          : 'Complete'
        : step.kind === 'wait'
          ? 'Waiting'
          : 'Progressing';
  const message = step
    ? step.kind !== 'complete'
      ? step.summary
      : undefined
    : (refused ??
      (hold &&
        `rollout of revision ${hold.revision} failed (${hold.reason}: ${hold.message}) and there is no earlier good revision: left as it is until a commit changes the Deployment`));
  return {
    name: desired.name,
    ...(desired.stateful ? { kind: 'StatefulSet' as const } : {}),
    revision: desired.revision,
    replicas: desired.replicas,
    updatedReplicas: step?.counts.updated ?? 0,
    availableReplicas: step?.counts.updatedAvailable ?? 0,
    phase,
    ...(message ? { message } : {}),
    ...(pin && !pin.failed ? { pinnedTo: `${pin.revision}@${pin.commit.slice(0, 12)}` } : {}),
    ...(pin?.failed ? { rolledBack: pin.failed } : {}),
  };
}

/** Whether a revision of the Deployment has completed before (store history): then it is no longer a rollout that can fail. */
function hasCompleted(store: Store, namespace: string, name: string, revision: string): boolean {
  return (ownValue(store.readState().revisions, `${namespace}/${name}`) ?? []).some((r) => r.revision === revision && r.outcome !== 'failed');
}

import type { Autoscaled } from './autoscale.js';
import { allocateClusterIps, type DesiredDeployment, type DesiredNamespace, type DesiredState } from '../desired/index.js';
import type { ObservedDeployment, ObservedNamespace, ObservedState } from '../observed/index.js';
import type { PinnedNamespace } from './pins.js';
import { describeHold, guardLivePrunes } from './prune-guard.js';
import { isPrune, type NamespacePlan, type Plan, type PlanAction, type PlanSummary, type ServicePlan } from './types.js';
import { planVolumes } from './volumes.js';
import { networkChange } from './network.js';
import { statefulRefusal } from './stateful-refusal.js';

/**
 * plan = diff(desired, observed): what the desired state at a commit would change on the
 * engine, per namespace, as ordered actions: each workload's whole change. Pure. `berth plan`
 * prints it; `berth run` reaches it one step per pass (controller/decide.ts), from the same
 * targets (pins, last valid commit, HPAs: run-targets.ts), holds, refusals and prune guard.
 * test/unit/controller/plan-agrees.test.ts checks over ~100,000 states that the two agree on
 * which workloads have work; test/e2e/plan-agrees.test.ts that a real pass does what the plan said.
 *
 * Safety rules that live here:
 *  - an invalid namespace gets no actions at all (it keeps running as it is);
 *  - the prune guard (prune-guard.ts): removing a whole namespace or more than half of what
 *    berth runs waits for a confirmed commit; a desired state with no namespaces never prunes.
 */
export function diff(
  desired: DesiredState,
  observed: ObservedState,
  options: {
    readonly confirmPrune?: boolean;
    readonly confirmedVolumeDeletes?: ReadonlySet<string>;
    /** Per namespace, the Services' virtual addresses the data plane holds now (what `berth run` keeps). */
    readonly clusterIPs?: ReadonlyMap<string, ReadonlyMap<string, string>>;
    /** Where NodePort/LoadBalancer Services listen on the host (`--service-address`). Default 127.0.0.1. */
    readonly serviceAddress?: string;
    /**
     * Per namespace, the rollback pins applied to `desired` (applyPinsTo, as `berth run` applies
     * them): pinned Deployments are shown as such, held ones get no action (run leaves them).
     */
    readonly rollbacks?: ReadonlyMap<string, Pick<PinnedNamespace, 'pinned' | 'held'>>;
    /**
     * Per namespace invalid at the head, what `berth run` keeps running instead: the desired state
     * at its last valid commit (pins applied). Its actions are shown (no prunes, no volume
     * deletes: an invalid head never removes anything); without one the namespace is left as it runs.
     */
    readonly lastValid?: ReadonlyMap<string, { readonly commit: string; readonly desired: DesiredNamespace }>;
    /** Per namespace, the Deployments whose replica counts HPAs own (applyAutoscalersTo, applied to `desired` as `berth run` applies it). */
    readonly autoscaled?: ReadonlyMap<string, readonly Autoscaled[]>;
  } = {},
): Plan {
  const names = new Set<string>([...desired.namespaces.map((n) => n.name), ...observed.namespaces.map((n) => n.name)]);
  const guard = guardLivePrunes(desired, observed, options.confirmPrune ?? false);
  const desiredByName = new Map(desired.namespaces.map((n) => [n.name, n]));
  const observedByName = new Map(observed.namespaces.map((n) => [n.name, n]));
  const namespaces = [...names].sort().map((name) => {
    const d = desiredByName.get(name);
    const o = observedByName.get(name);
    if (guard.holds && !d && o) {
      return { namespace: name, verdict: 'refused', actions: [], diagnostics: [], message: describeHold(guard) } satisfies NamespacePlan;
    }
    const services = d?.valid ? servicePlans(d, o, options.clusterIPs?.get(name) ?? new Map(), options.serviceAddress ?? '127.0.0.1') : [];
    const rollbacks = options.rollbacks?.get(name);
    const held = new Set(rollbacks?.held.map((h) => h.name));
    const notes = [
      ...(rollbacks?.pinned ?? []).map((p) => ({ name: p.name, revision: p.revision, commit: p.commit })),
      ...(rollbacks?.held ?? []).map((h) => ({ name: h.name, revision: h.revision, held: h.reason })),
    ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const autoscaled = options.autoscaled?.get(name) ?? [];
    const managed = autoscaled.length > 0 ? { autoscaled } : {};
    const fallback = d && !d.valid ? options.lastValid?.get(name) : undefined;
    if (d && fallback) {
      const kept = diffNamespace(fallback.desired, o, new Set(), held);
      const actions = kept.actions.filter((a) => !isPrune(a));
      return {
        namespace: name,
        verdict: 'invalid',
        actions,
        diagnostics: d.diagnostics,
        message: `invalid manifests: the namespace keeps running as of ${fallback.commit.slice(0, 12)}${actions.length > 0 ? ', which berth converges to' : ''}`,
        ...(notes.length > 0 ? { rollbacks: notes } : {}),
        ...managed,
      } satisfies NamespacePlan;
    }
    const plan = {
      ...diffNamespace(d, o, options.confirmedVolumeDeletes, held),
      ...(services.length > 0 ? { services } : {}),
      ...(d?.valid && notes.length > 0 ? { rollbacks: notes } : {}),
      ...(d?.valid ? managed : {}),
    };
    if (!guard.holds || !plan.actions.some(isPrune)) return plan;
    // The guard holds: every prune waits for a confirmed commit; the rest applies.
    const actions = plan.actions.filter((a) => !isPrune(a));
    return { ...plan, actions, verdict: actions.length > 0 ? 'changes' : 'in-sync', message: describeHold(guard) } satisfies NamespacePlan;
  });
  return { commit: desired.commit, namespaces, diagnostics: desired.diagnostics, summary: summarize(namespaces), pruneGuard: guard };
}

/**
 * The Services of a namespace as `berth run` will serve them: the virtual address comes from the
 * same allocateClusterIps the controller's routes use, given the namespace's subnet (once its
 * network exists) and the addresses the data plane holds now, so plan and run name the same one.
 */
function servicePlans(
  desired: DesiredNamespace,
  observed: ObservedNamespace | undefined,
  previous: ReadonlyMap<string, string>,
  serviceAddress: string,
): ServicePlan[] {
  const subnet = observed?.network?.subnet;
  const ips = allocateClusterIps({ subnet, services: desired.services, previous });
  return desired.services.map((s) => {
    const ip = ips.get(s.name);
    const address =
      ip && 'headless' in ip
        ? { clusterIP: 'None' }
        : ip && 'address' in ip
          ? { clusterIP: ip.address }
          : subnet === undefined
            ? { note: 'address allocated when the namespace network is created' }
            : { note: ip && 'error' in ip ? ip.error : 'no address' };
    return {
      name: s.name,
      type: s.type,
      ...address,
      ports: s.ports.map((p) => `${p.name !== undefined ? `${p.name} ` : ''}${p.port} → ${p.targetPort}`),
      host: s.ports.flatMap((p) => (p.listenPort !== undefined ? [`${serviceAddress}:${p.listenPort}`] : [])),
    };
  });
}

/**
 * One namespace: `desired` undefined = the folder was removed from Git (prune). Volumes are
 * created before the Deployments that mount them and are never pruned: an orphaned one is
 * listed, and deleted only when `confirmedVolumeDeletes` (the commit's trailers) names it.
 */
export function diffNamespace(
  desired: DesiredNamespace | undefined,
  observed: ObservedNamespace | undefined,
  confirmedVolumeDeletes?: ReadonlySet<string>,
  held: ReadonlySet<string> = new Set(),
): NamespacePlan {
  const name = (desired?.name ?? observed?.name)!;
  if (desired && !desired.valid) {
    return {
      namespace: name,
      verdict: 'invalid',
      actions: [],
      diagnostics: desired.diagnostics,
      message: 'invalid manifests: the namespace is left as it runs',
    };
  }
  const actions: PlanAction[] = [];
  const deployments = desired?.deployments ?? [];
  const network = networkChange(desired, observed);
  if (desired && network === 'create') actions.push({ kind: 'create-network', namespace: name, network: desired.network });
  const volumes = planVolumes(name, desired, observed, confirmedVolumeDeletes);
  for (const v of volumes.create)
    actions.push({
      kind: 'create-volume',
      namespace: name,
      name: v.name,
      volume: v.volumeName,
      storage: v.storage,
      ...(v.storageClass ? { storageClass: v.storageClass } : {}),
    });
  const observedByName = new Map((observed?.deployments ?? []).map((o) => [o.name, o]));
  const desiredNames = new Set(deployments.map((d) => d.name));
  // A held Deployment (its revision failed with nothing to go back to) is left as it runs: no step, as in `berth run`.
  // So is a StatefulSet whose commit changes what Kubernetes forbids changing (statefulRefusal, as `berth run` decides it).
  const refused: { name: string; reason: string }[] = [];
  for (const d of deployments) {
    if (held.has(d.name)) {
      // Not stepped; but a container of its Pods that is down still restarts in place (memberRestarts), as a kubelet restarts it.
      const down = (observedByName.get(d.name)?.replicas ?? []).filter((r) => r.state === 'running' && r.down !== undefined && r.revision === d.revision);
      if (down.length > 0)
        actions.push({ kind: 'heal-deployment', ...workloadOf(d), namespace: name, name: d.name, exited: down.length, missing: 0, duplicates: 0 });
      continue;
    }
    const reason = statefulRefusal(d, observedByName.get(d.name)?.replicas ?? []);
    if (reason) refused.push({ name: d.name, reason });
    else actions.push(...diffDeployment(d, observedByName.get(d.name)));
  }
  for (const o of observed?.deployments ?? []) {
    if (!desiredNames.has(o.name) && o.replicas.length > 0) {
      actions.push({ kind: 'prune-deployment', ...workloadOf(o), namespace: name, name: o.name, replicas: o.replicas.length });
    }
  }
  if (observed && observed.strays.length > 0) {
    actions.push({ kind: 'remove-strays', namespace: name, containers: observed.strays.map((s) => s.name) });
  }
  if (network === 'remove' && observed?.network) actions.push({ kind: 'remove-network', namespace: name, network: observed.network.name });
  const statefulSets = new Set(deployments.flatMap((d) => (d.stateful ? [d.name] : [])));
  for (const v of volumes.delete)
    actions.push({
      kind: 'delete-volume',
      namespace: name,
      name: v.name,
      volume: v.volumeName,
      ...(v.statefulSet && statefulSets.has(v.statefulSet.name) ? { retention: true as const } : {}),
    });
  return {
    namespace: name,
    verdict: actions.length > 0 ? 'changes' : 'in-sync',
    actions,
    diagnostics: desired?.diagnostics ?? [],
    ...(refused.length > 0 ? { refused } : {}),
    ...(volumes.orphaned.length > 0 ? { orphanedVolumes: volumes.orphaned.map((v) => ({ name: v.name, volume: v.volumeName })) } : {}),
    ...(desired ? {} : { message: 'removed from Git: everything berth runs in it is pruned (volumes are kept)' }),
  };
}

export function describeStrategy(d: DesiredDeployment): string {
  const sts = d.stateful;
  if (sts?.updateStrategy.type === 'OnDelete') return 'OnDelete (each replica takes the new template only when it is replaced)';
  if (sts?.updateStrategy.type === 'RollingUpdate')
    return `RollingUpdate one ordinal at a time, highest first${sts.updateStrategy.partition > 0 ? `, ordinals ≥ ${sts.updateStrategy.partition} (partition)` : ''}`;
  if (d.strategy.type === 'Recreate') return 'Recreate';
  return `RollingUpdate (maxSurge ${d.strategy.maxSurge}, maxUnavailable ${d.strategy.maxUnavailable})`;
}

/** Does a new template reach this ordinal by a rollout? A Deployment's: always. A StatefulSet's: with RollingUpdate, from its partition up. */
export function rollsOnUpdate(d: DesiredDeployment, ordinal: number): boolean {
  const update = d.stateful?.updateStrategy;
  return !update || (update.type === 'RollingUpdate' && ordinal >= update.partition);
}

/** `{ workload: 'StatefulSet' }` for a StatefulSet's action, nothing for a Deployment's. */
function workloadOf(w: { readonly stateful?: unknown; readonly kind?: 'StatefulSet' }): { workload?: 'StatefulSet' } {
  return w.stateful || w.kind === 'StatefulSet' ? { workload: 'StatefulSet' } : {};
}

function diffDeployment(d: DesiredDeployment, o: ObservedDeployment | undefined): PlanAction[] {
  const replicas = (o?.replicas ?? []).filter((r) => r.state !== 'removing');
  const workload = workloadOf(d);
  if (replicas.length === 0) {
    // Nothing runs and nothing is to run (replicas: 0): `berth run` has nothing to create either.
    if (d.replicas === 0) return [];
    return [
      { kind: 'create-deployment', ...workload, namespace: d.namespace, name: d.name, revision: d.revision, replicas: d.replicas, image: d.template.image },
    ];
  }
  // The replicas a rollout replaces: every other revision's, but a StatefulSet's below its partition (or all, OnDelete) stay as they are.
  const rolled = replicas.filter((r) => r.revision !== d.revision && rollsOnUpdate(d, r.replica));
  const fromRevisions = [...new Set(rolled.map((r) => r.revision))].sort();
  if (fromRevisions.length > 0) {
    const changed = configMapsChanged(d, rolled);
    return [
      {
        kind: 'update-deployment',
        ...workload,
        namespace: d.namespace,
        name: d.name,
        fromRevisions,
        toRevision: d.revision,
        replicas: d.replicas,
        image: d.template.image,
        strategy: describeStrategy(d),
        ...(changed.length > 0 ? { configMapsChanged: changed } : {}),
      },
    ];
  }
  const actions: PlanAction[] = [];
  const slots = new Map<number, number>();
  for (const r of replicas) slots.set(r.replica, (slots.get(r.replica) ?? 0) + 1);
  let missing = 0;
  for (let i = 0; i < d.replicas; i++) if (!slots.has(i)) missing++;
  if (slots.size !== d.replicas) {
    actions.push({ kind: 'scale-deployment', ...workload, namespace: d.namespace, name: d.name, from: slots.size, to: d.replicas });
    missing = 0;
  }
  const duplicates = [...slots.values()].reduce((n, c) => n + c - 1, 0);
  // A Pod with a container down counts too: run restarts that container in place (memberRestarts).
  const exited = replicas.filter((r) => r.replica < d.replicas && (r.state !== 'running' || (r.down !== undefined && r.revision === d.revision))).length;
  if (duplicates > 0 || exited > 0 || missing > 0) {
    actions.push({ kind: 'heal-deployment', ...workload, namespace: d.namespace, name: d.name, exited, missing, duplicates });
  }
  return actions;
}

/**
 * The ConfigMaps the desired template uses whose content hash differs from the one the old
 * replicas were created with (their berth.configmaps label): why the Deployment rolls. A
 * ConfigMap the old replicas did not use is not named (the template changed anyway).
 * Worked example: desired { cfg: 'b2' }, old replicas { cfg: 'a1' } → ['cfg'].
 */
export function configMapsChanged(d: DesiredDeployment, old: readonly ObservedDeployment['replicas'][number][]): string[] {
  const desired = d.template.configMaps ?? {};
  const out = new Set<string>();
  for (const r of old) {
    for (const [name, hash] of Object.entries(r.configMaps ?? {})) if (desired[name] !== undefined && desired[name] !== hash) out.add(name);
  }
  return [...out].sort();
}

function summarize(namespaces: readonly NamespacePlan[]): PlanSummary {
  let create = 0;
  let update = 0;
  let prune = 0;
  for (const ns of namespaces) {
    for (const a of ns.actions) {
      if (a.kind === 'create-deployment' || a.kind === 'create-volume') create++;
      else if (a.kind === 'update-deployment' || a.kind === 'scale-deployment' || a.kind === 'heal-deployment') update++;
      else if (a.kind === 'prune-deployment' || a.kind === 'remove-strays' || a.kind === 'delete-volume') prune++;
    }
  }
  return {
    create,
    update,
    prune,
    invalidNamespaces: namespaces.filter((n) => n.verdict === 'invalid').length,
    refusedNamespaces: namespaces.filter((n) => n.verdict === 'refused').length,
  };
}

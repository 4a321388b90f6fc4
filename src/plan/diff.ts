import type { DesiredDeployment, DesiredNamespace } from '../desired/index.js';
import { allocateClusterIps, serviceSubnet } from '../desired/index.js';
import type { ObservedDeployment, ObservedNamespace } from '../observed/index.js';
import type { NamespacePlan, PlanAction, PlanSummary, ServicePlan } from './types.js';
import { planVolumes } from './volumes.js';
import { networkChange } from './network.js';

/**
 * The Services of a namespace as `berth run` will serve them: the virtual address comes from the
 * same allocateClusterIps the controller's routes use, given the namespace's subnet (once its
 * network exists) and the addresses the data plane holds now, so plan and run name the same one.
 */
export function servicePlans(
  desired: DesiredNamespace,
  observed: ObservedNamespace | undefined,
  previous: ReadonlyMap<string, string>,
  serviceAddress: string,
): ServicePlan[] {
  const { subnet, noSubnet } = serviceSubnet(observed?.network);
  const ips = allocateClusterIps({ subnet, services: desired.services, previous, ...(noSubnet ? { noSubnet } : {}) });
  return desired.services.map((s) => {
    const ip = ips.get(s.name);
    const address =
      ip && 'headless' in ip
        ? { clusterIP: 'None' }
        : ip && 'address' in ip
          ? { clusterIP: ip.address }
          : subnet === undefined && noSubnet === undefined
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
 * One namespace's plan around its workloads' actions (`workloads`: what the pass's decision gives
 * each workload, controller/live-plan.ts, in order, prunes last): `desired` undefined = the folder
 * was removed from Git (prune). Volumes are created before the Deployments that mount them and are
 * never pruned: an orphaned one is listed, and deleted only when `confirmedVolumeDeletes` (the
 * commit's trailers) names it.
 */
export function namespacePlan(
  desired: DesiredNamespace | undefined,
  observed: ObservedNamespace | undefined,
  workloads: { readonly actions: readonly PlanAction[]; readonly refused: readonly { readonly name: string; readonly reason: string }[] },
  confirmedVolumeDeletes?: ReadonlySet<string>,
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
  actions.push(...workloads.actions);
  const refused = workloads.refused;
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
export function workloadOf(w: { readonly stateful?: unknown; readonly kind?: 'StatefulSet' }): { workload?: 'StatefulSet' } {
  return w.stateful || w.kind === 'StatefulSet' ? { workload: 'StatefulSet' } : {};
}

/**
 * The whole change of one workload the pass's decision gives work (controller/live-plan.ts): a
 * create, the rollout of every replica of another revision, a scale, a heal. Never asked whether
 * there is work: that is the decision's. Worked example: 3 replicas desired at b, 3 running at a →
 * update-deployment a → b.
 */
export function workloadChange(d: DesiredDeployment, o: ObservedDeployment | undefined): PlanAction[] {
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

export function summarize(namespaces: readonly NamespacePlan[]): PlanSummary {
  let create = 0;
  let update = 0;
  let prune = 0;
  for (const ns of namespaces) {
    for (const a of ns.actions) {
      if (a.kind === 'create-deployment' || a.kind === 'create-volume') create++;
      else if (a.kind === 'update-deployment' || a.kind === 'scale-deployment' || a.kind === 'heal-deployment' || a.kind === 'rollback-deployment') update++;
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

import type { ObservedNamespace, ObservedReplica } from './types.js';

/**
 * What `berth get pods` and the API show of one replica, as `kubectl get pods` shows a pod:
 * facts from the engine's labels and state, readiness from the running berth's prober.
 */
export interface PodStatus {
  readonly namespace: string;
  readonly deployment: string;
  /** `<deployment>-<revision>-<replica>`: kubectl's pod name shape (a StatefulSet's: `<name>-<ordinal>`; the engine's name is `container`). */
  readonly name: string;
  /** The engine's container name (what `docker logs` takes). */
  readonly container: string;
  readonly id: string;
  readonly revision: string;
  readonly replica: number;
  readonly commit: string;
  readonly image: string;
  /** kubectl's STATUS column: Running, ContainerCreating, Completed, Error, CrashLoopBackOff, Restarting, Terminating, Paused. */
  readonly status: string;
  readonly ready: boolean;
  /** Why it is not ready (a probe's failure, not running), when it is not. */
  readonly reason?: string;
  /** Restarts of its slot so far (label berth.restarts). */
  readonly restarts: number;
  /** When its slot last restarted (this container was made as the replacement). */
  readonly lastRestart?: string;
  readonly address?: string;
  /** The node it runs on (a cluster driver). */
  readonly node?: string;
  readonly created: string;
  readonly exitCode?: number;
  /** A Pod of several containers: each container, in start order (kubectl's READY n/m counts them). */
  readonly containers?: readonly {
    readonly name: string;
    /** The engine's container id (for its logs and stats). */
    readonly id: string;
    readonly state: string;
    readonly ready: boolean;
    readonly exitCode?: number;
    readonly sidecar?: true;
  }[];
}

/** The running berth's verdict on a replica with probes; absent: none (no probes, or not probed). */
export interface PodReadiness {
  readonly ready: boolean;
  readonly reason?: string;
  /** A Pod's containers whose readiness probe has not succeeded (by template name). */
  readonly notReady?: readonly string[];
}

/** A container berth probes for a replica: the replica itself, or each container of a Pod that has probes. */
export interface ProbedContainer {
  readonly id: string;
  readonly probesJson: string;
  /** When it was created: probing's initial delay counts from here. */
  readonly created: string;
  /** Its name in the template, for a Pod's container. */
  readonly container?: string;
}

export function probedContainers(r: ObservedReplica): ProbedContainer[] {
  if (r.members) return r.members.flatMap((m) => (m.probesJson ? [{ id: m.id, probesJson: m.probesJson, created: m.created, container: m.container }] : []));
  return r.probesJson ? [{ id: r.id, probesJson: r.probesJson, created: r.created }] : [];
}

/**
 * A replica's readiness from the verdicts on its probed containers (`viewOf` by container id):
 * ready when every one is; the first that is not names why (with its container in a Pod). No
 * probed container: no verdict (ready while it runs). One nobody probes yet: not ready.
 */
export function replicaVerdict(r: ObservedReplica, viewOf: (id: string) => PodReadiness | undefined): PodReadiness | undefined {
  const probed = probedContainers(r);
  if (probed.length === 0) return undefined;
  const failing = probed.flatMap((c) => {
    const view = viewOf(c.id) ?? { ready: false, reason: 'not probed yet' };
    return view.ready ? [] : [{ container: c.container, reason: view.reason ?? 'readiness probe has not succeeded yet' }];
  });
  const first = failing[0];
  if (!first) return { ready: true };
  const named = failing.flatMap((f) => (f.container ? [f.container] : []));
  return {
    ready: false,
    reason: first.container ? `container ${JSON.stringify(first.container)}: ${first.reason}` : first.reason,
    ...(named.length > 0 ? { notReady: named } : {}),
  };
}

/**
 * Replicas → pod rows, in the observed order (Deployment, revision, replica). A running replica
 * without probes is ready as soon as it runs (as in Kubernetes); one with probes but no verdict
 * (nobody probes it) is shown not ready with that reason, never guessed ready.
 *
 *   running, no probes                  → Running, ready
 *   running, probes, verdict not ready  → Running, not ready, reason = the probe's failure
 *   exited 0                            → Completed
 *   exited 1, first container of slot   → Error
 *   exited 1, restarts ≥ 1              → CrashLoopBackOff (berth waits out the back-off before replacing it)
 *   created                             → ContainerCreating
 *   an init container running           → Init:Running; done, the next not started yet → PodInitializing
 *   an init container failed            → Init:Error, then Init:CrashLoopBackOff once restarted
 */
export function podsOf(namespace: ObservedNamespace, readinessOf: (replica: ObservedReplica) => PodReadiness | undefined): PodStatus[] {
  const pods: PodStatus[] = [];
  for (const deployment of namespace.deployments) {
    for (const r of deployment.replicas) {
      // kubectl's RESTARTS of a pod: the slot's (the Pod replaced) plus each container's restarts in place.
      const restarts = (r.restart?.count ?? 0) + memberRestartCount(r);
      const down = r.state === 'running' ? downContainer(r) : undefined;
      const status =
        r.init !== undefined
          ? initPhase(r.state, r.exitCode, restarts)
          : down
            ? (down.member?.restart?.count ?? 0) > 0
              ? 'CrashLoopBackOff'
              : 'Running'
            : podPhase(r.state, r.exitCode, restarts);
      const verdict = r.state === 'running' && r.init === undefined ? readinessOf(r) : undefined;
      const ready = r.state === 'running' && r.init === undefined && !down && (verdict?.ready ?? probedContainers(r).length === 0);
      const reason =
        r.init !== undefined
          ? `init container ${JSON.stringify(r.init)} ${r.state === 'running' ? 'is running' : r.exitCode === 0 ? 'completed' : `failed${r.exitCode !== undefined ? ` (exit code ${r.exitCode})` : ''}`}`
          : r.state !== 'running'
            ? `${r.members ? "the pod's infra container" : 'container'} is ${r.state}${r.exitCode !== undefined && r.state === 'exited' ? ` (exit code ${r.exitCode})` : ''}${r.stateReason ? `: ${r.stateReason}` : ''}`
            : down
              ? down.reason
              : ready
                ? undefined
                : (verdict?.reason ?? (verdict ? 'readiness probe has not succeeded yet' : 'readiness unknown: no running berth probes it'));
      pods.push({
        namespace: namespace.name,
        deployment: deployment.name,
        // A StatefulSet's replica has its stable name, as in Kubernetes.
        name: r.kind === 'StatefulSet' ? `${deployment.name}-${r.replica}` : `${deployment.name}-${r.revision}-${r.replica}`,
        container: r.name,
        id: r.id,
        revision: r.revision,
        replica: r.replica,
        commit: r.commit,
        image: r.image,
        status,
        ready,
        ...(reason ? { reason } : {}),
        restarts,
        ...(r.restart ? { lastRestart: r.restart.at } : {}),
        // The pod's address: on a cluster its overlay address (berth's host reaches it through its published ports).
        ...((r.address ?? r.clusterAddress) ? { address: (r.address ?? r.clusterAddress)! } : {}),
        ...(r.node ? { node: r.node } : {}),
        created: r.created,
        ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
        ...(r.members
          ? {
              containers: r.members.map((m) => ({
                name: m.container,
                id: m.id,
                state: m.state,
                ready: m.state === 'running' && r.state === 'running' && !(verdict?.notReady ?? []).includes(m.container),
                ...(m.exitCode !== undefined ? { exitCode: m.exitCode } : {}),
                ...(m.sidecar ? { sidecar: true as const } : {}),
              })),
            }
          : {}),
      });
    }
  }
  return pods;
}

/** Restarts in place of a Pod's containers: per container name, the highest count its containers carry. */
function memberRestartCount(r: ObservedReplica): number {
  const byName = new Map<string, number>();
  for (const m of r.members ?? []) byName.set(m.container, Math.max(byName.get(m.container) ?? 0, m.restart?.count ?? 0));
  return [...byName.values()].reduce((a, b) => a + b, 0);
}

/** The first container of a running Pod that is down (restarted in place after its back-off), and what to say. */
function downContainer(r: ObservedReplica): { member?: NonNullable<ObservedReplica['members']>[number]; reason: string } | undefined {
  const name = r.down?.[0];
  if (name === undefined) return undefined;
  const member = [...(r.members ?? [])].filter((m) => m.container === name).sort((a, b) => b.created.localeCompare(a.created))[0];
  const what = member ? `${member.state}${member.exitCode !== undefined && member.state === 'exited' ? ` (exit code ${member.exitCode})` : ''}` : 'missing';
  return { ...(member ? { member } : {}), reason: `container ${JSON.stringify(name)} is ${what}; it restarts in place after its back-off` };
}

/** kubectl's Init: statuses for a replica whose init container is what the engine has. */
function initPhase(state: ObservedReplica['state'], exitCode: number | undefined, restarts: number): string {
  if (state === 'running') return 'Init:Running';
  if (state === 'exited' && exitCode === 0) return 'PodInitializing';
  return restarts > 0 ? 'Init:CrashLoopBackOff' : 'Init:Error';
}

function podPhase(state: ObservedReplica['state'], exitCode: number | undefined, restarts: number): string {
  switch (state) {
    case 'running':
      return 'Running';
    case 'pending':
      return 'Pending';
    case 'created':
      return 'ContainerCreating';
    case 'restarting':
      return 'Restarting';
    case 'removing':
      return 'Terminating';
    case 'paused':
      return 'Paused';
    case 'exited':
      return exitCode === 0 ? 'Completed' : restarts > 0 ? 'CrashLoopBackOff' : 'Error';
    default:
      return 'Error';
  }
}

/**
 * A replica's service and its newest task as an owned container: the task's state as a
 * container's, lost or kept with its node (eviction, tolerations), why it waits, and where its
 * creation stands. Pure.
 */
import type { ContainerState, OwnedContainer, PublishedPort } from '../driver.js';
import { LABEL } from '../labels.js';
import { NAME_LABEL, NODE_SELECTOR_LABEL, PLACEMENT_LABEL, UNSCHEDULABLE_LABEL, type SwarmNode } from './map.js';

/** The slice of a task berth reads. */
export interface SwarmTask {
  readonly ID?: string;
  readonly ServiceID?: string;
  readonly NodeID?: string;
  readonly CreatedAt?: string;
  readonly UpdatedAt?: string;
  readonly Version?: { readonly Index?: number };
  readonly DesiredState?: string;
  readonly Status?: {
    readonly State?: string;
    readonly Message?: string;
    readonly Err?: string;
    readonly ContainerStatus?: { readonly ContainerID?: string; readonly ExitCode?: number };
    readonly PortStatus?: { readonly Ports?: readonly { readonly Protocol?: string; readonly TargetPort?: number; readonly PublishedPort?: number }[] };
  };
  readonly NetworksAttachments?: readonly { readonly Network?: { readonly ID?: string }; readonly Addresses?: readonly string[] }[];
}

/** The slice of a service berth reads. */
export interface SwarmService {
  readonly ID?: string;
  readonly CreatedAt?: string;
  readonly Version?: { readonly Index?: number };
  readonly Spec?: {
    readonly Name?: string;
    readonly Labels?: Record<string, string>;
    readonly Mode?: { readonly Replicated?: { readonly Replicas?: number } };
    readonly TaskTemplate?: { readonly ContainerSpec?: { readonly Image?: string }; readonly Networks?: readonly { readonly Target?: string }[] };
  };
}

/** The task that is the replica now: the newest one (Swarm keeps a few old ones as history). */
export function currentTask(tasks: readonly SwarmTask[]): SwarmTask | undefined {
  let best: SwarmTask | undefined;
  for (const t of tasks) {
    if (
      !best ||
      (t.CreatedAt ?? '') > (best.CreatedAt ?? '') ||
      ((t.CreatedAt ?? '') === (best.CreatedAt ?? '') && (t.Version?.Index ?? 0) > (best.Version?.Index ?? 0))
    )
      best = t;
  }
  return best;
}

/**
 * A task's state as a container's (swarmkit's TaskState):
 *   new … ready (not yet on a node, or being prepared there)   → pending (`pending`: not running, not crashed; a
 *                                                                 task no node can take stays here, and its
 *                                                                 Status.Err says why)
 *   starting → created; running → running
 *   complete, failed, shutdown (stopped by berth)              → exited
 *   rejected (the node could not start it)                     → dead
 *   orphaned (its node went away), remove                       → dead, removing
 * A task given to a node Swarm has marked down (assigned … running) is dead: it serves nothing,
 * will not start, and Swarm will not move it.
 */
export function taskState(task: SwarmTask | undefined, node: SwarmNode | undefined): ContainerState {
  const s = task?.Status?.State ?? '';
  if (onDownNode(task, node)) return 'dead';
  switch (s) {
    case 'new':
    case 'allocated':
    case 'pending':
    case 'assigned':
    case 'accepted':
    case 'preparing':
    case 'ready':
      return 'pending';
    case 'starting':
      return 'created';
    case 'running':
      return 'running';
    case 'complete':
    case 'failed':
    case 'shutdown':
      return 'exited';
    case 'remove':
      return 'removing';
    default:
      // rejected, orphaned, or no task at all (the service's only task was removed): gone, not coming back.
      return task === undefined ? 'pending' : 'dead';
  }
}

/** Task states of a task a node holds and has not finished with. */
const ON_NODE = new Set(['assigned', 'accepted', 'preparing', 'ready', 'starting', 'running']);

/** A task its node holds (assigned … running) on a node Swarm has marked down. */
function onDownNode(task: SwarmTask | undefined, node: SwarmNode | undefined): boolean {
  return node?.state === 'down' && ON_NODE.has(task?.Status?.State ?? '');
}

/**
 * Swarm, not berth, ordered a task that still runs (or is about to) to stop: its desired state is
 * past `running` (a drain, a node update) while berth wants the replica running. The replica is
 * on its way out, as a Kubernetes Pod being evicted: it leaves routing and is replaced now.
 * Desired `remove` is not that: the service was scaled down or removed (berth's own stop, seen by
 * an inventory that read the service before berth scaled it to 0 and its task after).
 */
function orderedToStop(task: SwarmTask | undefined): boolean {
  const desired = task?.DesiredState;
  return desired !== undefined && desired !== 'running' && desired !== 'ready' && desired !== 'remove' && ON_NODE.has(task?.Status?.State ?? '');
}

/**
 * A replica's service (and its newest task) as an owned container. Ports are the task's
 * host-mode published ports at its node's address: how berth (probes, the data plane) reaches a
 * replica on another machine. No `address`: a task's overlay address is not reachable from berth.
 */
export function toOwnedContainer(
  service: SwarmService,
  task: SwarmTask | undefined,
  nodes: ReadonlyMap<string, SwarmNode>,
  now: Date = new Date(0),
): OwnedContainer {
  const node = task?.NodeID ? nodes.get(task.NodeID) : undefined;
  const stoppedByBerth = service.Spec?.Mode?.Replicated?.Replicas === 0;
  const labels: Record<string, string> = { ...(service.Spec?.Labels ?? {}) };
  // On a node that is down, within its toleration (label berth.placement): kept, waiting (pending), not replaced.
  const tolerated = !stoppedByBerth && onDownNode(task, node) ? downNodeTolerance(labels[PLACEMENT_LABEL], node!, now) : undefined;
  // A service berth scaled to 0 whose task Swarm has since reaped: stopped, not waiting for a node.
  const state = tolerated ? 'pending' : !task && stoppedByBerth ? 'exited' : taskState(task, node);
  if (node) labels[LABEL.node] = node.hostname;
  const exitCode = state === 'exited' || state === 'dead' ? task?.Status?.ContainerStatus?.ExitCode : undefined;
  // Stopped, or lost with its node, while berth still wants it running (berth stops a replica by scaling it to 0).
  // Also a task its node still holds but Swarm has ordered to stop (drain): out of routing and replaced before it stops.
  // A task shut down because its service was scaled down or removed (desired `remove`) is berth's own stop, read torn.
  const shutDown = task?.Status?.State === 'shutdown' && task.DesiredState !== 'remove';
  const taskLost = shutDown || task?.Status?.State === 'orphaned' || onDownNode(task, node) || orderedToStop(task);
  const evicted = taskLost && !stoppedByBerth && !tolerated;
  const reason = tolerated
    ? `its node ${node!.hostname} is down; kept ${tolerated.until ? `until ${tolerated.until.toISOString()}` : 'for good'} by its toleration of node.kubernetes.io/unreachable`
    : evicted
      ? evictionReason(task, node)
      : state === 'pending' || state === 'dead'
        ? pendingReason(task, labels[NODE_SELECTOR_LABEL], state, labels[UNSCHEDULABLE_LABEL])
        : undefined;
  return {
    id: service.ID ?? '',
    name: labels[NAME_LABEL] ?? service.Spec?.Name ?? '',
    image: service.Spec?.TaskTemplate?.ContainerSpec?.Image ?? '',
    labels,
    state,
    created: service.CreatedAt ?? new Date(0).toISOString(),
    ...(exitCode !== undefined ? { exitCode } : {}),
    ports: state === 'running' && node ? publishedPorts(task, node.address) : [],
    ...(state === 'running' && overlayAddress(service, task) ? { clusterAddress: overlayAddress(service, task)! } : {}),
    ...(evicted ? { evicted: true as const } : {}),
    ...(reason ? { reason } : {}),
  };
}

/**
 * Why an evicted replica is lost, naming its node. Pure.
 *   node2 down, or the task orphaned on it      → "its node node2 is down"
 *   node2 drained                               → "its node node2 was drained"
 *   a node the cluster no longer lists (removed with `docker node rm`: Swarm orphans its tasks)
 *                                               → "its node left the cluster (<Swarm's message>)"
 */
function evictionReason(task: SwarmTask | undefined, node: SwarmNode | undefined): string {
  if (!node) return `its node left the cluster${task?.Status?.Message ? ` (${task.Status.Message})` : ''}`;
  const how = node.state === 'down' || task?.Status?.State === 'orphaned' ? 'is down' : node.availability === 'drain' ? 'was drained' : 'stopped it';
  return `its node ${node.hostname} ${how}`;
}

/**
 * Where a replica's creation stands, from its service as an owned container and the newest
 * task's node (createReplica waits while it is `starting`). Pure.
 *   the task runs                                              → running
 *   the task failed, was rejected, or completed                → failed (berth removes the service and says why)
 *   its node is down or drained, the task orphaned or stopped  → lost: the next pass replaces it (or keeps it,
 *     by Swarm, before it ran                                      by its toleration); waiting holds the pass
 *   still pending, with Swarm's Err (no node can take it)      → unplaced
 *   anything else (new … starting)                             → starting
 */
export function startProgress(
  container: Pick<OwnedContainer, 'state' | 'evicted'>,
  task: SwarmTask | undefined,
  node: Pick<SwarmNode, 'state'> | undefined,
): 'running' | 'failed' | 'lost' | 'unplaced' | 'starting' {
  if (container.state === 'running') return 'running';
  const state = task?.Status?.State ?? '';
  if (state === 'failed' || state === 'rejected' || state === 'complete') return 'failed';
  if (container.evicted || node?.state === 'down' || container.state === 'dead' || container.state === 'exited') return 'lost';
  if (container.state === 'pending' && task?.Status?.Err) return 'unplaced';
  return 'starting';
}

/** A running task's address on its service's (namespace) overlay network: `10.0.1.5/24` → `10.0.1.5`. */
function overlayAddress(service: SwarmService, task: SwarmTask | undefined): string | undefined {
  const network = service.Spec?.TaskTemplate?.Networks?.[0]?.Target;
  const attached = task?.NetworksAttachments?.find((a) => network !== undefined && a.Network?.ID === network);
  const address = attached?.Addresses?.[0]?.split('/')[0];
  return address && /^\d+\.\d+\.\d+\.\d+$/.test(address) ? address : undefined;
}

/**
 * How long a replica on a node that is down is kept (its pod's toleration, core/placement.ts),
 * counted from when the cluster last changed the node's record. Undefined: not tolerated, or no
 * longer (evicted now). Pure.
 *   toleration 60 s, node down since 10:00:00, now 10:00:30 → until 10:01:00
 *   toleration without seconds                             → for good
 */
export function downNodeTolerance(placementJson: string | undefined, node: SwarmNode, now: Date): { readonly until?: Date } | undefined {
  let toleration: { seconds?: unknown } | undefined;
  try {
    toleration = placementJson ? (JSON.parse(placementJson) as { downNodeToleration?: { seconds?: unknown } }).downNodeToleration : undefined;
  } catch {
    return undefined;
  }
  if (!toleration || typeof toleration !== 'object') return undefined;
  if (typeof toleration.seconds !== 'number') return {};
  const since = Date.parse(node.since ?? '');
  if (!Number.isFinite(since)) return undefined;
  const until = new Date(since + toleration.seconds * 1000);
  return until.getTime() > now.getTime() ? { until } : undefined;
}

/** Why a task is pending or dead; one no node can take names the nodeSelector it was given (`disk=nvme`). */
function pendingReason(task: SwarmTask | undefined, selectorJson: string | undefined, state: ContainerState, unschedulable?: string): string | undefined {
  const err = task?.Status?.Err ?? (state === 'dead' ? task?.Status?.Message : undefined);
  if (!err || state !== 'pending' || !/no suitable node/i.test(err)) return err;
  // berth found no node for it (core/placement.ts): its words name the rule.
  if (unschedulable) return `${unschedulable} (${err})`;
  if (!selectorJson) return err;
  let selector: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(selectorJson);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) selector = parsed as Record<string, unknown>;
  } catch {
    return err;
  }
  const terms = Object.entries(selector).map(([k, v]) => `${k}=${String(v)}`);
  return terms.length > 0 ? `no node matches its nodeSelector ${terms.join(',')} (${err})` : err;
}

function publishedPorts(task: SwarmTask | undefined, address: string): PublishedPort[] {
  const out: PublishedPort[] = [];
  const seen = new Set<string>();
  for (const p of task?.Status?.PortStatus?.Ports ?? []) {
    if (!p.TargetPort || !p.PublishedPort) continue;
    // The engine lists a host-mode port once per address family it bound.
    const key = `${p.Protocol}:${p.TargetPort}:${p.PublishedPort}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ containerPort: p.TargetPort, protocol: p.Protocol === 'udp' ? 'udp' : 'tcp', hostIp: address, hostPort: p.PublishedPort });
  }
  return out.sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol));
}

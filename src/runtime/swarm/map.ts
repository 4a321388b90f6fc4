/**
 * Swarm JSON → the port's plain types, and a ContainerSpec → a Swarm service spec. Pure.
 *
 * One replica is one Swarm service of one task (replicated, `Replicas: 1`, restart condition
 * `none`): Swarm places it (constraints from the pod's nodeSelector, spread by its scheduler)
 * and berth drives the rollout replica by replica, as on one host. So an OwnedContainer is a
 * service: its id is the service's, its state, node, exit code and published ports are those of
 * the service's newest task (replica-state.ts).
 *
 * Names: Swarm service names are `[A-Za-z0-9]([-_]*[A-Za-z0-9])*`, at most 63 characters; berth's
 * container names have dots (`ns.web.1a2b3c4d5e.0`). The service is named with the dots as `_`
 * (no namespace or Deployment name has one) and the berth name travels in a label.
 */
import { BerthError, byCodeUnit, canonicalJson, hashOf, matchesNodeSelector, type PlacementNode } from '../../core/index.js';
import type { ContainerSpec, NodeInfo } from '../driver.js';
import type { Labels } from '../labels.js';

/** On a replica's service and its container: the berth name of the container (`ns.web.1a2b3c4d5e.0`). */
export const NAME_LABEL = 'berth.container-name';
/** On a replica's service: its nodeSelector as canonical JSON (only when it has one), so a pending replica can say which selector no node matches. */
export const NODE_SELECTOR_LABEL = 'berth.node-selector';
/** On a replica's service: its pod's placement rules as canonical JSON (only when it has any), so a pending one can be placed again when the cluster changes. */
export const PLACEMENT_LABEL = 'berth.placement';
/** On a replica's service no node may take: why, naming the rule (core/placement.ts). */
export const UNSCHEDULABLE_LABEL = 'berth.unschedulable';
/** On a node: how berth reaches that node's own engine (`unix:///…/docker.sock`), for exec, logs and stats. */
export const ENGINE_LABEL = 'berth.engine';

const MAX_SERVICE_NAME = 63;

/** `ns.web.1a2b3c4d5e.0` → `ns_web_1a2b3c4d5e_0`; a longer one keeps its start and ends in a hash of the whole. */
export function serviceName(name: string): string {
  const plain = name.replace(/[^A-Za-z0-9-]+/g, '_').replace(/^[-_]+|[-_]+$/g, '');
  if (plain.length <= MAX_SERVICE_NAME && plain !== '') return plain;
  const hash = hashOf(name, 12);
  return `${plain.slice(0, MAX_SERVICE_NAME - hash.length - 1).replace(/[-_]+$/, '')}_${hash}`;
}

/** A node as the manager lists it. */
export type SwarmNode = NodeInfo;

/** One entry of the engine's node list. */
export function toSwarmNode(raw: unknown): SwarmNode | undefined {
  const n = raw as {
    ID?: string;
    Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> };
    Description?: { Hostname?: string; Engine?: { EngineVersion?: string } };
    Status?: { State?: string; Addr?: string };
    ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
    UpdatedAt?: string;
  } | null;
  if (!n || typeof n.ID !== 'string') return undefined;
  // A manager's Status.Addr can be 0.0.0.0 (engines before 23): its ManagerStatus.Addr has the advertised address.
  const statusAddr = n.Status?.Addr ?? '';
  const managerAddr = (n.ManagerStatus?.Addr ?? '').replace(/:\d+$/, '');
  const address = statusAddr !== '' && statusAddr !== '0.0.0.0' ? statusAddr : managerAddr;
  return {
    id: n.ID,
    hostname: n.Description?.Hostname ?? n.ID,
    role: n.Spec?.Role === 'manager' ? 'manager' : 'worker',
    state: n.Status?.State ?? 'unknown',
    availability: n.Spec?.Availability ?? 'active',
    address,
    labels: { ...(n.Spec?.Labels ?? {}) },
    leader: n.ManagerStatus?.Leader === true,
    ...(n.ManagerStatus?.Reachability ? { reachability: n.ManagerStatus.Reachability } : {}),
    ...(n.Description?.Engine?.EngineVersion ? { engineVersion: n.Description.Engine.EngineVersion } : {}),
    ...(n.UpdatedAt ? { since: n.UpdatedAt } : {}),
  };
}

/**
 * Placement constraints from a pod's nodeSelector, as Swarm spells them:
 *   { 'kubernetes.io/hostname': 'node2' } → node.hostname==node2
 *   { disk: 'ssd' }                       → node.labels.disk==ssd
 * `kubernetes.io/os` and `kubernetes.io/arch` become node.platform.os / node.platform.arch.
 */
export function placementConstraints(nodeSelector: Readonly<Record<string, string>> | undefined): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(nodeSelector ?? {}).sort(([a], [b]) => byCodeUnit(a, b))) {
    const field =
      key === 'kubernetes.io/hostname'
        ? 'node.hostname'
        : key === 'kubernetes.io/os'
          ? 'node.platform.os'
          : key === 'kubernetes.io/arch'
            ? 'node.platform.arch'
            : `node.labels.${key}`;
    out.push(`${field}==${value}`);
  }
  return out;
}

/**
 * Constraints that keep a replica on the nodes `keep` names: one `node.hostname!=` per other
 * node (Swarm ANDs constraints, so a set of allowed nodes is said by excluding the rest). Pure.
 *   nodes 1–3, keep [node2] → node.hostname!=node1, node.hostname!=node3;  keep [] → all three
 */
export function keepOn(nodes: readonly Pick<NodeInfo, 'hostname'>[], keep: readonly string[]): string[] {
  return nodes
    .filter((n) => !keep.includes(n.hostname))
    .map((n) => `node.hostname!=${n.hostname}`)
    .sort();
}

/** A node as placement sees it (core/placement.ts): schedulable when ready and active. */
export function placementNode(n: NodeInfo): PlacementNode {
  return { hostname: n.hostname, labels: n.labels, schedulable: n.state === 'ready' && n.availability === 'active' };
}

/**
 * Spreading a Deployment's replicas over the nodes, as Kubernetes' default topology spread does:
 * each replica is a service of its own, so Swarm's scheduler only balances total task counts;
 * berth keeps a new replica off the nodes that already run more of its siblings than the
 * emptiest node that could take it (Ready, active, matching its nodeSelector). Pure.
 *   nodes 1–3, siblings on node1 ×2 and node2 ×1 → node.hostname!=node1, node.hostname!=node2
 *   siblings on each node once                      → no constraint (any node keeps the spread)
 * The caller drops these when no node can take the replica with them (a soft spread).
 */
export function spreadConstraints(
  nodes: readonly NodeInfo[],
  siblingNodes: readonly string[],
  nodeSelector: Readonly<Record<string, string>> | undefined,
): string[] {
  const eligible = nodes.filter((n) => placementNode(n).schedulable && matchesNodeSelector(n, nodeSelector));
  if (eligible.length < 2) return [];
  const count = (n: NodeInfo) => siblingNodes.filter((h) => h === n.hostname).length;
  const fewest = Math.min(...eligible.map(count));
  return eligible
    .filter((n) => count(n) > fewest)
    .map((n) => `node.hostname!=${n.hostname}`)
    .sort();
}

/**
 * What a replica's ContainerSpec asks that a Swarm service cannot do, as the sentence of a
 * CONTAINER_START_FAILED; undefined when it can run. Swarm services have no privileged mode, no
 * shared process or IPC namespace, no joining another task's network namespace, and (in this
 * driver) no host folders or berth-written files: those live on one host.
 */
export function unsupported(spec: ContainerSpec): string | undefined {
  const s = spec.security;
  if (spec.joinNetworkOf !== undefined) return 'a replica with several containers (a Pod) shares one network namespace, which Swarm services cannot join';
  if (s?.privileged) return 'Swarm services cannot run privileged';
  if (s?.hostPID || s?.hostIPC) return 'Swarm services cannot share the host’s process or IPC namespace';
  if (s?.hostNetwork) return 'hostNetwork is not supported by the swarm driver';
  if (s?.seccompUnconfined) return 'Swarm services cannot run without the seccomp profile';
  if (s?.runAsNonRoot && !s.user) return 'runAsNonRoot needs runAsUser on the swarm driver (the image’s user is not checked on every node)';
  for (const m of spec.mounts ?? []) {
    if (m.kind === 'bind') return `hostPath ${m.source} is a folder of one host; the swarm driver does not mount host paths`;
  }
  return undefined;
}

/**
 * The Swarm service of one replica. `labels` are the owned labels (stamped by the driver); the
 * container carries them too, so each node's engine sees it as berth's. Throws
 * CONTAINER_START_FAILED for what a service cannot do (unsupported()).
 */
export function toServiceSpec(
  spec: ContainerSpec,
  labels: Labels,
  networkId: string,
  spread: readonly string[] = [],
  secrets: readonly (FileSecret & { readonly id: string })[] = [],
  /** The node holding its claims' volumes: it runs there and nowhere else. */
  pinnedTo?: string,
): Record<string, unknown> {
  const refused = unsupported(spec);
  if (refused) throw new BerthError('CONTAINER_START_FAILED', `replica ${spec.name}: ${refused}`, { details: { container: spec.name, driver: 'swarm' } });
  const s = spec.security;
  const withName = {
    ...labels,
    [NAME_LABEL]: spec.name,
    ...(spec.nodeSelector && Object.keys(spec.nodeSelector).length > 0 ? { [NODE_SELECTOR_LABEL]: canonicalJson(spec.nodeSelector) } : {}),
    ...(spec.placement ? { [PLACEMENT_LABEL]: canonicalJson(spec.placement) } : {}),
  };
  const constraints = [...placementConstraints(spec.nodeSelector), ...spread, ...(pinnedTo ? [`node.hostname==${pinnedTo}`] : [])];
  const mounts = (spec.mounts ?? []).flatMap((m) =>
    m.kind === 'tmpfs'
      ? [{ Type: 'tmpfs', Target: m.target, ReadOnly: m.readOnly, ...(m.sizeBytes ? { TmpfsOptions: { SizeBytes: m.sizeBytes } } : {}) }]
      : // A claim's local volume, already on the node it is pinned to (the driver made it there).
        m.kind === 'volume'
        ? [{ Type: 'volume', Source: m.name, Target: m.target, ReadOnly: m.readOnly }]
        : [],
  );
  // requests reserve on the node Swarm picks (and it picks only one with room), limits limit.
  const resource = (nanoCpus: number | undefined, memoryBytes: number | undefined) =>
    nanoCpus !== undefined || memoryBytes !== undefined
      ? { ...(memoryBytes !== undefined ? { MemoryBytes: memoryBytes } : {}), ...(nanoCpus !== undefined ? { NanoCPUs: nanoCpus } : {}) }
      : undefined;
  const limits = resource(spec.nanoCpus, spec.memoryBytes);
  const reservations = resource(spec.reservations?.nanoCpus, spec.reservations?.memoryBytes);
  const resources = limits || reservations ? { ...(limits ? { Limits: limits } : {}), ...(reservations ? { Reservations: reservations } : {}) } : undefined;
  return {
    Name: serviceName(spec.name),
    Labels: withName,
    TaskTemplate: {
      ContainerSpec: {
        Image: spec.image,
        Labels: withName,
        ...(spec.command ? { Command: [...spec.command] } : {}),
        ...(spec.args ? { Args: [...spec.args] } : {}),
        Env: spec.env.map((e) => `${e.name}=${e.value}`),
        ...(spec.workingDir ? { Dir: spec.workingDir } : {}),
        ...(spec.hostname ? { Hostname: spec.hostname } : {}),
        Init: true,
        StopGracePeriod: Math.max(0, Math.round(spec.stopGraceSeconds * 1e9)),
        ...(s?.user ? { User: s.user.gid !== undefined ? `${s.user.uid}:${s.user.gid}` : String(s.user.uid) } : {}),
        ...(s?.fsGroup !== undefined ? { Groups: [String(s.fsGroup)] } : {}),
        ...(s?.readOnlyRootFilesystem ? { ReadOnly: true } : {}),
        ...(s?.capAdd ? { CapabilityAdd: s.capAdd.map(capName) } : {}),
        ...(s?.capDrop ? { CapabilityDrop: s.capDrop.map(capName) } : {}),
        ...(mounts.length > 0 ? { Mounts: mounts } : {}),
        ...(secrets.length > 0
          ? {
              Secrets: secrets.map((f) => ({
                // Owned by root, in the pod's fsGroup when it has one, as Kubernetes lays out Secret and ConfigMap volumes.
                File: { Name: f.target, UID: '0', GID: String(s?.fsGroup ?? 0), Mode: f.mode },
                SecretID: f.id,
                SecretName: f.name,
              })),
            }
          : {}),
        ...(spec.dns ? { DNSConfig: { Nameservers: [...spec.dns.servers], Search: [...spec.dns.search], Options: [...spec.dns.options] } } : {}),
      },
      ...(resources ? { Resources: resources } : {}),
      // berth replaces a replica that exited, with its crash back-off, as on one host.
      RestartPolicy: { Condition: 'none' },
      ...(constraints.length > 0 ? { Placement: { Constraints: constraints } } : {}),
      Networks: [{ Target: networkId, Aliases: [...spec.networkAliases] }],
    },
    Mode: { Replicated: { Replicas: 1 } },
    // No IPVS on some kernels, and berth's data plane balances anyway: no virtual address, ports on the task's node.
    EndpointSpec: {
      Mode: 'dnsrr',
      Ports: spec.ports.map((p) => ({
        Protocol: p.protocol,
        TargetPort: p.containerPort,
        PublishMode: 'host',
        ...(p.hostPort ? { PublishedPort: p.hostPort } : {}),
      })),
    },
  };
}

/** Swarm keeps a secret's data to 500 KiB. */
export const MAX_SECRET_BYTES = 500 * 1024;

/** One file of a Secret or ConfigMap volume as a Swarm secret: content-addressed, so replicas with the same file share one. */
export interface FileSecret {
  /** `berth-<hash>`: of the instance, the content and its encoding. */
  readonly name: string;
  /** The content as the engine takes it (base64). */
  readonly data: string;
  /** Where the file is in the container (absolute). */
  readonly target: string;
  readonly mode: number;
  readonly bytes: number;
}

/**
 * The files of a replica's `files` mounts (Secret and ConfigMap volumes), each a Swarm secret
 * mounted at its path: a volume's keys under its mount path, or with subPath the one file at
 * the mount path itself. Pure. Swarm secrets are encrypted in the managers' Raft log, sent only
 * to the nodes running a task that uses them, and mounted from memory (tmpfs).
 *   volume web-config at /etc/web, files a.conf, b.conf → /etc/web/a.conf, /etc/web/b.conf
 *   the same with subPath a.conf at /etc/a.conf          → /etc/a.conf
 */
export function fileSecrets(spec: ContainerSpec, instance: string): FileSecret[] {
  const out: FileSecret[] = [];
  for (const m of spec.mounts ?? []) {
    if (m.kind !== 'files') continue;
    for (const f of m.files) {
      if (m.subPath !== undefined && f.path !== m.subPath) continue;
      const data = f.base64 ? f.value : Buffer.from(f.value, 'utf8').toString('base64');
      const bytes = Buffer.from(data, 'base64').length;
      const target = m.subPath !== undefined ? m.target : `${m.target.replace(/\/+$/, '')}/${f.path}`;
      out.push({ name: `berth-${hashOf({ instance, data }, 40)}`, data, target, mode: f.mode, bytes });
    }
  }
  return out;
}

/** `NET_ADMIN` → `CAP_NET_ADMIN` (Swarm wants the full name); `ALL` stays. */
function capName(name: string): string {
  return name === 'ALL' || name.startsWith('CAP_') ? name : `CAP_${name}`;
}

/** What berth's own probes of a node's engine found: whether it ever answered, the refusals in a row, and since when it is gone. */
export interface EngineProbe {
  readonly answered: boolean;
  readonly refusals: number;
  /** ISO time of the refusal that made it gone. */
  readonly goneSince?: string;
}

/** Refusals in a row (ENGINE_PROBE_MS apart) after which a node's engine is gone. */
export const REFUSALS_FOR_GONE = 2;

/**
 * One probe of a node's own engine (its `berth.engine` label) → the node's next record. Pure.
 * Swarm marks a node down only after missed heartbeats (seconds); an engine that refuses
 * connections — nothing listens at its socket or port any more: its dockerd died — is gone now.
 * Only a refusal counts, and only of an engine that answered berth before (a label berth never
 * reached is no evidence about the node); a timeout or another error says nothing (a loaded
 * engine is slow, not gone), and keeps the record as it was.
 *   never answered, refused ×5        → not gone (no evidence)
 *   answered, refused, refused       → gone since the second refusal
 *   gone, answered                   → not gone
 *   answered, refused, timeout       → refusals 1: waiting
 */
export function nextEngineProbe(previous: EngineProbe | undefined, result: 'answered' | 'refused' | 'inconclusive', now: Date): EngineProbe {
  const before = previous ?? { answered: false, refusals: 0 };
  if (result === 'answered') return { answered: true, refusals: 0 };
  if (result === 'inconclusive' || !before.answered) return before;
  const refusals = before.refusals + 1;
  if (before.goneSince !== undefined) return { ...before, refusals };
  return refusals >= REFUSALS_FOR_GONE ? { answered: true, refusals, goneSince: now.toISOString() } : { answered: true, refusals };
}

/**
 * The nodes as berth acts on them: one Swarm still has ready whose engine berth found gone is
 * down, since then — its tasks are lost (out of routing, replaced: taskState), and new replicas
 * are kept off it (placementOf) while Swarm would still give it tasks. Pure.
 */
export function withGoneEngines(nodes: readonly SwarmNode[], probes: ReadonlyMap<string, EngineProbe>): SwarmNode[] {
  return nodes.map((n) => {
    const since = probes.get(n.hostname)?.goneSince;
    return since !== undefined && n.state === 'ready' ? { ...n, state: 'down', since } : n;
  });
}

/** Constraints that keep a new replica off the nodes that are down (Swarm may not know yet: withGoneEngines). */
export function offDownNodes(nodes: readonly Pick<NodeInfo, 'hostname' | 'state'>[]): string[] {
  return nodes
    .filter((n) => n.state === 'down')
    .map((n) => `node.hostname!=${n.hostname}`)
    .sort();
}

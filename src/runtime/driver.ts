/**
 * The runtime port. Drivers (docker/ now, swarm/ later) translate engine objects to and from
 * these plain types; engine client types never cross this line. Every driver method acts
 * only on objects owned by its instance (labels `berth.managed=true`, `berth.instance`) and
 * refuses anything else with an error, whatever the caller asks.
 */
import type { Placement } from '../core/index.js';
import type { Labels } from './labels.js';

/**
 * The infra container image of a replica with several containers (it holds their shared network
 * namespace). Drivers make it themselves, never pull it: there may be no registry.
 */
export const PAUSE_IMAGE = 'berth/pause:1';

/**
 * `pending`: the replica is waiting for a place to run (a cluster driver: no node can take it
 * yet, or its node is preparing it); not started, not crashed. One engine never reports it.
 */
export type ContainerState = 'pending' | 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface PublishedPort {
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp';
  /** Host address and port the engine bound (127.0.0.1 and ephemeral, or the hostPort on --service-address). */
  readonly hostIp: string;
  readonly hostPort: number;
}

/** Whether two lists of published ports are the same, in the same order (the engines list them sorted). */
export function samePublishedPorts(a: readonly PublishedPort[], b: readonly PublishedPort[]): boolean {
  if (a === b) return true;
  return (
    a.length === b.length &&
    a.every((p, i) => {
      const q = b[i]!;
      return p.containerPort === q.containerPort && p.protocol === q.protocol && p.hostIp === q.hostIp && p.hostPort === q.hostPort;
    })
  );
}

export interface OwnedContainer {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly labels: Labels;
  readonly state: ContainerState;
  /** ISO time the container was created. */
  readonly created: string;
  readonly exitCode?: number;
  readonly ports: readonly PublishedPort[];
  /** The container's IPv4 address on its (namespace) network; absent when it has none (stopped, host network). */
  readonly address?: string;
  /**
   * A cluster driver's replica: its address on the namespace's overlay network. Other replicas
   * reach it there (what a headless Service's names resolve to); berth's host does not (it
   * reaches the replica at its published ports), so it is no `address`.
   */
  readonly clusterAddress?: string;
  /**
   * A cluster driver's replica that its node took away, not one that crashed: the node was
   * drained or lost. Replaced at once, with no restart counted (Kubernetes' eviction).
   */
  readonly evicted?: true;
  /** Why it is pending or dead, in the engine's words (a cluster driver: `no suitable node (…)`); absent when it has nothing to say. */
  readonly reason?: string;
}

export interface OwnedNetwork {
  readonly id: string;
  readonly name: string;
  readonly labels: Labels;
  /** The network's IPv4 subnet (`10.213.7.0/24`) and gateway, as the engine's IPAM reports them. */
  readonly subnet?: string;
  readonly gateway?: string;
  /** The bridge interface on the host (`br-<id prefix>`), where Service virtual addresses are added. */
  readonly bridge?: string;
}

/** An owned named volume (a PersistentVolumeClaim's data). */
export interface OwnedVolume {
  readonly name: string;
  readonly driver: string;
  readonly labels: Labels;
}

export interface Inventory {
  readonly containers: readonly OwnedContainer[];
  readonly networks: readonly OwnedNetwork[];
  /** Owned named volumes, sorted by name. Absent (a driver without volumes): none. */
  readonly volumes?: readonly OwnedVolume[];
}

export interface ContainerSpec {
  /** Engine-wide unique, deterministic name. */
  readonly name: string;
  readonly image: string;
  /** Kubernetes `command`: replaces the image ENTRYPOINT (and then the image CMD is not used). */
  readonly command?: readonly string[];
  /** Kubernetes `args`: replaces the image CMD. */
  readonly args?: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly workingDir?: string;
  /**
   * Ports published on 127.0.0.1 with an ephemeral host port; one with `hostPort` is published
   * at that port on `hostIp` instead (the template's hostPort on --service-address).
   */
  readonly ports: readonly { readonly containerPort: number; readonly protocol: 'tcp' | 'udp'; readonly hostPort?: number; readonly hostIp?: string }[];
  readonly labels: Labels;
  /** The container's hostname (a StatefulSet replica's `<name>-<ordinal>`); absent: the engine's (the container id). Not with joinNetworkOf or the host's network. */
  readonly hostname?: string;
  /** Network to attach to, with these DNS aliases on it. */
  readonly network: string;
  readonly networkAliases: readonly string[];
  /**
   * Join this container's network namespace instead (the infra container of a replica with
   * several containers): same address, same `localhost`, its ports and resolver. Then
   * `network`, `networkAliases`, `ports` and `dns` are not used.
   */
  readonly joinNetworkOf?: string;
  /**
   * The replica's resolver: Docker's embedded DNS answers container names and aliases and
   * forwards every other name to `servers` (the namespace DNS of the data plane), with the
   * Kubernetes search list and `ndots:5`. Absent: the engine's defaults.
   */
  readonly dns?: { readonly servers: readonly string[]; readonly search: readonly string[]; readonly options: readonly string[] };
  readonly memoryBytes?: number;
  readonly nanoCpus?: number;
  /**
   * The pod's nodeSelector: a cluster driver runs the replica only on a node with these labels
   * (`kubernetes.io/hostname` is the node's name). One engine has one node: it ignores it.
   */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** The pod's required node affinity, pod anti-affinity and topology spread (a cluster driver applies them when it places the replica). */
  readonly placement?: Placement;
  /**
   * The pod's resources.requests: a cluster driver reserves them on the node it picks (and picks
   * only a node with room). One engine schedules nothing: it ignores them.
   */
  readonly reservations?: { readonly nanoCpus?: number; readonly memoryBytes?: number };
  /** Seconds between SIGTERM and SIGKILL on stop (terminationGracePeriodSeconds). */
  readonly stopGraceSeconds: number;
  /** What differs from an ordinary container (the namespace policy allowed it); absent = nothing. */
  readonly security?: ContainerSecurity;
  /** Volumes: host folders, tmpfs, and files berth writes (Secret values). Absent = none. */
  readonly mounts?: readonly ContainerMount[];
}

/**
 * Security settings beyond an ordinary container, each present only when asked for. With
 * `hostNetwork` the container is not attached to `network` and publishes nothing: its ports
 * are the host's (inventory reports them as published on 127.0.0.1 at the same number).
 */
export interface ContainerSecurity {
  readonly privileged?: true;
  /** The engine's no-new-privileges (allowPrivilegeEscalation: false). */
  readonly noNewPrivileges?: true;
  /** Capability names without `CAP_` (`ALL` allowed). */
  readonly capAdd?: readonly string[];
  readonly capDrop?: readonly string[];
  /** Numeric user and group; absent = the image's user. */
  readonly user?: { readonly uid: number; readonly gid?: number };
  /** Refuse to create the container unless it runs as a non-zero numeric user (`user`, else the image's). */
  readonly runAsNonRoot?: true;
  readonly readOnlyRootFilesystem?: true;
  readonly seccompUnconfined?: true;
  readonly hostNetwork?: true;
  readonly hostPID?: true;
  readonly hostIPC?: true;
  /**
   * Pod securityContext.fsGroup, as Kubernetes applies it to the volumes it creates: tmpfs
   * mounts and `files` are group-owned by it (files group-readable, folders setgid), and it is a
   * supplementary group of the container's process. Binds of host paths are never changed.
   */
  readonly fsGroup?: number;
}

/**
 * One mount of a container:
 *  - `bind`: a host path (already allowed by the namespace policy). The driver checks `type`
 *    (creating a folder or an empty file for the *OrCreate types), refuses a path that goes
 *    through a symlink, and mounts `source` (or `source/subPath`, created as a folder when
 *    missing) at `target`;
 *  - `tmpfs`: a private memory filesystem (emptyDir);
 *  - `files`: files berth writes (a secret or configMap volume): `files[].value` are Secret
 *    values (which exist only between the executor and the driver) or ConfigMap content. The driver writes them into a folder of
 *    its own, private to the container (only the owner can reach it on the host), mounts it
 *    read-only at `target` (or just `subPath` of it), and deletes it with the container;
 *  - `volume`: a named volume of a PersistentVolumeClaim; removing the container never removes it.
 */
export type ContainerMount =
  | {
      readonly kind: 'bind';
      readonly source: string;
      readonly subPath?: string;
      readonly target: string;
      readonly readOnly: boolean;
      readonly type: 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket';
    }
  | { readonly kind: 'tmpfs'; readonly target: string; readonly readOnly: boolean; readonly sizeBytes?: number }
  | { readonly kind: 'files'; readonly volume: string; readonly target: string; readonly subPath?: string; readonly files: readonly ContainerFile[] }
  /** An owned named volume (ensureVolume made it), mounted whole; the driver refuses a missing or unowned one rather than let the engine create it. */
  | { readonly kind: 'volume'; readonly name: string; readonly target: string; readonly readOnly: boolean };

/** A file of a `files` mount. */
export interface ContainerFile {
  /** Relative path in the volume, without `..`. */
  readonly path: string;
  /** The content: UTF-8 text, or base64 when `base64` (a ConfigMap's binaryData). */
  readonly value: string;
  readonly mode: number;
  readonly base64?: true;
}

export interface NetworkSpec {
  readonly name: string;
  readonly labels: Labels;
  /**
   * Subnets to lay the network out on, in order of preference (`10.213.7.0/24`): the driver
   * takes the first the engine accepts (one that overlaps another network is skipped), with
   * the gateway at its first address and IPAM limited to the lower half (the upper half is
   * for Service virtual addresses). Absent or all refused: the engine picks, as before.
   */
  readonly subnets?: readonly string[];
}

/** A named volume: `driver` (default `local`) with its options, as the operator's storage class says. */
export interface VolumeSpec {
  readonly name: string;
  readonly driver: string;
  readonly driverOpts: Readonly<Record<string, string>>;
  readonly labels: Labels;
  /** The mode of its root folder when berth creates it (a local volume: an emptyDir's 0777, as Kubernetes makes one). */
  readonly mode?: number;
  /** Its root folder's group when berth creates it (the pod's fsGroup). */
  readonly gid?: number;
}

export type RuntimeEvent =
  | {
      readonly kind: 'container-started' | 'container-died' | 'container-destroyed';
      readonly id: string;
      readonly labels: Labels;
      /**
       * On `container-died`: the cluster ordered the replica to stop (its node drained or lost), it
       * may still answer for a while and never serves again as this replica (OwnedContainer.evicted).
       */
      readonly evicted?: true;
    }
  | { readonly kind: 'stream-error'; readonly error: Error };

export interface ExecResult {
  /** The command's exit code; -1 when it did not finish within the timeout. */
  readonly exitCode: number;
  readonly timedOut?: boolean;
}

/** What the engine measured of one container (one-shot `docker stats`). */
export interface ContainerStats {
  /** CPU time used since the container started, in seconds (cumulative: rates come from two readings). */
  readonly cpuSeconds: number;
  /** Memory in use, page cache that can be reclaimed left out (as `docker stats` shows it). */
  readonly memoryBytes: number;
  /** When the engine read it (ms since the epoch, the engine's clock). */
  readonly at: number;
}

/** A machine of a cluster (`berth nodes`), as its manager reports it. */
export interface NodeInfo {
  readonly id: string;
  readonly hostname: string;
  readonly role: 'manager' | 'worker';
  /** `ready`, `down`, `unknown`, `disconnected`: the cluster's view of the node's heartbeat. */
  readonly state: string;
  /** `active`, `pause`, `drain`. */
  readonly availability: string;
  /** The address other nodes (and berth) reach it at. */
  readonly address: string;
  readonly labels: Labels;
  readonly leader: boolean;
  /** A manager's reachability (`reachable`, `unreachable`); absent on a worker. */
  readonly reachability?: string;
  readonly engineVersion?: string;
  /** When the cluster last changed the node's record: for a node that is down, about when it went down. */
  readonly since?: string;
}

export interface RuntimeDriver {
  /**
   * Whether an owned container's labels stay as they were when it was created (a Docker
   * engine's do, and so do the facts berth reads from them): observe() may then remember each
   * container's replica between passes (ObserveMemo). A driver that derives labels from what
   * changes says no (Swarm: the node a service's current task runs on, labels it updates).
   */
  readonly labelsFixed?: boolean;
  /** A cluster driver's nodes; absent on a driver of one engine (one machine). */
  nodes?(): Promise<readonly NodeInfo[]>;
  /** Throws ENGINE_UNREACHABLE when the engine does not answer. */
  ping(): Promise<void>;
  /**
   * Claims the instance on the engine for this driver's state directory (instance-claim.ts);
   * the driver also does so itself before its first change. Throws INSTANCE_CLAIMED when another
   * state directory holds it. A driver opened without a state directory claims nothing.
   */
  claimInstance(): Promise<void>;
  /** The engine's version (`berth version`); throws ENGINE_UNREACHABLE when the engine does not answer. */
  engineVersion?(): Promise<{ readonly version: string; readonly apiVersion: string }>;
  /** Every owned container (any state) and network; optionally only one namespace's. */
  inventory(filter?: { readonly namespace?: string }): Promise<Inventory>;
  /** Creates the network unless an owned one of that name exists; returns it as inventory sees it. */
  ensureNetwork(spec: NetworkSpec): Promise<OwnedNetwork>;
  /** Removes an owned network; a missing one is not an error. */
  removeNetwork(name: string): Promise<void>;
  /** Creates the named volume unless an owned one of that name exists (it is never changed: its data is the point). */
  ensureVolume(spec: VolumeSpec): Promise<void>;
  /**
   * Removes an owned named volume and its data; a missing one is not an error. Refused with
   * ENGINE_CONFLICT while any container (berth's or not, running or stopped) uses it, naming them.
   */
  removeVolume(name: string): Promise<void>;
  /** Pulls the image only when it is not present; IMAGE_PULL_FAILED with the engine's reason otherwise. */
  ensureImage(image: string): Promise<void>;
  /**
   * Creates (always with an init process) and starts a container; returns it as inventory
   * sees it. A mount or user the host cannot satisfy (a missing Directory, a path through a
   * symlink, runAsNonRoot with an image that runs as root) is CONTAINER_START_FAILED, and
   * nothing is left behind.
   */
  runContainer(spec: ContainerSpec): Promise<OwnedContainer>;
  /** Stops an owned container (SIGTERM, then SIGKILL after graceSeconds) and removes it, with the files berth wrote for it; a missing one is not an error. */
  removeContainer(id: string, graceSeconds: number): Promise<void>;
  /**
   * Stops an owned container (SIGTERM, then SIGKILL after graceSeconds) and keeps it, exited:
   * how a replica whose liveness probe failed is restarted (the reconciler replaces an exited
   * replica, with the crash back-off). Already stopped or missing is not an error.
   */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  /**
   * Runs `command` (no shell) in an owned, running container and waits for it to exit, at most
   * `timeoutMs`. On the timeout it resolves `{ exitCode: -1, timedOut: true }` rather than
   * throwing, and the command may go on running inside the container (engines cannot kill an
   * exec). Throws ENGINE_CONFLICT when the container is not owned, missing or not running.
   */
  exec(id: string, command: readonly string[], timeoutMs: number): Promise<ExecResult>;
  /**
   * An owned container's log (what `docker logs` shows), demultiplexed: `onText` gets each
   * piece of stdout or stderr text as it comes (pieces are not lines). With `follow` it streams
   * until the container stops or `signal` aborts; otherwise it ends after what is there. A
   * container that is not owned or gone is ENGINE_CONFLICT.
   */
  logs(
    id: string,
    options: { readonly follow: boolean; readonly since?: number; readonly tail?: number; readonly timestamps?: boolean },
    onText: (stream: 'stdout' | 'stderr', text: string) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  /**
   * One reading of a container's CPU time and memory (the engine's one-shot stats: no two-second
   * wait). Reads only. Undefined when the container is gone or not running.
   */
  stats(id: string): Promise<ContainerStats | undefined>;
  /**
   * Streams owned-container events until `signal` aborts; reconnects are the caller's business.
   * An event is delivered once inventory() shows what it announces: a pass it wakes sees a
   * container that died as down, not as running.
   */
  watch(onEvent: (event: RuntimeEvent) => void, signal: AbortSignal): Promise<void>;
}

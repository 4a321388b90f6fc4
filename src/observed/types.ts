import type { ContainerState, PublishedPort } from '../runtime/index.js';

export interface ObservedReplica {
  /** A StatefulSet's replica (label berth.kind); absent: a Deployment's. */
  readonly kind?: 'StatefulSet';
  /** A StatefulSet's replica: the hash of its fixed fields when created (label berth.fixed). */
  readonly fixed?: string;
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  readonly deployment: string;
  readonly revision: string;
  readonly commit: string;
  readonly replica: number;
  readonly state: ContainerState;
  readonly created: string;
  readonly exitCode?: number;
  readonly image: string;
  readonly ports: readonly PublishedPort[];
  /** Pod template labels the replica was created with (berth.* excluded): what Service selectors match. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Named container ports (label berth.ports), for Services whose targetPort is a name. */
  readonly namedPorts: Readonly<Record<string, number>>;
  /** The template's probes as JSON (label berth.probes), parsed by health; absent = no probes. */
  readonly probesJson?: string;
  /** Its IPv4 address on the namespace network (while it runs): what a headless Service's name resolves to. */
  readonly address?: string;
  /** A cluster driver's replica: its address on the namespace overlay (runtime/driver.ts), for headless names only. */
  readonly clusterAddress?: string;
  /** Why it is pending or dead, in the engine's words (a cluster driver: no node matches its nodeSelector). */
  readonly stateReason?: string;
  /** The node it runs on (a cluster driver). */
  readonly node?: string;
  /** Its node took it away (drained, lost): replaced at once, no restart counted. */
  readonly evicted?: true;
  /** Created to resolve through the namespace DNS (label berth.dns): the data plane must keep serving it. */
  readonly namespaceDns?: true;
  /**
   * Restarts of this slot so far, this container's own included, and when this container was
   * made as one (labels berth.restarts / berth.restarted-at; absent on a first container or
   * when the labels are unusable). What the crash back-off continues from after a restart.
   */
  readonly restart?: { readonly count: number; readonly at: string };
  /**
   * This is an init container of the replica (label berth.init: its name), not its app: one
   * that failed (exited) or was interrupted by a berth restart (running). Never alive, never ready.
   */
  readonly init?: string;
  /** The app container's name in the template (label berth.container; absent on containers made before it). */
  readonly container?: string;
  /** The ConfigMaps its template used, name → content hash (label berth.configmaps); absent = none. */
  readonly configMaps?: Readonly<Record<string, string>>;
  /**
   * A Pod of several containers (this is its infra container, label berth.pod): its containers
   * in start order. `state` and `exitCode` above are then the Pod's: running only while the
   * infra container and every container it names run; else `exited` (with the exit code of the
   * first that exited), and the Pod is replaced as a whole.
   */
  readonly members?: readonly ObservedMember[];
  /**
   * A Pod whose infra container runs: its containers that are missing or not running (template
   * names, in start order). Each is restarted in place with its own crash back-off
   * (rollout/member-restarts.ts), as Kubernetes restarts a container of a pod; the Pod is not
   * ready meanwhile. Absent: every container runs.
   */
  readonly down?: readonly string[];
}

/** One container of a Pod replica (label berth.member). */
export interface ObservedMember {
  readonly id: string;
  readonly name: string;
  /** Its name in the template. */
  readonly container: string;
  readonly state: ContainerState;
  readonly exitCode?: number;
  readonly created: string;
  readonly image: string;
  readonly sidecar?: true;
  /** Its probes as JSON (label berth.probes); absent = none. */
  readonly probesJson?: string;
  /** Restarts of this container in its Pod so far, this one included (labels berth.restarts / berth.restarted-at on it); absent: none. */
  readonly restart?: { readonly count: number; readonly at: string };
}

/** The namespace's network: its subnet, gateway and host bridge when the engine reports them. */
export interface ObservedNetwork {
  readonly id: string;
  readonly name: string;
  readonly subnet?: string;
  readonly gateway?: string;
  readonly bridge?: string;
}

export interface ObservedDeployment {
  readonly namespace: string;
  readonly name: string;
  /** StatefulSet when any of its replicas is one; absent: a Deployment. */
  readonly kind?: 'StatefulSet';
  /** Sorted by revision, then replica ordinal. */
  readonly replicas: readonly ObservedReplica[];
}

/** An owned container whose labels do not say which Deployment replica it is: always removed. */
export interface ObservedStray {
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  readonly reason: string;
}

/** An owned volume of a PersistentVolumeClaim, from its labels. */
export interface ObservedVolume {
  /** The claim (label berth.name). */
  readonly name: string;
  /** The engine's name of the volume. */
  readonly volumeName: string;
  readonly driver: string;
  /** The storage class it was created with (absent: the local driver). */
  readonly storageClass?: string;
  /** The storage request recorded when it was created. */
  readonly storage?: string;
  /** The volume of an ordinal of a StatefulSet's claim template (labels berth.statefulset, berth.replica). */
  readonly statefulSet?: { readonly name: string; readonly ordinal: number };
}

/** A replica's emptyDir shared with its init containers (a Docker volume labelled kind EmptyDir). */
export interface ObservedEmptyDir {
  readonly volumeName: string;
  readonly deployment: string;
  readonly revision: string;
  readonly replica: number;
}

export interface ObservedNamespace {
  readonly name: string;
  /** Replicas' shared emptyDirs, sorted by name; a pass removes those whose replica is gone. Absent: none. */
  readonly emptyDirs?: readonly ObservedEmptyDir[];
  readonly network?: ObservedNetwork;
  /** Claims' volumes, sorted by claim name. Absent (built by hand): none. */
  readonly volumes?: readonly ObservedVolume[];
  /** Sorted by name. */
  readonly deployments: readonly ObservedDeployment[];
  readonly strays: readonly ObservedStray[];
}

export interface ObservedState {
  /** Sorted by name. */
  readonly namespaces: readonly ObservedNamespace[];
}

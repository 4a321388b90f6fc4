import type { Diagnostic, LabelSelector, Placement } from '../core/index.js';
import type { AccessMode, HostPathType, IntOrPercent, SecretKeySource, SourceLocation, UpstreamTimeouts } from '../manifests/index.js';

/**
 * Where an env var's value comes from when it is secret: the Secret and key named in Git and
 * the host source that Secret declares for the key. It is part of the template, so the
 * revision covers the reference — pointing a key at another file or variable rolls the
 * Deployment — but never the value: a value changed on the host does not roll (as in
 * Kubernetes, where editing a Secret does not restart pods). The value is read only when a
 * replica is created (rollout's executor, through the secrets port).
 */
export interface SecretRef {
  readonly secret: string;
  readonly key: string;
  readonly source: SecretKeySource;
  /** A missing host file or unset variable leaves the env var unset instead of failing. */
  readonly optional?: true;
}

/**
 * One env var of a template: a literal value, or a reference to a Secret's key. Plain entries
 * keep the shape `{ name, value }` they always had, so their revisions never move. A value read
 * from a ConfigMap (configMapKeyRef, envFrom) is in Git, not secret: it is carried as the value,
 * with `configMap` naming where it came from (for plans).
 */
export type EnvEntry =
  | { readonly name: string; readonly value: string; readonly configMap?: string }
  | { readonly name: string; readonly secretRef: SecretRef };

/** The runtime-neutral container a replica runs: everything that goes into the revision hash. */
export interface PodTemplate {
  readonly containerName: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly workingDir?: string;
  readonly env: readonly EnvEntry[];
  /** `hostPort`: published at that port on --service-address (present only when the manifest sets it). */
  readonly ports: readonly { readonly containerPort: number; readonly protocol: 'tcp' | 'udp'; readonly name?: string; readonly hostPort?: number }[];
  readonly memoryBytes?: number;
  readonly nanoCpus?: number;
  readonly stopGraceSeconds: number;
  /** The pod's nodeSelector (a cluster driver's placement). Present only when the manifest has one, so other templates keep their revisions. */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** Required node affinity, pod anti-affinity and topology spread (a cluster driver's placement). Present only when the manifest has any. */
  readonly placement?: Placement;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Present only when the manifest has a probe, so probe-less templates keep their revisions. */
  readonly probes?: Probes;
  /**
   * What the pod and container securityContexts and the host namespaces ask for, merged
   * (container over pod) and reduced to what differs from the engine's defaults. Present only
   * when something does, so templates without these fields keep their revisions.
   */
  readonly security?: SecuritySettings;
  /** The container's volume mounts, each with its volume's source; sorted by mountPath. Present only when there is one. */
  readonly mounts?: readonly Mount[];
  /**
   * Every ConfigMap the template uses (env, envFrom, volumes) → the hash of its whole content
   * (`absent` for an optional one not in Git). So a change of a ConfigMap's content changes the
   * revision of exactly the Deployments that use it, and they roll (a deliberate GitOps choice:
   * Kubernetes does not; users add Reloader for it). Present only when there is one, so other
   * templates keep their revisions.
   */
  readonly configMaps?: Readonly<Record<string, string>>;
  /**
   * Run in order, each to completion, before the app container of every new replica (not when a
   * replica is restarted in its slot, as Kubernetes does not rerun them on a container restart).
   * Present only when the manifest has one, so other templates keep their revisions.
   */
  readonly initContainers?: readonly InitContainer[];
  /**
   * The Pod's other app containers (`containers[1..]`; the fields above are `containers[0]`'s) and
   * its native sidecars (`initContainers` with `restartPolicy: Always`), each in manifest order.
   * With any of them a replica is a Pod: an infra container holds the network namespace they
   * all share (one address, `localhost`), sidecars start first and stop last (desired/pod.ts).
   * Present only when there is one, so single-container templates keep their revisions.
   */
  readonly containers?: readonly PodContainer[];
  readonly sidecars?: readonly PodContainer[];
}

/** An app container or native sidecar of a Pod beside the first: its own image, env, ports, probes, resources and mounts. */
export interface PodContainer extends InitContainer {
  readonly ports: PodTemplate['ports'];
  readonly probes?: Probes;
}

/** An init container: what it runs and mounts (no ports, no probes: it runs to completion). */
export interface InitContainer {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly workingDir?: string;
  readonly env: readonly EnvEntry[];
  readonly memoryBytes?: number;
  readonly nanoCpus?: number;
  readonly security?: SecuritySettings;
  readonly mounts?: readonly Mount[];
}

/** What `configMaps` holds for an optional ConfigMap that is not in Git. */
export const CONFIGMAP_ABSENT = 'absent';

/**
 * A container's security settings as the engine takes them. Each field is present only when it
 * differs from what a container gets without it (a `false` or an empty list is left out), so
 * the revision moves only with what changes the container.
 */
export interface SecuritySettings {
  readonly privileged?: true;
  /** allowPrivilegeEscalation: false → the engine's no-new-privileges. */
  readonly noNewPrivileges?: true;
  /** Capability names without `CAP_`, upper case, sorted, unique. */
  readonly capAdd?: readonly string[];
  readonly capDrop?: readonly string[];
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  /** The replica must run as a non-zero numeric user (checked against the image's user when runAsUser is absent). */
  readonly runAsNonRoot?: true;
  readonly readOnlyRootFilesystem?: true;
  /** seccompProfile Unconfined (RuntimeDefault is what the engine applies anyway). */
  readonly seccompUnconfined?: true;
  readonly hostNetwork?: true;
  readonly hostPID?: true;
  readonly hostIPC?: true;
  /** Pod securityContext.fsGroup: owns the volumes berth creates, and a supplementary group of the container. */
  readonly fsGroup?: number;
}

/**
 * One key of a Secret as a file of a secret volume: the reference (Secret, key, host source),
 * never the value, which is read when a replica is created, like a secret env var.
 */
export interface SecretFile {
  /** Relative path in the volume. */
  readonly path: string;
  readonly secret: string;
  readonly key: string;
  readonly source: SecretKeySource;
  /** File mode, e.g. 0o644. */
  readonly mode: number;
  /** A missing host file or unset variable leaves the file out instead of failing. */
  readonly optional?: true;
}

/** Where a mounted volume's content comes from. */
export type VolumeSource =
  | { readonly kind: 'hostPath'; readonly path: string; readonly type: Exclude<HostPathType, ''> }
  /** A tmpfs private to the replica. */
  /**
   * Private to the replica. A tmpfs of its container; `shared` when an init container mounts it
   * too: then a Docker volume of the replica (emptyDirVolumeName), so what an init container
   * writes reaches the app, kept across restarts in the slot and removed with the replica.
   */
  | { readonly kind: 'emptyDir'; readonly sizeBytes?: number; readonly shared?: true }
  | { readonly kind: 'secret'; readonly secret: string; readonly files: readonly SecretFile[] }
  /**
   * The Docker volume of a claim of the namespace (its engine name depends on the instance: volumeName()).
   * `perReplica`: a StatefulSet's claim template; each replica mounts its own claim `<claim>-<statefulset>-<ordinal>` (ordinalClaim()).
   */
  | { readonly kind: 'persistentVolumeClaim'; readonly claim: string; readonly perReplica?: true }
  /** Keys of a ConfigMap as files; the content is in the DesiredDeployment's `configData` (the template holds its hash). */
  | { readonly kind: 'configMap'; readonly configMap: string; readonly files: readonly ConfigMapFile[] };

/** One key of a ConfigMap (data or binaryData) as a file of a configMap volume. */
export interface ConfigMapFile {
  /** Relative path in the volume. */
  readonly path: string;
  readonly key: string;
  /** File mode, e.g. 0o644. */
  readonly mode: number;
}

/** The content of a ConfigMap as the loader validated it (binaryData values are base64). */
export interface ConfigMapContent {
  readonly data: Readonly<Record<string, string>>;
  readonly binaryData: Readonly<Record<string, string>>;
}

export interface Mount {
  /** The pod's name for the volume. */
  readonly volume: string;
  readonly mountPath: string;
  /** Always true for a secret volume, and for a claim that is ReadOnlyMany only. */
  readonly readOnly: boolean;
  readonly subPath?: string;
  readonly source: VolumeSource;
}

/**
 * A probe berth runs from outside the container, with Kubernetes defaults applied and named
 * ports resolved to the container's numeric port (normalize.ts). httpGet, tcpSocket and grpc go
 * to the replica's published port on 127.0.0.1; exec runs inside the container.
 */
export type ProbeAction =
  | {
      readonly kind: 'httpGet';
      readonly path: string;
      readonly port: number;
      readonly scheme: 'HTTP' | 'HTTPS';
      readonly headers: readonly { readonly name: string; readonly value: string }[];
    }
  | { readonly kind: 'tcpSocket'; readonly port: number }
  | { readonly kind: 'exec'; readonly command: readonly string[] }
  /** grpc.health.v1 Health/Check of `service` ("" = the whole server); SERVING is a success. */
  | { readonly kind: 'grpc'; readonly port: number; readonly service: string };

export interface ProbeSpec {
  readonly action: ProbeAction;
  /** Kubernetes defaults: 0, 10, 1, 1, 3. */
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

export interface Probes {
  readonly readiness?: ProbeSpec;
  readonly liveness?: ProbeSpec;
  readonly startup?: ProbeSpec;
}

/**
 * One port of a v1 Service. The data plane listens at the Service's virtual address on `port`
 * (inside the namespace) and, for NodePort/LoadBalancer, on the host at `listenPort`, and
 * forwards to `targetPort` of each ready selected replica.
 */
export interface DesiredServicePort {
  readonly name?: string;
  readonly port: number;
  /** A container port number, or the name of a container port (resolved per replica). */
  readonly targetPort: number | string;
  /** NodePort/LoadBalancer only: the host port (on the service address, 127.0.0.1 by default): nodePort, else port. */
  readonly listenPort?: number;
}

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer';

export interface DesiredService {
  readonly namespace: string;
  readonly name: string;
  readonly type: ServiceType;
  /**
   * `auto`: berth allocates the virtual address; `none`: headless (the name resolves to the
   * endpoints, nothing listens); `fixed`: the manifest's address, honoured when it lies in the
   * namespace's Service range (desired/cluster-ips.ts).
   */
  readonly clusterIP: { readonly kind: 'auto' } | { readonly kind: 'none' } | { readonly kind: 'fixed'; readonly address: string };
  /** Replicas whose pod labels include all of these are the Service's endpoints. */
  readonly selector: Readonly<Record<string, string>>;
  readonly ports: readonly DesiredServicePort[];
  /** Running replicas count as endpoints before they are ready. */
  readonly publishNotReadyAddresses: boolean;
  readonly sessionAffinity: 'None' | 'ClientIP';
  readonly source: SourceLocation;
}

export type PathType = 'Prefix' | 'Exact' | 'ImplementationSpecific';

/** A Service and one of its ports (by number or name) in the Ingress's namespace. */
export interface IngressBackend {
  readonly service: string;
  readonly port: number | string;
}

export interface DesiredIngressRule {
  /** Exact host, or `*.example.com` (one label); absent = any host. */
  readonly host?: string;
  readonly paths: readonly { readonly path: string; readonly pathType: PathType; readonly backend: IngressBackend }[];
}

export interface DesiredIngress {
  readonly namespace: string;
  readonly name: string;
  readonly rules: readonly DesiredIngressRule[];
  readonly defaultBackend?: IngressBackend;
  /** From the ingress-nginx timeout annotations, defaults filled in (manifests/ingress-timeouts.ts); absent: the defaults. */
  readonly upstreamTimeouts?: UpstreamTimeouts;
  readonly source: SourceLocation;
}

export type Strategy =
  | { readonly type: 'Recreate' }
  | { readonly type: 'RollingUpdate'; readonly maxSurge: IntOrPercent; readonly maxUnavailable: IntOrPercent };

export interface DesiredDeployment {
  readonly namespace: string;
  readonly name: string;
  readonly replicas: number;
  readonly strategy: Strategy;
  readonly minReadySeconds: number;
  readonly progressDeadlineSeconds: number;
  readonly revisionHistoryLimit: number;
  readonly paused: boolean;
  readonly template: PodTemplate;
  /** Hash of the normalized template, like Kubernetes' pod-template-hash. */
  readonly revision: string;
  readonly source: SourceLocation;
  /**
   * The content of the ConfigMaps the template's configMap volumes hold, by name: what berth
   * writes as files when it creates a replica. Not hashed itself (the template holds each
   * ConfigMap's hash); present only when there is one.
   */
  readonly configData?: Readonly<Record<string, ConfigMapContent>>;
  /** Present exactly for an apps/v1 StatefulSet: stable ordinals, ordered moves, a volume per ordinal (desired/stateful.ts). */
  readonly stateful?: StatefulSettings;
  /**
   * The app container's resources.requests (cpu in cores, memory in bytes): what an HPA's
   * Utilization is a percent of. Outside the template, so a change rolls nothing. Present only when set.
   */
  readonly requests?: ResourceRequests;
}

/**
 * What makes a DesiredDeployment a StatefulSet (rollout/stateful-step.ts decides its moves). Its
 * `strategy` is nominal (RollingUpdate, maxSurge 0, maxUnavailable 1): it never surges.
 */
export interface StatefulSettings {
  /** The headless Service that names the replicas `<name>-<ordinal>.<serviceName>` (absent: no such names). */
  readonly serviceName?: string;
  readonly podManagementPolicy: 'OrderedReady' | 'Parallel';
  /** RollingUpdate: ordinals >= partition, highest first, one at a time. OnDelete: a replica takes the template only when replaced. */
  readonly updateStrategy: { readonly type: 'RollingUpdate'; readonly partition: number } | { readonly type: 'OnDelete' };
  /** The volumeClaimTemplates' names, in manifest order (the volumes: DesiredVolume.statefulSet). */
  readonly claimTemplates: readonly string[];
  readonly retention: { readonly whenDeleted: 'Retain' | 'Delete'; readonly whenScaled: 'Retain' | 'Delete' };
  /**
   * Hashes of what Kubernetes forbids changing once the StatefulSet exists (FIXED_FIELDS:
   * volumeClaimTemplates, serviceName, podManagementPolicy, selector), dot-separated, carried on
   * its replicas (label berth.fixed): a replica with others means the commit changed those
   * fields — refused (plan/stateful-refusal.ts).
   */
  readonly fixed: string;
}

export interface ResourceRequests {
  readonly cpu?: number;
  readonly memory?: number;
}

export interface ScalingPolicy {
  readonly type: 'Pods' | 'Percent';
  readonly value: number;
  readonly periodSeconds: number;
}

export interface ScalingRules {
  readonly stabilizationWindowSeconds: number;
  readonly selectPolicy: 'Max' | 'Min' | 'Disabled';
  readonly policies: readonly ScalingPolicy[];
  /** The change that is too small to act on, as a fraction of the target (Kubernetes: 0.1). */
  readonly tolerance: number;
}

export interface Behavior {
  readonly scaleUp: ScalingRules;
  readonly scaleDown: ScalingRules;
}

/** The metrics berth measures per replica in its data plane (a `Pods` metric by that name). */
export const POD_METRICS = ['berth_requests_per_second', 'berth_in_flight'] as const;
export type PodMetricName = (typeof POD_METRICS)[number];

/**
 * What an HPA's metric asks for. cpu values are cores (0.5 = 500m), memory values bytes, the
 * `Pods` metrics per-replica averages; a Utilization is a percent of the containers' requests.
 */
export type MetricTarget =
  | { readonly kind: 'Resource'; readonly resource: 'cpu' | 'memory'; readonly type: 'Utilization'; readonly averageUtilization: number }
  | { readonly kind: 'Resource'; readonly resource: 'cpu' | 'memory'; readonly type: 'AverageValue'; readonly averageValue: number }
  | { readonly kind: 'Pods'; readonly name: PodMetricName; readonly type: 'AverageValue'; readonly averageValue: number };

export interface QuotaBounds {
  readonly pods?: { readonly amount: number; readonly quota: string };
  readonly cpu?: { readonly amount: number; readonly quota: string };
  readonly memory?: { readonly amount: number; readonly quota: string };
}

/** An autoscaling/v2 HorizontalPodAutoscaler of a Deployment of the namespace, defaults filled in (desired/autoscaler.ts). */
export interface DesiredAutoscaler {
  readonly namespace: string;
  readonly name: string;
  /** The Deployment it scales. */
  readonly target: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** In the manifest's order; the default (none written) is cpu at 80 % of requests. */
  readonly metrics: readonly MetricTarget[];
  readonly behavior: Behavior;
  readonly source: SourceLocation;
}

/** A v1 ConfigMap of a namespace: its content and the hash templates that use it carry. */
export interface DesiredConfigMap {
  readonly namespace: string;
  readonly name: string;
  /** Hash of the content (data and binaryData): what `PodTemplate.configMaps` holds for it. */
  readonly hash: string;
  readonly immutable: boolean;
  readonly content: ConfigMapContent;
  readonly source: SourceLocation;
}

/**
 * A PersistentVolumeClaim: the Docker volume berth keeps for it. Created when missing, never
 * changed (its data is the point), never deleted because the claim left Git (plan/volumes.ts).
 */
export interface DesiredVolume {
  readonly namespace: string;
  /** The claim's name. */
  readonly name: string;
  /** The engine's name of the volume: volumeName(instance, namespace, name). */
  readonly volumeName: string;
  /** The operator's class (`--storage-class`) that picks driver and options; absent = the local driver. */
  readonly storageClass?: string;
  /** spec.resources.requests.storage as written (recorded on the volume; the local driver cannot enforce it). */
  readonly storage: string;
  readonly accessModes: readonly AccessMode[];
  readonly source: SourceLocation;
  /** The volume of an ordinal of a StatefulSet's claim template (labels berth.statefulset, berth.replica on the volume). */
  readonly statefulSet?: { readonly name: string; readonly ordinal: number };
}

/**
 * A NetworkPolicy's ingress rules as berth enforces them (proxy/network-policy.ts): which peers
 * (pods of namespaces) reach the pods `podSelector` picks, on which ports. An empty `ingress`
 * denies everything; an empty `from` or `ports` means all.
 */
export interface DesiredNetworkPolicy {
  readonly namespace: string;
  readonly name: string;
  readonly podSelector: LabelSelector;
  readonly ingress: readonly {
    readonly from: readonly { readonly namespaceSelector?: LabelSelector; readonly podSelector?: LabelSelector }[];
    readonly ports: readonly { readonly port?: number | string; readonly endPort?: number }[];
  }[];
  readonly source: SourceLocation;
}

export interface DesiredNamespace {
  readonly name: string;
  /** The labels of the folder's Namespace object (namespaceSelectors match them, and kubernetes.io/metadata.name). */
  readonly labels?: Readonly<Record<string, string>>;
  /** NetworkPolicies that govern ingress, sorted by name; absent or empty: namespaces are isolated, all open inside. */
  readonly networkPolicies?: readonly DesiredNetworkPolicy[];
  /** Engine network every replica of the namespace joins. */
  readonly network: string;
  /** False when the folder at this commit is invalid: the namespace must be left as it runs. */
  readonly valid: boolean;
  /** Sorted by name; empty when invalid. */
  readonly deployments: readonly DesiredDeployment[];
  /** Sorted by name; empty when invalid. */
  readonly services: readonly DesiredService[];
  /** Sorted by name; empty when invalid. */
  readonly ingresses: readonly DesiredIngress[];
  /** Sorted by name; empty when invalid. Absent in namespaces built before ConfigMaps (tests, older callers). */
  readonly configMaps?: readonly DesiredConfigMap[];
  /** PersistentVolumeClaims, sorted by name; empty when invalid. Absent (built by hand): none. */
  readonly volumes?: readonly DesiredVolume[];
  /** HorizontalPodAutoscalers, sorted by name; absent when there is none (or the folder is invalid). */
  readonly autoscalers?: readonly DesiredAutoscaler[];
  /**
   * The tightest bounds of the folder's ResourceQuotas on what an HPA may add (pods, limits.cpu in
   * nanoCPUs, limits.memory in bytes), each with the quota that sets it. Absent: no such bound.
   */
  readonly quota?: QuotaBounds;
  readonly diagnostics: readonly Diagnostic[];
}

export interface DesiredState {
  readonly commit: string;
  readonly instance: string;
  /** Sorted by name. */
  readonly namespaces: readonly DesiredNamespace[];
  readonly diagnostics: readonly Diagnostic[];
}

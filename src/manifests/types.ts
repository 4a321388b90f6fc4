/**
 * What the manifests module hands downstream: typed, validated Kubernetes-style objects
 * with their source location, grouped by namespace folder. yaml nodes and ajv errors stop
 * here. Field names and shapes follow Kubernetes; only fields berth honours are typed
 * (the JSON Schemas in schemas/ say which, and refuse the rest with a located error).
 */
import type { Diagnostic, NodeRequirement, Toleration } from '../core/index.js';

export interface SourceLocation {
  /** Path relative to the manifest root, e.g. `shop/web.yaml`. */
  readonly file: string;
  /** 0-based document index within the file. */
  readonly document: number;
  /** 1-based line of the document's first content line. */
  readonly line: number;
}

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  /** Exactly one source (the schema refuses fieldRef and resourceFieldRef). */
  readonly valueFrom?:
    | { readonly secretKeyRef: SecretKeySelector; readonly configMapKeyRef?: undefined }
    | { readonly configMapKeyRef: ConfigMapKeySelector; readonly secretKeyRef?: undefined };
}

/** Kubernetes' ConfigMapKeySelector: a key of the `data` of a ConfigMap in the same namespace folder. */
export interface ConfigMapKeySelector {
  readonly name: string;
  readonly key: string;
  /** A missing ConfigMap or key leaves the variable unset. */
  readonly optional?: boolean;
}

/**
 * Kubernetes' EnvFromSource: every key of a ConfigMap's `data` (configMapRef) or of a Secret
 * (secretRef) as an environment variable, named `prefix` + key. Exactly one of the two.
 */
export interface EnvFromSource {
  readonly prefix?: string;
  readonly configMapRef?: { readonly name: string; readonly optional?: boolean };
  readonly secretRef?: { readonly name: string; readonly optional?: boolean };
}

/** Kubernetes' SecretKeySelector: a key of a Secret in the same namespace folder. */
export interface SecretKeySelector {
  readonly name: string;
  readonly key: string;
  /** A missing Secret, key, host file or environment variable leaves the variable unset. */
  readonly optional?: boolean;
}

export interface ContainerPort {
  readonly containerPort: number;
  readonly name?: string;
  readonly protocol?: 'TCP' | 'UDP';
  readonly hostPort?: number;
}

export interface Probe {
  readonly httpGet?: {
    readonly path?: string;
    readonly port: number | string;
    readonly scheme?: 'HTTP' | 'HTTPS';
    readonly httpHeaders?: readonly { name: string; value: string }[];
  };
  readonly tcpSocket?: { readonly port: number | string };
  readonly exec?: { readonly command: readonly string[] };
  /** grpc.health.v1 Health/Check; the port is a number (Kubernetes takes no name here). */
  readonly grpc?: { readonly port: number; readonly service?: string };
  readonly initialDelaySeconds?: number;
  readonly periodSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly successThreshold?: number;
  readonly failureThreshold?: number;
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly workingDir?: string;
  readonly env?: readonly EnvVar[];
  /** Applied before `env`, in order; a later source (and `env`) wins for a name defined twice. */
  readonly envFrom?: readonly EnvFromSource[];
  readonly ports?: readonly ContainerPort[];
  readonly resources?: {
    /** Validated quantities (see quantity.ts: parseCpu, parseMemory), at least Docker's minimums. */
    readonly limits?: { readonly cpu?: string | number; readonly memory?: string | number };
    /**
     * What a HorizontalPodAutoscaler's Utilization is a percent of (validated quantities). Kept
     * out of the revision: a change of requests rolls nothing, it only changes what the
     * autoscaler computes.
     */
    readonly requests?: { readonly cpu?: string | number; readonly memory?: string | number };
  };
  /**
   * Probes: an httpGet/tcpSocket/grpc port is a number among `ports[].containerPort` or the name
   * of one of `ports` (checked), since berth probes through the port the replica publishes.
   */
  readonly readinessProbe?: Probe;
  readonly livenessProbe?: Probe;
  readonly startupProbe?: Probe;
  /** Overrides the pod's securityContext field by field (as in Kubernetes). Checked by the namespace policy (policy/). */
  readonly securityContext?: SecurityContext;
  readonly volumeMounts?: readonly VolumeMount[];
  /** Only on an init container: `Always` makes it a native sidecar (started first, kept running beside the app, stopped last). */
  readonly restartPolicy?: 'Always';
}

/** `seccompProfile`: RuntimeDefault (the engine's default profile, what berth runs without one) or Unconfined. */
export interface SeccompProfile {
  readonly type: 'RuntimeDefault' | 'Unconfined';
}

/** The securityContext fields a pod and a container share (sysctls, SELinux, … are refused by the schema). */
export interface CommonSecurityContext {
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly runAsNonRoot?: boolean;
  readonly seccompProfile?: SeccompProfile;
}

/** The pod-level securityContext fields berth honours. */
export interface PodSecurityContext extends CommonSecurityContext {
  /**
   * The group that owns the volumes berth creates (emptyDir, configMap and secret files), and a
   * supplementary group of the container, as in Kubernetes. hostPath volumes are never changed.
   */
  readonly fsGroup?: number;
  /** OnRootMismatch or Always: the same in berth, whose volumes are made fresh for every replica. */
  readonly fsGroupChangePolicy?: 'OnRootMismatch' | 'Always';
}

/** A container's securityContext, as berth honours it. Capability names are Kubernetes' (`NET_ADMIN`; a `CAP_` prefix is accepted). */
export interface SecurityContext extends CommonSecurityContext {
  readonly privileged?: boolean;
  readonly allowPrivilegeEscalation?: boolean;
  readonly capabilities?: { readonly add?: readonly string[]; readonly drop?: readonly string[] };
  readonly readOnlyRootFilesystem?: boolean;
}

/** hostPath types berth honours (CharDevice and BlockDevice are devices: refused). '' = no check; the folder is created when missing, as Docker does. */
export type HostPathType = '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket';

/** One key of a Secret projected as a file of a secret volume. */
export interface KeyToPath {
  readonly key: string;
  /** Relative path of the file inside the volume (no `..`). */
  readonly path: string;
  /** File mode, e.g. 0400 (YAML octal) or 256. Default: the volume's defaultMode. */
  readonly mode?: number;
}

/**
 * A pod volume: exactly one source. `hostPath` is a folder or file of the host (the namespace
 * policy and the operator's allow-list decide whether it may be used); `emptyDir` is a tmpfs
 * private to the replica; `secret` holds a Secret's keys as files, written by berth when the
 * replica is created.
 */
export interface Volume {
  readonly name: string;
  readonly hostPath?: { readonly path: string; readonly type?: HostPathType };
  readonly emptyDir?: { readonly medium?: '' | 'Memory'; readonly sizeLimit?: string | number };
  readonly secret?: { readonly secretName: string; readonly items?: readonly KeyToPath[]; readonly defaultMode?: number; readonly optional?: boolean };
  /** The keys of a ConfigMap of the same folder (data and binaryData) as files, written by berth when the replica is created. */
  readonly configMap?: { readonly name: string; readonly items?: readonly KeyToPath[]; readonly defaultMode?: number; readonly optional?: boolean };
  /** The Docker volume of a PersistentVolumeClaim of the same namespace folder (checked by the loader). */
  readonly persistentVolumeClaim?: { readonly claimName: string; readonly readOnly?: boolean };
}

export interface VolumeMount {
  /** The name of a volume of the pod. */
  readonly name: string;
  /** Absolute path inside the container. */
  readonly mountPath: string;
  readonly readOnly?: boolean;
  /** A relative path inside the volume to mount instead of its root (no `..`). */
  readonly subPath?: string;
}

export interface PodTemplate {
  readonly metadata?: { readonly labels?: Readonly<Record<string, string>>; readonly annotations?: Readonly<Record<string, string>> };
  readonly spec: {
    readonly containers: readonly Container[];
    /** Run in order, each to completion, before the app container of every new replica; those with `restartPolicy: Always` are native sidecars. */
    readonly initContainers?: readonly Container[];
    readonly terminationGracePeriodSeconds?: number;
    readonly nodeSelector?: Readonly<Record<string, string>>;
    readonly affinity?: AffinitySpec;
    readonly topologySpreadConstraints?: readonly TopologySpreadConstraintSpec[];
    readonly tolerations?: readonly Toleration[];
    readonly restartPolicy?: 'Always';
    readonly securityContext?: PodSecurityContext;
    readonly hostNetwork?: boolean;
    readonly hostPID?: boolean;
    readonly hostIPC?: boolean;
    readonly volumes?: readonly Volume[];
  };
}

export type IntOrPercent = number | string;

export interface DeploymentSpec {
  readonly replicas?: number;
  readonly selector: { readonly matchLabels?: Readonly<Record<string, string>> };
  readonly template: PodTemplate;
  readonly strategy?: {
    readonly type?: 'RollingUpdate' | 'Recreate';
    readonly rollingUpdate?: { readonly maxSurge?: IntOrPercent; readonly maxUnavailable?: IntOrPercent };
  };
  readonly minReadySeconds?: number;
  readonly progressDeadlineSeconds?: number;
  readonly revisionHistoryLimit?: number;
  readonly paused?: boolean;
}

interface ManifestBase<K extends string, A extends string> {
  readonly apiVersion: A;
  readonly kind: K;
  readonly metadata: ObjectMeta;
  readonly source: SourceLocation;
}

/** 1-based line and column of a field in its file. */
export interface FieldPosition {
  readonly line: number;
  readonly column: number;
}

/**
 * Where the fields a downstream check reports on are written, by dotted field path
 * (`spec.template.spec.containers[0].securityContext.privileged`, `metadata.labels["pod-security.kubernetes.io/enforce"]`):
 * the security-relevant fields of a Deployment (see positions.ts) and the labels of a
 * Namespace. Not part of the Kubernetes object: the policy module (policy/) uses it to point
 * its diagnostics at file:line, as the loader's own diagnostics do.
 */
export type FieldPositions = Readonly<Record<string, FieldPosition>>;

export interface NamespaceManifest extends ManifestBase<'Namespace', 'v1'> {
  readonly spec?: Readonly<Record<string, unknown>>;
  readonly positions?: FieldPositions;
}

export interface DeploymentManifest extends ManifestBase<'Deployment', 'apps/v1'> {
  readonly spec: DeploymentSpec;
  readonly positions?: FieldPositions;
}

/**
 * apps/v1 StatefulSet: a Deployment's pod template and selector, with stable identities
 * (`<name>-<ordinal>`), ordered creation, reverse-ordinal updates and a volume per ordinal per
 * claim template (desired/stateful.ts, rollout/stateful-step.ts).
 */
export interface StatefulSetSpec {
  readonly replicas?: number;
  readonly selector: DeploymentSpec['selector'];
  readonly template: PodTemplate;
  readonly serviceName?: string;
  readonly podManagementPolicy?: 'OrderedReady' | 'Parallel';
  readonly updateStrategy?: { readonly type?: 'RollingUpdate' | 'OnDelete'; readonly rollingUpdate?: { readonly partition?: number } };
  readonly volumeClaimTemplates?: readonly ClaimTemplateSpec[];
  readonly persistentVolumeClaimRetentionPolicy?: { readonly whenDeleted?: 'Retain' | 'Delete'; readonly whenScaled?: 'Retain' | 'Delete' };
  readonly minReadySeconds?: number;
  readonly revisionHistoryLimit?: number;
}

export interface ClaimTemplateSpec {
  readonly metadata: { readonly name: string; readonly labels?: Readonly<Record<string, string>>; readonly annotations?: Readonly<Record<string, string>> };
  readonly spec: PersistentVolumeClaimManifest['spec'];
}

export interface StatefulSetManifest extends ManifestBase<'StatefulSet', 'apps/v1'> {
  readonly spec: StatefulSetSpec;
  readonly positions?: FieldPositions;
}

/** The kinds that run replicas of a pod template. */
export type WorkloadManifest = DeploymentManifest | StatefulSetManifest;

export function isWorkload(m: { readonly kind: string }): m is WorkloadManifest {
  return m.kind === 'Deployment' || m.kind === 'StatefulSet';
}

/** The one `type` a berth Secret has: it references host files or variables, it holds no values. */
export const SECRET_REFERENCE_TYPE = 'berth.dev/host-reference';

/**
 * Where one key of a Secret lives on the berth host: an absolute file path (inside the
 * operator's allow-list, checked when the value is read) or an environment variable of the
 * berth process. Never the value.
 */
export type SecretKeySource = { readonly file: string } | { readonly env: string };

/**
 * A v1 Secret as berth has it: references only. `data` and `stringData` are refused (berth keeps
 * no secret values in Git); `spec.keys` maps each key to its SecretKeySource.
 */
export interface SecretManifest extends ManifestBase<'Secret', 'v1'> {
  readonly type: typeof SECRET_REFERENCE_TYPE;
  readonly spec: { readonly keys: Readonly<Record<string, SecretKeySource>> };
}

/** One port of a v1 Service, as loaded (`appProtocol` is ignored and removed). */
export interface ServicePort {
  /** A DNS label; present on every port when the Service has more than one. */
  readonly name?: string;
  /** Only TCP is accepted (UDP and SCTP are refused). Default TCP. */
  readonly protocol?: 'TCP';
  readonly port: number;
  /** A container port number or name. Default: `port`. */
  readonly targetPort?: number | string;
  /** Where the data plane listens instead of `port`; only with type NodePort or LoadBalancer. */
  readonly nodePort?: number;
}

/**
 * A v1 Service as berth has it. The loader refuses what berth cannot serve (no selector,
 * ExternalName, headless `clusterIP: None`, UDP/SCTP, ClientIP affinity, …) and removes the
 * fields it ignores (clusterIP, traffic policies, IP families, …), so what is left is exactly
 * what the data plane acts on.
 */
export interface ServiceManifest extends ManifestBase<'Service', 'v1'> {
  readonly spec: {
    /** Always present and non-empty in a loaded Service (berth has no manual Endpoints). */
    readonly selector: Readonly<Record<string, string>>;
    readonly ports: readonly ServicePort[];
    readonly type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
    /** An IPv4 address, `None` (headless) or `""` (allocate); checked against the namespace subnet by the controller. */
    readonly clusterIP?: string;
    readonly sessionAffinity?: 'None' | 'ClientIP';
    readonly publishNotReadyAddresses?: boolean;
  };
}

/** A port of the backend Service: exactly one of `number` (a `spec.ports[].port`) and `name`. */
export type ServiceBackendPort = { readonly number: number; readonly name?: undefined } | { readonly name: string; readonly number?: undefined };

/** Kubernetes' IngressBackend; berth accepts Service backends only. */
export interface IngressBackendSpec {
  readonly service: { readonly name: string; readonly port: ServiceBackendPort };
}

export interface HttpIngressPath {
  /** Starts with '/'. */
  readonly path: string;
  readonly pathType: 'Prefix' | 'Exact' | 'ImplementationSpecific';
  readonly backend: IngressBackendSpec;
}

export interface IngressRule {
  /** A DNS name or `*.` + a DNS name; absent = any host. */
  readonly host?: string;
  readonly http: { readonly paths: readonly HttpIngressPath[] };
}

/** A networking.k8s.io/v1 Ingress as berth has it: plain HTTP (spec.tls is refused), Service backends of the same folder. */
export interface IngressManifest extends ManifestBase<'Ingress', 'networking.k8s.io/v1'> {
  readonly spec: {
    readonly ingressClassName?: string;
    readonly defaultBackend?: IngressBackendSpec;
    readonly rules?: readonly IngressRule[];
  };
}

/**
 * The resources a berth ResourceQuota may bound (its schema refuses the rest with a located
 * error, and drops requests.* / cpu / memory with a warning: berth drops Deployments' requests).
 */
export const QUOTA_RESOURCES = [
  'pods',
  'limits.cpu',
  'limits.memory',
  'count/deployments.apps',
  'services',
  'count/services',
  'secrets',
  'count/secrets',
  'count/ingresses.networking.k8s.io',
  'persistentvolumeclaims',
  'count/persistentvolumeclaims',
  'requests.storage',
] as const;

export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/**
 * A v1 ResourceQuota as berth has it: bounds on the sums over its namespace folder, checked when
 * a commit is loaded (several in one folder all apply). Values are validated quantities (counts,
 * CPU, memory); `scopes` and `scopeSelector` are refused.
 */
export interface ResourceQuotaManifest extends ManifestBase<'ResourceQuota', 'v1'> {
  readonly spec: { readonly hard: Readonly<Partial<Record<QuotaResource, string | number>>> };
}

/**
 * A v1 ConfigMap: configuration kept in Git, not secret. Keys are Kubernetes' ConfigMap keys
 * (`[-._a-zA-Z0-9]+`, at most 253 characters, not `.`, `..` or starting with `..`), unique
 * across `data` and `binaryData`; `binaryData` values are base64; the values add up to at most
 * 1 MiB (CONFIGMAP_TOO_LARGE), as in Kubernetes. Deployments use it through
 * `env[].valueFrom.configMapKeyRef`, `envFrom[].configMapRef` (both read `data` only, as
 * Kubernetes) and `configMap` volumes (both); a change of its content rolls exactly those.
 */
export interface ConfigMapManifest extends ManifestBase<'ConfigMap', 'v1'> {
  readonly data?: Readonly<Record<string, string>>;
  readonly binaryData?: Readonly<Record<string, string>>;
  /** Kubernetes refuses later changes of an immutable ConfigMap; berth rolls its users like any other (a warning in `berth plan --base/--head`). */
  readonly immutable?: boolean;
}

/** Kubernetes' access modes of a claim, as far as one host can honour them (claim-rules.ts). */
export const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] as const;

export type AccessMode = (typeof ACCESS_MODES)[number];

/**
 * A v1 PersistentVolumeClaim as berth has it: a named Docker volume berth creates and never
 * deletes because the claim left Git. `resources.requests.storage` is recorded (and counted by
 * quotas), not enforced: Docker's local driver has no size. `storageClassName` names a class the
 * operator defines (`--storage-class`); `volumeMode` is Filesystem only (Block is refused).
 */
export interface PersistentVolumeClaimManifest extends ManifestBase<'PersistentVolumeClaim', 'v1'> {
  readonly spec: {
    readonly accessModes: readonly AccessMode[];
    readonly resources: { readonly requests: { readonly storage: string | number } };
    readonly storageClassName?: string;
    readonly volumeMode?: 'Filesystem';
  };
  readonly positions?: FieldPositions;
}

/** A node requirement of a nodeSelectorTerm (matchExpressions on node labels, matchFields on metadata.name): as written is as berth keeps it. */
export type NodeRequirementSpec = NodeRequirement;

export interface PodAffinityTermSpec {
  readonly labelSelector?: LabelSelectorSpec;
  readonly topologyKey: string;
  readonly namespaces?: readonly string[];
}

/** The pod spec's affinity, as far as berth acts on it (podAffinity and preferred node affinity are ignored by the schema). */
export interface AffinitySpec {
  readonly nodeAffinity?: {
    readonly requiredDuringSchedulingIgnoredDuringExecution?: {
      readonly nodeSelectorTerms: readonly {
        readonly matchExpressions?: readonly NodeRequirementSpec[];
        readonly matchFields?: readonly NodeRequirementSpec[];
      }[];
    };
  };
  readonly podAntiAffinity?: {
    readonly requiredDuringSchedulingIgnoredDuringExecution?: readonly PodAffinityTermSpec[];
    readonly preferredDuringSchedulingIgnoredDuringExecution?: readonly { readonly weight?: number; readonly podAffinityTerm: PodAffinityTermSpec }[];
  };
}

export interface TopologySpreadConstraintSpec {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
  readonly labelSelector?: LabelSelectorSpec;
}

/** A Kubernetes label selector (metav1.LabelSelector). */
export interface LabelSelectorSpec {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    readonly values?: readonly string[];
  }[];
}

/** networking.k8s.io/v1 NetworkPolicy, ingress only (egress and ipBlock are refused by its schema and rules). */
export interface NetworkPolicyManifest extends ManifestBase<'NetworkPolicy', 'networking.k8s.io/v1'> {
  readonly spec: {
    readonly podSelector: LabelSelectorSpec;
    readonly policyTypes?: readonly ('Ingress' | 'Egress')[];
    readonly ingress?: readonly {
      readonly from?: readonly { readonly podSelector?: LabelSelectorSpec; readonly namespaceSelector?: LabelSelectorSpec }[];
      readonly ports?: readonly { readonly protocol?: 'TCP' | 'UDP' | 'SCTP'; readonly port?: number | string; readonly endPort?: number }[];
    }[];
  };
}

/** An HPA's target (autoscaling/v2 MetricTarget): quantities as written, validated. */
export interface MetricTargetSpec {
  readonly type: 'Utilization' | 'AverageValue';
  readonly averageUtilization?: number;
  readonly averageValue?: string | number;
}

/** autoscaling/v2 HPAScalingRules. */
export interface ScalingRulesSpec {
  readonly stabilizationWindowSeconds?: number;
  readonly selectPolicy?: 'Max' | 'Min' | 'Disabled';
  readonly policies?: readonly { readonly type: 'Pods' | 'Percent'; readonly value: number; readonly periodSeconds: number }[];
  readonly tolerance?: string | number;
}

/**
 * autoscaling/v2 HorizontalPodAutoscaler of a Deployment in the same folder (hpa-rules.ts checks
 * the target and the requests a Utilization needs). Metrics: Resource (cpu, memory) and Pods
 * (berth_requests_per_second, berth_in_flight); the other types are refused by its schema.
 */
export interface HorizontalPodAutoscalerManifest extends ManifestBase<'HorizontalPodAutoscaler', 'autoscaling/v2'> {
  readonly spec: {
    readonly scaleTargetRef: { readonly apiVersion?: 'apps/v1'; readonly kind: 'Deployment'; readonly name: string };
    readonly minReplicas?: number;
    readonly maxReplicas: number;
    readonly metrics?: readonly (
      | { readonly type: 'Resource'; readonly resource: { readonly name: 'cpu' | 'memory'; readonly target: MetricTargetSpec } }
      | {
          readonly type: 'Pods';
          readonly pods: { readonly metric: { readonly name: 'berth_requests_per_second' | 'berth_in_flight' }; readonly target: MetricTargetSpec };
        }
    )[];
    readonly behavior?: { readonly scaleUp?: ScalingRulesSpec; readonly scaleDown?: ScalingRulesSpec };
  };
  /** Where spec.scaleTargetRef.name and each metric's target are written (the folder-level checks report there). */
  readonly positions?: FieldPositions;
}

/** Every kind the loader accepts. Later kinds join this union. */
export type Manifest =
  | NamespaceManifest
  | DeploymentManifest
  | SecretManifest
  | ServiceManifest
  | IngressManifest
  | ResourceQuotaManifest
  | PersistentVolumeClaimManifest
  | ConfigMapManifest
  | NetworkPolicyManifest
  | HorizontalPodAutoscalerManifest
  | StatefulSetManifest;

export interface NamespaceManifests {
  /** Folder name = namespace name. */
  readonly name: string;
  /** Git tree id of the folder (results are cached by it). */
  readonly treeId: string;
  /** Valid objects, in file then document order. Empty when `valid` is false. */
  readonly objects: readonly Manifest[];
  /** Errors and warnings, sorted by file, line. */
  readonly diagnostics: readonly Diagnostic[];
  /** False when any diagnostic is an error: the namespace must then be left as it runs. */
  readonly valid: boolean;
  /**
   * When `valid` is false: the objects of the documents that did parse and pass their own checks,
   * for checks that report (the namespace policy), so one run shows every problem of the folder
   * (a YAML syntax error in one file does not hide a privileged container in another). Never
   * applied or planned: only `objects` is.
   */
  readonly reportOnly?: readonly Manifest[];
}

export interface ManifestSet {
  readonly commit: string;
  /** Sorted by name. */
  readonly namespaces: readonly NamespaceManifests[];
  /** Problems outside any namespace folder (stray files at the root, bad folder names). */
  readonly diagnostics: readonly Diagnostic[];
}

/** One container of a pod template, app or init, with where it is written. */
export interface PodContainer {
  readonly container: Container;
  readonly list: 'containers' | 'initContainers';
  readonly index: number;
  /** `['spec', 'template', 'spec', list, index]`. */
  readonly path: readonly (string | number)[];
}

/** Every container of a pod template: the app containers, then the init containers in order. Rules that read containers read them all. */
export function podContainers(template: PodTemplate): PodContainer[] {
  const of = (list: PodContainer['list'], containers: readonly Container[]): PodContainer[] =>
    containers.map((container, index) => ({ container, list, index, path: ['spec', 'template', 'spec', list, index] }));
  return [...of('containers', template.spec.containers), ...of('initContainers', template.spec.initContainers ?? [])];
}

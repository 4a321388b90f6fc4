/**
 * What the manifests module hands downstream: typed, validated Kubernetes-style objects
 * with their source location, grouped by namespace folder. yaml nodes and ajv errors stop
 * here. Field names and shapes follow Kubernetes; only fields berth honours are typed
 * (the JSON Schemas in schemas/ say which, and refuse the rest with a located error).
 */
import type { Diagnostic } from '../core/index.js';

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
  /** Exactly one source (the schema refuses configMapKeyRef, fieldRef, resourceFieldRef). */
  readonly valueFrom?: { readonly secretKeyRef: SecretKeySelector };
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
  readonly httpGet?: { readonly path?: string; readonly port: number | string; readonly scheme?: 'HTTP' | 'HTTPS'; readonly httpHeaders?: readonly { name: string; value: string }[] };
  readonly tcpSocket?: { readonly port: number | string };
  readonly exec?: { readonly command: readonly string[] };
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
  readonly ports?: readonly ContainerPort[];
  readonly resources?: {
    /** Validated quantities (see quantity.ts: parseCpu, parseMemory), at least Docker's minimums. */
    readonly limits?: { readonly cpu?: string | number; readonly memory?: string | number };
    /**
     * Always absent in loaded manifests: requests only inform a scheduler, so the loader drops
     * them with an IGNORED_FIELD warning (and changing them never changes a revision).
     */
    readonly requests?: { readonly cpu?: string | number; readonly memory?: string | number };
  };
  /**
   * Probes: an httpGet/tcpSocket port is a number among `ports[].containerPort` or the name
   * of one of `ports` (checked), since berth probes through the port the replica publishes.
   */
  readonly readinessProbe?: Probe;
  readonly livenessProbe?: Probe;
  readonly startupProbe?: Probe;
}

export interface PodTemplate {
  readonly metadata?: { readonly labels?: Readonly<Record<string, string>>; readonly annotations?: Readonly<Record<string, string>> };
  readonly spec: {
    readonly containers: readonly Container[];
    readonly terminationGracePeriodSeconds?: number;
    readonly restartPolicy?: 'Always';
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

export interface NamespaceManifest extends ManifestBase<'Namespace', 'v1'> {
  readonly spec?: Readonly<Record<string, unknown>>;
}

export interface DeploymentManifest extends ManifestBase<'Deployment', 'apps/v1'> {
  readonly spec: DeploymentSpec;
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
    readonly sessionAffinity?: 'None';
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

/** Every kind the loader accepts. Later kinds (ConfigMap, …) join this union. */
export type Manifest = NamespaceManifest | DeploymentManifest | SecretManifest | ServiceManifest | IngressManifest;

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
}

export interface ManifestSet {
  readonly commit: string;
  /** Sorted by name. */
  readonly namespaces: readonly NamespaceManifests[];
  /** Problems outside any namespace folder (stray files at the root, bad folder names). */
  readonly diagnostics: readonly Diagnostic[];
}

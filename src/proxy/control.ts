/**
 * The data plane's control interface (a port): what the reconciler tells the proxy. The
 * proxy process (Service L4, Ingress L7) holds connections and outlives `berth run`; the
 * reconciler recomputes each namespace's table from desired state, container labels and
 * probe results on every pass and pushes it whole (level-triggered, idempotent).
 */
import type { NetworkPolicyRoute, ServicePod } from './network-policy.js';

/** One ready replica behind a Service port: its address on the namespace network and the target port (else its published port on 127.0.0.1). */
export interface Backend {
  /** Container id: the key for drain and connection counts. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** Index into the Service's `pods`: the destination pod as NetworkPolicies see it. */
  readonly pod?: number;
}

export interface ServicePortRoute {
  readonly name?: string;
  /** The Service port (what Ingress backends refer to, and where the virtual address listens). */
  readonly port: number;
  /** Where the proxy also listens on the host for this port (L4): NodePort and LoadBalancer only. */
  readonly listen?: { readonly host: string; readonly port: number };
  /** Ready replicas only, in a stable order. */
  readonly backends: readonly Backend[];
}

export interface ServiceRoute {
  readonly name: string;
  readonly ports: readonly ServicePortRoute[];
  /**
   * The Service's virtual address in the namespace subnet: the proxy adds it to the
   * namespace's bridge, listens there on every port (for peers of the namespace subnet only)
   * and answers it for the Service's names. Absent: no in-namespace listener (headless, or
   * no address could be given — `clusterIPError` says why).
   */
  readonly clusterIP?: string;
  readonly clusterIPError?: string;
  /**
   * Headless: the names resolve to these endpoint addresses (replica IPs on the namespace network).
   * `hosts`: the endpoints that are replicas of a StatefulSet naming this Service (serviceName), by
   * replica name: `web-0.<service>…` resolves to that one address.
   */
  readonly headless?: { readonly addresses: readonly string[]; readonly hosts?: Readonly<Record<string, string>> };
  /** ClientIP: connections from one client address keep going to the same backend while it is listed. */
  readonly sessionAffinity?: 'ClientIP';
  /**
   * An autoscaler reads this Service's request rate or open connections from the data plane:
   * its in-namespace connections go through the data plane's listener (counted), never the
   * kernel path (kernel-rules.ts).
   */
  readonly metered?: true;
  /** The pods the Service selects (one per Deployment), for NetworkPolicies; backends point into it. */
  readonly pods?: readonly ServicePod[];
}

/** The namespace's network as the data plane needs it: who may connect, and where the virtual addresses and DNS live. */
export interface NamespaceNetwork {
  /** `10.213.7.0/24`: only peers inside it reach the namespace's virtual addresses and DNS. */
  readonly subnet: string;
  /** The bridge's own address: the namespace DNS listens there (UDP and TCP 53). */
  readonly gateway: string;
  /** The host interface (`br-…`) the virtual addresses are added to (`lo` for a cluster namespace). */
  readonly bridge: string;
  /**
   * A cluster namespace (desired/cluster-ips.ts clusterServiceNetwork): its subnet is berth's
   * Service network on this host, wholly berth's (the gateway, where its DNS listens, is added
   * too), and `peers`, the cluster's node addresses, count as the namespace's own: its tasks
   * reach this host NATed to their node's address.
   */
  readonly cluster?: { readonly peers: readonly string[] };
}

export interface IngressPathRoute {
  readonly path: string;
  readonly pathType: 'Prefix' | 'Exact' | 'ImplementationSpecific';
  readonly service: string;
  /** Service port number or name. */
  readonly port: number | string;
}

export interface IngressRoute {
  readonly name: string;
  readonly rules: readonly { readonly host?: string; readonly paths: readonly IngressPathRoute[] }[];
  readonly defaultBackend?: { readonly service: string; readonly port: number | string };
  /** The Ingress's upstream timeouts (its ingress-nginx annotations); absent: DEFAULT_INGRESS_TIMEOUTS. */
  readonly upstreamTimeouts?: IngressTimeouts;
}

/** Upstream timeouts of one Ingress, in seconds (nginx's proxy_connect/read/send_timeout). */
export interface IngressTimeouts {
  readonly connectSeconds: number;
  readonly readSeconds: number;
  readonly sendSeconds: number;
}

/** ingress-nginx's defaults: connect 5 s, read 60 s, send 60 s. */
export const DEFAULT_INGRESS_TIMEOUTS: IngressTimeouts = { connectSeconds: 5, readSeconds: 60, sendSeconds: 60 };

/** The most seconds a timeout may be: a Node timer holds at most 2^31-1 ms. */
export const MAX_INGRESS_TIMEOUT_SECONDS = 1_000_000;

/** Everything the proxy serves for one namespace. Ingress backends name Services of the same namespace. */
export interface NamespaceTable {
  readonly namespace: string;
  /** Absent: the namespace has no network (yet): nothing listens inside it. */
  readonly network?: NamespaceNetwork;
  readonly services: readonly ServiceRoute[];
  readonly ingresses: readonly IngressRoute[];
  /** The namespace's labels (its Namespace object's, and kubernetes.io/metadata.name), for namespaceSelectors. */
  readonly labels?: Readonly<Record<string, string>>;
  /** The namespace's running replicas by address on its network, with their pod labels: who a peer is, for podSelectors. */
  readonly members?: readonly { readonly address: string; readonly labels: Readonly<Record<string, string>> }[];
  /** The namespace's NetworkPolicies (absent or empty: berth's default, its own namespace only). */
  readonly policies?: readonly NetworkPolicyRoute[];
}

export interface ListenerStatus {
  readonly namespace: string;
  readonly service: string;
  readonly port: number;
  /** `cluster`: at the Service's virtual address, inside the namespace; `host`: NodePort/LoadBalancer. */
  readonly scope?: 'cluster' | 'host';
  readonly listen: { readonly host: string; readonly port: number };
  /** Set when the address could not be bound (e.g. another Service or process holds it). */
  readonly error?: string;
}

export interface DataPlaneStatus {
  readonly pid: number;
  readonly ingress?: { readonly host: string; readonly port: number; readonly error?: string };
  readonly namespaces: readonly NamespaceTable[];
  readonly listeners: readonly ListenerStatus[];
  /** Open connections (L4) and in-flight requests (L7) per backend id. */
  readonly active: Readonly<Record<string, number>>;
  /**
   * Connections (L4) and requests (L7) started per backend id since it was first listed
   * (absent from a data plane older than this field): a request rate is the difference of two readings.
   */
  readonly served?: Readonly<Record<string, number>>;
  /** Backend ids taken out of rotation by drain. */
  readonly draining: readonly string[];
  /**
   * The kernel path for in-namespace Service traffic (kernel-rules.ts): this data plane's nat
   * chains and the Service ports they carry (`namespace/service:port`), or why it is off.
   */
  readonly kernelPath?: { readonly chains?: readonly string[]; readonly routes: readonly string[]; readonly error?: string };
}

export interface DataPlane {
  /** Replaces the namespace's table; returns the listeners' state after applying it. */
  putNamespace(table: NamespaceTable): Promise<readonly ListenerStatus[]>;
  /** Removes everything the namespace served (closes its listeners). */
  removeNamespace(namespace: string): Promise<void>;
  /**
   * Takes the backends out of rotation for good (new connections go elsewhere, even if a
   * later table still lists them) and resolves when their open connections and in-flight
   * requests have finished, or when `timeoutMs` has passed. `remaining` = still open then.
   */
  drain(ids: readonly string[], timeoutMs: number): Promise<{ readonly remaining: number }>;
  status(): Promise<DataPlaneStatus>;
}

/**
 * The data plane's control interface (a port): what the reconciler tells the proxy. The
 * proxy process (Service L4, Ingress L7) holds connections and outlives `berth run`; the
 * reconciler recomputes each namespace's table from desired state, container labels and
 * probe results on every pass and pushes it whole (level-triggered, idempotent).
 */

/** One ready replica behind a Service port: its published address on 127.0.0.1. */
export interface Backend {
  /** Container id: the key for drain and connection counts. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

export interface ServicePortRoute {
  readonly name?: string;
  /** The Service port (what Ingress backends refer to). */
  readonly port: number;
  /** Where the proxy listens for this port (L4). */
  readonly listen: { readonly host: string; readonly port: number };
  /** Ready replicas only, in a stable order. */
  readonly backends: readonly Backend[];
}

export interface ServiceRoute {
  readonly name: string;
  readonly ports: readonly ServicePortRoute[];
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
  readonly services: readonly ServiceRoute[];
  readonly ingresses: readonly IngressRoute[];
}

export interface ListenerStatus {
  readonly namespace: string;
  readonly service: string;
  readonly port: number;
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
  /** Backend ids taken out of rotation by drain. */
  readonly draining: readonly string[];
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

/**
 * proxy: the data plane. Service ports (L4 TCP) and Ingresses (L7 HTTP) balanced round-robin
 * over ready replicas, with drain, in a long-lived process (`berth proxy`) that holds the
 * connections and outlives `berth run`. The reconciler talks to it only through the
 * `DataPlane` port (control.ts): `DataPlaneClient` over a unix socket, or `ProxyServer`
 * in-process.
 *
 * Invariants:
 *  - Tables are pushed whole per namespace (level-triggered); applying one never touches an
 *    established connection, and is persisted so a restarted proxy serves at once.
 *  - A drained backend id is out of rotation for good, whatever a racing table lists.
 *  - A backend that refuses (or, through Docker's userland proxy, accepts and closes) before
 *    answering is skipped: the next one is tried, each at most once.
 *  - Bind conflicts are reported in ListenerStatus, never thrown.
 *  - Ingress matching (ingress-match.ts) is pure: Kubernetes path semantics, ingress-nginx
 *    host precedence.
 */
export * from './control.js';
export * from './network-policy.js';
export * from './ingress-match.js';
export * from './table-validation.js';
export { PROXY_TABLE_FILE, persistedClusterIps } from './state-file.js';
export { BackendLedger, FORGET_DRAINED_AFTER_MS } from './backend-ledger.js';
export { RoundRobin } from './round-robin.js';
export { DEFAULT_MAX_CONNECTIONS_PER_BACKEND } from './http-forward.js';
export { ProxyServer, type ProxyServerOptions, type Address } from './data-plane.js';
export { startControlServer, type ControlServerOptions, type RunningControlServer } from './control-server.js';
export { DataPlaneClient, isDataPlaneAnswering, isNotRunning, type DataPlaneClientOptions } from './control-client.js';
export { runProxyProcess, ensureProxyRunning, DEFAULT_SHUTDOWN_GRACE_MS, type ProxyProcessOptions, type EnsureProxyOptions } from './process.js';
export { normalizeRequestPath, queryOfTarget, type NormalizedPath } from './request-path.js';
export { resolveName, searchDomains, DNS_OPTIONS, CLUSTER_DOMAIN, type DnsAnswer } from './dns-names.js';
export { ClientAffinity } from './client-affinity.js';

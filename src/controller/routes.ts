import { ownValue } from '../core/index.js';
import type { ObservedNamespace, ObservedReplica } from '../observed/index.js';
import type { Backend, IngressRoute, NamespaceNetwork, NamespaceTable, NetworkPolicyRoute, ServicePod, ServiceRoute } from '../proxy/index.js';
import {
  allocateClusterIps,
  clusterServiceNetwork,
  serviceSubnet,
  ordinalName,
  type ClusterIpVerdict,
  type DesiredDeployment,
  type DesiredIngress,
  type DesiredNamespace,
  type DesiredNetworkPolicy,
  type DesiredService,
} from '../desired/index.js';

/**
 * The data plane's table for one namespace, derived from desired Services/Ingresses and the
 * replicas as labels describe them. Pure. Only ready replicas are backends (all running ones
 * with publishNotReadyAddresses); `leaving` are replicas this pass is about to drain and stop
 * (never handed new traffic again, whatever the Service says).
 *   Service web {app: web} port 8081 → targetPort 80; replica r1 {app: web} at 10.213.7.5 on
 *   the namespace network and ready → backend { id: r1, host: 10.213.7.5, port: 80 }
 * Each Service but a headless one gets its virtual address (cluster-ips.ts) when the namespace
 * network has a subnet; `previousClusterIPs` are the addresses the data plane holds now.
 */
export function namespaceTable(args: {
  readonly namespace: string;
  readonly desired: DesiredNamespace | undefined;
  readonly observed: ObservedNamespace | undefined;
  readonly isReady: (replica: ObservedReplica) => boolean;
  readonly leaving: ReadonlySet<string>;
  readonly serviceAddress: string;
  readonly previousClusterIPs?: ReadonlyMap<string, string>;
  /** A cluster driver's node addresses: where its tasks' connections come from (NATed). */
  readonly clusterPeers?: readonly string[];
}): NamespaceTable {
  const running = (args.observed?.deployments ?? [])
    .flatMap((d) => d.replicas)
    .filter((r) => r.state === 'running' && r.init === undefined && !args.leaving.has(r.id));
  // One its node ordered to stop (a drain) is terminating: never a backend again, whatever its probe still says.
  const ready = running.filter((r) => !r.evicted && args.isReady(r));
  const net = args.observed?.network;
  const network: NamespaceNetwork | undefined = namespaceNetwork(net, args.clusterPeers);
  const services = args.desired?.services ?? [];
  const { subnet, noSubnet } = serviceSubnet(net);
  const ips = allocateClusterIps({ subnet, services, previous: args.previousClusterIPs ?? new Map(), ...(noSubnet ? { noSubnet } : {}) });
  const deployments = args.desired?.deployments ?? [];
  const policies = (args.desired?.networkPolicies ?? []).map(policyRoute);
  const withNetwork = network && (services.length > 0 || running.some((r) => r.namespaceDns));
  const metered = meteredWorkloads(args.desired);
  return {
    namespace: args.namespace,
    // The namespace DNS runs while there is a Service to answer or a replica that resolves through it.
    ...(withNetwork ? { network } : {}),
    services: services.map((s) => serviceRoute(s, s.publishNotReadyAddresses ? running : ready, args.serviceAddress, ips.get(s.name), deployments, metered)),
    ingresses: (args.desired?.ingresses ?? []).map(ingressRoute),
    // Who is who for NetworkPolicies (proxy/network-policy.ts): this namespace's labels and replicas, and its policies.
    ...(args.desired?.labels ? { labels: args.desired.labels } : {}),
    ...(network
      ? { members: running.flatMap((r) => (r.address ? [{ address: r.address, labels: r.podLabels }] : [])).sort((a, b) => (a.address < b.address ? -1 : 1)) }
      : {}),
    ...(policies.length > 0 ? { policies } : {}),
  };
}

/**
 * The data plane's view of a namespace network: a bridge this host serves, or a cluster overlay
 * served from this host's Service network (addresses on `lo`, peers the nodes). Pure.
 */
function namespaceNetwork(net: ObservedNamespace['network'], clusterPeers: readonly string[] | undefined): NamespaceNetwork | undefined {
  if (net?.subnet && net.gateway && net.bridge) return { subnet: net.subnet, gateway: net.gateway, bridge: net.bridge };
  if (!net?.subnet || net.bridge) return undefined;
  const csn = clusterServiceNetwork(net.subnet);
  if (!('subnet' in csn)) return undefined;
  return { subnet: csn.subnet, gateway: csn.gateway, bridge: 'lo', cluster: { peers: [...(clusterPeers ?? [])].sort() } };
}

/**
 * The Deployments an autoscaler scales on a Pods metric (request rate, connections in flight):
 * those numbers come from the data plane, so the Services in front of them stay off the kernel
 * path (proxy/kernel-rules.ts), where the data plane would not see the connections.
 */
function meteredWorkloads(desired: DesiredNamespace | undefined): ReadonlySet<string> {
  return new Set((desired?.autoscalers ?? []).filter((a) => a.metrics.some((m) => m.kind === 'Pods')).map((a) => a.target));
}

function policyRoute(p: DesiredNetworkPolicy): NetworkPolicyRoute {
  return { name: p.name, podSelector: p.podSelector, ingress: p.ingress };
}

/**
 * The pods a Service selects, one per Deployment (sorted by name), as NetworkPolicies see them:
 * the pod labels and, per Service port, the container port it reaches (and that port's name).
 */
function servicePods(service: DesiredService, deployments: readonly DesiredDeployment[]): { pods: ServicePod[]; byDeployment: Map<string, number> } {
  const pods: ServicePod[] = [];
  const byDeployment = new Map<string, number>();
  for (const d of deployments) {
    if (!selects(service.selector, d.template.labels)) continue;
    byDeployment.set(d.name, pods.length);
    pods.push({
      labels: d.template.labels,
      ports: service.ports.map((p) => {
        const declared = d.template.ports.find(
          (x) => x.protocol === 'tcp' && (typeof p.targetPort === 'number' ? x.containerPort === p.targetPort : x.name === p.targetPort),
        );
        if (declared) return { port: declared.containerPort, ...(declared.name ? { name: declared.name } : {}) };
        return typeof p.targetPort === 'number' ? { port: p.targetPort } : null;
      }),
    });
  }
  return { pods, byDeployment };
}

export function selects(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => ownValue(labels, k) === v);
}

function serviceRoute(
  service: DesiredService,
  eligible: readonly ObservedReplica[],
  address: string,
  ip: ClusterIpVerdict | undefined,
  deployments: readonly DesiredDeployment[],
  metered: ReadonlySet<string>,
): ServiceRoute {
  const endpoints = eligible.filter((r) => selects(service.selector, r.podLabels)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const { pods, byDeployment } = servicePods(service, deployments);
  const isMetered = [...byDeployment.keys()].some((d) => metered.has(d));
  return {
    name: service.name,
    ...(ip && 'address' in ip ? { clusterIP: ip.address } : {}),
    ...(ip && 'error' in ip ? { clusterIPError: ip.error } : {}),
    ...(ip && 'headless' in ip ? { headless: headlessRecords(service, endpoints, deployments) } : {}),
    ...(service.sessionAffinity === 'ClientIP' ? { sessionAffinity: 'ClientIP' as const } : {}),
    ...(isMetered ? { metered: true as const } : {}),
    ...(pods.length > 0 ? { pods } : {}),
    ports: service.ports.map((p) => ({
      ...(p.name !== undefined ? { name: p.name } : {}),
      port: p.port,
      ...(p.listenPort !== undefined ? { listen: { host: address, port: p.listenPort } } : {}),
      backends: endpoints.flatMap((r): Backend[] => {
        const containerPort = typeof p.targetPort === 'number' ? p.targetPort : ownValue(r.namedPorts, p.targetPort);
        if (containerPort === undefined) return [];
        const pod = byDeployment.get(r.deployment);
        const to = endpointOf(r, containerPort);
        return to ? [{ id: r.id, ...to, ...(pod !== undefined ? { pod } : {}) }] : [];
      }),
    })),
  };
}

/**
 * A headless Service's records: its endpoints' addresses, and by replica name those of the
 * StatefulSets that name it as their serviceName (Kubernetes' `<name>-<ordinal>.<service>`).
 *   StatefulSet db (serviceName db), replica 1 at 10.213.7.9 → hosts { 'db-1': '10.213.7.9' }
 * On a cluster a replica's address is its overlay address (clusterAddress): other replicas, which
 * are the ones asking, reach it there.
 */
function headlessRecords(
  service: DesiredService,
  endpoints: readonly ObservedReplica[],
  deployments: readonly DesiredDeployment[],
): { addresses: string[]; hosts?: Record<string, string> } {
  const named = new Set(deployments.flatMap((d) => (d.stateful?.serviceName === service.name ? [d.name] : [])));
  const hosts: Record<string, string> = {};
  // Where other replicas reach it: its namespace network address, or on a cluster its overlay address.
  const at = (r: ObservedReplica) => r.address ?? r.clusterAddress;
  for (const r of endpoints) if (at(r) && r.kind === 'StatefulSet' && named.has(r.deployment)) hosts[ordinalName(r.deployment, r.replica)] = at(r)!;
  return {
    addresses: endpoints.flatMap((r) => (at(r) ? [at(r)!] : [])),
    ...(Object.keys(hosts).length > 0 ? { hosts } : {}),
  };
}

/**
 * Where the data plane connects for a replica's `containerPort`: the replica's own address on
 * the namespace network, as kube-proxy routes to pod IPs (the host is the bridge's gateway, so it
 * reaches it directly; the port need not be declared). A replica without an address there (a
 * network berth did not lay out) is reached through its published port on 127.0.0.1 — one more
 * hop, Docker's userland proxy, which bench/east-west.ts measured at ~18 ms median under 16 loops.
 */
function endpointOf(r: ObservedReplica, containerPort: number): { host: string; port: number } | undefined {
  if (r.address) return { host: r.address, port: containerPort };
  const published = r.ports.find((x) => x.containerPort === containerPort && x.protocol === 'tcp');
  return published ? { host: published.hostIp || '127.0.0.1', port: published.hostPort } : undefined;
}

function ingressRoute(ingress: DesiredIngress): IngressRoute {
  return {
    name: ingress.name,
    rules: ingress.rules.map((rule) => ({
      ...(rule.host !== undefined ? { host: rule.host } : {}),
      paths: rule.paths.map((p) => ({ path: p.path, pathType: p.pathType, service: p.backend.service, port: p.backend.port })),
    })),
    ...(ingress.defaultBackend ? { defaultBackend: { service: ingress.defaultBackend.service, port: ingress.defaultBackend.port } } : {}),
    ...(ingress.upstreamTimeouts ? { upstreamTimeouts: ingress.upstreamTimeouts } : {}),
  };
}

/** True when the table would make the data plane serve anything. */
export function isEmptyTable(table: NamespaceTable): boolean {
  return table.services.length === 0 && table.ingresses.length === 0 && !table.network;
}

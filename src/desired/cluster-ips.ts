import { formatIpv4, hashOf, isVirtualAddress, parseCidr, parseIpv4, virtualRange } from '../core/index.js';
import type { DesiredService } from './types.js';

/** A Service's virtual address, or why it has none. */
export type ClusterIpVerdict = { readonly address: string } | { readonly error: string } | { readonly headless: true };

/**
 * Where a cluster's Services live: berth serves them from this host, at addresses of this range
 * (Kubernetes' default service range starts here too). Each namespace's overlay network
 * `10.0.K.0/24` gets `10.96.K.0/24`: its DNS at `.1`, its Services in the upper half. The nodes
 * route the range to this host (one route each); tasks reach it NATed to their node's address.
 */
export const CLUSTER_SERVICE_RANGE = '10.96.0.0/16';

/**
 * A cluster namespace's Service network on this host, from its overlay subnet. Pure.
 *   10.0.5.0/24 → { subnet 10.96.5.0/24, gateway 10.96.5.1 };  10.0.0.0/23 → noSubnet (not a /24)
 */
export function clusterServiceNetwork(overlaySubnet: string): { readonly subnet: string; readonly gateway: string } | { readonly noSubnet: string } {
  const cidr = parseCidr(overlaySubnet);
  if (!cidr || cidr.prefix !== 24)
    return {
      noSubnet: `the namespace's cluster overlay network has subnet ${overlaySubnet}, not a /24: berth gives its Services no address in ${CLUSTER_SERVICE_RANGE}`,
    };
  const k = (cidr.base >>> 8) & 255;
  return { subnet: `10.96.${k}.0/24`, gateway: `10.96.${k}.1` };
}

/**
 * The subnet a namespace's Services take virtual addresses from: that of a namespace network this
 * host serves (its gateway and bridge are here, where the data plane adds the addresses), or for
 * a cluster driver's overlay network (a subnet, no bridge here) its Service network on this host
 * (clusterServiceNetwork). `noSubnet` says why there is none (plan and run say the same). No
 * network yet: neither.
 */
export function serviceSubnet(network: { readonly subnet?: string; readonly gateway?: string; readonly bridge?: string } | undefined): {
  readonly subnet?: string;
  readonly noSubnet?: string;
} {
  if (!network) return {};
  if (network.subnet && network.gateway && network.bridge) return { subnet: network.subnet };
  if (network.subnet && !network.bridge) return clusterServiceNetwork(network.subnet);
  return {};
}

/** Where a namespace's replicas send DNS queries: its bridge's gateway on one host, its Service network's `.1` on a cluster; undefined without either. */
export function namespaceDnsAddress(
  network: { readonly subnet?: string; readonly gateway?: string; readonly bridge?: string } | undefined,
): string | undefined {
  if (network?.gateway && network.bridge) return network.gateway;
  if (network?.subnet && !network.bridge) {
    const csn = clusterServiceNetwork(network.subnet);
    return 'gateway' in csn ? csn.gateway : undefined;
  }
  return undefined;
}

/**
 * Gives each Service of a namespace a virtual address in the upper half of the namespace's
 * subnet (core/ipv4.ts). Pure. Stable: an address the Service had before (`previous`, what the
 * data plane holds and persists) is kept while it is still in range and unclaimed; a new
 * Service starts at a slot hashed from its name and takes the next free one, so the same
 * Services get the same addresses even with no memory at all, unless two names collide.
 * Order of claims: fixed `spec.clusterIP`s (by name), then kept addresses, then new ones.
 *   subnet 10.213.7.0/24, range .128–.254 (127 slots); web (no previous) → slot
 *   hash("web") mod 127 = 41 → 10.213.7.169; api with clusterIP 10.213.7.169 → api gets it,
 *   web moves to the next free slot, 10.213.7.170.
 * A fixed address outside the range, or taken by another fixed one, is an error located at the
 * Service's file:line; that Service gets no address (nothing listens for it) and the others are
 * unaffected.
 */
export function allocateClusterIps(args: {
  readonly subnet: string | undefined;
  readonly services: readonly DesiredService[];
  readonly previous: ReadonlyMap<string, string>;
  /** Why there is no subnet, when there is a reason beyond "not created yet" (serviceSubnet). */
  readonly noSubnet?: string;
}): Map<string, ClusterIpVerdict> {
  const out = new Map<string, ClusterIpVerdict>();
  const byName = [...args.services].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const cidr = args.subnet ? parseCidr(args.subnet) : undefined;
  for (const s of byName) if (s.clusterIP.kind === 'none') out.set(s.name, { headless: true });
  if (!cidr) {
    const error = args.noSubnet ?? 'the namespace network has no IPv4 subnet yet: no virtual address';
    for (const s of byName) if (!out.has(s.name)) out.set(s.name, { error });
    return out;
  }
  const range = virtualRange(cidr);
  const taken = new Map<number, string>();
  const claim = (s: DesiredService, addr: number) => {
    taken.set(addr, s.name);
    out.set(s.name, { address: formatIpv4(addr) });
  };
  for (const s of byName) {
    if (s.clusterIP.kind !== 'fixed') continue;
    const addr = parseIpv4(s.clusterIP.address);
    const at = `${s.source.file}:${s.source.line}`;
    if (addr === undefined || !isVirtualAddress(cidr, addr)) {
      out.set(s.name, {
        error: `${at}: spec.clusterIP ${s.clusterIP.address} is outside the namespace's Service range ${formatIpv4(range.first)}–${formatIpv4(range.first + range.size - 1)} (the upper half of its subnet ${args.subnet})`,
      });
    } else if (taken.has(addr)) {
      out.set(s.name, { error: `${at}: spec.clusterIP ${s.clusterIP.address} is already Service ${JSON.stringify(taken.get(addr))}'s` });
    } else claim(s, addr);
  }
  const auto = byName.filter((s) => s.clusterIP.kind === 'auto');
  for (const s of auto) {
    const before = args.previous.get(s.name);
    const addr = before === undefined ? undefined : parseIpv4(before);
    if (addr !== undefined && isVirtualAddress(cidr, addr) && !taken.has(addr)) claim(s, addr);
  }
  for (const s of auto) {
    if (out.has(s.name)) continue;
    const start = Number.parseInt(hashOf(s.name, 8), 16) % range.size;
    let slot = -1;
    for (let i = 0; i < range.size; i++) {
      const candidate = range.first + ((start + i) % range.size);
      if (!taken.has(candidate)) {
        slot = candidate;
        break;
      }
    }
    if (slot < 0) out.set(s.name, { error: `${s.source.file}:${s.source.line}: the namespace's Service range (${range.size} addresses) is full` });
    else claim(s, slot);
  }
  return out;
}

import { formatCidr, hashOf, parseCidr } from '../core/index.js';

/**
 * The address pool berth lays namespace networks out in: one /24 per namespace (replicas in
 * the lower half, Service virtual addresses in the upper half: core/ipv4.ts). 256 namespaces
 * per engine; a subnet another network already uses is skipped by the driver.
 */
export const NAMESPACE_SUBNET_POOL = '10.213.0.0/16';
const SLOTS = 256;
/** How many subnets are proposed before the engine is left to pick (the legacy layout). */
const CANDIDATES = 64;

/**
 * The subnets proposed for a namespace network, in order: from a slot hashed from the instance
 * and namespace, then the following ones. Deterministic, so the first try usually succeeds and
 * two berths never race for the same order. Example: instance default, namespace shop →
 * slot hash mod 256 = k → 10.213.k.0/24, 10.213.k+1.0/24, …
 * The subnet is then the network's own (the engine keeps it): stable across restarts.
 */
export function namespaceSubnets(instance: string, namespace: string): string[] {
  const pool = parseCidr(NAMESPACE_SUBNET_POOL)!;
  const start = Number.parseInt(hashOf(`${instance}/${namespace}`, 8), 16) % SLOTS;
  return Array.from({ length: CANDIDATES }, (_, i) => formatCidr({ base: pool.base + ((start + i) % SLOTS) * 256, prefix: 24 }));
}

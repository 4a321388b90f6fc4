/**
 * IPv4 arithmetic for the namespace networks and Service virtual addresses (issue #9). Pure.
 *
 * The layout of a namespace subnet, worked for 10.213.7.0/24:
 *   gateway (the bridge on the host, and the namespace's DNS)  10.213.7.1
 *   replicas (Docker IPAM `IPRange`, the lower half)           10.213.7.0/25   → .2 … .127
 *   Service virtual addresses (the upper half, never IPAM's)   10.213.7.128 … 10.213.7.254
 * A network berth did not lay out itself (created before berth chose subnets, Docker picked
 * e.g. 172.18.0.0/16 with no IPRange) gets the same split of whatever subnet it has.
 */

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly base: number;
  readonly prefix: number;
}

/** `10.213.7.9` → 181737225; undefined unless four decimal octets 0–255. */
export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return ((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** `10.213.7.0/24` → { base, prefix: 24 }; the host bits are cleared. Prefixes 8–30 only. */
export function parseCidr(text: string): Cidr | undefined {
  const [ip, bits, ...rest] = text.split('/');
  if (rest.length > 0 || ip === undefined || bits === undefined || !/^\d{1,2}$/.test(bits)) return undefined;
  const prefix = Number(bits);
  const addr = parseIpv4(ip);
  if (addr === undefined || prefix < 8 || prefix > 30) return undefined;
  return { base: (addr & mask(prefix)) >>> 0, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.base)}/${c.prefix}`;
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
}

export function contains(c: Cidr, addr: number): boolean {
  return (addr & mask(c.prefix)) >>> 0 === c.base;
}

/** The address a client socket reports (`::ffff:10.213.7.3` on a dual-stack socket) as IPv4, if it is one. */
export function ipv4OfPeer(remote: string | undefined): number | undefined {
  if (!remote) return undefined;
  return parseIpv4(remote.startsWith('::ffff:') ? remote.slice(7) : remote);
}

/** The lower half, where the engine may place replicas: 10.213.7.0/24 → 10.213.7.0/25. */
export function replicaRange(c: Cidr): Cidr {
  return { base: c.base, prefix: c.prefix + 1 };
}

/** The gateway berth gives a subnet it lays out: the first host address (10.213.7.1). */
export function firstHost(c: Cidr): number {
  return c.base + 1;
}

/**
 * The Service virtual addresses of a subnet: the upper half without the broadcast address.
 * 10.213.7.0/24 → first 10.213.7.128, size 127 (…128 … …254).
 */
export function virtualRange(c: Cidr): { readonly first: number; readonly size: number } {
  const half = 2 ** (32 - c.prefix - 1);
  return { first: c.base + half, size: half - 1 };
}

export function isVirtualAddress(c: Cidr, addr: number): boolean {
  const r = virtualRange(c);
  return addr >= r.first && addr < r.first + r.size;
}

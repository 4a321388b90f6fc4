import { contains, formatCidr, formatIpv4, parseCidr, parseIpv4 } from '../core/index.js';
import type { NamespaceTable } from './control.js';

/**
 * The kernel path for in-namespace Service traffic (issue #9): NAT rules in the style of
 * kube-proxy's iptables mode, so a replica calling a Service's virtual address reaches a ready
 * replica with no user-space hop. Pure: tables in, rule text out (kernel-path.ts applies it).
 *
 * A Service port takes the kernel path when nothing needs the data plane to see its connections:
 *  - the namespace has a network and the Service a virtual address;
 *  - no NetworkPolicy in the namespace (the data plane decides those per peer and pod);
 *  - no `sessionAffinity: ClientIP`;
 *  - not `metered` (an autoscaler reads its request rate or connections from the data plane);
 *  - at least one backend not draining, every one at an address inside the namespace subnet
 *    (a replica reached through a published port keeps the user-space path).
 * Everything else — and every peer from outside the namespace subnet — still reaches the data
 * plane's listener at the same address: rules match only `-s <subnet> -i <bridge> -d <vip>
 * --dport <port>`. The bridge matters: the rules of a data plane that died without removing them
 * (a `kill -9`) outlive its network, and a later network given the same subnet (a reused one,
 * with a Service of the same name at the same hashed address) would otherwise have its Service
 * traffic translated by them — past its own NetworkPolicies. A new network never has an old
 * network's bridge (the name carries the network's id).
 *
 *   web 10.213.7.169:80 → 10.213.7.5:8080, 10.213.7.6:8080 (draining: none) →
 *     -A BERTH-SVC-<id> -s 10.213.7.0/24 -i br-0a1b2c3d4e5f -j BERTH-NS-<id>-<ns>
 *     -A BERTH-NS-<id>-<ns> -d 10.213.7.169/32 -p tcp -m tcp --dport 80 -m statistic --mode random --probability 0.5000000000 -j DNAT --to-destination 10.213.7.5:8080
 *     -A BERTH-NS-<id>-<ns> -d 10.213.7.169/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.213.7.6:8080
 *     -A BERTH-MASQ-<id> -m conntrack --ctstate DNAT --ctorigdst 10.213.7.128/25 -j MASQUERADE
 * The masquerade makes replies come back through the host (which undoes the NAT) even when the
 * client and the chosen replica are the same container or share the bridge.
 */
export interface KernelRoute {
  readonly namespace: string;
  readonly service: string;
  readonly subnet: string;
  /** The namespace's bridge: the jump matches it too, so a rule outliving its network never catches a later network of the same subnet. */
  readonly bridge: string;
  readonly address: string;
  readonly port: number;
  readonly backends: readonly { readonly id: string; readonly host: string; readonly port: number }[];
}

/** The chains one data plane owns in the nat table (names ≤ 28 characters). */
export interface KernelChains {
  /** Jumped to from PREROUTING: one jump per namespace subnet into that namespace's chain. */
  readonly services: string;
  /** Jumped to from POSTROUTING: the masquerade of what the namespace chains translated. */
  readonly masquerade: string;
  /** The prefix of the per-namespace chains (`BERTH-NS-<tag>-<8 hex of the namespace>`). */
  readonly namespacePrefix: string;
}

/** A data plane's chains, from a short tag of its identity (8 hex characters). */
export function kernelChains(tag: string): KernelChains {
  return { services: `BERTH-SVC-${tag}`, masquerade: `BERTH-MASQ-${tag}`, namespacePrefix: `BERTH-NS-${tag}-` };
}

/** A Linux interface name (at most 15 characters) that is safe in rule text. */
const INTERFACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

/** The Service ports the kernel carries, and to which backends. */
export function kernelRoutes(tables: readonly NamespaceTable[], isDraining: (id: string) => boolean): KernelRoute[] {
  const routes: KernelRoute[] = [];
  for (const t of tables) {
    if (!t.network || (t.policies ?? []).length > 0 || !INTERFACE_NAME.test(t.network.bridge)) continue;
    const cidr = parseCidr(t.network.subnet);
    if (!cidr) continue;
    // Only canonical addresses and integer ports reach the rule text (it is a program for iptables).
    const inSubnet = (host: string) => {
      const n = parseIpv4(host);
      return n !== undefined && contains(cidr, n) && formatIpv4(n) === host;
    };
    const isPort = (port: number) => Number.isInteger(port) && port > 0 && port < 65536;
    for (const s of t.services) {
      if (!s.clusterIP || !inSubnet(s.clusterIP) || s.sessionAffinity || s.metered) continue;
      for (const p of s.ports) {
        const backends = p.backends.filter((b) => !isDraining(b.id));
        if (!isPort(p.port) || backends.length === 0 || !backends.every((b) => inSubnet(b.host) && isPort(b.port))) continue;
        routes.push({
          namespace: t.namespace,
          service: s.name,
          subnet: formatCidr(cidr),
          bridge: t.network.bridge,
          address: s.clusterIP,
          port: p.port,
          backends: backends.map((b) => ({ id: b.id, host: b.host, port: b.port })),
        });
      }
    }
  }
  return routes;
}

/** Chain name → its rules (whole `-A …` lines, in order): what the kernel should hold. */
export type KernelContent = ReadonlyMap<string, readonly string[]>;

/**
 * The content of every chain for these routes: per namespace, a chain of DNAT cascades (one per
 * Service port: kube-proxy's probabilities 1/n, 1/(n-1), …, then the last), jumped to from the
 * services chain for its subnet; and one masquerade per namespace for connections translated to
 * an address of its Service range (the upper half of the subnet: nobody else's DNAT has such an
 * original destination). A table push changes only its namespace's chain (kernelUpdate).
 * `hashOf` names a namespace's chain (8 hex characters).
 */
export function kernelContent(chains: KernelChains, routes: readonly KernelRoute[], hashOf: (namespace: string) => string): KernelContent {
  const content = new Map<string, string[]>([
    [chains.services, []],
    [chains.masquerade, []],
  ]);
  for (const r of routes) {
    const chain = `${chains.namespacePrefix}${hashOf(r.namespace)}`;
    let lines = content.get(chain);
    if (!lines) {
      lines = [];
      content.set(chain, lines);
      const cidr = parseCidr(r.subnet)!;
      const half = 2 ** (32 - cidr.prefix - 1);
      content.get(chains.services)!.push(`-A ${chains.services} -s ${r.subnet} -i ${r.bridge} -j ${chain}`);
      content
        .get(chains.masquerade)!
        .push(
          `-A ${chains.masquerade} -m conntrack --ctstate DNAT --ctorigdst ${formatCidr({ base: cidr.base + half, prefix: cidr.prefix + 1 })} -j MASQUERADE`,
        );
    }
    const match = `-A ${chain} -d ${r.address}/32 -p tcp -m tcp --dport ${r.port}`;
    r.backends.forEach((b, i) => {
      const left = r.backends.length - i;
      const pick = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : '';
      lines!.push(`${match}${pick} -j DNAT --to-destination ${b.host}:${b.port}`);
    });
  }
  return content;
}

/**
 * `iptables-restore --noflush` input that turns `before` into `after` in one transaction:
 * every chain whose rules changed is declared (which empties it) and filled again, every chain
 * gone is emptied and deleted (after the chains that jumped to it were rewritten). Undefined
 * when nothing changed.
 */
export function kernelUpdate(before: KernelContent, after: KernelContent): string | undefined {
  const same = (a: readonly string[] | undefined, b: readonly string[]) => a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
  const changed = [...after].filter(([chain, lines]) => !same(before.get(chain), lines));
  const gone = [...before.keys()].filter((chain) => !after.has(chain));
  if (changed.length === 0 && gone.length === 0) return undefined;
  return [
    '*nat',
    ...[...changed.map(([c]) => c), ...gone].map((c) => `:${c} - [0:0]`),
    ...changed.flatMap(([, lines]) => lines),
    ...gone.map((c) => `-X ${c}`),
    'COMMIT',
    '',
  ].join('\n');
}

/** A connection the kernel path gave to a backend: its Service address and the backend's. */
export interface KernelTarget {
  readonly address: string;
  readonly servicePort: number;
  readonly host: string;
  readonly port: number;
}

/** Seconds without a packet after which a tracked connection no longer counts as in flight. */
export const IN_FLIGHT_QUIET_SECONDS = 5;

/**
 * How many connections of `/proc/net/nf_conntrack` the kernel path still carries to these
 * targets: TCP, original destination the Service address and port, reply source the backend,
 * in a state that is not over, with a packet in the last IN_FLIGHT_QUIET_SECONDS. `timeouts` are
 * the kernel's per-state timeouts (`nf_conntrack_tcp_timeout_<state>`, seconds): an entry's
 * remaining time is that timeout minus the seconds since its last packet, so an entry of a
 * replica that died long ago (ESTABLISHED for days) is not waited for. One line:
 *   ipv4 2 tcp 6 431999 ESTABLISHED src=10.213.7.9 dst=10.213.7.169 sport=40000 dport=80
 *     src=10.213.7.5 dst=10.213.7.1 sport=8080 dport=40000 [ASSURED] mark=0 zone=0 use=2
 */
export function openKernelConnections(conntrack: string, targets: readonly KernelTarget[], timeouts: Readonly<Record<string, number>>): number {
  if (targets.length === 0) return 0;
  const wanted = new Set(targets.map((t) => `${t.address}:${t.servicePort}>${t.host}:${t.port}`));
  const addresses = [...new Set(targets.map((t) => `dst=${t.address} `))];
  let open = 0;
  for (const line of conntrack.split('\n')) {
    if (!line.includes(' tcp ') || !addresses.some((a) => line.includes(a))) continue;
    const fields = line.split(/\s+/);
    const [remaining, state] = [Number(fields[4]), fields[5] ?? ''];
    const timeout = timeouts[state.toLowerCase()];
    if (timeout === undefined || !(timeout - remaining <= IN_FLIGHT_QUIET_SECONDS)) continue;
    const values = (key: string) => fields.filter((f) => f.startsWith(`${key}=`)).map((f) => f.slice(key.length + 1));
    const [origDst, replySrc] = [values('dst')[0], values('src')[1]];
    const [origDport, replySport] = [values('dport')[0], values('sport')[1]];
    if (wanted.has(`${origDst}:${origDport}>${replySrc}:${replySport}`)) open++;
  }
  return open;
}

/** The TCP states a connection is not over in (TIME_WAIT and CLOSE are over): their sysctl names. */
export const IN_FLIGHT_STATES = ['syn_sent', 'syn_recv', 'established', 'fin_wait', 'close_wait', 'last_ack'] as const;

/** Backend id → what the kernel path carries to it under `routes` (one target per Service port). */
export function kernelTargetsById(routes: readonly KernelRoute[]): Map<string, KernelTarget[]> {
  const byId = new Map<string, KernelTarget[]>();
  for (const r of routes)
    for (const b of r.backends) byId.set(b.id, [...(byId.get(b.id) ?? []), { address: r.address, servicePort: r.port, host: b.host, port: b.port }]);
  return byId;
}

/** A jump rule into one data plane's chains, as `iptables-save -t nat` prints it. */
export interface KernelJump {
  /** The rule as printed, minus its leading `-A`. */
  readonly rule: string;
  readonly hook: 'PREROUTING' | 'POSTROUTING';
  readonly chain: string;
  /** The data plane that inserted it (its comment `berth-pid=N`). */
  readonly pid?: number;
}

const JUMP = /^-A (PREROUTING|POSTROUTING) (.*-j (BERTH-(?:SVC|MASQ)-[0-9a-f]{8}))\s*$/;

/** The jumps into berth data planes' chains in an `iptables-save -t nat` text. */
export function kernelJumps(saved: string): KernelJump[] {
  return saved.split('\n').flatMap((line): KernelJump[] => {
    const m = JUMP.exec(line.trim());
    if (!m) return [];
    const pid = /--comment "?berth-pid=(\d+)"?/.exec(m[2]!)?.[1];
    return [{ rule: `${m[1]} ${m[2]}`, hook: m[1] as KernelJump['hook'], chain: m[3]!, ...(pid ? { pid: Number(pid) } : {}) }];
  });
}

/** The names of the chains of the nat table in an `iptables-save -t nat` text. */
function chainNames(saved: string): string[] {
  return saved.split('\n').flatMap((line) => (line.startsWith(':') ? [line.slice(1).split(' ')[0]!] : []));
}

/** Every chain of the data plane whose chains are `c`: its two chains and its namespaces' in `names`. */
function chainsOf(c: KernelChains, names: readonly string[]): string[] {
  return [c.services, c.masquerade, ...names.filter((n) => n.startsWith(c.namespacePrefix)).sort()];
}

/**
 * The restore text with which a data plane starting as `pid` takes its chains over (`saved`: the
 * nat table as `iptables-save -t nat` prints it): removes every jump made by a data plane that
 * is gone (`alive(pid)` false, or no pid: a `kill -9` leaves its rules) and that data plane's
 * chains unless a live one still jumps to them; empties its own two chains and deletes its own
 * namespace chains of an earlier life (the first apply writes them again); puts its own two jumps
 * first in their hooks. A live data plane's jumps stay — even into these same chains (two data
 * planes of one state file racing to start: the loser stops again).
 */
export function takeOverRuleset(mine: KernelChains, pid: number, saved: string, alive: (pid: number) => boolean): string {
  const jumps = kernelJumps(saved);
  const names = chainNames(saved);
  const own = new Set([mine.services, mine.masquerade]);
  const stale = jumps.filter((j) => j.pid === undefined || j.pid === pid || !alive(j.pid));
  const kept = new Set(jumps.filter((j) => !stale.includes(j)).map((j) => j.chain));
  const deadTags = [...new Set(stale.map((j) => j.chain))].filter((c) => !own.has(c) && !kept.has(c)).map((c) => c.slice(c.lastIndexOf('-') + 1));
  const dead = [...new Set(deadTags)].sort().flatMap((tag) => chainsOf(kernelChains(tag), names).filter((c) => names.includes(c)));
  const earlier = chainsOf(mine, names).slice(2);
  return [
    '*nat',
    ...[...own, ...earlier, ...dead].map((c) => `:${c} - [0:0]`),
    ...stale.map((j) => `-D ${j.rule}`),
    ...[...earlier, ...dead].map((c) => `-X ${c}`),
    ...jumpRules(mine, pid).map((r) => `-I ${r.hook} 1 ${r.rule}`),
    'COMMIT',
    '',
  ].join('\n');
}

/** This data plane's two jumps: `rule` is what follows the hook in `-I <hook> 1 …` or `-C <hook> …`. */
export function jumpRules(mine: KernelChains, pid: number): { hook: 'PREROUTING' | 'POSTROUTING'; rule: string }[] {
  const comment = `-m comment --comment berth-pid=${pid}`;
  return [
    { hook: 'PREROUTING', rule: `${comment} -j ${mine.services}` },
    { hook: 'POSTROUTING', rule: `${comment} -j ${mine.masquerade}` },
  ];
}

/**
 * The restore text with which a data plane stopping gracefully removes its jumps, and its chains
 * unless another live data plane of the same state file still jumps to them.
 */
export function removalRuleset(mine: KernelChains, pid: number, saved: string): string {
  const ours = kernelJumps(saved).filter((j) => j.chain === mine.services || j.chain === mine.masquerade);
  const mineOnly = ours.filter((j) => j.pid === pid);
  const names = chainNames(saved);
  const chains = ours.length > mineOnly.length ? [] : chainsOf(mine, names).filter((c) => names.includes(c));
  return ['*nat', ...chains.map((c) => `:${c} - [0:0]`), ...mineOnly.map((j) => `-D ${j.rule}`), ...chains.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n');
}

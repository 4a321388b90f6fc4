import { type LabelSelector, matchesSelector } from './label-selector.js';
import { ownValue } from './own.js';

/**
 * Where a new replica may go on a cluster, as the Kubernetes scheduler's filters decide it
 * (nodeSelector, required node affinity, required pod anti-affinity, DoNotSchedule topology
 * spread) and where it should go (its scoring, reduced to preferences: preferred pod
 * anti-affinity, ScheduleAnyway spread). Pure; the swarm driver turns the verdict into Swarm
 * placement constraints. Rules act when a replica is placed (IgnoredDuringExecution).
 */

/** The node label that names a node (each node its own topology domain). */
export const HOSTNAME_KEY = 'kubernetes.io/hostname';

export interface NodeRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  readonly values?: readonly string[];
}

/** One nodeSelectorTerm: all of its requirements hold (matchFields: metadata.name, the node's name). */
export interface NodeSelectorTerm {
  readonly matchExpressions?: readonly NodeRequirement[];
  readonly matchFields?: readonly NodeRequirement[];
}

export interface PodAntiAffinityTerm {
  /** Absent: no pod matches (Kubernetes reads a null selector so). */
  readonly selector?: LabelSelector;
  readonly topologyKey: string;
  /** Namespaces whose pods count; absent: the replica's own. */
  readonly namespaces?: readonly string[];
}

export interface SpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  /** DoNotSchedule (true) or ScheduleAnyway (false). */
  readonly hard: boolean;
  /** Absent: no pod matches (nothing is counted). */
  readonly selector?: LabelSelector;
}

/** A pod template's placement rules beyond its nodeSelector (each present only when the manifest has it). */
export interface Placement {
  /** Required node affinity: a node must match one of these terms. */
  readonly nodeAffinity?: readonly NodeSelectorTerm[];
  readonly podAntiAffinity?: readonly PodAntiAffinityTerm[];
  readonly preferredPodAntiAffinity?: readonly PodAntiAffinityTerm[];
  readonly topologySpread?: readonly SpreadConstraint[];
  /**
   * A NoExecute toleration of its node being down (node.kubernetes.io/unreachable or not-ready,
   * or of every taint): a replica on a node that is down stays that long (`seconds`; absent: for
   * good) before it is replaced. Absent: replaced at once.
   */
  readonly downNodeToleration?: { readonly seconds?: number };
}

/** The taints a node that is down carries in Kubernetes (Swarm: heartbeats lost). */
export const DOWN_NODE_TAINTS = ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'] as const;

export interface Toleration {
  readonly key?: string;
  readonly operator?: 'Exists' | 'Equal';
  readonly value?: string;
  readonly effect?: string;
  readonly tolerationSeconds?: number;
}

/**
 * How long tolerations keep a replica on a node that is down, as Kubernetes' taint manager
 * reads them: the tolerations matching a down-node taint with effect NoExecute (or every
 * effect); the least tolerationSeconds among them, for good when none has one. Pure.
 *   []                                                             → undefined (evicted at once)
 *   [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 60}] → { seconds: 60 }
 *   [{operator: Exists}]                                           → {} (every taint, for good)
 *   [{key: dedicated, operator: Equal, value: db}]                 → undefined (no such taint on a down node)
 */
export function downNodeToleration(tolerations: readonly Toleration[] | undefined): { seconds?: number } | undefined {
  const matching = (tolerations ?? []).filter((t) => {
    if (t.effect && t.effect !== 'NoExecute') return false;
    if (!t.key) return t.operator === 'Exists';
    if (!(DOWN_NODE_TAINTS as readonly string[]).includes(t.key)) return false;
    return t.operator === 'Exists' || !t.value;
  });
  if (matching.length === 0) return undefined;
  const seconds = matching.flatMap((t) => (t.tolerationSeconds !== undefined ? [t.tolerationSeconds] : []));
  return seconds.length > 0 ? { seconds: Math.max(0, Math.min(...seconds)) } : {};
}

export interface PlacementNode {
  readonly hostname: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Ready and active: the cluster would give it a new task. */
  readonly schedulable: boolean;
}

/** A pod already placed: what anti-affinity and spread count. */
export interface PlacedPod {
  readonly node: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface PlacementVerdict {
  /** Nodes the replica may go to (hard rules), by name. */
  readonly allowed: readonly string[];
  /** Of those, the ones its preferences favour (all of `allowed` when none does better). */
  readonly preferred: readonly string[];
  /** Why no node may take it, naming the rule; set exactly when `allowed` is empty. */
  readonly unschedulable?: string;
}

/** A node's labels with its name under kubernetes.io/hostname, as Kubernetes labels every node. */
export function nodeLabels(node: Pick<PlacementNode, 'hostname' | 'labels'>): Record<string, string> {
  return { ...node.labels, [HOSTNAME_KEY]: node.hostname };
}

/**
 * Whether a node matches a nodeSelector (kubernetes.io/hostname is its name; other
 * kubernetes.io/ keys such as os and arch are the cluster's own to check).
 */
export function matchesNodeSelector(node: Pick<PlacementNode, 'hostname' | 'labels'>, nodeSelector: Readonly<Record<string, string>> | undefined): boolean {
  const labels = nodeLabels(node);
  return Object.entries(nodeSelector ?? {}).every(([key, value]) =>
    key !== HOSTNAME_KEY && key.startsWith('kubernetes.io/') ? true : ownValue(labels, key) === value,
  );
}

/**
 * Whether a node satisfies required node affinity: any one term, whose requirements all hold.
 * A term with no requirement matches no node (as in Kubernetes).
 *   [{disk In [ssd, nvme]}]           node {disk: nvme} yes; {} no
 *   [{disk DoesNotExist}, {cpu Gt 8}] node {cpu: 16} yes (second term); {disk: hdd, cpu: 4} no
 */
export function matchesNodeAffinity(node: Pick<PlacementNode, 'hostname' | 'labels'>, terms: readonly NodeSelectorTerm[] | undefined): boolean {
  if (!terms || terms.length === 0) return true;
  const labels = nodeLabels(node);
  const fields = { 'metadata.name': node.hostname };
  return terms.some((t) => {
    const all = [...(t.matchExpressions ?? []).map((r) => [r, labels] as const), ...(t.matchFields ?? []).map((r) => [r, fields] as const)];
    return all.length > 0 && all.every(([r, of]) => holds(r, ownValue(of as Record<string, string>, r.key)));
  });
}

function holds(r: NodeRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || !/^-?\d+$/.test(value) || values.length !== 1) return false;
      const [have, bound] = [Number(value), Number(values[0])];
      return r.operator === 'Gt' ? have > bound : have < bound;
    }
  }
}

/**
 * The verdict for one new replica of `namespace` given the nodes and the pods placed so far.
 *   3 schedulable nodes, antiAffinity app=web per hostname, web on node1 → allowed node2, node3
 *   the same with web on every node → allowed [], unschedulable names the anti-affinity
 *   spread maxSkew 1 per hostname (DoNotSchedule), web ×2 on node1, ×1 on node2, 0 on node3 → allowed node3
 */
export function placeReplica(args: {
  readonly nodes: readonly PlacementNode[];
  readonly pods: readonly PlacedPod[];
  readonly namespace: string;
  readonly nodeSelector?: Readonly<Record<string, string>> | undefined;
  readonly placement?: Placement | undefined;
}): PlacementVerdict {
  const { placement, namespace } = args;
  const schedulable = args.nodes.filter((n) => n.schedulable);
  if (schedulable.length === 0) return { allowed: [], preferred: [], unschedulable: 'no node is ready and active' };
  const selected = schedulable.filter((n) => matchesNodeSelector(n, args.nodeSelector));
  if (selected.length === 0) return none(`no node matches its nodeSelector ${describeMap(args.nodeSelector)}`);
  // The nodes the replica's node rules allow: spread counts domains of these only (Kubernetes' nodeAffinityPolicy Honor).
  const fitting = selected.filter((n) => matchesNodeAffinity(n, placement?.nodeAffinity));
  if (fitting.length === 0) return none(`no node satisfies its required node affinity (${describeTerms(placement?.nodeAffinity ?? [])})`);
  let allowed = fitting;
  for (const term of placement?.podAntiAffinity ?? []) {
    allowed = allowed.filter((n) => !domainHolds(n, term, args.pods, args.nodes, namespace));
    if (allowed.length === 0)
      return none(
        `every node it may go to already runs a pod its required podAntiAffinity keeps it from (${describeSelector(term.selector)} per ${term.topologyKey})`,
      );
  }
  for (const c of (placement?.topologySpread ?? []).filter((s) => s.hard)) {
    const keep = withinSkew(c, fitting, args.pods, args.nodes, namespace);
    allowed = allowed.filter((n) => keep.has(n.hostname));
    if (allowed.length === 0)
      return none(`no node keeps its topologySpreadConstraints (maxSkew ${c.maxSkew} per ${c.topologyKey}, ${describeSelector(c.selector)})`);
  }
  let preferred = allowed;
  const prefer = (keep: (n: PlacementNode) => boolean) => {
    const kept = preferred.filter(keep);
    if (kept.length > 0) preferred = kept;
  };
  for (const term of placement?.preferredPodAntiAffinity ?? []) prefer((n) => !domainHolds(n, term, args.pods, args.nodes, namespace));
  for (const c of (placement?.topologySpread ?? []).filter((s) => !s.hard)) {
    const keep = withinSkew(c, fitting, args.pods, args.nodes, namespace);
    prefer((n) => keep.has(n.hostname));
  }
  return { allowed: names(allowed), preferred: names(preferred) };
}

function none(unschedulable: string): PlacementVerdict {
  return { allowed: [], preferred: [], unschedulable };
}

function names(nodes: readonly PlacementNode[]): string[] {
  return nodes.map((n) => n.hostname).sort();
}

/** A node's domain under a topology key: its value of that label (a node without it is in none). */
function domainOf(node: Pick<PlacementNode, 'hostname' | 'labels'>, key: string): string | undefined {
  return ownValue(nodeLabels(node), key);
}

/** Pods of `namespaces` matching `selector`, by the domain of their node under `key`. */
function countByDomain(
  pods: readonly PlacedPod[],
  nodes: readonly PlacementNode[],
  key: string,
  selector: LabelSelector | undefined,
  namespaces: readonly string[],
): Map<string, number> {
  if (!selector) return new Map();
  const domainOfNode = new Map(nodes.map((n) => [n.hostname, domainOf(n, key)]));
  const counts = new Map<string, number>();
  for (const p of pods) {
    if (!namespaces.includes(p.namespace) || !matchesSelector(selector, p.labels)) continue;
    const domain = domainOfNode.get(p.node);
    if (domain !== undefined) counts.set(domain, (counts.get(domain) ?? 0) + 1);
  }
  return counts;
}

/** Whether the node's domain already holds a pod the anti-affinity term matches. */
function domainHolds(node: PlacementNode, term: PodAntiAffinityTerm, pods: readonly PlacedPod[], nodes: readonly PlacementNode[], namespace: string): boolean {
  const domain = domainOf(node, term.topologyKey);
  if (domain === undefined) return false;
  return (countByDomain(pods, nodes, term.topologyKey, term.selector, term.namespaces ?? [namespace]).get(domain) ?? 0) > 0;
}

/**
 * The nodes where one more matching pod keeps the skew within maxSkew: its domain's count + 1
 * minus the smallest count over the domains of `eligible` nodes (those with the key).
 *   maxSkew 1, counts {node1: 2, node2: 1, node3: 0} → node3 only (0 + 1 - 0 = 1)
 */
function withinSkew(
  c: SpreadConstraint,
  eligible: readonly PlacementNode[],
  pods: readonly PlacedPod[],
  nodes: readonly PlacementNode[],
  namespace: string,
): Set<string> {
  const counts = countByDomain(pods, nodes, c.topologyKey, c.selector, [namespace]);
  const domains = new Set(eligible.flatMap((n) => domainOf(n, c.topologyKey) ?? []));
  if (domains.size === 0) return new Set();
  const min = Math.min(...[...domains].map((d) => counts.get(d) ?? 0));
  return new Set(
    eligible
      .filter((n) => {
        const d = domainOf(n, c.topologyKey);
        return d !== undefined && (counts.get(d) ?? 0) + 1 - min <= c.maxSkew;
      })
      .map((n) => n.hostname),
  );
}

function describeMap(m: Readonly<Record<string, string>> | undefined): string {
  return Object.entries(m ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function describeSelector(s: LabelSelector | undefined): string {
  if (!s) return 'no pod';
  const parts = [
    ...Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(s.matchExpressions ?? []).map((e) => `${e.key} ${e.operator}${e.values?.length ? ` [${e.values.join(',')}]` : ''}`),
  ];
  return parts.length > 0 ? parts.join(',') : 'every pod';
}

function describeTerms(terms: readonly NodeSelectorTerm[]): string {
  const term = (t: NodeSelectorTerm) =>
    [...(t.matchExpressions ?? []), ...(t.matchFields ?? [])]
      .map((r) => `${r.key} ${r.operator}${r.values?.length ? ` [${r.values.join(',')}]` : ''}`)
      .join(', ');
  return terms.map(term).join(' or ');
}

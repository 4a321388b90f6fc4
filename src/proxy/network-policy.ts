/**
 * NetworkPolicy for traffic through Services (issue #9, item 4), decided here and only here:
 * the data plane asks `admits` for every connection to a Service's address and every
 * backend it may hand it to, and the namespace DNS asks `serviceVisible` before it answers a
 * name of another namespace. Pure.
 *
 * Semantics (Kubernetes' for ingress, on top of berth's default isolation between namespaces):
 *  - a pod no policy of its namespace selects accepts every peer of its own namespace and no
 *    other (berth's default: namespaces are isolated);
 *  - a pod some policy selects accepts exactly what one of those policies' ingress rules
 *    allows, its own namespace included (Kubernetes: "isolated for ingress");
 *  - a rule allows a peer when its `from` is empty or one entry matches, and its `ports` are
 *    empty or one entry matches the port the connection reaches on the pod (number, or the
 *    container port's name; `endPort` makes a range);
 *  - a `from` entry with only `podSelector` means pods of the policy's namespace; with only
 *    `namespaceSelector`, every pod of a matching namespace; with both, matching pods of
 *    matching namespaces. Namespace labels include `kubernetes.io/metadata.name`.
 * Worked examples: test/unit/proxy/network-policy.test.ts.
 */
import { type LabelSelector, matchesSelector } from '../core/index.js';

export interface PolicyPeer {
  readonly namespaceSelector?: LabelSelector;
  readonly podSelector?: LabelSelector;
}

export interface PolicyPort {
  /** Absent: every port. */
  readonly port?: number | string;
  /** With a numeric `port`: the range port..endPort. */
  readonly endPort?: number;
}

export interface PolicyIngressRule {
  /** Empty: from everywhere. */
  readonly from: readonly PolicyPeer[];
  /** Empty: every port. */
  readonly ports: readonly PolicyPort[];
}

/** One NetworkPolicy of a namespace, as the data plane holds it. */
export interface NetworkPolicyRoute {
  readonly name: string;
  readonly podSelector: LabelSelector;
  /** Empty: the selected pods accept nothing (deny all ingress). */
  readonly ingress: readonly PolicyIngressRule[];
}

/** Who connects: the namespace of the peer's address, its labels, and the peer pod's labels when berth knows the address. */
export interface PolicySubject {
  readonly namespace: string;
  readonly namespaceLabels: Readonly<Record<string, string>>;
  /** Undefined: an address of the namespace that is no replica berth knows (it matches no podSelector). */
  readonly podLabels?: Readonly<Record<string, string>>;
}

/** The destination: a pod of `namespace` and the container port the connection reaches. */
export interface PolicyTarget {
  readonly namespace: string;
  readonly policies: readonly NetworkPolicyRoute[];
  readonly podLabels: Readonly<Record<string, string>>;
  readonly port: number;
  readonly portName?: string;
}

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export function admits(target: PolicyTarget, peer: PolicySubject): boolean {
  const selecting = target.policies.filter((p) => matchesSelector(p.podSelector, target.podLabels));
  if (selecting.length === 0) return peer.namespace === target.namespace;
  return selecting.some((p) => p.ingress.some((rule) => portMatches(rule.ports, target) && fromMatches(rule.from, target.namespace, peer)));
}

function portMatches(ports: readonly PolicyPort[], target: PolicyTarget): boolean {
  if (ports.length === 0) return true;
  return ports.some((p) => {
    if (p.port === undefined) return true;
    if (typeof p.port === 'string') return p.port === target.portName;
    return p.endPort !== undefined ? target.port >= p.port && target.port <= p.endPort : target.port === p.port;
  });
}

function fromMatches(from: readonly PolicyPeer[], policyNamespace: string, peer: PolicySubject): boolean {
  if (from.length === 0) return true;
  return from.some((f) => {
    const namespaceOk = f.namespaceSelector ? matchesSelector(f.namespaceSelector, peer.namespaceLabels) : peer.namespace === policyNamespace;
    if (!namespaceOk) return false;
    if (!f.podSelector) return true;
    return peer.podLabels !== undefined && matchesSelector(f.podSelector, peer.podLabels);
  });
}

/** A pod of a Service as policies see it: its labels and the container port each Service port reaches on it. */
export interface ServicePod {
  readonly labels: Readonly<Record<string, string>>;
  /** Per Service port (same order as the route's ports): the container port number and its name; absent when the pod does not declare it. */
  readonly ports: readonly ({ readonly port: number; readonly name?: string } | null)[];
}

/** Whether a peer of another namespace may reach any port of a Service whose pods are `pods`: the namespace DNS answers its name only then. */
export function serviceVisible(namespace: string, policies: readonly NetworkPolicyRoute[], pods: readonly ServicePod[], peer: PolicySubject): boolean {
  // A namespace always resolves its own Service names (Kubernetes' DNS ignores policies); a refused connection says the rest.
  if (peer.namespace === namespace) return true;
  return pods.some((pod) =>
    pod.ports.some((p) => p !== null && admits({ namespace, policies, podLabels: pod.labels, port: p.port, ...(p.name ? { portName: p.name } : {}) }, peer)),
  );
}

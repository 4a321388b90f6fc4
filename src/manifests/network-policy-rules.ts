import type { Emit } from './deployment-rules.js';
import type { FieldPath } from './locate.js';
import type { LabelSelectorSpec, NetworkPolicyManifest } from './types.js';

/**
 * What a NetworkPolicy's schema cannot say (Kubernetes' own validation, and berth's limits):
 * `policyTypes: [Egress]` is refused (berth governs ingress only), a protocol other than TCP
 * is refused (Services carry TCP), `endPort` needs a numeric `port` no greater than it, and a
 * matchExpressions term has values exactly when its operator is In or NotIn.
 */
export function checkNetworkPolicy(spec: NetworkPolicyManifest['spec'], emit: Emit): void {
  for (const [i, t] of (spec.policyTypes ?? []).entries())
    if (t === 'Egress')
      emit(
        'error',
        'UNSUPPORTED_FIELD',
        ['spec', 'policyTypes', i],
        'not supported by berth: Egress policies; berth governs traffic into namespaces (Ingress) only',
      );
  checkSelector(spec.podSelector, ['spec', 'podSelector'], emit);
  for (const [i, rule] of (spec.ingress ?? []).entries()) {
    for (const [j, peer] of (rule.from ?? []).entries()) {
      const at: FieldPath = ['spec', 'ingress', i, 'from', j];
      if (!peer.podSelector && !peer.namespaceSelector)
        emit(
          'error',
          'INVALID_VALUE',
          at,
          'must set podSelector and/or namespaceSelector (an empty entry selects nothing in Kubernetes; write {} selectors to mean "all")',
        );
      if (peer.podSelector) checkSelector(peer.podSelector, [...at, 'podSelector'], emit);
      if (peer.namespaceSelector) checkSelector(peer.namespaceSelector, [...at, 'namespaceSelector'], emit);
    }
    for (const [j, port] of (rule.ports ?? []).entries()) {
      const at: FieldPath = ['spec', 'ingress', i, 'ports', j];
      if (port.protocol !== undefined && port.protocol !== 'TCP')
        emit('error', 'UNSUPPORTED_FIELD', [...at, 'protocol'], `not supported by berth: ${port.protocol}; Services carry TCP only`);
      if (port.endPort !== undefined) {
        if (typeof port.port !== 'number')
          emit('error', 'INVALID_VALUE', [...at, 'endPort'], 'needs a numeric port to start the range (as Kubernetes requires)');
        else if (port.endPort < port.port) emit('error', 'INVALID_VALUE', [...at, 'endPort'], `must be at least port (${port.port})`);
      }
    }
  }
}

/** A label selector's matchExpressions: values exactly for In and NotIn (NetworkPolicies, affinity terms, spread constraints). */
export function checkSelector(selector: LabelSelectorSpec, at: FieldPath, emit: Emit): void {
  for (const [i, e] of (selector.matchExpressions ?? []).entries()) {
    const withValues = e.operator === 'In' || e.operator === 'NotIn';
    if (withValues && (e.values ?? []).length === 0)
      emit('error', 'INVALID_VALUE', [...at, 'matchExpressions', i, 'values'], `must hold at least one value for operator ${e.operator}`);
    if (!withValues && (e.values ?? []).length > 0)
      emit('error', 'INVALID_VALUE', [...at, 'matchExpressions', i, 'values'], `must be empty for operator ${e.operator}`);
  }
}

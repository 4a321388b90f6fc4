import type { NetworkPolicyManifest } from '../manifests/index.js';
import type { DesiredNetworkPolicy } from './types.js';

/**
 * A NetworkPolicy as berth enforces it, or undefined when it does not govern ingress
 * (`policyTypes` set without Ingress). `policyTypes` absent means Ingress here (Egress is
 * refused at validation), so a policy with no `ingress` denies all ingress, as in Kubernetes.
 */
export function normalizeNetworkPolicy(p: NetworkPolicyManifest, namespace: string): DesiredNetworkPolicy | undefined {
  const types = p.spec.policyTypes;
  if (types && types.length > 0 && !types.includes('Ingress')) return undefined;
  return {
    namespace,
    name: p.metadata.name,
    podSelector: p.spec.podSelector,
    ingress: (p.spec.ingress ?? []).map((rule) => ({
      from: (rule.from ?? []).map((f) => ({
        ...(f.namespaceSelector ? { namespaceSelector: f.namespaceSelector } : {}),
        ...(f.podSelector ? { podSelector: f.podSelector } : {}),
      })),
      ports: (rule.ports ?? []).map((x) => ({ ...(x.port !== undefined ? { port: x.port } : {}), ...(x.endPort !== undefined ? { endPort: x.endPort } : {}) })),
    })),
    source: p.source,
  };
}

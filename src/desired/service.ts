import { upstreamTimeoutsOf, type IngressBackendSpec, type IngressManifest, type ServiceManifest } from '../manifests/index.js';
import type { DesiredIngress, DesiredIngressRule, DesiredService, IngressBackend } from './types.js';

/**
 * v1 Service manifest → desired Service: what the data plane listens on and where it forwards.
 * Ports keep their manifest order; `targetPort` defaults to `port` (as Kubernetes); the data
 * plane listens at `nodePort` when set, else at `port` (one host: NodePort and LoadBalancer
 * are the same listener, at the port the manifest names). The loader has already refused what
 * berth cannot serve and removed what it ignores (see manifests/service-rules.ts).
 */
export function normalizeService(manifest: ServiceManifest, namespace: string): DesiredService {
  return {
    namespace,
    name: manifest.metadata.name,
    selector: { ...manifest.spec.selector },
    ports: manifest.spec.ports.map((p) => ({
      ...(p.name !== undefined ? { name: p.name } : {}),
      port: p.port,
      targetPort: p.targetPort ?? p.port,
      listenPort: p.nodePort ?? p.port,
    })),
    source: manifest.source,
  };
}

/**
 * networking.k8s.io/v1 Ingress manifest → desired Ingress. Rules and their paths keep the
 * manifest order (the data plane ranks matches itself, as Kubernetes does: Exact before
 * Prefix, longest prefix first); a rule without `host` matches any host; a backend keeps its
 * Service port as written, a number or a name (the loader checked the Service declares it).
 */
export function normalizeIngress(manifest: IngressManifest, namespace: string): DesiredIngress {
  const rules: DesiredIngressRule[] = (manifest.spec.rules ?? []).map((rule) => ({
    ...(rule.host !== undefined ? { host: rule.host } : {}),
    paths: rule.http.paths.map((p) => ({ path: p.path, pathType: p.pathType, backend: backendOf(p.backend) })),
  }));
  return {
    namespace,
    name: manifest.metadata.name,
    rules,
    ...(manifest.spec.defaultBackend ? { defaultBackend: backendOf(manifest.spec.defaultBackend) } : {}),
    upstreamTimeouts: upstreamTimeoutsOf(manifest.metadata),
    source: manifest.source,
  };
}

function backendOf(backend: IngressBackendSpec): IngressBackend {
  const port = backend.service.port;
  return { service: backend.service.name, port: port.number !== undefined ? port.number : port.name };
}

import { compareDiagnostics, type Diagnostic } from '../core/index.js';
import type { NamespaceManifests, ServiceManifest } from './types.js';

/**
 * NodePort and LoadBalancer Services listen on the host (one address for every namespace), so
 * two namespaces may not claim the same host port. Each folder is loaded on its own (and cached
 * by tree id); this check runs over the loaded folders. The namespace that comes first by name
 * keeps the port; the other is refused with SERVICE_HOST_PORT_CONFLICT naming both files, and is
 * left exactly as it runs (like any invalid folder). Pure.
 *   blog/frontend-service.yaml NodePort 8082 and shop/web-service.yaml LoadBalancer port 8082 →
 *   shop is invalid: "… already listens there: Service blog/frontend (blog/frontend-service.yaml:1)"
 */
export function checkHostPortsAcrossNamespaces(namespaces: readonly NamespaceManifests[]): NamespaceManifests[] {
  const taken = new Map<number, { namespace: string; service: string; where: string }>();
  return [...namespaces]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((ns) => {
      if (!ns.valid) return ns;
      const mine: [number, { namespace: string; service: string; where: string }][] = [];
      const errors: Diagnostic[] = [];
      for (const o of ns.objects) {
        if (o.kind !== 'Service') continue;
        const svc = o as ServiceManifest;
        if (svc.spec.type !== 'NodePort' && svc.spec.type !== 'LoadBalancer') continue;
        svc.spec.ports.forEach((p, i) => {
          const port = p.nodePort ?? p.port;
          const first = taken.get(port);
          const where = `${svc.source.file}:${svc.source.line}`;
          if (!first) return void mine.push([port, { namespace: ns.name, service: svc.metadata.name, where }]);
          errors.push({
            severity: 'error',
            code: 'SERVICE_HOST_PORT_CONFLICT',
            file: svc.source.file,
            namespace: ns.name,
            document: svc.source.document,
            line: svc.source.line,
            field: `spec.ports[${i}].${p.nodePort === undefined ? 'port' : 'nodePort'}`,
            message: `${svc.spec.type} Service ${JSON.stringify(svc.metadata.name)} would listen on host port ${port}, which Service ${first.namespace}/${first.service} (${first.where}) of another namespace already does: the host has one port ${port}; choose another nodePort/port, or make one of them a ClusterIP Service`,
          });
        });
      }
      if (errors.length === 0) {
        for (const [port, owner] of mine) taken.set(port, owner);
        return ns;
      }
      return { ...ns, objects: [], valid: false, diagnostics: [...ns.diagnostics, ...errors].sort(compareDiagnostics) };
    });
}

import type { Diagnostic } from '../core/index.js';
import { isWorkload, type Manifest, type ServiceManifest } from './types.js';

/**
 * A Service port whose `targetPort` is a name that no container of the Deployments it selects
 * declares (`ports[].name`) can never have an endpoint: every call to it is refused. As in
 * Kubernetes this is not invalid (another workload might declare the name later), so it is a
 * warning, located at the Service, naming the Deployments it selects. A Service that selects no
 * Deployment of the folder at all is not judged (its endpoints may come from a later commit).
 * Pure. Example: Service web selects app=web, targetPort "http"; Deployment web declares only
 * "metrics" → warning on web-service.yaml: no container of Deployment web declares a port "http".
 */
export function checkTargetPortNames(namespace: string, objects: readonly Manifest[]): Diagnostic[] {
  const deployments = objects.filter(isWorkload);
  const out: Diagnostic[] = [];
  for (const o of objects) {
    if (o.kind !== 'Service') continue;
    const svc = o as ServiceManifest;
    const selected = deployments.filter((d) => {
      const labels = d.spec.template.metadata?.labels ?? {};
      const entries = Object.entries(svc.spec.selector);
      return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
    });
    if (selected.length === 0) continue;
    const names = new Set(selected.flatMap((d) => d.spec.template.spec.containers.flatMap((c) => (c.ports ?? []).flatMap((p) => (p.name ? [p.name] : [])))));
    svc.spec.ports.forEach((p, i) => {
      if (typeof p.targetPort !== 'string' || names.has(p.targetPort)) return;
      out.push({
        severity: 'warning',
        code: 'SERVICE_TARGET_PORT_UNKNOWN',
        file: svc.source.file,
        namespace,
        document: svc.source.document,
        line: svc.source.line,
        field: `spec.ports[${i}].targetPort`,
        message: `no container of ${selected.map((d) => `${d.kind} ${JSON.stringify(d.metadata.name)}`).join(', ')} (selected by ${Object.entries(
          svc.spec.selector,
        )
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}) declares a port named ${JSON.stringify(p.targetPort)}: this Service port has no endpoint, every call to it is refused`,
      });
    });
  }
  return out;
}

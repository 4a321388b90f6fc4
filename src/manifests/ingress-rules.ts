import type { Diagnostic } from '../core/index.js';
import type { Emit } from './deployment-rules.js';
import { formatFieldPath, type FieldPath, type Position } from './locate.js';
import type { ServicePortFact } from './service-rules.js';
import type { IngressBackendSpec, IngressManifest } from './types.js';

/**
 * networking.k8s.io/v1 Ingress rules a JSON Schema cannot say, and the facts the folder-level
 * check needs: every backend names a Service of the same namespace folder (as in Kubernetes,
 * where an Ingress reaches Services of its own namespace only) and a port that Service
 * declares, by number (`spec.ports[].port`) or by name.
 */

export function checkIngress(spec: IngressManifest['spec'], emit: Emit): void {
  // Kubernetes: "either `defaultBackend` or `rules` must be specified"
  if (spec.defaultBackend === undefined && (spec.rules ?? []).length === 0) {
    emit('error', 'MISSING_FIELD', ['spec', 'rules'], 'an Ingress needs spec.rules or spec.defaultBackend (or both): without them it routes nothing');
  }
}

/** One backend of an Ingress, with the places the folder-level check points at. */
export interface IngressBackendUse {
  readonly service: string;
  readonly port: number | string;
  /** Dotted path of the backend's `service`, e.g. `spec.rules[0].http.paths[1].backend.service`. */
  readonly field: string;
  readonly nameAt: Position;
  readonly portAt: Position;
}

/** Every backend of a valid Ingress: the default backend first, then the rules' paths in order. */
export function ingressBackendsOf(spec: IngressManifest['spec'], locate: (path: FieldPath) => Position): IngressBackendUse[] {
  const out: IngressBackendUse[] = [];
  const use = (backend: IngressBackendSpec, at: FieldPath): void => {
    const service: FieldPath = [...at, 'service'];
    const port = backend.service.port;
    const portPath: FieldPath = [...service, 'port', port.number !== undefined ? 'number' : 'name'];
    out.push({
      service: backend.service.name,
      port: port.number ?? port.name,
      field: formatFieldPath(service),
      nameAt: locate([...service, 'name']),
      portAt: locate(portPath),
    });
  };
  if (spec.defaultBackend) use(spec.defaultBackend, ['spec', 'defaultBackend']);
  (spec.rules ?? []).forEach((rule, r) => rule.http.paths.forEach((p, i) => use(p.backend, ['spec', 'rules', r, 'http', 'paths', i, 'backend'])));
  return out;
}

/**
 * Every backend must name a Service of this folder (SERVICE_NOT_FOUND) and a port it declares
 * (SERVICE_PORT_NOT_FOUND). `services` maps each Service name of the folder to its ports, or to
 * undefined when its document is invalid (its own errors say what is wrong, so its ports are
 * not checked against); `defined` maps `Service/<name>` to its `file:line`.
 */
export function checkIngressBackends(
  namespace: string,
  uses: readonly { use: IngressBackendUse; file: string; document: number }[],
  services: ReadonlyMap<string, readonly ServicePortFact[] | undefined>,
  defined: ReadonlyMap<string, string>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { use, file, document } of uses) {
    const where = { severity: 'error' as const, file, namespace, document };
    if (!services.has(use.service)) {
      const names = [...services.keys()].sort();
      out.push({
        ...where,
        code: 'SERVICE_NOT_FOUND',
        field: `${use.field}.name`,
        ...use.nameAt,
        message: `Service ${JSON.stringify(use.service)} is not defined in namespace folder ${JSON.stringify(namespace)}: an Ingress routes to Services of its own namespace folder${names.length > 0 ? ` (it defines ${names.map((n) => JSON.stringify(n)).join(', ')})` : '; add a v1 Service there'}`,
      });
      continue;
    }
    const ports = services.get(use.service);
    if (!ports) continue;
    const found = typeof use.port === 'number' ? ports.some((p) => p.port === use.port) : ports.some((p) => p.name === use.port);
    if (found) continue;
    const declared = ports.map((p) => (p.name !== undefined ? `${p.port} (${p.name})` : String(p.port))).join(', ');
    out.push({
      ...where,
      code: 'SERVICE_PORT_NOT_FOUND',
      field: `${use.field}.port.${typeof use.port === 'number' ? 'number' : 'name'}`,
      ...use.portAt,
      message: `Service ${JSON.stringify(use.service)} (${defined.get(`Service/${use.service}`) ?? namespace}) has no port ${typeof use.port === 'number' ? use.port : `named ${JSON.stringify(use.port)}`}; it declares ${declared}${typeof use.port === 'number' ? ' (a backend names the Service port, not the targetPort)' : ''}`,
    });
  }
  return out;
}

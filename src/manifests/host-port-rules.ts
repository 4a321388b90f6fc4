import type { Diagnostic } from '../core/index.js';
import { formatFieldPath, type FieldPath, type Position } from './locate.js';
import type { PlacedService } from './service-rules.js';
import type { DeploymentSpec } from './types.js';

/**
 * hostPorts of one namespace folder. A container port with a `hostPort` is published at that
 * port on --service-address, where the data plane also listens for the folder's Services (TCP,
 * at nodePort or port). On one host a port is bound once: two hostPorts on the same number and
 * protocol, or a TCP hostPort on a Service's listen port, can never both run. The later one in
 * file then document order gets the error, naming the first. (Across namespace folders, or
 * against another process, the engine refuses the bind and the Deployment says so in status.)
 */
export interface HostPortFact {
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
  /** e.g. `spec.template.spec.containers[0].ports[1].hostPort` */
  readonly field: string;
  readonly at: Position;
}

export function hostPortsOf(spec: DeploymentSpec, locate: (path: FieldPath) => Position): HostPortFact[] {
  const out: HostPortFact[] = [];
  spec.template.spec.containers.forEach((c, ci) =>
    (c.ports ?? []).forEach((p, pi) => {
      if (p.hostPort === undefined) return;
      const path: FieldPath = ['spec', 'template', 'spec', 'containers', ci, 'ports', pi, 'hostPort'];
      out.push({ port: p.hostPort, protocol: p.protocol === 'UDP' ? 'udp' : 'tcp', field: formatFieldPath(path), at: locate(path) });
    }),
  );
  return out;
}

export interface PlacedHostPorts {
  readonly deployment: string;
  readonly file: string;
  readonly document: number;
  readonly ports: readonly HostPortFact[];
}

export function checkHostPorts(namespace: string, services: readonly PlacedService[], deployments: readonly PlacedHostPorts[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const taken = new Map<string, string>(); // "8080/tcp" → who holds it, for the message
  for (const s of services) for (const p of s.ports) if (!taken.has(`${p.listenPort}/tcp`)) taken.set(`${p.listenPort}/tcp`, `Service ${JSON.stringify(s.name)} (${p.listenField}, ${s.file}:${p.listenAt.line})`);
  for (const d of deployments) {
    for (const p of d.ports) {
      const key = `${p.port}/${p.protocol}`;
      const first = taken.get(key);
      if (first === undefined) {
        taken.set(key, `Deployment ${JSON.stringify(d.deployment)} (${p.field}, ${d.file}:${p.at.line})`);
        continue;
      }
      out.push({
        severity: 'error',
        code: 'HOST_PORT_CONFLICT',
        file: d.file,
        namespace,
        document: d.document,
        field: p.field,
        ...p.at,
        message: `hostPort ${p.port}/${p.protocol.toUpperCase()} is already bound on this host by ${first}: a port is published once on --service-address; choose another hostPort`,
      });
    }
  }
  return out;
}

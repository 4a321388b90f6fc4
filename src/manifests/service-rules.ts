import type { Diagnostic } from '../core/index.js';
import type { Emit } from './deployment-rules.js';
import { formatFieldPath, type FieldPath, type Position } from './locate.js';

/**
 * v1 Service rules a JSON Schema cannot say, run on a schema-valid Service, and the facts the
 * folder-level checks need (the ports each Service listens on, where they are written).
 *
 * Most rules are the Kubernetes API server's own (every port named when there are several,
 * no duplicate ports or nodePorts, nodePort only with type NodePort or LoadBalancer). The rest
 * say what berth's data plane cannot do: it proxies TCP to the ready replicas a selector
 * matches, listening at nodePort when set, else at port. So a Service needs a selector (berth
 * has no manual Endpoints), and UDP/SCTP, ExternalName, headless (`clusterIP: None`) and
 * ClientIP affinity are refused.
 */

/** A schema-valid Service spec before these rules: some values it allows are refused here. */
export interface ServiceSpecInput {
  readonly selector?: Readonly<Record<string, string>>;
  readonly ports: readonly { readonly name?: string; readonly protocol?: string; readonly port: number; readonly targetPort?: number | string; readonly nodePort?: number }[];
  readonly type?: string;
  readonly clusterIP?: string;
  readonly clusterIPs?: readonly string[];
  readonly sessionAffinity?: string;
}

const HEADLESS = 'not supported by berth: headless Services (clusterIP: None): replicas already answer to the Deployment name on the namespace network';
const NO_CLUSTER_IP = 'ignored by berth: berth assigns no cluster IPs; the Service listens on the data plane address (127.0.0.1 by default)';

/**
 * Checks `spec` and returns the paths of fields berth ignores (a clusterIP other than None),
 * which the validator removes like the schema's `x-berth-ignored` fields.
 */
export function checkService(spec: ServiceSpecInput, emit: Emit): FieldPath[] {
  const ignored: FieldPath[] = [];
  if (spec.selector === undefined) {
    emit(
      'error',
      'MISSING_FIELD',
      ['spec', 'selector'],
      'a Service needs spec.selector: berth has no manual Endpoints (Endpoints or EndpointSlice objects), a Service routes to the ready replicas whose pod labels its selector matches',
    );
  }
  if (spec.type === 'ExternalName') emit('error', 'UNSUPPORTED_FIELD', ['spec', 'type'], 'not supported by berth: ExternalName Services (DNS aliases to names outside berth)');
  if (spec.sessionAffinity === 'ClientIP') {
    emit('error', 'UNSUPPORTED_FIELD', ['spec', 'sessionAffinity'], 'not supported by berth: session affinity (ClientIP); the data plane spreads connections over the ready replicas');
  }
  if (spec.clusterIP !== undefined) {
    if (spec.clusterIP === 'None') emit('error', 'UNSUPPORTED_FIELD', ['spec', 'clusterIP'], HEADLESS);
    else {
      emit('warning', 'IGNORED_FIELD', ['spec', 'clusterIP'], NO_CLUSTER_IP);
      ignored.push(['spec', 'clusterIP']);
    }
  }
  if (spec.clusterIPs !== undefined) {
    const headless = spec.clusterIPs.indexOf('None');
    if (headless >= 0) emit('error', 'UNSUPPORTED_FIELD', ['spec', 'clusterIPs', headless], HEADLESS);
    else {
      emit('warning', 'IGNORED_FIELD', ['spec', 'clusterIPs'], NO_CLUSTER_IP);
      ignored.push(['spec', 'clusterIPs']);
    }
  }
  checkPorts(spec, emit);
  return ignored;
}

function checkPorts(spec: ServiceSpecInput, emit: Emit): void {
  const names = new Map<string, number>();
  const numbers = new Map<number, number>();
  const nodePorts = new Map<number, number>();
  const allowsNodePort = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  spec.ports.forEach((port, i) => {
    const at: FieldPath = ['spec', 'ports', i];
    if (port.protocol !== undefined && port.protocol !== 'TCP') {
      emit('error', 'UNSUPPORTED_FIELD', [...at, 'protocol'], `not supported by berth: ${port.protocol} Services; berth's data plane proxies TCP only`);
    }
    if (port.name === undefined) {
      // Kubernetes: "must be specified when there is more than one port"
      if (spec.ports.length > 1) emit('error', 'MISSING_FIELD', [...at, 'name'], 'every port of a Service with more than one port needs a name (as Kubernetes requires)');
    } else {
      const first = names.get(port.name);
      if (first === undefined) names.set(port.name, i);
      else emit('error', 'INVALID_VALUE', [...at, 'name'], `duplicate port name ${JSON.stringify(port.name)} (also ports[${first}])`);
    }
    const sameNumber = numbers.get(port.port);
    if (sameNumber === undefined) numbers.set(port.port, i);
    else emit('error', 'INVALID_VALUE', [...at, 'port'], `duplicate port ${port.port} (also ports[${sameNumber}])`);
    if (port.nodePort === undefined) return;
    if (!allowsNodePort) {
      emit('error', 'INVALID_VALUE', [...at, 'nodePort'], `may only be set with type NodePort or LoadBalancer, not ${spec.type ?? 'ClusterIP (the default)'} (as Kubernetes requires)`);
    }
    const sameNodePort = nodePorts.get(port.nodePort);
    if (sameNodePort === undefined) nodePorts.set(port.nodePort, i);
    else emit('error', 'INVALID_VALUE', [...at, 'nodePort'], `duplicate nodePort ${port.nodePort} (also ports[${sameNodePort}])`);
  });
}

/** One port a valid Service listens on, for the folder-level checks. */
export interface ServicePortFact {
  readonly name?: string;
  readonly port: number;
  /** nodePort when set, else port: where the data plane binds. */
  readonly listenPort: number;
  /** Dotted path of the field that decides listenPort (`spec.ports[0].nodePort` or `.port`), and where it is written. */
  readonly listenField: string;
  readonly listenAt: Position;
}

export function servicePortsOf(spec: ServiceSpecInput, locate: (path: FieldPath) => Position): ServicePortFact[] {
  return spec.ports.map((p, i) => {
    const path: FieldPath = ['spec', 'ports', i, p.nodePort === undefined ? 'port' : 'nodePort'];
    return { ...(p.name !== undefined ? { name: p.name } : {}), port: p.port, listenPort: p.nodePort ?? p.port, listenField: formatFieldPath(path), listenAt: locate(path) };
  });
}

/** A valid Service of a folder, placed: its name, file, document and ports. */
export interface PlacedService {
  readonly name: string;
  readonly file: string;
  readonly document: number;
  readonly ports: readonly ServicePortFact[];
}

/**
 * The data plane binds each listen port once per address, so two ports of a namespace's
 * Services (of one Service or of two) may not listen on the same number. The second one, in
 * file then document order, gets the error, naming the first.
 */
export function checkListenPorts(namespace: string, services: readonly PlacedService[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const taken = new Map<number, { service: string; field: string; where: string }>();
  for (const s of services) {
    for (const p of s.ports) {
      const first = taken.get(p.listenPort);
      if (!first) {
        taken.set(p.listenPort, { service: s.name, field: p.listenField, where: `${s.file}:${p.listenAt.line}` });
        continue;
      }
      const other = first.service === s.name ? `its ${first.field}` : `Service ${JSON.stringify(first.service)} (${first.field}, ${first.where})`;
      out.push({
        severity: 'error',
        code: 'SERVICE_PORT_CONFLICT',
        file: s.file,
        namespace,
        document: s.document,
        field: p.listenField,
        ...p.listenAt,
        message: `Service ${JSON.stringify(s.name)} would listen on port ${p.listenPort}, as ${other} already does: the data plane listens on a port once (a Service listens at nodePort when set, else at port); choose another port`,
      });
    }
  }
  return out;
}

import type { Diagnostic } from '../core/index.js';
import type { Emit } from './deployment-rules.js';
import { formatFieldPath, type FieldPath, type Position } from './locate.js';

/**
 * v1 Service rules a JSON Schema cannot say, run on a schema-valid Service, and the facts the
 * folder-level checks need (the ports each Service listens on, where they are written).
 *
 * Most rules are the Kubernetes API server's own (every port named when there are several,
 * no duplicate ports or nodePorts, nodePort only with type NodePort or LoadBalancer, clusterIP
 * an IPv4 address or None). The rest say what berth's data plane cannot do: it proxies TCP to
 * the ready replicas a selector matches, at the Service's virtual address inside the namespace
 * (docs/services.md) and, for NodePort and LoadBalancer, on the host at nodePort when set,
 * else at port. So a Service needs a selector (berth has no manual Endpoints), and UDP/SCTP
 * and ExternalName are refused. Whether a fixed clusterIP lies in the namespace's subnet is
 * known only once the network exists: the controller checks it (SERVICE_CLUSTER_IP).
 */

/** A schema-valid Service spec before these rules: some values it allows are refused here. */
export interface ServiceSpecInput {
  readonly selector?: Readonly<Record<string, string>>;
  readonly ports: readonly {
    readonly name?: string;
    readonly protocol?: string;
    readonly port: number;
    readonly targetPort?: number | string;
    readonly nodePort?: number;
  }[];
  readonly type?: string;
  readonly clusterIP?: string;
  readonly clusterIPs?: readonly string[];
  readonly sessionAffinity?: string;
}

const CLUSTER_IPS = 'ignored by berth: berth reads spec.clusterIP (one IPv4 address, or None for a headless Service)';

/** An IPv4 address in dotted decimal, as clusterIP takes it. */
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Checks `spec` and returns the paths of fields berth ignores (clusterIPs, which repeats
 * clusterIP), which the validator removes like the schema's `x-berth-ignored` fields.
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
  if (spec.type === 'ExternalName')
    emit('error', 'UNSUPPORTED_FIELD', ['spec', 'type'], 'not supported by berth: ExternalName Services (DNS aliases to names outside berth)');
  if (spec.clusterIP !== undefined && spec.clusterIP !== 'None' && spec.clusterIP !== '' && !IPV4.test(spec.clusterIP)) {
    emit(
      'error',
      'INVALID_VALUE',
      ['spec', 'clusterIP'],
      `must be an IPv4 address inside the namespace's Service range, or None for a headless Service, not ${JSON.stringify(spec.clusterIP)}`,
    );
  }
  if (spec.clusterIPs !== undefined) {
    const first = spec.clusterIPs[0];
    if (spec.clusterIP !== undefined && first !== undefined && first !== spec.clusterIP) {
      emit('error', 'INVALID_VALUE', ['spec', 'clusterIPs', 0], `must equal spec.clusterIP (${JSON.stringify(spec.clusterIP)}), as Kubernetes requires`);
    } else if (spec.clusterIP === undefined && first !== undefined) {
      emit(
        'error',
        'UNSUPPORTED_FIELD',
        ['spec', 'clusterIPs'],
        'not supported by berth without spec.clusterIP: write the address (or None) in spec.clusterIP',
      );
    } else {
      emit('warning', 'IGNORED_FIELD', ['spec', 'clusterIPs'], CLUSTER_IPS);
      ignored.push(['spec', 'clusterIPs']);
    }
  }
  if (spec.clusterIP === 'None' && spec.type !== undefined && spec.type !== 'ClusterIP') {
    emit('error', 'INVALID_VALUE', ['spec', 'clusterIP'], `None (headless) only with type ClusterIP, not ${spec.type} (as Kubernetes requires)`);
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
      if (spec.ports.length > 1)
        emit('error', 'MISSING_FIELD', [...at, 'name'], 'every port of a Service with more than one port needs a name (as Kubernetes requires)');
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
      emit(
        'error',
        'INVALID_VALUE',
        [...at, 'nodePort'],
        `may only be set with type NodePort or LoadBalancer, not ${spec.type ?? 'ClusterIP (the default)'} (as Kubernetes requires)`,
      );
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
  /** NodePort and LoadBalancer only: nodePort when set, else port, where the data plane binds on the host. */
  readonly listenPort?: number;
  /** Dotted path of the field that decides listenPort (`spec.ports[0].nodePort` or `.port`), and where it is written. */
  readonly listenField: string;
  readonly listenAt: Position;
}

export function servicePortsOf(spec: ServiceSpecInput, locate: (path: FieldPath) => Position): ServicePortFact[] {
  const onHost = listensOnHost(spec.type);
  return spec.ports.map((p, i) => {
    const path: FieldPath = ['spec', 'ports', i, p.nodePort === undefined ? 'port' : 'nodePort'];
    return {
      ...(p.name !== undefined ? { name: p.name } : {}),
      port: p.port,
      ...(onHost ? { listenPort: p.nodePort ?? p.port } : {}),
      listenField: formatFieldPath(path),
      listenAt: locate(path),
    };
  });
}

/** NodePort and LoadBalancer Services also listen on the host; ClusterIP (the default) only at their virtual address. */
export function listensOnHost(type: string | undefined): boolean {
  return type === 'NodePort' || type === 'LoadBalancer';
}

/** A valid Service of a folder, placed: its name, file, document and ports. */
export interface PlacedService {
  readonly name: string;
  readonly file: string;
  readonly document: number;
  readonly ports: readonly ServicePortFact[];
}

/**
 * The data plane binds each host port once per address, so two host-listening ports of a
 * namespace's NodePort/LoadBalancer Services (of one Service or of two) may not use the same
 * number. The second one, in file then document order, gets the error, naming the first.
 * ClusterIP ports never conflict: each Service has its own virtual address.
 */
export function checkListenPorts(namespace: string, services: readonly PlacedService[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const taken = new Map<number, { service: string; field: string; where: string }>();
  for (const s of services) {
    for (const p of s.ports) {
      if (p.listenPort === undefined) continue;
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
        message: `Service ${JSON.stringify(s.name)} would listen on port ${p.listenPort}, as ${other} already does: the data plane listens on a host port once (a NodePort or LoadBalancer Service listens on the host at nodePort when set, else at port); choose another port, or make one of them a ClusterIP Service (reached inside the namespace at its own address)`,
      });
    }
  }
  return out;
}

import { ownValue, parseImageReference } from '../core/index.js';
import type { ManifestDiagnosticCode } from './codes.js';
import type { FieldPath } from './locate.js';
import { podContainers, type Container, type DeploymentSpec, type IntOrPercent } from './types.js';
import { checkPlacement } from './placement-rules.js';
import { checkVolumes } from './volume-rules.js';

/**
 * Deployment rules a JSON Schema cannot say, run on a schema-valid Deployment. Most are the
 * Kubernetes API server's own validation (so a manifest berth accepts, Kubernetes accepts);
 * the hostPort rules exist because berth runs every replica on one host.
 */

/**
 * Fields berth validates but does not act on yet. Each one present in a container gets a
 * NOT_ACTED_ON warning. Delete an entry here when the runtime starts honouring it. Empty now
 * that probes are acted on; kept for the next field that is accepted before it is honoured.
 */
export const VALIDATED_NOT_ACTED_ON: readonly (keyof Container)[] = [];

const PROBES = ['readinessProbe', 'livenessProbe', 'startupProbe'] as const;

export type Emit = (severity: 'error' | 'warning', code: ManifestDiagnosticCode, path: FieldPath, message: string) => void;

/** `claimTemplates`: a StatefulSet's volumeClaimTemplates names, volumes its containers may mount without listing them. */
export function checkDeployment(spec: DeploymentSpec, emit: Emit, claimTemplates: readonly string[] = []): void {
  checkSelector(spec, emit);
  checkStrategy(spec, emit);
  checkPlacement(spec.template, emit);
  if (spec.progressDeadlineSeconds !== undefined && spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
    emit('error', 'INVALID_VALUE', ['spec', 'progressDeadlineSeconds'], `must be greater than minReadySeconds (${spec.minReadySeconds ?? 0})`);
  }
  const names = new Map<string, string>();
  for (const c of podContainers(spec.template)) {
    checkContainer(spec, c.container, c.path, emit);
    if (c.list === 'initContainers' && c.container.restartPolicy !== 'Always') checkInitContainer(c.container, c.path, emit);
    if (c.list === 'containers' && c.container.restartPolicy !== undefined)
      emit(
        'error',
        'INVALID_VALUE',
        [...c.path, 'restartPolicy'],
        "only an init container may have a restartPolicy (Always: a native sidecar); an app container follows the pod's restartPolicy",
      );
    const first = names.get(c.container.name);
    if (first !== undefined)
      emit(
        'error',
        'INVALID_VALUE',
        [...c.path, 'name'],
        `duplicate container name ${JSON.stringify(c.container.name)} (also ${first}): every container of a pod needs its own name`,
      );
    else names.set(c.container.name, `${c.list}[${c.index}]`);
  }
  checkPodPorts(spec, emit);
  checkSidecarOrder(spec, emit);
  checkVolumes(spec, emit, claimTemplates);
}

/**
 * The containers of a Pod share one network namespace (held by its infra container, which
 * publishes every container's ports): two cannot listen on the same port and protocol, and a
 * port name must say one port (Services and probes look ports up by name for the whole Pod).
 */
function checkPodPorts(spec: DeploymentSpec, emit: Emit): void {
  const numbers = new Map<string, string>();
  const names = new Map<string, string>();
  for (const c of podContainers(spec.template)) {
    if (c.list === 'initContainers' && c.container.restartPolicy !== 'Always') continue;
    (c.container.ports ?? []).forEach((p, i) => {
      const where = `${c.list}[${c.index}].ports[${i}]`;
      const key = `${p.containerPort}/${p.protocol ?? 'TCP'}`;
      const first = numbers.get(key);
      if (first !== undefined && !first.startsWith(`${c.list}[${c.index}].`))
        emit(
          'error',
          'INVALID_VALUE',
          [...c.path, 'ports', i, 'containerPort'],
          `port ${key} is also declared by ${first}: the containers of a pod share one network namespace, so two cannot listen on the same port`,
        );
      else if (first === undefined) numbers.set(key, where);
      if (p.name === undefined) return;
      const named = names.get(p.name);
      if (named !== undefined && !named.startsWith(`${c.list}[${c.index}].`))
        emit(
          'error',
          'INVALID_VALUE',
          [...c.path, 'ports', i, 'name'],
          `port name ${JSON.stringify(p.name)} is also used by ${named}: a Service's named targetPort must say one port of the pod`,
        );
      else if (named === undefined) names.set(p.name, where);
    });
  }
}

/**
 * berth runs the regular init containers first, each to completion in a container of its own,
 * then starts the Pod: its native sidecars, then its app containers. A regular init container
 * listed after a sidecar therefore runs before that sidecar exists (Kubernetes would have started
 * the sidecar first, and the init container could use it): said as a warning.
 */
function checkSidecarOrder(spec: DeploymentSpec, emit: Emit): void {
  const inits = spec.template.spec.initContainers ?? [];
  const firstSidecar = inits.findIndex((c) => c.restartPolicy === 'Always');
  if (firstSidecar < 0) return;
  inits.forEach((c, i) => {
    if (i > firstSidecar && c.restartPolicy !== 'Always')
      emit(
        'warning',
        'INVALID_VALUE',
        ['spec', 'template', 'spec', 'initContainers', i],
        `runs before sidecar ${JSON.stringify(inits[firstSidecar]!.name)} starts: berth runs regular init containers first, each in a container of its own, then starts the pod's sidecars and app containers; it cannot use the sidecar`,
      );
  });
}

/** Kubernetes: "selector does not match template labels". */
function checkSelector(spec: DeploymentSpec, emit: Emit): void {
  const labels = spec.template.metadata?.labels ?? {};
  for (const [key, value] of Object.entries(spec.selector.matchLabels ?? {})) {
    const label = ownValue(labels, key);
    if (label === value) continue;
    const actual = label === undefined ? `has no label ${JSON.stringify(key)}` : `has ${key}=${label}`;
    emit(
      'error',
      'SELECTOR_MISMATCH',
      ['spec', 'selector', 'matchLabels', key],
      `selector ${key}=${value} does not match the pod template labels (spec.template.metadata.labels ${actual})`,
    );
  }
}

function checkStrategy(spec: DeploymentSpec, emit: Emit): void {
  const strategy = spec.strategy;
  const at: FieldPath = ['spec', 'strategy', 'rollingUpdate'];
  if (strategy?.type === 'Recreate') {
    if (strategy.rollingUpdate !== undefined) emit('error', 'INVALID_STRATEGY', at, 'may not be specified when strategy type is "Recreate"');
    return;
  }
  const surge = strategy?.rollingUpdate?.maxSurge;
  const unavailable = strategy?.rollingUpdate?.maxUnavailable;
  if (surge !== undefined && unavailable !== undefined && isZero(surge) && isZero(unavailable)) {
    emit('error', 'INVALID_STRATEGY', [...at, 'maxUnavailable'], 'may not be 0 when maxSurge is 0 (the rollout could never make progress)');
  }
  if (typeof unavailable === 'string' && parseInt(unavailable, 10) > 100) {
    emit('error', 'INVALID_VALUE', [...at, 'maxUnavailable'], `must not be greater than 100%, got ${JSON.stringify(unavailable)}`);
  }
}

function checkContainer(spec: DeploymentSpec, container: Container, at: FieldPath, emit: Emit): void {
  for (const field of VALIDATED_NOT_ACTED_ON) {
    if (container[field] !== undefined) emit('warning', 'NOT_ACTED_ON', [...at, field], 'validated; not acted on until probes are supported');
  }
  const image = parseImageReference(container.image);
  if (!image.ok)
    emit(
      'error',
      'INVALID_IMAGE_REFERENCE',
      [...at, 'image'],
      `${JSON.stringify(container.image)} is not an image reference: it ${image.reason} (expected name[:tag][@digest], e.g. busybox:1.36)`,
    );
  for (const probe of ['livenessProbe', 'startupProbe'] as const) {
    const threshold = container[probe]?.successThreshold;
    if (threshold !== undefined && threshold !== 1)
      emit('error', 'INVALID_VALUE', [...at, probe, 'successThreshold'], `must be 1 for a ${probe}, got ${threshold}`);
  }
  for (const probe of PROBES) checkProbePort(container, probe, at, emit);
  (container.env ?? []).forEach((env, i) => {
    // Kubernetes: "may not be specified when `value` is not empty"
    if (env.valueFrom !== undefined && env.value !== undefined && env.value !== '') {
      emit('error', 'INVALID_VALUE', [...at, 'env', i, 'valueFrom'], 'may not be set together with a non-empty value: use value or valueFrom');
    }
  });
  const names = new Map<string, number>();
  (container.ports ?? []).forEach((port, i) => {
    if (port.name === undefined) return;
    const first = names.get(port.name);
    if (first === undefined) names.set(port.name, i);
    else emit('error', 'INVALID_VALUE', [...at, 'ports', i, 'name'], `duplicate port name ${JSON.stringify(port.name)} (also ports[${first}])`);
  });
  const hostPortAt = (container.ports ?? []).findIndex((p) => p.hostPort !== undefined);
  if (hostPortAt >= 0) {
    const where: FieldPath = [...at, 'ports', hostPortAt, 'hostPort'];
    if ((spec.replicas ?? 1) > 1) {
      emit(
        'error',
        'INVALID_VALUE',
        where,
        `cannot publish a hostPort with ${spec.replicas} replicas: every replica runs on this one host and would bind the same port`,
      );
    } else if (spec.strategy?.type !== 'Recreate' && !isZero(spec.strategy?.rollingUpdate?.maxSurge ?? '25%')) {
      emit(
        'warning',
        'INVALID_STRATEGY',
        where,
        'a rolling update would surge a second replica that cannot bind the same hostPort on this one host: berth rolls it maxUnavailable-first (maxSurge 0, maxUnavailable 1: the old replica stops, then the new one starts); say so with strategy Recreate, or maxSurge: 0 with maxUnavailable: 1',
      );
    }
  }
  // Kubernetes: with the host's network, a hostPort must equal its containerPort (the process binds it itself).
  if (spec.template.spec.hostNetwork === true) {
    (container.ports ?? []).forEach((p, i) => {
      if (p.hostPort !== undefined && p.hostPort !== p.containerPort) {
        emit(
          'error',
          'INVALID_VALUE',
          [...at, 'ports', i, 'hostPort'],
          `must equal containerPort (${p.containerPort}) with hostNetwork: the container binds the host's port itself, so berth cannot publish it elsewhere`,
        );
      }
    });
  }
  // With the host's network a container's ports are the host's ports: the same arithmetic as hostPort.
  if (spec.template.spec.hostNetwork === true && (container.ports ?? []).length > 0) {
    const where: FieldPath = ['spec', 'template', 'spec', 'hostNetwork'];
    if ((spec.replicas ?? 1) > 1) {
      emit(
        'error',
        'INVALID_VALUE',
        where,
        `cannot use the host network with ports and ${spec.replicas} replicas: every replica runs on this one host and would bind the same ports`,
      );
    } else if (spec.strategy?.type !== 'Recreate' && !isZero(spec.strategy?.rollingUpdate?.maxSurge ?? '25%')) {
      emit(
        'warning',
        'INVALID_STRATEGY',
        where,
        'a rolling update would surge a second replica that cannot bind the same host ports on this one host: berth rolls it maxUnavailable-first (maxSurge 0, maxUnavailable 1: the old replica stops, then the new one starts); say so with strategy Recreate, or maxSurge: 0 with maxUnavailable: 1',
      );
    }
  }
}

/**
 * What an init container cannot have, as Kubernetes refuses it: probes (it runs to completion,
 * nothing waits on its readiness). berth also refuses a hostPort (its ports are not published:
 * it serves nothing) and an emptyDir mount (berth gives each container its own tmpfs, so what an
 * init container wrote there would never reach the app: a PersistentVolumeClaim carries it).
 */
function checkInitContainer(container: Container, at: FieldPath, emit: Emit): void {
  for (const probe of PROBES)
    if (container[probe] !== undefined)
      emit(
        'error',
        'INVALID_VALUE',
        [...at, probe],
        `an init container may not have a ${probe}: it runs to completion before the app starts (as Kubernetes refuses it)`,
      );
  (container.ports ?? []).forEach((p, i) => {
    if (p.hostPort !== undefined)
      emit(
        'error',
        'INVALID_VALUE',
        [...at, 'ports', i, 'hostPort'],
        "an init container's ports are not published: it serves nothing, so a hostPort would bind nothing",
      );
  });
}

function isZero(value: IntOrPercent): boolean {
  return value === 0 || (typeof value === 'string' && parseInt(value, 10) === 0);
}

/**
 * berth runs httpGet, tcpSocket and grpc probes from the host, against the port a replica publishes
 * on 127.0.0.1, and publishes exactly the container's TCP `ports`. So a probe port is the name
 * of one of them or the number of one (Kubernetes would also accept any port the process
 * listens on; berth could not reach it).
 */
function checkProbePort(container: Container, probe: (typeof PROBES)[number], at: FieldPath, emit: Emit): void {
  const spec = container[probe];
  const handler = spec?.httpGet ? 'httpGet' : spec?.tcpSocket ? 'tcpSocket' : spec?.grpc ? 'grpc' : undefined;
  if (!spec || !handler) return;
  const port = spec[handler]!.port;
  const where: FieldPath = [...at, probe, handler, 'port'];
  const ports = container.ports ?? [];
  const tcp = ports.filter((p) => p.protocol !== 'UDP');
  const listed = tcp.length > 0 ? tcp.map((p) => (p.name ? `${p.containerPort} (${p.name})` : String(p.containerPort))).join(', ') : 'none';
  const why = `berth probes through the port a replica publishes on 127.0.0.1, and publishes the container's TCP ports (ports[].containerPort: ${listed})`;
  if (typeof port === 'string') {
    const named = ports.find((p) => p.name === port);
    if (!named) emit('error', 'PROBE_PORT_NOT_FOUND', where, `names no port of the container: no ports[].name is ${JSON.stringify(port)}; ${why}`);
    else if (named.protocol === 'UDP') emit('error', 'PROBE_PORT_NOT_FOUND', where, `names a UDP port (${named.containerPort}); ${why}`);
    return;
  }
  if (!tcp.some((p) => p.containerPort === port))
    emit('error', 'PROBE_PORT_NOT_FOUND', where, `${port} is not one of the container's ports: ${why}; add it to ports`);
}

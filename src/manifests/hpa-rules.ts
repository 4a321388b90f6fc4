import type { Diagnostic } from '../core/index.js';
import type { Emit } from './deployment-rules.js';
import { parseNumber } from './quantity.js';
import type { DeploymentManifest, HorizontalPodAutoscalerManifest, Manifest, MetricTargetSpec, PersistentVolumeClaimManifest } from './types.js';

/**
 * What an HPA's schema cannot say (Kubernetes' own validation): minReplicas ≤ maxReplicas; a
 * Utilization target has averageUtilization, an AverageValue target averageValue (greater than
 * 0), and a Pods metric's target is an AverageValue.
 */
export function checkAutoscaler(spec: HorizontalPodAutoscalerManifest['spec'], emit: Emit): void {
  const min = spec.minReplicas ?? 1;
  if (min > spec.maxReplicas) emit('error', 'INVALID_VALUE', ['spec', 'minReplicas'], `minReplicas (${min}) must be at most maxReplicas (${spec.maxReplicas})`);
  for (const [i, m] of (spec.metrics ?? []).entries()) {
    const at = ['spec', 'metrics', i] as const;
    if (m.type === 'Resource') {
      if (!m.resource) emit('error', 'MISSING_FIELD', [...at, 'resource'], 'a Resource metric needs resource: { name, target }');
      else checkTarget(m.resource.target, [...at, 'resource', 'target'], emit, true);
    } else if (m.type === 'Pods') {
      if (!m.pods) emit('error', 'MISSING_FIELD', [...at, 'pods'], 'a Pods metric needs pods: { metric: { name }, target }');
      else checkTarget(m.pods.target, [...at, 'pods', 'target'], emit, false);
    } else {
      emit(
        'error',
        'UNSUPPORTED_FIELD',
        [...at, 'type'],
        `not supported by berth: ${String((m as { type: unknown }).type)} metrics; use Resource (cpu, memory) or Pods (berth_requests_per_second, berth_in_flight)`,
      );
    }
  }
}

function checkTarget(target: MetricTargetSpec, at: readonly (string | number)[], emit: Emit, utilizationAllowed: boolean): void {
  if (target.type === 'Utilization') {
    if (!utilizationAllowed) emit('error', 'INVALID_VALUE', [...at, 'type'], 'a Pods metric target must be type AverageValue');
    else if (target.averageUtilization === undefined)
      emit('error', 'MISSING_FIELD', [...at, 'averageUtilization'], 'a Utilization target needs averageUtilization (a percent of the requests)');
    if (target.averageValue !== undefined)
      emit('error', 'INVALID_VALUE', [...at, 'averageValue'], 'a Utilization target takes averageUtilization, not averageValue');
  } else if (target.type === 'AverageValue') {
    if (target.averageValue === undefined)
      emit('error', 'MISSING_FIELD', [...at, 'averageValue'], 'an AverageValue target needs averageValue (a quantity per replica)');
    else if (!((parseNumber(target.averageValue) ?? 0) > 0)) emit('error', 'INVALID_VALUE', [...at, 'averageValue'], 'averageValue must be greater than 0');
    if (target.averageUtilization !== undefined)
      emit('error', 'INVALID_VALUE', [...at, 'averageUtilization'], 'an AverageValue target takes averageValue, not averageUtilization');
  } else {
    emit(
      'error',
      'UNSUPPORTED_FIELD',
      [...at, 'type'],
      'not supported by berth: a Value target (Object and External metrics); use Utilization or AverageValue',
    );
  }
}

/**
 * The folder-level checks of HPAs (over the valid objects): the target Deployment exists, no
 * two HPAs scale one Deployment, and a Utilization metric's resource is requested by every
 * container of the target (its percent would mean nothing otherwise). Reported on the HPA's
 * field, naming the Deployment's file and container.
 */
export function checkAutoscalers(namespace: string, objects: readonly Manifest[]): Diagnostic[] {
  const deployments = new Map(objects.filter((o): o is DeploymentManifest => o.kind === 'Deployment').map((d) => [d.metadata.name, d]));
  const out: Diagnostic[] = [];
  const scaledBy = new Map<string, HorizontalPodAutoscalerManifest>();
  for (const o of objects) {
    if (o.kind !== 'HorizontalPodAutoscaler') continue;
    const hpa = o as HorizontalPodAutoscalerManifest;
    const at = (field: string, code: string, message: string): Diagnostic => {
      const p = hpa.positions?.[field];
      return {
        severity: 'error',
        code,
        file: hpa.source.file,
        namespace,
        document: hpa.source.document,
        field,
        line: p?.line ?? hpa.source.line,
        ...(p ? { column: p.column } : {}),
        message,
      };
    };
    const name = hpa.spec.scaleTargetRef.name;
    const target = deployments.get(name);
    if (!target) {
      const known = [...deployments.keys()];
      out.push(
        at(
          'spec.scaleTargetRef.name',
          'AUTOSCALER_TARGET_NOT_FOUND',
          `Deployment ${JSON.stringify(name)} is not defined in namespace folder ${JSON.stringify(namespace)}${known.length > 0 ? `; it defines ${known.map((k) => JSON.stringify(k)).join(', ')}` : ''}`,
        ),
      );
      continue;
    }
    const first = scaledBy.get(name);
    if (first) {
      out.push(
        at(
          'spec.scaleTargetRef.name',
          'AUTOSCALER_CONFLICT',
          `Deployment ${JSON.stringify(name)} is already scaled by HorizontalPodAutoscaler ${JSON.stringify(first.metadata.name)} (${first.source.file}:${first.source.line}); one Deployment, one autoscaler`,
        ),
      );
      continue;
    }
    scaledBy.set(name, hpa);
    // A Deployment that can run only one replica on one host cannot be scaled out (the loader
    // refuses replicas > 1 for it; an HPA must not reach what Git may not write).
    const single = singleReplicaReason(target, objects);
    if (single && hpa.spec.maxReplicas > 1)
      out.push(
        at(
          'spec.maxReplicas',
          'AUTOSCALER_SINGLE_REPLICA',
          `Deployment ${JSON.stringify(name)} (${target.source.file}:${target.source.line}) can run one replica only: ${single}; an HPA could scale it to ${hpa.spec.maxReplicas} (set maxReplicas: 1, or remove that)`,
        ),
      );
    for (const [i, m] of (
      hpa.spec.metrics ?? [{ type: 'Resource' as const, resource: { name: 'cpu' as const, target: { type: 'Utilization' as const } } }]
    ).entries()) {
      if (m.type !== 'Resource' || m.resource.target.type !== 'Utilization') continue;
      const resource = m.resource.name;
      const pod = target.spec.template.spec;
      const running = [...pod.containers, ...(pod.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
      const missing = running.filter((c) => c.resources?.requests?.[resource] === undefined);
      if (missing.length === 0) continue;
      const field = hpa.spec.metrics ? `spec.metrics[${i}].resource.target.averageUtilization` : 'spec.scaleTargetRef.name';
      out.push(
        at(
          field,
          'AUTOSCALER_MISSING_REQUEST',
          `a ${resource} Utilization is a percent of the requests, and container ${missing.map((c) => JSON.stringify(c.name)).join(', ')} of Deployment ${JSON.stringify(name)} (${target.source.file}:${target.source.line}) requests no ${resource}: set resources.requests.${resource}, or target an AverageValue${hpa.spec.metrics ? '' : ' (no metrics: the default is cpu at 80 % of requests)'}`,
        ),
      );
    }
  }
  return out;
}

/** Why a Deployment can run one replica only on one host (a hostPort, the host's network with ports, a ReadWriteOncePod claim), or undefined. */
function singleReplicaReason(d: DeploymentManifest, objects: readonly Manifest[]): string | undefined {
  const pod = d.spec.template.spec;
  const containers = pod.containers;
  const hostPort = containers.flatMap((c) => c.ports ?? []).find((p) => p.hostPort !== undefined);
  if (hostPort) return `it publishes hostPort ${hostPort.hostPort}, bound once on this host`;
  if (pod.hostNetwork === true && containers.some((c) => (c.ports ?? []).length > 0)) return "it uses the host's network with ports, bound once on this host";
  const claims = new Map(objects.filter((o): o is PersistentVolumeClaimManifest => o.kind === 'PersistentVolumeClaim').map((c) => [c.metadata.name, c]));
  for (const v of pod.volumes ?? []) {
    const claim = v.persistentVolumeClaim ? claims.get(v.persistentVolumeClaim.claimName) : undefined;
    if (claim?.spec.accessModes.includes('ReadWriteOncePod'))
      return `it mounts the ReadWriteOncePod claim ${JSON.stringify(claim.metadata.name)}, which allows one replica`;
  }
  return undefined;
}

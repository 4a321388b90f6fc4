import { formatFieldPath, type FieldPath, type Position } from './locate.js';
import type { FieldPositions } from './types.js';

/**
 * Where the fields a downstream check reports on are written, so its diagnostics can name
 * file:line like the loader's own. The YAML nodes are dropped after validation; these few
 * positions are kept with the object (`positions`):
 *
 *  - Deployment and StatefulSet (and its volumeClaimTemplates): every node under the pod's security-relevant fields — `securityContext`,
 *    `hostNetwork`, `hostPID`, `hostIPC`, `volumes` (pod) and `securityContext`, `volumeMounts`
 *    (each container) — plus the pod spec and each container themselves (for "must set …").
 *  - Namespace: `metadata.labels` and each label (the pod-security level is a label).
 *  - PersistentVolumeClaim: its spec (storageClassName is checked against the operator's classes).
 *  - HorizontalPodAutoscaler: its spec (the target and the Utilization metrics are checked against the folder's Deployments).
 *
 * Keys are dotted field paths (formatFieldPath). Bounded: only these subtrees, of a document
 * that already passed the schema.
 */
const POD = ['spec', 'template', 'spec'] as const;
const POD_FIELDS = ['securityContext', 'hostNetwork', 'hostPID', 'hostIPC', 'volumes'] as const;
const CONTAINER_FIELDS = ['securityContext', 'volumeMounts'] as const;

export function positionsOf(kind: string, value: Record<string, unknown>, locate: (path: FieldPath) => Position): FieldPositions | undefined {
  const out: Record<string, Position> = {};
  const walk = (node: unknown, path: FieldPath): void => {
    out[formatFieldPath(path)] = locate(path);
    if (Array.isArray(node)) node.forEach((item, i) => walk(item, [...path, i]));
    else if (node !== null && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
  };
  if (kind === 'Deployment' || kind === 'StatefulSet') {
    const pod = child(child(child(value, 'spec'), 'template'), 'spec');
    if (!isRecord(pod)) return undefined;
    out[formatFieldPath(POD)] = locate(POD);
    // The folder-level name checks (statefulset-rules.ts) report at the name, and at a StatefulSet's serviceName.
    out['metadata.name'] = locate(['metadata', 'name']);
    if (kind === 'StatefulSet' && child(value, 'spec') !== undefined && child(child(value, 'spec'), 'serviceName') !== undefined)
      out['spec.serviceName'] = locate(['spec', 'serviceName']);
    for (const f of POD_FIELDS) if (pod[f] !== undefined) walk(pod[f], [...POD, f]);
    const containers = pod['containers'];
    if (Array.isArray(containers)) {
      containers.forEach((c, i) => {
        const at: FieldPath = [...POD, 'containers', i];
        out[formatFieldPath(at)] = locate(at);
        if (isRecord(c)) for (const f of CONTAINER_FIELDS) if (c[f] !== undefined) walk(c[f], [...at, f]);
      });
    }
    // A StatefulSet's claim templates: their storage classes are checked against the operator's (policy/).
    const templates = child(child(value, 'spec'), 'volumeClaimTemplates');
    if (kind === 'StatefulSet' && templates !== undefined) walk(templates, ['spec', 'volumeClaimTemplates']);
  } else if (kind === 'PersistentVolumeClaim') {
    const spec = child(value, 'spec');
    if (!isRecord(spec)) return undefined;
    walk(spec, ['spec']);
  } else if (kind === 'HorizontalPodAutoscaler') {
    const spec = child(value, 'spec');
    if (!isRecord(spec)) return undefined;
    walk(spec, ['spec']);
  } else if (kind === 'Namespace') {
    const labels = child(child(value, 'metadata'), 'labels');
    if (!isRecord(labels)) return undefined;
    walk(labels, ['metadata', 'labels']);
  } else {
    return undefined;
  }
  return out;
}

function child(node: unknown, key: string): unknown {
  return isRecord(node) ? node[key] : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

import type { Diagnostic } from '../core/index.js';
import type { Emit } from './deployment-rules.js';
import { formatFieldPath, type FieldPath, type Position } from './locate.js';
import { isWorkload, type Manifest, type ObjectMeta, type ServiceManifest, type StatefulSetManifest, type StatefulSetSpec } from './types.js';

/** The longest hostname (a DNS label): a replica is `<name>-<ordinal>`. */
const MAX_HOSTNAME = 63;

/** The names of a StatefulSet's volumeClaimTemplates: volumes every replica has without `volumes` listing them. */
export function claimTemplateNames(spec: StatefulSetSpec): string[] {
  return (spec.volumeClaimTemplates ?? []).map((t) => t.metadata.name);
}

/** One claim a StatefulSet's claim template gives an ordinal: `<template>-<name>-<ordinal>`, its storage request and where that is written. */
export interface TemplateClaim {
  readonly name: string;
  readonly bytes: number;
  readonly field: string;
  readonly at: Position;
}

/** The claims of every ordinal, template by template (what ResourceQuota persistentvolumeclaims and requests.storage count). */
export function templateClaimsOf(
  metadata: ObjectMeta,
  spec: StatefulSetSpec,
  locate: (path: FieldPath) => Position,
  parse: (q: string | number) => number | undefined,
): TemplateClaim[] {
  const out: TemplateClaim[] = [];
  (spec.volumeClaimTemplates ?? []).forEach((t, i) => {
    const path: FieldPath = ['spec', 'volumeClaimTemplates', i, 'spec', 'resources', 'requests', 'storage'];
    const at = locate(path);
    const bytes = parse(t.spec.resources.requests.storage) ?? 0;
    for (let ordinal = 0; ordinal < (spec.replicas ?? 1); ordinal++)
      out.push({ name: `${t.metadata.name}-${metadata.name}-${ordinal}`, bytes, field: formatFieldPath(path), at });
  });
  return out;
}

/**
 * StatefulSet rules a JSON Schema cannot say, run on a schema-valid StatefulSet (its pod
 * template got the Deployment's rules). As the Kubernetes API server: claim template names are
 * unique, `rollingUpdate` only with RollingUpdate, every replica's name `<name>-<ordinal>` is a
 * DNS label. Warnings: a claim template no container mounts, one that hides a pod volume.
 */
export function checkStatefulSet(metadata: ObjectMeta, spec: StatefulSetSpec, emit: Emit): void {
  const replicas = spec.replicas ?? 1;
  const last = `${metadata.name}-${Math.max(0, replicas - 1)}`;
  if (last.length > MAX_HOSTNAME)
    emit(
      'error',
      'INVALID_VALUE',
      ['metadata', 'name'],
      `replica ${JSON.stringify(last)} would have a name longer than ${MAX_HOSTNAME} characters (a DNS label: its hostname and DNS name); shorten the StatefulSet's name`,
    );
  if (spec.updateStrategy?.type === 'OnDelete' && spec.updateStrategy.rollingUpdate !== undefined)
    emit('error', 'INVALID_STRATEGY', ['spec', 'updateStrategy', 'rollingUpdate'], 'only allowed for updateStrategy type "RollingUpdate"');
  if (spec.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete')
    emit(
      'warning',
      'INVALID_VALUE',
      ['spec', 'persistentVolumeClaimRetentionPolicy', 'whenDeleted'],
      'berth keeps the volumes of a StatefulSet removed from Git (reported as orphaned) until `berth volume delete` or a confirming commit says so: data never goes because an object left Git',
    );
  const mounted = new Set(
    [...spec.template.spec.containers, ...(spec.template.spec.initContainers ?? [])].flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)),
  );
  const podVolumes = new Set((spec.template.spec.volumes ?? []).map((v) => v.name));
  const seen = new Map<string, number>();
  (spec.volumeClaimTemplates ?? []).forEach((t, i) => {
    const at = ['spec', 'volumeClaimTemplates', i, 'metadata', 'name'];
    const name = t.metadata.name;
    const first = seen.get(name);
    if (first !== undefined)
      return emit('error', 'INVALID_VALUE', at, `duplicate claim template name ${JSON.stringify(name)} (also volumeClaimTemplates[${first}])`);
    seen.set(name, i);
    if (podVolumes.has(name))
      emit(
        'warning',
        'INVALID_VALUE',
        at,
        `is also a volume of the pod (spec.template.spec.volumes): the claim template wins, as in Kubernetes; each replica mounts its own volume ${JSON.stringify(`${name}-${metadata.name}-<ordinal>`)}`,
      );
    if (!mounted.has(name))
      emit('warning', 'INVALID_VALUE', at, `no container mounts it (volumeMounts[].name ${JSON.stringify(name)}): each replica gets a volume it does not use`);
  });
}

/**
 * Folder-level: workload names are unique across kinds (berth labels, names and routes replicas
 * by namespace and name), and no workload is named like a StatefulSet's replica (`<name>-<n>`,
 * n < replicas: a hostname and `berth logs` target). A serviceName that is no headless Service
 * of the folder is a warning. Pure; located at the later object (file then document order).
 */
export function checkWorkloadNames(namespace: string, objects: readonly Manifest[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const workloads = objects.filter(isWorkload);
  const byName = new Map<string, (typeof workloads)[number]>();
  const at = (o: Manifest, field: string) => {
    const p = 'positions' in o ? o.positions?.[field] : undefined;
    return { file: o.source.file, namespace, document: o.source.document, line: p?.line ?? o.source.line, ...(p ? { column: p.column } : {}), field };
  };
  for (const w of workloads) {
    const first = byName.get(w.metadata.name);
    if (first && first.kind !== w.kind)
      out.push({
        severity: 'error',
        code: 'WORKLOAD_NAME_CONFLICT',
        ...at(w, 'metadata.name'),
        message: `${first.kind} ${JSON.stringify(w.metadata.name)} (${first.source.file}) has this name already: berth names replicas by namespace and name, so a Deployment and a StatefulSet cannot share one`,
      });
    else if (!first) byName.set(w.metadata.name, w);
  }
  const replicaNames = new Map<string, StatefulSetManifest>();
  for (const s of workloads) {
    if (s.kind !== 'StatefulSet') continue;
    for (let i = 0; i < (s.spec.replicas ?? 1); i++) replicaNames.set(`${s.metadata.name}-${i}`, s);
  }
  for (const w of workloads) {
    const owner = replicaNames.get(w.metadata.name);
    if (!owner) continue;
    out.push({
      severity: 'error',
      code: 'WORKLOAD_NAME_CONFLICT',
      ...at(w, 'metadata.name'),
      message: `is the name of a replica of StatefulSet ${JSON.stringify(owner.metadata.name)} (${owner.source.file}): its hostname, DNS name and \`berth logs\` target; rename one of them`,
    });
  }
  const services = new Map(objects.filter((o): o is ServiceManifest => o.kind === 'Service').map((s) => [s.metadata.name, s]));
  for (const s of workloads) {
    if (s.kind !== 'StatefulSet' || s.spec.serviceName === undefined) continue;
    const svc = services.get(s.spec.serviceName);
    if (svc && svc.spec.clusterIP === 'None') continue;
    out.push({
      severity: 'warning',
      code: 'STATEFULSET_SERVICE',
      ...at(s, 'spec.serviceName'),
      message: svc
        ? `Service ${JSON.stringify(s.spec.serviceName)} (${svc.source.file}) is not headless (clusterIP: None): the replicas run, without their names ${JSON.stringify(`${s.metadata.name}-0.${s.spec.serviceName}`)}…`
        : `no Service ${JSON.stringify(s.spec.serviceName)} is defined in namespace folder ${JSON.stringify(namespace)}: the replicas run, without their names ${JSON.stringify(`${s.metadata.name}-0.${s.spec.serviceName}`)}…; add a headless Service (clusterIP: None) selecting them`,
    });
  }
  return out;
}

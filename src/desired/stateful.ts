import { hashOf, type Diagnostic } from '../core/index.js';
import type { DeploymentManifest, PersistentVolumeClaimManifest, StatefulSetManifest, Volume } from '../manifests/index.js';
import { ordinalClaim, volumeName } from './names.js';
import { normalizeDeployment, templateRevision, type ClaimsByName, type ConfigMapsByName, type SecretsByName } from './normalize.js';
import type { DesiredDeployment, DesiredVolume, Mount, PodTemplate, StatefulSettings } from './types.js';

/** The fields Kubernetes forbids changing once a StatefulSet exists, in the order of `StatefulSettings.fixed`'s hashes. */
export const FIXED_FIELDS = ['spec.volumeClaimTemplates', 'spec.serviceName', 'spec.podManagementPolicy', 'spec.selector'] as const;

/**
 * apps/v1 StatefulSet → a DesiredDeployment with `stateful` settings. Its pod template is
 * normalized exactly as a Deployment's (same revision for the same template); each claim
 * template is a volume of every replica — a pod volume of the same name is replaced, as in
 * Kubernetes — whose mounts are `perReplica`: replica n mounts claim `<template>-<name>-<n>`.
 * The strategy is nominal (never used: rollout/stateful-step.ts moves one ordinal at a time).
 */
export function normalizeStatefulSet(
  manifest: StatefulSetManifest,
  namespace: string,
  secrets: SecretsByName,
  claims: ClaimsByName,
  configMaps: ConfigMapsByName,
): { deployment?: DesiredDeployment; diagnostics: Diagnostic[] } {
  const spec = manifest.spec;
  const templates = spec.volumeClaimTemplates ?? [];
  const names = new Set(templates.map((t) => t.metadata.name));
  const templateClaims = new Map(claims);
  for (const t of templates)
    templateClaims.set(t.metadata.name, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: t.metadata.name },
      spec: t.spec,
      source: manifest.source,
    } satisfies PersistentVolumeClaimManifest);
  const volumes: Volume[] = [
    ...(spec.template.spec.volumes ?? []).filter((v) => !names.has(v.name)),
    ...templates.map((t) => ({ name: t.metadata.name, persistentVolumeClaim: { claimName: t.metadata.name } })),
  ];
  const asDeployment: DeploymentManifest = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: manifest.metadata,
    source: manifest.source,
    spec: {
      ...(spec.replicas !== undefined ? { replicas: spec.replicas } : {}),
      selector: spec.selector,
      template: { ...spec.template, spec: { ...spec.template.spec, ...(volumes.length > 0 ? { volumes } : {}) } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      ...(spec.minReadySeconds !== undefined ? { minReadySeconds: spec.minReadySeconds } : {}),
      ...(spec.revisionHistoryLimit !== undefined ? { revisionHistoryLimit: spec.revisionHistoryLimit } : {}),
    },
  };
  const result = normalizeDeployment(asDeployment, namespace, secrets, templateClaims, configMaps);
  if (!result.deployment) return result;
  const d = result.deployment;
  const perReplica = (list: readonly Mount[] | undefined): Mount[] | undefined =>
    list?.map((m) => (m.source.kind === 'persistentVolumeClaim' && names.has(m.volume) ? { ...m, source: { ...m.source, perReplica: true as const } } : m));
  const withOwn = <T extends { readonly mounts?: readonly Mount[] }>(c: T): T => (c.mounts ? { ...c, mounts: perReplica(c.mounts)! } : c);
  const t = d.template;
  const template: PodTemplate =
    names.size === 0
      ? t
      : {
          ...withOwn(t),
          ...(t.initContainers ? { initContainers: t.initContainers.map(withOwn) } : {}),
          ...(t.containers ? { containers: t.containers.map(withOwn) } : {}),
          ...(t.sidecars ? { sidecars: t.sidecars.map(withOwn) } : {}),
        };
  const stateful: StatefulSettings = {
    ...(spec.serviceName !== undefined ? { serviceName: spec.serviceName } : {}),
    podManagementPolicy: spec.podManagementPolicy ?? 'OrderedReady',
    updateStrategy:
      spec.updateStrategy?.type === 'OnDelete'
        ? { type: 'OnDelete' }
        : { type: 'RollingUpdate', partition: spec.updateStrategy?.rollingUpdate?.partition ?? 0 },
    claimTemplates: templates.map((x) => x.metadata.name),
    retention: {
      whenDeleted: spec.persistentVolumeClaimRetentionPolicy?.whenDeleted ?? 'Retain',
      whenScaled: spec.persistentVolumeClaimRetentionPolicy?.whenScaled ?? 'Retain',
    },
    // One short hash per field, so a refusal can name the field that changed (FIXED_FIELDS order).
    fixed: [templates.map((x) => ({ name: x.metadata.name, spec: x.spec })), spec.serviceName ?? '', spec.podManagementPolicy ?? 'OrderedReady', spec.selector]
      .map((value) => hashOf(value, 6))
      .join('.'),
  };
  return { deployment: { ...d, template, revision: template === t ? d.revision : templateRevision(template), stateful }, diagnostics: result.diagnostics };
}

/**
 * The volumes of a StatefulSet's claim templates for ordinals 0..replicas-1, created before the
 * replicas that mount them. A claim of that name written in Git is used instead (Kubernetes'
 * way to provide one ahead), so it is not listed again.
 */
export function statefulVolumes(manifest: StatefulSetManifest, namespace: string, instance: string, claims: ClaimsByName): DesiredVolume[] {
  const out: DesiredVolume[] = [];
  const replicas = manifest.spec.replicas ?? 1;
  for (const t of manifest.spec.volumeClaimTemplates ?? []) {
    for (let ordinal = 0; ordinal < replicas; ordinal++) {
      const name = ordinalClaim(t.metadata.name, manifest.metadata.name, ordinal);
      if (claims.has(name)) continue;
      const storageClass = t.spec.storageClassName;
      out.push({
        namespace,
        name,
        volumeName: volumeName(instance, namespace, name),
        ...(storageClass ? { storageClass } : {}),
        storage: String(t.spec.resources.requests.storage),
        accessModes: [...t.spec.accessModes],
        source: manifest.source,
        statefulSet: { name: manifest.metadata.name, ordinal },
      });
    }
  }
  return out;
}

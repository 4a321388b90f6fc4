import {
  downNodeToleration,
  hashOf,
  type Diagnostic,
  type LabelSelector,
  type NodeRequirement,
  type Placement,
  type PodAntiAffinityTerm,
} from '../core/index.js';
import {
  ENV_VAR_NAME,
  isReadOnlyClaim,
  parseCpu,
  parseMemory,
  type ConfigMapManifest,
  type Container,
  type DeploymentManifest,
  type EnvVar,
  type LabelSelectorSpec,
  type NodeRequirementSpec,
  type PodAffinityTermSpec,
  type PodTemplate as PodTemplateManifest,
  type PersistentVolumeClaimManifest,
  type Probe,
  type SecretManifest,
} from '../manifests/index.js';
import {
  CONFIGMAP_ABSENT,
  type InitContainer,
  type PodContainer,
  type ResourceRequests,
  type ConfigMapContent,
  type ConfigMapFile,
  type DesiredConfigMap,
  type DesiredDeployment,
  type EnvEntry,
  type Mount,
  type PodTemplate,
  type ProbeAction,
  type Probes,
  type ProbeSpec,
  type SecretFile,
  type SecuritySettings,
  type Strategy,
} from './types.js';

/** Kubernetes defaults (apps/v1 Deployment). */
export const DEPLOYMENT_DEFAULTS = {
  replicas: 1,
  maxSurge: '25%',
  maxUnavailable: '25%',
  minReadySeconds: 0,
  progressDeadlineSeconds: 600,
  revisionHistoryLimit: 10,
  terminationGracePeriodSeconds: 30,
} as const;

/** Kubernetes defaults of a probe (core/v1 Probe) and of its httpGet handler. */
export const PROBE_DEFAULTS = {
  initialDelaySeconds: 0,
  periodSeconds: 10,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
  path: '/',
  scheme: 'HTTP',
} as const;

/** Kubernetes' default mode of a secret volume's files (defaultMode 0644). */
export const SECRET_VOLUME_DEFAULT_MODE = 0o644;

/** The Secrets of one namespace folder, by name. */
export type SecretsByName = ReadonlyMap<string, SecretManifest>;

/** The PersistentVolumeClaims of one namespace folder, by name. */
export type ClaimsByName = ReadonlyMap<string, PersistentVolumeClaimManifest>;

/** The ConfigMaps of one namespace folder, by name (configMapOf builds one). */
export type ConfigMapsByName = ReadonlyMap<string, DesiredConfigMap>;

/** Kubernetes' default mode of a configMap volume's files (defaultMode 0644). */
export const CONFIGMAP_VOLUME_DEFAULT_MODE = 0o644;

/** A ConfigMap manifest → its content and content hash (hashed once per commit, shared by every Deployment that uses it). */
export function configMapOf(manifest: ConfigMapManifest, namespace: string): DesiredConfigMap {
  const content: ConfigMapContent = { data: manifest.data ?? {}, binaryData: manifest.binaryData ?? {} };
  return { namespace, name: manifest.metadata.name, hash: hashOf(content, 16), immutable: manifest.immutable === true, content, source: manifest.source };
}

/**
 * Deployment manifest → desired Deployment: defaults applied, the pod template normalized
 * (so formatting, key order and defaulted fields never change the revision), and
 * `revision = hash(template)`. Returns diagnostics for values that validate but cannot run.
 * `secrets` are the Secrets of the same namespace folder: an env var from a secretKeyRef
 * carries the key's host source (never a value); an optional ref to a Secret or key that is
 * not in Git leaves the variable out.
 */
export function normalizeDeployment(
  manifest: DeploymentManifest,
  namespace: string,
  secrets: SecretsByName = new Map(),
  claims: ClaimsByName = new Map(),
  configMaps: ConfigMapsByName = new Map(),
): { deployment?: DesiredDeployment; diagnostics: Diagnostic[] } {
  const spec = manifest.spec;
  const diagnostics: Diagnostic[] = [];
  const container = spec.template.spec.containers[0];
  if (!container) {
    return {
      diagnostics: [
        {
          severity: 'error',
          code: 'MANIFEST_INVALID',
          message: 'a pod template needs one container',
          file: manifest.source.file,
          line: manifest.source.line,
          field: 'spec.template.spec.containers',
          namespace,
        },
      ],
    };
  }
  const env = envOf(container, secrets, configMaps);
  if (typeof env === 'string') {
    // loadManifests refuses this (SECRET_REF_NOT_FOUND, CONFIGMAP_REF_NOT_FOUND); kept for ManifestSets built by hand.
    diagnostics.push({
      severity: 'error',
      code: 'MANIFEST_INVALID',
      message: env,
      file: manifest.source.file,
      line: manifest.source.line,
      field: 'spec.template.spec.containers[0].env',
      namespace,
    });
    return { diagnostics };
  }
  const probes = normalizeProbes(container);
  if (typeof probes === 'string') {
    // loadManifests refuses this (PROBE_PORT_NOT_FOUND); kept for ManifestSets built by hand.
    diagnostics.push({
      severity: 'error',
      code: 'MANIFEST_INVALID',
      message: `probe port ${JSON.stringify(probes)} names no port of the container`,
      file: manifest.source.file,
      line: manifest.source.line,
      field: 'spec.template.spec.containers[0]',
      namespace,
    });
    return { diagnostics };
  }
  let mounts = normalizeMounts(spec.template, container, secrets, claims, configMaps);
  if (typeof mounts === 'string') {
    // loadManifests refuses this (INVALID_VALUE, SECRET_REF_NOT_FOUND); kept for ManifestSets built by hand.
    diagnostics.push({
      severity: 'error',
      code: 'MANIFEST_INVALID',
      message: mounts,
      file: manifest.source.file,
      line: manifest.source.line,
      field: 'spec.template.spec.containers[0].volumeMounts',
      namespace,
    });
    return { diagnostics };
  }
  const security = normalizeSecurity(spec.template, container);
  const inits: InitContainer[] = [];
  const sidecars: PodContainer[] = [];
  const others: PodContainer[] = [];
  const refused = (field: string, problem: string) => {
    diagnostics.push({
      severity: 'error',
      code: 'MANIFEST_INVALID',
      message: problem,
      file: manifest.source.file,
      line: manifest.source.line,
      field,
      namespace,
    });
    return { diagnostics };
  };
  for (const [i, c] of spec.template.spec.containers.entries()) {
    if (i === 0) continue;
    const normalized = normalizePodContainer(spec.template, c, secrets, claims, configMaps);
    // loadManifests refuses these (reference, probe and mount rules); kept for ManifestSets built by hand.
    if ('problem' in normalized) return refused(`spec.template.spec.containers[${i}].${normalized.field}`, normalized.problem);
    others.push(normalized);
  }
  for (const [i, init] of (spec.template.spec.initContainers ?? []).entries()) {
    if (init.restartPolicy === 'Always') {
      const normalized = normalizePodContainer(spec.template, init, secrets, claims, configMaps);
      if ('problem' in normalized) return refused(`spec.template.spec.initContainers[${i}].${normalized.field}`, normalized.problem);
      sidecars.push(normalized);
      continue;
    }
    const normalized = normalizeInitContainer(spec.template, init, secrets, claims, configMaps);
    if ('problem' in normalized) {
      // loadManifests refuses these (reference and mount rules); kept for ManifestSets built by hand.
      diagnostics.push({
        severity: 'error',
        code: 'MANIFEST_INVALID',
        message: normalized.problem,
        file: manifest.source.file,
        line: manifest.source.line,
        field: `spec.template.spec.initContainers[${i}].${normalized.field}`,
        namespace,
      });
      return { diagnostics };
    }
    inits.push(normalized);
  }
  // An emptyDir an init container, or more than one container of a Pod, mounts is shared: a volume of the replica instead of a tmpfs.
  const dirsOf = (c: { readonly mounts?: readonly Mount[] }) => new Set((c.mounts ?? []).flatMap((m) => (m.source.kind === 'emptyDir' ? [m.volume] : [])));
  const mounters = new Map<string, number>();
  for (const c of [{ mounts }, ...sidecars, ...others]) for (const v of dirsOf(c)) mounters.set(v, (mounters.get(v) ?? 0) + 1);
  const sharedDirs = new Set([...inits.flatMap((c) => [...dirsOf(c)]), ...[...mounters].flatMap(([v, n]) => (n > 1 ? [v] : []))]);
  const share = (list: readonly Mount[]): Mount[] =>
    list.map((m) => (m.source.kind === 'emptyDir' && sharedDirs.has(m.volume) ? { ...m, source: { ...m.source, shared: true as const } } : m));
  if (sharedDirs.size > 0) {
    mounts = share(mounts);
    for (const list of [inits, sidecars, others]) for (const [i, c] of list.entries()) if (c.mounts) list[i] = { ...c, mounts: share(c.mounts) };
  }
  const used = usedConfigMaps(spec.template, [...spec.template.spec.containers, ...(spec.template.spec.initContainers ?? [])], configMaps);
  const limits = container.resources?.limits;
  const memoryBytes = limits?.memory === undefined ? undefined : parseMemory(limits.memory);
  const nanoCpus = limits?.cpu === undefined ? undefined : parseCpu(limits.cpu);
  const template: PodTemplate = {
    containerName: container.name,
    image: container.image,
    ...(container.command ? { command: [...container.command] } : {}),
    ...(container.args ? { args: [...container.args] } : {}),
    ...(container.workingDir ? { workingDir: container.workingDir } : {}),
    env,
    ports: portsOf(container),
    ...(memoryBytes !== undefined ? { memoryBytes } : {}),
    ...(nanoCpus !== undefined ? { nanoCpus } : {}),
    stopGraceSeconds: spec.template.spec.terminationGracePeriodSeconds ?? DEPLOYMENT_DEFAULTS.terminationGracePeriodSeconds,
    ...(spec.template.spec.nodeSelector && Object.keys(spec.template.spec.nodeSelector).length > 0
      ? { nodeSelector: { ...spec.template.spec.nodeSelector } }
      : {}),
    ...placementOf(spec.template.spec),
    labels: { ...(spec.template.metadata?.labels ?? {}) },
    annotations: { ...(spec.template.metadata?.annotations ?? {}) },
    // Only when there is a probe: a probe-less template hashes exactly as it did before probes.
    ...(probes ? { probes } : {}),
    // Likewise: only what a manifest asks beyond the defaults, so older templates keep their revisions.
    ...(security ? { security } : {}),
    ...(mounts.length > 0 ? { mounts } : {}),
    // Only when it uses a ConfigMap: other templates keep their revisions.
    ...(used ? { configMaps: used } : {}),
    ...(inits.length > 0 ? { initContainers: inits } : {}),
    // Only in a Pod of several containers: single-container templates keep their revisions.
    ...(others.length > 0 ? { containers: others } : {}),
    ...(sidecars.length > 0 ? { sidecars } : {}),
  };
  const configData = volumeConfigData([...mounts, ...[...inits, ...sidecars, ...others].flatMap((c) => c.mounts ?? [])], configMaps);
  // A host port (hostPort, or the host's network with ports) is bound once on this one host: a
  // surge would start a second replica that cannot bind it. Such a Deployment (one replica: the
  // loader refuses more) rolls maxUnavailable-first, as the manifest warning says: the old
  // replica stops, then the new one starts (maxSurge 0, maxUnavailable 1).
  const allPorts = [...template.ports, ...sidecars.flatMap((c) => c.ports), ...others.flatMap((c) => c.ports)];
  const bindsHostPort = allPorts.some((p) => p.hostPort !== undefined) || (security?.hostNetwork === true && allPorts.length > 0);
  const strategy: Strategy =
    spec.strategy?.type === 'Recreate'
      ? { type: 'Recreate' }
      : bindsHostPort
        ? { type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 1 }
        : {
            type: 'RollingUpdate',
            maxSurge: spec.strategy?.rollingUpdate?.maxSurge ?? DEPLOYMENT_DEFAULTS.maxSurge,
            maxUnavailable: spec.strategy?.rollingUpdate?.maxUnavailable ?? DEPLOYMENT_DEFAULTS.maxUnavailable,
          };
  return {
    deployment: {
      namespace,
      name: manifest.metadata.name,
      replicas: spec.replicas ?? DEPLOYMENT_DEFAULTS.replicas,
      strategy,
      minReadySeconds: spec.minReadySeconds ?? DEPLOYMENT_DEFAULTS.minReadySeconds,
      progressDeadlineSeconds: spec.progressDeadlineSeconds ?? DEPLOYMENT_DEFAULTS.progressDeadlineSeconds,
      revisionHistoryLimit: spec.revisionHistoryLimit ?? DEPLOYMENT_DEFAULTS.revisionHistoryLimit,
      paused: spec.paused ?? false,
      template,
      revision: templateRevision(template),
      source: manifest.source,
      ...(configData ? { configData } : {}),
      ...requestsOf([
        container,
        ...spec.template.spec.containers.slice(1),
        ...(spec.template.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
      ]),
    },
    diagnostics,
  };
}

/**
 * The container's env vars: `envFrom` sources in order (each source's keys sorted, named prefix +
 * key, every one a valid name under Kubernetes' relaxed rule), then `env`; a name defined
 * twice keeps its last definition (as in Kubernetes, where env wins over envFrom). Without
 * envFrom the list is `env` as written, so existing templates keep their revisions. A string =
 * a reference the loader would have refused.
 */
function envOf(container: Container, secrets: SecretsByName, configMaps: ConfigMapsByName): EnvEntry[] | string {
  const out: EnvEntry[] = [];
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const cm = configMaps.get(from.configMapRef.name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        return `envFrom: ConfigMap ${JSON.stringify(from.configMapRef.name)} is not defined in this namespace`;
      }
      for (const key of Object.keys(cm.content.data).sort()) {
        if (ENV_VAR_NAME.test(prefix + key)) out.push({ name: prefix + key, value: cm.content.data[key]!, configMap: cm.name });
      }
    } else if (from.secretRef) {
      const keys = secrets.get(from.secretRef.name)?.spec.keys;
      if (!keys) {
        if (from.secretRef.optional) continue;
        return `envFrom: Secret ${JSON.stringify(from.secretRef.name)} is not defined in this namespace`;
      }
      for (const key of Object.keys(keys).sort()) {
        if (!ENV_VAR_NAME.test(prefix + key)) continue;
        const source = keys[key]!;
        const copy = 'file' in source ? { file: source.file } : { env: source.env };
        out.push({
          name: prefix + key,
          secretRef: { secret: from.secretRef.name, key, source: copy, ...(from.secretRef.optional ? { optional: true as const } : {}) },
        });
      }
    }
  }
  for (const e of container.env ?? []) {
    const entry = envEntry(e, secrets, configMaps);
    if (entry === 'missing') {
      const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
      return `${e.valueFrom?.secretKeyRef ? 'secretKeyRef' : 'configMapKeyRef'} ${ref?.name}/${ref?.key} names no ${e.valueFrom?.secretKeyRef ? 'Secret' : 'ConfigMap'} key of this namespace`;
    }
    if (entry) out.push(entry);
  }
  if ((container.envFrom ?? []).length === 0) return out;
  const last = new Map(out.map((e, i) => [e.name, i]));
  return out.filter((e, i) => last.get(e.name) === i);
}

/**
 * One env var of the template. A secretKeyRef becomes `{ name, secretRef }` with the key's host
 * source; a configMapKeyRef `{ name, value, configMap }` with the value from Git; `undefined` =
 * an optional ref whose Secret, ConfigMap or key is not in Git (the variable is left out, as
 * Kubernetes does); `'missing'` = a required one (refused by the loader already).
 */
function envEntry(e: EnvVar, secrets: SecretsByName, configMaps: ConfigMapsByName): EnvEntry | undefined | 'missing' {
  const cmRef = e.valueFrom?.configMapKeyRef;
  if (cmRef) {
    const data = configMaps.get(cmRef.name)?.content.data;
    const value = data && Object.hasOwn(data, cmRef.key) ? data[cmRef.key] : undefined;
    if (value === undefined) return cmRef.optional ? undefined : 'missing';
    return { name: e.name, value, configMap: cmRef.name };
  }
  const ref = e.valueFrom?.secretKeyRef;
  if (!ref) return { name: e.name, value: e.value ?? '' };
  const keys = secrets.get(ref.name)?.spec.keys;
  const source = keys && Object.hasOwn(keys, ref.key) ? keys[ref.key] : undefined;
  if (!source) return ref.optional ? undefined : 'missing';
  const copy = 'file' in source ? { file: source.file } : { env: source.env };
  return { name: e.name, secretRef: { secret: ref.name, key: ref.key, source: copy, ...(ref.optional ? { optional: true as const } : {}) } };
}

/**
 * The container's probes with Kubernetes defaults filled in and named ports resolved to the
 * container's port numbers; undefined when it has none (so `probes` stays out of the
 * template); the port name when a named port is not among the container's ports.
 */
function normalizeProbes(container: Container): Probes | undefined | string {
  const out: { -readonly [K in keyof Probes]: ProbeSpec } = {};
  const kinds = [
    ['readiness', container.readinessProbe],
    ['liveness', container.livenessProbe],
    ['startup', container.startupProbe],
  ] as const;
  for (const [kind, probe] of kinds) {
    if (!probe) continue;
    const action = probeAction(probe, container);
    if (typeof action === 'string') return action;
    out[kind] = {
      action,
      initialDelaySeconds: probe.initialDelaySeconds ?? PROBE_DEFAULTS.initialDelaySeconds,
      periodSeconds: probe.periodSeconds ?? PROBE_DEFAULTS.periodSeconds,
      timeoutSeconds: probe.timeoutSeconds ?? PROBE_DEFAULTS.timeoutSeconds,
      successThreshold: probe.successThreshold ?? PROBE_DEFAULTS.successThreshold,
      failureThreshold: probe.failureThreshold ?? PROBE_DEFAULTS.failureThreshold,
    };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The probe's one handler; a string = a named port the container does not have. */
function probeAction(probe: Probe, container: Container): ProbeAction | string {
  const port = (p: number | string): number | string => (typeof p === 'number' ? p : ((container.ports ?? []).find((x) => x.name === p)?.containerPort ?? p));
  if (probe.httpGet) {
    const resolved = port(probe.httpGet.port);
    if (typeof resolved === 'string') return resolved;
    return {
      kind: 'httpGet',
      path: probe.httpGet.path || PROBE_DEFAULTS.path, // Kubernetes defaults an empty path too
      port: resolved,
      scheme: probe.httpGet.scheme ?? PROBE_DEFAULTS.scheme,
      headers: (probe.httpGet.httpHeaders ?? []).map((h) => ({ name: h.name, value: h.value })),
    };
  }
  if (probe.tcpSocket) {
    const resolved = port(probe.tcpSocket.port);
    return typeof resolved === 'string' ? resolved : { kind: 'tcpSocket', port: resolved };
  }
  if (probe.grpc) return { kind: 'grpc', port: probe.grpc.port, service: probe.grpc.service ?? '' };
  return { kind: 'exec', command: [...(probe.exec?.command ?? [])] };
}

/**
 * The pod's and the container's securityContext (the container's fields win, as in
 * Kubernetes) and the host namespaces, reduced to what differs from a container without them;
 * undefined when nothing does.
 */
function normalizeSecurity(template: PodTemplateManifest, container: Container): SecuritySettings | undefined {
  const pod = template.spec.securityContext ?? {};
  const c = container.securityContext ?? {};
  const caps = (list: readonly string[] | undefined): string[] => [...new Set((list ?? []).map((n) => n.toUpperCase().replace(/^CAP_/, '')))].sort();
  const capAdd = caps(c.capabilities?.add);
  const capDrop = caps(c.capabilities?.drop);
  const runAsUser = c.runAsUser ?? pod.runAsUser;
  const runAsGroup = c.runAsGroup ?? pod.runAsGroup;
  const seccomp = c.seccompProfile?.type ?? pod.seccompProfile?.type;
  const fsGroup = template.spec.securityContext?.fsGroup;
  const out: { -readonly [K in keyof SecuritySettings]: SecuritySettings[K] } = {
    ...(c.privileged === true ? { privileged: true as const } : {}),
    ...(c.allowPrivilegeEscalation === false ? { noNewPrivileges: true as const } : {}),
    ...(capAdd.length > 0 ? { capAdd } : {}),
    ...(capDrop.length > 0 ? { capDrop } : {}),
    ...(runAsUser !== undefined ? { runAsUser } : {}),
    ...(runAsGroup !== undefined ? { runAsGroup } : {}),
    ...((c.runAsNonRoot ?? pod.runAsNonRoot) === true ? { runAsNonRoot: true as const } : {}),
    ...(c.readOnlyRootFilesystem === true ? { readOnlyRootFilesystem: true as const } : {}),
    ...(seccomp === 'Unconfined' ? { seccompUnconfined: true as const } : {}),
    ...(template.spec.hostNetwork === true ? { hostNetwork: true as const } : {}),
    ...(template.spec.hostPID === true ? { hostPID: true as const } : {}),
    ...(template.spec.hostIPC === true ? { hostIPC: true as const } : {}),
    ...(fsGroup !== undefined ? { fsGroup } : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The container's volume mounts with their volumes' sources, sorted by mountPath. A secret
 * volume lists one file per key (its `items`, else every key of the Secret) with the key's
 * host source, never a value; an optional volume whose Secret or key is not in Git leaves
 * those files out. A claim's volume is named by the claim (the engine name is the executor's).
 * A string = a mount or item the loader would have refused.
 */
function normalizeMounts(
  template: PodTemplateManifest,
  container: Container,
  secrets: SecretsByName,
  claims: ClaimsByName,
  configMaps: ConfigMapsByName,
): Mount[] | string {
  const volumes = new Map((template.spec.volumes ?? []).map((v) => [v.name, v]));
  const out: Mount[] = [];
  for (const m of container.volumeMounts ?? []) {
    const v = volumes.get(m.name);
    if (!v) return `volumeMount ${JSON.stringify(m.name)} names no volume of the pod`;
    const common = { volume: m.name, mountPath: m.mountPath, ...(m.subPath !== undefined ? { subPath: m.subPath } : {}) };
    if (v.hostPath) {
      out.push({ ...common, readOnly: m.readOnly === true, source: { kind: 'hostPath', path: v.hostPath.path, type: v.hostPath.type || 'DirectoryOrCreate' } });
    } else if (v.emptyDir) {
      const sizeBytes = v.emptyDir.sizeLimit === undefined ? undefined : parseMemory(v.emptyDir.sizeLimit);
      out.push({ ...common, readOnly: m.readOnly === true, source: { kind: 'emptyDir', ...(sizeBytes !== undefined ? { sizeBytes } : {}) } });
    } else if (v.secret) {
      const files = secretFiles(v.secret, secrets);
      if (typeof files === 'string') return files;
      out.push({ ...common, readOnly: true, source: { kind: 'secret', secret: v.secret.secretName, files } });
    } else if (v.persistentVolumeClaim) {
      const claim = claims.get(v.persistentVolumeClaim.claimName);
      if (!claim)
        return `persistentVolumeClaim volume: PersistentVolumeClaim ${JSON.stringify(v.persistentVolumeClaim.claimName)} is not defined in this namespace`;
      // Read-only when the mount or the volume says so, or the claim is ReadOnlyMany only.
      const readOnly = m.readOnly === true || v.persistentVolumeClaim.readOnly === true || isReadOnlyClaim(claim.spec.accessModes);
      out.push({ ...common, readOnly, source: { kind: 'persistentVolumeClaim', claim: claim.metadata.name } });
    } else if (v.configMap) {
      const files = configMapFiles(v.configMap, configMaps);
      if (typeof files === 'string') return files;
      out.push({ ...common, readOnly: true, source: { kind: 'configMap', configMap: v.configMap.name, files } });
    }
  }
  return out.sort((a, b) => (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0));
}

function secretFiles(volume: NonNullable<PodTemplateManifest['spec']['volumes']>[number]['secret'] & object, secrets: SecretsByName): SecretFile[] | string {
  const keys = secrets.get(volume.secretName)?.spec.keys;
  const optional = volume.optional === true;
  if (!keys) return optional ? [] : `secret volume: Secret ${JSON.stringify(volume.secretName)} is not defined in this namespace`;
  const defaultMode = volume.defaultMode ?? SECRET_VOLUME_DEFAULT_MODE;
  const wanted =
    volume.items ??
    Object.keys(keys)
      .sort()
      .filter((k) => !(k === '.' || k === '..' || k.startsWith('..')))
      .map((key) => ({ key, path: key, mode: undefined }));
  const files: SecretFile[] = [];
  for (const item of wanted) {
    const source = Object.hasOwn(keys, item.key) ? keys[item.key] : undefined;
    if (!source) {
      if (optional) continue;
      return `secret volume: Secret ${JSON.stringify(volume.secretName)} has no key ${JSON.stringify(item.key)}`;
    }
    files.push({
      path: item.path,
      secret: volume.secretName,
      key: item.key,
      source: 'file' in source ? { file: source.file } : { env: source.env },
      mode: item.mode ?? defaultMode,
      ...(optional ? { optional: true as const } : {}),
    });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * A configMap volume's files: its `items`, else every key of data and binaryData (sorted), each
 * with its mode. An optional volume whose ConfigMap or key is not in Git leaves those files out.
 */
function configMapFiles(
  volume: NonNullable<NonNullable<PodTemplateManifest['spec']['volumes']>[number]['configMap']>,
  configMaps: ConfigMapsByName,
): ConfigMapFile[] | string {
  const cm = configMaps.get(volume.name);
  const optional = volume.optional === true;
  if (!cm) return optional ? [] : `configMap volume: ConfigMap ${JSON.stringify(volume.name)} is not defined in this namespace`;
  const has = (key: string): boolean => Object.hasOwn(cm.content.data, key) || Object.hasOwn(cm.content.binaryData, key);
  const defaultMode = volume.defaultMode ?? CONFIGMAP_VOLUME_DEFAULT_MODE;
  const wanted =
    volume.items ?? [...Object.keys(cm.content.data), ...Object.keys(cm.content.binaryData)].sort().map((key) => ({ key, path: key, mode: undefined }));
  const files: ConfigMapFile[] = [];
  for (const item of wanted) {
    if (!has(item.key)) {
      if (optional) continue;
      return `configMap volume: ConfigMap ${JSON.stringify(volume.name)} has no key ${JSON.stringify(item.key)}`;
    }
    files.push({ path: item.path, key: item.key, mode: item.mode ?? defaultMode });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The ConfigMaps the template uses (env, envFrom, volumes — mounted or not, as Kubernetes
 * resolves every volume of a pod) → their content hashes; `absent` for an optional one not in
 * Git, so adding it later rolls too. Undefined when it uses none.
 */
/**
 * An init container, normalized as the app container is (env, mounts, security, limits), or the
 * problem and the field under `initContainers[i]` (a reference the loader would have refused).
 */
function normalizeInitContainer(
  template: PodTemplateManifest,
  container: Container,
  secrets: SecretsByName,
  claims: ClaimsByName,
  configMaps: ConfigMapsByName,
): InitContainer | { problem: string; field: string } {
  const env = envOf(container, secrets, configMaps);
  if (typeof env === 'string') return { problem: env, field: 'env' };
  const mounts = normalizeMounts(template, container, secrets, claims, configMaps);
  if (typeof mounts === 'string') return { problem: mounts, field: 'volumeMounts' };
  const security = normalizeSecurity(template, container);
  const limits = container.resources?.limits;
  const memoryBytes = limits?.memory === undefined ? undefined : parseMemory(limits.memory);
  const nanoCpus = limits?.cpu === undefined ? undefined : parseCpu(limits.cpu);
  return {
    name: container.name,
    image: container.image,
    ...(container.command ? { command: [...container.command] } : {}),
    ...(container.args ? { args: [...container.args] } : {}),
    ...(container.workingDir ? { workingDir: container.workingDir } : {}),
    env,
    ...(memoryBytes !== undefined ? { memoryBytes } : {}),
    ...(nanoCpus !== undefined ? { nanoCpus } : {}),
    ...(security ? { security } : {}),
    ...(mounts.length > 0 ? { mounts } : {}),
  };
}

/** An app container or sidecar of a Pod beside the first: an init container's fields plus its ports and probes. */
function normalizePodContainer(
  template: PodTemplateManifest,
  container: Container,
  secrets: SecretsByName,
  claims: ClaimsByName,
  configMaps: ConfigMapsByName,
): PodContainer | { problem: string; field: string } {
  const base = normalizeInitContainer(template, container, secrets, claims, configMaps);
  if ('problem' in base) return base;
  const probes = normalizeProbes(container);
  if (typeof probes === 'string') return { problem: `probe port ${JSON.stringify(probes)} names no port of the container`, field: 'ports' };
  return { ...base, ports: portsOf(container), ...(probes ? { probes } : {}) };
}

function portsOf(container: Container): PodTemplate['ports'] {
  return (container.ports ?? []).map((p) => ({
    containerPort: p.containerPort,
    protocol: p.protocol === 'UDP' ? ('udp' as const) : ('tcp' as const),
    ...(p.name ? { name: p.name } : {}),
    // Only when set: templates without a hostPort keep their revisions.
    ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}),
  }));
}

function usedConfigMaps(template: PodTemplateManifest, containers: readonly Container[], configMaps: ConfigMapsByName): Record<string, string> | undefined {
  const names = new Set<string>();
  for (const container of containers) {
    for (const e of container.env ?? []) if (e.valueFrom?.configMapKeyRef) names.add(e.valueFrom.configMapKeyRef.name);
    for (const f of container.envFrom ?? []) if (f.configMapRef) names.add(f.configMapRef.name);
  }
  for (const v of template.spec.volumes ?? []) if (v.configMap) names.add(v.configMap.name);
  if (names.size === 0) return undefined;
  return Object.fromEntries([...names].sort().map((n) => [n, configMaps.get(n)?.hash ?? CONFIGMAP_ABSENT]));
}

/** The content of the ConfigMaps whose keys the mounts write as files; undefined when none. */
function volumeConfigData(mounts: readonly Mount[], configMaps: ConfigMapsByName): Record<string, ConfigMapContent> | undefined {
  const out: Record<string, ConfigMapContent> = {};
  for (const m of mounts) {
    if (m.source.kind !== 'configMap') continue;
    const cm = configMaps.get(m.source.configMap);
    if (cm) out[cm.name] = cm.content;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The revision of a template: 10 hex characters of sha256 over its canonical JSON. */
export function templateRevision(template: PodTemplate): string {
  return hashOf(template, 10);
}

/** The app container's requests, parsed (cpu in cores, memory in bytes): present only when set (outside the revision). */
/** The Pod's requests: the sum over its app containers and sidecars of what each requests (a resource none requests stays out). */
function requestsOf(containers: readonly Container[]): { requests?: ResourceRequests } {
  const sum = (values: (number | undefined)[]) => (values.every((v) => v === undefined) ? undefined : values.reduce<number>((n, v) => n + (v ?? 0), 0));
  const cpu = sum(containers.map((c) => (c.resources?.requests?.cpu === undefined ? undefined : parseCpu(c.resources.requests.cpu))));
  const memory = sum(containers.map((c) => (c.resources?.requests?.memory === undefined ? undefined : parseMemory(c.resources.requests.memory))));
  if (cpu === undefined && memory === undefined) return {};
  return { requests: { ...(cpu !== undefined ? { cpu: cpu / 1e9 } : {}), ...(memory !== undefined ? { memory } : {}) } };
}

/**
 * A pod spec's placement rules as berth acts on them (core/placement.ts); nothing when it has none,
 * so templates without them keep their revisions.
 *   podAntiAffinity.required [{labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}]
 *     → { podAntiAffinity: [{ selector: {matchLabels: {app: web}}, topologyKey: 'kubernetes.io/hostname' }] }
 */
function placementOf(spec: PodTemplateManifest['spec']): { placement?: Placement } {
  const a = spec.affinity;
  // An absent labelSelector matches no pod (Kubernetes reads a null selector so): no `selector`.
  const term = (t: PodAffinityTermSpec): PodAntiAffinityTerm => ({
    ...(t.labelSelector ? { selector: selectorOf(t.labelSelector) } : {}),
    topologyKey: t.topologyKey,
    ...(t.namespaces && t.namespaces.length > 0 ? { namespaces: [...t.namespaces] } : {}),
  });
  const nodeAffinity = (a?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []).map((t) => ({
    ...(t.matchExpressions ? { matchExpressions: t.matchExpressions.map(requirementOf) } : {}),
    ...(t.matchFields ? { matchFields: t.matchFields.map(requirementOf) } : {}),
  }));
  const podAntiAffinity = (a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map(term);
  const preferredPodAntiAffinity = (a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p) => term(p.podAffinityTerm));
  const topologySpread = (spec.topologySpreadConstraints ?? []).map((c) => ({
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    hard: c.whenUnsatisfiable === 'DoNotSchedule',
    ...(c.labelSelector ? { selector: selectorOf(c.labelSelector) } : {}),
  }));
  const tolerated = downNodeToleration(spec.tolerations);
  const placement: Placement = {
    ...(tolerated ? { downNodeToleration: tolerated } : {}),
    ...(nodeAffinity.length > 0 ? { nodeAffinity } : {}),
    ...(podAntiAffinity.length > 0 ? { podAntiAffinity } : {}),
    ...(preferredPodAntiAffinity.length > 0 ? { preferredPodAntiAffinity } : {}),
    ...(topologySpread.length > 0 ? { topologySpread } : {}),
  };
  return Object.keys(placement).length > 0 ? { placement } : {};
}

function requirementOf(r: NodeRequirementSpec): NodeRequirement {
  return { key: r.key, operator: r.operator, ...(r.values && r.values.length > 0 ? { values: [...r.values] } : {}) };
}

function selectorOf(s: LabelSelectorSpec): LabelSelector {
  return {
    ...(s.matchLabels ? { matchLabels: { ...s.matchLabels } } : {}),
    ...(s.matchExpressions
      ? { matchExpressions: s.matchExpressions.map((e) => ({ key: e.key, operator: e.operator, ...(e.values ? { values: [...e.values] } : {}) })) }
      : {}),
  };
}

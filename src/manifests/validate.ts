import { ownValue, spreadOwn, type Diagnostic } from '../core/index.js';
import { claimFactsOf, claimUserOf, type ClaimFacts, type ClaimUser } from './claim-rules.js';
import type { ManifestDiagnosticCode } from './codes.js';
import { checkConfigMap, configMapKeysOf, configMapRefsOf, type ConfigMapKeys, type ConfigMapRefUse } from './configmap-rules.js';
import { checkDeployment } from './deployment-rules.js';
import { checkStatefulSet, claimTemplateNames, templateClaimsOf, type TemplateClaim } from './statefulset-rules.js';
import { checkIngress, ingressBackendsOf, type IngressBackendUse } from './ingress-rules.js';
import { hostPortsOf, type HostPortFact } from './host-port-rules.js';
import { checkIngressTimeouts } from './ingress-timeouts.js';
import { formatFieldPath, type FieldPath, type Position } from './locate.js';
import type { YamlDocument } from './parse.js';
import { positionsOf } from './positions.js';
import { parseMemory } from './quantity.js';
import { quotaBoundsOf, quotaDemandOf, type QuotaBound, type QuotaDemand } from './quota-rules.js';
import { mapSchemaErrors } from './schema-errors.js';
import { IGNORED_KINDS, isIgnoredKind, isKnownKind, KNOWN_KINDS, validatorFor } from './schemas.js';
import { checkSecret, hidesValues, secretKeyRefsOf, type SecretKeyRefUse } from './secret-rules.js';
import { checkNetworkPolicy } from './network-policy-rules.js';
import { checkAutoscaler } from './hpa-rules.js';
import { checkService, servicePortsOf, type ServicePortFact, type ServiceSpecInput } from './service-rules.js';
import { readOctalModes } from './volume-rules.js';
import type {
  ConfigMapManifest,
  HorizontalPodAutoscalerManifest,
  NetworkPolicyManifest,
  DeploymentSpec,
  IngressManifest,
  Manifest,
  ObjectMeta,
  PersistentVolumeClaimManifest,
  ResourceQuotaManifest,
  SecretManifest,
  StatefulSetSpec,
} from './types.js';

/** A validated object before it is placed in a file: everything but `source`. */
export type ManifestBody = Manifest extends infer M ? (M extends Manifest ? Omit<M, 'source'> : never) : never;

/**
 * One YAML document, validated. Depends only on the document (not on the file's path or
 * folder), so it is cached with the file's blob. Positions are kept for the few fields the
 * folder-level checks need, so the YAML nodes can be dropped.
 */
export interface ValidatedDocument {
  readonly index: number;
  readonly line: number;
  /** The document's kind, apiVersion and names when it states them as strings, valid or not. */
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly nameAt?: Position;
  readonly namespaceAt?: Position;
  /** Present exactly when the document has no errors. Ignored fields are removed. */
  readonly body?: ManifestBody;
  /** A valid Secret's keys (sorted), for the folder-level secretKeyRef check. */
  readonly secretKeys?: readonly string[];
  /** A valid Deployment's env[].valueFrom.secretKeyRefs, with their positions. */
  readonly secretKeyRefs?: readonly SecretKeyRefUse[];
  /** A valid ConfigMap's keys, for the folder-level configMap reference check. */
  readonly configMapKeys?: ConfigMapKeys;
  /** A valid Deployment's uses of ConfigMaps (env, envFrom, volumes), with their positions. */
  readonly configMapRefs?: readonly ConfigMapRefUse[];
  /** A valid Deployment's hostPorts, for the folder-level port check. */
  readonly hostPorts?: readonly HostPortFact[];
  /** A valid Service's ports, for the folder-level listen-port and Ingress backend checks. */
  readonly servicePorts?: readonly ServicePortFact[];
  /** A valid Ingress's backends, with their positions. */
  readonly ingressBackends?: readonly IngressBackendUse[];
  /** A valid ResourceQuota's bounds, parsed, with their positions. */
  readonly quotaBounds?: readonly QuotaBound[];
  /** A valid Deployment's replicas and limits, for the folder-level quota check. */
  readonly quotaDemand?: QuotaDemand;
  /** A valid PersistentVolumeClaim's access modes and storage request. */
  readonly claim?: ClaimFacts;
  /** A valid Deployment's persistentVolumeClaim volumes (absent: none). */
  readonly claimUser?: ClaimUser;
  /** A valid StatefulSet's claims from its volumeClaimTemplates, one per template per ordinal (quotas count them as claims). */
  readonly templateClaims?: readonly TemplateClaim[];
  /** File-less diagnostics (errors and warnings) of this document. */
  readonly diagnostics: readonly Diagnostic[];
}

const SUPPORTED = Object.entries(KNOWN_KINDS)
  .map(([kind, k]) => `${kind} (${k.apiVersion})`)
  .join(', ');

/** `lineText(line)`: the 1-based line of the file the document is in (for the few rules that read raw text). */
export function validateDocument(doc: YamlDocument, lineText: (line: number) => string | undefined = () => undefined): ValidatedDocument {
  const diagnostics: Diagnostic[] = [];
  const locate = (path: FieldPath): Position => doc.locate(path);
  const emit = (severity: Diagnostic['severity'], code: ManifestDiagnosticCode, path: FieldPath, message: string): void => {
    diagnostics.push({ severity, code, message, document: doc.index, ...(path.length > 0 ? { field: formatFieldPath(path) } : {}), ...locate(path) });
  };
  const value = withoutKubectlDefaults(doc.value);
  const base = { index: doc.index, line: doc.line, diagnostics };
  if (!isPlainObject(value)) {
    emit(
      'error',
      'NOT_A_MAPPING',
      [],
      `a manifest must be a mapping with apiVersion, kind, metadata; got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`}`,
    );
    return base;
  }

  const identity = identityOf(value, locate);
  const { kind, apiVersion } = value;
  if (typeof kind !== 'string' || kind === '') {
    emit(
      'error',
      kind === undefined ? 'MISSING_KIND' : 'INVALID_VALUE',
      ['kind'],
      kind === undefined ? `missing "kind"; supported kinds: ${SUPPORTED}` : `kind must be a string; supported kinds: ${SUPPORTED}`,
    );
    return { ...base, ...identity };
  }
  if (isIgnoredKind(kind) && apiVersion === IGNORED_KINDS[kind].apiVersion) {
    emit('warning', 'IGNORED_KIND', ['kind'], `ignored by berth: a ${kind}: ${IGNORED_KINDS[kind].why}`);
    return { ...base, ...identity };
  }
  if (!isKnownKind(kind)) {
    emit('error', 'UNKNOWN_KIND', ['kind'], `kind ${JSON.stringify(kind)} is not supported by berth; supported kinds: ${SUPPORTED}`);
    return { ...base, ...identity };
  }
  const expected = KNOWN_KINDS[kind].apiVersion;
  if (apiVersion !== expected) {
    emit(
      'error',
      apiVersion === undefined ? 'MISSING_KIND' : 'WRONG_API_VERSION',
      ['apiVersion'],
      apiVersion === undefined
        ? `missing "apiVersion"; a ${kind} is apiVersion ${JSON.stringify(expected)}`
        : `a ${kind} must be apiVersion ${JSON.stringify(expected)}, got ${JSON.stringify(apiVersion)}`,
    );
    return { ...base, ...identity };
  }

  const workload = kind === 'Deployment' || kind === 'StatefulSet';
  if (workload) readOctalModes(value, locate, lineText);
  const validate = validatorFor(kind);
  let ignored: FieldPath[] = [];
  if (!validate(value)) {
    const mapped = mapSchemaErrors(validate.errors ?? [], value, doc.index, locate, (path) => hidesValues(kind, path));
    diagnostics.push(...mapped.diagnostics);
    ignored = mapped.ignored;
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { ...base, ...identity };

  if (kind === 'Deployment') checkDeployment(value['spec'] as DeploymentSpec, emit);
  if (kind === 'StatefulSet') {
    const spec = value['spec'] as StatefulSetSpec;
    checkDeployment(spec, emit, claimTemplateNames(spec));
    checkStatefulSet(value['metadata'] as ObjectMeta, spec, emit);
  }
  if (kind === 'Secret') checkSecret(value as unknown as SecretManifest, emit);
  if (kind === 'Service') ignored = [...ignored, ...checkService(value['spec'] as ServiceSpecInput, emit)];
  if (kind === 'Ingress') {
    checkIngress(value['spec'] as IngressManifest['spec'], emit);
    checkIngressTimeouts(value['metadata'] as ObjectMeta | undefined, emit);
  }
  if (kind === 'ConfigMap') checkConfigMap(value as unknown as ConfigMapManifest, emit);
  if (kind === 'NetworkPolicy') checkNetworkPolicy(value['spec'] as NetworkPolicyManifest['spec'], emit);
  if (kind === 'HorizontalPodAutoscaler') checkAutoscaler(value['spec'] as HorizontalPodAutoscalerManifest['spec'], emit);
  if (diagnostics.some((d) => d.severity === 'error')) return { ...base, ...identity };

  // Facts first: `locate` of the fast YAML path finds a key by its index in the value, so a
  // field removed before would shift the positions of the keys after it.
  const facts =
    kind === 'Secret'
      ? { secretKeys: Object.keys((value as unknown as SecretManifest).spec.keys).sort() }
      : workload
        ? {
            secretKeyRefs: secretKeyRefsOf(value['spec'] as DeploymentSpec, locate),
            ...nonEmpty('configMapRefs', configMapRefsOf(value['spec'] as DeploymentSpec, locate)),
            quotaDemand: quotaDemandOf(value['spec'] as DeploymentSpec, locate),
            hostPorts: hostPortsOf(value['spec'] as DeploymentSpec, locate),
            ...claimUserFact(value['spec'] as DeploymentSpec, locate, kind === 'StatefulSet'),
            ...(kind === 'StatefulSet'
              ? nonEmpty('templateClaims', templateClaimsOf(value['metadata'] as ObjectMeta, value['spec'] as StatefulSetSpec, locate, parseMemory))
              : {}),
          }
        : kind === 'Service'
          ? { servicePorts: servicePortsOf(value['spec'] as ServiceSpecInput, locate) }
          : kind === 'Ingress'
            ? { ingressBackends: ingressBackendsOf(value['spec'] as IngressManifest['spec'], locate) }
            : kind === 'ResourceQuota'
              ? { quotaBounds: quotaBoundsOf(value['spec'] as ResourceQuotaManifest['spec'], locate) }
              : kind === 'PersistentVolumeClaim'
                ? { claim: claimFactsOf(value['spec'] as PersistentVolumeClaimManifest['spec'], locate, parseMemory) }
                : kind === 'ConfigMap'
                  ? { configMapKeys: configMapKeysOf(value as unknown as ConfigMapManifest) }
                  : {};
  const positions = positionsOf(kind, value, locate);
  for (const path of ignored) removeAt(value, path);
  if (positions) value['positions'] = positions;
  return spreadOwn<ValidatedDocument>(base, identity, facts, { body: value as unknown as ManifestBody });
}

/**
 * `kubectl create … --dry-run=client -o yaml` writes fields that say "nothing": `metadata.creationTimestamp:
 * null` (also in a pod template), `status: {}` (a Service's and an Ingress's `status: { loadBalancer: {} }`).
 * They are dropped before validation, so such output validates and plans as it is; any other value of
 * these fields is still refused by the schemas. Copy on write: the parsed value is never changed, so
 * the positions of the YAML nodes (looked up by key order in it) stay right.
 */
export function withoutKubectlDefaults(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  let out = value;
  const without = (holder: Record<string, unknown>, key: string): Record<string, unknown> => {
    const { [key]: _dropped, ...rest } = holder;
    return rest;
  };
  if (isPlainObject(out['metadata']) && out['metadata']['creationTimestamp'] === null)
    out = { ...out, metadata: without(out['metadata'], 'creationTimestamp') };
  if (isEmptyStatus(out['status'])) out = without(out, 'status');
  const spec = out['spec'];
  const template = isPlainObject(spec) ? spec['template'] : undefined;
  if (isPlainObject(spec) && isPlainObject(template) && isPlainObject(template['metadata']) && template['metadata']['creationTimestamp'] === null) {
    out = { ...out, spec: { ...spec, template: { ...template, metadata: without(template['metadata'], 'creationTimestamp') } } };
  }
  return out;
}

/** `{}`, or `{ loadBalancer: {} }` (a Service's or an Ingress's, as kubectl writes it). */
function isEmptyStatus(status: unknown): boolean {
  if (!isPlainObject(status)) return false;
  const keys = Object.keys(status);
  return keys.length === 0 || (keys.length === 1 && isPlainObject(status['loadBalancer']) && Object.keys(status['loadBalancer']).length === 0);
}

function claimUserFact(spec: DeploymentSpec, locate: (path: FieldPath) => Position, stateful: boolean): { claimUser?: ClaimUser } {
  const user = claimUserOf(spec, locate, stateful);
  return user ? { claimUser: user } : {};
}

function identityOf(value: Record<string, unknown>, locate: (path: FieldPath) => Position): Partial<ValidatedDocument> {
  const out: { -readonly [K in keyof ValidatedDocument]?: ValidatedDocument[K] } = {};
  if (typeof value['kind'] === 'string') out.kind = value['kind'];
  const metadata = value['metadata'];
  if (isPlainObject(metadata)) {
    if (typeof metadata['name'] === 'string') {
      out.name = metadata['name'];
      out.nameAt = locate(['metadata', 'name']);
    }
    if (typeof metadata['namespace'] === 'string') {
      out.namespace = metadata['namespace'];
      out.namespaceAt = locate(['metadata', 'namespace']);
    }
  }
  return out;
}

/** `{ [key]: list }`, or nothing for an empty list (most Deployments use no ConfigMap: 10k of them keep no empty arrays). */
function nonEmpty<K extends string, T>(key: K, list: readonly T[]): { [P in K]?: readonly T[] } {
  return (list.length > 0 ? { [key]: list } : {}) as { [P in K]?: readonly T[] };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Deletes the field at `path` (its parent must exist). */
function removeAt(root: unknown, path: FieldPath): void {
  let parent: unknown = root;
  for (const segment of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return;
    parent = typeof segment === 'number' ? (parent as unknown[])[segment] : ownValue(parent as Record<string, unknown>, segment);
  }
  const last = path[path.length - 1];
  if (last !== undefined && parent !== null && typeof parent === 'object') delete (parent as Record<string | number, unknown>)[last];
}

import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import configMapSchema from '../../schemas/configmap.json' with { type: 'json' };
import deploymentSchema from '../../schemas/deployment.json' with { type: 'json' };
import horizontalPodAutoscalerSchema from '../../schemas/horizontalpodautoscaler.json' with { type: 'json' };
import ingressSchema from '../../schemas/ingress.json' with { type: 'json' };
import namespaceSchema from '../../schemas/namespace.json' with { type: 'json' };
import networkPolicySchema from '../../schemas/networkpolicy.json' with { type: 'json' };
import persistentVolumeClaimSchema from '../../schemas/persistentvolumeclaim.json' with { type: 'json' };
import resourceQuotaSchema from '../../schemas/resourcequota.json' with { type: 'json' };
import secretSchema from '../../schemas/secret.json' with { type: 'json' };
import serviceSchema from '../../schemas/service.json' with { type: 'json' };
import statefulSetSchema from '../../schemas/statefulset.json' with { type: 'json' };
import { quantityProblem, type QuantityKind } from './quantity.js';

/**
 * The kinds berth accepts and their JSON Schemas (schemas/<kind>.json, shared with editors
 * through `# yaml-language-server: $schema=…`). The schemas speak standard draft-07 plus four
 * `x-berth-*` keywords that editors ignore and ajv understands:
 *
 *  - `x-berth-unsupported: "<what>"` next to `not: {}`: a Kubernetes field berth cannot honour
 *    yet. The `not` makes it an error for editors and ajv; the text says what is missing.
 *  - `x-berth-ignored: "<why>"`: a scheduling-only field, meaningless on one host. A keyword
 *    that always "fails" so ajv reports where it is; the mapper turns that into a warning and
 *    the validator removes the field, so nothing downstream can depend on it.
 *  - `x-berth-quantity: "cpu" | "memory" | "cpu-limit" | "memory-limit" | "count" | "number"`: a Kubernetes quantity,
 *    checked with quantity.ts (limits also against Docker's minimums).
 *  - `x-berth-messages: { <keyword>: "<message>" }`: a person-friendly message for a failing
 *    keyword of the same schema object (a pattern, a oneOf).
 *
 * ajv compiles every schema once, on first use, for the life of the process.
 */
export const KNOWN_KINDS = {
  Namespace: { apiVersion: 'v1', schema: namespaceSchema },
  Deployment: { apiVersion: 'apps/v1', schema: deploymentSchema },
  Secret: { apiVersion: 'v1', schema: secretSchema },
  Service: { apiVersion: 'v1', schema: serviceSchema },
  Ingress: { apiVersion: 'networking.k8s.io/v1', schema: ingressSchema },
  ResourceQuota: { apiVersion: 'v1', schema: resourceQuotaSchema },
  PersistentVolumeClaim: { apiVersion: 'v1', schema: persistentVolumeClaimSchema },
  ConfigMap: { apiVersion: 'v1', schema: configMapSchema },
  NetworkPolicy: { apiVersion: 'networking.k8s.io/v1', schema: networkPolicySchema },
  HorizontalPodAutoscaler: { apiVersion: 'autoscaling/v2', schema: horizontalPodAutoscalerSchema },
  StatefulSet: { apiVersion: 'apps/v1', schema: statefulSetSchema },
} as const;

/**
 * Kinds berth accepts and ignores, with a warning that says why (as for a scheduling-only
 * field): they mean nothing on one Docker host, and a repository written for Kubernetes holds
 * them beside the objects berth runs. Nothing downstream sees them.
 */
export const IGNORED_KINDS = {
  ServiceAccount: { apiVersion: 'v1', why: 'there is no Kubernetes API, so no service account for a pod to run as (serviceAccountName is ignored too)' },
} as const;

export type IgnoredKind = keyof typeof IGNORED_KINDS;

export function isIgnoredKind(kind: string): kind is IgnoredKind {
  return Object.hasOwn(IGNORED_KINDS, kind);
}

export type KnownKind = keyof typeof KNOWN_KINDS;

/** The kinds berth accepts, for people and tools: kind, apiVersion, and the `$id` of its JSON Schema. */
export const SUPPORTED_KINDS: readonly { readonly kind: KnownKind; readonly apiVersion: string; readonly schemaId: string }[] = Object.entries(KNOWN_KINDS).map(
  ([kind, k]) => ({
    kind: kind as KnownKind,
    apiVersion: k.apiVersion,
    schemaId: k.schema.$id,
  }),
);

export function isKnownKind(kind: string): kind is KnownKind {
  return Object.hasOwn(KNOWN_KINDS, kind);
}

export type SchemaError = ErrorObject;

let validators: Readonly<Record<KnownKind, ValidateFunction>> | undefined;

/** The compiled validator of `kind` (compiling all kinds on the first call). */
export function validatorFor(kind: KnownKind): ValidateFunction {
  validators ??= compileAll();
  return validators[kind];
}

function compileAll(): Record<KnownKind, ValidateFunction> {
  const ajv = new AjvModule.default({
    allErrors: true, // every problem in one pass, not the first only
    verbose: true, // errors carry `parentSchema` (for x-berth-messages / x-berth-unsupported) and `data`
    strict: true,
    strictRequired: false, // oneOf branches name properties declared by their parent (probe handlers)
    allowUnionTypes: true, // `type: [string, number]` for quantities
    messages: true,
  });
  ajv.addVocabulary(['x-berth-unsupported', 'x-berth-messages']);
  ajv.addKeyword({
    keyword: 'x-berth-ignored',
    schemaType: 'string',
    // Reports the field's presence; the error mapper turns it into a warning.
    validate: () => false,
    errors: false,
  });
  ajv.addKeyword({
    keyword: 'x-berth-quantity',
    schemaType: 'string',
    validate: (kind: QuantityKind, data: unknown) => quantityProblem(kind, data) === undefined,
    errors: false,
  });
  return {
    Namespace: ajv.compile(namespaceSchema),
    Deployment: ajv.compile(deploymentSchema),
    Secret: ajv.compile(secretSchema),
    Service: ajv.compile(serviceSchema),
    Ingress: ajv.compile(ingressSchema),
    ResourceQuota: ajv.compile(resourceQuotaSchema),
    PersistentVolumeClaim: ajv.compile(persistentVolumeClaimSchema),
    ConfigMap: ajv.compile(configMapSchema),
    NetworkPolicy: ajv.compile(networkPolicySchema),
    HorizontalPodAutoscaler: ajv.compile(horizontalPodAutoscalerSchema),
    // Last: it refers to the Deployment's pod template and the claim's spec, which must be compiled (known to ajv) first.
    StatefulSet: ajv.compile(statefulSetSchema),
  };
}

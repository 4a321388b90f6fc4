import type { Diagnostic } from '../core/index.js';
import type { Emit } from './deployment-rules.js';
import { formatFieldPath, type FieldPath, type Position } from './locate.js';
import { podContainers, type ConfigMapManifest, type DeploymentSpec, type SourceLocation } from './types.js';

/**
 * ConfigMap rules a JSON Schema cannot say (Kubernetes' own validation: one key names one value,
 * the values add up to at most 1 MiB, binaryData is strict base64), and the facts the
 * folder-level check needs: which keys a ConfigMap holds, which references a Deployment makes
 * and where they are written.
 */

/**
 * An environment variable name as the Deployment schema accepts it (Kubernetes' relaxed rule
 * since 1.32: printable ASCII except '='). A ConfigMap or Secret key with an envFrom prefix
 * always is one (keys are `[-._a-zA-Z0-9]+`); kept as the one place the rule is spelled.
 */
export const ENV_VAR_NAME = /^[ -<>-~]+$/;

/** Kubernetes' limit on a ConfigMap's values (core.MaxSecretSize, which ConfigMaps share). */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024;

export function checkConfigMap(cm: Pick<ConfigMapManifest, 'data' | 'binaryData'>, emit: Emit): void {
  const data = cm.data ?? {};
  let total = 0;
  for (const value of Object.values(data)) total += utf8Length(value);
  for (const [key, value] of Object.entries(cm.binaryData ?? {})) {
    if (Object.hasOwn(data, key)) {
      emit('error', 'CONFIGMAP_DUPLICATE_KEY', ['binaryData', key], `key ${JSON.stringify(key)} is also in data: a key names one value (data or binaryData)`);
    }
    const size = base64Length(value);
    if (size === undefined)
      emit('error', 'INVALID_VALUE', ['binaryData', key], 'must be base64 with padding: its length without spaces must be a multiple of 4');
    else total += size;
  }
  if (total > CONFIGMAP_MAX_BYTES) {
    const at: FieldPath = cm.data && Object.keys(cm.data).length > 0 ? ['data'] : ['binaryData'];
    emit(
      'error',
      'CONFIGMAP_TOO_LARGE',
      at,
      `the values add up to ${total} bytes, more than 1 MiB (${CONFIGMAP_MAX_BYTES} bytes), Kubernetes' limit for a ConfigMap; split it`,
    );
  }
}

/** The keys of a valid ConfigMap, by where they are (env vars read `data` only). */
export interface ConfigMapKeys {
  readonly data: readonly string[];
  readonly binaryData: readonly string[];
}

export function configMapKeysOf(cm: Pick<ConfigMapManifest, 'data' | 'binaryData'>): ConfigMapKeys {
  return { data: Object.keys(cm.data ?? {}).sort(), binaryData: Object.keys(cm.binaryData ?? {}).sort() };
}

/**
 * One use of a ConfigMap by a Deployment, with the places the folder-level check points at:
 * an `env[].valueFrom.configMapKeyRef` (ConfigMap and a data key), an `envFrom[].configMapRef`
 * or a configMap volume (the ConfigMap only), or one of the volume's `items` (ConfigMap and a
 * key of data or binaryData).
 */
export interface ConfigMapRefUse {
  readonly configMap: string;
  readonly key?: string;
  /** Where the key must be: `data` for env vars, `any` (data or binaryData) for volume items. */
  readonly keyIn?: 'data' | 'any';
  readonly optional: boolean;
  /** Dotted path of the reference, e.g. `spec.template.spec.containers[0].env[1].valueFrom.configMapKeyRef`. */
  readonly field: string;
  /** A volume item: its volume reports a missing ConfigMap once. */
  readonly item?: true;
  readonly nameAt: Position;
  readonly keyAt: Position;
}

export function configMapRefsOf(spec: DeploymentSpec, locate: (path: FieldPath) => Position): ConfigMapRefUse[] {
  const out: ConfigMapRefUse[] = [];
  for (const { container, path: at } of podContainers(spec.template)) {
    (container.env ?? []).forEach((env, e) => {
      const ref = env.valueFrom?.configMapKeyRef;
      if (!ref) return;
      const refAt: FieldPath = [...at, 'env', e, 'valueFrom', 'configMapKeyRef'];
      out.push({
        configMap: ref.name,
        key: ref.key,
        keyIn: 'data',
        optional: ref.optional === true,
        field: formatFieldPath(refAt),
        nameAt: locate([...refAt, 'name']),
        keyAt: locate([...refAt, 'key']),
      });
    });
    (container.envFrom ?? []).forEach((from, f) => {
      if (!from.configMapRef) return;
      const refAt: FieldPath = [...at, 'envFrom', f, 'configMapRef'];
      const nameAt = locate([...refAt, 'name']);
      out.push({ configMap: from.configMapRef.name, optional: from.configMapRef.optional === true, field: formatFieldPath(refAt), nameAt, keyAt: nameAt });
    });
  }
  (spec.template.spec.volumes ?? []).forEach((volume, v) => {
    const cm = volume.configMap;
    if (!cm) return;
    const at: FieldPath = ['spec', 'template', 'spec', 'volumes', v, 'configMap'];
    const nameAt = locate([...at, 'name']);
    const optional = cm.optional === true;
    out.push({ configMap: cm.name, optional, field: formatFieldPath(at), nameAt, keyAt: nameAt });
    (cm.items ?? []).forEach((item, i) => {
      const itemAt: FieldPath = [...at, 'items', i];
      out.push({
        configMap: cm.name,
        key: item.key,
        keyIn: 'any',
        optional,
        field: formatFieldPath(itemAt),
        item: true,
        nameAt,
        keyAt: locate([...itemAt, 'key']),
      });
    });
  });
  return out;
}

/**
 * berth's answer to an `immutable: true` ConfigMap whose content changes in a later commit.
 * Kubernetes refuses the update. Refusing it here would need the commit berth runs, which a
 * pure load of one commit does not have, and `berth run` and `berth plan` must agree: so berth
 * applies it like any ConfigMap change (the Deployments that use it roll), and the pull-request
 * plan, which has both commits, warns on the head's ConfigMap.
 */
export function immutableConfigMapChanged(namespace: string, name: string, base: SourceLocation, head: SourceLocation): Diagnostic {
  return {
    severity: 'warning',
    code: 'CONFIGMAP_IMMUTABLE_CHANGED',
    file: head.file,
    line: head.line,
    document: head.document,
    namespace,
    field: 'data',
    message: `ConfigMap ${JSON.stringify(name)} is immutable: true in the base (${base.file}:${base.line}) and its content changes: Kubernetes would refuse this; berth rolls the Deployments that use it. To follow Kubernetes, give the new content a new name`,
  };
}

/** Bytes of `text` as UTF-8 (what Kubernetes counts), without allocating. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4; // a surrogate pair: one 4-byte character
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Decoded bytes of strict, padded base64 (whitespace ignored, as in a folded YAML block);
 * undefined when the length is not a multiple of 4. The schema has checked the alphabet.
 * Worked example: "aGk=" → 4 characters, one '=' → 3 − 1 = 2 bytes ("hi").
 */
export function base64Length(text: string): number | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0) return undefined;
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  return (compact.length / 4) * 3 - padding;
}

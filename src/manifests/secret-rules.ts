import type { Emit } from './deployment-rules.js';
import { formatFieldPath, type FieldPath, type Position } from './locate.js';
import { podContainers, type DeploymentSpec, type SecretManifest } from './types.js';

/**
 * Secret rules a JSON Schema cannot say, and the facts the folder-level check needs (which
 * keys a Secret declares, which secretKeyRefs a Deployment makes and where they are written).
 * A Secret holds references only; the schema refuses `data` and `stringData`.
 */

/** berth's own configuration and credentials (BERTH_API_TOKEN, BERTH_WEBHOOK_SECRET, BERTH_GIT_TOKEN, …) live in these variables. */
export const RESERVED_ENV = /^BERTH_/;

export function checkSecret(secret: Pick<SecretManifest, 'spec'>, emit: Emit): void {
  for (const [key, source] of Object.entries(secret.spec.keys)) {
    if ('env' in source && RESERVED_ENV.test(source.env)) {
      emit(
        'error',
        'INVALID_VALUE',
        ['spec', 'keys', key, 'env'],
        `BERTH_* variables are berth's own configuration and credentials (API token, webhook secret, Git token); a Secret cannot hand them to containers`,
      );
    }
  }
}

/**
 * One use of a Secret by a Deployment, with the places the folder-level check points at: an
 * `env[].valueFrom.secretKeyRef` (Secret and key), an `envFrom[].secretRef` (the Secret), a secret volume (the Secret; with no `items`
 * every key becomes a file, `allKeys`) or one of its `items` (Secret and key).
 */
export interface SecretKeyRefUse {
  readonly secret: string;
  /** Absent for a secret volume itself (it names only the Secret). */
  readonly key?: string;
  readonly optional: boolean;
  /** Dotted path of the reference, e.g. `spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef`, `spec.template.spec.volumes[0].secret.items[1]`. */
  readonly field: string;
  /** The field under `field` that names the Secret: `name` (secretKeyRef) or `secretName` (a volume). Default `name`. */
  readonly nameField?: string;
  readonly nameAt: Position;
  readonly keyAt: Position;
  /** A secret volume without items: every key of the Secret becomes a file named after it. */
  readonly allKeys?: true;
}

export function secretKeyRefsOf(spec: DeploymentSpec, locate: (path: FieldPath) => Position): SecretKeyRefUse[] {
  const out: SecretKeyRefUse[] = [];
  for (const { container, path } of podContainers(spec.template)) {
    (container.env ?? []).forEach((env, e) => {
      const ref = env.valueFrom?.secretKeyRef;
      if (!ref) return;
      const at: FieldPath = [...path, 'env', e, 'valueFrom', 'secretKeyRef'];
      out.push({
        secret: ref.name,
        key: ref.key,
        optional: ref.optional === true,
        field: formatFieldPath(at),
        nameAt: locate([...at, 'name']),
        keyAt: locate([...at, 'key']),
      });
    });
    (container.envFrom ?? []).forEach((from, f) => {
      if (!from.secretRef) return;
      const at: FieldPath = [...path, 'envFrom', f, 'secretRef'];
      const nameAt = locate([...at, 'name']);
      out.push({ secret: from.secretRef.name, optional: from.secretRef.optional === true, field: formatFieldPath(at), nameAt, keyAt: nameAt });
    });
  }
  (spec.template.spec.volumes ?? []).forEach((volume, v) => {
    const secret = volume.secret;
    if (!secret) return;
    const at: FieldPath = ['spec', 'template', 'spec', 'volumes', v, 'secret'];
    const nameAt = locate([...at, 'secretName']);
    const optional = secret.optional === true;
    out.push({
      secret: secret.secretName,
      optional,
      field: formatFieldPath(at),
      nameField: 'secretName',
      nameAt,
      keyAt: nameAt,
      ...(secret.items ? {} : { allKeys: true as const }),
    });
    (secret.items ?? []).forEach((item, i) => {
      const itemAt: FieldPath = [...at, 'items', i];
      // The Secret itself is checked once, by the use above: an item only checks its key.
      out.push({
        secret: secret.secretName,
        key: item.key,
        optional,
        field: formatFieldPath(itemAt),
        nameField: 'secretName',
        nameAt,
        keyAt: locate([...itemAt, 'key']),
      });
    });
  });
  return out;
}

/** A Secret key that cannot be a file name in a secret volume (Kubernetes refuses these keys too). */
export function isUnsafeFileKey(key: string): boolean {
  return key === '.' || key === '..' || key.startsWith('..');
}

/**
 * Validation messages may echo a value ("got string …"). Inside a Secret document or an env
 * entry that value could be a secret pasted in the wrong place, so there a message names only
 * the kind of value it got.
 */
export function hidesValues(kind: string, path: FieldPath): boolean {
  if (kind === 'Secret') return true;
  return path.some((segment, i) => segment === 'env' && typeof path[i + 1] === 'number');
}

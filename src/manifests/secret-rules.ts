import type { Emit } from './deployment-rules.js';
import { formatFieldPath, type FieldPath, type Position } from './locate.js';
import type { DeploymentSpec, SecretManifest } from './types.js';

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
      emit('error', 'INVALID_VALUE', ['spec', 'keys', key, 'env'], `BERTH_* variables are berth's own configuration and credentials (API token, webhook secret, Git token); a Secret cannot hand them to containers`);
    }
  }
}

/** One `env[].valueFrom.secretKeyRef` of a Deployment, with the places the folder-level check points at. */
export interface SecretKeyRefUse {
  readonly secret: string;
  readonly key: string;
  readonly optional: boolean;
  /** Dotted path of the secretKeyRef, e.g. `spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef`. */
  readonly field: string;
  readonly nameAt: Position;
  readonly keyAt: Position;
}

export function secretKeyRefsOf(spec: DeploymentSpec, locate: (path: FieldPath) => Position): SecretKeyRefUse[] {
  const out: SecretKeyRefUse[] = [];
  spec.template.spec.containers.forEach((container, c) => {
    (container.env ?? []).forEach((env, e) => {
      const ref = env.valueFrom?.secretKeyRef;
      if (!ref) return;
      const at: FieldPath = ['spec', 'template', 'spec', 'containers', c, 'env', e, 'valueFrom', 'secretKeyRef'];
      out.push({ secret: ref.name, key: ref.key, optional: ref.optional === true, field: formatFieldPath(at), nameAt: locate([...at, 'name']), keyAt: locate([...at, 'key']) });
    });
  });
  return out;
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

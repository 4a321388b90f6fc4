import type { SecretKeySource } from '../manifests/index.js';
import type { EnvEntry, SecretRef } from './types.js';

/** Is this env entry a reference to a Secret's key (and so holds no value)? */
export function isSecretEnv(entry: EnvEntry): entry is Extract<EnvEntry, { secretRef: SecretRef }> {
  return 'secretRef' in entry;
}

/** A host source as people read it: `file /etc/berth/secrets/db-password`, `env DB_PASSWORD`. */
export function describeSecretSource(source: SecretKeySource): string {
  return 'file' in source ? `file ${source.file}` : `env ${source.env}`;
}

/**
 * How plans and messages show a secret env var: the reference, never a value —
 * `secret db/password (file /etc/berth/secrets/db-password)`, with `, optional` when it is.
 */
export function describeSecretRef(ref: SecretRef): string {
  return `secret ${ref.secret}/${ref.key} (${describeSecretSource(ref.source)}${ref.optional ? ', optional' : ''})`;
}

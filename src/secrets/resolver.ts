import { BerthError } from '../core/index.js';
import { describeSecretSource, type SecretRef } from '../desired/index.js';

/** One Secret key a replica of a Deployment in `namespace` needs. */
export interface SecretLookup {
  readonly namespace: string;
  readonly ref: SecretRef;
}

/** The port: reads the value of one Secret key from wherever it lives, now. */
export interface SecretResolver {
  /**
   * The value. `undefined` only when the source does not exist (no such file, variable unset)
   * and the ref is optional: the env var is then left unset. Anything else that keeps the
   * value from being read throws `secretUnavailable(...)`.
   */
  resolve(lookup: SecretLookup): Promise<string | undefined>;
}

/** `Secret shop/db key "password" (file /etc/berth/secrets/db-password)`: names the source, never a value. */
export function describeSecretLookup(lookup: SecretLookup): string {
  const { namespace, ref } = lookup;
  return `Secret ${namespace}/${ref.secret} key ${JSON.stringify(ref.key)} (${describeSecretSource(ref.source)})`;
}

/**
 * The one error a resolver throws: `SECRET_UNAVAILABLE: Secret shop/db key "password" (file
 * /etc/berth/secrets/db-password): <reason>`. `reason` must not contain the value (say what is
 * wrong with the source: "no such file", "outside the allowed folders …", "unset"). No
 * `cause` is attached: an underlying error could carry bytes read.
 */
export function secretUnavailable(lookup: SecretLookup, reason: string): BerthError {
  const { namespace, ref } = lookup;
  return new BerthError('SECRET_UNAVAILABLE', `${describeSecretLookup(lookup)}: ${reason}`, {
    details: { namespace, secret: ref.secret, key: ref.key, source: ref.source },
  });
}

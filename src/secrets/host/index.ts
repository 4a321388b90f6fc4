/**
 * secrets/host: the SecretResolver that reads Secret values on the berth host — files inside
 * the operator's allow-list (BERTH_SECRET_DIRS, default /etc/berth/secrets) and environment
 * variables of the berth process. Constructed only by main.ts (and tests).
 *
 * Invariant: a value leaves this folder only as the return value of `resolve`; errors name the
 * Secret, key and source, never a byte read.
 */
export { createHostSecretResolver, parseSecretDirs, DEFAULT_SECRET_DIRS, MAX_SECRET_BYTES, type HostSecretResolverOptions } from './host-resolver.js';

/**
 * desired: ManifestSet → DesiredState. Pure. Owns Kubernetes defaults, template
 * normalization, `revision = hash(normalized template)` and deterministic engine names.
 * Invariant: the same manifests (whatever their formatting or key order) give the same
 * revisions; an invalid namespace is carried as `valid: false` with no deployments, so
 * nothing downstream can mistake it for "empty" and prune it. A template holds no secret
 * value: an env var from a Secret carries its reference (secret-ref.ts), resolved only when a
 * replica is created.
 */
export * from './types.js';
export * from './names.js';
export * from './normalize.js';
export * from './build.js';
export * from './secret-ref.js';

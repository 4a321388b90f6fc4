/**
 * desired: ManifestSet → DesiredState. Pure. Owns Kubernetes defaults, template
 * normalization (probes included, with their defaults and named ports resolved),
 * `revision = hash(normalized template)`, deterministic engine names, and the Services and
 * Ingresses the data plane serves (service.ts: listen ports, target ports, routes).
 * Invariant: the same manifests (whatever their formatting or key order) give the same
 * revisions; an invalid namespace is carried as `valid: false` with no deployments, services
 * or ingresses, so nothing downstream can mistake it for "empty" and prune it. A template holds no secret
 * value: an env var or a secret volume's file from a Secret carries its reference (secret-ref.ts),
 * resolved only when a replica is created. securityContext, host namespaces and volume mounts
 * enter the template only when a manifest asks for more than the defaults, so older templates
 * keep their revisions; whether they are allowed is the namespace policy's business (build.ts's
 * `policy` option; policy/).
 */
export * from './types.js';
export * from './names.js';
export * from './normalize.js';
export * from './service.js';
export * from './build.js';
export * from './secret-ref.js';
export * from './cluster-network.js';
export * from './cluster-ips.js';
export * from './autoscaler.js';
export * from './pod.js';
export * from './stateful.js';

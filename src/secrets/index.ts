/**
 * secrets: the port through which secret values enter berth — and the only one. A v1 Secret
 * in Git names where each value lives on the host (a file inside the operator's allow-list,
 * or an environment variable of the berth process); manifests, desired state, plans, status,
 * history and the API carry only that reference (desired's SecretRef). The rollout executor
 * asks a SecretResolver for the values just before it creates a replica and hands them to
 * the runtime driver in the ContainerSpec; nothing keeps them after that.
 *
 * Adapters live in sub-folders (host/: files and process variables) and are constructed only
 * by main.ts.
 *
 * Invariants:
 *  - A value is never logged, stored, rendered, put in an error message or hashed.
 *  - Errors are BerthError SECRET_UNAVAILABLE whose message names namespace, Secret, key and
 *    source (a path or a variable name, never a value).
 */
export * from './resolver.js';
export * from './redaction.js';

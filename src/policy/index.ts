/**
 * policy: which security-widening fields a namespace may use. Pure. Owns the Kubernetes Pod
 * Security Standards levels as berth applies them (levels.ts), the operator's ceiling
 * (operator.ts: `--max-pod-security`, `--host-path-allow`, `--allow-docker-socket`) and the
 * check of a namespace folder against both (check.ts), which returns located error
 * Diagnostics (file, line, field) with codes of its own (codes.ts).
 *
 * Invariants:
 *  - Default deny: a namespace without the `pod-security.kubernetes.io/enforce` label is at
 *    level restricted, and the operator's ceiling is restricted unless raised where berth is
 *    started. Nothing in Git can raise the ceiling.
 *  - A namespace asking for more than the ceiling, or holding any violation, is invalid as a
 *    whole (desired's `policy` option turns these errors into `valid: false`), so it is left
 *    exactly as it runs; `berth plan`, `validate`, `apply` and `run` apply the same check,
 *    so the dry run cannot lie.
 *  - hostPath only inside the operator's allow-list, at every level; the engine socket only
 *    at level privileged and when the operator allows it.
 */
export * from './levels.js';
export * from './operator.js';
export * from './codes.js';
export { checkNamespacePolicy, checkPod, namespacePolicy, type NamespaceLevel } from './check.js';

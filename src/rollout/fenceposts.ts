/**
 * The fencepost arithmetic (maxSurge / maxUnavailable, Kubernetes rounding) lives in plan,
 * which previews rollouts without importing rollout (the dependency rule); rollout re-exports
 * it so both compute the very same numbers.
 */
export { fenceposts, resolveIntOrPercent } from '../plan/index.js';

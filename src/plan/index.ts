/**
 * plan: the live plan's pieces and its text/JSON rendering. The plan itself is rendered from the
 * decision a pass takes (controller/live-plan.ts); here are the rules both read, so plan and run
 * never disagree: rollback pins (pins.ts), HPA replica counts (autoscale.ts), the prune guard
 * (prune-guard.ts), volumes (volumes.ts), a namespace's actions around its workloads and a
 * workload's whole change (diff.ts). Pure. Invariants: an invalid namespace gets no actions; an
 * empty desired state never prunes; actions are ordered network → Deployments (by name) →
 * prunes → network removal. The Kubernetes fencepost arithmetic lives here (fenceposts.ts) so
 * the preview (preview/) and the rollout step compute the same numbers.
 */
export * from './types.js';
export * from './diff.js';
export * from './prune-guard.js';
export * from './volumes.js';
export * from './render.js';
export { fenceposts, resolveIntOrPercent } from './fenceposts.js';
export * from './pins.js';
export * from './autoscale.js';
export * from './stateful-refusal.js';
export * from './network.js';

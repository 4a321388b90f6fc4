/**
 * controller: turns triggers (poll schedule, engine events, API/CLI) into namespace keys on
 * a serialized per-namespace queue, and runs level-triggered passes (observe → plan the
 * next step → apply → write status). Invariants: one pass per namespace at a time; a pass
 * never depends on why it ran; invalid input or an unreachable source never deletes anything.
 */
export * from './controller.js';
export * from './reconcile.js';
export * from './desired-source.js';
export { runTargets } from './run-targets.js';
export { livePlan, type LivePlanOptions } from './live-plan.js';
export { DecisionMemo } from './decision-memo.js';
export * from './work-queue.js';
export * from './error-handling.js';
export { DEFAULT_AUTOSCALE_SYNC_MS } from './autoscaler.js';

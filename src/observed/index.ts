/**
 * observed: driver inventory → ObservedState grouped by namespace / Deployment / revision /
 * replica. Pure. Identity comes from berth's labels alone, so a restarted reconciler finds
 * everything it owns; an owned container with unusable labels is a "stray" (always removed).
 */
export * from './types.js';
export * from './observe.js';
export { ObserveMemo } from './observe-memo.js';
export * from './pods.js';
export * from './nodes.js';

/**
 * store: per-namespace status (lastAttemptedCommit apart from lastAppliedCommit, conditions),
 * the sync history, and the state-directory lock. Everything here is derivable again from Git
 * and the engine's labels, so a lost or torn file costs history, never correctness.
 */
export * from './types.js';
export * from './file-store.js';
export * from './lock.js';
export * from './atomic-file.js';

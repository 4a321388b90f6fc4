/**
 * store: per-namespace status (lastAttemptedCommit apart from lastAppliedCommit, conditions),
 * the sync history, the durable decisions (pins, holds, revision histories, prune
 * confirmations) and the state-directory lock. Status is derivable again from Git and the
 * engine's labels, so a lost or torn status file costs status, never correctness; the
 * decisions are not derivable, so each is also journalled (append-only, fsynced) and rebuilt
 * from the journal when the status file is unreadable.
 */
export * from './types.js';
export * from './file-store.js';
export * from './lock.js';
export * from './api-address.js';
export * from './atomic-file.js';

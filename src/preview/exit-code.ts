import { EXIT } from '../core/index.js';
import type { ChangeSet } from './change-set.js';

/**
 * The exit code of `berth plan --base --head` (codes from the one registry, core/exit-codes.ts):
 *   ok (0)       the head changes nothing relative to the base
 *   changes (1)  the head changes something (not a failure: a PR usually does)
 *   invalid (2)  the head cannot be applied as it is: it has validation errors or policy denials,
 *                or the prune guard refuses it outright (no namespaces at all)
 * A prune that only needs confirmation is a change (1): the comment says so.
 */
export type PlanExitCode = typeof EXIT.ok | typeof EXIT.changes | typeof EXIT.invalid;

export function hasChangeSetChanges(cs: ChangeSet): boolean {
  return cs.namespaces.some((n) => n.status !== 'unchanged');
}

export function planExitCode(cs: ChangeSet): PlanExitCode {
  if (cs.summary.errors > 0 || cs.summary.denials > 0 || cs.pruneGuard.verdict === 'refused') return EXIT.invalid;
  return hasChangeSetChanges(cs) ? EXIT.changes : EXIT.ok;
}

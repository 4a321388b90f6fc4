import type { ChangeSet } from './change-set.js';

/**
 * Exit codes of `berth plan --base --head`, as `flux diff` and `terraform plan
 * -detailed-exitcode` use them, so CI can tell "changes" from "broken":
 *   0  the head changes nothing relative to the base
 *   1  the head changes something (not a failure: a PR usually does)
 *   2  the head cannot be applied as it is: it has validation errors or policy denials, or
 *      the prune guard refuses it outright (no namespaces at all)
 * A prune that only needs confirmation is a change (1): the comment says so.
 * These agree with the CLI's EXIT registry (ok 0, changes 1, invalid 2).
 */
export const PLAN_EXIT = { noChanges: 0, changes: 1, errors: 2 } as const;

export type PlanExitCode = (typeof PLAN_EXIT)[keyof typeof PLAN_EXIT];

export function hasChangeSetChanges(cs: ChangeSet): boolean {
  return cs.namespaces.some((n) => n.status !== 'unchanged');
}

export function planExitCode(cs: ChangeSet): PlanExitCode {
  if (cs.summary.errors > 0 || cs.summary.denials > 0 || cs.pruneGuard.verdict === 'refused') return PLAN_EXIT.errors;
  return hasChangeSetChanges(cs) ? PLAN_EXIT.changes : PLAN_EXIT.noChanges;
}

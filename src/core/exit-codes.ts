/**
 * The one exit-code registry of every berth command (documented in README.md, "Exit codes").
 * In core because the pure preview decides a plan's code (preview/exit-code.ts) and the CLI every
 * other one; `berth plan --base --head` uses 0/1/2 as `flux diff` and `terraform plan
 * -detailed-exitcode` do, so CI can tell "changes" from "broken".
 *  0  success; for `plan`: no changes
 *  1  `plan` only: there are changes (not a failure: a PR usually has some); `rollout status
 *     --no-watch`: still in progress
 *  2  invalid input: some manifests are invalid or denied by policy, or the prune guard refuses
 *     the head outright (the rest was still planned/applied)
 *  3  operational failure: source or engine unreachable, apply did not converge in time, state locked
 *  4  usage error: unknown flag, bad value
 */
export const EXIT = { ok: 0, changes: 1, invalid: 2, failure: 3, usage: 4 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

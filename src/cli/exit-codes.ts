/**
 * Exit codes of every berth command (documented in README.md):
 *  0  success; for `plan`: no changes
 *  1  `plan` only: there are changes
 *  2  invalid input: some manifests are invalid (the rest was still planned/applied)
 *  3  operational failure: source or engine unreachable, apply did not converge in time, state locked
 *  4  usage error: unknown flag, bad value
 */
export const EXIT = { ok: 0, changes: 1, invalid: 2, failure: 3, usage: 4 } as const;

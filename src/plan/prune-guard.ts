import type { DesiredState } from '../desired/index.js';
import type { ObservedState } from '../observed/index.js';

/**
 * The prune guard on a live engine (DESIGN §6): a commit that would remove a whole namespace
 * berth runs, or more than half of the Deployments berth runs, prunes nothing until it is
 * confirmed; everything else in it still applies. A desired state with no namespaces at all
 * never prunes, confirmed or not (an empty or broken checkout must not delete everything).
 * Invalid namespaces prune nothing and count for nothing here.
 *
 * Confirmation is part of the commit, so it is reviewed with it: a trailer line
 * `Berth-Confirm-Prune: yes` in the commit message (see `isPruneConfirmed`). Or, for a commit
 * already pushed, `berth prune confirm` (`POST /api/v1/prune/confirm`), which the store records
 * for exactly that commit; the controller passes either as `confirmed`.
 *
 *   running 10 Deployments, the commit drops 6          → needs-confirmation (6 × 2 > 10)
 *   running 10, drops 5                                 → allowed (5 × 2 = 10, not more than half)
 *   running 10 in 3 namespaces, drops the namespace blog → needs-confirmation
 */
export interface LivePruneGuard {
  readonly verdict: 'no-prunes' | 'allowed' | 'confirmed' | 'needs-confirmation' | 'refused';
  /** True when prunes must wait: verdict needs-confirmation or refused. */
  readonly holds: boolean;
  /** Namespaces the commit removes while berth runs something in them. */
  readonly removedNamespaces: readonly string[];
  /** Deployments the commit would prune (`namespace/name`). */
  readonly prunedDeployments: readonly string[];
  readonly running: number;
  /** One sentence each; empty unless the guard holds or was confirmed. */
  readonly reasons: readonly string[];
}

export const CONFIRM_TRAILER = 'Berth-Confirm-Prune';

/** True when the commit message carries the trailer `Berth-Confirm-Prune: yes` (or true). */
export function isPruneConfirmed(commitMessage: string): boolean {
  return /^berth-confirm-prune:\s*(yes|true)\s*$/im.test(commitMessage);
}

export function guardLivePrunes(desired: DesiredState, observed: ObservedState, confirmed: boolean): LivePruneGuard {
  const desiredByName = new Map(desired.namespaces.map((n) => [n.name, n]));
  let running = 0;
  const removedNamespaces: string[] = [];
  const prunedDeployments: string[] = [];
  for (const ns of observed.namespaces) {
    const live = ns.deployments.filter((d) => d.replicas.length > 0);
    running += live.length;
    const d = desiredByName.get(ns.name);
    if (d && !d.valid) continue;
    if (!d) {
      if (live.length > 0) removedNamespaces.push(ns.name);
      prunedDeployments.push(...live.map((x) => `${ns.name}/${x.name}`));
      continue;
    }
    const names = new Set(d.deployments.map((x) => x.name));
    prunedDeployments.push(...live.filter((x) => !names.has(x.name)).map((x) => `${ns.name}/${x.name}`));
  }
  const base = { removedNamespaces, prunedDeployments, running };
  if (desired.namespaces.length === 0 && running > 0) {
    return { verdict: 'refused', holds: true, ...base, reasons: ['the commit holds no namespaces at all: berth never prunes everything it runs'] };
  }
  const reasons: string[] = [];
  for (const ns of removedNamespaces) reasons.push(`the commit removes namespace ${ns}`);
  if (prunedDeployments.length * 2 > running) reasons.push(`the commit prunes ${prunedDeployments.length} of the ${running} Deployments berth runs (more than half)`);
  if (reasons.length === 0) return { verdict: prunedDeployments.length > 0 ? 'allowed' : 'no-prunes', holds: false, ...base, reasons };
  if (confirmed) return { verdict: 'confirmed', holds: false, ...base, reasons };
  return { verdict: 'needs-confirmation', holds: true, ...base, reasons };
}

/** The sentence status, logs and plans show when the guard holds. */
export function describeHold(guard: LivePruneGuard): string {
  const how = guard.verdict === 'refused' ? '' : `; to go ahead, commit again with the trailer "${CONFIRM_TRAILER}: yes" in the message, or confirm this commit with \`berth prune confirm\``;
  return `prune guard: ${guard.reasons.join('; ')}: nothing is pruned${how}`;
}

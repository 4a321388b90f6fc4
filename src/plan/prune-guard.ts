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

/** What the prune rule looks at, counted by its caller (live: on the engine; preview: base → head). */
export interface PruneFacts {
  /** The new desired state holds no namespace at all. */
  readonly desiresNothing: boolean;
  /** Berth runs something (live), or the base declares something berth would run (preview). */
  readonly runsSomething: boolean;
  /** Deployments in scope: running (live) or declared in the base (preview). */
  readonly deployments: number;
  /** Of those, the Deployments pruned. */
  readonly pruned: number;
  /** Namespaces removed while they hold something berth runs (each one holds the prune). */
  readonly removedRunningNamespaces: number;
  /** Namespaces removed at all (an empty one is still a prune, an allowed one). */
  readonly removedNamespaces: number;
}

/**
 * THE prune rule (DESIGN §6), on counts, for the live guard below and for the pull-request
 * preview (preview/compare.ts): the callers count and word the reasons, this decides.
 *  - refused: the new desired state has no namespaces while something runs;
 *  - needs-confirmation: a namespace that runs something is removed, or more than half of
 *    the Deployments are pruned (`moreThanHalf`);
 *  - allowed: something is pruned, none of the above; no-prunes: nothing is.
 *
 *   deployments 10, pruned 6, no namespace removed  → needs-confirmation (6 × 2 > 10)
 *   deployments 10, pruned 5                        → allowed (5 × 2 = 10, not more than half)
 *   deployments 0, one empty namespace removed      → allowed
 */
export function judgePrunes(f: PruneFacts): { readonly verdict: 'no-prunes' | 'allowed' | 'needs-confirmation' | 'refused'; readonly moreThanHalf: boolean } {
  const moreThanHalf = f.pruned > 0 && f.pruned * 2 > f.deployments;
  if (f.desiresNothing && f.runsSomething) return { verdict: 'refused', moreThanHalf };
  if (f.removedRunningNamespaces > 0 || moreThanHalf) return { verdict: 'needs-confirmation', moreThanHalf };
  return { verdict: f.pruned > 0 || f.removedNamespaces > 0 ? 'allowed' : 'no-prunes', moreThanHalf };
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
  const judged = judgePrunes({
    desiresNothing: desired.namespaces.length === 0,
    runsSomething: running > 0,
    deployments: running,
    pruned: prunedDeployments.length,
    removedRunningNamespaces: removedNamespaces.length, // only namespaces with live replicas are listed
    removedNamespaces: removedNamespaces.length,
  });
  if (judged.verdict === 'refused') {
    return { verdict: 'refused', holds: true, ...base, reasons: ['the commit holds no namespaces at all: berth never prunes everything it runs'] };
  }
  if (judged.verdict !== 'needs-confirmation') return { verdict: judged.verdict, holds: false, ...base, reasons: [] };
  const reasons = removedNamespaces.map((ns) => `the commit removes namespace ${ns}`);
  if (judged.moreThanHalf) reasons.push(`the commit prunes ${prunedDeployments.length} of the ${running} Deployments berth runs (more than half)`);
  if (confirmed) return { verdict: 'confirmed', holds: false, ...base, reasons };
  return { verdict: 'needs-confirmation', holds: true, ...base, reasons };
}

/** The sentence status, logs and plans show when the guard holds. */
export function describeHold(guard: LivePruneGuard): string {
  const how =
    guard.verdict === 'refused'
      ? ''
      : `; to go ahead, commit again with the trailer "${CONFIRM_TRAILER}: yes" in the message, or confirm this commit with \`berth prune confirm\``;
  return `prune guard: ${guard.reasons.join('; ')}: nothing is pruned${how}`;
}

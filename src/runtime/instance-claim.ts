import { LABEL, type Labels } from './labels.js';

/**
 * One instance, one state directory. Two berths acting for the same `--instance` from two
 * state directories each take the other's objects for their own, and prune them: a second
 * `berth apply --instance X --state-dir B` beside `berth run --instance X --state-dir A` had its
 * namespace pruned by the running berth within 0.5 s (#15). The state-directory lock cannot see
 * that (two directories, two locks), so the instance is claimed on the engine itself: a small
 * berth-owned object (the driver's claim volume) whose labels name the state directory and host
 * that hold it. A driver opened with a claim checks it before its first change to the engine.
 *
 * The verdict, a pure function of the claim's labels and what is known about its holder:
 *  - ours (same state directory, same host) → `held`;
 *  - another state directory on this host that no longer exists → `stale`: taken over;
 *  - any other holder → `claimed` by it (berth refuses, naming it);
 *  - an object of that name berth does not own → `foreign` (never touched).
 */
export interface ClaimHolder {
  readonly stateDir: string;
  readonly host: string;
}

export type ClaimVerdict =
  | { readonly kind: 'held' }
  | { readonly kind: 'stale'; readonly holder: ClaimHolder }
  | { readonly kind: 'claimed'; readonly holder: ClaimHolder }
  | { readonly kind: 'foreign' };

export function judgeInstanceClaim(args: {
  readonly instance: string;
  readonly mine: ClaimHolder;
  /** The claim object's labels as the engine has them. */
  readonly labels: Labels | undefined;
  /** Whether a state directory of this host exists (only asked about another one on the same host). */
  readonly stateDirExists: (dir: string) => boolean;
}): ClaimVerdict {
  const { labels, mine } = args;
  if (labels?.[LABEL.managed] !== 'true' || (labels[LABEL.instance] ?? 'default') !== args.instance || labels[LABEL.kind] !== 'InstanceClaim')
    return { kind: 'foreign' };
  const holder = { stateDir: labels[LABEL.stateDir] ?? '', host: labels[LABEL.host] ?? '' };
  if (holder.stateDir === mine.stateDir && holder.host === mine.host) return { kind: 'held' };
  if (holder.host === mine.host && holder.stateDir !== '' && !args.stateDirExists(holder.stateDir)) return { kind: 'stale', holder };
  return { kind: 'claimed', holder };
}

/** The claim object's name: underscores, which no namespace (a DNS label) has, so it never meets a `<namespace>.<claim>` volume. */
export function claimVolumeName(instance: string): string {
  return `berth_instance_${instance}`;
}

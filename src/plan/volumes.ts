import type { DesiredNamespace, DesiredVolume } from '../desired/index.js';
import type { ObservedNamespace, ObservedVolume } from '../observed/index.js';

/**
 * What becomes of a namespace's PersistentVolumeClaim volumes (DESIGN §8: data survives every
 * rollout, rollback and restart, and is never deleted because it vanished from Git). Pure.
 *
 *   claim in Git, no volume                 → create (with the claim's storage class)
 *   claim in Git, volume exists             → bound (never changed: a changed storage class
 *                                             or size is reported, the volume kept as it is)
 *   volume, no claim in Git (or no folder)  → orphaned: kept, reported, until
 *       `berth volume delete NS/NAME`, or the commit berth is at carries the trailer
 *       `Berth-Confirm-Volume-Delete: NS/NAME`  → delete
 *   the folder is invalid at this commit    → nothing is decided (the namespace is left as it runs)
 *   a StatefulSet's ordinal volume, the StatefulSet in Git with fewer replicas
 *                                           → retained (whenScaled Retain, the default: mounted
 *                                             again on scale-up), or deleted (whenScaled Delete;
 *                                             the deletion waits while its replica still runs)
 *   … the StatefulSet removed from Git      → orphaned, as any claim's (whenDeleted is Retain on
 *                                             one host: data never goes because Git lost an object)
 *
 * Worked example: Git had claims data and logs in shop; a commit removes logs and its message
 * says `Berth-Confirm-Volume-Delete: shop/logs` → data bound, logs deleted. The next commit,
 * without the trailer, would have kept logs orphaned.
 */
export interface VolumePlan {
  readonly create: readonly DesiredVolume[];
  readonly bound: readonly { readonly desired: DesiredVolume; readonly observed: ObservedVolume; readonly drift?: string }[];
  /** Kept: no claim in Git names them, and no confirmation says to delete them. */
  readonly orphaned: readonly ObservedVolume[];
  /**
   * Volumes of a StatefulSet's ordinals it no longer has (scaled down) under whenScaled Retain
   * (the default): kept, not orphaned, and mounted again when it scales up.
   */
  readonly retained?: readonly ObservedVolume[];
  /** Orphaned, and the commit confirms their deletion by name. */
  readonly delete: readonly ObservedVolume[];
}

export const CONFIRM_VOLUME_DELETE_TRAILER = 'Berth-Confirm-Volume-Delete';

/**
 * The claims a commit message confirms deleting: every `Berth-Confirm-Volume-Delete: NS/NAME`
 * line (several names may share a line, separated by commas or spaces), as `NS/NAME`.
 */
export function confirmedVolumeDeletes(commitMessage: string): ReadonlySet<string> {
  const out = new Set<string>();
  for (const m of commitMessage.matchAll(/^berth-confirm-volume-delete:[ \t]*(.*)$/gim)) {
    for (const name of (m[1] ?? '').split(/[\s,]+/)) if (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) out.add(name);
  }
  return out;
}

export function planVolumes(
  namespace: string,
  desired: DesiredNamespace | undefined,
  observed: ObservedNamespace | undefined,
  confirmed: ReadonlySet<string> = new Set(),
): VolumePlan {
  if (desired && !desired.valid) return { create: [], bound: [], orphaned: [], delete: [] };
  const existing = new Map((observed?.volumes ?? []).map((v) => [v.name, v]));
  const claims = new Set((desired?.volumes ?? []).map((v) => v.name));
  const create: DesiredVolume[] = [];
  const bound: { desired: DesiredVolume; observed: ObservedVolume; drift?: string }[] = [];
  for (const d of desired?.volumes ?? []) {
    const o = existing.get(d.name);
    if (!o) create.push(d);
    else {
      const drift = driftOf(d, o);
      bound.push({ desired: d, observed: o, ...(drift ? { drift } : {}) });
    }
  }
  const orphaned: ObservedVolume[] = [];
  const deleted: ObservedVolume[] = [];
  const retained: ObservedVolume[] = [];
  const statefulSets = new Map((desired?.deployments ?? []).flatMap((d) => (d.stateful ? [[d.name, { replicas: d.replicas, ...d.stateful }] as const] : [])));
  for (const o of observed?.volumes ?? []) {
    if (claims.has(o.name)) continue;
    const owner = o.statefulSet && statefulSets.get(o.statefulSet.name);
    if (owner && o.statefulSet && owner.claimTemplates.some((t) => o.name.startsWith(`${t}-`))) {
      // An ordinal the StatefulSet still has keeps its volume whatever the policy; one it no longer has follows whenScaled.
      (o.statefulSet.ordinal < owner.replicas || owner.retention.whenScaled !== 'Delete' ? retained : deleted).push(o);
    } else (confirmed.has(`${namespace}/${o.name}`) ? deleted : orphaned).push(o);
  }
  return { create, bound, orphaned, delete: deleted, ...(retained.length > 0 ? { retained } : {}) };
}

/** What the claim says now that the volume, created earlier, does not reflect (it is never recreated for it). */
function driftOf(d: DesiredVolume, o: ObservedVolume): string | undefined {
  const parts: string[] = [];
  if ((d.storageClass ?? '') !== (o.storageClass ?? ''))
    parts.push(`storage class ${JSON.stringify(d.storageClass ?? '')} (the volume was created with ${JSON.stringify(o.storageClass ?? '')})`);
  if (o.storage !== undefined && d.storage !== o.storage) parts.push(`storage ${d.storage} (recorded ${o.storage})`);
  if (parts.length === 0) return undefined;
  return `the claim now asks for ${parts.join(' and ')}; berth never recreates a volume that holds data: delete it (berth volume delete) to have it created anew`;
}

/** The sentence status and plans show for an orphaned volume. */
export function describeOrphan(namespace: string, o: ObservedVolume): string {
  return `volume ${o.volumeName} of claim ${namespace}/${o.name} is orphaned (no PersistentVolumeClaim in Git names it): kept with its data until \`berth volume delete ${namespace}/${o.name}\` or a commit with the trailer "${CONFIRM_VOLUME_DELETE_TRAILER}: ${namespace}/${o.name}"`;
}

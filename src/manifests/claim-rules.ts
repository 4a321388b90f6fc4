import type { Diagnostic } from '../core/index.js';
import { formatFieldPath, type FieldPath, type Position } from './locate.js';
import type { AccessMode, DeploymentSpec, IntOrPercent, PersistentVolumeClaimManifest } from './types.js';

/**
 * PersistentVolumeClaims and the Deployments that mount them: the facts each document
 * contributes, and the folder-level check (load.ts) that every claim a Deployment mounts is
 * defined in the same folder and that its access modes can be honoured on one host.
 *
 * Access modes on one host (every replica runs on this engine):
 *   ReadWriteOnce, ReadWriteMany  any number of replicas of any number of Deployments (one node);
 *   ReadOnlyMany                  the same, mounted read-only (desired/ does that) unless
 *                                 ReadWriteOnce or ReadWriteMany is also listed;
 *   ReadWriteOncePod              one replica of one Deployment, ever: replicas at most 1, and a
 *                                 rollout that never runs an old and a new replica at once
 *                                 (strategy Recreate, or RollingUpdate with maxSurge: 0 — what
 *                                 Kubernetes users are told to do), and no second Deployment.
 * Worked example: claim db (ReadWriteOncePod), Deployment api with replicas 1 and no strategy →
 * maxSurge defaults to 25 %, which rounds up to 1 surge replica, so the error is on api's
 * claimName: "… set strategy.type: Recreate, or rollingUpdate.maxSurge: 0".
 */

/** A valid claim's facts, for the folder-level checks. */
export interface ClaimFacts {
  readonly accessModes: readonly AccessMode[];
  /** spec.resources.requests.storage in bytes (the schema checked it is a quantity). */
  readonly storageBytes: number;
  readonly storageWritten: string;
  readonly storageAt: Position;
}

/** One `volumes[].persistentVolumeClaim` of a Deployment, with where it is written. */
export interface ClaimUse {
  readonly claim: string;
  /** Dotted path of the `persistentVolumeClaim` field. */
  readonly field: string;
  readonly claimAt: Position;
}

/** What a valid Deployment asks of the claims it mounts. */
export interface ClaimUser {
  readonly replicas: number;
  /** True when a rolling update of it runs an extra replica (maxSurge resolves to more than 0). */
  readonly surges: boolean;
  readonly uses: readonly ClaimUse[];
}

export function claimFactsOf(
  spec: PersistentVolumeClaimManifest['spec'],
  locate: (path: FieldPath) => Position,
  parse: (q: string | number) => number | undefined,
): ClaimFacts {
  const storage = spec.resources.requests.storage;
  return {
    accessModes: [...spec.accessModes],
    storageBytes: parse(storage) ?? 0,
    storageWritten: String(storage),
    storageAt: locate(['spec', 'resources', 'requests', 'storage']),
  };
}

/** Undefined when the Deployment (or StatefulSet: `stateful`, which never surges) mounts no claim. */
export function claimUserOf(spec: DeploymentSpec, locate: (path: FieldPath) => Position, stateful = false): ClaimUser | undefined {
  const uses: ClaimUse[] = [];
  (spec.template.spec.volumes ?? []).forEach((v, i) => {
    if (!v.persistentVolumeClaim) return;
    const at: FieldPath = ['spec', 'template', 'spec', 'volumes', i, 'persistentVolumeClaim'];
    uses.push({ claim: v.persistentVolumeClaim.claimName, field: formatFieldPath(at), claimAt: locate([...at, 'claimName']) });
  });
  if (uses.length === 0) return undefined;
  const replicas = spec.replicas ?? 1;
  const surges = !stateful && spec.strategy?.type !== 'Recreate' && replicas > 0 && !isZero(spec.strategy?.rollingUpdate?.maxSurge ?? '25%');
  return { replicas, surges, uses };
}

/** Does the claim mount read-only whatever the mount says (ReadOnlyMany without a writable mode)? */
export function isReadOnlyClaim(accessModes: readonly AccessMode[]): boolean {
  return accessModes.includes('ReadOnlyMany') && !accessModes.some((m) => m === 'ReadWriteOnce' || m === 'ReadWriteMany' || m === 'ReadWriteOncePod');
}

/** A Deployment of the folder that mounts claims, placed. */
export interface PlacedClaimUser {
  readonly deployment: string;
  readonly file: string;
  readonly document: number;
  readonly user: ClaimUser;
}

/**
 * Every claim a Deployment mounts must be a PersistentVolumeClaim of the folder (a claim whose
 * document is invalid counts as defined: its own errors say what is wrong), and a
 * ReadWriteOncePod claim has one user with one replica and no surge. Users in file then
 * document order: the second Deployment mounting a ReadWriteOncePod claim gets the error.
 */
export function checkClaimUses(
  namespace: string,
  claims: ReadonlyMap<string, ClaimFacts | undefined>,
  defined: ReadonlyMap<string, string>,
  users: readonly PlacedClaimUser[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const firstUser = new Map<string, PlacedClaimUser>(); // ReadWriteOncePod claim → its one Deployment
  for (const placed of users) {
    const { user, file, document, deployment } = placed;
    const seen = new Set<string>();
    for (const use of user.uses) {
      const where = { severity: 'error' as const, file, namespace, document, field: `${use.field}.claimName`, ...use.claimAt };
      if (!claims.has(use.claim)) {
        const known = [...claims.keys()].sort();
        out.push({
          ...where,
          code: 'CLAIM_NOT_FOUND',
          message: `PersistentVolumeClaim ${JSON.stringify(use.claim)} is not defined in namespace folder ${JSON.stringify(namespace)} (${known.length > 0 ? `it defines ${known.map((k) => JSON.stringify(k)).join(', ')}` : 'it defines none'}): add a v1 PersistentVolumeClaim named ${JSON.stringify(use.claim)} there`,
        });
        continue;
      }
      const facts = claims.get(use.claim);
      if (!facts?.accessModes.includes('ReadWriteOncePod') || seen.has(use.claim)) continue;
      seen.add(use.claim);
      const claim = `PersistentVolumeClaim ${JSON.stringify(use.claim)} (${defined.get(`PersistentVolumeClaim/${use.claim}`) ?? namespace}) is ReadWriteOncePod`;
      const first = firstUser.get(use.claim);
      if (first) {
        out.push({
          ...where,
          code: 'CLAIM_ACCESS_CONFLICT',
          message: `${claim}: only one Deployment may mount it, and Deployment ${JSON.stringify(first.deployment)} (${first.file}) already does`,
        });
        continue;
      }
      firstUser.set(use.claim, placed);
      if (user.replicas > 1) {
        out.push({
          ...where,
          code: 'CLAIM_ACCESS_CONFLICT',
          message: `${claim}: one replica may mount it, and Deployment ${JSON.stringify(deployment)} has replicas ${user.replicas}; set replicas: 1, or use ReadWriteOnce (every replica runs on this one host)`,
        });
      } else if (user.surges) {
        out.push({
          ...where,
          code: 'CLAIM_ACCESS_CONFLICT',
          message: `${claim}: one replica may mount it, and a rolling update of Deployment ${JSON.stringify(deployment)} would start a new replica beside the old one (maxSurge, default 25 %, rounds up to 1); set strategy.type: Recreate, or strategy.rollingUpdate.maxSurge: 0 with maxUnavailable: 1`,
        });
      }
    }
  }
  return out;
}

function isZero(value: IntOrPercent): boolean {
  return value === 0 || (typeof value === 'string' && parseInt(value, 10) === 0);
}

import { hashOf } from '../core/index.js';
import type { DesiredDeployment, DesiredNamespace } from '../desired/index.js';

/** Identity of a Deployment's whole desired spec (not only its template): any edit in Git changes it. */
export function specHash(d: DesiredDeployment): string {
  // configData is covered by the template's ConfigMap hashes: hashing up to 1 MiB again per pass would add nothing.
  return hashOf({ ...d, source: undefined, configData: undefined });
}

/** A rollback pin as the rule needs it (the store's Pin has these fields). */
export interface PinView {
  /** The Deployment. */
  readonly name: string;
  /** The commit whose template the Deployment runs. */
  readonly commit: string;
  readonly revision: string;
  /** specHash of the Deployment in Git when the pin was made: a commit that changes it ends the pin. */
  readonly headSpec: string;
  /** Nothing to go back to: the Deployment is left as it runs. */
  readonly hold?: true;
  readonly failed?: { readonly revision: string; readonly commit: string; readonly reason: string; readonly message: string };
}

/** A namespace's desired state with its rollback pins applied: what `berth run` converges to and `berth plan --live` shows. */
export interface PinnedNamespace {
  readonly target: DesiredNamespace;
  /** Deployments whose pin ends: the head changed the Deployment, or no longer has it. */
  readonly released: readonly string[];
  /** Deployments running the template of their pin's commit. */
  readonly pinned: readonly { readonly name: string; readonly revision: string; readonly commit: string }[];
  /** Deployments left as they run: their revision failed and there was nothing to go back to. */
  readonly held: readonly { readonly name: string; readonly revision: string; readonly reason: string }[];
}

/**
 * The one rollback rule (a manual `berth rollback` or an automatic one after a failed rollout),
 * shared by `berth run` (controller/reconcile.ts) and `berth plan --live`, so the plan shows
 * what the next pass does. Pure: `pinnedTemplate(name)` is the Deployment at its pin's commit
 * (read by the caller; undefined when that commit cannot be read).
 *
 *   pin's spec = the head's, not held, template known → the pinned template, Git's replica count
 *                                                      (as `kubectl rollout undo` keeps the count)
 *   pin's spec = the head's, held                     → the head's Deployment, left as it runs (no step)
 *   pin's spec ≠ the head's (a newer commit changed it) → released; the head's Deployment
 *   the head has no such Deployment                   → released
 *   release: false (an older valid commit run while the head is invalid): nothing is released —
 *   only a valid head may end a rollback; pins whose spec matches still apply, holds still hold.
 */
export function applyPinsTo(
  head: DesiredNamespace,
  pins: readonly PinView[],
  pinnedTemplate: (name: string) => DesiredDeployment | undefined,
  options: { readonly release: boolean },
): PinnedNamespace {
  const released: string[] = [];
  const pinned: { name: string; revision: string; commit: string }[] = [];
  const held: { name: string; revision: string; reason: string }[] = [];
  const deployments = head.deployments.map((d) => {
    const pin = pins.find((p) => p.name === d.name);
    if (!pin) return d;
    if (specHash(d) !== pin.headSpec && options.release) {
      released.push(d.name);
      return d;
    }
    if (pin.hold) {
      if (pin.failed) held.push({ name: d.name, revision: pin.failed.revision, reason: pin.failed.reason });
      return d;
    }
    if (specHash(d) !== pin.headSpec) return d;
    const template = pinnedTemplate(d.name);
    if (!template) return d;
    pinned.push({ name: d.name, revision: template.revision, commit: pin.commit });
    return { ...template, replicas: d.replicas };
  });
  if (options.release) for (const pin of pins) if (!head.deployments.some((d) => d.name === pin.name)) released.push(pin.name);
  return { target: { ...head, deployments }, released, pinned, held };
}

/**
 * The templates `applyPinsTo` may need: each pin whose spec matches the head's Deployment and
 * that is not held, read at its commit by `namespaceAt` (once per commit; a commit that cannot be
 * read gives none, and the head's Deployment stays).
 */
export async function pinnedTemplates(
  head: DesiredNamespace,
  pins: readonly PinView[],
  namespaceAt: (commit: string) => Promise<DesiredNamespace | undefined>,
): Promise<Map<string, DesiredDeployment>> {
  const byCommit = new Map<string, Promise<DesiredNamespace | undefined>>();
  const out = new Map<string, DesiredDeployment>();
  for (const pin of pins) {
    const d = head.deployments.find((x) => x.name === pin.name);
    if (!d || pin.hold || specHash(d) !== pin.headSpec) continue;
    if (!byCommit.has(pin.commit))
      byCommit.set(
        pin.commit,
        namespaceAt(pin.commit).catch(() => undefined),
      );
    const template = (await byCommit.get(pin.commit))?.deployments.find((x) => x.name === pin.name);
    if (template) out.set(pin.name, template);
  }
  return out;
}

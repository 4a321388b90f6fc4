import { ownValue } from '../core/index.js';
import type { DesiredNamespace, DesiredState } from '../desired/index.js';
import { applyAutoscalersTo, applyPinsTo, type Autoscaled, pinnedTemplates, type PinnedNamespace } from '../plan/index.js';
import type { StoreState } from '../store/index.js';

/**
 * What `berth run` converges each namespace to, from the head and the state directory, by the
 * rules run follows: rollback pins applied (plan/pins.ts; nothing is released here — only run
 * changes the store), and a namespace invalid at the head kept as of its last valid commit.
 */
export async function runTargets(
  head: DesiredState,
  headCommit: string,
  state: StoreState | undefined,
  desiredAt: (commit: string) => Promise<DesiredState>,
): Promise<{
  desired: DesiredState;
  rollbacks: Map<string, PinnedNamespace>;
  lastValid: Map<string, { commit: string; desired: DesiredNamespace }>;
  autoscaled: Map<string, readonly Autoscaled[]>;
}> {
  const records = Object.values(state?.autoscalers ?? {});
  const autoscaled = new Map<string, readonly Autoscaled[]>();
  // After the pins, as the Reconciler applies them: HPAs own their Deployments' replica counts.
  const withAutoscalers = (ns: DesiredNamespace): DesiredNamespace => {
    const applied = applyAutoscalersTo(ns, records);
    if (applied.autoscaled.length > 0) autoscaled.set(ns.name, applied.autoscaled);
    return applied.target;
  };
  const pins = Object.values(state?.pins ?? {});
  const rollbacks = new Map<string, PinnedNamespace>();
  const lastValid = new Map<string, { commit: string; desired: DesiredNamespace }>();
  const byCommit = new Map<string, Promise<DesiredState | undefined>>();
  const validAt = async (commit: string, namespace: string): Promise<DesiredNamespace | undefined> => {
    if (!byCommit.has(commit))
      byCommit.set(
        commit,
        desiredAt(commit).catch(() => undefined),
      );
    const at = (await byCommit.get(commit))?.namespaces.find((n) => n.name === namespace);
    return at?.valid ? at : undefined;
  };
  const withPins = async (ns: DesiredNamespace, release: boolean): Promise<DesiredNamespace> => {
    const mine = pins.filter((p) => p.namespace === ns.name);
    if (mine.length === 0) return ns;
    const templates = await pinnedTemplates(ns, mine, (commit) => validAt(commit, ns.name));
    const applied = applyPinsTo(ns, mine, (name) => templates.get(name), { release });
    rollbacks.set(ns.name, applied);
    return applied.target;
  };
  const namespaces = await Promise.all(
    head.namespaces.map(async (ns) => {
      if (ns.valid) return withAutoscalers(await withPins(ns, true));
      const status = ownValue(state?.namespaces, ns.name);
      const commit = status?.lastValidCommit ?? status?.lastAppliedCommit;
      const good = commit && commit !== headCommit ? await validAt(commit, ns.name) : undefined;
      if (commit && good) lastValid.set(ns.name, { commit, desired: withAutoscalers(await withPins(good, false)) });
      return ns;
    }),
  );
  return { desired: { ...head, namespaces }, rollbacks, lastValid, autoscaled };
}

import type { DesiredNamespace, DesiredState } from '../desired/index.js';
import type { ObservedState } from '../observed/index.js';
import {
  describeHold,
  guardLivePrunes,
  isPrune,
  namespacePlan,
  servicePlans,
  summarize,
  workloadChange,
  workloadOf,
  type Autoscaled,
  type NamespacePlan,
  type PinnedNamespace,
  type Plan,
  type PlanAction,
} from '../plan/index.js';
import type { Readiness } from '../rollout/index.js';
import type { Pin, RevisionRecord } from '../store/index.js';
import { decideWorkloads, type WorkloadDecision } from './decide.js';
import type { DecisionMemo } from './decision-memo.js';

export interface LivePlanOptions {
  /** The moment the plan is for: back-offs, readiness windows and deadlines are judged at it, as a pass judges them. */
  readonly now: Date;
  /** When the berth making the next pass began watching (RolloutInput.watchingSince): the daemon's start, or now for a berth yet to start. */
  readonly watchingSince?: Date;
  /** Probe verdicts by container id (the prober's; absent: none known, a running replica counts as ready, as without probes). */
  readonly readiness?: ReadonlyMap<string, Readiness>;
  /** The store's pins and revision histories, by `namespace/name` (holds, completed revisions, where a failed rollout goes back to). */
  readonly pins?: Readonly<Record<string, Pin>>;
  readonly revisions?: Readonly<Record<string, readonly RevisionRecord[]>>;
  /** The head's desired state before pins and HPAs (a rollback's pin remembers the head's spec). Absent: `desired`. */
  readonly head?: DesiredState;
  readonly confirmPrune?: boolean;
  readonly confirmedVolumeDeletes?: ReadonlySet<string>;
  /** Per namespace, the Services' virtual addresses the data plane holds now (what `berth run` keeps). */
  readonly clusterIPs?: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Where NodePort/LoadBalancer Services listen on the host (`--service-address`). Default 127.0.0.1. */
  readonly serviceAddress?: string;
  /**
   * Per namespace, the rollback pins applied to `desired` (applyPinsTo, as `berth run` applies
   * them): shown as notes; the pins it releases are gone from `pins` when the pass decides.
   */
  readonly rollbacks?: ReadonlyMap<string, Pick<PinnedNamespace, 'pinned' | 'held'> & Partial<Pick<PinnedNamespace, 'released'>>>;
  /**
   * Per namespace invalid at the head, what `berth run` keeps running instead: the desired state
   * at its last valid commit (pins applied). Its actions are shown (no prunes, no volume
   * deletes: an invalid head never removes anything); without one the namespace is left as it runs.
   */
  readonly lastValid?: ReadonlyMap<string, { readonly commit: string; readonly desired: DesiredNamespace }>;
  /** Per namespace, the Deployments whose replica counts HPAs own (applyAutoscalersTo, applied to `desired` as `berth run` applies it). */
  readonly autoscaled?: ReadonlyMap<string, readonly Autoscaled[]>;
  /** The settled decisions of earlier passes and plans (DecisionMemo, the daemon's); the plan is the same with or without it. */
  readonly decisionMemo?: DecisionMemo;
}

/**
 * The live plan (`berth plan --live`, the API's plan, the dashboard): what the desired state at
 * a commit changes on the engine, per namespace, as ordered actions. Pure. Each workload's action
 * is rendered from the decision a pass makes (decide.ts `decideWorkloads`, the one `berth run`
 * executes): the plan lists a workload exactly when the pass has work for it, with its whole
 * change (plan/diff.ts `workloadChange`) and `next`, what the next pass does to it. Around the
 * workloads, the same rules as the pass: targets (pins, the last valid commit, HPAs:
 * run-targets.ts), network, volumes, strays and the prune guard.
 *
 * Safety rules that live here:
 *  - an invalid namespace gets no actions at all (it keeps running as it is, or as of its last valid commit);
 *  - the prune guard (plan/prune-guard.ts): removing a whole namespace or more than half of what
 *    berth runs waits for a confirmed commit; a desired state with no namespaces never prunes.
 */
export function livePlan(desired: DesiredState, observed: ObservedState, options: LivePlanOptions): Plan {
  const names = new Set<string>([...desired.namespaces.map((n) => n.name), ...observed.namespaces.map((n) => n.name)]);
  const guard = guardLivePrunes(desired, observed, options.confirmPrune ?? false);
  const desiredByName = new Map(desired.namespaces.map((n) => [n.name, n]));
  const observedByName = new Map(observed.namespaces.map((n) => [n.name, n]));
  const headByName = new Map((options.head ?? desired).namespaces.map((n) => [n.name, n]));
  const namespaces = [...names].sort().map((name): NamespacePlan => {
    const d = desiredByName.get(name);
    const o = observedByName.get(name);
    if (guard.holds && !d && o) return { namespace: name, verdict: 'refused', actions: [], diagnostics: [], message: describeHold(guard) };
    const fallback = d && !d.valid ? options.lastValid?.get(name) : undefined;
    // An invalid head without a last valid commit: left as it runs (namespacePlan says so).
    if (d && !d.valid && !fallback) return namespacePlan(d, o, { actions: [], refused: [] });
    const target = fallback ? fallback.desired : d;
    const released = new Set((options.rollbacks?.get(name)?.released ?? []).map((n) => `${name}/${n}`));
    // Filtered only when a pin is released: every namespace's plan reads all pins.
    const pins = options.pins && released.size > 0 ? Object.fromEntries(Object.entries(options.pins).filter(([key]) => !released.has(key))) : options.pins;
    const decisions = decideWorkloads({
      namespace: name,
      target,
      observed: o,
      // The guard's prunes are decided, then held below with its message (the pass decides none while it holds).
      mayPrune: !fallback,
      commit: fallback?.commit ?? desired.commit,
      head: headByName.get(name),
      headCommit: desired.commit,
      now: options.now,
      ...(options.watchingSince ? { watchingSince: options.watchingSince } : {}),
      readiness: options.readiness ?? new Map(),
      pins,
      revisions: options.revisions,
      ...(options.decisionMemo ? { memo: options.decisionMemo } : {}),
    });
    const workloads = workloadPlan(decisions);
    const rollbacks = options.rollbacks?.get(name);
    const notes = [
      ...(rollbacks?.pinned ?? []).map((p) => ({ name: p.name, revision: p.revision, commit: p.commit })),
      ...(rollbacks?.held ?? []).map((h) => ({ name: h.name, revision: h.revision, held: h.reason })),
    ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const autoscaled = options.autoscaled?.get(name) ?? [];
    const managed = autoscaled.length > 0 ? { autoscaled } : {};
    const withNotes = notes.length > 0 ? { rollbacks: notes } : {};
    if (d && fallback) {
      // No prunes, no volume deletes: an invalid head never removes anything.
      const actions = namespacePlan(fallback.desired, o, workloads, new Set()).actions.filter((a) => !isPrune(a));
      return {
        namespace: name,
        verdict: 'invalid',
        actions,
        diagnostics: d.diagnostics,
        message: `invalid manifests: the namespace keeps running as of ${fallback.commit.slice(0, 12)}${actions.length > 0 ? ', which berth converges to' : ''}`,
        ...withNotes,
        ...managed,
      };
    }
    const services = d ? servicePlans(d, o, options.clusterIPs?.get(name) ?? new Map(), options.serviceAddress ?? '127.0.0.1') : [];
    const plan = {
      ...namespacePlan(d, o, workloads, options.confirmedVolumeDeletes),
      ...(services.length > 0 ? { services } : {}),
      ...(d ? { ...withNotes, ...managed } : {}),
    };
    if (!guard.holds || !plan.actions.some(isPrune)) return plan;
    // The guard holds: every prune waits for a confirmed commit; the rest applies.
    const actions = plan.actions.filter((a) => !isPrune(a));
    return { ...plan, actions, verdict: actions.length > 0 ? 'changes' : 'in-sync', message: describeHold(guard) };
  });
  return { commit: desired.commit, namespaces, diagnostics: desired.diagnostics, summary: summarize(namespaces), pruneGuard: guard };
}

/**
 * Each decided workload as the plan lists it, in the decisions' order, prunes last: one the pass
 * moves (a step, a rollback, a container restarted in place or waiting for its back-off) or whose
 * rollout is under way (it waits for readiness) gets its whole change and `next`; one the pass
 * finds complete, or leaves held, gets nothing; a refused StatefulSet is listed as refused.
 * Worked example: web at b, 3 replicas of a running, maxSurge 1 → update-deployment a → b,
 * next `create 1 replica(s) of b …`.
 */
export function workloadPlan(decisions: readonly WorkloadDecision[]): {
  actions: PlanAction[];
  refused: { readonly name: string; readonly reason: string }[];
} {
  const actions: PlanAction[] = [];
  const prunes: PlanAction[] = [];
  const refused: { name: string; reason: string }[] = [];
  for (const d of decisions) {
    if (d.refused) {
      refused.push({ name: d.name, reason: d.refused });
      continue;
    }
    const next = nextMove(d);
    if (next === undefined) continue;
    if (!d.desired) {
      const kind = d.replicas.some((r) => r.kind === 'StatefulSet') ? { kind: 'StatefulSet' as const } : {};
      const namespace = d.replicas[0]?.namespace ?? '';
      prunes.push({
        kind: 'prune-deployment',
        ...workloadOf(kind),
        namespace,
        name: d.name,
        replicas: d.step?.kind === 'act' ? d.step.remove.length : 0,
        next,
      });
      continue;
    }
    const step = d.step;
    if (step?.kind === 'fail') {
      // The next pass does not go on with the rollout: it rolls back (or holds), as decided.
      actions.push({
        kind: 'rollback-deployment',
        ...workloadOf(d.desired),
        namespace: d.desired.namespace,
        name: d.name,
        failedRevision: d.desired.revision,
        reason: step.reason,
        ...(d.rollback?.to ? { toRevision: d.rollback.to.revision, toCommit: d.rollback.to.commit } : {}),
        next,
      });
      continue;
    }
    // Held (its revision failed with nothing to go back to): only its Pods' containers that are down restart in place.
    const change = d.hold ? [] : workloadChange(d.desired, { namespace: d.desired.namespace, name: d.name, replicas: d.replicas });
    const memberWork = (d.restarts?.length ?? 0) > 0 || d.backoff !== undefined;
    if (change.length === 0 && (memberWork || step?.kind === 'act')) {
      // Work on the replicas already at the desired revision: containers down in Pods, replicas exited, duplicate or missing.
      const removed = step?.kind === 'act' ? step.remove : [];
      const down = d.replicas.filter((r) => r.state === 'running' && r.down !== undefined && r.revision === d.desired?.revision).length;
      change.push({
        kind: 'heal-deployment',
        ...workloadOf(d.desired),
        namespace: d.desired.namespace,
        name: d.name,
        exited: down + removed.filter((r) => r.reason === 'exited').length,
        missing: step?.kind === 'act' ? step.create.filter((c) => !c.restart).length : 0,
        duplicates: removed.filter((r) => r.reason === 'duplicate').length,
      });
    }
    // A rollout waiting for readiness with nothing left to change is only the wait: nothing to list.
    actions.push(...change.map((a) => ('name' in a && a.name === d.name ? { ...a, next } : a)));
  }
  return { actions: [...actions, ...prunes], refused };
}

/**
 * What the next pass does to a decided workload, in words (the step's own summary); undefined
 * when it does nothing: the step is complete (or absent: held, refused) and no container of its
 * Pods restarts. Worked examples: a fail step whose history has a complete `a` → `… ; rolls back
 * to revision a (commit …)`; a wait → `waits: …`.
 */
export function nextMove(d: WorkloadDecision): string | undefined {
  const restarts = (d.restarts ?? []).map((r) => `restart container ${r.container} of replica ${r.replica.replica} in place`);
  const backoff = d.backoff ? [`waits: ${d.backoff.why}`] : [];
  const step = d.step;
  const stepMove =
    !step || step.kind === 'complete'
      ? []
      : step.kind === 'act'
        ? [step.summary]
        : step.kind === 'wait'
          ? [`waits: ${step.summary}`]
          : [
              `rollout failed (${step.summary}); ${
                d.rollback?.to
                  ? `rolls back to revision ${d.rollback.to.revision} (commit ${d.rollback.to.commit.slice(0, 12)})`
                  : 'no earlier good revision: left as it is until a commit changes it'
              }`,
            ];
  const moves = [...restarts, ...stepMove, ...backoff];
  return moves.length > 0 ? moves.join('; ') : undefined;
}

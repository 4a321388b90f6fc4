import { decide, quotaCap, replicasForMetric, type MetricResult, type ReplicaSample } from '../autoscale/index.js';
import { describeError, ownValue, type Clock, type Logger } from '../core/index.js';
import type { DesiredAutoscaler, DesiredNamespace, DesiredState, MetricTarget } from '../desired/index.js';
import type { PodStatus } from '../observed/index.js';
import { applyAutoscalersTo } from '../plan/index.js';
import type { DataPlane, DataPlaneStatus } from '../proxy/index.js';
import type { ContainerStats, RuntimeDriver } from '../runtime/index.js';
import type { AutoscalerRecord, Store } from '../store/index.js';

/** Kubernetes' --horizontal-pod-autoscaler-sync-period. */
export const DEFAULT_AUTOSCALE_SYNC_MS = 15_000;

export interface AutoscalerOptions {
  readonly driver: Pick<RuntimeDriver, 'stats'>;
  /** The data plane, for the request rate and open connections of each replica behind a Service or Ingress. */
  readonly dataPlane?: Pick<DataPlane, 'status'>;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The desired state at the head (undefined before the first fetch). */
  readonly current: () => DesiredState | undefined;
  /** The replicas of a namespace with the prober's readiness (Controller.pods). */
  readonly pods: (namespace: string) => Promise<readonly PodStatus[]>;
  /** An HPA changed a replica count (or left Git): the namespace needs a pass. */
  readonly scaled: (namespace: string) => void;
}

/**
 * The HPA loop of `berth run`: every sync period, for each HorizontalPodAutoscaler of each
 * valid namespace, measure its target's replicas (cpu and memory from the engine, request rate
 * and open connections from the data plane), run the Kubernetes algorithm (autoscale/) and
 * record the decision in the store. A changed count is journaled and the namespace enqueued:
 * the pass scales with the same health gates and drain as a rollout, to the count
 * plan/autoscale.ts reads from the store (so `berth plan` shows the same).
 *
 * Rates need two readings: a replica's first sync gives no cpu or request rate yet (a "missing"
 * metric, which the algorithm damps), so the readings are taken every sync, measured or not.
 */
export class Autoscaler {
  /** Last cpu reading per replica id (a Pod's: its containers' sum). */
  private readonly cpu = new Map<string, { cpuSeconds: number; at: number }>();
  /** Last served count per backend id, with when it was read. */
  private readonly served = new Map<string, { count: number; at: number }>();
  private running = false;

  constructor(private readonly o: AutoscalerOptions) {}

  /** A replica's usage: its container's, or the sum over a Pod's containers (its infra container uses nothing); undefined when one cannot be read. */
  private async podStats(p: PodStatus): Promise<ContainerStats | undefined> {
    const ids = p.containers?.map((c) => c.id) ?? [p.id];
    const read = await Promise.all(ids.map((id) => this.o.driver.stats(id).catch(() => undefined)));
    if (read.some((s) => s === undefined)) return undefined;
    const all = read as ContainerStats[];
    return {
      cpuSeconds: all.reduce((n, s) => n + s.cpuSeconds, 0),
      memoryBytes: all.reduce((n, s) => n + s.memoryBytes, 0),
      at: Math.max(...all.map((s) => s.at)),
    };
  }

  /** One sync over every HPA. Never throws (an HPA that cannot be evaluated keeps its count and says why in the log). */
  async sync(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const desired = this.o.current();
      if (!desired) return;
      await this.forgetRemoved(desired);
      const withHpa = desired.namespaces.filter((n) => n.valid && (n.autoscalers?.length ?? 0) > 0);
      if (withHpa.length === 0) return;
      const plane = this.o.dataPlane ? await this.o.dataPlane.status().catch(() => undefined) : undefined;
      const seen = new Set<string>();
      for (const ns of withHpa) {
        // One engine listing per namespace and sync, whatever the number of its HPAs.
        const pods = await this.o.pods(ns.name).catch((err: unknown) => {
          this.o.logger.warn({ namespace: ns.name, err: describeError(err) }, 'replicas not listed; HPA counts are kept');
          return undefined;
        });
        if (!pods) continue;
        for (const hpa of ns.autoscalers ?? []) {
          await this.evaluate(ns, hpa, pods, plane, seen).catch((err: unknown) =>
            this.o.logger.warn({ namespace: ns.name, hpa: hpa.name, err: describeError(err) }, 'HPA not evaluated; its replica count is kept'),
          );
        }
      }
      for (const id of [...this.cpu.keys()]) if (!seen.has(id)) this.cpu.delete(id);
      for (const id of [...this.served.keys()]) if (!seen.has(id)) this.served.delete(id);
    } finally {
      this.running = false;
    }
  }

  /** An HPA that left Git (of a valid namespace, or with its namespace) hands its Deployment's replicas back to Git. */
  private async forgetRemoved(desired: DesiredState): Promise<void> {
    for (const [key, record] of Object.entries(this.o.store.readState().autoscalers ?? {})) {
      const ns = desired.namespaces.find((n) => n.name === record.namespace);
      if (ns && !ns.valid) continue; // an invalid head removes nothing
      if (ns?.autoscalers?.some((a) => a.name === record.name && a.target === record.target)) continue;
      await this.o.store.removeAutoscaler(key);
      this.o.logger.info(
        { namespace: record.namespace, hpa: record.name, deployment: record.target },
        "HPA left Git: the Deployment's replicas are Git's again",
      );
      if (ns) this.o.scaled(record.namespace);
    }
  }

  private async evaluate(
    ns: DesiredNamespace,
    hpa: DesiredAutoscaler,
    namespacePods: readonly PodStatus[],
    plane: DataPlaneStatus | undefined,
    seen: Set<string>,
  ): Promise<void> {
    const deployment = ns.deployments.find((d) => d.name === hpa.target);
    if (!deployment) return; // the loader refuses such a folder
    const key = `${ns.name}/${hpa.name}`;
    const previous = ownValue(this.o.store.readState().autoscalers, key);
    const record = previous?.target === hpa.target ? previous : undefined;
    // The count run converges to now: the HPA's own, or Git's within the bounds (the one rule).
    const current = applyAutoscalersTo(ns, record ? [record] : []).autoscaled.find((a) => a.deployment === deployment.name)?.replicas ?? deployment.replicas;

    const pods = namespacePods.filter((p) => p.deployment === deployment.name);
    const running = pods.filter((p) => p.status === 'Running');
    for (const p of running) seen.add(p.id);
    const needsStats = hpa.metrics.some((m) => m.kind === 'Resource');
    const stats = new Map<string, ContainerStats>();
    if (needsStats) {
      const read = await Promise.all(running.map(async (p) => [p.id, await this.podStats(p)] as const));
      for (const [id, s] of read) if (s) stats.set(id, s);
    }
    const listed = new Set(
      (plane?.namespaces ?? [])
        .filter((t) => t.namespace === ns.name)
        .flatMap((t) => t.services.flatMap((s) => s.ports.flatMap((p) => p.backends.map((b) => b.id)))),
    );
    const readAt = this.o.clock.now().getTime();
    const cpuRate = new Map<string, number>();
    for (const [id, s] of stats) {
      const last = this.cpu.get(id);
      if (last && s.at > last.at) cpuRate.set(id, Math.max(0, s.cpuSeconds - last.cpuSeconds) / ((s.at - last.at) / 1000));
      this.cpu.set(id, { cpuSeconds: s.cpuSeconds, at: s.at });
    }
    const requestRate = new Map<string, number>();
    for (const p of running) {
      if (!listed.has(p.id)) continue;
      const count = plane?.served?.[p.id] ?? 0;
      const last = this.served.get(p.id);
      if (last && readAt > last.at) requestRate.set(p.id, Math.max(0, count - last.count) / ((readAt - last.at) / 1000));
      this.served.set(p.id, { count, at: readAt });
    }

    const tolerance = { up: hpa.behavior.scaleUp.tolerance, down: hpa.behavior.scaleDown.tolerance };
    const results: MetricResult[] = hpa.metrics.map((metric) => {
      if (metric.kind === 'Pods' && running.length > 0 && !running.some((p) => listed.has(p.id)))
        return { error: `${metric.name} is measured by the data plane, and no Service routes to Deployment ${deployment.name}` };
      const samples: ReplicaSample[] = pods.map((p) => ({
        name: p.name,
        running: p.status === 'Running',
        ready: p.ready,
        ...readingOf(metric, p.id, { cpuRate, stats, requestRate, active: plane?.active ?? {}, listed }),
        ...(metric.kind === 'Resource' && deployment.requests?.[metric.resource] !== undefined ? { request: deployment.requests[metric.resource] } : {}),
      }));
      return replicasForMetric(metric, samples, current, tolerance);
    });

    const now = this.o.clock.now();
    const quotaLimit = quotaCap(applyAutoscalersTo(ns, Object.values(this.o.store.readState().autoscalers ?? {})).target, deployment.name);
    const decision = decide({
      ...(quotaLimit ? { quotaLimit } : {}),
      now: now.getTime(),
      minReplicas: hpa.minReplicas,
      maxReplicas: hpa.maxReplicas,
      currentReplicas: current,
      metrics: results,
      behavior: hpa.behavior,
      history: { recommendations: record?.recommendations ?? [], events: record?.events ?? [] },
    });
    const changed = decision.desiredReplicas !== current;
    const reason = decision.reason ?? '';
    const next: AutoscalerRecord = {
      namespace: ns.name,
      name: hpa.name,
      target: hpa.target,
      replicas: decision.desiredReplicas,
      currentReplicas: pods.length,
      recommendations: decision.history.recommendations,
      events: decision.history.events,
      metrics: hpa.metrics.map((m, i) => {
        const r = results[i];
        return {
          metric: metricName(m),
          target: m.type === 'Utilization' ? m.averageUtilization : m.averageValue,
          ...(r && 'error' in r ? { error: r.error } : r ? { current: round(r.current) } : {}),
        };
      }),
      conditions: decision.conditions,
      updatedAt: now.toISOString(),
      ...(changed
        ? { lastScale: { at: now.toISOString(), from: current, to: decision.desiredReplicas, reason } }
        : record?.lastScale
          ? { lastScale: record.lastScale }
          : {}),
    };
    await this.o.store.putAutoscaler(next, { durable: changed || record?.replicas !== decision.desiredReplicas });
    if (changed) {
      this.o.logger.info({ namespace: ns.name, hpa: hpa.name, deployment: deployment.name, from: current, to: decision.desiredReplicas, reason }, 'HPA scaled');
      this.o.scaled(ns.name);
    }
  }
}

function metricName(m: MetricTarget): string {
  return m.kind === 'Resource' ? `${m.resource} ${m.type === 'Utilization' ? 'utilization' : 'average'}` : m.name;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** One replica's reading of one metric (undefined when there is none yet: "missing"). */
function readingOf(
  metric: MetricTarget,
  id: string,
  r: {
    cpuRate: ReadonlyMap<string, number>;
    stats: ReadonlyMap<string, ContainerStats>;
    requestRate: ReadonlyMap<string, number>;
    active: Readonly<Record<string, number>>;
    listed: ReadonlySet<string>;
  },
): { value?: number } {
  let value: number | undefined;
  if (metric.kind === 'Resource') value = metric.resource === 'cpu' ? r.cpuRate.get(id) : r.stats.get(id)?.memoryBytes;
  else if (metric.name === 'berth_requests_per_second') value = r.requestRate.get(id);
  else value = r.listed.has(id) ? (r.active[id] ?? 0) : undefined;
  return value === undefined ? {} : { value };
}

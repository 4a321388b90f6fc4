import { Counter, Gauge, Registry } from 'prom-client';
import type { Store } from '../store/index.js';

export type HookOutcome = 'accepted' | 'coalesced' | 'ignored' | 'ping';

/**
 * `/metrics` (Prometheus text format). One registry per server (no global default registry):
 * counters the server itself moves, and gauges read from the store at scrape time, so they
 * always show what the last passes recorded.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  private readonly hookDeliveries: Counter<'provider' | 'outcome'>;
  private readonly hookSyncs: Counter<'result'>;

  constructor(store: Store) {
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'berth_http_requests_total',
      help: 'HTTP requests answered, by route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.hookDeliveries = new Counter({
      name: 'berth_webhook_deliveries_total',
      help: 'Verified webhook deliveries by outcome (refused ones count in berth_http_requests_total as 401/400/413).',
      labelNames: ['provider', 'outcome'],
      registers,
    });
    this.hookSyncs = new Counter({ name: 'berth_webhook_syncs_total', help: 'Syncs started by webhooks, by result.', labelNames: ['result'], registers });
    new Gauge({
      name: 'berth_namespace_phase',
      help: 'The phase of each namespace after its last pass (1 for the current phase).',
      labelNames: ['namespace', 'phase'],
      registers,
      collect() {
        this.reset();
        for (const ns of Object.values(store.readState().namespaces)) this.set({ namespace: ns.namespace, phase: ns.phase }, 1);
      },
    });
    new Gauge({
      name: 'berth_namespace_applied',
      help: '1 when the last attempted commit of the namespace is also its last applied one.',
      labelNames: ['namespace'],
      registers,
      collect() {
        this.reset();
        for (const ns of Object.values(store.readState().namespaces)) {
          this.set({ namespace: ns.namespace }, ns.lastAttemptedCommit !== undefined && ns.lastAttemptedCommit === ns.lastAppliedCommit ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'berth_deployment_replicas',
      help: 'Replicas of each Deployment: desired, updated (at the current revision), available.',
      labelNames: ['namespace', 'deployment', 'state'],
      registers,
      collect() {
        this.reset();
        for (const ns of Object.values(store.readState().namespaces)) {
          for (const d of ns.deployments) {
            const labels = { namespace: ns.namespace, deployment: d.name };
            this.set({ ...labels, state: 'desired' }, d.replicas);
            this.set({ ...labels, state: 'updated' }, d.updatedReplicas);
            this.set({ ...labels, state: 'available' }, d.availableReplicas);
          }
        }
      },
    });
    new Gauge({
      name: 'berth_hpa_desired_replicas',
      help: "The replica count each HorizontalPodAutoscaler set its Deployment to (what berth runs instead of Git's spec.replicas).",
      labelNames: ['namespace', 'hpa', 'deployment'],
      registers,
      collect() {
        this.reset();
        for (const a of Object.values(store.readState().autoscalers ?? {})) this.set({ namespace: a.namespace, hpa: a.name, deployment: a.target }, a.replicas);
      },
    });
    new Gauge({
      name: 'berth_hpa_current_replicas',
      help: "The replicas of each HPA's Deployment its last evaluation counted (Kubernetes' status.currentReplicas).",
      labelNames: ['namespace', 'hpa', 'deployment'],
      registers,
      collect() {
        this.reset();
        for (const a of Object.values(store.readState().autoscalers ?? {}))
          if (a.currentReplicas !== undefined) this.set({ namespace: a.namespace, hpa: a.name, deployment: a.target }, a.currentReplicas);
      },
    });
    new Gauge({
      name: 'berth_hpa_metric',
      help: 'Each HPA metric at its last evaluation: the value (a percent of requests for a utilization) and its target.',
      labelNames: ['namespace', 'hpa', 'metric', 'kind'],
      registers,
      collect() {
        this.reset();
        for (const a of Object.values(store.readState().autoscalers ?? {})) {
          for (const m of a.metrics ?? []) {
            const labels = { namespace: a.namespace, hpa: a.name, metric: m.metric };
            this.set({ ...labels, kind: 'target' }, m.target);
            if (m.current !== undefined) this.set({ ...labels, kind: 'current' }, m.current);
          }
        }
      },
    });
    new Gauge({
      name: 'berth_hpa_condition',
      help: 'Kubernetes HPA conditions (AbleToScale, ScalingActive, ScalingLimited): 1 for the current status and reason.',
      labelNames: ['namespace', 'hpa', 'condition', 'status', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const a of Object.values(store.readState().autoscalers ?? {}))
          for (const c of a.conditions ?? []) this.set({ namespace: a.namespace, hpa: a.name, condition: c.type, status: c.status, reason: c.reason }, 1);
      },
    });
    new Gauge({
      name: 'berth_hpa_last_scale_timestamp_seconds',
      help: 'When each HPA last changed its replica count (Unix seconds).',
      labelNames: ['namespace', 'hpa'],
      registers,
      collect() {
        this.reset();
        for (const a of Object.values(store.readState().autoscalers ?? {}))
          if (a.lastScale) this.set({ namespace: a.namespace, hpa: a.name }, Date.parse(a.lastScale.at) / 1000);
      },
    });
    new Gauge({
      name: 'berth_source_fetch_failing',
      help: '1 while the last fetch of the Git source failed.',
      registers,
      collect() {
        this.set(store.readState().source?.error !== undefined ? 1 : 0);
      },
    });
  }

  request(method: string, route: string, status: number): void {
    this.httpRequests.inc({ method, route, status: String(status) });
  }

  hookDelivery(provider: string, outcome: HookOutcome): void {
    this.hookDeliveries.inc({ provider, outcome });
  }

  hookSync(result: 'ok' | 'failed'): void {
    this.hookSyncs.inc({ result });
  }
}

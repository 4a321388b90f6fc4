import type { Logger } from '../core/index.js';
import type { DesiredNamespace, Probes } from '../desired/index.js';
import { parseProbes, type Prober, type ProbeTarget } from '../health/index.js';
import { probedContainers, type ObservedNamespace, type ObservedReplica } from '../observed/index.js';
import type { DataPlane } from '../proxy/index.js';
import type { Readiness } from '../rollout/index.js';
import type { RuntimeDriver } from '../runtime/index.js';
import type { ServiceStatus } from '../store/index.js';
import { isEmptyTable, namespaceTable } from './routes.js';
import { downPodsNotReady } from './decide.js';

export interface ServingOptions {
  readonly driver: RuntimeDriver;
  /** Runs readiness/liveness/startup probes (health/); without one, a replica is ready when it runs. */
  readonly prober?: Pick<Prober, 'sync' | 'view' | 'watchedSince'>;
  /** The data plane (Service/Ingress proxy). */
  readonly dataPlane?: DataPlane;
  /** Address Services listen on. Default 127.0.0.1. */
  readonly serviceAddress?: string;
  /** Whether a revision of a Deployment completed before (a replica of it may start out ready). */
  readonly isCompleted: (namespace: string, deployment: string, revision: string) => boolean;
}

/**
 * What a pass needs to know and do about serving traffic: probe verdicts (readiness), restarts
 * that failed liveness/startup probes demand, the namespace's routes pushed to the data plane,
 * and drains before a replica stops. It remembers only what a restarted berth can rebuild:
 * which namespaces the data plane holds tables for and which backends it routed to at start.
 */
export class Serving {
  /** Backend ids the data plane routed to when this process first asked: seeded ready (probing resumes from there). */
  private routedAtStart: Promise<ReadonlySet<string>> | undefined;
  /** Namespaces whose last pushed table was not empty (so an emptied one is removed once). */
  private readonly routed = new Set<string>();
  /** Each namespace's Service virtual addresses as last pushed (seeded from the data plane's persisted tables): kept stable. */
  private readonly clusterIPs = new Map<string, Map<string, string>>();
  /** The reason each Service without a virtual address was last logged with (namespace/name → reason). */
  private readonly clusterIPWarned = new Map<string, string>();
  /**
   * Per namespace, the running replicas this process found at its first look, until each is first
   * probed: only they may start out ready (what a previous berth left serving). A replica this berth
   * created or restarted itself waits for its probe: an e2e liveness restart had a new replica of a
   * completed revision seeded ready and answer "notready" in rotation.
   */
  private readonly seedable = new Map<string, Set<string>>();
  /** Parsed `berth.probes` labels: a handful of distinct templates, read on every pass. */
  private readonly probesByLabel = new Map<string, Probes | undefined>();

  constructor(private readonly o: ServingOptions) {}

  /**
   * Probe verdicts for the namespace's running replicas (health/ keeps probing between
   * passes). A replica without probes has no verdict: ready when it runs. After a restart of
   * berth, a replica the data plane still routes to (or of a revision that completed) starts
   * ready, so nothing is pulled from rotation before its probe has spoken.
   */
  async readiness(namespace: string, observed: ObservedNamespace | undefined): Promise<ReadonlyMap<string, Readiness>> {
    const readiness = new Map<string, Readiness>();
    const prober = this.o.prober;
    if (!prober) return downPodsNotReady(readiness, observed);
    const routed = await this.routedIds();
    let seedable = this.seedable.get(namespace);
    if (!seedable) {
      seedable = new Set(replicasOf(observed).flatMap((r) => (r.state === 'running' ? [r.id] : [])));
      this.seedable.set(namespace, seedable);
    }
    const targets: ProbeTarget[] = [];
    // A replica's probed containers: itself, or each container of a Pod that has probes (all through the Pod's published ports).
    const probedOf = new Map<string, string[]>();
    for (const r of replicasOf(observed)) {
      if (r.state !== 'running') continue;
      const probed = probedContainers(r).flatMap((c) => {
        const probes = this.parsed(c.probesJson);
        return probes ? [{ ...c, probes }] : [];
      });
      if (probed.length === 0) continue;
      const seeded = seedable.has(r.id) && (routed.has(r.id) || this.o.isCompleted(namespace, r.deployment, r.revision));
      seedable.delete(r.id); // one look: probed from now on like any other
      probedOf.set(
        r.id,
        probed.map((c) => c.id),
      );
      for (const c of probed)
        targets.push({
          id: c.id,
          namespace,
          deployment: r.deployment,
          probes: c.probes,
          ports: r.ports,
          startedAt: new Date(c.created),
          ...(seeded ? { initiallyReady: true } : {}),
        });
    }
    prober.sync(namespace, targets);
    for (const [replica, ids] of probedOf) {
      const verdict = this.podVerdict(ids);
      if (verdict) readiness.set(replica, verdict);
    }
    return downPodsNotReady(readiness, observed);
  }

  /**
   * The verdicts as the prober holds them now, taking nothing up (the live plan reads them
   * between passes): a probed replica the prober has not taken up yet is not ready, as the
   * pass's first look at it says.
   */
  readinessNow(observed: ObservedNamespace | undefined): ReadonlyMap<string, Readiness> {
    const readiness = new Map<string, Readiness>();
    if (this.o.prober)
      for (const r of replicasOf(observed)) {
        if (r.state !== 'running') continue;
        const ids = probedContainers(r).flatMap((c) => (this.parsed(c.probesJson) ? [c.id] : []));
        if (ids.length > 0) readiness.set(r.id, this.podVerdict(ids) ?? { ready: false });
      }
    return downPodsNotReady(readiness, observed);
  }

  /** A Pod is ready when every probed container is, since the last of them became ready; undefined while one is not probed yet. */
  private podVerdict(ids: readonly string[]): Readiness | undefined {
    const prober = this.o.prober;
    if (!prober) return undefined;
    const views = ids.map((id) => ({ view: prober.view(id), watchedSince: prober.watchedSince(id) }));
    if (views.some((v) => !v.view)) return undefined;
    const since = latest(views.map((v) => v.view!.readySince));
    const watchedSince = latest(views.map((v) => v.watchedSince));
    return {
      ready: views.every((v) => v.view!.ready),
      ...(since ? { since } : {}),
      ...(watchedSince ? { watchedSince } : {}),
    };
  }

  /**
   * Replicas whose liveness or startup probe failed are drained and stopped; the crash back-off path restarts them.
   * A Pod's container that failed is stopped alone: it restarts in place (memberRestarts).
   */
  async restartUnhealthy(observed: ObservedNamespace | undefined, target: DesiredNamespace | undefined, log: Logger): Promise<number> {
    let moves = 0;
    for (const r of replicasOf(observed)) {
      if (r.state !== 'running') continue;
      // A Pod's container that failed is stopped: the Pod is then down and replaced as a whole.
      const failed = probedContainers(r).flatMap((c) => {
        const restart = this.o.prober?.view(c.id)?.restart;
        return restart ? [{ ...c, restart }] : [];
      })[0];
      if (!failed) continue;
      const grace = target?.deployments.find((d) => d.name === r.deployment)?.template.stopGraceSeconds ?? 30;
      log.warn(
        { container: r.name, ...(failed.container ? { podContainer: failed.container } : {}), reason: failed.restart.reason },
        failed.container ? 'probe failed: restarting a container of the pod' : 'probe failed: restarting replica',
      );
      // A Pod's container restarts in place (the Pod keeps its id and address): it is not drained, it leaves the
      // rotation by being not ready while it is down (as a kubelet restart does). A single container is the replica: drained, then stopped.
      if (!failed.container) await this.drain([r.id], grace, log);
      await this.o.driver.stopContainer(failed.id, grace);
      moves++;
    }
    return moves;
  }

  /**
   * Pushes the namespace's routes: ready replicas only, minus `leaving` (those this pass
   * removes). Skipped while the namespace has no Service or Ingress and never had. Returns
   * the Service ports as status shows them (undefined without a data plane).
   */
  async push(
    namespace: string,
    target: DesiredNamespace | undefined,
    observed: ObservedNamespace | undefined,
    readiness: ReadonlyMap<string, Readiness>,
    leaving: ReadonlySet<string>,
    log: Logger,
  ): Promise<ServiceStatus[] | undefined> {
    const dataPlane = this.o.dataPlane;
    if (!dataPlane) return undefined;
    await this.routedIds(); // learns the tables (and virtual addresses) a previous berth left
    const table = namespaceTable({
      namespace,
      desired: target,
      observed,
      isReady: (r: ObservedReplica) => readiness.get(r.id)?.ready ?? true,
      leaving,
      serviceAddress: this.o.serviceAddress ?? '127.0.0.1',
      previousClusterIPs: this.clusterIPs.get(namespace) ?? new Map(),
      ...(this.o.driver.nodes ? { clusterPeers: await this.nodeAddresses() } : {}),
    });
    this.clusterIPs.set(namespace, new Map(table.services.flatMap((svc) => (svc.clusterIP ? [[svc.name, svc.clusterIP] as const] : []))));
    // Once per Service and reason, not every pass: on a cluster overlay the reason lasts (status carries it all along).
    for (const svc of table.services) {
      const key = `${namespace}/${svc.name}`;
      if (!svc.clusterIPError) this.clusterIPWarned.delete(key);
      else if (this.clusterIPWarned.get(key) !== svc.clusterIPError) {
        this.clusterIPWarned.set(key, svc.clusterIPError);
        log.warn({ service: svc.name, code: 'SERVICE_CLUSTER_IP' }, `Service has no virtual address: ${svc.clusterIPError}`);
      }
    }
    if (isEmptyTable(table)) {
      if (this.routed.delete(namespace)) await dataPlane.removeNamespace(namespace);
      return [];
    }
    const listeners = await dataPlane.putNamespace(table);
    this.routed.add(namespace);
    for (const l of listeners)
      if (l.error) log.warn({ service: l.service, port: l.port, listen: `${l.listen.host}:${l.listen.port}` }, `Service cannot listen: ${l.error}`);
    return table.services.flatMap((svc) => {
      const desired = target?.services.find((d) => d.name === svc.name);
      return svc.ports.map((p): ServiceStatus => {
        const errors = [
          ...(svc.clusterIPError ? [svc.clusterIPError] : []),
          ...listeners.filter((l) => l.service === svc.name && l.port === p.port && l.error).map((l) => `${l.listen.host}:${l.listen.port}: ${l.error}`),
        ];
        return {
          name: svc.name,
          port: p.port,
          ...(desired ? { type: desired.type } : {}),
          clusterIP: svc.headless ? 'None' : (svc.clusterIP ?? ''),
          ...(p.listen ? { listen: `${p.listen.host}:${p.listen.port}` } : {}),
          endpoints: svc.headless ? svc.headless.addresses.length : p.backends.length,
          ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
        };
      });
    });
  }

  /**
   * Takes a replica the cluster ordered to stop out of rotation now, between passes, waiting for
   * nothing (the pass that replaces it drains it again with its grace period). Swarm stops a
   * drained node's task itself, with no preStop hook: what serves on after SIGTERM is the only
   * margin, and a pass may be running or queued before it. The data plane keeps a drained id out
   * whatever a racing table lists.
   */
  async outOfRotation(id: string, log: Logger): Promise<void> {
    if (!this.o.dataPlane) return;
    await this.o.dataPlane.drain([id], 0);
    log.info('out of rotation: its node ordered it to stop');
  }

  /** Takes replicas out of rotation and waits for their connections to finish (up to the grace period). */
  async drain(ids: readonly string[], graceSeconds: number, log: Logger): Promise<void> {
    if (!this.o.dataPlane || ids.length === 0) return;
    const { remaining } = await this.o.dataPlane.drain(ids, graceSeconds * 1000);
    if (remaining > 0) log.warn({ remaining, graceSeconds }, 'drain timed out: stopping with connections still open');
  }

  private parsed(probesJson: string): Probes | undefined {
    if (!this.probesByLabel.has(probesJson)) this.probesByLabel.set(probesJson, parseProbes(probesJson));
    return this.probesByLabel.get(probesJson);
  }

  /** Backend ids routed by the data plane when this process started (asked once). */
  /**
   * A cluster's node addresses (its tasks reach the data plane NATed to them): read each push,
   * the last ones kept while the manager does not answer (its nodes are still there).
   */
  private async nodeAddresses(): Promise<readonly string[]> {
    try {
      const nodes = (await this.o.driver.nodes?.()) ?? [];
      this.lastNodeAddresses = [...new Set(nodes.map((n) => n.address).filter((a) => a !== ''))].sort();
    } catch {
      // the manager is down: the nodes and their addresses are not
    }
    return this.lastNodeAddresses;
  }
  private lastNodeAddresses: readonly string[] = [];

  private routedIds(): Promise<ReadonlySet<string>> {
    this.routedAtStart ??= (async () => {
      if (!this.o.dataPlane) return new Set<string>();
      const status = await this.o.dataPlane.status().catch(() => undefined);
      // Tables the data plane still holds are this berth's to keep or remove (a namespace deleted while berth was down).
      for (const table of status?.namespaces ?? []) {
        this.routed.add(table.namespace);
        if (!this.clusterIPs.has(table.namespace))
          this.clusterIPs.set(table.namespace, new Map(table.services.flatMap((svc) => (svc.clusterIP ? [[svc.name, svc.clusterIP] as const] : []))));
      }
      return new Set((status?.namespaces ?? []).flatMap((t) => t.services.flatMap((s) => s.ports.flatMap((p) => p.backends.map((b) => b.id)))));
    })();
    return this.routedAtStart;
  }
}

/** The latest of some dates (undefined ones skipped); undefined when none. */
function latest(dates: readonly (Date | undefined)[]): Date | undefined {
  return dates.reduce<Date | undefined>((a, d) => (d && (!a || d > a) ? d : a), undefined);
}

function replicasOf(observed: ObservedNamespace | undefined): ObservedReplica[] {
  return (observed?.deployments ?? []).flatMap((d) => d.replicas);
}

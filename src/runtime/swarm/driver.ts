/**
 * The RuntimeDriver for a Docker Swarm cluster, through its manager's engine API. A replica is a
 * service of one task (map.ts): Swarm places it on a node, berth drives the rollout replica by
 * replica (readiness-gated, drain before stop), exactly as on one host. Invariants:
 *  - Ownership as the docker driver's: every service and network carries `berth.managed=true`
 *    and `berth.instance=<instance>`; nothing else is changed or removed. Task containers carry
 *    them too, so a node's own engine (exec, logs, stats) checks them as well.
 *  - A namespace is an attachable overlay network: its replicas reach each other by name on
 *    every node (Docker's DNS), isolated from other namespaces.
 *  - Ports are published in host mode on the task's node (no routing mesh: no IPVS on some
 *    kernels, and berth's data plane balances), so probes and the data plane reach a replica at
 *    `<node address>:<port>`.
 *  - A node's own engine is reached through the node label `berth.engine` (`unix:///…` or
 *    `tcp://…`, with the manager's TLS); without it, exec probes, logs and stats of that node's
 *    replicas are refused, named.
 *  - The instance claim, pings and the engine version are the manager engine's (the docker
 *    driver does them). A claim's volume lives on one node and pins its replicas there
 *    (volumes.ts); Secret and ConfigMap files are Swarm secrets (secrets.ts); placement rules
 *    are core/placement.ts's, turned into constraints here.
 */
import type Docker from 'dockerode';
import { BerthError, placeReplica, silentLogger, type Clock, type Logger, type PlacedPod, type Placement } from '../../core/index.js';
import type {
  ContainerSpec,
  ContainerStats,
  ExecResult,
  Inventory,
  NetworkSpec,
  OwnedContainer,
  OwnedNetwork,
  RuntimeDriver,
  RuntimeEvent,
  VolumeSpec,
} from '../driver.js';
import { isOwned, LABEL, ownedFilter, podLabelsOf, type Labels } from '../labels.js';
import { createClients, resolveSocketPath, resolveTlsDir, type DockerClients } from '../docker/client.js';
import { createDockerDriver } from '../docker/driver.js';
import { engineCall, engineMessage, engineStatus, isConnectionError, toEngineError, unreachable } from '../docker/errors.js';
import { toOwnedNetwork } from '../docker/map.js';
import { ensureOwnedNetwork, networksNamed, notOwnedError, removeOwnedNetwork, type NetworkEngine } from '../docker/owned-networks.js';
import {
  ENGINE_LABEL,
  keepOn,
  NAME_LABEL,
  NODE_SELECTOR_LABEL,
  PLACEMENT_LABEL,
  offDownNodes,
  placementConstraints,
  placementNode,
  serviceName,
  spreadConstraints,
  toServiceSpec,
  toSwarmNode,
  UNSCHEDULABLE_LABEL,
  type SwarmNode,
} from './map.js';
import { EngineProbes, nodeEngineAddress } from './node-engines.js';
import { currentTask, startProgress, toOwnedContainer, type SwarmService, type SwarmTask } from './replica-state.js';
import { FileSecrets } from './secrets.js';
import { tasksOfServices, type ServiceTasks } from './tasks.js';
import { NodeVolumes } from './volumes.js';

export interface SwarmDriverOptions {
  /** The manager engine's socket. Default: DOCKER_HOST when it is `unix://…`, else /var/run/docker.sock. */
  readonly socketPath?: string;
  /** TLS material (ca.pem, cert.pem, key.pem) for an engine at tcp://; default DOCKER_CERT_PATH when DOCKER_TLS_VERIFY is set. */
  readonly tlsDir?: string;
  readonly instance: string;
  readonly logger?: Logger;
  readonly clock: Clock;
  readonly requestTimeoutMs?: number;
  readonly claimFor?: { readonly stateDir: string };
  /** How often the task states are read for watch(), ms. Default 1 000. */
  readonly watchIntervalMs?: number;
  /** How long runContainer waits for a task to run before it returns it pending, ms. Default 60 000. */
  readonly startTimeoutMs?: number;
}

export function createSwarmDriver(options: SwarmDriverOptions): RuntimeDriver & Required<Pick<RuntimeDriver, 'nodes'>> {
  if (!options.instance) throw new BerthError('USAGE', 'the swarm driver needs an instance name');
  return new SwarmDriver(options);
}

/** Task states after which a task never runs again. */
const TERMINAL = new Set(['complete', 'failed', 'shutdown', 'rejected', 'orphaned', 'remove']);

interface PlacementView {
  readonly nodes: readonly SwarmNode[];
  readonly pods: readonly (PlacedPod & { readonly deployment: string })[];
}

type PlacementInput = Pick<ContainerSpec, 'labels' | 'nodeSelector' | 'placement'>;

/**
 * Where a new replica goes (core/placement.ts), as Swarm constraints: `hard` from its placement
 * rules (none without rules: a nodeSelector alone is Swarm's own constraint), `soft` the
 * preferences and the default spread over its Deployment's siblings, dropped when no node can
 * take the replica with them.
 */
function placementOf(spec: PlacementInput, view: PlacementView): { hard: string[]; soft: string[]; unschedulable?: string } {
  const namespace = spec.labels[LABEL.namespace] ?? '';
  const siblings = view.pods.filter((p) => p.namespace === namespace && p.deployment === spec.labels[LABEL.name]).map((p) => p.node);
  const spread = spreadConstraints(view.nodes, siblings, spec.nodeSelector);
  // A node berth found gone that Swarm still has ready would otherwise be a candidate (the emptiest, even).
  const down = offDownNodes(view.nodes);
  if (!hasPlacementRules(spec.placement)) return { hard: down, soft: spread.filter((c) => !down.includes(c)) };
  const verdict = placeReplica({
    nodes: view.nodes.map(placementNode),
    pods: view.pods,
    namespace,
    nodeSelector: spec.nodeSelector,
    placement: spec.placement,
  });
  // Nodes that take no task now (down, drained) are Swarm's to keep off; berth excludes the ones its rules forbid, or every node when none may take it.
  const schedulable = view.nodes.filter((n) => placementNode(n).schedulable);
  const hard = verdict.allowed.length === 0 ? keepOn(view.nodes, []) : [...new Set([...keepOn(schedulable, verdict.allowed), ...down])].sort();
  const soft = [...new Set([...keepOn(schedulable, verdict.preferred), ...spread])].filter((c) => !hard.includes(c)).sort();
  return { hard, soft, ...(verdict.unschedulable ? { unschedulable: verdict.unschedulable } : {}) };
}

/** Rules that choose nodes (tolerations alone choose none). */
function hasPlacementRules(p: Placement | undefined): p is Placement {
  return !!p && !!(p.nodeAffinity || p.podAntiAffinity || p.preferredPodAntiAffinity || p.topologySpread);
}

function parseObject(json: string | undefined): Record<string, string> | undefined {
  if (!json) return undefined;
  try {
    const value: unknown = JSON.parse(json);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}

class SwarmDriver implements RuntimeDriver {
  private readonly socketPath: string;
  private readonly tlsDir: string | undefined;
  private readonly instance: string;
  private readonly clients: DockerClients;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly requestTimeoutMs: number;
  private readonly watchIntervalMs: number;
  private readonly startTimeoutMs: number;
  /** The manager's own engine, as the docker driver drives it: the instance claim, ping, version, images. */
  private readonly manager: RuntimeDriver;
  private readonly nodeEngines = new Map<string, RuntimeDriver>();
  /** berth's own pings of the nodes' engines: a gone engine makes its node down now (engine-probes.ts). */
  private readonly probes: EngineProbes;
  /** The nodes as Swarm listed them last: what the engine probes go through. */
  private listedNodes: readonly SwarmNode[] = [];
  /** Wakes the watch loop early (a node's engine found gone, or back). */
  private wakeWatch: (() => void) | undefined;
  /** Per Deployment, the replica being placed now: the next waits for its node (spreadFor). */
  private readonly placing = new Map<string, Promise<void>>();
  private readonly volumes: NodeVolumes;
  private readonly secrets: FileSecrets;

  constructor(options: SwarmDriverOptions) {
    this.socketPath = resolveSocketPath(options.socketPath);
    this.instance = options.instance;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.watchIntervalMs = options.watchIntervalMs ?? 1_000;
    this.startTimeoutMs = options.startTimeoutMs ?? 60_000;
    this.tlsDir = resolveTlsDir(options.tlsDir);
    this.clients = createClients(this.socketPath, this.requestTimeoutMs, this.tlsDir);
    this.clock = options.clock;
    this.log = (options.logger ?? silentLogger).child({ component: 'runtime-swarm', instance: this.instance });
    this.manager = createDockerDriver({
      socketPath: this.socketPath,
      ...(this.tlsDir ? { tlsDir: this.tlsDir } : {}),
      instance: this.instance,
      clock: this.clock,
      requestTimeoutMs: this.requestTimeoutMs,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.claimFor ? { claimFor: options.claimFor } : {}),
    });
    this.probes = new EngineProbes({ engineOf: (n) => this.engineOf(n), clock: this.clock, log: this.log });
    this.volumes = new NodeVolumes({ nodes: () => this.nodes(), engineOf: (n) => this.engineOf(n), clock: this.clock, log: this.log });
    this.secrets = new FileSecrets({ api: this.clients.api, instance: this.instance, socketPath: this.socketPath, clock: this.clock, log: this.log });
  }

  claimInstance(): Promise<void> {
    return this.manager.claimInstance();
  }

  async ping(): Promise<void> {
    await this.manager.ping();
  }

  engineVersion(): Promise<{ readonly version: string; readonly apiVersion: string }> {
    return this.manager.engineVersion!();
  }

  async nodes(): Promise<readonly SwarmNode[]> {
    const raw = await this.call('list nodes', () => this.clients.api.listNodes());
    this.listedNodes = raw
      .map(toSwarmNode)
      .filter((n): n is SwarmNode => n !== undefined)
      .sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
    return this.probes.apply(this.listedNodes);
  }

  async inventory(filter: { readonly namespace?: string } = {}): Promise<Inventory> {
    const label = ownedFilter(this.instance, filter.namespace);
    const [services, networks, nodes] = await Promise.all([
      this.call('list services', () => this.clients.api.listServices({ filters: { label } }) as Promise<SwarmService[]>),
      this.call('list networks', () => this.clients.api.listNetworks({ filters: { label } })),
      this.nodes(),
    ]);
    const listed = services.filter((s) => isOwned(s.Spec?.Labels, this.instance) && s.ID);
    const { tasks, gone } = await this.tasksOf(listed.map((s) => s.ID!));
    // A service removed between the two reads is gone: not a replica waiting for a task.
    const owned = gone.size > 0 ? listed.filter((s) => !gone.has(s.ID!)) : listed;
    const byNode = new Map(nodes.map((n) => [n.id, n]));
    // At most one read of each node's own engine per inventory, however many of its tasks need one.
    const nodeInventories = new Map<string, Promise<Inventory>>();
    const nodeInventory = (node: SwarmNode) => {
      let seen = nodeInventories.get(node.id);
      if (!seen) nodeInventories.set(node.id, (seen = this.engineOf(node).inventory(filter.namespace !== undefined ? { namespace: filter.namespace } : {})));
      return seen;
    };
    const containers = await Promise.all(
      owned.map((s) => {
        const task = currentTask(tasks.get(s.ID!) ?? []);
        return this.withNodePorts(
          toOwnedContainer(s, task, byNode, this.clock.now()),
          s,
          task,
          task?.NodeID ? byNode.get(task.NodeID) : undefined,
          nodeInventory,
        );
      }),
    );
    return {
      containers: containers.sort((a, b) => a.name.localeCompare(b.name)),
      networks: networks
        .filter((n) => isOwned(n.Labels, this.instance))
        .map(overlayNetwork)
        .sort((a, b) => a.name.localeCompare(b.name)),
      volumes: (await this.volumes.list()).filter((v) => filter.namespace === undefined || v.labels[LABEL.namespace] === filter.namespace),
    };
  }

  /**
   * A running task the manager knows no published ports of (a restarted manager: its workers
   * report a task's status again only when it changes) gets them from its node's own engine,
   * when berth can reach it (label berth.engine). Otherwise it stays unpublished: not probed, not routed.
   */
  private async withNodePorts(
    c: OwnedContainer,
    service: SwarmService,
    task: SwarmTask | undefined,
    node: SwarmNode | undefined,
    nodeInventory: (node: SwarmNode) => Promise<Inventory>,
  ): Promise<OwnedContainer> {
    const wanted = (service.Spec as { EndpointSpec?: { Ports?: unknown[] } } | undefined)?.EndpointSpec?.Ports?.length ?? 0;
    const containerId = task?.Status?.ContainerStatus?.ContainerID;
    if (c.state !== 'running' || c.ports.length > 0 || wanted === 0 || !containerId || !node?.labels[ENGINE_LABEL]) return c;
    try {
      const seen = await nodeInventory(node);
      const same = seen.containers.find((x) => x.id === containerId);
      if (!same) return c;
      const ports = new Map(same.ports.map((p) => [`${p.protocol}:${p.containerPort}:${p.hostPort}`, { ...p, hostIp: node.address }]));
      return { ...c, ports: [...ports.values()] };
    } catch (err) {
      this.log.debug({ node: node.hostname, err: String(err) }, "could not read a task's ports from its node");
      return c;
    }
  }

  async ensureNetwork(spec: NetworkSpec): Promise<OwnedNetwork> {
    await this.claimInstance();
    const labels = { ...this.ownedLabels(spec.labels), [NAME_LABEL]: spec.name };
    return overlayNetwork(await ensureOwnedNetwork(this.networkEngine(), spec, { driver: 'overlay', labels }));
  }

  async removeNetwork(name: string): Promise<void> {
    await this.claimInstance();
    await removeOwnedNetwork(this.networkEngine(), name, 'tasks');
  }

  /** The manager's networks, by the engine names of berth's (overlay names are DNS name components: no dots). */
  private networkEngine(): NetworkEngine {
    return { api: this.clients.api, socketPath: this.socketPath, instance: this.instance, log: this.log, engineName: serviceName };
  }

  /** A claim's volume: a local volume on one node, its replicas pinned there (volumes.ts). */
  async ensureVolume(spec: VolumeSpec): Promise<void> {
    await this.claimInstance();
    await this.volumes.ensure(spec);
  }

  async removeVolume(name: string): Promise<void> {
    await this.claimInstance();
    await this.volumes.remove(name);
  }

  /** Present on the manager and on every node berth can reach (label berth.engine); each node's engine pulls it otherwise. */
  async ensureImage(image: string): Promise<void> {
    await this.manager.ensureImage(image);
    const nodes = (await this.nodes()).filter((n) => n.state === 'ready' && n.labels[ENGINE_LABEL]);
    await Promise.all(nodes.map((n) => this.engineOf(n).ensureImage(image)));
  }

  async runContainer(spec: ContainerSpec): Promise<OwnedContainer> {
    await this.claimInstance();
    const network = (await networksNamed(this.networkEngine(), spec.network)).find((n) => isOwned(n.Labels, this.instance));
    if (!network)
      throw new BerthError('CONTAINER_START_FAILED', `replica ${spec.name}: its network ${spec.network} does not exist`, { details: { container: spec.name } });
    // One replica of a Deployment placed at a time: each sees where its siblings went (spreadConstraints).
    const placement = `${spec.labels[LABEL.namespace] ?? ''}/${spec.labels[LABEL.name] ?? ''}`;
    const previous = this.placing.get(placement) ?? Promise.resolve();
    let placed: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => (placed = resolve));
    this.placing.set(placement, mine);
    await previous;
    try {
      return await this.createReplica(spec, network.Id, placed);
    } finally {
      placed();
      if (this.placing.get(placement) === mine) this.placing.delete(placement);
    }
  }

  /** Creates the replica's service, reports `placed` once Swarm gave its task a node (or could not), and waits for it to run. */
  private async createReplica(spec: ContainerSpec, networkId: string, placed: () => void): Promise<OwnedContainer> {
    const pin = await this.volumes.pinFor(spec);
    const placed0 = placementOf(spec, await this.placementView());
    // Pinned to its volumes' node: the spread has nothing to choose; a pin to a node that takes no task now says so.
    const spread = pin ? [] : placed0.soft;
    const hard = placed0.hard;
    const unschedulable =
      placed0.unschedulable ??
      (pin && !placementNode(pin).schedulable
        ? `its volume is on node ${pin.hostname}, which is ${pin.state !== 'ready' ? pin.state : pin.availability}`
        : undefined);
    const labels = { ...this.ownedLabels(spec.labels), ...(unschedulable ? { [UNSCHEDULABLE_LABEL]: unschedulable } : {}) };
    const secrets = await this.secrets.ensure(spec);
    const body = toServiceSpec(spec, labels, networkId, [...hard, ...spread], secrets, pin?.hostname);
    let id: string;
    try {
      const created = (await this.clients.api.createService(body as Docker.CreateServiceOptions)) as unknown as { id?: string; ID?: string };
      id = created.id ?? created.ID ?? '';
    } catch (err) {
      if (isConnectionError(err)) throw unreachable(this.socketPath, `create service ${spec.name}`, err);
      if (engineStatus(err) === 409)
        throw new BerthError('ENGINE_CONFLICT', `service name ${serviceName(spec.name)} (replica ${spec.name}) is already in use: ${engineMessage(err)}`, {
          details: { container: spec.name, status: 409 },
        });
      throw new BerthError('CONTAINER_START_FAILED', `replica ${spec.name} could not be created as a Swarm service: ${engineMessage(err)}`, {
        details: { container: spec.name, image: spec.image },
      });
    }
    this.log.info({ container: spec.name, service: id }, 'service created');
    // Until its task runs, fails, is left pending by the scheduler (no node can take it: that stays, as a Pod stays
    // Pending), or is lost with its node before it ran (the next pass replaces it, as a ReplicaSet does an evicted Pod).
    const deadline = this.clock.now().getTime() + this.startTimeoutMs;
    for (;;) {
      const owned = await this.serviceContainer(id);
      if (!owned)
        throw new BerthError('ENGINE_CONFLICT', `service of replica ${spec.name} disappeared right after it was created`, {
          details: { container: spec.name },
        });
      const { container, task, node } = owned;
      if (task?.NodeID) placed();
      const progress = startProgress(container, task, node);
      if (progress === 'running') return container;
      if (progress === 'failed') {
        await this.removeService(id, spec.name);
        const why = task?.Status?.Err ?? task?.Status?.Message ?? task?.Status?.State ?? '';
        if (/no such image|pull access denied|manifest unknown|image .*not found/i.test(why))
          throw new BerthError('IMAGE_PULL_FAILED', `image ${spec.image} is not present on node ${container.labels[LABEL.node] ?? '?'}: ${why}`, {
            details: { image: spec.image },
          });
        throw new BerthError(
          'CONTAINER_START_FAILED',
          `replica ${spec.name} (${spec.image}) could not be started on node ${container.labels[LABEL.node] ?? '?'}: ${why}`,
          {
            details: { container: spec.name, image: spec.image },
          },
        );
      }
      if (progress === 'lost') {
        this.log.warn({ container: spec.name, service: id, reason: container.reason }, 'replica lost with its node before it ran');
        return container;
      }
      if (progress === 'unplaced' && spread.length > 0 && /no suitable node/i.test(task?.Status?.Err ?? '')) {
        // The spread is soft: no node with fewer siblings can take it, so any node the hard rules allow will do.
        await this.setConstraints(
          id,
          spec.name,
          [...placementConstraints(spec.nodeSelector), ...hard, ...(pin ? [`node.hostname==${pin.hostname}`] : [])],
          'no emptier node can take the replica: spread relaxed',
        );
        spread.length = 0;
        continue;
      }
      if (progress === 'unplaced' || this.clock.now().getTime() >= deadline) return container;
      await delay(100);
    }
  }

  /** The cluster as placement sees it: the nodes, and berth's pods on them (each service whose newest task a node holds). */
  private async placementView(): Promise<PlacementView> {
    const [services, nodes] = await Promise.all([
      this.call('list services', () => this.clients.api.listServices({ filters: { label: ownedFilter(this.instance) } }) as Promise<SwarmService[]>),
      this.nodes(),
    ]);
    const owned = services.filter((s) => isOwned(s.Spec?.Labels, this.instance) && s.ID && s.Spec?.Labels?.[LABEL.init] === undefined);
    const { tasks } = await this.tasksOf(owned.map((s) => s.ID!));
    const hostOf = new Map(nodes.map((n) => [n.id, n.hostname]));
    const pods = owned.flatMap((s) => {
      const task = currentTask(tasks.get(s.ID!) ?? []);
      const node = task?.NodeID && !TERMINAL.has(task.Status?.State ?? '') ? hostOf.get(task.NodeID) : undefined;
      const labels = s.Spec?.Labels ?? {};
      return node ? [{ node, namespace: labels[LABEL.namespace] ?? '', deployment: labels[LABEL.name] ?? '', labels: podLabelsOf(labels) }] : [];
    });
    return { nodes, pods };
  }

  /**
   * Replicas no node could take when they were placed, placed again as the cluster is now (a
   * node labelled, a pod gone that an anti-affinity kept it from): their hard constraints are
   * worked out anew from the rules on their service (labels), as the Kubernetes scheduler retries
   * a pending Pod. Only replicas with placement rules: a nodeSelector alone is Swarm's to retry.
   */
  private async placePending(pending: readonly OwnedContainer[]): Promise<void> {
    if (pending.length === 0) return;
    const view = await this.placementView();
    for (const c of pending) {
      const service = await this.ownedService(c.id);
      const labels = service?.Spec?.Labels ?? {};
      const spec = service?.Spec as (SwarmService['Spec'] & { TaskTemplate?: { Placement?: { Constraints?: string[] } } }) | undefined;
      const rules = { nodeSelector: parseObject(labels[NODE_SELECTOR_LABEL]), placement: parseObject(labels[PLACEMENT_LABEL]) as Placement | undefined };
      if (!service || !spec || !hasPlacementRules(rules.placement)) continue;
      const verdict = placementOf({ labels, ...rules } as PlacementInput, view);
      const wanted = [...placementConstraints(rules.nodeSelector), ...verdict.hard];
      const now = spec.TaskTemplate?.Placement?.Constraints ?? [];
      if (sameSet(wanted, now) && (labels[UNSCHEDULABLE_LABEL] ?? '') === (verdict.unschedulable ?? '')) continue;
      await this.setConstraints(c.id, c.name, wanted, 'pending replica placed again', verdict.unschedulable ?? null);
    }
  }

  /** Sets a replica's service constraints (and its unschedulable label: null removes it, undefined keeps it). */
  private async setConstraints(id: string, name: string, constraints: readonly string[], why: string, unschedulable?: string | null): Promise<void> {
    const service = await this.ownedService(id);
    if (!service?.Spec) return;
    const spec = service.Spec as SwarmService['Spec'] & { TaskTemplate?: { Placement?: { Constraints?: string[] } } };
    const labels: Record<string, string> = { ...(spec.Labels ?? {}) };
    if (unschedulable === null) delete labels[UNSCHEDULABLE_LABEL];
    else if (unschedulable !== undefined) labels[UNSCHEDULABLE_LABEL] = unschedulable;
    try {
      await this.clients.api.getService(id).update({
        ...spec,
        Labels: labels,
        TaskTemplate: { ...spec.TaskTemplate, Placement: { ...spec.TaskTemplate?.Placement, Constraints: [...constraints] } },
        version: service.Version?.Index ?? 0,
      });
      this.log.info({ container: name, constraints }, why);
    } catch (err) {
      throw toEngineError(err, this.socketPath, `set the placement of ${name}`);
    }
  }

  async removeContainer(id: string, graceSeconds: number): Promise<void> {
    await this.claimInstance();
    const service = await this.ownedService(id);
    if (!service) return;
    await this.stopService(service, graceSeconds);
    await this.removeService(service.ID!, service.Spec?.Name ?? id);
    await this.secrets.prune().catch((err: unknown) => this.log.warn({ err: String(err) }, 'could not prune unused file secrets'));
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    await this.claimInstance();
    const service = await this.ownedService(id);
    if (!service) return;
    await this.stopService(service, graceSeconds);
  }

  async exec(id: string, command: readonly string[], timeoutMs: number): Promise<ExecResult> {
    const { engine, containerId } = await this.runningTask(id, 'exec');
    return engine.exec(containerId, command, timeoutMs);
  }

  async logs(
    id: string,
    options: { readonly follow: boolean; readonly since?: number; readonly tail?: number; readonly timestamps?: boolean },
    onText: (stream: 'stdout' | 'stderr', text: string) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const { engine, containerId } = await this.runningTask(id, 'logs', true);
    return engine.logs(containerId, options, onText, signal);
  }

  async stats(id: string): Promise<ContainerStats | undefined> {
    try {
      const { engine, containerId } = await this.runningTask(id, 'stats');
      return await engine.stats(containerId);
    } catch (err) {
      if (err instanceof BerthError && err.code === 'ENGINE_CONFLICT') return undefined;
      throw err;
    }
  }

  /**
   * Task states read every `watchIntervalMs`: a replica that starts running, stops, or whose
   * service goes away is reported as the docker driver reports containers. The manager has no
   * container events of other nodes; this is the cluster's own view.
   */
  async watch(onEvent: (event: RuntimeEvent) => void, signal: AbortSignal): Promise<void> {
    const deliver = (event: RuntimeEvent): void => {
      try {
        onEvent(event);
      } catch (err) {
        this.log.error({ err }, 'runtime event handler threw');
      }
    };
    let previous: Map<string, OwnedContainer> | undefined;
    void this.probes.run(
      () => this.listedNodes,
      () => this.wakeWatch?.(),
      signal,
    );
    while (!signal.aborted) {
      let now: Map<string, OwnedContainer>;
      try {
        now = new Map((await this.inventory()).containers.map((c) => [c.id, c]));
      } catch (err) {
        if (!signal.aborted) deliver({ kind: 'stream-error', error: err instanceof Error ? err : new Error(String(err)) });
        return;
      }
      // Replicas berth found no node for: placed again if the cluster changed.
      const stuck = [...now.values()].filter(
        (c) => c.state === 'pending' && c.labels[PLACEMENT_LABEL] !== undefined && /no suitable node/i.test(c.reason ?? ''),
      );
      await this.placePending(stuck).catch((err: unknown) => this.log.warn({ err: String(err) }, 'could not place pending replicas again'));
      if (previous) {
        for (const [id, c] of now) {
          const before = previous.get(id);
          if (c.state === 'running' && before?.state !== 'running') deliver({ kind: 'container-started', id, labels: c.labels });
          // Lost now (its node down past its toleration, or drained), running or not: out of rotation at once, replaced on the next pass.
          const evicted = c.evicted === true && !before?.evicted;
          if ((c.state !== 'running' && before?.state === 'running') || evicted)
            deliver({ kind: 'container-died', id, labels: c.labels, ...(evicted ? { evicted: true as const } : {}) });
        }
        for (const [id, c] of previous) if (!now.has(id)) deliver({ kind: 'container-destroyed', id, labels: c.labels });
      }
      previous = now;
      const early = new AbortController();
      this.wakeWatch = () => early.abort();
      await delay(this.watchIntervalMs, AbortSignal.any([signal, early.signal]));
      this.wakeWatch = undefined;
    }
  }

  // --- helpers -------------------------------------------------------------------------

  private tasksOf(serviceIds: readonly string[]): Promise<ServiceTasks> {
    return tasksOfServices(this.clients.api, this.socketPath, serviceIds);
  }

  /** The owned service `id` names; undefined when it does not exist; throws when it is not berth's. */
  private async ownedService(id: string): Promise<SwarmService | undefined> {
    let info: SwarmService;
    try {
      info = (await this.clients.api.getService(id).inspect()) as SwarmService;
    } catch (err) {
      if (engineStatus(err) === 404) return undefined;
      throw toEngineError(err, this.socketPath, `inspect service ${id}`);
    }
    if (!isOwned(info.Spec?.Labels, this.instance)) throw this.notOwned('service', info.Spec?.Name ?? id);
    return info;
  }

  private async serviceContainer(id: string): Promise<{ container: OwnedContainer; task: SwarmTask | undefined; node: SwarmNode | undefined } | undefined> {
    const service = await this.ownedService(id);
    if (!service) return undefined;
    const [{ tasks }, nodes] = await Promise.all([this.tasksOf([service.ID!]), this.nodes()]);
    const task = currentTask(tasks.get(service.ID!) ?? []);
    const byNode = new Map(nodes.map((n) => [n.id, n]));
    return { container: toOwnedContainer(service, task, byNode, this.clock.now()), task, node: task?.NodeID ? byNode.get(task.NodeID) : undefined };
  }

  /** The running task of an owned replica and its node's engine, for exec, logs and stats. */
  private async runningTask(id: string, what: string, anyState = false): Promise<{ engine: RuntimeDriver; containerId: string }> {
    const found = await this.serviceContainer(id);
    if (!found) throw new BerthError('ENGINE_CONFLICT', `replica ${id} does not exist (${what})`, { details: { container: id, reason: 'gone' } });
    const { container, task, node } = found;
    const containerId = task?.Status?.ContainerStatus?.ContainerID;
    if ((!anyState && container.state !== 'running') || !containerId || !node)
      throw new BerthError('ENGINE_CONFLICT', `replica ${container.name} is not running (${what})`, {
        details: { container: container.name, reason: 'not-running' },
      });
    return { engine: this.engineOf(node), containerId };
  }

  /** The engine of one node, as its `berth.engine` label says to reach it. */
  private engineOf(node: SwarmNode): RuntimeDriver {
    const url = nodeEngineAddress(node);
    let engine = this.nodeEngines.get(url);
    if (!engine) {
      // A node's engine over tcp:// uses the same TLS material as the manager's (one cluster, one CA).
      engine = createDockerDriver({
        socketPath: url,
        ...(this.tlsDir ? { tlsDir: this.tlsDir } : {}),
        instance: this.instance,
        clock: this.clock,
        requestTimeoutMs: this.requestTimeoutMs,
      });
      this.nodeEngines.set(url, engine);
    }
    return engine;
  }

  /**
   * Scales the replica's service to no task and waits until its task has stopped (SIGTERM, then
   * SIGKILL after the grace period it was created with): the stop, as on one host. A task on a
   * node that is down is not waited for.
   */
  private async stopService(service: SwarmService, graceSeconds: number): Promise<void> {
    const id = service.ID!;
    if (service.Spec?.Mode?.Replicated?.Replicas !== 0) {
      try {
        await this.clients.api.getService(id).update({ ...service.Spec, Mode: { Replicated: { Replicas: 0 } }, version: service.Version?.Index ?? 0 });
      } catch (err) {
        if (engineStatus(err) === 404) return;
        throw toEngineError(err, this.socketPath, `stop service ${service.Spec?.Name ?? id}`);
      }
    }
    const deadline = this.clock.now().getTime() + Math.max(0, graceSeconds) * 1000 + this.requestTimeoutMs;
    for (;;) {
      const found = await this.serviceContainer(id).catch((err: unknown) => {
        if (err instanceof BerthError && err.code === 'ENGINE_CONFLICT') return undefined;
        throw err;
      });
      const task = found?.task;
      const stopped = !task || TERMINAL.has(task.Status?.State ?? '') || found?.node?.state !== 'ready';
      if (stopped || this.clock.now().getTime() >= deadline) {
        this.log.info({ service: service.Spec?.Name ?? id }, 'replica stopped');
        return;
      }
      await delay(100);
    }
  }

  private async removeService(id: string, name: string): Promise<void> {
    try {
      await this.clients.api.getService(id).remove();
      this.log.info({ service: name }, 'service removed');
    } catch (err) {
      if (engineStatus(err) !== 404) throw toEngineError(err, this.socketPath, `remove service ${name}`);
    }
  }

  private call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    return engineCall(this.socketPath, action, fn);
  }

  private ownedLabels(labels: Labels): Labels {
    return { ...labels, [LABEL.managed]: 'true', [LABEL.instance]: this.instance };
  }

  private notOwned(kind: 'network' | 'service', name: string): BerthError {
    return notOwnedError(this.instance, kind, name);
  }
}

/** An overlay network as inventory reports it: its subnet, and no gateway or bridge (no host interface serves it). */
function overlayNetwork(info: Docker.NetworkInspectInfo): OwnedNetwork {
  const { gateway: _gateway, bridge: _bridge, ...rest } = toOwnedNetwork(info);
  return { ...rest, name: info.Labels?.[NAME_LABEL] ?? info.Name };
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

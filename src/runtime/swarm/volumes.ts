/**
 * A claim's volume on a cluster: a local volume on one node, made through that node's own engine
 * (label berth.engine), on the schedulable node holding the fewest of berth's volumes; the
 * replicas mounting it are pinned to that node (pinFor). Which node holds which volume is read
 * from the nodes' engines (the state lives there), never remembered.
 */
import { BerthError, type Clock, type Logger } from '../../core/index.js';
import type { ContainerSpec, OwnedVolume, RuntimeDriver, VolumeSpec } from '../driver.js';
import { LABEL } from '../labels.js';
import { ENGINE_LABEL, placementNode, type SwarmNode } from './map.js';

interface VolumeHolders {
  readonly holders: Map<string, SwarmNode>;
  readonly volumes: OwnedVolume[];
  readonly unreachable: string[];
  readonly nodes: SwarmNode[];
}

/** How long list() reuses the last read of the nodes' volumes (ensure, remove and pinFor always read anew). */
const VOLUME_CACHE_MS = 5_000;

export class NodeVolumes {
  /** The last read, for list() between changes: an optimization, never state. */
  private cache: { at: number; value: VolumeHolders } | undefined;

  constructor(
    private readonly o: {
      readonly nodes: () => Promise<readonly SwarmNode[]>;
      readonly engineOf: (node: SwarmNode) => RuntimeDriver;
      readonly clock: Clock;
      readonly log: Logger;
    },
  ) {}

  /** berth's volumes on the nodes it reaches, each labelled with its node (inventory). */
  async list(): Promise<OwnedVolume[]> {
    return (await this.holders(false)).volumes;
  }

  /**
   * A claim's volume is a local volume on one node, made through that node's engine (label
   * berth.engine) on the schedulable node holding the fewest of berth's volumes; its replicas
   * are then pinned there. Made only when every node berth can reach answers: a node that does
   * not may hold it already, and a second copy elsewhere would split its data. A folder mode or
   * group (fsGroup, an emptyDir shared with init containers) is set by that engine's driver, on
   * the node (docker/driver.ts setVolumeRoot).
   */
  async ensure(spec: VolumeSpec): Promise<void> {
    const { holders, unreachable: silent, nodes } = await this.holders();
    if (holders.has(spec.name)) return;
    if (silent.length > 0)
      throw new BerthError(
        'ENGINE_UNREACHABLE',
        `volume ${spec.name}: the engine of node ${silent.join(', ')} did not answer, and it may hold the volume already; not made elsewhere (its data would split)`,
        { details: { volume: spec.name, nodes: silent } },
      );
    const count = (n: SwarmNode) => [...holders.values()].filter((h) => h.hostname === n.hostname).length;
    const candidates = nodes.filter((n) => placementNode(n).schedulable).sort((a, b) => count(a) - count(b) || a.hostname.localeCompare(b.hostname));
    const node = candidates[0];
    if (!node)
      throw new BerthError(
        'CONTAINER_START_FAILED',
        `volume ${spec.name}: no ready, active node whose engine berth reaches (label ${ENGINE_LABEL}) can hold it`,
        { details: { volume: spec.name, driver: 'swarm' } },
      );
    await this.o.engineOf(node).ensureVolume(spec);
    this.o.log.info({ volume: spec.name, node: node.hostname }, 'volume made on its node');
  }

  async remove(name: string): Promise<void> {
    const { holders } = await this.holders();
    const node = holders.get(name);
    if (node) await this.o.engineOf(node).removeVolume(name);
  }

  /** berth's volumes on the nodes whose engines it reaches (label berth.engine), by name; and the labelled nodes that did not answer. */
  private async holders(fresh = true): Promise<VolumeHolders> {
    const cached = this.cache;
    if (!fresh && cached && this.o.clock.now().getTime() - cached.at < VOLUME_CACHE_MS) return cached.value;
    const value = await this.read();
    this.cache = { at: this.o.clock.now().getTime(), value };
    return value;
  }

  private async read(): Promise<VolumeHolders> {
    const nodes = (await this.o.nodes()).filter((n) => n.labels[ENGINE_LABEL]);
    const holders = new Map<string, SwarmNode>();
    const volumes: OwnedVolume[] = [];
    const unreachable: string[] = [];
    await Promise.all(
      nodes.map(async (n) => {
        try {
          for (const v of (await this.o.engineOf(n).inventory()).volumes ?? []) {
            holders.set(v.name, n);
            volumes.push({ ...v, labels: { ...v.labels, [LABEL.node]: n.hostname } });
          }
        } catch {
          unreachable.push(n.hostname);
        }
      }),
    );
    return { holders, volumes: volumes.sort((a, b) => a.name.localeCompare(b.name)), unreachable: unreachable.sort(), nodes };
  }

  /** The node holding a replica's claims' volumes (undefined: it mounts none); refused when one is missing or they are on different nodes. */
  async pinFor(spec: ContainerSpec): Promise<SwarmNode | undefined> {
    const claims = (spec.mounts ?? []).flatMap((m) => (m.kind === 'volume' ? [m.name] : []));
    if (claims.length === 0) return undefined;
    const { holders, unreachable: silent } = await this.holders();
    const where = claims.map((c) => [c, holders.get(c)] as const);
    const missing = where.filter(([, n]) => !n).map(([c]) => c);
    if (missing.length > 0)
      throw new BerthError(
        'CONTAINER_START_FAILED',
        `replica ${spec.name}: volume ${missing.join(', ')} is on no node berth reaches${silent.length > 0 ? ` (the engine of ${silent.join(', ')} did not answer)` : ''}`,
        { details: { container: spec.name, volumes: missing } },
      );
    const hosts = [...new Set(where.map(([, n]) => n!.hostname))];
    if (hosts.length > 1)
      throw new BerthError(
        'CONTAINER_START_FAILED',
        `replica ${spec.name}: its volumes are on different nodes (${where.map(([c, n]) => `${c} on ${n!.hostname}`).join(', ')}); a replica runs on one node`,
        { details: { container: spec.name } },
      );
    return where[0]![1];
  }
}

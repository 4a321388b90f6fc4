/**
 * The nodes' own engines (label `berth.engine`): the address a label gives, and berth's pings of
 * each while it watches, which find a node whose engine died before Swarm's heartbeats do
 * (map.ts nextEngineProbe decides; this file does the I/O).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError, type Clock, type Logger } from '../../core/index.js';
import { parseEngineAddress } from '../docker/client.js';
import { isRefusedConnection } from '../docker/errors.js';
import type { RuntimeDriver } from '../driver.js';
import { ENGINE_LABEL, nextEngineProbe, withGoneEngines, type EngineProbe, type SwarmNode } from './map.js';

/**
 * The engine address of a node's `berth.engine` label: any address berth reaches engines at
 * (a unix socket, tcp:// with the manager's TLS, ssh://). No label: ENGINE_UNREACHABLE saying how
 * to add one; an address berth cannot use: USAGE naming the node.
 */
export function nodeEngineAddress(node: SwarmNode): string {
  const url = node.labels[ENGINE_LABEL];
  if (!url)
    throw new BerthError(
      'ENGINE_UNREACHABLE',
      `berth cannot reach the engine of node ${node.hostname}: label it with ${ENGINE_LABEL}=unix:///path/to/docker.sock, tcp://host:port or ssh://user@host (docker node update --label-add)`,
      { details: { node: node.hostname } },
    );
  try {
    parseEngineAddress(url);
  } catch (err) {
    throw new BerthError('USAGE', `node ${node.hostname}: label ${ENGINE_LABEL}: ${err instanceof Error ? err.message : String(err)}`, {
      details: { node: node.hostname },
    });
  }
  return url;
}

/** berth's own view of the nodes' engines: what its pings found, per node hostname. */
export class EngineProbes {
  private readonly records = new Map<string, EngineProbe>();

  constructor(
    private readonly o: {
      readonly engineOf: (node: SwarmNode) => RuntimeDriver;
      readonly clock: Clock;
      readonly log: Logger;
    },
  ) {}

  /** The nodes as berth acts on them: one whose engine is gone is down (withGoneEngines). */
  apply(nodes: readonly SwarmNode[]): SwarmNode[] {
    return withGoneEngines(nodes, this.records);
  }

  /**
   * Every ENGINE_PROBE_MS while watching: a ping of each ready node's own engine (its
   * `berth.engine` label). An engine that answered before and now refuses connections twice in a
   * row is gone (nextEngineProbe): its node is down for berth at once, seconds before Swarm's
   * heartbeats say so, and `onChange` lets the watch loop look again now. One ping per node at a
   * time; a slow one (a loaded engine) is no evidence.
   */
  async run(nodes: () => readonly SwarmNode[], onChange: () => void, signal: AbortSignal): Promise<void> {
    const inFlight = new Set<string>();
    while (!signal.aborted) {
      for (const node of nodes()) {
        if (node.state !== 'ready' || !node.labels[ENGINE_LABEL] || inFlight.has(node.hostname)) continue;
        // The next ping of a node waits for this one to settle, even past its deadline (a hung engine gets one at a time).
        inFlight.add(node.hostname);
        const ping = Promise.resolve()
          .then(() => this.o.engineOf(node).ping())
          .finally(() => inFlight.delete(node.hostname));
        void this.probe(node, ping, onChange).catch((err: unknown) => this.o.log.warn({ err: String(err), node: node.hostname }, 'engine probe failed'));
      }
      // Resolves early (rejecting, ignored) when the watch is aborted.
      await sleep(ENGINE_PROBE_MS, undefined, { signal }).catch(() => {});
    }
  }

  private async probe(node: SwarmNode, ping: Promise<void>, onChange: () => void): Promise<void> {
    let result: 'answered' | 'refused' | 'inconclusive';
    try {
      await withDeadline(ping, ENGINE_PROBE_DEADLINE_MS);
      result = 'answered';
    } catch (err) {
      // Over ssh:// a refusal is sshd's, not the engine's: no evidence that the engine died.
      result = isRefusedConnection(err) && !(node.labels[ENGINE_LABEL] ?? '').startsWith('ssh://') ? 'refused' : 'inconclusive';
    }
    const before = this.records.get(node.hostname);
    const after = nextEngineProbe(before, result, this.o.clock.now());
    this.records.set(node.hostname, after);
    if ((before?.goneSince === undefined) === (after.goneSince === undefined)) return;
    if (after.goneSince) this.o.log.warn({ node: node.hostname }, "node's engine refuses connections: its replicas are lost now, replaced on the other nodes");
    else this.o.log.info({ node: node.hostname }, "node's engine answers again");
    onChange();
  }
}

/** How often berth pings each node's own engine while it watches, and how long one ping may take to count. */
const ENGINE_PROBE_MS = 250;
const ENGINE_PROBE_DEADLINE_MS = 2_000;

/** `promise`, or a rejection after `ms` (the promise is left to settle on its own). */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error(`no answer in ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

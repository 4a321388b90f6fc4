import { LABEL, type NodeInfo, type OwnedContainer } from '../runtime/index.js';

/** One row of `berth nodes`: a node, and what this berth instance runs there. */
export interface NodeRow extends NodeInfo {
  /** berth's replicas on it that run, by namespace/name, sorted. */
  readonly replicas: readonly string[];
}

/**
 * The nodes with the replicas each runs (the node a replica's task is on: label berth.node).
 *   node2 with shop.web.1a2b.0 running → replicas ['shop/web.1a2b.0']
 */
export function nodeRows(nodes: readonly NodeInfo[], containers: readonly OwnedContainer[]): NodeRow[] {
  return nodes.map((n) => ({
    ...n,
    replicas: containers
      .filter((c) => c.state === 'running' && c.labels[LABEL.node] === n.hostname)
      .map((c) => `${c.labels[LABEL.namespace] ?? '?'}/${c.name.split('.').slice(1).join('.')}`)
      .sort(),
  }));
}

import { LABEL, type NodeInfo, type OwnedContainer } from '../runtime/index.js';
import { renderTable } from './get.js';

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

/** `docker node ls` with berth's replicas: NAME ROLE STATUS AVAILABILITY ADDRESS REPLICAS LABELS. */
export function renderNodes(rows: readonly NodeRow[]): string {
  return renderTable(
    ['NAME', 'ROLE', 'STATUS', 'AVAILABILITY', 'ADDRESS', 'REPLICAS', 'LABELS'],
    rows.map((r) => [
      r.hostname,
      r.role === 'manager'
        ? r.leader
          ? 'manager (leader)'
          : `manager${r.reachability && r.reachability !== 'reachable' ? ` (${r.reachability})` : ''}`
        : 'worker',
      r.state,
      r.availability,
      r.address,
      String(r.replicas.length),
      Object.entries(r.labels)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '<none>',
    ]),
  );
}

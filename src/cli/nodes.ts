import type { NodeRow } from '../observed/index.js';
import { renderTable } from './get.js';

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

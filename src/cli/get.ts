/**
 * `berth get namespaces|deployments|pods|services`: kubectl's tables. Pure: the command reads
 * the state directory (namespaces, Deployments, Services: what the last passes recorded) or
 * asks the running berth (pods: readiness is its prober's), and these functions only shape rows.
 */
import { InvalidArgumentError } from 'commander';
import type { PodStatus } from '../observed/index.js';
import type { NamespaceStatus, StoreState } from '../store/index.js';
import { byCodeUnit } from '../core/index.js';

export const GET_KINDS = ['namespaces', 'deployments', 'statefulsets', 'pods', 'services'] as const;
export type GetKind = (typeof GET_KINDS)[number];

/** kubectl's names of each kind: plural, singular and short. */
const KIND_NAMES: Readonly<Record<string, GetKind>> = {
  namespaces: 'namespaces',
  namespace: 'namespaces',
  ns: 'namespaces',
  deployments: 'deployments',
  deployment: 'deployments',
  deploy: 'deployments',
  statefulsets: 'statefulsets',
  statefulset: 'statefulsets',
  sts: 'statefulsets',
  pods: 'pods',
  pod: 'pods',
  po: 'pods',
  services: 'services',
  service: 'services',
  svc: 'services',
};

/** The kind argument: kubectl's names (`po`, `deploy`, `svc`, `ns`, singular or plural), any case. */
export function getKind(value: string): GetKind {
  const kind = Object.hasOwn(KIND_NAMES, value.toLowerCase()) ? KIND_NAMES[value.toLowerCase()] : undefined;
  if (!kind)
    throw new InvalidArgumentError(
      `${JSON.stringify(value)} is not a kind berth gets; allowed: namespaces (ns), deployments (deploy), statefulsets (sts), pods (po), services (svc)`,
    );
  return kind;
}

export interface GetQuery {
  /** -n: one namespace; absent: every namespace (kubectl -A), with a NAMESPACE column. */
  readonly namespace?: string;
  /** Only the object of this name. */
  readonly name?: string;
  readonly wide: boolean;
  readonly now: Date;
}

/** Rows of one kind as a value (for -o json/yaml) and as a table (text, wide). */
export interface GetResult {
  readonly items: readonly object[];
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/**
 * kubectl's human duration (k8s.io/apimachinery duration.HumanDuration):
 *   45 s → 45s, 150 s → 2m30s, 2 h → 120m, 5 h 30 m → 5h30m, 30 h → 30h, 3 d 4 h → 3d4h, 20 d → 20d
 */
export function age(since: string | undefined, now: Date): string {
  const t = since === undefined ? Number.NaN : Date.parse(since);
  if (Number.isNaN(t)) return '<unknown>';
  const s = Math.max(0, Math.floor((now.getTime() - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  return `${d}d`;
}

/** A table as kubectl prints it: columns left-aligned, three spaces apart, no trailing blanks. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** kubectl's message when nothing matched (on stderr, exit 0). */
export function nothingFound(query: Pick<GetQuery, 'namespace'>): string {
  return query.namespace ? `No resources found in ${query.namespace} namespace.` : 'No resources found';
}

const shortCommit = (c: string | undefined): string => (c ? c.slice(0, 12) : '<none>');

function namespacesOf(state: StoreState, query: GetQuery): NamespaceStatus[] {
  return Object.keys(state.namespaces)
    .sort()
    .filter((n) => query.namespace === undefined || n === query.namespace)
    .map((n) => state.namespaces[n]!);
}

/** The namespace column first when every namespace is listed (kubectl -A). */
function withNamespace(query: GetQuery, namespace: string, cells: string[]): string[] {
  return query.namespace === undefined ? [namespace, ...cells] : cells;
}

function headerOf(query: GetQuery, columns: string[], wideColumns: string[]): string[] {
  return [...(query.namespace === undefined ? ['NAMESPACE'] : []), ...columns, ...(query.wide ? wideColumns : [])];
}

export function getNamespaces(state: StoreState, query: GetQuery): GetResult {
  const items = Object.keys(state.namespaces)
    .sort()
    .filter((n) => (query.name ?? query.namespace) === undefined || n === (query.name ?? query.namespace))
    .map((n) => state.namespaces[n]!);
  return {
    items,
    header: ['NAME', 'STATUS', 'COMMIT', 'DEPLOYMENTS', 'LAST PASS', ...(query.wide ? ['ATTEMPTED', 'MESSAGE'] : [])],
    rows: items.map((ns) => [
      ns.namespace,
      ns.phase,
      shortCommit(ns.lastAppliedCommit),
      String(ns.deployments.length),
      age(ns.updatedAt, query.now),
      ...(query.wide ? [shortCommit(ns.lastAttemptedCommit), ns.message ?? ''] : []),
    ]),
  };
}

/** Deployments, or StatefulSets (`statefulSets`: status keeps both in one list, a StatefulSet's marked by its kind). */
export function getDeployments(state: StoreState, query: GetQuery, statefulSets = false): GetResult {
  const items = namespacesOf(state, query).flatMap((ns) =>
    ns.deployments
      .filter((d) => (d.kind === 'StatefulSet') === statefulSets && (query.name === undefined || d.name === query.name))
      .map((d) => ({ namespace: ns.namespace, ...d })),
  );
  return {
    items,
    header: headerOf(query, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'PHASE'], ['REVISION', 'MESSAGE']),
    rows: items.map((d) =>
      withNamespace(query, d.namespace, [
        d.name,
        `${d.availableReplicas}/${d.replicas}`,
        String(d.updatedReplicas),
        String(d.availableReplicas),
        d.phase,
        ...(query.wide ? [d.revision, d.message ?? ''] : []),
      ]),
    ),
  };
}

/** One row per Service (status keeps one entry per port): kubectl's PORT(S) `80/TCP`, NodePort/LoadBalancer `80:30080/TCP`. */
export function getServices(state: StoreState, query: GetQuery): GetResult {
  const items = namespacesOf(state, query).flatMap((ns) => {
    const byName = new Map<string, NonNullable<NamespaceStatus['services']>[number][]>();
    for (const p of ns.services ?? []) if (query.name === undefined || p.name === query.name) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
    return [...byName.entries()]
      .sort(([a], [b]) => byCodeUnit(a, b))
      .map(([name, ports]) => ({
        namespace: ns.namespace,
        name,
        type: ports[0]!.type ?? 'ClusterIP',
        clusterIP: ports[0]!.clusterIP || '<pending>',
        ports: ports.map((p) => ({ port: p.port, ...(p.listen ? { listen: p.listen } : {}), endpoints: p.endpoints, ...(p.error ? { error: p.error } : {}) })),
      }));
  });
  return {
    items,
    header: headerOf(query, ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'ENDPOINTS'], ['ERROR']),
    rows: items.map((s) => {
      const hostPort = (listen: string | undefined): string => (listen ? `:${listen.slice(listen.lastIndexOf(':') + 1)}` : '');
      const external = s.type === 'LoadBalancer' ? (s.ports.find((p) => p.listen)?.listen?.replace(/:\d+$/, '') ?? '<pending>') : '<none>';
      return withNamespace(query, s.namespace, [
        s.name,
        s.type,
        s.clusterIP,
        external,
        s.ports.map((p) => `${p.port}${s.type === 'NodePort' ? hostPort(p.listen) : ''}/TCP`).join(','),
        String(Math.max(0, ...s.ports.map((p) => p.endpoints))),
        ...(query.wide ? [s.ports.flatMap((p) => (p.error ? [p.error] : [])).join('; ')] : []),
      ]);
    }),
  };
}

export function getPods(pods: readonly PodStatus[], query: GetQuery): GetResult {
  const items = pods.filter((p) => (query.namespace === undefined || p.namespace === query.namespace) && (query.name === undefined || p.name === query.name));
  return {
    items,
    header: headerOf(query, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'], ['IP', 'NODE', 'REVISION', 'CONTAINER', 'REASON']),
    rows: items.map((p) =>
      withNamespace(query, p.namespace, [
        p.name,
        p.containers ? `${p.containers.filter((c) => c.ready).length}/${p.containers.length}` : `${p.ready ? 1 : 0}/1`,
        p.status,
        p.restarts > 0 && p.lastRestart ? `${p.restarts} (${age(p.lastRestart, query.now)} ago)` : String(p.restarts),
        age(p.created, query.now),
        ...(query.wide ? [p.address ?? '<none>', p.node ?? '<none>', p.revision, p.container, p.reason ?? ''] : []),
      ]),
    ),
  };
}

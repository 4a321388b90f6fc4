/**
 * What the dashboard draws, built from the store state and the pods the engine runs: namespaces
 * as cards, and per namespace the tree Deployment → revisions → replicas, Services with their
 * endpoints, volumes and HPAs. Pure, so the page and its tests read one shape.
 *
 * Only named fields are copied (an allow-list): nothing from the store reaches the browser by
 * accident, and no Secret value is ever part of the state in the first place.
 */
import type { PodStatus } from '../observed/index.js';
import { isSecretEnv, type DesiredNamespace, type DesiredState } from '../desired/index.js';
import type { AutoscalerRecord, DeploymentStatus, NamespaceStatus, StoreState } from '../store/index.js';
import { byCodeUnit } from '../core/index.js';

export type Health = 'Healthy' | 'Progressing' | 'Degraded' | 'Missing';

export interface ReplicaView {
  readonly name: string;
  readonly container: string;
  readonly status: string;
  readonly ready: boolean;
  readonly reason?: string;
  readonly restarts: number;
  readonly address?: string;
  readonly image: string;
  /** A Pod of several containers: each, in start order (name, state, readiness, sidecar). */
  readonly containers?: readonly { readonly name: string; readonly state: string; readonly ready: boolean; readonly sidecar?: true }[];
}

export interface RevisionView {
  readonly revision: string;
  /** The revision the Deployment runs now (its desired revision). */
  readonly current: boolean;
  readonly commit?: string;
  readonly replicas: readonly ReplicaView[];
}

export interface DeploymentView {
  readonly name: string;
  readonly phase: DeploymentStatus['phase'];
  readonly health: Health;
  readonly message?: string;
  readonly revision: string;
  readonly replicas: number;
  readonly updatedReplicas: number;
  readonly availableReplicas: number;
  readonly readyReplicas: number;
  readonly pinnedTo?: string;
  readonly rolledBack?: { readonly revision: string; readonly reason: string };
  /** The HPA scaling it, when one does. */
  readonly autoscaler?: string;
  /** Current revision first, then the others still running replicas (an old one during a rollout). */
  readonly revisions: readonly RevisionView[];
}

export interface AutoscalerView {
  readonly name: string;
  readonly target: string;
  readonly replicas: number;
  readonly metrics: readonly { readonly metric: string; readonly target: number; readonly current?: number; readonly error?: string }[];
  readonly conditions: readonly { readonly type: string; readonly status: string; readonly reason: string }[];
  readonly lastScale?: { readonly at: string; readonly from: number; readonly to: number; readonly reason: string };
}

export interface IngressView {
  readonly name: string;
  /** One per host and path; `host` absent = any host. */
  readonly routes: readonly { readonly host?: string; readonly path: string; readonly pathType: string; readonly backend: string }[];
  /** `service:port` for requests no rule matches. */
  readonly defaultBackend?: string;
}

export interface NamespaceView {
  readonly name: string;
  /** The pass's phase: Synced, Progressing, Invalid, Refused, Error, Pruned. */
  readonly sync: NamespaceStatus['phase'];
  readonly health: Health;
  readonly message?: string;
  readonly lastAppliedCommit?: string;
  readonly lastAttemptedCommit?: string;
  /**
   * The commit the namespace runs (last applied, else last attempted); its subject, author and
   * time when it is the source's head commit (the one commit berth keeps them for).
   */
  readonly commit?: { readonly sha: string; readonly subject?: string; readonly author?: string; readonly time?: string };
  /** When the last pass ended. */
  readonly lastPass: string;
  readonly deployments: readonly DeploymentView[];
  readonly services: readonly {
    readonly name: string;
    readonly type: string;
    readonly port: number;
    readonly clusterIP?: string;
    readonly listen?: string;
    readonly endpoints: number;
    readonly error?: string;
  }[];
  readonly volumes: readonly { readonly name: string; readonly volume: string; readonly phase: string; readonly storage?: string; readonly message?: string }[];
  readonly autoscalers: readonly AutoscalerView[];
  /** The head commit's Ingresses: each rule's host and paths → Service:port (what the data plane routes). */
  readonly ingresses: readonly IngressView[];
  /** The head commit's ConfigMaps: names and keys only, never a value. */
  readonly configMaps: readonly { readonly name: string; readonly keys: readonly string[]; readonly immutable: boolean }[];
  /** The Secrets the head commit's pod templates use (env and volumes): names, the keys used and by which Deployments; never a value or its source. */
  readonly secrets: readonly { readonly name: string; readonly keys: readonly string[]; readonly usedBy: readonly string[] }[];
  readonly diagnostics: readonly { readonly severity: string; readonly message: string; readonly file?: string; readonly line?: number }[];
}

export interface DashboardView {
  readonly source?: { readonly commit?: string; readonly error?: string; readonly updatedAt: string };
  readonly namespaces: readonly NamespaceView[];
}

/** A Deployment's health from its rollout phase: Failed and RolledBack are Degraded (a rollout did not go through). */
export function deploymentHealth(phase: DeploymentStatus['phase']): Health {
  if (phase === 'Complete') return 'Healthy';
  if (phase === 'Failed' || phase === 'RolledBack') return 'Degraded';
  return 'Progressing';
}

/** A namespace's health: its worst Deployment's; a namespace whose pass errored is Degraded; Pruned is Missing. */
export function namespaceHealth(status: NamespaceStatus): Health {
  if (status.phase === 'Pruned') return 'Missing';
  if (status.phase === 'Error') return 'Degraded';
  const all = status.deployments.map((d) => deploymentHealth(d.phase));
  if (all.includes('Degraded')) return 'Degraded';
  if (all.includes('Progressing') || status.phase === 'Progressing') return 'Progressing';
  return 'Healthy';
}

function replicaView(p: PodStatus): ReplicaView {
  return {
    name: p.name,
    container: p.container,
    status: p.status,
    ready: p.ready,
    ...(p.reason !== undefined ? { reason: p.reason } : {}),
    restarts: p.restarts,
    ...(p.address !== undefined ? { address: p.address } : {}),
    image: p.image,
    ...(p.containers
      ? { containers: p.containers.map((c) => ({ name: c.name, state: c.state, ready: c.ready, ...(c.sidecar ? { sidecar: true as const } : {}) })) }
      : {}),
  };
}

function revisionsOf(d: DeploymentStatus, pods: readonly PodStatus[]): RevisionView[] {
  const byRevision = new Map<string, PodStatus[]>([[d.revision, []]]);
  for (const p of pods) {
    const list = byRevision.get(p.revision);
    if (list) list.push(p);
    else byRevision.set(p.revision, [p]);
  }
  return [...byRevision.entries()].map(([revision, list]) => {
    const sorted = [...list].sort((a, b) => a.replica - b.replica || a.name.localeCompare(b.name));
    const commit = sorted[0]?.commit;
    return { revision, current: revision === d.revision, ...(commit ? { commit } : {}), replicas: sorted.map(replicaView) };
  });
}

function autoscalerView(a: AutoscalerRecord): AutoscalerView {
  return {
    name: a.name,
    target: a.target,
    replicas: a.replicas,
    metrics: (a.metrics ?? []).map((m) => ({
      metric: m.metric,
      target: m.target,
      ...(m.current !== undefined ? { current: m.current } : {}),
      ...(m.error !== undefined ? { error: m.error } : {}),
    })),
    conditions: (a.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason })),
    ...(a.lastScale ? { lastScale: { ...a.lastScale } } : {}),
  };
}

function commitOf(sha: string | undefined, source: StoreState['source']): { commit?: NonNullable<NamespaceView['commit']> } {
  if (sha === undefined) return {};
  if (source?.commit !== sha) return { commit: { sha } };
  return {
    commit: {
      sha,
      ...(source.subject !== undefined ? { subject: source.subject } : {}),
      ...(source.author !== undefined ? { author: source.author } : {}),
      ...(source.committedAt !== undefined ? { time: source.committedAt } : {}),
    },
  };
}

/** Ingress rules as routes, ConfigMaps as their keys (sorted): an allow-list, so no ConfigMap value is ever copied. */
function declaredOf(ns: DesiredNamespace | undefined): Pick<NamespaceView, 'ingresses' | 'configMaps' | 'secrets'> {
  return {
    secrets: secretsUsed(ns),
    ingresses: (ns?.ingresses ?? []).map((i) => ({
      name: i.name,
      routes: i.rules.flatMap((r) =>
        r.paths.map((p) => ({
          ...(r.host !== undefined ? { host: r.host } : {}),
          path: p.path,
          pathType: p.pathType,
          backend: `${p.backend.service}:${p.backend.port}`,
        })),
      ),
      ...(i.defaultBackend ? { defaultBackend: `${i.defaultBackend.service}:${i.defaultBackend.port}` } : {}),
    })),
    configMaps: (ns?.configMaps ?? []).map((c) => ({
      name: c.name,
      keys: [...Object.keys(c.content.data), ...Object.keys(c.content.binaryData)].sort(),
      immutable: c.immutable,
    })),
  };
}

/** The Secrets a namespace's templates reference (every container's env and secret volumes), by name: keys and users only. */
function secretsUsed(ns: DesiredNamespace | undefined): NamespaceView['secrets'] {
  const used = new Map<string, { keys: Set<string>; usedBy: Set<string> }>();
  const use = (secret: string, key: string, deployment: string) => {
    const entry = used.get(secret) ?? { keys: new Set<string>(), usedBy: new Set<string>() };
    entry.keys.add(key);
    entry.usedBy.add(deployment);
    used.set(secret, entry);
  };
  for (const d of ns?.deployments ?? []) {
    const t = d.template;
    for (const c of [t, ...(t.initContainers ?? []), ...(t.sidecars ?? []), ...(t.containers ?? [])]) {
      for (const e of c.env) if (isSecretEnv(e)) use(e.secretRef.secret, e.secretRef.key, d.name);
      for (const m of c.mounts ?? []) if (m.source.kind === 'secret') for (const f of m.source.files) use(f.secret, f.key, d.name);
    }
  }
  return [...used].sort(([a], [b]) => byCodeUnit(a, b)).map(([name, u]) => ({ name, keys: [...u.keys].sort(), usedBy: [...u.usedBy].sort() }));
}

/**
 * The dashboard's view of `state` (already stripped of credentials), the engine's `pods` and the
 * head commit's `desired` state (for Ingresses and ConfigMaps; absent before the first fetch).
 */
export function dashboardView(state: StoreState, pods: readonly PodStatus[], desired?: DesiredState): DashboardView {
  const autoscalers = Object.values(state.autoscalers ?? {});
  const namespaces = Object.values(state.namespaces)
    .sort((a, b) => a.namespace.localeCompare(b.namespace))
    .map((ns): NamespaceView => {
      const nsPods = pods.filter((p) => p.namespace === ns.namespace);
      const nsHpas = autoscalers.filter((a) => a.namespace === ns.namespace).sort((a, b) => a.name.localeCompare(b.name));
      return {
        name: ns.namespace,
        sync: ns.phase,
        health: namespaceHealth(ns),
        ...(ns.message !== undefined ? { message: ns.message } : {}),
        ...(ns.lastAppliedCommit !== undefined ? { lastAppliedCommit: ns.lastAppliedCommit } : {}),
        ...(ns.lastAttemptedCommit !== undefined ? { lastAttemptedCommit: ns.lastAttemptedCommit } : {}),
        ...commitOf(ns.lastAppliedCommit ?? ns.lastAttemptedCommit, state.source),
        lastPass: ns.updatedAt,
        deployments: [...ns.deployments]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((d): DeploymentView => {
            const dPods = nsPods.filter((p) => p.deployment === d.name);
            const hpa = nsHpas.find((a) => a.target === d.name);
            return {
              name: d.name,
              phase: d.phase,
              health: deploymentHealth(d.phase),
              ...(d.message !== undefined ? { message: d.message } : {}),
              revision: d.revision,
              replicas: d.replicas,
              updatedReplicas: d.updatedReplicas,
              availableReplicas: d.availableReplicas,
              readyReplicas: dPods.filter((p) => p.ready).length,
              ...(d.pinnedTo !== undefined ? { pinnedTo: d.pinnedTo } : {}),
              ...(d.rolledBack ? { rolledBack: { revision: d.rolledBack.revision, reason: d.rolledBack.reason } } : {}),
              ...(hpa ? { autoscaler: hpa.name } : {}),
              revisions: revisionsOf(d, dPods),
            };
          }),
        services: [...(ns.services ?? [])].map((s) => ({
          name: s.name,
          type: s.type ?? 'ClusterIP',
          port: s.port,
          ...(s.clusterIP !== undefined ? { clusterIP: s.clusterIP } : {}),
          ...(s.listen !== undefined ? { listen: s.listen } : {}),
          endpoints: s.endpoints,
          ...(s.error !== undefined ? { error: s.error } : {}),
        })),
        volumes: [...(ns.volumes ?? [])].map((v) => ({
          name: v.name,
          volume: v.volume,
          phase: v.phase,
          ...(v.storage !== undefined ? { storage: v.storage } : {}),
          ...(v.message !== undefined ? { message: v.message } : {}),
        })),
        autoscalers: nsHpas.map(autoscalerView),
        ...declaredOf(desired?.namespaces.find((d) => d.name === ns.namespace && d.valid)),
        diagnostics: ns.diagnostics.map((g) => ({
          severity: g.severity,
          message: g.message,
          ...(g.file !== undefined ? { file: g.file } : {}),
          ...(g.line !== undefined ? { line: g.line } : {}),
        })),
      };
    });
  const source = state.source;
  return {
    ...(source
      ? { source: { ...(source.commit ? { commit: source.commit } : {}), ...(source.error ? { error: source.error } : {}), updatedAt: source.updatedAt } }
      : {}),
    namespaces,
  };
}

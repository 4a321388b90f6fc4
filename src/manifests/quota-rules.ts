import type { Diagnostic } from '../core/index.js';
import { formatFieldPath, type FieldPath, type Position } from './locate.js';
import { formatCpu, formatMemory, parseCount, parseCpu, parseMemory } from './quantity.js';
import { podContainers, QUOTA_RESOURCES, type DeploymentSpec, type QuotaResource, type ResourceQuotaManifest } from './types.js';

/**
 * Namespace quotas (v1 ResourceQuota), checked when a commit is loaded: the facts each document
 * contributes (a quota's bounds, a Deployment's demand, where each number is written) and the
 * folder-level check that sums the demands and compares them with every quota of the folder.
 *
 * What berth sums, per namespace folder, over its Deployments in file then document order:
 *   pods                     Σ spec.replicas (absent = 1)
 *   limits.cpu/limits.memory Σ spec.replicas × Σ containers' resources.limits.<cpu|memory>
 *   count/deployments.apps, services (count/services), secrets (count/secrets),
 *   count/ingresses.networking.k8s.io: the number of such objects
 * These are steady-state figures: a RollingUpdate surges up to maxSurge extra replicas while it
 * runs, as Kubernetes' quota also has to allow for; berth does not count the surge.
 *
 * The Deployment (or object) whose addition takes a sum over a bound gets the error, once per
 * quota and resource, with the arithmetic:
 *   quota pods: 10; web 6 replicas, then api 5   → on api's spec.replicas:
 *   "replicas 6 + 5 = 11 > pods 10 of ResourceQuota shop/compute (shop/quota.yaml:7)"
 *   quota limits.memory: 1Gi; web 2 × 256Mi, then api 3 × 256Mi → on api's limit:
 *   "limits.memory 512Mi + 3 × 256Mi = 1280Mi > limits.memory 1Gi of ResourceQuota …"
 * As in Kubernetes, when a quota bounds limits.cpu or limits.memory, a Deployment with replicas
 * whose container sets no such limit is an error (Kubernetes refuses such pods outright).
 */

/** One bound of a valid ResourceQuota, parsed, with where it is written. */
export interface QuotaBound {
  readonly resource: QuotaResource;
  /** As written in the manifest (`"10"`, `1Gi`). */
  readonly written: string;
  /** Count, nanoCPUs or bytes. */
  readonly amount: number;
  readonly at: Position;
}

/** What one replica of a container asks of limits.cpu / limits.memory. */
interface ContainerLimit {
  /** nanoCPUs or bytes; undefined when the container sets no such limit. */
  readonly amount: number | undefined;
  /** Dotted path of the limit (where it is, or where it must be written). */
  readonly field: string;
  readonly at: Position;
}

/** A valid Deployment's demand on quotas, with the positions the folder-level check points at. */
export interface QuotaDemand {
  readonly replicas: number;
  readonly replicasAt: Position;
  /** App containers, then init containers (`init`), which run one at a time before the app. */
  readonly containers: readonly { readonly name: string; readonly init?: true; readonly cpu: ContainerLimit; readonly memory: ContainerLimit }[];
}

export function quotaBoundsOf(spec: ResourceQuotaManifest['spec'], locate: (path: FieldPath) => Position): QuotaBound[] {
  const out: QuotaBound[] = [];
  for (const resource of QUOTA_RESOURCES) {
    const value = spec.hard[resource];
    if (value === undefined) continue;
    const amount =
      resource === 'limits.cpu' ? parseCpu(value) : resource === 'limits.memory' || resource === 'requests.storage' ? parseMemory(value) : parseCount(value);
    if (amount === undefined) continue; // the schema refused it already
    out.push({ resource, written: String(value), amount, at: locate(['spec', 'hard', resource]) });
  }
  return out;
}

export function quotaDemandOf(spec: DeploymentSpec, locate: (path: FieldPath) => Position): QuotaDemand {
  const limit = (path: FieldPath, value: string | number | undefined, parse: (q: string | number) => number | undefined): ContainerLimit => ({
    amount: value === undefined ? undefined : parse(value),
    field: formatFieldPath(path),
    at: locate(path),
  });
  return {
    replicas: spec.replicas ?? 1,
    replicasAt: locate(['spec', 'replicas']),
    containers: podContainers(spec.template).map(({ container: c, path, list }) => {
      const at: FieldPath = [...path, 'resources', 'limits'];
      return {
        name: c.name,
        // A native sidecar runs beside the app for the Pod's life: counted with the app containers (as Kubernetes does).
        ...(list === 'initContainers' && c.restartPolicy !== 'Always' ? { init: true as const } : {}),
        cpu: limit([...at, 'cpu'], c.resources?.limits?.cpu, parseCpu),
        memory: limit([...at, 'memory'], c.resources?.limits?.memory, parseMemory),
      };
    }),
  };
}

/** A valid ResourceQuota of a folder, placed. */
export interface PlacedQuota {
  readonly name: string;
  readonly file: string;
  readonly document: number;
  readonly bounds: readonly QuotaBound[];
}

/** A valid object of a folder, placed, in file then document order (Deployments with their demand). */
export interface PlacedObject {
  readonly kind: string;
  readonly name: string;
  readonly file: string;
  readonly document: number;
  readonly nameAt: Position;
  readonly demand?: QuotaDemand;
  /** A PersistentVolumeClaim's spec.resources.requests.storage, in bytes, and where it is written (`field`: when not at the claim's spec). */
  readonly storage?: { readonly amount: number; readonly at: Position; readonly field?: string };
}

/** The kind an object-count resource counts, and how a message names a number of them. */
const COUNTED: Partial<Record<QuotaResource, { readonly kind: string; readonly plural: string }>> = {
  'count/deployments.apps': { kind: 'Deployment', plural: 'Deployments' },
  services: { kind: 'Service', plural: 'Services' },
  'count/services': { kind: 'Service', plural: 'Services' },
  secrets: { kind: 'Secret', plural: 'Secrets' },
  'count/secrets': { kind: 'Secret', plural: 'Secrets' },
  'count/ingresses.networking.k8s.io': { kind: 'Ingress', plural: 'Ingresses' },
  persistentvolumeclaims: { kind: 'PersistentVolumeClaim', plural: 'PersistentVolumeClaims' },
  'count/persistentvolumeclaims': { kind: 'PersistentVolumeClaim', plural: 'PersistentVolumeClaims' },
};

/**
 * Every quota of the folder against the sum of its objects (all quotas apply). Pure; the
 * errors make the namespace invalid, so it is left exactly as it runs.
 */
export function checkQuotas(namespace: string, quotas: readonly PlacedQuota[], objects: readonly PlacedObject[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const required = new Set<string>(); // "file#document#container#resource": one missing-limit error each
  for (const quota of quotas) {
    for (const bound of quota.bounds) {
      const source = `ResourceQuota ${namespace}/${quota.name} (${quota.file}:${bound.at.line})`;
      const counted = COUNTED[bound.resource];
      if (counted) {
        const over = objects.filter((o) => o.kind === counted.kind);
        if (over.length <= bound.amount) continue;
        const o = over[bound.amount]!; // the first one beyond the bound
        out.push({
          severity: 'error',
          code: 'QUOTA_EXCEEDED',
          file: o.file,
          namespace,
          document: o.document,
          field: 'metadata.name',
          ...o.nameAt,
          message: `${counted.plural} ${sum(bound.amount, '1', bound.amount + 1)} > ${bound.resource} ${bound.written} of ${source}${over.length > bound.amount + 1 ? `; the folder defines ${over.length} in all` : ''}`,
        });
        continue;
      }
      if (bound.resource === 'requests.storage') {
        out.push(...overStorage(objects, bound, source, namespace));
        continue;
      }
      const deployments = objects.filter((o): o is PlacedObject & { demand: QuotaDemand } => o.demand !== undefined && o.demand.replicas > 0);
      if (bound.resource === 'pods') {
        out.push(
          ...overTotal(
            deployments,
            bound,
            (d) => ({ amount: d.demand.replicas, each: undefined, field: 'spec.replicas', at: d.demand.replicasAt }),
            String,
            'replicas',
            source,
            namespace,
          ),
        );
        continue;
      }
      const resource = bound.resource === 'limits.cpu' ? 'cpu' : 'memory';
      const format = resource === 'cpu' ? formatCpu : formatMemory;
      const complete: typeof deployments = [];
      for (const d of deployments) {
        const missing = d.demand.containers.filter((c) => c[resource].amount === undefined);
        for (const c of missing) {
          const key = `${d.file}#${d.document}#${c.name}#${resource}`;
          if (required.has(key)) continue;
          required.add(key);
          out.push({
            severity: 'error',
            code: 'QUOTA_LIMIT_REQUIRED',
            file: d.file,
            namespace,
            document: d.document,
            field: c[resource].field,
            ...c[resource].at,
            message: `container ${JSON.stringify(c.name)} must set resources.limits.${resource}: ${source} bounds ${bound.resource}, and under such a quota Kubernetes refuses pods without that limit`,
          });
        }
        if (missing.length === 0) complete.push(d);
      }
      out.push(
        ...overTotal(
          complete,
          bound,
          (d) => {
            // Kubernetes' effective pod limit: the app containers together, or the largest init container (they run alone, one at a time).
            const app = d.demand.containers.filter((c) => !c.init).reduce((n, c) => n + (c[resource].amount ?? 0), 0);
            const each = Math.max(app, ...d.demand.containers.filter((c) => c.init).map((c) => c[resource].amount ?? 0));
            const first = d.demand.containers[0]![resource];
            return {
              amount: d.demand.replicas * each,
              each: d.demand.replicas > 1 ? `${d.demand.replicas} × ${format(each)}` : undefined,
              field: first.field,
              at: first.at,
            };
          },
          format,
          bound.resource,
          source,
          namespace,
        ),
      );
    }
  }
  return out;
}

/**
 * Walks the Deployments in order, adding each one's share; the first whose share takes the
 * running total over the bound gets the error.
 */
function overTotal(
  deployments: readonly (PlacedObject & { demand: QuotaDemand })[],
  bound: QuotaBound,
  share: (d: PlacedObject & { demand: QuotaDemand }) => { amount: number; each: string | undefined; field: string; at: Position },
  format: (n: number) => string,
  label: string,
  source: string,
  namespace: string,
): Diagnostic[] {
  const shares = deployments.map((d) => ({ d, ...share(d) }));
  const total = shares.reduce((n, s) => n + s.amount, 0);
  let before = 0;
  for (const s of shares) {
    const after = before + s.amount;
    if (after > bound.amount) {
      const mine = s.each ?? format(s.amount);
      const arithmetic = before === 0 ? (s.each ? `${mine} = ${format(after)}` : format(after)) : `${format(before)} + ${mine} = ${format(after)}`;
      return [
        {
          severity: 'error',
          code: 'QUOTA_EXCEEDED',
          file: s.d.file,
          namespace,
          document: s.d.document,
          field: s.field,
          ...s.at,
          message: [
            `${label} ${arithmetic} > ${bound.resource} ${bound.written} of ${source}`,
            ...(before > 0 ? [`the Deployments before ${JSON.stringify(s.d.name)} (in file order) declare ${format(before)}`] : []),
            ...(total > after ? [`the namespace's Deployments declare ${format(total)} in all`] : []),
          ].join('; '),
        },
      ];
    }
    before = after;
  }
  return [];
}

/**
 * requests.storage: the claims' storage requests summed in file then document order; the claim
 * whose request takes the total over gets the error, with the arithmetic:
 *   quota requests.storage: 10Gi; data 8Gi, then logs 4Gi → on logs' storage:
 *   "requests.storage 8Gi + 4Gi = 12Gi > requests.storage 10Gi of ResourceQuota …"
 */
function overStorage(objects: readonly PlacedObject[], bound: QuotaBound, source: string, namespace: string): Diagnostic[] {
  let before = 0;
  for (const o of objects) {
    if (!o.storage) continue;
    const after = before + o.storage.amount;
    if (after > bound.amount) {
      const arithmetic = before === 0 ? formatMemory(after) : `${formatMemory(before)} + ${formatMemory(o.storage.amount)} = ${formatMemory(after)}`;
      return [
        {
          severity: 'error',
          code: 'QUOTA_EXCEEDED',
          file: o.file,
          namespace,
          document: o.document,
          field: o.storage.field ?? 'spec.resources.requests.storage',
          ...o.storage.at,
          message: `requests.storage ${arithmetic} > requests.storage ${bound.written} of ${source}${before > 0 ? `; the PersistentVolumeClaims before ${JSON.stringify(o.name)} (in file order) request ${formatMemory(before)}` : ''}`,
        },
      ];
    }
    before = after;
  }
  return [];
}

/** `n + 1 = m` for counts (`1` alone when nothing came before). */
function sum(before: number, mine: string, after: number): string {
  return before === 0 ? String(after) : `${before} + ${mine} = ${after}`;
}

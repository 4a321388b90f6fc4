import { byCodeUnit, canonicalJson, compareDiagnostics, type Diagnostic } from '../core/index.js';
import {
  CONFIGMAP_ABSENT,
  DEPLOYMENT_DEFAULTS,
  describeSecretRef,
  isSecretEnv,
  type DesiredAutoscaler,
  type DesiredDeployment,
  type DesiredNamespace,
  type DesiredState,
  type EnvEntry,
  type InitContainer,
  type PodContainer,
  type ProbeSpec,
} from '../desired/index.js';
import type { IntOrPercent } from '../manifests/index.js';
import type {
  ChangeSet,
  ChangeSummary,
  DeploymentChange,
  FieldChange,
  NamespaceChange,
  NamespaceStatus,
  ObjectChange,
  ObjectVersion,
  PruneGuard,
  RolloutPreview,
  ServingCounts,
} from './change-set.js';
import { compareConfigMaps, immutableChanges, shortValue } from './compare-config.js';
import { compareClaims } from './compare-claims.js';
import { compareIngresses, compareNetworkPolicies, compareServices } from './compare-serving.js';
import { compareAutoscalers } from './compare-autoscalers.js';
import { describeStrategy, fenceposts, judgePrunes } from '../plan/index.js';
import { MASKED, maskDiagnostic, maskedEnvValue } from './mask.js';
import { formatCpu, formatMemory } from './quantity-format.js';

export interface CompareOptions {
  /** The manifest root inside the repository (`--path`); renderers prefix file paths with it. Default: '' (the repository root). */
  readonly root?: string;
  /**
   * Policy denials over the head, as the policy module will report them: error Diagnostics
   * carrying `namespace`. A namespace with any is `denied` (berth leaves it as it runs); a
   * denial without a known namespace is listed with the repository-level diagnostics.
   * Default: none (berth has no policy module yet).
   */
  readonly denials?: readonly Diagnostic[];
}

/**
 * What the head commit would change relative to the base commit, from their desired states
 * alone (no engine, no history): the preview a pull request gets. Pure and deterministic.
 *
 *  - Namespaces: the union of both, sorted. A namespace invalid in the head changes nothing
 *    (berth leaves it as it runs) and shows the head's diagnostics instead of a diff.
 *  - Deployments: added / removed (pruned) / changed / unchanged, with field-level changes of
 *    the normalized desired Deployment, and whether and how it rolls (the pod template's
 *    revision changes) — scale-only or settings-only changes do not roll.
 *  - Services and Ingresses (compare-serving.ts): added / removed / changed / unchanged, with
 *    what the data plane serves differently (selector, ports, routes). They never roll and
 *    the prune guard does not count them.
 *  - The prune guard's verdict, as DESIGN §6 states it: removing a whole namespace or more
 *    than half of the base's Deployments is refused unless the commit is confirmed; a head
 *    with no namespaces at all is refused outright (as the live plan refuses an empty desired state).
 *  - `base` undefined: there is nothing to compare with (a first commit, or the manifest root
 *    does not exist at the base); every namespace of the head is added.
 */
export function compare(base: DesiredState | undefined, head: DesiredState, options: CompareOptions = {}): ChangeSet {
  const denials = (options.denials ?? []).map(maskDiagnostic);
  const headNames = new Set(head.namespaces.map((n) => n.name));
  const names = [...new Set([...(base?.namespaces ?? []).map((n) => n.name), ...headNames])].sort(byCodeUnit);
  const compared = names.map((name) =>
    compareNamespace(
      base?.namespaces.find((n) => n.name === name),
      head.namespaces.find((n) => n.name === name),
      headNames.has(name) ? denials.filter((d) => d.namespace === name) : [],
    ),
  );
  const pruneGuard = guardPrunes(base, head, compared);
  const namespaces = compared.map((ns) => (ns.status === 'removed' ? { ...ns, message: `${ns.message}${GUARD_CLAUSE[pruneGuard.verdict]}` } : ns));
  const diagnostics = head.diagnostics.map(maskDiagnostic);
  const unplaced = denials.filter((d) => d.namespace === undefined || !headNames.has(d.namespace));
  return {
    schemaVersion: 1,
    ...(base ? { base: base.commit } : {}),
    head: head.commit,
    root: normalizeRoot(options.root ?? ''),
    namespaces,
    diagnostics,
    denials: unplaced,
    pruneGuard,
    summary: summarize(namespaces, diagnostics, unplaced),
  };
}

function normalizeRoot(root: string): string {
  return root
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '')
    .replace(/^\.$/, '');
}

function compareNamespace(base: DesiredNamespace | undefined, head: DesiredNamespace | undefined, denials: readonly Diagnostic[]): NamespaceChange {
  const namespace = (head?.name ?? base?.name)!;
  const immutable = base?.valid && head?.valid ? immutableChanges(namespace, base.configMaps ?? [], head.configMaps ?? []) : [];
  const diagnostics = [...(head?.diagnostics ?? []), ...immutable].sort(compareDiagnostics).map(maskDiagnostic);
  if (head && !head.valid) {
    const message = base
      ? "the head's manifests are invalid: berth leaves this namespace exactly as it runs, nothing in it changes"
      : "the head's manifests are invalid: berth does not create this namespace until they are valid";
    return { namespace, status: 'invalid', message, objects: [], diagnostics, denials };
  }
  if (!head) {
    const objects = base?.valid ? compareObjects(base, undefined) : [];
    const message = !base?.valid
      ? 'removed from Git: whatever berth runs in it (from an older valid commit: it is invalid in the base) is pruned, volumes are kept'
      : objects.length > 0
        ? 'removed from Git: everything berth runs in it is pruned, volumes are kept'
        : 'removed from Git: its network is removed, volumes are kept';
    return { namespace, status: 'removed', message, objects, diagnostics, denials };
  }
  const objects = compareObjects(base?.valid ? base : undefined, head);
  const status: NamespaceStatus =
    denials.length > 0 ? 'denied' : !base ? 'added' : !base.valid ? 'base-invalid' : objects.some((o) => o.change !== 'unchanged') ? 'changed' : 'unchanged';
  const message = STATUS_MESSAGES[status];
  return { namespace, status, ...(message ? { message } : {}), objects, diagnostics, denials };
}

const STATUS_MESSAGES: Partial<Record<NamespaceStatus, string>> = {
  added: 'new namespace: berth creates its network and Deployments',
  'base-invalid': "invalid in the base, so berth runs it from an older valid commit: the head's Deployments are listed in full, as added",
  denied: 'denied by policy: berth leaves this namespace as it runs; the changes below apply once the policy allows them',
};

/** What the prune guard's verdict adds to a removed namespace's message. */
const GUARD_CLAUSE: Record<PruneGuard['verdict'], string> = {
  'no-prunes': '',
  allowed: '',
  'needs-confirmation': '; the prune guard holds this until the commit is confirmed',
  refused: '; the prune guard refuses this commit',
};

/** Every object of a namespace: by kind in data-flow order (Deployments, the Services in front of them, the Ingresses in front of those), then by name. */
function compareObjects(base: DesiredNamespace | undefined, head: DesiredNamespace | undefined): ObjectChange[] {
  return [
    ...compareDeployments(base?.deployments ?? [], head?.deployments ?? [], head?.autoscalers ?? []),
    // `?? []`: a DesiredNamespace built before Services existed (an older store record, a test) has none
    ...compareServices(base?.services ?? [], head?.services ?? []),
    ...compareIngresses(base?.ingresses ?? [], head?.ingresses ?? []),
    ...compareNetworkPolicies(base?.networkPolicies ?? [], head?.networkPolicies ?? []),
    ...compareClaims(base?.volumes ?? [], head?.volumes ?? []),
    ...compareAutoscalers(base?.autoscalers ?? [], head?.autoscalers ?? [], head?.deployments ?? []),
    // The configuration last: the Deployments above say which of them roll because of it.
    ...compareConfigMaps(base?.configMaps ?? [], head?.configMaps ?? [], head?.deployments ?? []),
  ];
}

function compareDeployments(base: readonly DesiredDeployment[], head: readonly DesiredDeployment[], autoscalers: readonly DesiredAutoscaler[]): ObjectChange[] {
  const names = [...new Set([...base.map((d) => d.name), ...head.map((d) => d.name)])].sort(byCodeUnit);
  return names.map((name) => {
    const change = compareDeployment(
      base.find((d) => d.name === name),
      head.find((d) => d.name === name),
    );
    // An HPA of the head owns the count: a change of spec.replicas in Git scales nothing while it exists (plan/autoscale.ts).
    const hpa = autoscalers.find((a) => a.target === name);
    if (!hpa || change.change === 'removed') return change;
    return {
      ...change,
      fields: change.fields.map((f) => (f.field === 'replicas' ? { ...f, field: `replicas (only the start: HPA ${hpa.name} owns the count)` } : f)),
    };
  });
}

function version(d: DesiredDeployment): ObjectVersion {
  return { revision: d.revision, replicas: d.replicas, image: d.template.image, source: d.source };
}

/** One Deployment, base → head, field by field (secret-looking env values masked, Secret references named, never resolved). */
export function compareDeployment(base: DesiredDeployment | undefined, head: DesiredDeployment | undefined): DeploymentChange {
  const name = (head?.name ?? base?.name)!;
  const sides = { ...(base ? { base: version(base) } : {}), ...(head ? { head: version(head) } : {}) };
  const workload = (head ?? base)?.stateful ? { workload: 'StatefulSet' as const } : {};
  if (!head) return { kind: 'Deployment', ...workload, name, change: 'removed', ...sides, fields: [], rolls: false };
  const fields = deploymentFields(base, head);
  if (!base) return { kind: 'Deployment', ...workload, name, change: 'added', ...sides, fields: fields.filter((f) => !isDefault(f)), rolls: false };
  const rolls = base.revision !== head.revision && head.replicas > 0;
  const changed = fields.length > 0 || base.revision !== head.revision;
  const configMapsChanged = Object.keys(head.template.configMaps ?? {})
    .filter((n) => base.template.configMaps?.[n] !== undefined && base.template.configMaps[n] !== head.template.configMaps![n])
    .sort(byCodeUnit);
  return {
    kind: 'Deployment',
    ...workload,
    name,
    change: changed ? 'changed' : 'unchanged',
    ...sides,
    fields,
    rolls,
    ...(rolls ? { rollout: rolloutPreview(base, head) } : {}),
    ...(rolls && configMapsChanged.length > 0 ? { configMapsChanged } : {}),
  };
}

/**
 * Kubernetes defaults as compare() shows them. An added Deployment lists only the fields that
 * differ from these (every default would be noise in a review); a change to or from a
 * default is always shown.
 */
const SHOWN_DEFAULTS: Readonly<Record<string, string>> = {
  'strategy.type': 'RollingUpdate',
  'strategy.rollingUpdate.maxSurge': String(DEPLOYMENT_DEFAULTS.maxSurge),
  'strategy.rollingUpdate.maxUnavailable': String(DEPLOYMENT_DEFAULTS.maxUnavailable),
  minReadySeconds: String(DEPLOYMENT_DEFAULTS.minReadySeconds),
  progressDeadlineSeconds: String(DEPLOYMENT_DEFAULTS.progressDeadlineSeconds),
  revisionHistoryLimit: String(DEPLOYMENT_DEFAULTS.revisionHistoryLimit),
  paused: 'false',
  terminationGracePeriodSeconds: String(DEPLOYMENT_DEFAULTS.terminationGracePeriodSeconds),
};

function isDefault(f: FieldChange): boolean {
  return f.change === 'added' && f.to !== undefined && SHOWN_DEFAULTS[f.field] === f.to;
}

/** Fields compare.ts knows how to show; any other field of a DesiredDeployment or its template is compared as canonical JSON, so a field added later is never missed. */
// configData: the content of the ConfigMaps the template uses, shown as the template's `configMap.NAME` (by hash) and as the ConfigMap's own line.
const KNOWN_DEPLOYMENT_KEYS = new Set([
  'namespace',
  'name',
  'replicas',
  'strategy',
  'minReadySeconds',
  'progressDeadlineSeconds',
  'revisionHistoryLimit',
  'paused',
  'template',
  'revision',
  'source',
  'configData',
  'requests',
]);
const KNOWN_TEMPLATE_KEYS = new Set([
  'containerName',
  'image',
  'command',
  'args',
  'workingDir',
  'env',
  'ports',
  'probes',
  'memoryBytes',
  'nanoCpus',
  'stopGraceSeconds',
  'labels',
  'annotations',
  'configMaps',
  'initContainers',
  'sidecars',
  'containers',
]);

/**
 * Field-level changes, in a fixed order: spec settings first (they never roll), then the pod
 * template (every change there rolls). Paths are the short names people know from the
 * manifest (`image`, `env.NAME`, `resources.limits.memory`, `terminationGracePeriodSeconds`).
 * With `base` undefined every present field is `added`.
 */
function deploymentFields(base: DesiredDeployment | undefined, head: DesiredDeployment): FieldChange[] {
  const out: FieldChange[] = [];
  const scalar = (field: string, from: string | undefined, to: string | undefined): void => {
    const f = fieldChange(field, from, to);
    if (f) out.push(f);
  };
  const bt = base?.template;
  const ht = head.template;
  scalar('replicas', str(base?.replicas), str(head.replicas));
  scalar('strategy.type', base?.strategy.type, head.strategy.type);
  scalar('strategy.rollingUpdate.maxSurge', rolling(base, 'maxSurge'), rolling(head, 'maxSurge'));
  scalar('strategy.rollingUpdate.maxUnavailable', rolling(base, 'maxUnavailable'), rolling(head, 'maxUnavailable'));
  scalar('minReadySeconds', str(base?.minReadySeconds), str(head.minReadySeconds));
  scalar('progressDeadlineSeconds', str(base?.progressDeadlineSeconds), str(head.progressDeadlineSeconds));
  scalar('revisionHistoryLimit', str(base?.revisionHistoryLimit), str(head.revisionHistoryLimit));
  scalar('paused', str(base?.paused), str(head.paused));
  // Requests roll nothing: they only change what an HPA's Utilization is a percent of.
  scalar('resources.requests.cpu', cpuCores(base?.requests?.cpu), cpuCores(head.requests?.cpu));
  scalar(
    'resources.requests.memory',
    base?.requests?.memory === undefined ? undefined : formatMemory(base.requests.memory),
    head.requests?.memory === undefined ? undefined : formatMemory(head.requests.memory),
  );
  for (const key of unknownKeys(KNOWN_DEPLOYMENT_KEYS, base, head)) scalar(key, json(field(base, key)), json(field(head, key)));

  const templateStart = out.length;
  scalar('container.name', bt?.containerName, ht.containerName);
  scalar('image', bt?.image, ht.image);
  scalar('command', json(bt?.command), json(ht.command));
  scalar('args', json(bt?.args), json(ht.args));
  scalar('workingDir', text(bt?.workingDir), text(ht.workingDir));
  out.push(...envFields(bt?.env, ht.env));
  scalar('ports', ports(bt?.ports), ports(ht.ports));
  scalar('readinessProbe', probe(bt?.probes?.readiness), probe(ht.probes?.readiness));
  scalar('livenessProbe', probe(bt?.probes?.liveness), probe(ht.probes?.liveness));
  scalar('startupProbe', probe(bt?.probes?.startup), probe(ht.probes?.startup));
  scalar(
    'resources.limits.memory',
    bt?.memoryBytes === undefined ? undefined : formatMemory(bt.memoryBytes),
    ht.memoryBytes === undefined ? undefined : formatMemory(ht.memoryBytes),
  );
  scalar(
    'resources.limits.cpu',
    bt?.nanoCpus === undefined ? undefined : formatCpu(bt.nanoCpus),
    ht.nanoCpus === undefined ? undefined : formatCpu(ht.nanoCpus),
  );
  scalar('terminationGracePeriodSeconds', str(bt?.stopGraceSeconds), str(ht.stopGraceSeconds));
  out.push(...recordFields('labels', bt?.labels, ht.labels));
  out.push(...recordFields('annotations', bt?.annotations, ht.annotations));
  for (const name of [...new Set([...Object.keys(bt?.configMaps ?? {}), ...Object.keys(ht.configMaps ?? {})])].sort(byCodeUnit)) {
    scalar(`configMap.${name}`, configMapState(bt?.configMaps?.[name]), configMapState(ht.configMaps?.[name]));
  }
  // A Pod's other containers, by name: sidecars and init containers as the manifest lists them (initContainers), then the others.
  out.push(
    ...podContainerFields('initContainers', [...(bt?.sidecars ?? []), ...(bt?.initContainers ?? [])], [...(ht.sidecars ?? []), ...(ht.initContainers ?? [])]),
  );
  out.push(...podContainerFields('containers', bt?.containers ?? [], ht.containers ?? []));
  for (const key of unknownKeys(KNOWN_TEMPLATE_KEYS, bt, ht)) scalar(`template.${key}`, json(field(bt, key)), json(field(ht, key)));

  // The revision is a hash of the template: when it moved, some template field above moved.
  // Should a future template field escape the list, the change still shows.
  if (base && base.revision !== head.revision && out.length === templateStart) {
    out.push({ field: 'template', change: 'changed', from: `revision ${base.revision}`, to: `revision ${head.revision}` });
  }
  return out;
}

/** A used ConfigMap as a template field shows it: `content 1f2e3d4c5b` (10 characters of its hash), or `absent (optional)`. */
function configMapState(hash: string | undefined): string | undefined {
  if (hash === undefined) return undefined;
  return hash === CONFIGMAP_ABSENT ? 'absent (optional)' : `content ${hash.slice(0, 10)}`;
}

function fieldChange(field: string, from: string | undefined, to: string | undefined): FieldChange | undefined {
  if (from === to) return undefined;
  if (from === undefined) return { field, change: 'added', to: to! };
  if (to === undefined) return { field, change: 'removed', from };
  return { field, change: 'changed', from, to };
}

const str = (v: number | boolean | undefined): string | undefined => (v === undefined ? undefined : String(v));
const json = (v: unknown): string | undefined => (v === undefined ? undefined : canonicalJson(v));

/** A user string as shown: as is when plain, JSON-quoted when empty, padded or holding control characters (so one value is always one line). */
function text(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  return v === '' || v.trim() !== v || /[\u0000-\u001f\u007f\u2028\u2029]/.test(v) ? JSON.stringify(v) : v;
}

function rolling(d: DesiredDeployment | undefined, key: 'maxSurge' | 'maxUnavailable'): string | undefined {
  return d?.strategy.type === 'RollingUpdate' ? String(d.strategy[key]) : undefined;
}

function field(o: object | undefined, key: string): unknown {
  return o === undefined ? undefined : (o as Record<string, unknown>)[key];
}

function unknownKeys(known: ReadonlySet<string>, a: object | undefined, b: object | undefined): string[] {
  return [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].filter((k) => !known.has(k)).sort(byCodeUnit);
}

function ports(list: DesiredDeployment['template']['ports'] | undefined): string | undefined {
  if (list === undefined || list.length === 0) return undefined;
  return list.map((p) => `${p.containerPort}/${p.protocol}${p.name ? ` (${p.name})` : ''}`).join(', ');
}

/**
 * A probe on one line: `httpGet HTTP :8080/healthz every 10s (timeout 1s, initial delay 0s,
 * success 1, failure 3)`. Header values are not shown (one may carry a credential), only
 * their names.
 */
function probe(p: ProbeSpec | undefined): string | undefined {
  if (p === undefined) return undefined;
  const a = p.action;
  const action =
    a.kind === 'httpGet'
      ? `httpGet ${a.scheme} :${a.port}${text(a.path)}${a.headers.length > 0 ? ` with ${a.headers.map((h) => text(h.name)).join(', ')}` : ''}`
      : a.kind === 'tcpSocket'
        ? `tcpSocket :${a.port}`
        : a.kind === 'grpc'
          ? `grpc :${a.port}${a.service ? ` service ${text(a.service)}` : ''}`
          : `exec ${canonicalJson(a.command)}`;
  return `${action} every ${p.periodSeconds}s (timeout ${p.timeoutSeconds}s, initial delay ${p.initialDelaySeconds}s, success ${p.successThreshold}, failure ${p.failureThreshold})`;
}

/**
 * Env vars by name (the last definition of a name wins, as in Docker); then a reorder, shown by
 * names only. A literal value is shown unless mask.ts masks it (a secret-looking name); a var
 * from a Secret shows its reference (`secret db/password (file …)`), which holds no value. A
 * change with masked values on both sides is `masked`; a masked literal facing a reference (a
 * password moved out of Git into a Secret) shows as the mask text on its side.
 */
function envFields(base: DesiredDeployment['template']['env'] | undefined, head: DesiredDeployment['template']['env']): FieldChange[] {
  const shown = (e: EnvEntry): { readonly text: string; readonly masked: boolean } => {
    if (isSecretEnv(e)) return { text: describeSecretRef(e.secretRef), masked: false };
    if (maskedEnvValue(e.name, e.value).masked) return { text: MASKED, masked: true };
    // A value from a ConfigMap may be long: shown short, with where it comes from.
    return { text: e.configMap !== undefined ? `${shortValue(e.value)} (ConfigMap ${e.configMap})` : text(e.value)!, masked: false };
  };
  const key = (e: EnvEntry): string => canonicalJson(isSecretEnv(e) ? { secretRef: e.secretRef } : { value: e.value, configMap: e.configMap });
  const b = new Map((base ?? []).map((e) => [e.name, e]));
  const h = new Map(head.map((e) => [e.name, e]));
  const out: FieldChange[] = [];
  for (const name of [...new Set([...b.keys(), ...h.keys()])].sort(byCodeUnit)) {
    const from = b.get(name);
    const to = h.get(name);
    if (from && to && key(from) === key(to)) continue;
    const field = `env.${name}`;
    const f = from && shown(from);
    const t = to && shown(to);
    const change: FieldChange['change'] = from === undefined ? 'added' : to === undefined ? 'removed' : 'changed';
    if ((f?.masked ?? true) && (t?.masked ?? true)) out.push({ field, change, masked: true });
    // Two long values cut to the same text still differ: never show one text twice.
    else out.push({ field, change, ...(f ? { from: f.text } : {}), ...(t ? { to: f?.text === t.text ? `${t.text} (changed further on)` : t.text } : {}) });
  }
  if (base && out.length === 0 && canonicalJson(base) !== canonicalJson(head)) {
    out.push({ field: 'env', change: 'changed', from: `order ${base.map((e) => e.name).join(', ')}`, to: `order ${head.map((e) => e.name).join(', ')}` });
  }
  return out;
}

/**
 * The changes of the containers of one list (`initContainers.NAME…`, `containers.NAME…`) beside
 * the first: one added or removed shows its image; one changed shows each field as the first
 * container's do (env values masked the same way); volumes and security as canonical JSON.
 *   + containers.log: busybox:1.36        ~ initContainers.proxy.command: ["a"] → ["b"]
 */
function podContainerFields(list: string, base: readonly InitContainer[], head: readonly InitContainer[]): FieldChange[] {
  const out: FieldChange[] = [];
  const b = new Map(base.map((c) => [c.name, c]));
  const h = new Map(head.map((c) => [c.name, c]));
  const names = [...new Set([...head.map((c) => c.name), ...base.map((c) => c.name)])];
  const probesOf = (c: InitContainer | undefined) => (c as PodContainer | undefined)?.probes;
  for (const name of names) {
    const from = b.get(name);
    const to = h.get(name);
    const at = `${list}.${name}`;
    if (!from || !to) {
      out.push(from ? { field: at, change: 'removed', from: from.image } : { field: at, change: 'added', to: to!.image });
      continue;
    }
    const scalar = (f: string, x: string | undefined, y: string | undefined): void => {
      const change = fieldChange(`${at}.${f}`, x, y);
      if (change) out.push(change);
    };
    scalar('image', from.image, to.image);
    scalar('command', json(from.command), json(to.command));
    scalar('args', json(from.args), json(to.args));
    scalar('workingDir', text(from.workingDir), text(to.workingDir));
    out.push(...envFields(from.env, to.env).map((f) => ({ ...f, field: `${at}.${f.field}` })));
    scalar('ports', ports((from as PodContainer).ports), ports((to as PodContainer).ports));
    scalar('readinessProbe', probe(probesOf(from)?.readiness), probe(probesOf(to)?.readiness));
    scalar('livenessProbe', probe(probesOf(from)?.liveness), probe(probesOf(to)?.liveness));
    scalar('startupProbe', probe(probesOf(from)?.startup), probe(probesOf(to)?.startup));
    scalar(
      'resources.limits.memory',
      from.memoryBytes === undefined ? undefined : formatMemory(from.memoryBytes),
      to.memoryBytes === undefined ? undefined : formatMemory(to.memoryBytes),
    );
    scalar(
      'resources.limits.cpu',
      from.nanoCpus === undefined ? undefined : formatCpu(from.nanoCpus),
      to.nanoCpus === undefined ? undefined : formatCpu(to.nanoCpus),
    );
    scalar('volumeMounts', json(from.mounts), json(to.mounts));
    scalar('securityContext', json(from.security), json(to.security));
    if (list === 'initContainers') scalar('restartPolicy', 'ports' in from ? 'Always' : undefined, 'ports' in to ? 'Always' : undefined);
  }
  return out;
}

function recordFields(prefix: string, base: Readonly<Record<string, string>> | undefined, head: Readonly<Record<string, string>>): FieldChange[] {
  const out: FieldChange[] = [];
  for (const key of [...new Set([...Object.keys(base ?? {}), ...Object.keys(head)])].sort(byCodeUnit)) {
    const f = fieldChange(`${prefix}.${key}`, text(base?.[key]), text(head[key]));
    if (f) out.push(f);
  }
  return out;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * How a Deployment whose template changed will roll, with the fenceposts resolved against the
 * head's replicas as the rollout step resolves them (Kubernetes rounding: surge up,
 * unavailable down; both 0 → unavailable 1). Worked example: 25%/25% over 3 replicas →
 * surge ceil(0.75) = 1, unavailable floor(0.75) = 0: at most 4 run, at least 3 stay available.
 */
function rolloutPreview(base: DesiredDeployment, head: DesiredDeployment): RolloutPreview {
  if (head.stateful)
    return {
      strategy: 'RollingUpdate',
      replicas: head.replicas,
      maxSurge: 0,
      maxUnavailable: head.stateful.updateStrategy.type === 'OnDelete' ? 0 : 1,
      // The same words as the live plan (plan/diff.ts describeStrategy): one rule, one sentence.
      description: `StatefulSet ${describeStrategy(head)} over ${plural(head.replicas, 'replica')}`,
    };
  if (head.strategy.type === 'Recreate') {
    return {
      strategy: 'Recreate',
      replicas: head.replicas,
      description: `Recreate: ${plural(base.replicas, 'old replica')} stop, then ${plural(head.replicas, 'new replica')} start (a short outage)`,
    };
  }
  const { maxSurge, maxUnavailable } = fenceposts(head.strategy.maxSurge, head.strategy.maxUnavailable, head.replicas);
  const shown = (spec: IntOrPercent, resolved: number): string => (typeof spec === 'string' && spec.endsWith('%') ? `${spec} = ${resolved}` : String(resolved));
  return {
    strategy: 'RollingUpdate',
    replicas: head.replicas,
    maxSurge,
    maxUnavailable,
    description:
      `RollingUpdate (maxSurge ${shown(head.strategy.maxSurge, maxSurge)}, maxUnavailable ${shown(head.strategy.maxUnavailable, maxUnavailable)}) ` +
      `over ${plural(head.replicas, 'replica')}: at most ${head.replicas + maxSurge} run, at least ${head.replicas - maxUnavailable} ${head.replicas - maxUnavailable === 1 ? 'stays' : 'stay'} available`,
  };
}

/**
 * The prune guard (DESIGN §6, the one rule in prune-guard.ts's judgePrunes), judged on what the
 * head removes relative to the base. Only prunes berth would carry out count: an invalid or
 * denied head namespace prunes nothing.
 */
function guardPrunes(base: DesiredState | undefined, head: DesiredState, namespaces: readonly NamespaceChange[]): PruneGuard {
  const pruning = namespaces.filter((n) => n.status === 'changed' || n.status === 'removed');
  const deployments = pruning.reduce((sum, n) => sum + deploymentsOf(n).filter((o) => o.change === 'removed').length, 0);
  const removed = namespaces.filter((n) => n.status === 'removed');
  const baseDeployments = (base?.namespaces ?? []).reduce((sum, n) => sum + n.deployments.length, 0);
  const baseRunsSomething = (base?.namespaces ?? []).some((n) => !n.valid || n.deployments.length > 0);
  const counts = { deployments, namespaces: removed.length };
  // A removed namespace runs something when the base declares Deployments in it, or is invalid there (berth runs it from an older commit).
  const removedRunning = removed.flatMap((ns) => {
    const b = base?.namespaces.find((n) => n.name === ns.namespace);
    if (b && !b.valid) return [`namespace ${ns.namespace} is removed (it is invalid in the base: whatever berth runs there from an older commit)`];
    return deploymentsOf(ns).length > 0 ? [`namespace ${ns.namespace} is removed (${plural(deploymentsOf(ns).length, 'Deployment')})`] : [];
  });
  const judged = judgePrunes({
    desiresNothing: head.namespaces.length === 0,
    runsSomething: baseRunsSomething,
    deployments: baseDeployments,
    pruned: deployments,
    removedRunningNamespaces: removedRunning.length,
    removedNamespaces: removed.length,
  });
  if (judged.verdict === 'refused') {
    return {
      verdict: 'refused',
      ...counts,
      reasons: ['the head holds no namespaces at all: berth never prunes everything it runs (an empty or broken checkout must not delete everything)'],
    };
  }
  if (judged.verdict !== 'needs-confirmation') return { verdict: judged.verdict, ...counts, reasons: [] };
  const reasons = [...removedRunning];
  if (judged.moreThanHalf)
    reasons.push(`${deployments} of the base's ${plural(baseDeployments, 'Deployment')} ${deployments === 1 ? 'is' : 'are'} pruned (more than half)`);
  return { verdict: 'needs-confirmation', ...counts, reasons };
}

function deploymentsOf(ns: NamespaceChange): DeploymentChange[] {
  return ns.objects.filter((o): o is DeploymentChange => o.kind === 'Deployment');
}

/** Counts of one serving kind; undefined when neither side has any (the summary then leaves the key out). */
function servingCounts(objects: readonly ObjectChange[]): ServingCounts | undefined {
  if (objects.length === 0) return undefined;
  const byChange = (c: ObjectChange['change']): number => objects.filter((o) => o.change === c).length;
  return { added: byChange('added'), changed: byChange('changed'), removed: byChange('removed'), unchanged: byChange('unchanged') };
}

function summarize(
  namespaces: readonly NamespaceChange[],
  repositoryDiagnostics: readonly Diagnostic[],
  unplacedDenials: readonly Diagnostic[],
): ChangeSummary {
  const byStatus = (s: NamespaceStatus): number => namespaces.filter((n) => n.status === s).length;
  const objects = namespaces.flatMap(deploymentsOf);
  const byChange = (c: ObjectChange['change']): number => objects.filter((o) => o.change === c).length;
  const all = namespaces.flatMap((n) => n.objects);
  const services = servingCounts(all.filter((o) => o.kind === 'Service'));
  const ingresses = servingCounts(all.filter((o) => o.kind === 'Ingress'));
  const configMaps = servingCounts(all.filter((o) => o.kind === 'ConfigMap'));
  const diagnostics = [...repositoryDiagnostics, ...namespaces.flatMap((n) => n.diagnostics)];
  return {
    namespaces: {
      added: byStatus('added'),
      removed: byStatus('removed'),
      changed: byStatus('changed'),
      unchanged: byStatus('unchanged'),
      invalid: byStatus('invalid'),
      baseInvalid: byStatus('base-invalid'),
      denied: byStatus('denied'),
    },
    deployments: {
      added: byChange('added'),
      changed: byChange('changed'),
      rolls: objects.filter((o) => o.change === 'changed' && o.rolls).length,
      removed: byChange('removed'),
      unchanged: byChange('unchanged'),
    },
    ...(services ? { services } : {}),
    ...(ingresses ? { ingresses } : {}),
    ...(configMaps ? { configMaps } : {}),
    errors: diagnostics.filter((d) => d.severity === 'error').length,
    warnings: diagnostics.filter((d) => d.severity === 'warning').length,
    denials: namespaces.reduce((sum, n) => sum + n.denials.length, unplacedDenials.length),
  };
}

/** Cores (0.25) as people write them (250m). */
function cpuCores(cores: number | undefined): string | undefined {
  return cores === undefined ? undefined : formatCpu(Math.round(cores * 1e9));
}

import { byCodeUnit, canonicalJson, type LabelSelector } from '../core/index.js';
import type { DesiredIngress, DesiredNetworkPolicy, DesiredService, DesiredServicePort, IngressBackend } from '../desired/index.js';
import { DEFAULT_UPSTREAM_TIMEOUTS } from '../manifests/index.js';
import type { FieldChange, IngressChange, NetworkPolicyChange, ServiceChange, ServingVersion } from './change-set.js';

/**
 * compare() for what the data plane serves: Services and Ingresses of one namespace, base
 * against head, by name. Nothing here rolls: a change replaces the data plane's table. Values
 * are display strings (see describe* below), so every rendering shows the same words.
 */

function byName<T extends { readonly name: string }>(base: readonly T[], head: readonly T[]): [string, T | undefined, T | undefined][] {
  const names = [...new Set([...base.map((o) => o.name), ...head.map((o) => o.name)])].sort(byCodeUnit);
  return names.map((name) => [name, base.find((o) => o.name === name), head.find((o) => o.name === name)]);
}

export function compareServices(base: readonly DesiredService[], head: readonly DesiredService[]): ServiceChange[] {
  return byName(base, head).map(([name, b, h]) => ({ kind: 'Service', name, ...sides(b, h, serviceVersion), ...changeOf(b, h, serviceFields(b, h)) }));
}

export function compareIngresses(base: readonly DesiredIngress[], head: readonly DesiredIngress[]): IngressChange[] {
  return byName(base, head).map(([name, b, h]) => ({ kind: 'Ingress', name, ...sides(b, h, ingressVersion), ...changeOf(b, h, ingressFields(b, h)) }));
}

export function compareNetworkPolicies(base: readonly DesiredNetworkPolicy[], head: readonly DesiredNetworkPolicy[]): NetworkPolicyChange[] {
  return byName(base, head).map(([name, b, h]) => ({ kind: 'NetworkPolicy', name, ...sides(b, h, policyVersion), ...changeOf(b, h, policyFields(b, h)) }));
}

function sides<T>(b: T | undefined, h: T | undefined, version: (o: T) => ServingVersion): { base?: ServingVersion; head?: ServingVersion } {
  return { ...(b ? { base: version(b) } : {}), ...(h ? { head: version(h) } : {}) };
}

function changeOf(b: object | undefined, h: object | undefined, fields: FieldChange[]): Pick<ServiceChange, 'change' | 'fields'> {
  if (!h) return { change: 'removed', fields: [] };
  if (!b) return { change: 'added', fields };
  return { change: fields.length > 0 ? 'changed' : 'unchanged', fields };
}

function fieldChange(field: string, from: string | undefined, to: string | undefined): FieldChange | undefined {
  if (from === to) return undefined;
  if (from === undefined) return { field, change: 'added', to: to! };
  if (to === undefined) return { field, change: 'removed', from };
  return { field, change: 'changed', from, to };
}

// ---- Service

/** `app=web, tier=front` (keys in code-unit order). */
export function describeSelector(selector: Readonly<Record<string, string>>): string {
  return Object.keys(selector)
    .sort(byCodeUnit)
    .map((k) => `${k}=${selector[k]}`)
    .join(', ');
}

/** `8081 (target http)`, `web 80 (target 8080, host port 30080)`: name, port, target, and the host port of a NodePort/LoadBalancer. */
export function describeServicePort(p: DesiredServicePort): string {
  return `${p.name !== undefined ? `${p.name} ` : ''}${p.port} (target ${p.targetPort}${p.listenPort !== undefined ? `, host port ${p.listenPort}` : ''})`;
}

/** `ClusterIP (address allocated)`, `ClusterIP 10.213.7.200`, `headless`, `LoadBalancer (address allocated)`. */
export function describeServiceType(s: DesiredService): string {
  if (s.clusterIP.kind === 'none') return 'headless';
  return `${s.type} ${s.clusterIP.kind === 'fixed' ? s.clusterIP.address : '(address allocated)'}${s.sessionAffinity === 'ClientIP' ? ', ClientIP affinity' : ''}${s.publishNotReadyAddresses ? ', not-ready addresses published' : ''}`;
}

function serviceVersion(s: DesiredService): ServingVersion {
  return {
    description: `${describeServiceType(s)}; selects ${describeSelector(s.selector)}; ports ${s.ports.map(describeServicePort).join(', ')}`,
    source: s.source,
  };
}

function serviceFields(b: DesiredService | undefined, h: DesiredService | undefined): FieldChange[] {
  if (!h) return [];
  return [
    fieldChange('type', b && describeServiceType(b), describeServiceType(h)),
    fieldChange('selector', b && describeSelector(b.selector), describeSelector(h.selector)),
    fieldChange('ports', b && b.ports.map(describeServicePort).join(', '), h.ports.map(describeServicePort).join(', ')),
  ].filter((f): f is FieldChange => f !== undefined);
}

// ---- Ingress

/** `web:8081`, `web:http`. */
export function describeBackend(b: IngressBackend): string {
  return `${b.service}:${b.port}`;
}

/**
 * The Ingress's routes as [key, backend] in manifest order: the key is `<host or *><path>
 * (<pathType>)`, with ` #2`, ` #3` … on a key that repeats (the data plane keeps the first).
 */
function routes(i: DesiredIngress): [string, string][] {
  const seen = new Map<string, number>();
  const out: [string, string][] = [];
  for (const rule of i.rules) {
    for (const p of rule.paths) {
      const key = `${rule.host ?? '*'}${shownPath(p.path)} (${p.pathType})`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      out.push([n === 1 ? key : `${key} #${n}`, describeBackend(p.backend)]);
    }
  }
  return out;
}

/** A path as is, JSON-quoted when it holds white space or control characters (so one route is one line). */
function shownPath(path: string): string {
  return /[\s\u0000-\u001f\u007f\u2028\u2029]/.test(path) ? JSON.stringify(path) : path;
}

function describeTimeouts(t: DesiredIngress['upstreamTimeouts']): string {
  const { connectSeconds, readSeconds, sendSeconds } = t ?? DEFAULT_UPSTREAM_TIMEOUTS;
  return `connect ${connectSeconds}s, read ${readSeconds}s, send ${sendSeconds}s`;
}

function ingressVersion(i: DesiredIngress): ServingVersion {
  const parts = routes(i).map(([key, backend]) => `${key} → ${backend}`);
  if (i.defaultBackend) parts.push(`anything else → ${describeBackend(i.defaultBackend)}`);
  return { description: parts.join('; '), source: i.source };
}

function ingressFields(b: DesiredIngress | undefined, h: DesiredIngress | undefined): FieldChange[] {
  if (!h) return [];
  const out: FieldChange[] = [];
  const push = (f: FieldChange | undefined): void => {
    if (f) out.push(f);
  };
  push(fieldChange('defaultBackend', b?.defaultBackend && describeBackend(b.defaultBackend), h.defaultBackend && describeBackend(h.defaultBackend)));
  // The ingress-nginx timeout annotations (a new Ingress shows its routes; its timeouts only when set).
  if (b) push(fieldChange('upstreamTimeouts', describeTimeouts(b.upstreamTimeouts), describeTimeouts(h.upstreamTimeouts)));
  const from = new Map(b ? routes(b) : []);
  const to = routes(h);
  const keys = new Set(to.map(([k]) => k));
  for (const [key, backend] of to) push(fieldChange(key, from.get(key), backend));
  for (const [key, backend] of from) if (!keys.has(key)) push(fieldChange(key, backend, undefined));
  // Same routes in another order: matching does not depend on it, but the manifest changed.
  if (b && out.length === 0 && canonicalJson(b.rules) !== canonicalJson(h.rules)) {
    out.push({ field: 'rules', change: 'changed', from: `order ${[...from.keys()].join(', ')}`, to: `order ${to.map(([k]) => k).join(', ')}` });
  }
  return out;
}

// ---- NetworkPolicy

/** `app=db, tier in (a, b), !legacy`; `all pods` for {}. */
export function describeLabelSelector(s: LabelSelector, all = 'all'): string {
  const terms = [
    ...Object.keys(s.matchLabels ?? {})
      .sort(byCodeUnit)
      .map((k) => `${k}=${s.matchLabels![k]}`),
    ...(s.matchExpressions ?? []).map((e) =>
      e.operator === 'Exists'
        ? e.key
        : e.operator === 'DoesNotExist'
          ? `!${e.key}`
          : `${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(', ')})`,
    ),
  ];
  return terms.length > 0 ? terms.join(', ') : all;
}

/** One ingress rule: `from namespaces team=shop, pods app=client on 5432`, `from anywhere on any port`. */
function describeRule(r: DesiredNetworkPolicy['ingress'][number]): string {
  const from =
    r.from.length === 0
      ? 'anywhere'
      : r.from
          .map((f) =>
            [
              f.namespaceSelector ? `namespaces ${describeLabelSelector(f.namespaceSelector)}` : 'this namespace',
              ...(f.podSelector ? [`pods ${describeLabelSelector(f.podSelector)}`] : []),
            ].join(', '),
          )
          .join(' or ');
  const ports =
    r.ports.length === 0
      ? 'any port'
      : r.ports.map((p) => (p.port === undefined ? 'any port' : p.endPort !== undefined ? `${p.port}-${p.endPort}` : String(p.port))).join(', ');
  return `from ${from} on ${ports}`;
}

function describeIngressRules(p: DesiredNetworkPolicy): string {
  return p.ingress.length === 0 ? 'deny all' : p.ingress.map(describeRule).join('; ');
}

function policyVersion(p: DesiredNetworkPolicy): ServingVersion {
  return { description: `pods ${describeLabelSelector(p.podSelector)}: ${describeIngressRules(p)}`, source: p.source };
}

function policyFields(b: DesiredNetworkPolicy | undefined, h: DesiredNetworkPolicy | undefined): FieldChange[] {
  if (!h) return [];
  return [
    fieldChange('pods', b && describeLabelSelector(b.podSelector), describeLabelSelector(h.podSelector)),
    fieldChange('ingress', b && describeIngressRules(b), describeIngressRules(h)),
  ].filter((f): f is FieldChange => f !== undefined);
}

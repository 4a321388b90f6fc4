import { MAX_INGRESS_TIMEOUT_SECONDS, type NamespaceTable } from './control.js';

/**
 * A minimal structural check of a NamespaceTable arriving over the control socket or from
 * the state file: the shapes the proxy dereferences, nothing about meaning. Returns a
 * message naming the first bad field, or undefined when the table is usable.
 */
export function tableProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'the table must be an object';
  if (typeof value.namespace !== 'string' || value.namespace === '') return 'namespace must be a non-empty string';
  if (!Array.isArray(value.services)) return 'services must be an array';
  if (!Array.isArray(value.ingresses)) return 'ingresses must be an array';
  const net = value.network;
  if (net !== undefined && (!isObject(net) || typeof net.subnet !== 'string' || typeof net.gateway !== 'string' || typeof net.bridge !== 'string'))
    return 'network must be { subnet, gateway, bridge }';
  if (
    isObject(net) &&
    net.cluster !== undefined &&
    (!isObject(net.cluster) || !Array.isArray(net.cluster.peers) || !net.cluster.peers.every((p) => typeof p === 'string'))
  )
    return 'network.cluster must be { peers: string[] }';
  for (const [i, s] of value.services.entries()) {
    const at = `services[${i}]`;
    if (!isObject(s) || typeof s.name !== 'string') return `${at}.name must be a string`;
    if (!Array.isArray(s.ports)) return `${at}.ports must be an array`;
    if (s.clusterIP !== undefined && typeof s.clusterIP !== 'string') return `${at}.clusterIP must be a string`;
    if (
      s.headless !== undefined &&
      (!isObject(s.headless) ||
        !Array.isArray(s.headless.addresses) ||
        !s.headless.addresses.every((a) => typeof a === 'string') ||
        (s.headless.hosts !== undefined && (!isObject(s.headless.hosts) || !Object.values(s.headless.hosts).every((a) => typeof a === 'string'))))
    )
      return `${at}.headless must be { addresses: string[], hosts?: { [name]: string } }`;
    for (const [j, p] of s.ports.entries()) {
      const pat = `${at}.ports[${j}]`;
      if (!isObject(p) || !isPort(p.port)) return `${pat}.port must be a port number`;
      if (p.name !== undefined && typeof p.name !== 'string') return `${pat}.name must be a string`;
      if (p.listen !== undefined && !isAddress(p.listen)) return `${pat}.listen must be { host: string, port: 0..65535 }`;
      if (!Array.isArray(p.backends)) return `${pat}.backends must be an array`;
      for (const [k, b] of p.backends.entries()) {
        if (!isObject(b) || typeof b.id !== 'string' || b.id === '' || !isAddress(b) || b.port === 0) return `${pat}.backends[${k}] must be { id, host, port }`;
        if (b.pod !== undefined && !(Number.isInteger(b.pod) && (b.pod as number) >= 0)) return `${pat}.backends[${k}].pod must be an index`;
      }
    }
  }
  for (const [i, ing] of value.ingresses.entries()) {
    const at = `ingresses[${i}]`;
    if (!isObject(ing) || typeof ing.name !== 'string') return `${at}.name must be a string`;
    if (!Array.isArray(ing.rules)) return `${at}.rules must be an array`;
    for (const [j, r] of ing.rules.entries()) {
      if (!isObject(r) || (r.host !== undefined && typeof r.host !== 'string') || !Array.isArray(r.paths))
        return `${at}.rules[${j}] must be { host?: string, paths: [] }`;
      for (const [k, p] of r.paths.entries()) {
        const pat = `${at}.rules[${j}].paths[${k}]`;
        if (!isObject(p) || typeof p.path !== 'string' || !p.path.startsWith('/')) return `${pat}.path must start with /`;
        if (p.pathType !== 'Prefix' && p.pathType !== 'Exact' && p.pathType !== 'ImplementationSpecific')
          return `${pat}.pathType must be Prefix, Exact or ImplementationSpecific`;
        if (!isBackendRef(p)) return `${pat} must name a service and a port (number or name)`;
      }
    }
    if (ing.defaultBackend !== undefined && !isBackendRef(ing.defaultBackend)) return `${at}.defaultBackend must name a service and a port (number or name)`;
    if (ing.upstreamTimeouts !== undefined) {
      const t = ing.upstreamTimeouts;
      const ok = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= MAX_INGRESS_TIMEOUT_SECONDS;
      if (!isObject(t) || !ok(t.connectSeconds) || !ok(t.readSeconds) || !ok(t.sendSeconds))
        return `${at}.upstreamTimeouts must be { connectSeconds, readSeconds, sendSeconds }, each above 0 and at most ${MAX_INGRESS_TIMEOUT_SECONDS}`;
    }
  }
  return policyProblem(value);
}

/** The NetworkPolicy facts of a table (labels, members, policies, Service pods): the shapes network-policy.ts reads. */
function policyProblem(value: Record<string, unknown>): string | undefined {
  if (value.labels !== undefined && !isStringMap(value.labels)) return 'labels must map strings to strings';
  if (value.members !== undefined) {
    if (!Array.isArray(value.members)) return 'members must be an array';
    for (const [i, m] of value.members.entries())
      if (!isObject(m) || typeof m.address !== 'string' || !isStringMap(m.labels)) return `members[${i}] must be { address: string, labels: {} }`;
  }
  if (value.policies !== undefined) {
    if (!Array.isArray(value.policies)) return 'policies must be an array';
    for (const [i, p] of value.policies.entries()) {
      const at = `policies[${i}]`;
      if (!isObject(p) || typeof p.name !== 'string' || !isSelector(p.podSelector) || !Array.isArray(p.ingress))
        return `${at} must be { name, podSelector, ingress: [] }`;
      for (const [j, r] of p.ingress.entries()) {
        if (!isObject(r) || !Array.isArray(r.from) || !Array.isArray(r.ports)) return `${at}.ingress[${j}] must be { from: [], ports: [] }`;
        if (
          !r.from.every(
            (f) =>
              isObject(f) &&
              (f.namespaceSelector === undefined || isSelector(f.namespaceSelector)) &&
              (f.podSelector === undefined || isSelector(f.podSelector)),
          )
        )
          return `${at}.ingress[${j}].from must hold { namespaceSelector?, podSelector? }`;
        if (
          !r.ports.every(
            (x) => isObject(x) && (x.port === undefined || typeof x.port === 'string' || isPort(x.port)) && (x.endPort === undefined || isPort(x.endPort)),
          )
        )
          return `${at}.ingress[${j}].ports must hold { port?, endPort? }`;
      }
    }
  }
  for (const [i, svc] of (value.services as unknown[]).entries()) {
    const s = svc as Record<string, unknown>;
    if (s.pods === undefined) continue;
    if (!Array.isArray(s.pods)) return `services[${i}].pods must be an array`;
    for (const [j, pod] of s.pods.entries())
      if (!isObject(pod) || !isStringMap(pod.labels) || !Array.isArray(pod.ports) || !pod.ports.every((x) => x === null || (isObject(x) && isPort(x.port))))
        return `services[${i}].pods[${j}] must be { labels: {}, ports: [{ port, name? } | null] }`;
  }
  return undefined;
}

function isStringMap(value: unknown): boolean {
  return isObject(value) && Object.values(value).every((v) => typeof v === 'string');
}

function isSelector(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (value.matchLabels !== undefined && !isStringMap(value.matchLabels)) return false;
  if (value.matchExpressions === undefined) return true;
  return (
    Array.isArray(value.matchExpressions) &&
    value.matchExpressions.every(
      (e) =>
        isObject(e) &&
        typeof e.key === 'string' &&
        ['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator as string) &&
        (e.values === undefined || (Array.isArray(e.values) && e.values.every((v) => typeof v === 'string'))),
    )
  );
}

/** The table, typed, when `tableProblem` found nothing. */
export function isNamespaceTable(value: unknown): value is NamespaceTable {
  return tableProblem(value) === undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPort(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535;
}

function isAddress(value: unknown): boolean {
  return isObject(value) && typeof value.host === 'string' && value.host !== '' && isPort(value.port);
}

function isBackendRef(value: unknown): boolean {
  return isObject(value) && typeof value.service === 'string' && (isPort(value.port) || (typeof value.port === 'string' && value.port !== ''));
}

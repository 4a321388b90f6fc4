import type { IngressPathRoute, IngressRoute, IngressTimeouts } from './control.js';

/**
 * Which Ingress backend serves a request: pure (host header and path in, Service reference
 * out), so the precedence rules are a table of examples (test/unit/proxy/ingress-match.test.ts).
 *
 * The rules follow Kubernetes (path semantics) and ingress-nginx (host precedence):
 *  1. Host tier. The request's host (Host header, lower-cased, port stripped) picks ONE tier of
 *     rules across all Ingresses: rules whose host equals it; if none, rules whose wildcard
 *     host matches it (`*.example.com` matches `a.example.com`, not `example.com` nor
 *     `a.b.example.com`); if none, host-less rules. As in ingress-nginx (one nginx `server`
 *     per host, host-less rules live in the catch-all server), a host that has rules never
 *     falls through to the host-less rules.
 *  2. Path, within that tier: `Exact` matches the equal path; `Prefix` (and
 *     `ImplementationSpecific`) matches element-wise on `/`-separated elements, ignoring a
 *     trailing slash: `/foo` matches `/foo`, `/foo/`, `/foo/bar`, never `/foobar`. The longest
 *     matching path wins; at equal length `Exact` beats `Prefix`; then Ingress order.
 *  3. No path matched: a `defaultBackend` ("the backend that should handle requests that
 *     don't match any rule", IngressSpec). For a host that has rules (exact or wildcard): the
 *     first Ingress with a rule for it that has one. For any other host: the first Ingress
 *     that has one (with or without rules; an Ingress without rules is the catch-all).
 *  4. Otherwise no match (the proxy answers 404).
 * "Ingress order" is namespace, then name (code-point order), then rule and path order: a
 * deterministic stand-in for ingress-nginx's creation-time order.
 */

/** One Ingress with the namespace it belongs to (its backends name Services of that namespace). */
export interface NamespacedIngress {
  readonly namespace: string;
  readonly ingress: IngressRoute;
}

export interface IngressMatch {
  readonly namespace: string;
  /** The Ingress that matched. */
  readonly ingress: string;
  readonly service: string;
  readonly port: number | string;
  /** `rule`: a path of a rule matched; `default`: the Ingress's defaultBackend. */
  readonly via: 'rule' | 'default';
  /** The matched Ingress's upstream timeouts, when its route carries them. */
  readonly upstreamTimeouts?: IngressTimeouts;
}

type Tier = 'exact' | 'wildcard' | 'any';

/**
 * The host of a Host header: lower-cased, port and trailing dot removed.
 * `Example.COM:8080` → `example.com`; `[::1]:80` → `[::1]`; undefined → ''.
 */
export function hostOfHeader(header: string | undefined): string {
  if (!header) return '';
  let host = header.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    host = end === -1 ? host : host.slice(0, end + 1);
  } else {
    const colon = host.indexOf(':');
    if (colon !== -1 && colon === host.lastIndexOf(':')) host = host.slice(0, colon);
  }
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/** The path of a request target: `/a/b?x=1` → `/a/b`; an absolute-form target → its path. */
export function pathOfTarget(target: string): string {
  let path = target;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(path);
  if (scheme) path = path.slice(scheme[0].length);
  const end = path.search(/[?#]/);
  if (end !== -1) path = path.slice(0, end);
  return path.startsWith('/') ? path : `/${path}`;
}

/** How a rule's host relates to a request host, or undefined when it does not match. */
export function hostTier(ruleHost: string | undefined, host: string): Tier | undefined {
  if (ruleHost === undefined || ruleHost === '') return 'any';
  const rule = ruleHost.toLowerCase();
  if (rule.startsWith('*.')) {
    const dot = host.indexOf('.');
    return dot > 0 && host.slice(dot + 1) === rule.slice(2) ? 'wildcard' : undefined;
  }
  return rule === host ? 'exact' : undefined;
}

function elements(path: string): string[] {
  return path.split('/').filter((e) => e !== '');
}

/**
 * The length that ranks a matching path (longest wins), or undefined when it does not match.
 * Prefix `/foo/` ranks as `/foo`.
 */
export function pathMatchLength(route: Pick<IngressPathRoute, 'path' | 'pathType'>, path: string): number | undefined {
  if (route.pathType === 'Exact') return route.path === path ? route.path.length : undefined;
  const rule = elements(route.path);
  const request = elements(path);
  if (rule.length > request.length) return undefined;
  for (let i = 0; i < rule.length; i++) if (rule[i] !== request[i]) return undefined;
  return rule.length === 0 ? 1 : rule.reduce((n, e) => n + 1 + e.length, 0);
}

function byNamespaceAndName(a: NamespacedIngress, b: NamespacedIngress): number {
  const ka = `${a.namespace}/${a.ingress.name}`;
  const kb = `${b.namespace}/${b.ingress.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

const TIERS: readonly Tier[] = ['exact', 'wildcard', 'any'];

/** The backend for a request, or undefined (404). `host` as returned by `hostOfHeader`. */
export function matchIngress(args: {
  readonly ingresses: readonly NamespacedIngress[];
  readonly host: string;
  readonly path: string;
}): IngressMatch | undefined {
  const ordered = [...args.ingresses].sort(byNamespaceAndName);
  const tierOf = (ruleHost: string | undefined) => hostTier(ruleHost, args.host);
  const tier = TIERS.find((t) => ordered.some(({ ingress }) => ingress.rules.some((r) => tierOf(r.host) === t))) ?? 'any';

  let best: { match: IngressMatch; length: number; exact: boolean } | undefined;
  for (const { namespace, ingress } of ordered) {
    for (const rule of ingress.rules) {
      if (tierOf(rule.host) !== tier) continue;
      for (const p of rule.paths) {
        const length = pathMatchLength(p, args.path);
        if (length === undefined) continue;
        const exact = p.pathType === 'Exact';
        if (best && (length < best.length || (length === best.length && (best.exact || !exact)))) continue;
        best = { match: { namespace, ingress: ingress.name, service: p.service, port: p.port, via: 'rule', ...timeoutsOf(ingress) }, length, exact };
      }
    }
  }
  if (best) return best.match;

  const owner = ordered.find(({ ingress }) => ingress.defaultBackend && (tier === 'any' || ingress.rules.some((r) => tierOf(r.host) === tier)));
  if (!owner?.ingress.defaultBackend) return undefined;
  const { service, port } = owner.ingress.defaultBackend;
  return { namespace: owner.namespace, ingress: owner.ingress.name, service, port, via: 'default', ...timeoutsOf(owner.ingress) };
}

function timeoutsOf(ingress: IngressRoute): { upstreamTimeouts?: IngressTimeouts } {
  return ingress.upstreamTimeouts ? { upstreamTimeouts: ingress.upstreamTimeouts } : {};
}

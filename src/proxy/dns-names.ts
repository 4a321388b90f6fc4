import type { NamespaceTable } from './control.js';
import { serviceVisible, type PolicySubject } from './network-policy.js';

/** What the namespace DNS says to one question. */
export type DnsAnswer =
  /** NOERROR with these A records (an empty list: the name exists, no record of that type). */
  | { readonly kind: 'addresses'; readonly addresses: readonly string[]; readonly ttl: number }
  /** NXDOMAIN, answered at once: a name in berth's zone that does not exist (or is not this namespace's to see). */
  | { readonly kind: 'nxdomain' }
  /** Not berth's: forwarded to the host's resolvers. */
  | { readonly kind: 'forward' };

/** The zone Service names live in, as in Kubernetes. */
export const CLUSTER_DOMAIN = 'cluster.local';
/** A replica's search list: `web` → web.<ns>.svc.cluster.local first (with ndots:5 every short name goes through it). */
export const searchDomains = (namespace: string): string[] => [`${namespace}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN];
/** Kubernetes' ndots: a name with fewer dots is tried with the search list first, so `web` is the Service before the Deployment alias. */
export const DNS_OPTIONS = ['ndots:5'];
/** Virtual addresses are stable; headless endpoints change with readiness. */
export const VIRTUAL_TTL_SECONDS = 5;
export const HEADLESS_TTL_SECONDS = 1;

/**
 * Answers one question for a replica of `namespace`. Pure. The forms, for Service `web` of
 * namespace `shop` (as Kubernetes resolves them):
 *   web, web.shop, web.shop.svc, web.shop.svc.cluster.local  → web's virtual address
 *                                                              (headless: its ready endpoints)
 *   db-0.db, db-0.db.shop, db-0.db.shop.svc,                → replica db-0 of a StatefulSet whose
 *     db-0.db.shop.svc.cluster.local                          serviceName is the headless Service db
 *                                                              (while it is an endpoint)
 *   web.blog… (another namespace berth serves)               → NXDOMAIN: namespaces are isolated,
 *                                                              unless a NetworkPolicy of blog lets
 *                                                              the asking replica reach web
 *   anything else under cluster.local, or one label          → NXDOMAIN (Docker's embedded DNS
 *                                                              answered the Deployment aliases
 *                                                              before asking here)
 *   example.com, a.b.c                                       → forwarded upstream
 * Only A questions get records; any other type of an existing name is NOERROR without records.
 */
export function resolveName(args: {
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  readonly tables: ReadonlyMap<string, NamespaceTable>;
  /** Who asks (a replica of `namespace`): another namespace's Service resolves only when its policies admit this peer. */
  readonly peer?: PolicySubject;
}): DnsAnswer {
  const name = args.name.toLowerCase().replace(/\.$/, '');
  const labels = name === '' ? [] : name.split('.');
  let service: string | undefined;
  let namespace: string | undefined;
  /** A StatefulSet replica's name under its headless Service (`web-0` of `web-0.db.shop.svc.cluster.local`). */
  let host: string | undefined;
  const isNamespace = (label: string | undefined) => label !== undefined && args.tables.has(label);
  if (name === CLUSTER_DOMAIN || name.endsWith(`.${CLUSTER_DOMAIN}`)) {
    const rest = labels.slice(0, -2);
    if (rest.length === 3 && rest[2] === 'svc') [service, namespace] = rest;
    else if (rest.length === 4 && rest[3] === 'svc') [host, service, namespace] = rest;
    else return { kind: 'nxdomain' };
  } else if (labels.length === 1) {
    [service, namespace] = [labels[0], args.namespace];
  } else if ((labels.length === 2 || (labels.length === 3 && labels[2] === 'svc')) && isNamespace(labels[1])) {
    [service, namespace] = labels;
  } else if ((labels.length === 3 || (labels.length === 4 && labels[3] === 'svc')) && isNamespace(labels[2])) {
    [host, service, namespace] = labels;
  } else if (labels.length === 2 && args.tables.get(args.namespace)?.services.some((s) => s.name === labels[1] && s.headless?.hosts)) {
    [host, service, namespace] = [labels[0], labels[1], args.namespace];
  } else return { kind: 'forward' };
  const table = args.tables.get(namespace!);
  const route = table?.services.find((s) => s.name === service);
  if (!route) return { kind: 'nxdomain' };
  if (namespace !== args.namespace && !(args.peer && serviceVisible(namespace!, table?.policies ?? [], route.pods ?? [], args.peer)))
    return { kind: 'nxdomain' };
  if (host !== undefined) {
    const address = route.headless?.hosts?.[host];
    if (address === undefined) return { kind: 'nxdomain' };
    return { kind: 'addresses', addresses: args.type === 'A' ? [address] : [], ttl: HEADLESS_TTL_SECONDS };
  }
  if (args.type !== 'A') return { kind: 'addresses', addresses: [], ttl: VIRTUAL_TTL_SECONDS };
  if (route.headless) return { kind: 'addresses', addresses: [...route.headless.addresses], ttl: HEADLESS_TTL_SECONDS };
  return { kind: 'addresses', addresses: route.clusterIP ? [route.clusterIP] : [], ttl: VIRTUAL_TTL_SECONDS };
}

import http from 'node:http';
import net from 'node:net';
import { contains, describeError, ipv4OfPeer, parseCidr, type Logger } from '../core/index.js';
import { BackendLedger, FORGET_DRAINED_AFTER_MS } from './backend-ledger.js';
import { ClientAffinity } from './client-affinity.js';
import { ClusterDns, hostResolvers } from './cluster-dns.js';
import {
  DEFAULT_INGRESS_TIMEOUTS,
  type Backend,
  type DataPlane,
  type DataPlaneStatus,
  type ListenerStatus,
  type NamespaceNetwork,
  type NamespaceTable,
  type ServicePortRoute,
} from './control.js';
import { resolveName } from './dns-names.js';
import { admits, NAMESPACE_NAME_LABEL, type PolicySubject } from './network-policy.js';
import { syncVirtualAddresses } from './host-addresses.js';
import { KernelPath } from './kernel-path.js';
import { kernelRoutes } from './kernel-rules.js';
import { DEFAULT_MAX_CONNECTIONS_PER_BACKEND, forwardHttp } from './http-forward.js';
import { hostOfHeader, matchIngress, pathOfTarget, type NamespacedIngress } from './ingress-match.js';
import { normalizeRequestPath, queryOfTarget } from './request-path.js';
import { RoundRobin } from './round-robin.js';
import { loadProxyState, saveProxyState, type ProxyState } from './state-file.js';
import { relayTcp } from './tcp-relay.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from './upstream.js';

/** A host and port to listen on or connect to. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

export interface ProxyServerOptions {
  readonly logger: Logger;
  /** Where the Ingress (L7 HTTP) server listens; none without it. Port 0 picks a free port (tests). */
  readonly ingressListen?: Address;
  /** The merged table is persisted here on every change and loaded by `start()`. None without it. */
  readonly statePath?: string;
  /** How long a connect to one backend of a Service port (L4) may take before the next is tried. Default 2 s. Ingress: per Ingress (IngressRoute.upstreamTimeouts). */
  readonly connectTimeoutMs?: number;
  /** Open connections per backend beyond which the Ingress sends it no request (503 when all are at it). Default 512. */
  readonly maxConnectionsPerBackend?: number;
  /** How long a drained id is remembered once absent from every table. Default 10 min. */
  readonly forgetDrainedAfterMs?: number;
  /** The namespace DNS port on each namespace gateway. Default 53 (tests: 0, a free port). */
  readonly dnsPort?: number;
  /** Resolvers for names outside berth's zone. Default: the host's /etc/resolv.conf. */
  readonly dnsUpstreams?: readonly string[];
  /**
   * In-namespace Service traffic through NAT rules instead of the listeners where nothing needs
   * the data plane to see it (kernel-rules.ts). Default: on (off when iptables cannot be used).
   */
  readonly kernelPath?: boolean;
  /** The clock (drain deadlines, the ledger's forgetting). Default: the wall clock. */
  readonly now?: () => number;
}

/** The Service port a listener serves: `namespace/service:port`, on the host or at the Service's virtual address. */
interface Owner {
  readonly namespace: string;
  readonly service: string;
  readonly port: number;
  readonly scope: 'cluster' | 'host';
}

/** The DNS of one namespace, on its gateway. */
interface NamespaceDnsServer {
  readonly network: NamespaceNetwork;
  readonly server?: ClusterDns;
  readonly error?: string;
}

interface TcpListener {
  owner: Owner;
  /** Undefined when binding failed (`error` says why); the next table change retries. */
  readonly server?: net.Server;
  readonly error?: string;
}

const ownerId = (o: Owner) => `${o.namespace}/${o.service}:${o.port}${o.scope === 'cluster' ? ' (cluster)' : ''}`;
const routeKey = (namespace: string, service: string, port: number) => `${namespace}/${service}:${port}`;
/** `127.0.0.1:8080`, `[::]:80`: one listener per address. */
export const addressKey = (a: Address) => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

/**
 * The data plane, in-process: one TCP listener per Service port (L4) and one HTTP server for
 * all Ingresses (L7), balancing round-robin over the ready backends the reconciler pushes.
 *
 * Invariants:
 *  - A table change never touches established connections: each connection picked its backend
 *    when it was accepted; only new connections see the new backends.
 *  - A drained backend id never receives a new connection or request again, whatever a later
 *    (possibly racing) table says.
 *  - Bind errors are state (ListenerStatus.error), never exceptions; every table change
 *    retries them. Two routes claiming one address: the current holder keeps it, otherwise
 *    the first in namespace/service/port order; the other reports the conflict.
 *  - Table changes are applied one at a time, in call order.
 */
export class ProxyServer implements DataPlane {
  private readonly logger: Logger;
  private readonly connectTimeoutMs: number;
  private readonly now: () => number;
  private readonly ledger: BackendLedger;
  private readonly roundRobin = new RoundRobin();
  private readonly affinity = new ClientAffinity();
  /** Namespace → its DNS server; and the networks whose virtual addresses this proxy manages. */
  private readonly dns = new Map<string, NamespaceDnsServer>();
  private readonly networks = new Map<string, NamespaceNetwork>();
  /** Namespace → what its bridge was last made to hold (`bridge subnet addresses…`); re-checked when it changes or the namespace's own table is pushed. */
  private readonly synced = new Map<string, string>();
  private readonly upstreams: readonly string[];
  private readonly tables = new Map<string, NamespaceTable>();
  private readonly listeners = new Map<string, TcpListener>();
  /** Address → the owner that may hold it, after the last apply. */
  private claims = new Map<string, string>();
  private ingresses: NamespacedIngress[] = [];
  private ingress: { server?: http.Server; error?: string } | undefined;
  /** Accepted client sockets (L4 and L7), closed by `close()` after its grace period. */
  private readonly clients = new Set<net.Socket>();
  private queue: Promise<unknown> = Promise.resolve();
  private persisting: Promise<void> = Promise.resolve();
  private lastSaved = '';
  private closed = false;
  /** The kernel path, once started; `kernelError` says why it is off. */
  private kernel: KernelPath | undefined;
  private kernelError: string | undefined;

  constructor(private readonly o: ProxyServerOptions) {
    this.logger = o.logger.child({ component: 'proxy' });
    this.connectTimeoutMs = o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.now = o.now ?? Date.now;
    this.ledger = new BackendLedger({ forgetAfterMs: o.forgetDrainedAfterMs, now: this.now });
    this.upstreams = o.dnsUpstreams ?? hostResolvers();
  }

  /** Loads the persisted table (if any), binds the Ingress server and every listener. */
  async start(): Promise<void> {
    if (this.o.statePath) {
      try {
        const state = await loadProxyState(this.o.statePath);
        for (const table of state.namespaces) this.tables.set(table.namespace, table);
        this.ledger.markDraining(state.draining);
        if (state.skipped > 0) this.logger.warn({ skipped: state.skipped, path: this.o.statePath }, 'skipped invalid tables in the proxy state file');
        this.logger.info({ namespaces: state.namespaces.length, draining: state.draining.length }, 'loaded proxy state');
      } catch (err) {
        this.logger.warn({ path: this.o.statePath, err: describeError(err) }, 'proxy state unreadable; starting empty until the next pass');
      }
    }
    if (this.o.kernelPath !== false) {
      const kernel = new KernelPath({
        logger: this.logger,
        now: this.now,
        forgetAfterMs: this.o.forgetDrainedAfterMs ?? FORGET_DRAINED_AFTER_MS,
        ...(this.o.statePath ? { identity: this.o.statePath } : {}),
      });
      this.kernelError = await kernel.start();
      if (this.kernelError) this.logger.warn({ err: this.kernelError }, 'kernel path unavailable: in-namespace Service traffic goes through the listeners');
      else this.kernel = kernel;
    } else this.kernelError = 'turned off';
    await this.serialize(() => this.apply());
  }

  /**
   * Stops listening, waits up to `graceMs` (default 0) for open connections and requests to
   * finish, then closes what is left.
   */
  async close(options: { readonly graceMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true; // table changes queued behind the running one fail from here on
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.queue;
    await this.kernel?.stop();
    this.kernel = undefined;
    for (const listener of this.listeners.values()) listener.server?.close();
    this.listeners.clear();
    for (const d of this.dns.values()) d.server?.close();
    this.dns.clear();
    // A cluster namespace's addresses are on lo, which outlives every network: nothing answers there any more.
    for (const network of this.networks.values())
      if (network.cluster) await syncVirtualAddresses(network.bridge, network.subnet, [], { whole: true }).catch(() => undefined);
    this.ingress?.server?.close();
    this.ingress?.server?.closeIdleConnections();
    await this.clientsClosed(options.graceMs ?? 0);
    for (const socket of this.clients) socket.destroy();
    await this.persisting;
    this.logger.info({}, 'proxy closed');
  }

  /** Resolves when every open client connection has closed, or after `graceMs`, whichever comes first. */
  private clientsClosed(graceMs: number): Promise<void> {
    if (this.clients.size === 0 || graceMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      let open = this.clients.size;
      const timer = setTimeout(resolve, graceMs);
      for (const socket of this.clients) {
        socket.once('close', () => {
          if (--open > 0) return;
          clearTimeout(timer);
          resolve();
        });
      }
    });
  }

  putNamespace(table: NamespaceTable): Promise<readonly ListenerStatus[]> {
    return this.serialize(async () => {
      this.tables.set(table.namespace, table);
      this.synced.delete(table.namespace); // every pass of a namespace re-checks its bridge (a recreated bridge lost its addresses)
      await this.apply();
      await this.persist();
      return this.listenerStatus(table.namespace);
    });
  }

  removeNamespace(namespace: string): Promise<void> {
    return this.serialize(async () => {
      if (!this.tables.delete(namespace)) return;
      this.logger.info({ namespace }, 'namespace removed from the data plane');
      await this.apply();
      await this.persist();
    });
  }

  async drain(ids: readonly string[], timeoutMs: number): Promise<{ readonly remaining: number }> {
    const deadline = this.now() + timeoutMs;
    this.ledger.markDraining(ids);
    // Out of the kernel's rotation first (its rules are rewritten without them), then wait for what is open.
    const targets = this.kernel?.targetsOf(ids) ?? [];
    if (this.kernel?.carries(ids)) await this.serialize(() => this.applyKernel(this.sortedTables())).catch(() => {});
    await this.persist();
    const open = await this.ledger.waitIdle(ids, timeoutMs);
    const remaining = open + ((await this.kernel?.waitIdle(targets, deadline)) ?? 0);
    this.logger.info({ ids, remaining }, remaining === 0 ? 'backends drained' : 'drain timed out with connections open');
    return { remaining };
  }

  async status(): Promise<DataPlaneStatus> {
    const ledger = this.ledger.snapshot();
    const namespaces = this.sortedTables();
    return {
      pid: process.pid,
      ...(this.o.ingressListen ? { ingress: { ...this.o.ingressListen, ...(this.ingress?.error ? { error: this.ingress.error } : {}) } } : {}),
      namespaces,
      listeners: namespaces.flatMap((t) => this.listenerStatus(t.namespace)),
      active: ledger.active,
      served: ledger.served,
      draining: ledger.draining,
      kernelPath: {
        ...(this.kernel ? { chains: [this.kernel.chains.services, this.kernel.chains.masquerade] } : {}),
        routes: (this.kernel?.carried ?? []).map((r) => routeKey(r.namespace, r.service, r.port)),
        ...(this.kernelError ? { error: this.kernelError } : {}),
      },
    };
  }

  /** The Ingress server's bound address (its real port when `ingressListen.port` was 0). */
  ingressAddress(): Address | undefined {
    const address = this.ingress?.server?.address();
    return address && typeof address === 'object' ? { host: address.address, port: address.port } : undefined;
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.closed) throw new Error('the proxy is closed');
      return fn();
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private sortedTables(): NamespaceTable[] {
    return [...this.tables.values()].sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0));
  }

  /** Makes listeners, routing indexes and drain bookkeeping match the tables. */
  private async apply(): Promise<void> {
    this.retryWanted = false;
    const tables = this.sortedTables();
    this.ingresses = tables.flatMap((t) => t.ingresses.map((ingress) => ({ namespace: t.namespace, ingress })));
    const listed = new Set<string>();
    const routes = new Set<string>();
    for (const t of tables) {
      for (const s of t.services) {
        for (const p of s.ports) {
          routes.add(routeKey(t.namespace, s.name, p.port));
          for (const b of p.backends) listed.add(b.id);
        }
      }
    }
    this.ledger.observeListed(listed);
    this.roundRobin.retain(routes);
    this.affinity.retain(listed);
    await this.applyListeners(tables);
    await this.applyKernel(tables);
    await this.applyDns(tables);
    await this.bindIngress();
    if (!this.retryWanted) this.retries = 0;
  }

  /**
   * The kernel path's rules, after the listeners (the virtual addresses are on their bridges):
   * every route that needs no user-space decision, without drained backends. When the rules
   * cannot be written, everything goes through the listeners.
   */
  private async applyKernel(tables: readonly NamespaceTable[]): Promise<void> {
    if (!this.kernel) return;
    const routes = kernelRoutes(tables, (id) => this.ledger.isDraining(id));
    const error = await this.kernel.apply(routes);
    if (error && error !== this.kernelError) this.logger.warn({ err: error }, 'could not write the kernel path rules; Services go through the listeners');
    this.kernelError = error;
  }

  /**
   * The virtual addresses on each namespace bridge, exactly the Services' (also emptied for a
   * namespace gone from the tables). A namespace is re-checked when its own table is pushed or
   * what it wants changed, not on every other namespace's push (one `ip` call each).
   */
  private async syncAddresses(tables: readonly NamespaceTable[]): Promise<void> {
    const now = new Map<string, NamespaceNetwork>();
    for (const t of tables) if (t.network) now.set(t.namespace, t.network);
    for (const [namespace, network] of this.networks) {
      if (now.get(namespace)?.bridge === network.bridge && now.get(namespace)?.subnet === network.subnet) continue;
      await syncVirtualAddresses(network.bridge, network.subnet, [], { whole: network.cluster !== undefined }); // best effort: the bridge may be gone
      this.networks.delete(namespace);
      this.synced.delete(namespace);
    }
    for (const t of tables) {
      if (!t.network) continue;
      // A cluster namespace's addresses are all berth's, on lo: its DNS address (the gateway) too.
      const wanted = [...(t.network.cluster ? [t.network.gateway] : []), ...t.services.flatMap((s) => (s.clusterIP ? [s.clusterIP] : []))].sort();
      const key = [t.network.bridge, t.network.subnet, ...wanted].join(' ');
      this.networks.set(t.namespace, t.network);
      if (this.synced.get(t.namespace) === key) continue;
      const error = await syncVirtualAddresses(t.network.bridge, t.network.subnet, wanted, { whole: t.network.cluster !== undefined });
      if (error) {
        this.logger.warn(
          { namespace: t.namespace, bridge: t.network.bridge, err: error },
          'could not set the Service virtual addresses; retried in a second, and on the next table change',
        );
        this.retrySoon();
      } else this.synced.set(t.namespace, key);
    }
  }

  /** One DNS per namespace with a network, on its gateway; rebound when the network changed. */
  private async applyDns(tables: readonly NamespaceTable[]): Promise<void> {
    const wanted = new Map(tables.flatMap((t) => (t.network ? [[t.namespace, t.network] as const] : [])));
    for (const [namespace, current] of [...this.dns]) {
      const network = wanted.get(namespace);
      if (network && current.server && network.gateway === current.network.gateway && network.subnet === current.network.subnet) {
        // A cluster's nodes changed: the same server answers the new ones (no rebind, no gap).
        current.server.setPeers(network.cluster?.peers ?? []);
        this.dns.set(namespace, { network, server: current.server });
        continue;
      }
      current.server?.close();
      this.dns.delete(namespace);
    }
    for (const [namespace, network] of wanted) {
      if (this.dns.has(namespace)) continue;
      const server = new ClusterDns({
        namespace,
        address: network.gateway,
        subnet: network.subnet,
        ...(network.cluster ? { peers: network.cluster.peers } : {}),
        port: this.o.dnsPort ?? 53,
        upstreams: this.upstreams,
        answer: (name, type, peer) => {
          const subject = this.subjectOf(peer, namespace);
          return resolveName({ namespace, name, type, tables: this.tables, ...(subject ? { peer: subject } : {}) });
        },
        logger: this.logger.child({ namespace, component: 'namespace-dns' }),
      });
      const error = await server.start();
      if (error) {
        this.logger.warn(
          { namespace, listen: `${network.gateway}:${this.o.dnsPort ?? 53}`, err: error },
          'namespace DNS could not bind; retried in a second, and on the next table change',
        );
        this.retrySoon();
      } else this.logger.info({ namespace, listen: `${network.gateway}:${server.port()}` }, 'namespace DNS bound');
      this.dns.set(namespace, error ? { network, error } : { network, server });
    }
  }

  /**
   * Applies the tables again soon (once at a time): what could not be set up (a listener, the
   * ingress server or a DNS that could not bind — a port the killed data plane still held —, an
   * address not yet added) is retried without waiting for a table change, which may never come
   * once berth has converged. 1 s, doubling while it keeps failing, at most 30 s.
   */
  private retrySoon(): void {
    this.retryWanted = true;
    if (this.retryTimer || this.closed) return;
    const delay = Math.min(1_000 * 2 ** this.retries, 30_000);
    this.retries++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed) void this.serialize(() => this.apply()).catch(() => {});
    }, delay);
    this.retryTimer.unref?.();
  }
  private retryTimer: NodeJS.Timeout | undefined;
  /** Retries in a row so far (the back-off), and whether the running apply asked for one. */
  private retries = 0;
  private retryWanted = false;

  /** The namespace DNS's UDP port (tests bind port 0). */
  dnsAddress(namespace: string): Address | undefined {
    const d = this.dns.get(namespace);
    const port = d?.server?.port();
    return d && port !== undefined ? { host: d.network.gateway, port } : undefined;
  }

  private async applyListeners(tables: readonly NamespaceTable[]): Promise<void> {
    const wanted: { key: string; owner: Owner; listen: Address }[] = [];
    for (const t of tables) {
      for (const s of [...t.services].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        for (const p of [...s.ports].sort((a, b) => a.port - b.port)) {
          const owner = { namespace: t.namespace, service: s.name, port: p.port };
          if (p.listen) wanted.push({ key: addressKey(p.listen), owner: { ...owner, scope: 'host' }, listen: p.listen });
          if (t.network && s.clusterIP) {
            const at = { host: s.clusterIP, port: p.port };
            wanted.push({ key: addressKey(at), owner: { ...owner, scope: 'cluster' }, listen: at });
          }
        }
      }
    }
    const claims = new Map<string, string>();
    const wantedIds = new Set(wanted.map((w) => `${w.key} ${ownerId(w.owner)}`));
    for (const [key, listener] of this.listeners) if (wantedIds.has(`${key} ${ownerId(listener.owner)}`)) claims.set(key, ownerId(listener.owner));
    for (const w of wanted) if (!claims.has(w.key)) claims.set(w.key, ownerId(w.owner));
    this.claims = claims;

    for (const [key, listener] of [...this.listeners]) {
      if (claims.has(key)) continue;
      listener.server?.close(); // stops accepting; established connections finish on their own
      this.listeners.delete(key);
      if (listener.server) this.logger.info({ listen: key, owner: ownerId(listener.owner) }, 'listener closed');
    }
    await this.syncAddresses(tables); // a virtual address must be on its bridge before it can be bound
    for (const w of wanted) {
      if (claims.get(w.key) !== ownerId(w.owner)) continue;
      const current = this.listeners.get(w.key);
      if (current?.server) {
        current.owner = w.owner;
        continue;
      }
      this.listeners.set(w.key, await this.bindTcp(w.key, w.owner, w.listen, current?.error));
    }
  }

  private async bindTcp(key: string, owner: Owner, listen: Address, previousError: string | undefined): Promise<TcpListener> {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.onTcpConnection(key, socket));
    const error = await listenOn(server, listen);
    if (error) {
      if (error !== previousError)
        this.logger.warn({ listen: key, owner: ownerId(owner), err: error }, 'listener could not bind; retried soon, and on the next table change');
      this.retrySoon();
      return { owner, error };
    }
    server.on('error', (err) => this.logger.error({ listen: key, err: err.message }, 'listener failed'));
    this.logger.info({ listen: key, owner: ownerId(owner) }, 'listener bound');
    return { owner, server };
  }

  private async bindIngress(): Promise<void> {
    const at = this.o.ingressListen;
    if (!at || this.ingress?.server) return;
    const server = http.createServer((req, res) => this.onIngressRequest(req, res));
    server.on('connection', (socket: net.Socket) => this.track(socket));
    const error = await listenOn(server, at);
    if (error) {
      if (error !== this.ingress?.error)
        this.logger.warn({ listen: addressKey(at), err: error }, 'ingress server could not bind; retried soon, and on the next table change');
      this.ingress = { error };
      this.retrySoon();
      return;
    }
    server.on('error', (err) => this.logger.error({ listen: addressKey(at), err: err.message }, 'ingress server failed'));
    this.logger.info({ listen: addressKey(at) }, 'ingress server bound');
    this.ingress = { server };
  }

  private listenerStatus(namespace: string): ListenerStatus[] {
    const table = this.tables.get(namespace);
    if (!table) return [];
    return table.services.flatMap((s) =>
      s.ports.flatMap((p) => {
        const at: { scope: 'cluster' | 'host'; listen: Address }[] = [
          ...(table.network && s.clusterIP ? [{ scope: 'cluster' as const, listen: { host: s.clusterIP, port: p.port } }] : []),
          ...(p.listen ? [{ scope: 'host' as const, listen: p.listen }] : []),
        ];
        return at.map(({ scope, listen }): ListenerStatus => {
          const key = addressKey(listen);
          const id = ownerId({ namespace, service: s.name, port: p.port, scope });
          const holder = this.claims.get(key);
          const error = holder !== id ? `address ${key} is already claimed by ${holder ?? 'another route'}` : this.listeners.get(key)?.error;
          return { namespace, service: s.name, port: p.port, scope, listen: { host: listen.host, port: listen.port }, ...(error ? { error } : {}) };
        });
      }),
    );
  }

  private servicePort(namespace: string, service: string, port: number | string): ServicePortRoute | undefined {
    const s = this.tables.get(namespace)?.services.find((x) => x.name === service);
    return s?.ports.find((p) => (typeof port === 'number' ? p.port === port : p.name === port));
  }

  private candidates(namespace: string, service: string, route: ServicePortRoute, client?: string): Backend[] {
    const key = routeKey(namespace, service, route.port);
    const order = this.roundRobin.order(key, route.backends, (id) => this.ledger.isDraining(id));
    const sticky = client !== undefined && this.tables.get(namespace)?.services.find((s) => s.name === service)?.sessionAffinity === 'ClientIP';
    return sticky ? this.affinity.order(key, client, order) : order;
  }

  private readonly subnets = new Map<string, ReturnType<typeof parseCidr>>();

  /** A namespace subnet, parsed once (every cluster connection and DNS query asks). */
  private subnetOf(subnet: string): ReturnType<typeof parseCidr> {
    if (!this.subnets.has(subnet)) {
      if (this.subnets.size > 4096) this.subnets.clear();
      this.subnets.set(subnet, parseCidr(subnet));
    }
    return this.subnets.get(subnet);
  }

  /**
   * Who a peer is: the namespace whose subnet holds its address (its labels), and the pod labels
   * of the replica at that address when berth knows it. Undefined: no namespace berth serves.
   */
  private subjectOf(remote: string | undefined, owner?: string): PolicySubject | undefined {
    const peer = ipv4OfPeer(remote);
    if (peer === undefined) return undefined;
    // A cluster node's address: the owner namespace's own tasks (NATed there), pod unknown.
    const ownerTable = owner !== undefined ? this.tables.get(owner) : undefined;
    const plain = remote!.startsWith('::ffff:') ? remote!.slice(7) : remote!;
    if (ownerTable?.network?.cluster?.peers.includes(plain))
      return { namespace: owner!, namespaceLabels: { ...ownerTable.labels, [NAMESPACE_NAME_LABEL]: owner! } };
    for (const table of this.tables.values()) {
      const cidr = table.network ? this.subnetOf(table.network.subnet) : undefined;
      if (cidr === undefined || !contains(cidr, peer)) continue;
      const address = remote!.startsWith('::ffff:') ? remote!.slice(7) : remote!;
      const member = table.members?.find((m) => m.address === address);
      return {
        namespace: table.namespace,
        namespaceLabels: { ...table.labels, [NAMESPACE_NAME_LABEL]: table.namespace },
        ...(member ? { podLabels: member.labels } : {}),
      };
    }
    return undefined;
  }

  /**
   * The backends of a cluster listener that admit this peer (network-policy.ts): with no
   * policy in the namespace, every backend for a peer of the namespace and none for anyone
   * else (namespaces are isolated); with policies, each backend as its pod's policies say.
   */
  private admitted(
    owner: { namespace: string; service: string; port: number },
    route: ServicePortRoute,
    candidates: Backend[],
    peer: PolicySubject,
  ): Backend[] {
    const table = this.tables.get(owner.namespace);
    const policies = table?.policies ?? [];
    if (policies.length === 0) return peer.namespace === owner.namespace ? candidates : [];
    const svc = table?.services.find((x) => x.name === owner.service);
    const portIndex = svc?.ports.indexOf(route) ?? -1;
    return candidates.filter((b) => {
      const pod = b.pod !== undefined ? svc?.pods?.[b.pod] : undefined;
      const port = pod?.ports[portIndex];
      if (!pod || !port) return peer.namespace === owner.namespace; // no pod facts (an older table): berth's default
      return admits({ namespace: owner.namespace, policies, podLabels: pod.labels, port: port.port, ...(port.name ? { portName: port.name } : {}) }, peer);
    });
  }

  /** A peer of the namespace itself with no policy there: a Service with no ready backend closes at once (as before), never resets. */
  private isSameNamespaceWithoutPolicies(namespace: string, peer: PolicySubject): boolean {
    return peer.namespace === namespace && (this.tables.get(namespace)?.policies ?? []).length === 0;
  }

  private track(socket: net.Socket): void {
    this.clients.add(socket);
    socket.once('close', () => this.clients.delete(socket));
  }

  private onTcpConnection(key: string, client: net.Socket): void {
    this.track(client);
    const owner = this.listeners.get(key)?.owner;
    const peer = owner?.scope === 'cluster' ? this.subjectOf(client.remoteAddress, owner.namespace) : undefined;
    const route = owner && this.servicePort(owner.namespace, owner.service, owner.port);
    let candidates =
      owner && route
        ? this.candidates(owner.namespace, owner.service, route, ipv4OfPeer(client.remoteAddress) === undefined ? undefined : client.remoteAddress)
        : [];
    if (owner?.scope === 'cluster') {
      const allowed = peer && route ? this.admitted(owner, route, candidates, peer) : [];
      // Refused by isolation or a NetworkPolicy: reset, as a dropped SYN would look to a client that retries.
      if (!peer || (allowed.length === 0 && !this.isSameNamespaceWithoutPolicies(owner.namespace, peer))) {
        this.logger.debug({ listen: key, peer: client.remoteAddress }, 'connection refused: the peer may not reach this Service');
        client.on('error', () => {});
        client.resetAndDestroy();
        return;
      }
      candidates = allowed;
    }
    if (!owner || candidates.length === 0) {
      this.logger.debug({ listen: key, owner: owner && ownerId(owner) }, 'connection closed: no ready backend');
      client.on('error', () => {});
      client.destroy();
      return;
    }
    // The route goes into the relay's few log lines itself: a child logger per connection cost more than the relay's own JS (bench/east-west.ts).
    relayTcp({ client, candidates, ledger: this.ledger, connectTimeoutMs: this.connectTimeoutMs, logger: this.logger, route: ownerId(owner) });
  }

  private onIngressRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const host = hostOfHeader(req.headers.host);
    const target = req.url ?? '/';
    // Matched (and forwarded) as nginx normalizes it: decoded, slashes merged, dot segments resolved.
    const path = normalizeRequestPath(pathOfTarget(target));
    if (path.kind === 'invalid') return plain(res, 400, `400 Bad Request: the request path has ${path.reason}\n`);
    const match = matchIngress({ ingresses: this.ingresses, host, path: path.path });
    if (!match) return plain(res, 404, '404 Not Found: no Ingress rule matches this host and path\n');
    const route = this.servicePort(match.namespace, match.service, match.port);
    const candidates = route ? this.candidates(match.namespace, match.service, route) : [];
    if (candidates.length === 0) return plain(res, 503, `503 Service Unavailable: no ready backend for ${match.namespace}/${match.service}\n`);
    const logger = this.logger.child({ ingress: `${match.namespace}/${match.ingress}`, service: match.service });
    forwardHttp({
      req,
      res,
      target: `${path.forward}${queryOfTarget(target)}`,
      candidates,
      ledger: this.ledger,
      timeouts: match.upstreamTimeouts ?? DEFAULT_INGRESS_TIMEOUTS,
      maxConnectionsPerBackend: this.o.maxConnectionsPerBackend ?? DEFAULT_MAX_CONNECTIONS_PER_BACKEND,
      logger,
    });
  }

  /** Writes the state file when it changed (in order; failures are logged, serving goes on). */
  private persist(): Promise<void> {
    const path = this.o.statePath;
    if (!path) return Promise.resolve();
    this.persisting = this.persisting.then(async () => {
      const state: ProxyState = { namespaces: this.sortedTables(), draining: this.ledger.snapshot().draining };
      const text = JSON.stringify(state);
      if (text === this.lastSaved) return;
      try {
        await saveProxyState(path, state);
        this.lastSaved = text;
      } catch (err) {
        this.logger.error({ path, err: describeError(err) }, 'could not persist the proxy state');
      }
    });
    return this.persisting;
  }
}

/** Binds `server`; resolves with the bind error's message instead of throwing. */
function listenOn(server: net.Server, at: Address): Promise<string | undefined> {
  return new Promise((resolve) => {
    const onError = (err: Error) => resolve(err.message);
    server.once('error', onError);
    server.listen({ host: at.host, port: at.port }, () => {
      server.off('error', onError);
      resolve(undefined);
    });
  });
}

function plain(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The load balancer a Swarm user without the routing mesh (or a Compose user) would put in
 * front: berth's own data plane class (ProxyServer, in this process), one Service port, whose
 * backends are refreshed every `refreshMs` from what the platform's API says is up —
 * Traefik's Docker/Swarm providers work the same way (poll or watch, route to what runs and
 * is healthy).
 *
 * What it knows: the backends the platform reports running + healthy at the last refresh.
 * What it does not know: that a backend is about to be stopped (neither Swarm nor Compose
 * tells anyone before sending SIGTERM), so it cannot drain; a stopped backend stays in its
 * table for up to one refresh. It inherits ProxyServer's connect retry: a connection refused
 * (or accepted and closed by docker-proxy) before any byte was answered goes to the next
 * backend, so only requests in flight on a backend that stops are lost.
 */
import { silentLogger } from '../../src/core/index.js';
import { ProxyServer, type Backend } from '../../src/proxy/index.js';
import { now, sleep } from '../push-to-serve/clock.js';

export interface LbChange {
  readonly at: number;
  readonly ids: readonly string[];
}

export class NaiveLb {
  private readonly proxy = new ProxyServer({ logger: silentLogger });
  private running = true;
  private loop: Promise<void> | undefined;
  private current: readonly Backend[] = [];
  private lastKey: string | undefined;
  /** Every table change, with the time it was applied. */
  readonly changes: LbChange[] = [];
  /** Refreshes that failed (the platform's API did not answer); the table is kept as it was. */
  refreshErrors = 0;

  constructor(
    private readonly o: {
      readonly port: number;
      readonly refreshMs: number;
      /** The backends that are up now, per the platform's API. */
      readonly source: () => Promise<readonly Backend[]>;
    },
  ) {}

  async start(): Promise<void> {
    await this.proxy.start();
    await this.refresh();
    this.loop = (async () => {
      while (this.running) {
        await sleep(this.o.refreshMs);
        if (this.running) await this.refresh();
      }
    })();
  }

  ids(): readonly string[] {
    return this.current.map((b) => b.id);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.proxy.close({ graceMs: 1000 });
  }

  private async refresh(): Promise<void> {
    let backends: readonly Backend[];
    try {
      backends = [...(await this.o.source())].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    } catch {
      this.refreshErrors++;
      return;
    }
    const key = backends.map((b) => `${b.id}@${b.host}:${b.port}`).join(',');
    if (key === this.lastKey) return;
    await this.proxy.putNamespace({
      namespace: 'lb',
      services: [{ name: 'web', ports: [{ port: this.o.port, listen: { host: '127.0.0.1', port: this.o.port }, backends }] }],
      ingresses: [],
    });
    this.lastKey = key;
    this.current = backends;
    this.changes.push({ at: now(), ids: backends.map((b) => b.id) });
  }
}

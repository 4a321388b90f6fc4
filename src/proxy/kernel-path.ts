import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import { hashOf, type Logger } from '../core/index.js';
import { isProcessAlive } from '../files/index.js';
import {
  IN_FLIGHT_STATES,
  jumpRules,
  kernelChains,
  kernelContent,
  kernelTargetsById,
  kernelUpdate,
  openKernelConnections,
  removalRuleset,
  takeOverRuleset,
  type KernelChains,
  type KernelContent,
  type KernelRoute,
  type KernelTarget,
} from './kernel-rules.js';
import { runTool as run } from './tool.js';

/** How often a drain looks at the connection-tracking table while the kernel path still carries a connection. */
const CONNTRACK_POLL_MS = 100;
/** Reads and writes of the nat table before a failed write is final (rewriteNat). */
const REWRITE_TRIES = 5;

/**
 * The kernel path's I/O (kernel-rules.ts decides): this data plane's nat chains, the ones that
 * changed written with `iptables-restore --noflush` (one transaction: a connection sees the old
 * rules or the new, never half), and the connection-tracking table read while a drain waits.
 * It remembers what it carried to each backend after the rules stopped naming it (a pass pushes
 * the table without a leaving replica, then drains it: the drain still waits for those). Needs
 * CAP_NET_ADMIN; without it (or without iptables) `start()` says why and the data plane serves
 * every Service from its listeners, as before.
 *
 * The chains are named from the data plane's identity (its state file), so a restarted data
 * plane takes its own over, and several data planes on one host (tests) never touch each
 * other's. At start it also removes the chains of data planes that are gone (a `kill -9`): their
 * jumps carry the pid that made them.
 */
export class KernelPath {
  readonly chains: KernelChains;
  /** What the chains hold (as far as this process knows): each rule change writes only the chains that differ. */
  private applied: KernelContent = new Map();
  private routes: readonly KernelRoute[] = [];
  /** Backend id → its targets, and since when no rule names it; forgotten `forgetAfterMs` later. */
  private readonly seen = new Map<string, { readonly targets: KernelTarget[]; readonly goneAt?: number }>();
  private timeouts: Record<string, number> | undefined;

  constructor(
    private readonly o: {
      /** What names the chains: the state file's path (a restarted data plane takes its chains over); none: a random one. */
      readonly identity?: string;
      readonly logger: Logger;
      readonly now: () => number;
      /** How long the targets of a backend no rule names are remembered for a drain. */
      readonly forgetAfterMs: number;
      /** The process its jumps name (`berth-pid=`): this one; tests stand in for other data planes' processes. */
      readonly pid?: number;
    },
  ) {
    const tag = o.identity ? hashOf(o.identity, 8) : randomBytes(4).toString('hex');
    this.chains = kernelChains(tag);
  }

  private get pid(): number {
    return this.o.pid ?? process.pid;
  }

  /** Takes the chains over (empty); resolves with the error message when the kernel path cannot be used. */
  async start(): Promise<string | undefined> {
    const error = await rewriteNat((saved) => takeOverRuleset(this.chains, this.pid, saved, isProcessAlive));
    if (error) return error;
    this.applied = this.contentOf([]);
    await this.beLiberal();
    return undefined;
  }

  /**
   * A packet conntrack finds out of its TCP window is marked INVALID and not translated back: it
   * reaches the host addressed to the Service address, whose TCP stack answers with a reset — the
   * client sees "connection reset by peer" now and then under load (kubernetes/kubernetes#74839,
   * #117924; measured here: 1 reset in 23,157 requests of bench/east-west.ts). kube-proxy's
   * `--conntrack-tcp-be-liberal` is the cure taken here: conntrack stops marking such packets
   * INVALID, so they are translated like the rest.
   */
  private async beLiberal(): Promise<void> {
    const path = '/proc/sys/net/netfilter/nf_conntrack_tcp_be_liberal';
    try {
      if ((await fsp.readFile(path, 'utf8')).trim() === '1') return;
      await fsp.writeFile(path, '1\n');
      this.o.logger.info(
        { sysctl: 'net.netfilter.nf_conntrack_tcp_be_liberal=1' },
        'conntrack set liberal for the kernel path (no resets from out-of-window packets)',
      );
    } catch (err) {
      this.o.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'cannot set net.netfilter.nf_conntrack_tcp_be_liberal: a rare connection reset under load stays possible',
      );
    }
  }

  /**
   * Makes the chains hold exactly `routes`. When that fails, the services chain is emptied so
   * every connection reaches the data plane's listeners (never a rule naming a drained backend).
   */
  async apply(routes: readonly KernelRoute[]): Promise<string | undefined> {
    const error = await this.write(routes);
    this.routes = error ? [] : routes;
    const now = this.now();
    const byId = kernelTargetsById(this.routes);
    for (const [id, seen] of [...this.seen]) {
      if (byId.has(id)) continue;
      if (seen.goneAt === undefined) this.seen.set(id, { targets: seen.targets, goneAt: now });
      else if (now - seen.goneAt >= this.o.forgetAfterMs) this.seen.delete(id);
    }
    for (const [id, targets] of byId) this.seen.set(id, { targets });
    return error;
  }

  /** The routes the kernel holds now (none after a failed write: the listeners serve everything). */
  get carried(): readonly KernelRoute[] {
    return this.routes;
  }

  /** Whether a rule names one of these backends now. */
  carries(ids: readonly string[]): boolean {
    return ids.some((id) => this.seen.has(id) && this.seen.get(id)!.goneAt === undefined);
  }

  /** What the kernel path carried to these backends, now or until it stopped naming them. */
  targetsOf(ids: readonly string[]): KernelTarget[] {
    return ids.flatMap((id) => this.seen.get(id)?.targets ?? []);
  }

  private async write(routes: readonly KernelRoute[]): Promise<string | undefined> {
    const next = this.contentOf(routes);
    const text = kernelUpdate(this.applied, next);
    if (text === undefined) return undefined;
    const error = (await run('iptables-restore', ['--noflush'], text)).error ?? (await this.ensureJumps());
    if (!error) {
      this.applied = next;
      return undefined;
    }
    // Unknown now: every chain is written again by the next change; until then the services chain is emptied.
    const unknown = new Map<string, readonly string[]>([...this.applied.keys(), ...next.keys()].map((chain) => [chain, ['?']]));
    const flushed = await run('iptables', ['-t', 'nat', '-F', this.chains.services]);
    if (!flushed.error) unknown.set(this.chains.services, []);
    this.applied = unknown;
    return error;
  }

  private contentOf(routes: readonly KernelRoute[]): KernelContent {
    return kernelContent(this.chains, routes, (namespace) => hashOf(namespace, 8));
  }

  /**
   * Puts back a jump that is gone (a data plane of the same state file that lost the race to start
   * removed its own on the way out; somebody flushed a hook): checked whenever the rules change.
   */
  private async ensureJumps(): Promise<string | undefined> {
    for (const { hook, rule } of jumpRules(this.chains, this.pid)) {
      const args = rule.split(' ');
      if (!(await run('iptables', ['-t', 'nat', '-C', hook, ...args])).error) continue;
      const error = (await run('iptables', ['-t', 'nat', '-I', hook, '1', ...args])).error;
      if (error) return error;
      this.o.logger.warn({ hook, chain: args.at(-1) }, 'the kernel path’s jump was gone; put back');
    }
    return undefined;
  }

  /** Resolves once the kernel path carries no connection to `targets` any more, or at `deadline` (epoch ms) with the count still open. */
  async waitIdle(targets: readonly KernelTarget[], deadline: number): Promise<number> {
    if (targets.length === 0) return 0;
    for (;;) {
      const open = await this.openConnections(targets);
      if (open === 0 || this.now() >= deadline) return open;
      await new Promise((resolve) => setTimeout(resolve, Math.min(CONNTRACK_POLL_MS, Math.max(0, deadline - this.now()))));
    }
  }

  /** Removes the jumps and the chains (a graceful stop: nothing of this data plane stays in the kernel). */
  async stop(): Promise<void> {
    const error = await rewriteNat((saved) => removalRuleset(this.chains, this.pid, saved));
    if (error) this.o.logger.warn({ err: error, chains: this.chains }, 'could not remove the kernel path rules');
  }

  private now(): number {
    return this.o.now();
  }

  private async openConnections(targets: readonly KernelTarget[]): Promise<number> {
    try {
      this.timeouts ??= await conntrackTimeouts();
      return openKernelConnections(await fsp.readFile('/proc/net/nf_conntrack', 'utf8'), targets, this.timeouts);
    } catch (err) {
      this.o.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'cannot read the connection-tracking table: drain does not wait for kernel-path connections',
      );
      return 0;
    }
  }
}

/**
 * Reads the nat table and writes the batch `change` makes of it, read again and made again when
 * the write fails: the batch is computed from what was read, and another data plane on this host
 * may change the table between the two (two of them starting at once both delete a dead one's
 * chains, and the second batch then fails as a whole: "RULE_DELETE failed", met in CI). A write
 * that fails REWRITE_TRIES times on fresh reads is a real failure (its error is returned).
 */
async function rewriteNat(change: (saved: string) => string): Promise<string | undefined> {
  let error: string | undefined;
  for (let attempt = 0; attempt < REWRITE_TRIES; attempt++) {
    const saved = await run('iptables-save', ['-t', 'nat']);
    if (saved.error) return saved.error;
    error = (await run('iptables-restore', ['--noflush'], change(saved.stdout))).error;
    if (!error) return undefined;
  }
  return error;
}

async function conntrackTimeouts(): Promise<Record<string, number>> {
  const entries = await Promise.all(
    IN_FLIGHT_STATES.map(
      async (state) => [state, Number((await fsp.readFile(`/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_${state}`, 'utf8')).trim())] as const,
    ),
  );
  return Object.fromEntries(entries);
}

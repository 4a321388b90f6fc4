import { byCodeUnit } from '../core/index.js';
/** How long a drained id is remembered once no table lists it any more (a racing pass may still). */
export const FORGET_DRAINED_AFTER_MS = 10 * 60_000;

/**
 * Per-backend bookkeeping shared by L4 and L7: open connections / in-flight requests per
 * backend id, and the ids taken out of rotation by drain. A drained id stays out for good
 * (a table computed before the drain may still list it); it is forgotten only after it has
 * been absent from every table for `forgetAfterMs` and nothing of it is open.
 */
export class BackendLedger {
  private readonly active = new Map<string, number>();
  /** Connections (L4) and requests (L7) ever started per id: an autoscaler's request rate is the difference of two readings. */
  private readonly served = new Map<string, number>();
  /** id → when it was first seen absent from every table (undefined: still listed). */
  private readonly draining = new Map<string, number | undefined>();
  private readonly waiters = new Set<() => void>();

  constructor(private readonly o: { readonly now?: () => number; readonly forgetAfterMs?: number } = {}) {}

  /** Counts one connection or request to `id`; the returned function uncounts it (idempotent). */
  acquire(id: string): () => void {
    this.active.set(id, (this.active.get(id) ?? 0) + 1);
    this.served.set(id, (this.served.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.active.get(id) ?? 1) - 1;
      if (n > 0) this.active.set(id, n);
      else {
        this.active.delete(id);
        for (const wake of [...this.waiters]) wake();
      }
    };
  }

  isDraining(id: string): boolean {
    return this.draining.has(id);
  }

  /** Open connections plus in-flight requests of these ids. */
  activeCount(ids: Iterable<string>): number {
    let n = 0;
    for (const id of ids) n += this.active.get(id) ?? 0;
    return n;
  }

  markDraining(ids: Iterable<string>): void {
    for (const id of ids) if (!this.draining.has(id)) this.draining.set(id, undefined);
  }

  /**
   * Called after every table change with every backend id the tables list: drained ids
   * absent for longer than `forgetAfterMs` (and idle) are forgotten.
   */
  observeListed(listed: ReadonlySet<string>): void {
    const now = (this.o.now ?? Date.now)();
    const forgetAfterMs = this.o.forgetAfterMs ?? FORGET_DRAINED_AFTER_MS;
    for (const id of [...this.served.keys()]) if (!listed.has(id) && !this.active.has(id) && !this.draining.has(id)) this.served.delete(id);
    for (const [id, absentSince] of [...this.draining]) {
      if (listed.has(id)) this.draining.set(id, undefined);
      else if (absentSince === undefined) this.draining.set(id, now);
      else if (now - absentSince >= forgetAfterMs && !this.active.has(id)) this.draining.delete(id);
    }
  }

  /** Resolves with the count still open when it reaches 0 or `timeoutMs` has passed. */
  waitIdle(ids: readonly string[], timeoutMs: number): Promise<number> {
    return new Promise((resolve) => {
      const check = () => {
        const remaining = this.activeCount(ids);
        if (remaining > 0) return false;
        done(0);
        return true;
      };
      const done = (remaining: number) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(remaining);
      };
      const wake = () => void check();
      const timer = setTimeout(() => done(this.activeCount(ids)), Math.max(0, timeoutMs));
      if (!check()) this.waiters.add(wake);
    });
  }

  /** Non-zero counts, the totals served, and the drained ids (sorted). */
  snapshot(): { active: Record<string, number>; served: Record<string, number>; draining: string[] } {
    const sorted = (m: Map<string, number>) => Object.fromEntries([...m].sort(([a], [b]) => byCodeUnit(a, b)));
    return { active: sorted(this.active), served: sorted(this.served), draining: [...this.draining.keys()].sort() };
  }
}

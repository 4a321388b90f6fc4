import type { Backend } from './control.js';

/**
 * Round-robin over a route's backends. `order` returns every eligible backend, starting at
 * the route's cursor: the first is the pick, the rest are the retry order when it does not
 * answer. Example: backends a, b, c (none draining), three calls → [a,b,c], [b,c,a], [c,a,b].
 */
export class RoundRobin {
  private readonly cursors = new Map<string, number>();

  order(key: string, backends: readonly Backend[], isDraining: (id: string) => boolean): Backend[] {
    const eligible = backends.filter((b) => !isDraining(b.id));
    if (eligible.length === 0) return [];
    const cursor = this.cursors.get(key) ?? 0;
    this.cursors.set(key, (cursor + 1) % 1_000_000_007);
    const start = cursor % eligible.length;
    return [...eligible.slice(start), ...eligible.slice(0, start)];
  }

  /** Forgets the cursors of routes that no longer exist. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of [...this.cursors.keys()]) if (!keys.has(key)) this.cursors.delete(key);
  }
}

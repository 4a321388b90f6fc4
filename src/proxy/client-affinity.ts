import type { Backend } from './control.js';

/** At most this many client → backend pins are kept (the oldest go first). */
export const MAX_AFFINITY_ENTRIES = 10_000;

/**
 * sessionAffinity: ClientIP. The first backend a client address was sent to on a route stays
 * its first choice while it is eligible (listed, ready, not draining); when it is not, the
 * round-robin order applies and the client is pinned to its new pick. Example: a client got
 * r2; candidates [r1, r2, r3] → [r2, r1, r3]; r2 drained → [r1, r3] and the pin moves to r1.
 */
export class ClientAffinity {
  private readonly pins = new Map<string, string>();

  order(route: string, client: string, candidates: readonly Backend[]): Backend[] {
    if (candidates.length === 0) return [];
    const key = `${route} ${client}`;
    const pinned = this.pins.get(key);
    const i = pinned === undefined ? -1 : candidates.findIndex((b) => b.id === pinned);
    if (i >= 0) return [candidates[i]!, ...candidates.slice(0, i), ...candidates.slice(i + 1)];
    this.pins.delete(key);
    this.pins.set(key, candidates[0]!.id);
    if (this.pins.size > MAX_AFFINITY_ENTRIES) this.pins.delete(this.pins.keys().next().value!);
    return [...candidates];
  }

  /** Forgets pins to backends no table lists any more. */
  retain(listed: ReadonlySet<string>): void {
    for (const [key, id] of [...this.pins]) if (!listed.has(id)) this.pins.delete(key);
  }
}

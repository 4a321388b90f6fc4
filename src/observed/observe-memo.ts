import { samePublishedPorts, type OwnedContainer } from '../runtime/index.js';
import type { ObservedNamespace, ObservedReplica, ObservedStray } from './types.js';

/** A replica the memo made of a container, and the namespace it was last observed in. */
export interface Remembered {
  readonly id: string;
  readonly replica: ObservedReplica;
  in?: ObservedNamespace;
}

export interface PreviousNamespace {
  readonly observed: ObservedNamespace;
  /** How many replicas its Deployments hold. */
  readonly replicas: number;
}

/**
 * What observe() remembers between its calls on one engine whose driver's labels are fixed
 * (RuntimeDriver.labelsFixed): the replica it made of each container, by id, and the namespace
 * it built last of each name. A Docker engine fixes a container's labels when it creates it, and
 * berth reads everything but the changing facts from them, so a container whose changing facts
 * (state, exit code, addresses, reason, eviction, ports, name, image) are as its replica says
 * yields that same replica again, as it would be built anew. A namespace whose containers are all
 * the replicas it was last observed with, unchanged, and whose network and volumes read the same,
 * is that same namespace again. The daemon's passes then stop rebuilding 20,000 replicas from
 * their labels and regrouping them: at 10,000 Deployments a no-change observe reads each
 * container's changing facts and allocates next to nothing, while the engine's list it reads is
 * still alive (a scavenge then copies all of it). Results are immutable; a Pod's infra container
 * (its members joined per call) is never remembered, nor is its namespace. The engine lists in a
 * stable order, so a container is first looked for where it stood in the last list. Ids of gone
 * containers are forgotten when it is full (capacity), as no engine reuses an id.
 */
export class ObserveMemo {
  private readonly replicas = new Map<string, Remembered>();
  private readonly namespaces = new Map<string, PreviousNamespace>();
  /** What the last call's list held at each position, and this call's (the array of the call before, reused). */
  private order: (Remembered | undefined)[] = [];
  private next: (Remembered | undefined)[] = [];
  constructor(private readonly capacity = 100_000) {}

  /** Starts a call on a list of `length` containers. */
  begin(length: number): void {
    this.next.length = length;
  }

  /** Ends a call: this list's order is what the next call looks at first. */
  end(): void {
    [this.order, this.next] = [this.next, this.order];
  }

  /** The replica made before of the container at `position`, when nothing that changes differs (else undefined). Called for every position. */
  knownAt(position: number, c: OwnedContainer): Remembered | undefined {
    let known = this.order[position];
    if (known === undefined || known.id !== c.id) known = this.replicas.get(c.id);
    if (known !== undefined && !sameFacts(known.replica, c)) known = undefined;
    this.next[position] = known;
    return known;
  }

  /**
   * The replica of the container at `position` built anew by `build` (after knownAt found none)
   * and remembered, or the stray it is. `build` is observe's own, passed in (not a closure per container).
   */
  rememberAt(
    position: number,
    c: OwnedContainer,
    namespace: string,
    build: (c: OwnedContainer, namespace: string) => ObservedReplica | ObservedStray,
  ): Remembered | ObservedStray {
    const built = build(c, namespace);
    if ('reason' in built) return built;
    if (this.replicas.size >= this.capacity) this.replicas.clear();
    const known: Remembered = { id: c.id, replica: built };
    this.replicas.set(c.id, known);
    this.next[position] = known;
    return known;
  }

  /** This call's replica at `position` (knownAt's or rememberAt's), if any. */
  at(position: number): Remembered | undefined {
    return this.next[position];
  }

  previous(namespace: string): PreviousNamespace | undefined {
    return this.namespaces.get(namespace);
  }

  /** `observed` is what namespace `observed.name` was built as, from `remembered` (and other replicas, never remembered). */
  built(observed: ObservedNamespace, remembered: readonly Remembered[]): void {
    for (const r of remembered) r.in = observed;
    if (this.namespaces.size >= this.capacity) this.namespaces.clear();
    this.namespaces.set(observed.name, { observed, replicas: observed.deployments.reduce((n, d) => n + d.replicas.length, 0) });
  }

  get size(): number {
    return this.replicas.size;
  }
}

/** Whether the facts of `c` that change over a container's life are the ones `r` was made with (its id, labels and creation time never change). */
function sameFacts(r: ObservedReplica, c: OwnedContainer): boolean {
  return (
    r.state === c.state &&
    r.exitCode === c.exitCode &&
    r.address === c.address &&
    r.clusterAddress === c.clusterAddress &&
    r.stateReason === c.reason &&
    (r.evicted === true) === (c.evicted === true) &&
    r.name === c.name &&
    r.image === c.image &&
    samePublishedPorts(r.ports, c.ports)
  );
}

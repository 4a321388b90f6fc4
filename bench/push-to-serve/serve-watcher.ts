import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { now, sleep } from './clock.js';
import { probe } from './http-probe.js';

/** One container of the instance, as the engine's event stream reported it. */
export interface SeenReplica {
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  readonly deployment: string;
  readonly revision: string;
  /** Engine time of its `start` event (epoch ms). */
  readonly startedAt: number;
  /** Published 127.0.0.1 port, once inspected. */
  port?: number;
  /** Engine time of its `die` event (its process exited: it serves nothing any more). */
  diedAt?: number;
  /** The text it answered (once it answers, it never changes: the text is in its command). */
  answer?: string;
  /** Bench time of that first answer. */
  answeredAt?: number;
}

export interface Served {
  /** When the probe round that found every replica serving the text ended (epoch ms). */
  readonly servedAt: number;
  /** When any replica first answered the text. */
  readonly firstNewAt: number;
  /** Revision label of the replicas that serve the text. */
  readonly revision: string;
  readonly rounds: number;
}

/**
 * Tracks which containers of a berth instance are alive, from the engine's event stream
 * (start → inspect for the published port; die/destroy → gone), and probes them over HTTP on
 * 127.0.0.1 to tell when a Deployment serves a given text on every replica and nothing else.
 * Events instead of listing containers every 20 ms: a list per round would load the engine
 * that berth is being measured against.
 */
export class ServeWatcher {
  private readonly all = new Map<string, SeenReplica>();
  private readonly dead = new Set<string>();
  private readonly abort = new AbortController();
  private failure: Error | undefined;

  private constructor(
    private readonly docker: Docker,
    private readonly instance: string,
  ) {}

  static async start(docker: Docker, instance: string): Promise<ServeWatcher> {
    const w = new ServeWatcher(docker, instance);
    const label = [`berth.instance=${instance}`];
    const stream = (await docker.getEvents({
      filters: { type: ['container'], event: ['start', 'die', 'destroy'], label },
      abortSignal: w.abort.signal,
    } as Docker.GetEventsOptions)) as Readable;
    stream.on('error', (err: Error) => {
      if (!w.abort.signal.aborted) w.failure = err;
    });
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => w.onEvent(line));
    // readline re-emits the stream's errors (an abort ends the request with ECONNRESET).
    lines.on('error', (err: Error) => {
      if (!w.abort.signal.aborted) w.failure = err;
    });
    lines.on('close', () => {
      if (!w.abort.signal.aborted) w.failure ??= new Error('the engine closed the event stream');
    });
    // Containers already running (berth may have started before the watcher).
    for (const c of await docker.listContainers({ filters: { label } })) {
      w.track(c.Id, c.Labels, c.Names[0]?.replace(/^\//, '') ?? c.Id, c.Created * 1000);
    }
    return w;
  }

  stop(): void {
    this.abort.abort();
  }

  /** Every container of `namespace/name` seen so far (alive or not). */
  seen(namespace: string, name: string): SeenReplica[] {
    return [...this.all.values()].filter((r) => r.namespace === namespace && r.deployment === name);
  }

  alive(namespace: string, name: string): SeenReplica[] {
    return this.seen(namespace, name).filter((r) => r.diedAt === undefined);
  }

  /**
   * Every `intervalMs`, probes the alive replicas of `namespace/name` whose text is not known
   * yet, until exactly `replicas` are alive and each has answered `text`; then one last round
   * probes them all to confirm. Rejects after `timeoutMs`.
   *
   * A container's text never changes (it is baked into its command), so a replica that has
   * answered once is not probed again: an old one stays "old" until its die event, a new one
   * stays "new". Probing every alive replica at 50 Hz instead loaded this 2-core machine enough
   * to slow the very container starts being measured (≈ +250 ms per start with 3 replicas
   * probed), so only the starting containers are probed tightly, exactly as in the floor.
   */
  async waitServing(args: { namespace: string; name: string; replicas: number; text: string; timeoutMs: number; intervalMs: number }): Promise<Served> {
    const deadline = now() + args.timeoutMs;
    let firstNewAt: number | undefined;
    let revision = '';
    for (let rounds = 1; ; rounds++) {
      if (this.failure) throw this.failure;
      const started = now();
      const unknown = this.alive(args.namespace, args.name).filter((r) => r.answer === undefined && r.port !== undefined);
      const answers = await Promise.all(unknown.map((r) => probe(r.port!)));
      const ended = now();
      answers.forEach((a, i) => {
        if (a === undefined) return;
        const r = unknown[i]!;
        r.answer = a;
        r.answeredAt = ended;
        if (a === args.text) {
          firstNewAt ??= ended;
          revision = r.revision;
        }
      });
      const alive = this.alive(args.namespace, args.name);
      if (alive.length === args.replicas && alive.every((r) => r.answer === args.text)) {
        const confirm = await Promise.all(alive.map((r) => probe(r.port!)));
        const confirmed = now();
        if (confirm.every((a) => a === args.text)) return { servedAt: confirmed, firstNewAt: firstNewAt ?? confirmed, revision, rounds };
        alive.forEach((r, i) => {
          if (confirm[i] !== args.text) r.answer = undefined; // look again next round
        });
      }
      if (ended > deadline) {
        const last = alive.map((r) => `${r.name}=${r.answer ?? '(no answer)'}`).join(', ') || '(no replica alive)';
        throw new Error(`${args.namespace}/${args.name} did not serve "${args.text}" on ${args.replicas} replica(s) within ${args.timeoutMs} ms; now: ${last}`);
      }
      await sleep(Math.max(0, args.intervalMs - (now() - started)));
    }
  }

  /** Resolves once `namespace/name` has exactly `replicas` containers on the engine (any state), i.e. berth removed the old ones. */
  async waitSettled(args: { namespace: string; name: string; replicas: number; timeoutMs: number }): Promise<void> {
    const deadline = now() + args.timeoutMs;
    for (;;) {
      const list = await this.docker.listContainers({
        all: true,
        filters: { label: [`berth.instance=${this.instance}`, `berth.namespace=${args.namespace}`, `berth.name=${args.name}`] },
      });
      if (list.length === args.replicas && list.every((c) => c.State === 'running')) return;
      if (now() > deadline)
        throw new Error(`${args.namespace}/${args.name}: ${list.length} container(s) after ${args.timeoutMs} ms, expected ${args.replicas} running`);
      await sleep(100);
    }
  }

  private onEvent(line: string): void {
    let e: { Action?: string; status?: string; id?: string; timeNano?: number; time?: number; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    try {
      e = JSON.parse(line);
    } catch {
      return;
    }
    const id = e.Actor?.ID ?? e.id;
    const action = e.Action ?? e.status;
    if (!id || !action) return;
    const at = e.timeNano !== undefined ? e.timeNano / 1e6 : (e.time ?? 0) * 1000;
    if (action === 'start') {
      const attrs = e.Actor?.Attributes ?? {};
      this.dead.delete(id);
      this.track(id, attrs, attrs.name ?? id, at);
    } else {
      this.dead.add(id);
      const r = this.all.get(id);
      if (r && r.diedAt === undefined) r.diedAt = at;
    }
  }

  private track(id: string, labels: Record<string, string>, name: string, startedAt: number): void {
    if (this.all.has(id) && this.all.get(id)!.diedAt === undefined) return;
    const r: SeenReplica = {
      id,
      name,
      namespace: labels['berth.namespace'] ?? '',
      deployment: labels['berth.name'] ?? '',
      revision: labels['berth.revision'] ?? '',
      startedAt,
    };
    this.all.set(id, r);
    void this.docker
      .getContainer(id)
      .inspect()
      .then((info) => {
        if (this.dead.has(id)) return;
        const bindings = Object.values(info.NetworkSettings.Ports ?? {}).find((b) => b && b.length > 0);
        const port = Number(bindings?.[0]?.HostPort);
        if (Number.isInteger(port) && port > 0) r.port = port;
      })
      .catch(() => {
        // Removed before it could be inspected: its die/destroy event follows.
      });
  }
}

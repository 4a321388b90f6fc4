/**
 * berth's own account of a rollout, read from its JSON log lines (pino: `time` in epoch ms,
 * `msg`, plus the fields of the child logger). Only messages berth already writes are used:
 *
 *   push accepted; syncing        the webhook was verified and fired a sync        (info)
 *   request                       the hook's HTTP request ended; `ms` = its time   (info)
 *   fetched ref                   a fetch brought a new commit; `ms` = its duration (debug)
 *   loaded desired state          the new commit was read and parsed               (info)
 *   creating replica              a pass starts a container (`container` = name)   (info)
 *   removing replica              a pass removes an old one (stop, then remove)    (info)
 *   container removed             the engine removed it                            (info)
 */
export interface LogLine {
  readonly time: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** Reads the daemon's accumulated output incrementally. */
export class LogCursor {
  private offset = 0;

  constructor(private readonly read: () => string) {}

  /** Skip everything logged so far. */
  mark(): void {
    this.offset = this.read().length;
  }

  /** JSON lines logged since the last mark (complete lines only). */
  since(): LogLine[] {
    const text = this.read();
    const end = text.lastIndexOf('\n') + 1;
    const chunk = text.slice(this.offset, Math.max(end, this.offset));
    const out: LogLine[] = [];
    for (const line of chunk.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const v = JSON.parse(line) as Partial<LogLine>;
        if (typeof v.time === 'number' && typeof v.msg === 'string') out.push(v as LogLine);
      } catch {
        // not a log line
      }
    }
    return out;
  }
}

/** What berth logged about one push, as epoch ms (undefined when it did not log it). */
export interface BerthTimeline {
  readonly hookAccepted?: number;
  /** berth's own time for the hook request (fastify's reply.elapsedTime, rounded). */
  readonly hookRequestMs?: number;
  readonly fetchStarted?: number;
  readonly fetchDone?: number;
  readonly desiredLoaded?: number;
  readonly firstCreate?: number;
  readonly lastRemoved?: number;
  /** Containers created for the Deployment: one per wave with maxSurge 1. */
  readonly creates: number;
  /** Times of `creating replica`, `removing replica` and `container removed` for the Deployment, in order. */
  readonly createTimes: readonly number[];
  readonly removeTimes: readonly number[];
  readonly removedTimes: readonly number[];
  /** `fetched ref` lines: more than one means a second sync ran. */
  readonly fetches: number;
}

export function timelineOf(lines: readonly LogLine[], args: { commit: string; containerPrefix: string }): BerthTimeline {
  const first = (pred: (l: LogLine) => boolean) => lines.find(pred)?.time;
  const ofDeployment = (l: LogLine) => typeof l.container === 'string' && l.container.startsWith(args.containerPrefix);
  const fetched = lines.filter((l) => l.msg === 'fetched ref');
  const ours = fetched.find((l) => l.oid === args.commit);
  const creates = lines.filter((l) => l.msg === 'creating replica' && ofDeployment(l));
  const removes = lines.filter((l) => l.msg === 'removing replica' && ofDeployment(l));
  const removed = lines.filter((l) => l.msg === 'container removed' && ofDeployment(l));
  const hookRequest = lines.find((l) => l.msg === 'request' && typeof l.path === 'string' && l.path.startsWith('/hooks/'));
  return {
    hookAccepted: first((l) => l.msg === 'push accepted; syncing' && l.after === args.commit),
    hookRequestMs: typeof hookRequest?.ms === 'number' ? hookRequest.ms : undefined,
    fetchStarted: ours ? ours.time - Number(ours.ms ?? 0) : undefined,
    fetchDone: ours?.time,
    desiredLoaded: first((l) => l.msg === 'loaded desired state' && l.commit === args.commit),
    firstCreate: creates[0]?.time,
    lastRemoved: removed.at(-1)?.time,
    creates: creates.length,
    createTimes: creates.map((l) => l.time),
    removeTimes: removes.map((l) => l.time),
    removedTimes: removed.map((l) => l.time),
    fetches: fetched.length,
  };
}

/**
 * The constant load of the rollout benchmark: test/helpers/load.ts (a client that opens a new
 * connection per request and counts every refused, reset, timed-out or non-2xx request as
 * failed), run as two halves on the same port — `/` (fast) and `/cgi-bin/slow` (answers after
 * 200 ms, so there are always requests in flight when a backend goes away) — plus a sampler
 * that records the cumulative counts every `sampleMs`, so that any time window (one rollout)
 * can be judged on its own: requests, failures, first/last failure, longest stretch without a
 * single successful answer.
 */
import { startLoad, type Load, type LoadStats } from '../../test/helpers/load.js';
import { now } from '../push-to-serve/clock.js';

export interface Counts {
  readonly ok: number;
  readonly failed: number;
  readonly slowOk: number;
  readonly slowFailed: number;
}

interface Sample extends Counts {
  readonly t: number;
}

export interface WindowStats extends Counts {
  readonly total: number;
  /** Sampler time of the first/last sample in the window whose failure count grew (epoch ms). */
  readonly firstFailureAt?: number;
  readonly lastFailureAt?: number;
  /** Longest run of consecutive samples without one more successful answer, in ms (resolution: the sample interval). */
  readonly longestNoSuccessMs: number;
}

export interface LoadTotals extends Counts {
  readonly total: number;
  readonly errors: readonly string[];
  readonly bodies: Readonly<Record<string, number>>;
}

export class LoadRun {
  private readonly samples: Sample[] = [];
  private readonly timer: NodeJS.Timeout;
  private stopped: Promise<LoadTotals> | undefined;
  readonly startedAt = now();

  private constructor(
    private readonly fast: Load,
    private readonly slow: Load,
    sampleMs: number,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), sampleMs);
  }

  /** `concurrency` loops in all: half on `/`, half on `/cgi-bin/slow`. */
  static start(args: { port: number; concurrency: number; sampleMs?: number }): LoadRun {
    const slowLoops = Math.max(1, Math.floor(args.concurrency / 2));
    const fastLoops = Math.max(1, args.concurrency - slowLoops);
    return new LoadRun(
      startLoad({ port: args.port, paths: ['/'], concurrency: fastLoops }),
      startLoad({ port: args.port, paths: ['/cgi-bin/slow'], concurrency: slowLoops }),
      args.sampleMs ?? 50,
    );
  }

  counts(): Counts {
    const f = this.fast.stats();
    const s = this.slow.stats();
    return { ok: f.ok + s.ok, failed: f.failed + s.failed, slowOk: s.ok, slowFailed: s.failed };
  }

  total(): number {
    const c = this.counts();
    return c.ok + c.failed;
  }

  /** Stops the load (waits for the requests in flight), takes a last sample, returns the totals. Idempotent. */
  stop(): Promise<LoadTotals> {
    this.stopped ??= (async () => {
      const [f, s] = await Promise.all([this.fast.stop(), this.slow.stop()]);
      clearInterval(this.timer);
      this.sample();
      return merge(f, s);
    })();
    return this.stopped;
  }

  /** The load between two moments (epoch ms): the samples just before `from` and just after `to` bound it. */
  window(from: number, to: number): WindowStats {
    this.sample();
    const s = this.samples;
    let i = 0;
    while (i + 1 < s.length && s[i + 1]!.t <= from) i++;
    let j = i;
    while (j + 1 < s.length && s[j]!.t < to) j++;
    const a = s[i]!;
    const b = s[j]!;
    let firstFailureAt: number | undefined;
    let lastFailureAt: number | undefined;
    let longest = 0;
    let stallStart: number | undefined;
    for (let k = i + 1; k <= j; k++) {
      const prev = s[k - 1]!;
      const cur = s[k]!;
      if (cur.failed > prev.failed) {
        firstFailureAt ??= cur.t;
        lastFailureAt = cur.t;
      }
      if (cur.ok === prev.ok) {
        stallStart ??= prev.t;
        longest = Math.max(longest, cur.t - stallStart);
      } else stallStart = undefined;
    }
    const ok = b.ok - a.ok;
    const failed = b.failed - a.failed;
    return {
      ok,
      failed,
      total: ok + failed,
      slowOk: b.slowOk - a.slowOk,
      slowFailed: b.slowFailed - a.slowFailed,
      ...(firstFailureAt !== undefined ? { firstFailureAt } : {}),
      ...(lastFailureAt !== undefined ? { lastFailureAt } : {}),
      longestNoSuccessMs: longest,
    };
  }

  private sample(): void {
    this.samples.push({ t: now(), ...this.counts() });
  }
}

function merge(f: LoadStats, s: LoadStats): LoadTotals {
  const bodies: Record<string, number> = { ...f.bodies };
  for (const [k, v] of Object.entries(s.bodies)) bodies[k] = (bodies[k] ?? 0) + v;
  return {
    ok: f.ok + s.ok,
    failed: f.failed + s.failed,
    total: f.ok + f.failed + s.ok + s.failed,
    slowOk: s.ok,
    slowFailed: s.failed,
    errors: [...f.errors.map((e) => `fast ${e}`), ...s.errors.map((e) => `slow ${e}`)],
    bodies,
  };
}

/** Bodies are `<text> <hostname>`: answers per text (revision), hostnames folded. */
export function answersByText(bodies: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [body, n] of Object.entries(bodies)) {
    const text = body.split(' ')[0] ?? '';
    out[text] = (out[text] ?? 0) + n;
  }
  return out;
}

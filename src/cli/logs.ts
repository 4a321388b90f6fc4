/**
 * `berth logs NS/NAME`: the logs of every replica of a Deployment, each line prefixed with
 * `pod/container` as `stern` and `kubectl logs -l --prefix` do. Pure: which containers a flag
 * set selects, `--since` parsing, and cutting text into prefixed lines; the command streams.
 */
import { InvalidArgumentError } from 'commander';
import type { ObservedDeployment, ObservedReplica } from '../observed/index.js';

export interface LogTarget {
  readonly id: string;
  /** `<deployment>-<revision>-<replica>/<container>`, as `berth get pods` names the pod. */
  readonly prefix: string;
  readonly running: boolean;
}

export interface LogSelection {
  readonly revision?: string;
  /** -c: the app container's name, or an init container's. */
  readonly container?: string;
  /** --previous: only the replica container that exited last. */
  readonly previous?: boolean;
}

/** One engine container with a log: a replica's app or init container, or one container of a Pod. */
interface Logged {
  readonly id: string;
  readonly revision: string;
  readonly replica: number;
  readonly container: string;
  readonly state: ObservedReplica['state'];
  readonly created: string;
}

/** A replica's containers with logs: itself, or each container of a Pod (its infra container has none worth reading). */
function loggedOf(r: ObservedReplica): Logged[] {
  const at = { revision: r.revision, replica: r.replica };
  if (r.members) return r.members.map((m) => ({ ...at, id: m.id, container: m.container, state: m.state, created: m.created }));
  return [{ ...at, id: r.id, container: r.init ?? r.container ?? 'app', state: r.state, created: r.created }];
}

function targetOf(deployment: string, r: Logged): LogTarget {
  return { id: r.id, prefix: `${deployment}-${r.revision}-${r.replica}/${r.container}`, running: r.state === 'running' };
}

/**
 * The containers whose logs are shown, oldest first, or why there are none:
 *   no flags          → every container of the Deployment (app and init containers left on the engine)
 *   --revision R      → those of template revision R
 *   -c NAME           → those named NAME (the app's name, or an init container's); an unknown name lists the names
 *   --previous        → the one that exited last (a crash-looping slot's replaced container)
 */
export function selectLogTargets(deployment: ObservedDeployment | undefined, sel: LogSelection): LogTarget[] | string {
  const all = (deployment?.replicas ?? [])
    .flatMap(loggedOf)
    .filter((r) => r.state !== 'removing')
    .sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0));
  if (!deployment || all.length === 0) return 'has no replicas on the engine';
  let chosen = all;
  if (sel.revision !== undefined) {
    chosen = chosen.filter((r) => r.revision === sel.revision || r.revision.startsWith(sel.revision!));
    if (chosen.length === 0)
      return `has no replicas of revision ${sel.revision} (revisions on the engine: ${[...new Set(all.map((r) => r.revision))].join(', ')})`;
  }
  if (sel.container !== undefined) {
    const names = [...new Set(chosen.map((r) => r.container))].sort();
    chosen = chosen.filter((r) => r.container === sel.container);
    if (chosen.length === 0) return `has no container ${JSON.stringify(sel.container)}; its containers: ${names.join(', ')}`;
  }
  if (sel.previous) {
    const exited = chosen.filter((r) => r.state === 'exited' || r.state === 'dead');
    const last = exited.at(-1);
    if (!last) return 'has no exited replica container (--previous shows the one that exited last, before berth replaced it)';
    chosen = [last];
  }
  return chosen.map((r) => targetOf(deployment.name, r));
}

/**
 * The log target of a container that started (`id`: a replica's, or a Pod container's), when it
 * belongs to what `berth logs -f` follows (a rollout's new replicas); else undefined.
 */
export function startedTarget(deployment: ObservedDeployment | undefined, id: string, sel: LogSelection): LogTarget | undefined {
  if (!deployment || sel.previous) return undefined;
  const started = deployment.replicas.flatMap(loggedOf).find((c) => c.id === id);
  if (!started) return undefined;
  if (sel.revision !== undefined && !started.revision.startsWith(sel.revision)) return undefined;
  if (sel.container !== undefined && started.container !== sel.container) return undefined;
  return targetOf(deployment.name, started);
}

/**
 * `--since`: a duration back from now (`30s`, `5m`, `1h30m`, `2h`) or an RFC 3339 time, as Unix
 * seconds (what the engine takes).
 *   ('5m', 2030-01-01T00:10:00Z)        → 2030-01-01T00:05:00Z
 *   ('2030-01-01T00:00:00Z', …)          → that time
 */
export function sinceSeconds(value: string, now: Date): number {
  const duration = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (duration && value !== '') {
    const [, h, m, s] = duration;
    const seconds = Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);
    return Math.floor(now.getTime() / 1000) - seconds;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return Math.floor(t / 1000);
  }
  throw new InvalidArgumentError(
    `${JSON.stringify(value)} is neither a duration nor a time; allowed: 30s, 5m, 1h30m, or an RFC 3339 time such as 2030-01-01T00:00:00Z`,
  );
}

/** `--since` as a flag value: checked when parsed, resolved against the clock when the command runs. */
export function sinceValue(value: string): string {
  sinceSeconds(value, new Date(0));
  return value;
}

/** `--tail N`: a whole number of lines (0 and up). */
export function tailValue(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a number of lines; allowed: 0 or more, e.g. 20`);
  return Number(value);
}

/**
 * Cuts a container's text pieces into whole lines, each written with its prefix; `end()`
 * writes a last line that had no newline. One per container and stream, so lines never mix.
 *   piece 'a\nb' → writes 'p a'; piece 'c\n' → writes 'p bc'
 */
export function lineWriter(prefix: string, write: (line: string) => void): { push(text: string): void; end(): void } {
  let rest = '';
  return {
    push(text) {
      const parts = (rest + text).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) write(`${prefix} ${line}`);
    },
    end() {
      if (rest !== '') write(`${prefix} ${rest}`);
      rest = '';
    },
  };
}

const COLOURS = [36, 32, 35, 33, 34, 31] as const;

/** The prefix as shown: coloured (one colour per container, in order) only on a terminal. */
export function shownPrefix(prefix: string, index: number, tty: boolean): string {
  return tty ? `\u001b[${COLOURS[index % COLOURS.length]}m${prefix}\u001b[0m` : prefix;
}

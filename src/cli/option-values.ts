import { isIP } from 'node:net';
import { parseRevision } from '../source/index.js';
import { InvalidArgumentError } from 'commander';

/**
 * The values command-line options accept, one parser per kind of value. Each returns the
 * parsed value or throws InvalidArgumentError with what was wrong and what is allowed;
 * commander prints it (`error: option '--instance <name>' argument 'rtL' is invalid. …`)
 * and berth exits 4 (usage). Checked when the flag is read, before anything else runs: an
 * incident had `--instance rtL` exit 4 with no message at all, and `--log-level bogus` exit 3
 * with pino's internal text.
 */

/** Node timers hold at most 2^31-1 ms (about 24.8 days); a longer wait fires at once. */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_RULE =
  '1-63 characters: lowercase letters a-z, digits 0-9 and "-", starting and ending with a letter or digit (a DNS label, as Kubernetes names)';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** A flag whose value may be anything but empty (an empty one would silently mean the default). */
export function nonEmpty(allowed: string): (value: string) => string {
  return (value: string) => {
    if (value.trim() === '') throw new InvalidArgumentError(`the value is empty; allowed: ${allowed}`);
    return value;
  };
}

/** `--instance`: labels every object this berth owns, so a DNS label. */
export function instanceName(value: string): string {
  if (value.length === 0) throw new InvalidArgumentError(`the instance name is empty; allowed: ${DNS_LABEL_RULE}`);
  if (value.length > 63) throw new InvalidArgumentError(`the instance name is ${value.length} characters long; allowed: ${DNS_LABEL_RULE}`);
  if (!DNS_LABEL.test(value)) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a valid instance name; allowed: ${DNS_LABEL_RULE}`);
  return value;
}

/** `--log-level` (also BERTH_LOG_LEVEL): pino's level names. */
export function logLevel(value: string): LogLevel {
  if (!isLogLevel(value)) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a log level; allowed: ${LOG_LEVELS.join(', ')}`);
  return value;
}

/** `--timeout` and other durations in whole seconds: at least 1, at most what a timer can hold. */
export function seconds(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not a number of seconds; allowed: a whole number from 1 to ${MAX_TIMER_SECONDS}`);
  if (n > MAX_TIMER_SECONDS)
    throw new InvalidArgumentError(`${n} seconds is too long; allowed: 1 to ${MAX_TIMER_SECONDS} (Node timers hold at most 2^31-1 ms, about 24.8 days)`);
  return n;
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/;
const LISTEN_RULE =
  'HOST:PORT with HOST an IPv4 address, [IPv6] address or host name (empty: 127.0.0.1) and PORT 0-65535 (0: any free port), e.g. 127.0.0.1:7070';

/** `--listen`, `--ingress-listen`: where a server binds. Whether the address is on this host is checked by binding. */
export function listenAddress(value: string): ListenAddress {
  const m = /^(.*):([^:\]]*)$/.exec(value);
  if (!m) throw new InvalidArgumentError(`${JSON.stringify(value)} has no port; allowed: ${LISTEN_RULE}`);
  const rawHost = m[1]!;
  const rawPort = m[2]!;
  const port = /^\d{1,5}$/.test(rawPort) ? Number(rawPort) : Number.NaN;
  if (!Number.isInteger(port) || port > 65535)
    throw new InvalidArgumentError(`port ${JSON.stringify(rawPort)} of ${JSON.stringify(value)} is not a port; allowed: ${LISTEN_RULE}`);
  const bracketed = /^\[(.*)\]$/.exec(rawHost);
  const host = bracketed ? bracketed[1]! : rawHost;
  if (host === '') return { host: '127.0.0.1', port };
  const valid = bracketed ? isIP(host) === 6 : isIP(host) === 4 || (isIP(host) === 0 && HOSTNAME.test(host) && !/^[\d.]+$/.test(host));
  if (!valid) throw new InvalidArgumentError(`host ${JSON.stringify(rawHost)} of ${JSON.stringify(value)} is not an address; allowed: ${LISTEN_RULE}`);
  return { host, port };
}

/** The option parser of a listen flag: checks the value, keeps the text (commander shows it as the default). */
export function listenFlag(value: string): string {
  listenAddress(value);
  return value;
}

/** `--service-address`: the IP address Services (and hostPorts) are published on. */
export function ipAddress(value: string): string {
  const ip = value.replace(/^\[(.*)\]$/, '$1');
  if (isIP(ip) === 0)
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not an IP address; allowed: an IPv4 or IPv6 address of this host, e.g. 127.0.0.1 or 0.0.0.0`);
  return ip;
}

/** `--server`: the API of a running berth. */
export function serverUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new InvalidArgumentError(
      `${JSON.stringify(value)} is not the URL of a berth API; allowed: http(s)://HOST[:PORT][/PREFIX], e.g. http://127.0.0.1:7070`,
    );
  }
  return value;
}

/** `--to-commit`: a commit id or a prefix of it, as the API takes it. */
export function commitPrefix(min: number): (value: string) => string {
  return (value: string) => {
    const v = value.toLowerCase();
    if (!new RegExp(`^[0-9a-f]{${min},40}$`).test(v))
      throw new InvalidArgumentError(`${JSON.stringify(value)} is not a commit id; allowed: ${min} to 40 hex digits (a commit id or a prefix of it)`);
    return v;
  };
}

/**
 * A commit the running berth resolves in its source: a commit id (at least `min` hex digits, as
 * `commitPrefix`) or a revision such as `HEAD~1`, `main^`, `v1.0` (source/revision.ts).
 */
export function commitOrRevision(min: number): (value: string) => string {
  const hex = commitPrefix(min);
  return (value: string) => {
    if (/^[0-9a-f]+$/i.test(value)) return hex(value);
    const revision = parseRevision(value);
    if ('error' in revision)
      throw new InvalidArgumentError(`${JSON.stringify(value)} names no commit (${revision.error}); allowed: a commit id or a revision such as HEAD~1`);
    if (value.length > 256) throw new InvalidArgumentError('a revision of at most 256 characters');
    return value;
  };
}

/** `--to-revision`: a number from `berth history` or a revision hash. */
export function revisionRef(value: string): string {
  if (!/^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$/.test(value))
    throw new InvalidArgumentError(
      `${JSON.stringify(value)} is not a revision; allowed: its number (#) or hash from \`berth history\` (letters, digits, ".", "_", "-"; at most 64)`,
    );
  return value;
}

/** A namespace or object name (`-n`, `berth get KIND NAME`): a DNS label. */
export function dnsLabel(value: string): string {
  if (value.length === 0 || value.length > 63 || !DNS_LABEL.test(value))
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not a valid name; allowed: ${DNS_LABEL_RULE}`);
  return value;
}

/** `NS/NAME` arguments: a Deployment, two DNS labels. */
export function deploymentTarget(value: string): [string, string] {
  const parts = value.split('/');
  if (parts.length !== 2)
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not NAMESPACE/NAME; allowed: two DNS labels joined by "/", e.g. shop/web`);
  const [namespace, name] = parts as [string, string];
  for (const [what, part] of [
    ['namespace', namespace],
    ['name', name],
  ] as const) {
    if (part.length === 0 || part.length > 63 || !DNS_LABEL.test(part))
      throw new InvalidArgumentError(
        `the ${what} ${JSON.stringify(part)} in ${JSON.stringify(value)} is not valid; allowed: NAMESPACE/NAME, each ${DNS_LABEL_RULE}`,
      );
  }
  return [namespace, name];
}

/** A receiver URL (`--notify-webhook`, `--notify-slack`, `--commit-status-api`, `--dashboard-url`): http(s) only. */
export function httpUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new InvalidArgumentError(`${JSON.stringify(value.slice(0, 200))} is not an http(s) URL; allowed: http(s)://HOST[:PORT]/PATH`);
  return value;
}

/** A repeatable URL option: each occurrence is checked and collected. */
export function collectUrl(value: string, previous: string[] = []): string[] {
  return [...previous, httpUrl(value)];
}

import type { Emit } from './deployment-rules.js';
import type { ObjectMeta } from './types.js';

/**
 * An Ingress's upstream timeouts, as ingress-nginx takes them: annotations in whole seconds,
 * unitless ("120", not "120s"), with ingress-nginx's defaults. An incident: with no upstream
 * timeout, a backend that never answered held the client and an upstream socket for 580 s.
 *
 *  - connect: establishing the TCP connection to one backend (then the next is tried);
 *    nginx's proxy_connect_timeout, which "cannot usually exceed 75 seconds".
 *  - read: between two successive reads from the backend (not the whole response), counted
 *    once the request is sent; nginx's proxy_read_timeout.
 *  - send: between two successive writes to the backend while it does not take the request;
 *    nginx's proxy_send_timeout.
 * A timeout answers 504 (or, once the response has begun, aborts it) and closes the upstream
 * socket.
 */
export interface UpstreamTimeouts {
  readonly connectSeconds: number;
  readonly readSeconds: number;
  readonly sendSeconds: number;
}

/** ingress-nginx's defaults (proxy-connect-timeout 5, proxy-read-timeout 60, proxy-send-timeout 60). */
export const DEFAULT_UPSTREAM_TIMEOUTS: UpstreamTimeouts = { connectSeconds: 5, readSeconds: 60, sendSeconds: 60 };

const PREFIX = 'nginx.ingress.kubernetes.io/';

/** Annotation → the field it sets and its largest value (with why). */
const ANNOTATIONS: Readonly<Record<string, { readonly field: keyof UpstreamTimeouts; readonly max: number; readonly why: string }>> = {
  [`${PREFIX}proxy-connect-timeout`]: { field: 'connectSeconds', max: 75, why: 'as nginx: a TCP connect cannot usually take longer than 75 s' },
  [`${PREFIX}proxy-read-timeout`]: {
    field: 'readSeconds',
    max: 1_000_000,
    why: 'about 11.5 days: berth waits with Node.js timers, which hold at most 2^31-1 ms',
  },
  [`${PREFIX}proxy-send-timeout`]: {
    field: 'sendSeconds',
    max: 1_000_000,
    why: 'about 11.5 days: berth waits with Node.js timers, which hold at most 2^31-1 ms',
  },
};

/** The timeout annotations berth reads. */
export const UPSTREAM_TIMEOUT_ANNOTATIONS: readonly string[] = Object.keys(ANNOTATIONS);

function secondsOf(value: unknown, max: number): number | undefined {
  if (typeof value !== 'string' || !/^[0-9]{1,7}$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return n >= 1 && n <= max ? n : undefined;
}

/** Reports each timeout annotation whose value ingress-nginx's syntax or berth's bound refuses. */
export function checkIngressTimeouts(metadata: ObjectMeta | undefined, emit: Emit): void {
  for (const [key, value] of Object.entries(metadata?.annotations ?? {})) {
    if (!Object.hasOwn(ANNOTATIONS, key)) continue;
    const { max, why } = ANNOTATIONS[key]!;
    if (secondsOf(value, max) !== undefined) continue;
    emit(
      'error',
      'INVALID_VALUE',
      ['metadata', 'annotations', key],
      `must be a whole number of seconds from 1 to ${max}, unitless as ingress-nginx takes it (e.g. "60"; ${max} is the bound, ${why}), got ${JSON.stringify(String(value).slice(0, 40))}`,
    );
  }
}

/** The timeouts an Ingress asks for (defaults where it says nothing). Call on a validated Ingress. */
export function upstreamTimeoutsOf(metadata: ObjectMeta | undefined): UpstreamTimeouts {
  const out: { -readonly [K in keyof UpstreamTimeouts]: number } = { ...DEFAULT_UPSTREAM_TIMEOUTS };
  for (const [key, value] of Object.entries(metadata?.annotations ?? {})) {
    if (!Object.hasOwn(ANNOTATIONS, key)) continue;
    const { field, max } = ANNOTATIONS[key]!;
    const seconds = secondsOf(value, max);
    if (seconds !== undefined) out[field] = seconds;
  }
  return out;
}

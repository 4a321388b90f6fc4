/**
 * Dashboard sessions and the write check every mutating API call passes. A browser never holds
 * the API token: it trades it once (POST /api/v1/session) for a random session id in an
 * HttpOnly, SameSite=Strict cookie, plus a CSRF token the page sends back in `X-Berth-CSRF`.
 * A write is allowed with the Bearer token (API clients, unchanged) or with a live session
 * cookie AND its CSRF token; the cookie alone never writes, so a form or a script on another
 * origin cannot borrow it.
 *
 * Sessions live in memory only: restarting berth or changing the token signs every page out,
 * and each ends SESSION_TTL_MS (12 h) after sign-in. Failed sign-ins are rate-limited per
 * client (SignInLimiter: 10 a minute, then 429).
 */
import { randomBytes } from 'node:crypto';
import { tokensEqual } from './constant-time.js';

export const SESSION_COOKIE = 'berth_session';
export const CSRF_HEADER = 'x-berth-csrf';
/** Sessions kept; the oldest is dropped first. A page per person is far below this. */
export const SESSIONS_KEPT = 256;
/** A session ends this long after sign-in, however busy (sign in again): 12 h, a working day. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface SessionsOptions {
  /** Default SESSIONS_KEPT. */
  readonly kept?: number;
  /** Default SESSION_TTL_MS. */
  readonly ttlMs?: number;
  /** Milliseconds since the epoch. Default Date.now (tests pass their own). */
  readonly now?: () => number;
}

/** The sessions of one server: session id → its CSRF token and when it ends, oldest first (Map keeps insertion order). */
export class Sessions {
  readonly #sessions = new Map<string, { csrf: string; endsAt: number }>();
  readonly #kept: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  constructor(o: SessionsOptions = {}) {
    this.#kept = o.kept ?? SESSIONS_KEPT;
    this.#ttlMs = o.ttlMs ?? SESSION_TTL_MS;
    this.#now = o.now ?? Date.now;
  }

  /** A new session: two 256-bit random values, neither derived from the API token. */
  open(): { id: string; csrf: string } {
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    this.#sessions.set(id, { csrf, endsAt: this.#now() + this.#ttlMs });
    while (this.#sessions.size > this.#kept) this.#sessions.delete(this.#sessions.keys().next().value!);
    return { id, csrf };
  }

  /** The CSRF token of a live session; undefined for an unknown one or one that has ended (then forgotten). */
  csrfOf(id: string): string | undefined {
    const s = this.#sessions.get(id);
    if (!s) return undefined;
    if (this.#now() >= s.endsAt) {
      this.#sessions.delete(id);
      return undefined;
    }
    return s.csrf;
  }

  close(id: string): void {
    this.#sessions.delete(id);
  }

  get size(): number {
    return this.#sessions.size;
  }
}

/** Failed sign-ins allowed per client within SIGN_IN_WINDOW_MS; the next attempt is 429. */
export const SIGN_IN_FAILURES_ALLOWED = 10;
export const SIGN_IN_WINDOW_MS = 60_000;
/** Clients remembered at once (the oldest is forgotten first), so a flood of addresses cannot grow memory. */
const SIGN_IN_CLIENTS_KEPT = 10_000;

/**
 * The sign-in rate limit: per client address, the times of its failed sign-ins in the last
 * window. With SIGN_IN_FAILURES_ALLOWED of them in the window, any attempt (a right token too:
 * guessing must gain nothing) waits until the oldest leaves it.
 *   failures at 0 s, 1 s … 9 s (10), attempt at 30 s → refused, retry after 31 s (when 0 s leaves at 60 s)
 *   attempt at 60 s                                    → allowed (9 failures in the window)
 */
export class SignInLimiter {
  readonly #failures = new Map<string, number[]>();
  constructor(
    private readonly now: () => number = Date.now,
    private readonly allowed = SIGN_IN_FAILURES_ALLOWED,
    private readonly windowMs = SIGN_IN_WINDOW_MS,
  ) {}

  /** Seconds to wait before `client` may try again, or undefined when it may try now. */
  retryAfter(client: string): number | undefined {
    const recent = this.#recent(client);
    if (recent.length < this.allowed) return undefined;
    return Math.max(1, Math.ceil((recent[recent.length - this.allowed]! + this.windowMs - this.now()) / 1000));
  }

  failed(client: string): void {
    const recent = this.#recent(client);
    recent.push(this.now());
    this.#failures.delete(client); // re-inserted last: the Map's order is "least recently failed first"
    this.#failures.set(client, recent.slice(-this.allowed));
    while (this.#failures.size > SIGN_IN_CLIENTS_KEPT) this.#failures.delete(this.#failures.keys().next().value!);
  }

  #recent(client: string): number[] {
    const since = this.now() - this.windowMs;
    const recent = (this.#failures.get(client) ?? []).filter((t) => t > since);
    if (recent.length === 0) this.#failures.delete(client);
    return recent;
  }
}

/** `name=value` pairs of a Cookie header; malformed pairs are skipped, the first of a repeated name wins. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name.length > 0 && !cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

/** The Set-Cookie value of a session (no Max-Age: it ends with the browser session, and with berth's). */
export function sessionCookie(id: string, o: { secure: boolean }): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict${o.secure ? '; Secure' : ''}`;
}

/** The Set-Cookie value that removes the session cookie. */
export function clearedSessionCookie(o: { secure: boolean }): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${o.secure ? '; Secure' : ''}`;
}

export interface WriteRequest {
  /** The API token configured; undefined: writes are disabled. */
  readonly apiToken: string | undefined;
  readonly authorization?: string | undefined;
  readonly cookie?: string | undefined;
  readonly csrf?: string | string[] | undefined;
  readonly csrfOf: (sessionId: string) => string | undefined;
}

export type WriteVerdict =
  | { readonly allowed: true; readonly by: 'bearer' | 'session' }
  | { readonly allowed: false; readonly code: 'UNAUTHORIZED' | 'FORBIDDEN'; readonly message: string };

/**
 * Whether a mutating call may proceed. An Authorization header decides alone (Bearer clients
 * behave as before, a cookie does not rescue a wrong token); otherwise the session cookie must
 * name a live session and `X-Berth-CSRF` must be its token (403 when not: the caller is signed
 * in but the request did not come from the page).
 */
export function writeVerdict(r: WriteRequest): WriteVerdict {
  if (!r.apiToken) return { allowed: false, code: 'FORBIDDEN', message: 'mutating API calls are disabled: no API token is configured (set BERTH_API_TOKEN)' };
  if (r.authorization !== undefined && r.authorization !== '') {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(r.authorization);
    if (!m) return { allowed: false, code: 'UNAUTHORIZED', message: 'missing bearer token: send "Authorization: Bearer <token>"' };
    if (!tokensEqual(m[1]!, r.apiToken)) return { allowed: false, code: 'UNAUTHORIZED', message: 'invalid bearer token' };
    return { allowed: true, by: 'bearer' };
  }
  const id = parseCookies(r.cookie).get(SESSION_COOKIE);
  const expected = id ? r.csrfOf(id) : undefined;
  if (expected === undefined) {
    const why = id ? 'the dashboard session has ended (sign in again)' : 'missing bearer token: send "Authorization: Bearer <token>"';
    return { allowed: false, code: 'UNAUTHORIZED', message: why };
  }
  if (typeof r.csrf !== 'string' || r.csrf.length === 0)
    return { allowed: false, code: 'FORBIDDEN', message: 'missing CSRF token: the dashboard sends X-Berth-CSRF' };
  if (!tokensEqual(r.csrf, expected)) return { allowed: false, code: 'FORBIDDEN', message: 'invalid CSRF token' };
  return { allowed: true, by: 'session' };
}

export interface ReadRequest {
  readonly apiToken: string | undefined;
  readonly authorization?: string | undefined;
  readonly cookie?: string | undefined;
  readonly signedIn: (sessionId: string) => boolean;
  /** What is read, for the messages (`replica logs`). */
  readonly what: string;
}

/**
 * Whether a read that needs more than the public view may proceed (a replica's log: an
 * application may print anything; a plan or a revision diff: the manifests' values, env
 * included, which the public status never shows): the Bearer token, or a live session cookie. No CSRF token is
 * asked: the read changes nothing, an EventSource cannot send headers, and a SameSite=Strict
 * cookie never travels with a request another site starts.
 */
export function readVerdict(r: ReadRequest): WriteVerdict {
  if (!r.apiToken) return { allowed: false, code: 'FORBIDDEN', message: `${r.what} need a sign-in: no API token is configured (set BERTH_API_TOKEN)` };
  if (r.authorization !== undefined && r.authorization !== '')
    return writeVerdict({ apiToken: r.apiToken, authorization: r.authorization, csrfOf: () => undefined });
  const id = parseCookies(r.cookie).get(SESSION_COOKIE);
  if (id !== undefined && r.signedIn(id)) return { allowed: true, by: 'session' };
  return { allowed: false, code: 'UNAUTHORIZED', message: id ? 'the dashboard session has ended (sign in again)' : `sign in to read ${r.what}` };
}

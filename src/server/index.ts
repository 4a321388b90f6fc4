/**
 * server: the HTTP surface of `berth run` — the dashboard (`/`, dashboard.ts), webhooks that
 * trigger a sync, the JSON API (`/api/v1`) over the store, `/healthz` and `/metrics` (Prometheus; its own registry). It reads the store and drives the controller
 * only through the ControlPort (control.ts); it never imports the controller or an adapter.
 *
 * Invariants:
 *  - A webhook is authenticated over the RAW body bytes (HMAC-SHA256, or GitLab's token)
 *    before anything parses it; every secret comparison is constant-time; with no secret
 *    configured every hook answers 401. An unsigned request learns nothing but 401.
 *  - Mutating API calls need `Authorization: Bearer <token>`, or the dashboard's session cookie
 *    AND its CSRF header (session.ts); with no token configured they answer 403. Reads need none (bind to 127.0.0.1, the default, or put a proxy in front).
 *  - Secrets (webhook secret, GitLab token, API token) and credential headers never reach a
 *    log line or a response: the server logs through its own per-request child logger and
 *    never logs headers or bodies.
 *  - A verified push answers 202 at once; at most one hook-triggered sync is in flight and one
 *    queued behind it (hook-trigger.ts), so a burst of pushes costs at most two fetches.
 *  - Every error answer is `{ error: { code, message } }` with a code from core's registry.
 *  - Bodies are size-limited (webhooks 1 MiB by default, API 64 KiB → 413) and schema-checked
 *    with ajv, compiled once.
 */
export type { ControlPort } from './control.js';
export { startServer, DEFAULT_HOST, DEFAULT_BODY_LIMIT_BYTES, type ServerOptions, type RunningServer } from './server.js';
export { REDACT_HEADER_PATHS, SECRET_HEADERS } from './log-redaction.js';

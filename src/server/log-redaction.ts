/**
 * Header names whose values are credentials. The server never logs headers (its request
 * logger binds only reqId, method and path); these paths are defence in depth for the
 * composition root's pino `redact` option, should any code log a `headers` object later.
 */
export const SECRET_HEADERS = [
  'authorization',
  'x-hub-signature-256',
  'x-hub-signature',
  'x-gitea-signature',
  'x-gogs-signature',
  'x-gitlab-token',
  'x-berth-signature',
] as const;

/** pino redact paths: those headers in a logged `headers` object, at the top or one level down (`req.headers`). */
export const REDACT_HEADER_PATHS: readonly string[] = SECRET_HEADERS.flatMap((h) => [`headers["${h}"]`, `*.headers["${h}"]`]);

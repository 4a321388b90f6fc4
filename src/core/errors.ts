/**
 * One error family for the whole program. The `handling` of a code decides what the
 * controller does with it (see controller/error-handling.ts):
 *  - `stalled`:   the input is wrong; retrying the same input cannot help. Wait for a new commit.
 *  - `waiting`:   a condition outside berth is not met yet (image missing, port busy); retry later.
 *  - `transient`: the source or engine hiccupped; retry with backoff.
 * Every code is documented in docs/errors.md (a test checks it).
 */
export type ErrorHandling = 'stalled' | 'waiting' | 'transient';

export const ERROR_CODES = {
  SOURCE_UNREACHABLE: { handling: 'transient', summary: 'The Git source could not be fetched.' },
  SOURCE_REF_NOT_FOUND: { handling: 'stalled', summary: 'The configured ref (branch, tag or commit) does not exist in the repository.' },
  SOURCE_PATH_NOT_FOUND: { handling: 'stalled', summary: 'The configured --path does not exist at the commit.' },
  SOURCE_OBJECT_TOO_LARGE: {
    handling: 'stalled',
    summary: 'A git object of the source is larger than berth reads (checked from its header, before inflating it).',
  },
  SOURCE_NOT_A_REPOSITORY: { handling: 'stalled', summary: 'The --repo path is not a Git repository.' },
  MANIFEST_INVALID: { handling: 'stalled', summary: 'A namespace folder holds invalid manifests; that namespace is left as it runs.' },
  ENGINE_UNREACHABLE: { handling: 'transient', summary: 'The Docker engine did not answer.' },
  DATA_PLANE_UNREACHABLE: { handling: 'transient', summary: 'The proxy process (data plane) did not answer on its control socket.' },
  ENGINE_CONFLICT: {
    handling: 'transient',
    summary: 'The engine refused an action because of a conflicting object (name in use, object gone); the next pass re-derives the step.',
  },
  INVALID_IMAGE_REFERENCE: {
    handling: 'stalled',
    summary: 'An image reference is not of the distribution grammar (name[:tag][@digest]); the docker adapter refuses it before it reaches an Engine API path.',
  },
  IMAGE_PULL_FAILED: { handling: 'waiting', summary: 'The image of a Deployment is not present and could not be pulled.' },
  CONTAINER_START_FAILED: { handling: 'waiting', summary: 'The engine created a container but could not start it.' },
  SECRET_UNAVAILABLE: {
    handling: 'waiting',
    summary:
      "A Secret key's host file or environment variable could not be read (missing, outside the allow-list, unreadable); the message names the Secret, key and source, never a value.",
  },
  STATE_LOCKED: { handling: 'stalled', summary: 'Another berth process holds the state directory.' },
  INSTANCE_CLAIMED: { handling: 'stalled', summary: 'Another state directory holds this berth instance on the engine.' },
  STATE_CORRUPT: { handling: 'stalled', summary: 'A state file could not be read; it was set aside and rebuilt.' },
  USAGE: { handling: 'stalled', summary: 'A command-line argument or configuration value is wrong.' },
  LISTEN_FAILED: {
    handling: 'stalled',
    summary: 'berth run could not listen where it was told to (port in use, permission denied); it exits at start (3) rather than run without its API.',
  },
  ROLLBACK_TARGET_NOT_FOUND: { handling: 'stalled', summary: 'A rollback names a Deployment, commit or revision berth does not know.' },
  // The HTTP surface (src/server): request errors, mapped to status codes in server/http-errors.ts.
  REQUEST_INVALID: { handling: 'stalled', summary: 'An HTTP request body, query or path failed validation (400).' },
  UNAUTHORIZED: { handling: 'stalled', summary: 'A webhook signature or API bearer token is missing, wrong, or not configured (401).' },
  FORBIDDEN: {
    handling: 'stalled',
    summary: 'A mutating API call was refused: no API token is configured, or a dashboard session cookie came without its CSRF token (403).',
  },
  NOT_FOUND: { handling: 'stalled', summary: 'The namespace, Deployment or route asked for does not exist (404).' },
  CONFLICT: { handling: 'stalled', summary: 'The request conflicts with the current state, e.g. nothing to roll back to (409).' },
  PAYLOAD_TOO_LARGE: { handling: 'stalled', summary: 'An HTTP request body exceeded the size limit (413).' },
  INTERNAL: { handling: 'transient', summary: 'An unexpected error (a bug); logged with its stack, reported without details.' },
  TOO_MANY_SIGN_INS: {
    handling: 'transient',
    summary: 'Too many failed dashboard sign-ins from one client in the last minute (429, with Retry-After).',
  },
  TOO_MANY_STREAMS: { handling: 'transient', summary: 'The dashboard already serves as many live views as it allows (503); close one and reload.' },
  // Services inside the namespace (issue #9): reported per Service in status, never thrown out of a pass.
  SERVICE_CLUSTER_IP: {
    handling: 'stalled',
    summary: "A Service's spec.clusterIP is outside its namespace's Service range or already another Service's; that Service gets no virtual address.",
  },
} as const satisfies Record<string, { handling: ErrorHandling; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class BerthError extends Error {
  readonly code: ErrorCode;
  readonly handling: ErrorHandling;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BerthError';
    this.code = code;
    this.handling = ERROR_CODES[code].handling;
    this.details = options.details ?? {};
  }
}

export function isBerthError(err: unknown): err is BerthError {
  return err instanceof BerthError;
}

/** A short, single-line description of any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof BerthError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

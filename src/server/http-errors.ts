import { ERROR_CODES, describeError, isBerthError, type BerthError, type ErrorCode } from '../core/index.js';

/**
 * Error → HTTP answer. Every error body is `{ error: { code, message } }` with a code from the
 * one registry (core/errors.ts, documented in docs/errors.md). Codes without an entry here
 * fall back on their handling: transient/waiting → 503 (try again), stalled → 500.
 */
const STATUS: Partial<Record<ErrorCode, number>> = {
  REQUEST_INVALID: 400,
  USAGE: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ROLLBACK_TARGET_NOT_FOUND: 404,
  SOURCE_REF_NOT_FOUND: 404,
  SOURCE_PATH_NOT_FOUND: 404,
  CONFLICT: 409,
  MANIFEST_INVALID: 409,
  STATE_LOCKED: 409,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_SIGN_INS: 429,
  INTERNAL: 500,
};

export interface ErrorAnswer {
  readonly status: number;
  readonly body: { readonly error: { readonly code: ErrorCode; readonly message: string } };
  /** Whether the error is unexpected (a bug): logged at error level with its stack. */
  readonly unexpected: boolean;
}

/** Fastify's own errors (body limit, bad JSON, unsupported media type, schema validation). */
interface FrameworkError {
  readonly code?: string;
  readonly statusCode?: number;
  readonly validation?: readonly { readonly keyword: string; readonly instancePath: string; readonly message?: string }[];
  readonly validationContext?: string;
  readonly message: string;
}

export function errorAnswer(err: unknown): ErrorAnswer {
  if (isBerthError(err)) return { status: statusOf(err), body: { error: { code: err.code, message: err.message } }, unexpected: false };
  const f = err as FrameworkError;
  if (f?.validation) return answer(400, 'REQUEST_INVALID', validationMessage(f));
  if (f?.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || f?.statusCode === 413) return answer(413, 'PAYLOAD_TOO_LARGE', 'request body is too large');
  if (f?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return answer(415, 'REQUEST_INVALID', 'unsupported content type: send application/json');
  if (typeof f?.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) {
    // Fastify's client errors (malformed JSON, empty JSON body, bad content length) say nothing secret.
    return answer(f.statusCode, 'REQUEST_INVALID', f.message);
  }
  return { ...answer(500, 'INTERNAL', 'internal error (logged)'), unexpected: true };
}

function statusOf(err: BerthError): number {
  const explicit = STATUS[err.code];
  if (explicit !== undefined) return explicit;
  return ERROR_CODES[err.code].handling === 'stalled' ? 500 : 503;
}

function answer(status: number, code: ErrorCode, message: string): ErrorAnswer {
  return { status, body: { error: { code, message } }, unexpected: false };
}

/** ajv's first error as a sentence; the rollback body's "one of" rule gets its own words. */
function validationMessage(f: FrameworkError): string {
  const first = f.validation?.[0];
  if (!first) return describeError(f);
  if (f.validationContext === 'body' && first.keyword === 'maxProperties' && first.instancePath === '') {
    return 'give either toCommit or toRevision, not both (neither rolls back to the previous revision)';
  }
  const where = `${f.validationContext ?? 'request'}${first.instancePath.replaceAll('/', '.')}`;
  return `${where} ${first.message ?? 'is invalid'}`;
}

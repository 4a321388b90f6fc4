import AjvModule from 'ajv';
import { BerthError } from '../core/index.js';

/**
 * A push as the four hook providers describe it, reduced to what berth decides on.
 * GitHub, Gitea and GitLab send much more; only these members are checked (the rest is
 * allowed and ignored). `after` is the new tip: 40 hex (SHA-1) or 64 hex (SHA-256 repos).
 */
export interface PushPayload {
  readonly ref: string;
  readonly after?: string;
  /** GitHub, Gitea (and the generic hook, optionally): the repository's default branch. */
  readonly repository?: { readonly default_branch?: string };
  /** GitLab: the project's default branch. */
  readonly project?: { readonly default_branch?: string };
}

const PUSH_SCHEMA = {
  type: 'object',
  required: ['ref'],
  properties: {
    ref: { type: 'string', minLength: 1, maxLength: 1024 },
    after: { type: 'string', pattern: '^[0-9a-f]{40}([0-9a-f]{24})?$' },
    repository: { type: 'object', properties: { default_branch: { type: 'string', maxLength: 1024 } } },
    project: { type: 'object', properties: { default_branch: { type: 'string', maxLength: 1024 } } },
  },
} as const;

// Compiled once, for the life of the process.
const validatePush = new AjvModule.default({ allErrors: false, strict: true }).compile<PushPayload>(PUSH_SCHEMA);

/**
 * The raw (already signature-checked) body → a PushPayload, or a REQUEST_INVALID error.
 * GitHub may be configured to post `application/x-www-form-urlencoded` with the JSON in a
 * `payload` field; the signature still covers the raw bytes, which is why decoding comes
 * only after verification.
 */
export function decodePush(raw: Buffer, contentType: string | undefined): PushPayload {
  let text = raw.toString('utf8');
  if (contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) throw new BerthError('REQUEST_INVALID', 'form-encoded hook body has no "payload" field');
    text = payload;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BerthError('REQUEST_INVALID', 'hook body is not valid JSON');
  }
  if (!validatePush(value)) {
    const e = validatePush.errors?.[0];
    const where = e?.instancePath ? `body${e.instancePath.replaceAll('/', '.')}` : 'body';
    throw new BerthError('REQUEST_INVALID', `hook payload: ${where} ${e?.message ?? 'is invalid'}`);
  }
  return value;
}

export type PushVerdict = { readonly watched: true } | { readonly watched: false; readonly reason: string };

/**
 * Does a push to `ref` concern what berth watches?
 *
 *  - `watched` set ("main", "v1", or a full "refs/heads/main"): the push must be to exactly
 *    that ref; a short name matches `refs/heads/<name>` or `refs/tags/<name>` (berth's --ref
 *    may name a tag that is moved). A commit id never matches: a pinned commit cannot move.
 *  - `watched` undefined (berth follows the remote's HEAD): a push to the default branch the
 *    payload names (GitHub/Gitea `repository.default_branch`, GitLab `project.default_branch`).
 *    When the payload names none, any branch push is accepted: a needless fetch changes
 *    nothing (the pass is level-triggered), a missed one waits for the next poll.
 *
 * Examples (watched "main"): refs/heads/main → watched; refs/heads/dev → ignored;
 * refs/tags/v1 → ignored.
 */
export function matchPush(args: { ref: string; watched: string | undefined; defaultBranch: string | undefined }): PushVerdict {
  const { ref, watched, defaultBranch } = args;
  if (watched !== undefined) {
    const candidates = watched.startsWith('refs/') ? [watched] : [`refs/heads/${watched}`, `refs/tags/${watched}`];
    return candidates.includes(ref) ? { watched: true } : { watched: false, reason: `push to ${ref}; berth watches ${watched}` };
  }
  if (!ref.startsWith('refs/heads/')) return { watched: false, reason: `push to ${ref} is not a branch; berth follows the default branch` };
  if (defaultBranch === undefined || defaultBranch === '') return { watched: true };
  return ref === `refs/heads/${defaultBranch}`
    ? { watched: true }
    : { watched: false, reason: `push to ${ref}; berth follows the default branch ${defaultBranch}` };
}

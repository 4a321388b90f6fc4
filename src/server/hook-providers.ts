import { ownValue } from '../core/index.js';
import { isValidHmacSha256, tokensEqual } from './constant-time.js';
import type { PushPayload } from './push-event.js';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** What a verified delivery is: a push to examine, a ping to answer, or an event to ignore. */
export type HookEvent =
  | { readonly kind: 'push' }
  | { readonly kind: 'ping' }
  | { readonly kind: 'other'; readonly name: string }
  | { readonly kind: 'missing'; readonly header: string };

export type Verification = { readonly ok: true } | { readonly ok: false; readonly message: string };

export interface HookSecrets {
  /** HMAC key for GitHub, Gitea and the generic hook. */
  readonly webhookSecret: string | undefined;
  /** GitLab's plain token (defaults to the webhook secret). */
  readonly gitlabToken: string | undefined;
}

/**
 * One webhook sender: how its deliveries are authenticated, which event they carry, and where
 * its payload names the default branch. Header names are lower case (node's).
 */
export interface HookProvider {
  readonly name: 'github' | 'gitea' | 'gitlab' | 'generic';
  /** Headers that identify a delivery in the sender's UI; logged (never a secret). */
  readonly deliveryHeaders: readonly string[];
  verify(headers: Headers, raw: Buffer, secrets: HookSecrets): Verification;
  event(headers: Headers): HookEvent;
  defaultBranch(payload: PushPayload): string | undefined;
}

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const NO_SECRET: Verification = { ok: false, message: 'webhooks are disabled: no webhook secret is configured (set BERTH_WEBHOOK_SECRET)' };

/** `<prefix><64 hex>` in `name`, checked against HMAC-SHA256(secret, raw body). */
function hmacVerifier(name: string, display: string, prefix: string): HookProvider['verify'] {
  return (headers, raw, { webhookSecret }) => {
    if (!webhookSecret) return NO_SECRET;
    const value = header(headers, name);
    if (value === undefined) return { ok: false, message: `missing ${display} header` };
    if (!value.startsWith(prefix)) return { ok: false, message: `${display} must be ${prefix}<hex HMAC-SHA256 of the body>` };
    return isValidHmacSha256(webhookSecret, raw, value.slice(prefix.length)) ? { ok: true } : { ok: false, message: `${display} does not match the body` };
  };
}

function eventFrom(name: string, display: string, map: Readonly<Record<string, HookEvent['kind']>>): HookProvider['event'] {
  return (headers) => {
    const value = header(headers, name);
    if (value === undefined) return { kind: 'missing', header: display };
    const kind = ownValue(map, value);
    return kind === 'push' || kind === 'ping' ? { kind } : { kind: 'other', name: value };
  };
}

export const HOOK_PROVIDERS: readonly HookProvider[] = [
  {
    name: 'github',
    deliveryHeaders: ['x-github-delivery', 'x-github-event'],
    verify: hmacVerifier('x-hub-signature-256', 'X-Hub-Signature-256', 'sha256='),
    event: eventFrom('x-github-event', 'X-GitHub-Event', { push: 'push', ping: 'ping' }),
    defaultBranch: (p) => p.repository?.default_branch,
  },
  {
    name: 'gitea',
    deliveryHeaders: ['x-gitea-delivery', 'x-gitea-event'],
    verify: hmacVerifier('x-gitea-signature', 'X-Gitea-Signature', ''),
    event: eventFrom('x-gitea-event', 'X-Gitea-Event', { push: 'push' }),
    defaultBranch: (p) => p.repository?.default_branch,
  },
  {
    name: 'gitlab',
    deliveryHeaders: ['x-gitlab-event-uuid', 'x-gitlab-event'],
    verify: (headers, _raw, { gitlabToken }) => {
      if (!gitlabToken) return NO_SECRET;
      const value = header(headers, 'x-gitlab-token');
      if (value === undefined) return { ok: false, message: 'missing X-Gitlab-Token header' };
      return tokensEqual(value, gitlabToken) ? { ok: true } : { ok: false, message: 'X-Gitlab-Token does not match' };
    },
    // A tag push is examined like a branch push: matchPush ignores it unless berth watches that tag.
    event: eventFrom('x-gitlab-event', 'X-Gitlab-Event', { 'Push Hook': 'push', 'Tag Push Hook': 'push' }),
    defaultBranch: (p) => p.project?.default_branch,
  },
  {
    name: 'generic',
    deliveryHeaders: [],
    verify: hmacVerifier('x-berth-signature', 'X-Berth-Signature', 'sha256='),
    event: () => ({ kind: 'push' }),
    defaultBranch: (p) => p.repository?.default_branch,
  },
];

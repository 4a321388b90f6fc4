/**
 * Where notifications go and what each receiver is sent (pure: builds requests, sends nothing).
 * - `webhook`: berth's JSON, signed like GitHub's webhooks when a secret is set
 *   (`X-Berth-Signature-256: sha256=<HMAC-SHA256 of the body, hex>`);
 * - `slack`: `{"text": …}`, which Slack and Mattermost incoming webhooks both take;
 * - commit statuses: GitHub (`POST /repos/{repo}/statuses/{sha}`), Gitea (`/api/v1/repos/…`),
 *   GitLab (`POST /api/v4/projects/{id}/statuses/{sha}`).
 * Tokens and secrets go in headers only; `redactedUrl` is what logs may show of a target.
 */
import { createHmac } from 'node:crypto';
import type { CommitState, NotificationEvent } from './events.js';

export type CommitStatusProvider = 'github' | 'gitea' | 'gitlab';

export interface NotifyConfig {
  readonly webhooks: readonly string[];
  readonly slack: readonly string[];
  /** HMAC key for `webhook` bodies (BERTH_NOTIFY_SECRET). */
  readonly secret?: string;
  readonly commitStatus?: {
    readonly provider: CommitStatusProvider;
    /** `owner/name` (GitHub, Gitea) or a project id or path (GitLab). */
    readonly repo: string;
    /** API base: https://api.github.com, https://gitlab.com, or the Gitea server. */
    readonly api: string;
    readonly token: string;
  };
  /** The dashboard, as a commit status' target URL. */
  readonly dashboardUrl?: string;
}

export interface OutgoingRequest {
  /** Which target (for logs: never the full URL, which may carry a credential). */
  readonly target: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export const DEFAULT_COMMIT_STATUS_API: Readonly<Record<CommitStatusProvider, string | undefined>> = {
  github: 'https://api.github.com',
  gitlab: 'https://gitlab.com',
  gitea: undefined, // self-hosted: --commit-status-api is required
};

/** Scheme, host and port only: Slack-style URLs carry their credential in the path. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(invalid URL)';
  }
}

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

const TITLES: Readonly<Record<NotificationEvent['kind'], string>> = {
  'sync-succeeded': 'synced',
  'sync-failed': 'sync failed',
  'rollout-failed': 'rollout failed',
  'rolled-back': 'rolled back',
  'prune-held': 'prune held',
  'hpa-scaled': 'scaled',
};

/** The requests one event means, for every configured webhook. */
export function eventRequests(config: NotifyConfig, event: NotificationEvent, meta: { readonly id: string; readonly time: string }): OutgoingRequest[] {
  const requests: OutgoingRequest[] = [];
  const body = JSON.stringify({
    id: meta.id,
    time: meta.time,
    event: event.kind,
    ...eventFields(event),
    ...(config.dashboardUrl ? { url: config.dashboardUrl } : {}),
  });
  for (const url of config.webhooks)
    requests.push({
      target: `webhook ${redactedUrl(url)}`,
      url,
      headers: {
        'content-type': 'application/json',
        'x-berth-event': event.kind,
        'x-berth-delivery': meta.id,
        ...(config.secret ? { 'x-berth-signature-256': signature(config.secret, body) } : {}),
      },
      body,
    });
  const what = event.deployment ? `${event.namespace}/${event.deployment}` : event.namespace;
  const text = `berth: ${what} ${TITLES[event.kind]} at ${event.commit.slice(0, 12)}: ${event.message}${config.dashboardUrl ? ` (${config.dashboardUrl})` : ''}`;
  for (const url of config.slack)
    requests.push({ target: `slack ${redactedUrl(url)}`, url, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
  return requests;
}

function eventFields(e: NotificationEvent): Record<string, string> {
  return { namespace: e.namespace, commit: e.commit, ...(e.deployment ? { deployment: e.deployment } : {}), message: e.message };
}

/** GitHub caps a status description at 140 characters. */
const DESCRIPTION_MAX = 140;

/** The commit status request for `commit` in `state`, or undefined when none is configured. */
export function commitStatusRequest(config: NotifyConfig, commit: string, state: CommitState, description: string): OutgoingRequest | undefined {
  const cs = config.commitStatus;
  if (!cs) return undefined;
  const api = cs.api.replace(/\/+$/, '');
  const text = description.length > DESCRIPTION_MAX ? `${description.slice(0, DESCRIPTION_MAX - 1)}…` : description;
  const target = `${cs.provider} commit status ${redactedUrl(api)}`;
  const targetUrl = config.dashboardUrl ? { target_url: config.dashboardUrl } : {};
  switch (cs.provider) {
    case 'github':
    case 'gitea':
      return {
        target,
        url: `${api}${cs.provider === 'gitea' ? '/api/v1' : ''}/repos/${cs.repo.split('/').map(encodeURIComponent).join('/')}/statuses/${commit}`,
        headers: {
          'content-type': 'application/json',
          accept: cs.provider === 'github' ? 'application/vnd.github+json' : 'application/json',
          authorization: cs.provider === 'github' ? `Bearer ${cs.token}` : `token ${cs.token}`,
        },
        body: JSON.stringify({ state, description: text, context: 'berth', ...targetUrl }),
      };
    case 'gitlab':
      return {
        target,
        url: `${api}/api/v4/projects/${encodeURIComponent(cs.repo)}/statuses/${commit}`,
        headers: { 'content-type': 'application/json', 'private-token': cs.token },
        body: JSON.stringify({ state: state === 'failure' ? 'failed' : state, description: text, name: 'berth', ...targetUrl }),
      };
  }
}

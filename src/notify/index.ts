/**
 * notify: telling a team what berth did (issue #13, item 2). Commit statuses (GitHub, Gitea,
 * GitLab) and outgoing webhooks (signed berth JSON, Slack/Mattermost text), configured by the
 * operator's flags and environment, never from Git. events.ts and targets.ts are pure decisions;
 * notifier.ts sends, off the pass, with retries.
 */
export * from './events.js';
export * from './targets.js';
export * from './notifier.js';
export * from './notifying-store.js';

import type { CommitInfo } from './snapshot.js';

/** What status and the dashboard show of a commit: its subject line and its author's name. */
export interface CommitSummary {
  /** The message's first line, at most SUBJECT_MAX characters (an ellipsis marks a cut). */
  readonly subject: string;
  /** The author's name, without the e-mail address (the dashboard is readable without a token). */
  readonly author: string;
  /** Commit time, ISO 8601. */
  readonly time: string;
}

export const SUBJECT_MAX = 120;

/**
 *   "Fix web\n\nlong body"            → subject "Fix web"
 *   author "Ada Lovelace <ada@x.org>" → author "Ada Lovelace"
 */
export function commitSummary(commit: CommitInfo): CommitSummary {
  const first = commit.message.split('\n', 1)[0]!.trim();
  const subject = first.length > SUBJECT_MAX ? `${first.slice(0, SUBJECT_MAX - 1)}…` : first;
  const author = commit.author.replace(/\s*<[^>]*>\s*$/, '').trim();
  return { subject, author, time: commit.time };
}

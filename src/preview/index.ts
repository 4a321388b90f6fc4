/**
 * preview: the pull-request preview. `compare(base, head) → ChangeSet`, what one commit changes
 * relative to another, rendered as text, Markdown (a PR comment) or JSON, and the exit code of
 * `berth plan --base/--head`. Pure. A ChangeSet is sorted throughout and never holds a secret
 * value (mask.ts), so each rendering is byte-stable and safe to post. It reuses the live plan's
 * rules (plan/: fenceposts, the prune rule, the volume trailer) rather than keeping copies.
 */
export type * from './change-set.js';
export { compare, compareDeployment, type CompareOptions } from './compare.js';
export { renderChangeSetText } from './render-change-set-text.js';
export { renderChangeSetMarkdown, PLAN_COMMENT_MARKER, type MarkdownOptions } from './render-change-set-markdown.js';
export { renderChangeSetJson } from './render-change-set-json.js';
export { planExitCode, hasChangeSetChanges, type PlanExitCode } from './exit-code.js';
export { isSecretName, SECRET_NAME, MASKED } from './mask.js';

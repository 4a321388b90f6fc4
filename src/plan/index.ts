/**
 * plan: `diff(desired, observed) → Plan`, ordered actions per namespace, and their text/JSON
 * rendering; and `compare(base, head) → ChangeSet`, what one commit changes relative to
 * another (the pull-request preview), rendered as text, Markdown (a PR comment) or JSON.
 * Pure. Invariants: an invalid namespace gets no actions; an empty desired state never
 * prunes; actions are ordered network → Deployments (by name) → prunes → network removal.
 * A ChangeSet is sorted throughout and never holds a secret value (mask.ts), so each of its
 * renderings is byte-stable and safe to post. The Kubernetes fencepost arithmetic lives here
 * (fenceposts.ts) so the preview and the rollout step compute the same numbers.
 */
export * from './types.js';
export * from './diff.js';
export * from './prune-guard.js';
export * from './volumes.js';
export * from './render.js';
export { fenceposts, resolveIntOrPercent } from './fenceposts.js';
export type * from './change-set.js';
export { compare, type CompareOptions } from './compare.js';
export { renderChangeSetText } from './render-change-set-text.js';
export { renderChangeSetMarkdown, PLAN_COMMENT_MARKER, type MarkdownOptions } from './render-change-set-markdown.js';
export { renderChangeSetJson } from './render-change-set-json.js';
export { planExitCode, hasChangeSetChanges, type PlanExitCode } from './exit-code.js';
export { isSecretName, SECRET_NAME, MASKED } from './mask.js';
export * from './pins.js';
export * from './autoscale.js';

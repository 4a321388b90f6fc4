/**
 * plan: `diff(desired, observed) → Plan`, ordered actions per namespace, and their text/JSON
 * rendering. Pure. Invariants: an invalid namespace gets no actions; an empty desired state
 * never prunes; actions are ordered network → Deployments (by name) → prunes → network removal.
 */
export * from './types.js';
export * from './diff.js';
export * from './render.js';

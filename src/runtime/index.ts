/**
 * runtime: the port between the planner/executor and a container engine. `driver.ts` is the
 * interface, `labels.ts` spells every label key. Adapters live in sub-folders (docker/) and
 * are constructed only by main.ts.
 */
export * from './driver.js';
export * from './labels.js';

import { canonicalJson } from '../core/index.js';
import type { ChangeSet } from './change-set.js';

/**
 * The ChangeSet as JSON (`-o json`): keys in canonical (sorted) order at every level and
 * two-space indentation, so the same ChangeSet is byte-identical JSON. Secret values are
 * not in the ChangeSet, so they cannot be here either; masked fields carry `"masked": true`.
 */
export function renderChangeSetJson(cs: ChangeSet): string {
  return JSON.stringify(JSON.parse(canonicalJson(cs)), null, 2) + '\n';
}

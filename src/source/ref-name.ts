import { BerthError } from '../core/index.js';
import { parseRevision, type Revision } from './revision.js';

/**
 * What `--ref` (and any ref given to resolveRef) may be: a revision (revision.ts) whose base is
 * a branch or tag name, a full ref (`refs/heads/x`), `HEAD`/`@`, or a commit id, full (40 hex)
 * or abbreviated (4 to 39 hex), followed by `~N`/`^N` steps (`main~1`, `HEAD^2`). Names follow
 * `git check-ref-format`, which also keeps a ref from naming a file outside the refs.
 * Resolution order follows git: a full id is taken as is; otherwise a ref of that name wins,
 * and only then is the text tried as an abbreviated commit id.
 */
export function isFullOid(ref: string): boolean {
  return /^[0-9a-f]{40}$/i.test(ref);
}

export function isAbbreviatedOid(ref: string): boolean {
  return /^[0-9a-f]{4,39}$/i.test(ref);
}

/** The revision `ref` names, checked; USAGE with the reason when it is no valid revision. */
export function checkRefName(ref: string): Revision {
  const revision = parseRevision(ref);
  const why = 'error' in revision ? revision.error : refNameProblem(revision.base);
  if (why)
    throw new BerthError('USAGE', `"${ref}" is not a valid ref (${why}); give a branch, tag or commit id, optionally with ~N or ^N`, { details: { ref } });
  return revision as Revision;
}

/** True when `ref` walks ancestry (`main~1`, `HEAD^`) or is `@`: not a plain name a server advertises. */
export function isExpression(ref: string): boolean {
  return ref === '@' || /[~^]/.test(ref);
}

function refNameProblem(ref: string): string | undefined {
  if (ref === '') return 'empty';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref)) return 'it contains a space, a control character or one of ~ ^ : ? * [ \\';
  if (ref.includes('..')) return 'it contains ".."';
  if (ref.includes('//') || ref.startsWith('/') || ref.endsWith('/')) return 'it has an empty path component';
  if (ref.startsWith('-')) return 'it starts with "-"';
  if (ref.endsWith('.') || ref.endsWith('.lock')) return 'it ends with "." or ".lock"';
  if (ref.split('/').some((part) => part.startsWith('.'))) return 'a component starts with "."';
  return undefined;
}

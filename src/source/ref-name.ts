import { BerthError } from '../core/index.js';

/**
 * What `--ref` (and any ref given to resolveRef) may be: a branch or tag name, a full ref
 * (`refs/heads/x`), `HEAD`, or a commit id, full (40 hex) or abbreviated (4 to 39 hex).
 * Revision expressions (`main~1`, `HEAD^`, `@{u}`) are not supported. Names follow
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

export function checkRefName(ref: string): void {
  const why = refNameProblem(ref);
  if (why) throw new BerthError('USAGE', `"${ref}" is not a valid ref (${why}); give a branch, tag or commit id`, { details: { ref } });
}

function refNameProblem(ref: string): string | undefined {
  if (ref === '') return 'empty';
  if (ref === '@') return 'revision expressions are not supported';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref)) return 'it contains a space, a control character or one of ~ ^ : ? * [ \\';
  if (ref.includes('@{')) return 'revision expressions are not supported';
  if (ref.includes('..')) return 'it contains ".."';
  if (ref.includes('//') || ref.startsWith('/') || ref.endsWith('/')) return 'it has an empty path component';
  if (ref.startsWith('-')) return 'it starts with "-"';
  if (ref.endsWith('.') || ref.endsWith('.lock')) return 'it ends with "." or ".lock"';
  if (ref.split('/').some((part) => part.startsWith('.'))) return 'a component starts with "."';
  return undefined;
}

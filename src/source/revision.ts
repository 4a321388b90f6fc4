/**
 * Git revision expressions, the part of gitrevisions(7) that names one commit by ancestry:
 * a base (a ref name, `HEAD`, `@`, a full or abbreviated commit id) followed by any number of
 *   `~N`  the N-th generation ancestor along first parents (`~` = `~1`)
 *   `^N`  the N-th parent (`^` = `^1`; `^0` = the commit itself, a tag peeled)
 * Pure: parsing only; the source walks the parents (commit-source.ts).
 *   HEAD~2     → base HEAD, steps [~2]
 *   main^2~1   → base main, steps [^2, ~1]
 *   v1.0^0     → base v1.0, steps [^0]
 *   @          → base HEAD (git's shorthand)
 * Refused, with the reason: `@{…}` (reflogs and upstreams: berth keeps no reflog), `^{…}`
 * (object peeling), `:path`, ranges (`a..b`), `^!`/`^@`/`^-`, an empty base (`~1`).
 */
export interface RevisionStep {
  readonly op: '~' | '^';
  readonly n: number;
}

export interface Revision {
  readonly base: string;
  readonly steps: readonly RevisionStep[];
}

/** The largest N accepted in `~N`/`^N` (git takes any int; berth bounds the walk). */
export const MAX_REVISION_STEP = 100_000;

export function parseRevision(text: string): Revision | { readonly error: string } {
  if (text.includes('@{')) return { error: 'reflog and upstream expressions (@{…}) are not supported: berth keeps no reflog' };
  if (text.includes('^{')) return { error: 'peeling expressions (^{…}) are not supported; a tag already names its commit' };
  if (text.includes(':')) return { error: 'a path (rev:path) names a file, not a commit' };
  if (text.includes('..')) return { error: 'a range (a..b) names several commits, not one' };
  const at = text.search(/[~^]/);
  const rawBase = at === -1 ? text : text.slice(0, at);
  if (rawBase === '') return { error: 'an ancestry expression needs a revision before ~ or ^ (HEAD~1, main^)' };
  const base = rawBase === '@' ? 'HEAD' : rawBase;
  const steps: RevisionStep[] = [];
  let rest = at === -1 ? '' : text.slice(at);
  while (rest !== '') {
    const m = /^([~^])(\d*)/.exec(rest)!;
    const op = m[1] as '~' | '^';
    if (m[2] === '' && /^\^[!@-]/.test(rest)) return { error: `"${rest.slice(0, 2)}" names several commits, not one` };
    const n = m[2] === '' ? 1 : Number(m[2]);
    if (!Number.isSafeInteger(n) || n > MAX_REVISION_STEP) return { error: `${op}${m[2]} is too far: at most ${MAX_REVISION_STEP}` };
    steps.push({ op, n });
    rest = rest.slice(m[0].length);
    if (rest !== '' && !/^[~^]/.test(rest)) return { error: `unexpected "${rest}" after ${text.slice(0, text.length - rest.length)}` };
  }
  return { base, steps };
}

/** `HEAD~2^2` again from its parts (messages name the part of the walk that failed). */
export function formatRevision(base: string, steps: readonly RevisionStep[]): string {
  return base + steps.map((s) => `${s.op}${s.n}`).join('');
}

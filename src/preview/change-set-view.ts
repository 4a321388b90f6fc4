import { formatDiagnostic, type Diagnostic } from '../core/index.js';
import type { SourceLocation } from '../manifests/index.js';
import type { ChangeSet, ChangeSummary, DeploymentChange, FieldChange, NamespaceChange, ObjectChange, PruneGuard, ServingCounts } from './change-set.js';

/**
 * What the three ChangeSet renderings (text, Markdown, JSON) share: the summary sentence,
 * the order errors and warnings are listed in, locations with the manifest root, and the
 * sign of a field change. Keeping these in one place keeps the renderings telling the same
 * story.
 */

/** Seven hex characters, as `git log --oneline` shows a commit. */
export function shortCommit(commit: string): string {
  return commit.slice(0, 7);
}

function withRoot(root: string, file: string): string {
  return root ? `${root}/${file}` : file;
}

/** `sample-repo/shop/web.yaml:12` (or `(repository)` when the problem has no file). */
export function diagnosticLocation(d: Diagnostic, root: string): string {
  if (!d.file) return '(repository)';
  return `${withRoot(root, d.file)}${d.line ? `:${d.line}` : ''}`;
}

/** A diagnostic in the `file:line:column: severity field: message (CODE)` form, its file under the root. */
export function formatDiagnosticAt(d: Diagnostic, root: string): string {
  return formatDiagnostic(d.file ? { ...d, file: withRoot(root, d.file) } : d);
}

export function sourceLocation(source: SourceLocation, root: string): string {
  return `${withRoot(root, source.file)}:${source.line}`;
}

/** Every diagnostic of the head, repository level first, then by namespace (each list is already sorted). */
export function headDiagnostics(cs: ChangeSet): Diagnostic[] {
  return [...cs.diagnostics, ...cs.namespaces.flatMap((n) => n.diagnostics)];
}

/** What blocks the head: its errors, then policy denials. */
export function headErrors(cs: ChangeSet): Diagnostic[] {
  return [...headDiagnostics(cs).filter((d) => d.severity === 'error'), ...cs.denials, ...cs.namespaces.flatMap((n) => n.denials)];
}

export function headWarnings(cs: ChangeSet): Diagnostic[] {
  return headDiagnostics(cs).filter((d) => d.severity === 'warning');
}

/** Does the namespace get a section of its own (anything but unchanged)? */
export function isNotable(ns: NamespaceChange): boolean {
  return ns.status !== 'unchanged';
}

const plural = (n: number, word: string, many = `${word}s`): string => (n === 1 ? word : many);

/**
 * The summary sentence, numbers formatted by `num` (bold in Markdown):
 * `2 namespaces changed, 1 added · 1 Deployment added, 3 changed (2 roll), 1 removed · 1 Service added · 1 error, 2 warnings`.
 * Zero counts are left out; with nothing to change it says so.
 */
export function summarySentence(s: ChangeSummary, num: (n: number) => string = String): string {
  const ns = s.namespaces;
  const namespaces = countPhrase('namespace', 'namespaces', num, [
    [ns.changed, 'changed'],
    [ns.added, 'added'],
    [ns.removed, 'removed'],
    [ns.invalid, 'invalid (left as it runs)'],
    [ns.baseInvalid, 'repaired (invalid in the base)'],
    [ns.denied, 'denied by policy'],
  ]);
  const d = s.deployments;
  const deployments = countPhrase('Deployment', 'Deployments', num, deploymentItems(d.added, d.changed, d.rolls, d.removed));
  const services = s.services && countPhrase('Service', 'Services', num, servingItems(s.services));
  const ingresses = s.ingresses && countPhrase('Ingress', 'Ingresses', num, servingItems(s.ingresses));
  const configMaps = s.configMaps && countPhrase('ConfigMap', 'ConfigMaps', num, servingItems(s.configMaps));
  const problems = [
    s.errors > 0 ? `${num(s.errors)} ${plural(s.errors, 'error')}` : undefined,
    s.denials > 0 ? `${num(s.denials)} policy ${plural(s.denials, 'denial')}` : undefined,
    s.warnings > 0 ? `${num(s.warnings)} ${plural(s.warnings, 'warning')}` : undefined,
  ].filter(Boolean);
  const parts = [namespaces, deployments, services, ingresses, configMaps, problems.length > 0 ? problems.join(', ') : undefined].filter(
    (p): p is string => p !== undefined,
  );
  if (!namespaces) parts.unshift(ns.unchanged > 0 ? `no changes (${num(ns.unchanged)} ${plural(ns.unchanged, 'namespace')} unchanged)` : 'no changes');
  return parts.join(' · ');
}

/**
 * One namespace's counts: `1 Deployment added, 2 changed (1 rolls), 1 removed`, then Services
 * and Ingresses the same way (`, 1 Service added, 1 Ingress changed`); '' when nothing changes.
 */
export function namespaceCounts(ns: NamespaceChange): string {
  const deployments = ns.objects.filter((o): o is DeploymentChange => o.kind === 'Deployment');
  const count = (c: string): number => deployments.filter((o) => o.change === c).length;
  const rolls = deployments.filter((o) => o.change === 'changed' && o.rolls).length;
  const serving = (kind: 'Ingress' | 'Service' | 'ConfigMap'): ServingCounts => {
    const of = ns.objects.filter((o) => o.kind === kind);
    const n = (c: ObjectChange['change']): number => of.filter((o) => o.change === c).length;
    return { added: n('added'), changed: n('changed'), removed: n('removed'), unchanged: n('unchanged') };
  };
  return [
    countPhrase('Deployment', 'Deployments', String, deploymentItems(count('added'), count('changed'), rolls, count('removed'))),
    countPhrase('Service', 'Services', String, servingItems(serving('Service'))),
    countPhrase('Ingress', 'Ingresses', String, servingItems(serving('Ingress'))),
    countPhrase('ConfigMap', 'ConfigMaps', String, servingItems(serving('ConfigMap'))),
  ]
    .filter((p): p is string => p !== undefined)
    .join(', ');
}

function servingItems(c: ServingCounts): [number, string][] {
  return [
    [c.added, 'added'],
    [c.changed, 'changed'],
    [c.removed, 'removed'],
  ];
}

/** `web`, or `service web` / `ingress shop`: how a list of unchanged objects names one (Deployments by name alone, as they always were). */
export function unchangedName(o: ObjectChange): string {
  return o.kind === 'Deployment' ? o.name : `${o.kind.toLowerCase()} ${o.name}`;
}

function deploymentItems(added: number, changed: number, rolls: number, removed: number): [number, string][] {
  return [
    [added, 'added'],
    [changed, `changed${rolls > 0 ? ` (${rolls} ${plural(rolls, 'rolls', 'roll')})` : ''}`],
    [removed, 'removed'],
  ];
}

/** `2 namespaces changed, 1 added`: non-zero items, the noun after the first number. */
function countPhrase(noun: string, nouns: string, num: (n: number) => string, items: readonly [number, string][]): string | undefined {
  const present = items.filter(([n]) => n > 0);
  if (present.length === 0) return undefined;
  return present.map(([n, label], i) => `${num(n)} ${i === 0 ? `${plural(n, noun, nouns)} ` : ''}${label}`).join(', ');
}

export const VERDICT_TITLES: Record<PruneGuard['verdict'], string> = {
  'no-prunes': 'nothing to prune',
  allowed: 'allowed',
  'needs-confirmation': 'refused unless the commit is confirmed',
  refused: 'refused',
};

/** `the head would prune 1 Deployment and remove 1 namespace`. */
export function pruneCounts(guard: PruneGuard): string {
  const parts = [
    guard.deployments > 0 ? `prune ${guard.deployments} ${plural(guard.deployments, 'Deployment')}` : '',
    guard.namespaces > 0 ? `remove ${guard.namespaces} ${plural(guard.namespaces, 'namespace')}` : '',
  ].filter(Boolean);
  return `the head would ${parts.length > 0 ? parts.join(' and ') : 'prune nothing'}`;
}

/** `+` added, `-` removed, `~` changed (the text rendering; Markdown's diff block splits a change into `-`/`+`). */
export function fieldSign(f: FieldChange): string {
  return f.change === 'added' ? '+' : f.change === 'removed' ? '-' : '~';
}

import type { Diagnostic } from '../core/index.js';
import type {
  AutoscalerChange,
  ChangeSet,
  ClaimChange,
  ConfigMapChange,
  DeploymentChange,
  FieldChange,
  IngressChange,
  NetworkPolicyChange,
  NamespaceChange,
  ObjectVersion,
  ServiceChange,
} from './change-set.js';
import {
  diagnosticLocation,
  fieldSign,
  headErrors,
  pruneCounts,
  headWarnings,
  isNotable,
  namespaceCounts,
  shortCommit,
  sourceLocation,
  summarySentence,
  unchangedName,
  VERDICT_TITLES,
} from './change-set-view.js';
import { codeSpan, escapeHtml, escapeMarkdown, oneLine } from './markdown-escape.js';
import { describeFieldChange, MASKED, shownValue } from './mask.js';

/** First line of every comment berth writes: a bot finds its own comment by it and edits that one in place. */
export const PLAN_COMMENT_MARKER = '<!-- berth-plan -->';

export interface MarkdownOptions {
  /**
   * Longest comment to produce, in characters. GitHub refuses comments over 65,536; the
   * default leaves room for a bot's own additions. Namespace sections that do not fit are
   * listed by name only, with a pointer to the full plan.
   */
  readonly maxLength?: number;
  /** Most rows in the errors and the warnings tables; the rest are counted. Default 50. */
  readonly maxRows?: number;
}

const DEFAULT_MAX_LENGTH = 60_000;
const DEFAULT_MAX_ROWS = 50;

/**
 * The ChangeSet as a pull-request comment. Layout, top to bottom: the marker, a title with
 * base → head, the summary sentence, errors (a table with file:line and field), the prune
 * guard, warnings (collapsed), one collapsed `<details>` per namespace that changes with a
 * ```diff block per Deployment and one line per Service or Ingress, and one line naming the
 * unchanged namespaces.
 *
 * Stable: no timestamps, no versions, everything in ChangeSet order, so the same ChangeSet
 * gives a byte-identical comment and a bot's in-place update is a no-op when nothing moved.
 * Safe: every user-controlled string goes through markdown-escape.ts; secret values are not
 * in the ChangeSet at all (mask.ts).
 */
export function renderChangeSetMarkdown(cs: ChangeSet, options: MarkdownOptions = {}): string {
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const head: string[] = [
    PLAN_COMMENT_MARKER,
    `### berth plan: ${cs.base ? codeSpan(shortCommit(cs.base)) : '(no base)'} → ${codeSpan(shortCommit(cs.head))}${cs.root ? ` in ${codeSpan(`${cs.root}/`)}` : ''}`,
    '',
    summarySentence(cs.summary, (n) => `**${n}**`),
    '',
  ];
  const errors = headErrors(cs);
  if (errors.length > 0)
    head.push(`#### ❌ ${errors.length === 1 ? '1 error' : `${errors.length} errors`}`, '', ...diagnosticTable(errors, cs.root, maxRows), '');
  head.push(...pruneGuardBlock(cs));
  const warnings = headWarnings(cs);
  if (warnings.length > 0) {
    head.push(
      `<details><summary>⚠️ ${warnings.length === 1 ? '1 warning' : `${warnings.length} warnings`}</summary>`,
      '',
      ...diagnosticTable(warnings, cs.root, maxRows),
      '',
      '</details>',
      '',
    );
  }

  const unchanged = cs.namespaces.filter((n) => !isNotable(n)).map((n) => n.namespace);
  const tail = unchanged.length > 0 ? [`Unchanged: ${unchanged.map((n) => codeSpan(n)).join(', ')}`, ''] : [];
  const out = [...head];
  let length = joined(out).length + joined(tail).length;
  const notable = cs.namespaces.filter(isNotable);
  const left: string[] = [];
  for (const ns of notable) {
    const section = namespaceSection(ns, cs.root);
    const size = joined(section).length + 1;
    // Reserve room for the note naming what did not fit.
    if (left.length > 0 || length + size + 400 + notable.length * 70 > maxLength) {
      left.push(`${codeSpan(ns.namespace)} (${ns.status})`);
      continue;
    }
    out.push(...section);
    length += size;
  }
  if (left.length > 0) {
    out.push(
      `**Not shown** (the comment would be too long): ${left.join(', ')}. Run \`berth plan -o text\` with the same \`--base\` and \`--head\`, or see the job log, for the full plan.`,
      '',
    );
  }
  out.push(...tail);
  return joined(out).replace(/\n+$/, '\n');
}

function joined(lines: readonly string[]): string {
  return lines.join('\n') + '\n';
}

function diagnosticTable(diagnostics: readonly Diagnostic[], root: string, maxRows: number): string[] {
  const rows = diagnostics.slice(0, maxRows).map((d) => {
    const field = d.field ? codeSpan(d.field, { inTable: true }) : '';
    const doc = d.document !== undefined && d.document > 0 ? ` (document ${d.document + 1})` : '';
    return `| ${codeSpan(diagnosticLocation(d, root), { inTable: true })}${doc} | ${field} | ${escapeMarkdown(d.message)} (${codeSpan(d.code, { inTable: true })}) |`;
  });
  const more = diagnostics.length - rows.length;
  return ['| file:line | field | problem |', '| --- | --- | --- |', ...rows, ...(more > 0 ? [`| … | | and ${more} more |`] : [])];
}

function pruneGuardBlock(cs: ChangeSet): string[] {
  const guard = cs.pruneGuard;
  if (guard.verdict === 'no-prunes') return [];
  if (guard.verdict === 'allowed') return [`**Prune guard:** allowed: ${escapeMarkdown(pruneCounts(guard))}.`, ''];
  return [
    `> 🛑 **Prune guard: ${VERDICT_TITLES[guard.verdict]}**: ${escapeMarkdown(pruneCounts(guard))}, because:`,
    ...guard.reasons.map((r) => `> - ${escapeMarkdown(r)}`),
    '',
  ];
}

const STATUS_ICONS: Record<NamespaceChange['status'], string> = {
  added: '🆕',
  removed: '🗑️',
  changed: '✏️',
  unchanged: '',
  invalid: '❌',
  'base-invalid': '🩹',
  denied: '⛔',
};

function namespaceSection(ns: NamespaceChange, root: string): string[] {
  const counts = namespaceCounts(ns);
  const summary = `${STATUS_ICONS[ns.status]} <b>${escapeHtml(ns.namespace)}</b> · ${ns.status}${counts ? ` · ${escapeHtml(counts)}` : ''}`;
  const lines = [`<details><summary>${summary}</summary>`, ''];
  if (ns.message) lines.push(`${escapeMarkdown(ns.message)}.`, '');
  const errors = ns.diagnostics.filter((d) => d.severity === 'error').length + ns.denials.length;
  if (errors > 0) lines.push(`${errors === 1 ? '1 error' : `${errors} errors`}: see the table above.`, '');
  for (const o of ns.objects) if (o.change !== 'unchanged') lines.push(...(o.kind === 'Deployment' ? deploymentBlock(o, root) : servingBlock(o, root)));
  const same = ns.objects.filter((o) => o.change === 'unchanged').map((o) => codeSpan(unchangedName(o)));
  if (same.length > 0) lines.push(`Unchanged: ${same.join(', ')}`, '');
  lines.push('</details>', '');
  return lines;
}

const replicasOf = (v: ObjectVersion): string => `${v.replicas} ${v.replicas === 1 ? 'replica' : 'replicas'} of ${codeSpan(v.image)}`;

function deploymentBlock(o: DeploymentChange, root: string): string[] {
  const name = `${o.workload === 'StatefulSet' ? 'StatefulSet ' : ''}**${codeSpan(o.name)}**`;
  switch (o.change) {
    case 'removed':
      return [`${name} removed: ${replicasOf(o.base!)} pruned · ${codeSpan(sourceLocation(o.base!.source, root))}`, ''];
    case 'added':
      return [`${name} added: ${replicasOf(o.head!)} · ${codeSpan(sourceLocation(o.head!.source, root))}`, '', ...diffBlock(o.fields.flatMap(diffLines))];
    default: {
      const because = o.configMapsChanged ? ` because ${o.configMapsChanged.map((n) => `ConfigMap ${codeSpan(n)}`).join(', ')} changed` : '';
      const how = o.rolls ? `rolls${because}: ${escapeMarkdown(o.rollout!.description)}` : 'does not roll';
      const revision = o.base!.revision !== o.head!.revision ? [`# revision ${o.base!.revision} → ${o.head!.revision}`] : [];
      return [`${name} changed, ${how} · ${codeSpan(sourceLocation(o.head!.source, root))}`, '', ...diffBlock([...revision, ...o.fields.flatMap(diffLines)])];
    }
  }
}

/**
 * A field change as ```diff lines: `+` added, `-` removed, a `-`/`+` pair for a change, and
 * `!` (shown as changed) for a masked change, whose values are never known here.
 */
function diffLines(f: FieldChange): string[] {
  const line = (sign: string, value: string): string => oneLine(`${sign} ${f.field}: ${value}`);
  if (f.masked) return [line(f.change === 'added' ? '+' : f.change === 'removed' ? '-' : '!', f.change === 'changed' ? `changed ${MASKED}` : MASKED)];
  switch (f.change) {
    case 'added':
      return [line('+', shownValue(f, 'to'))];
    case 'removed':
      return [line('-', shownValue(f, 'from'))];
    case 'changed':
      return [line('-', shownValue(f, 'from')), line('+', shownValue(f, 'to'))];
  }
}

/** Every line starts with a sign, so no line can close the fence early, whatever a value holds. */
function diffBlock(lines: readonly string[]): string[] {
  return ['```diff', ...lines, '```', ''];
}

/** A Service or Ingress: one paragraph line, every user string in a code span. */
function servingBlock(o: ServiceChange | IngressChange | ClaimChange | ConfigMapChange | NetworkPolicyChange | AutoscalerChange, root: string): string[] {
  const name = `${o.kind} **${codeSpan(o.name)}**`;
  switch (o.change) {
    case 'removed':
      return [`${name} removed: ${codeSpan(o.base!.description)} · ${codeSpan(sourceLocation(o.base!.source, root))}`, ''];
    case 'added':
      return [`${name} added: ${codeSpan(o.head!.description)} · ${codeSpan(sourceLocation(o.head!.source, root))}`, ''];
    default:
      return [
        `${name} changed: ${o.fields.map((f) => codeSpan(`${fieldSign(f)} ${f.field}: ${describeFieldChange(f)}`)).join('; ')} · ${codeSpan(sourceLocation(o.head!.source, root))}`,
        '',
      ];
  }
}

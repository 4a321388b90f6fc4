/**
 * A problem found in the input, located precisely enough for a person to fix it:
 * `file` relative to the manifest root (the --path folder), 1-based `line`/`column`,
 * `document` (0-based index of the YAML document in the file), `field` as a JSON-pointer-
 * like dotted path (`spec.template.spec.containers[0].image`).
 */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly code: string;
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly document?: number;
  readonly field?: string;
  readonly namespace?: string;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** `file:line:column: severity field: message` — the form editors and CI annotations understand. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}${d.line ? `:${d.line}${d.column ? `:${d.column}` : ''}` : ''}` : '(repository)';
  const doc = d.document !== undefined && d.document > 0 ? ` [document ${d.document + 1}]` : '';
  const field = d.field ? ` ${d.field}:` : '';
  return `${where}${doc}: ${d.severity}${field} ${d.message} (${d.code})`;
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return (
    (a.file ?? '').localeCompare(b.file ?? '') ||
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.column ?? 0) - (b.column ?? 0) ||
    (a.field ?? '').localeCompare(b.field ?? '') ||
    a.message.localeCompare(b.message)
  );
}

import { stringify } from 'yaml';

/**
 * The machine-readable formats of every command that has one: `-o json` and `-o yaml` render
 * the same value (YAML is the JSON document in YAML's block style, so a field means the same
 * in both). The one place the CLI imports the yaml package (architecture test).
 */
export const STRUCTURED_FORMATS = ['json', 'yaml'] as const;

export function isStructured(format: string): format is (typeof STRUCTURED_FORMATS)[number] {
  return (STRUCTURED_FORMATS as readonly string[]).includes(format);
}

/** `value` as `format`; the value goes through JSON first so both formats see the same data (no undefined, Dates as ISO strings). */
export function renderStructured(format: (typeof STRUCTURED_FORMATS)[number], value: unknown): string {
  const text = JSON.stringify(value, null, 2) + '\n';
  return format === 'json' ? text : renderYaml(JSON.parse(text) as unknown);
}

/** A JSON text (as the plan renderers return it) in the chosen format. */
export function reformatJson(format: (typeof STRUCTURED_FORMATS)[number], jsonText: string): string {
  return format === 'json' ? jsonText : renderYaml(JSON.parse(jsonText) as unknown);
}

function renderYaml(value: unknown): string {
  // No aliases (a repeated object is written out again) and no line folding (a message stays on one line).
  return stringify(value, { aliasDuplicateObjects: false, lineWidth: 0 });
}

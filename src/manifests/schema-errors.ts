import type { Diagnostic } from '../core/index.js';
import type { ManifestDiagnosticCode } from './codes.js';
import { formatFieldPath, pointerToPath, type FieldPath, type Position } from './locate.js';
import { quantityProblem, type QuantityKind } from './quantity.js';
import type { SchemaError } from './schemas.js';

/**
 * ajv errors → Diagnostics a person can act on: a dotted field path, the line of that field,
 * and a message in Kubernetes' terms. ajv's own vocabulary ("must NOT have additional
 * properties", schema paths) never leaves this file.
 *
 * Rules, all relying on how schemas/*.json are written (see schemas.ts):
 *  - a failing `anyOf`/`oneOf` reports its `x-berth-messages` text once; the errors of its
 *    branches (schema paths with `/anyOf/<n>/`, `/oneOf/<n>/`) are dropped; when the value has
 *    the wrong type altogether, the type error alone is kept;
 *  - `propertyNames` failures name the offending key, with the message of the key rule;
 *  - `x-berth-ignored` becomes a warning, and its path is returned so the field can be removed;
 *  - an `x-berth-unsupported` text that starts with "berth " is a whole sentence and is used as
 *    it is ("berth keeps no secret values in Git: …"), any other reads "not supported by berth: …";
 *  - where `hideValueAt(path)` says so (a Secret document, an env entry), a message says what
 *    kind of value it got, never the value: "got a string (value masked)".
 */
/**
 * At most this many schema diagnostics per document; the rest are summarized in one more. A
 * person fixes the first few anyway, and it bounds the work (each one locates a YAML node) of a
 * hostile document with 100 000 unknown fields.
 */
export const MAX_SCHEMA_DIAGNOSTICS = 100;

export interface MappedSchemaErrors {
  readonly diagnostics: Diagnostic[];
  /** Paths of fields berth ignores (to delete from the value handed downstream). */
  readonly ignored: FieldPath[];
}

export function mapSchemaErrors(
  errors: readonly SchemaError[],
  value: unknown,
  document: number,
  locate: (path: FieldPath) => Position,
  hideValueAt: (path: FieldPath) => boolean = () => false,
): MappedSchemaErrors {
  const diagnostics: Diagnostic[] = [];
  const ignored: FieldPath[] = [];
  const seen = new Set<string>();
  // A failing anyOf/oneOf says nothing new when the value has the wrong type altogether, or
  // holds an unknown or unsupported field (a probe with only `grpc:`): those errors say it better.
  const explainedAt = new Set<string>();
  for (const e of errors) {
    if (isBranchError(e)) continue;
    if (e.keyword === 'type' || e.keyword === 'additionalProperties') explainedAt.add(e.instancePath);
    else if (e.keyword === 'not') explainedAt.add(e.instancePath.slice(0, e.instancePath.lastIndexOf('/')));
  }
  let keyRuleMessages: string[] = []; // propertyNames sub-errors waiting for their propertyNames error

  let omitted = 0;
  const emit = (severity: Diagnostic['severity'], code: ManifestDiagnosticCode, path: FieldPath, message: string): void => {
    if (diagnostics.length >= MAX_SCHEMA_DIAGNOSTICS) {
      omitted++;
      return;
    }
    const field = formatFieldPath(path);
    const dedupe = `${field}\u0000${message}`;
    if (seen.has(dedupe)) return;
    seen.add(dedupe);
    diagnostics.push({ severity, code, message, document, ...(field ? { field } : {}), ...locate(path) });
  };

  for (const e of errors) {
    if (/\/propertyNames\//.test(e.schemaPath)) {
      keyRuleMessages.push(messageFor(e, 'none'));
      continue;
    }
    if (isBranchError(e)) continue;
    if (diagnostics.length >= MAX_SCHEMA_DIAGNOSTICS && e.keyword !== 'x-berth-ignored') {
      omitted++;
      continue;
    }
    const path = pointerToPath(e.instancePath, value);
    const echo: Echo = hideValueAt(path) ? 'kind' : 'value';
    switch (e.keyword) {
      case 'propertyNames': {
        const key = String(e.params['propertyName']);
        const why = keyRuleMessages.length > 0 ? keyRuleMessages.join('; ') : 'is not a valid key';
        emit('error', 'INVALID_VALUE', [...path, key], `invalid key ${JSON.stringify(key)}: ${why}`);
        keyRuleMessages = [];
        break;
      }
      case 'additionalProperties': {
        const key = String(e.params['additionalProperty']);
        const known = Object.keys((e.parentSchema?.['properties'] as Record<string, unknown> | undefined) ?? {});
        const suggestion = closest(key, known);
        emit(
          'error',
          'UNKNOWN_FIELD',
          [...path, key],
          `unknown field ${JSON.stringify(key)}${suggestion ? ` (did you mean ${JSON.stringify(suggestion)}?)` : ''}`,
        );
        break;
      }
      case 'not': {
        const what = e.parentSchema?.['x-berth-unsupported'];
        if (typeof what === 'string') emit('error', 'UNSUPPORTED_FIELD', path, what.startsWith('berth ') ? what : `not supported by berth: ${what}`);
        else emit('error', 'INVALID_VALUE', path, messageFor(e, echo));
        break;
      }
      case 'x-berth-ignored':
        ignored.push(path);
        emit('warning', 'IGNORED_FIELD', path, `ignored by berth: ${String(e.schema)}`);
        break;
      case 'x-berth-quantity':
        emit('error', 'INVALID_QUANTITY', path, quantityProblem(e.schema as QuantityKind, e.data) ?? 'is not a valid quantity');
        break;
      case 'required': {
        const missing = String(e.params['missingProperty']);
        emit('error', 'MISSING_FIELD', [...path, missing], `missing required field ${JSON.stringify(missing)}`);
        break;
      }
      case 'anyOf':
      case 'oneOf':
        if (explainedAt.has(e.instancePath)) break;
        emit('error', 'INVALID_VALUE', path, messageFor(e, echo));
        break;
      default: {
        const message = messageFor(e, echo);
        // schemas phrase some limits as unsupported features (a second container)
        emit('error', message.startsWith('not supported by berth') ? 'UNSUPPORTED_FIELD' : 'INVALID_VALUE', path, message);
      }
    }
  }
  if (omitted > 0) {
    const first = diagnostics[0];
    diagnostics.push({
      severity: diagnostics.some((d) => d.severity === 'error') ? 'error' : 'warning',
      code: first?.code ?? 'INVALID_VALUE',
      message: `${omitted} more problem(s) in this document not shown`,
      document,
      ...locate([]),
    });
  }
  return { diagnostics, ignored };
}

function isBranchError(e: SchemaError): boolean {
  return /\/(anyOf|oneOf)\/\d+\//.test(e.schemaPath);
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'a boolean (true or false)',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
};

function describeValue(data: unknown): string {
  if (data === null) return 'null';
  if (Array.isArray(data)) return 'a list';
  switch (typeof data) {
    case 'object':
      return 'a mapping';
    case 'string':
      return `string ${JSON.stringify(data.length > 40 ? `${data.slice(0, 40)}…` : data)}`;
    case 'number':
      return Number.isInteger(data) ? `integer ${data}` : `number ${data}`;
    case 'boolean':
      return `boolean ${data}`;
    default:
      return typeof data;
  }
}

/** What a message says about the value it got: the value, only its kind (it may be secret), or nothing. */
type Echo = 'value' | 'kind' | 'none';

/** The kind of a value without the value: `a string (value masked)`. */
function describeKind(data: unknown): string {
  const kind =
    data === null
      ? 'null'
      : Array.isArray(data)
        ? 'a list'
        : typeof data === 'object'
          ? 'a mapping'
          : typeof data === 'number'
            ? Number.isInteger(data)
              ? 'an integer'
              : 'a number'
            : `a ${typeof data}`;
  return `${kind} (value masked)`;
}

/** The message for one failing keyword: the schema's own `x-berth-messages` text, else a Kubernetes-like default. */
function messageFor(e: SchemaError, echo: Echo = 'value'): string {
  const custom = (e.parentSchema?.['x-berth-messages'] as Record<string, string> | undefined)?.[e.keyword];
  const got = echo === 'value' ? describeValue(e.data) : describeKind(e.data);
  if (custom) return echo !== 'none' && ['type', 'enum', 'pattern', 'minimum', 'maximum'].includes(e.keyword) ? `${custom}, got ${got}` : custom;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type': {
      const wanted = String(p['type'])
        .split(',')
        .map((t) => TYPE_NAMES[t] ?? t)
        .join(' or ');
      return `must be ${wanted}, got ${got}`;
    }
    case 'enum':
      return `must be one of ${(p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${got}`;
    case 'const':
      return `must be ${JSON.stringify(p['allowedValue'])}, got ${got}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${String(p['comparison'])} ${String(p['limit'])}, got ${got}`;
    case 'minLength':
      return Number(p['limit']) === 1 ? 'must not be empty' : `must be at least ${String(p['limit'])} characters long`;
    case 'maxLength':
      return `must be at most ${String(p['limit'])} characters long`;
    case 'minItems':
      return `must have at least ${String(p['limit'])} item(s)`;
    case 'maxItems':
      return `must have at most ${String(p['limit'])} item(s)`;
    case 'minProperties':
      return `must have at least ${String(p['limit'])} entr${Number(p['limit']) === 1 ? 'y' : 'ies'}`;
    case 'pattern':
      return `must match ${String(p['pattern'])}${echo !== 'none' ? `, got ${got}` : ''}`;
    default:
      return e.message ?? `fails ${e.keyword}`;
  }
}

/** The candidate nearest to `word` by edit distance, when it is close enough to be a likely typo. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  const threshold = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= threshold ? best : undefined;
}

/** Optimal string alignment distance: edits, with a swap of neighbours counting as one ("sepc" → "spec"). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

import type { Diagnostic } from '../core/index.js';
import type { FieldChange } from './change-set.js';

/**
 * Secret masking for change previews: the one place that decides what is secret.
 *
 * Rule: an env var whose NAME matches SECRET_NAME (case-insensitive: SECRET, PASSWORD,
 * PASSWD, TOKEN, API_KEY / APIKEY, PRIVATE, CREDENTIAL anywhere in the name, so
 * `DB_PASSWORD`, `GITHUB_TOKEN`, `stripeApiKey`, `AWS_SECRET_ACCESS_KEY`, `PRIVATE_KEY_PEM`)
 * has its value masked: compare() never copies the value into the ChangeSet, so no rendering
 * (text, Markdown, JSON) and no log of it can show it. Only the fact is shown: added,
 * removed, or "changed (value masked)".
 *
 * Validation messages can echo a value ("must be a string, got integer 12345"); for a
 * diagnostic located inside an env entry the echoed value is masked too, whatever the name,
 * because the name may be the part that failed to parse.
 *
 * An env var from a Secret (`valueFrom.secretKeyRef`) has no value in the desired state at
 * all, only its reference, which compare() shows as is: `secret db/password (file …)`.
 *
 * Not covered (documented in docs/pr-plans.md): values in command/args, labels and
 * annotations. Keep secrets out of those, and out of Git: a v1 Secret (by reference) is the way.
 */
export const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE|CREDENTIAL)/i;

export const MASKED = '(value masked)';

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * What a ChangeSet may hold for the value of env var `name`: the value itself, or nothing
 * (`masked`). compare() calls this for every env value it copies; nothing else copies one.
 */
export function maskedEnvValue(name: string, value: string | undefined): { readonly value?: string; readonly masked?: true } {
  if (value === undefined) return {};
  return isSecretName(name) ? { masked: true } : { value };
}

/** A diagnostic as a ChangeSet may hold it: a value echoed from inside an env entry is masked. */
export function maskDiagnostic(d: Diagnostic): Diagnostic {
  if (!d.field || !/(^|\.)env\[\d+\]/.test(d.field)) return d;
  const message = d.message.replace(/\bgot\b.*$/s, `got ${MASKED}`);
  return message === d.message ? d : { ...d, message };
}

/**
 * How a renderer shows one side of a field change: the value, or the mask. Every renderer
 * goes through this, so a masked field reads the same everywhere.
 */
export function shownValue(f: FieldChange, side: 'from' | 'to'): string {
  if (f.masked) return MASKED;
  return (side === 'from' ? f.from : f.to) ?? '';
}

/** One field change as a sentence fragment: `busybox:1.36 → busybox:1.37`, `changed (value masked)`. */
export function describeFieldChange(f: FieldChange): string {
  if (f.masked) return f.change === 'changed' ? `changed ${MASKED}` : `${f.change} ${MASKED}`;
  switch (f.change) {
    case 'added':
      return shownValue(f, 'to');
    case 'removed':
      return shownValue(f, 'from');
    case 'changed':
      return `${shownValue(f, 'from')} → ${shownValue(f, 'to')}`;
  }
}

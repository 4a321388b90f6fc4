/**
 * Reading commander's parsed option values (`cmd.opts()`, an untyped record) into typed fields,
 * once per command (the `…Options` parser of each command in commands/). Commander has already
 * refused every bad value the user can give (option-values.ts, `.choices`) and applied the
 * defaults; these readers only narrow the types. A value of the wrong type here is a flag
 * declared differently from how its command reads it: a bug, reported as one (exit 3), never
 * as a usage error.
 */

/** The option values commander hands an action (`cmd.opts()`), keyed by camel-cased flag name. */
export type ParsedFlags = Readonly<Record<string, unknown>>;

function misread(key: string, expected: string, value: unknown): Error {
  return new Error(
    `option ${key}: expected ${expected}, got ${JSON.stringify(value) ?? String(value)} (the flag is declared differently from how its command reads it)`,
  );
}

/** A flag with a value, always present (a default or a mandatory option). */
export function textFlag(flags: ParsedFlags, key: string): string {
  const value = flags[key];
  if (typeof value !== 'string') throw misread(key, 'a string', value);
  return value;
}

/** A flag with a value that may be absent. */
export function optionalTextFlag(flags: ParsedFlags, key: string): string | undefined {
  return flags[key] === undefined ? undefined : textFlag(flags, key);
}

/** A number flag (its parser returns a number; its default is one), always present. */
export function numberFlag(flags: ParsedFlags, key: string): number {
  const value = flags[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw misread(key, 'a number', value);
  return value;
}

/** A number flag that may be absent. */
export function optionalNumberFlag(flags: ParsedFlags, key: string): number | undefined {
  return flags[key] === undefined ? undefined : numberFlag(flags, key);
}

/** A boolean flag: given (true) or not (`absent`). A `--no-x` flag reads as `x`: true unless negated (pass `absent` true). */
export function booleanFlag(flags: ParsedFlags, key: string, absent = false): boolean {
  const value = flags[key];
  if (value === undefined) return absent;
  if (typeof value !== 'boolean') throw misread(key, 'true or false', value);
  return value;
}

/** A repeatable flag collected into a list (empty when not given). */
export function listFlag(flags: ParsedFlags, key: string): string[] {
  const value = flags[key];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw misread(key, 'a list of strings', value);
  return [...value];
}

/** A flag limited to `choices` (commander's `.choices`), always present. */
export function choiceFlag<T extends string>(flags: ParsedFlags, key: string, choices: readonly T[]): T {
  const value = textFlag(flags, key);
  if (!(choices as readonly string[]).includes(value)) throw misread(key, `one of ${choices.join(', ')}`, value);
  return value as T;
}

/** A flag limited to `choices` that may be absent. */
export function optionalChoiceFlag<T extends string>(flags: ParsedFlags, key: string, choices: readonly T[]): T | undefined {
  return flags[key] === undefined ? undefined : choiceFlag(flags, key, choices);
}

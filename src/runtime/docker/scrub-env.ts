/**
 * An engine error about a container may quote its configuration: runc refused an env value
 * with a NUL as `environment variable value can't contain null(\x00): "CANARY=abc\x00secret…"`,
 * and that message went into the Deployment's status, the API and the log (#15). Env values
 * can be secrets (secretKeyRef), so every message berth builds from an engine error about a
 * container passes through here first: each env value, in the forms an engine quotes it (raw,
 * JSON-escaped, Go-%q-escaped, and its pieces between control characters), and every
 * `NAME=…` of the container's env, become `<redacted>`. Pure.
 */
export const REDACTED = '<redacted>';

/** Pieces shorter than this are not searched for on their own (they would redact ordinary words); `NAME=…` still covers them. */
const MIN_PIECE = 4;

export function scrubEnv(message: string, env: readonly { readonly name: string; readonly value: string }[]): string {
  const needles = new Set<string>();
  for (const { value } of env) {
    for (const form of [value, jsonEscaped(value), goQuoted(value), ...value.split(/[\u0000-\u001f\u007f]+/)]) {
      if (form.length >= MIN_PIECE) needles.add(form);
    }
  }
  let out = message;
  for (const needle of [...needles].sort((a, b) => b.length - a.length)) out = out.split(needle).join(REDACTED);
  for (const { name } of env) {
    if (name === '') continue;
    // NAME= followed by whatever an engine prints of the value: up to a quote, or the end of the line.
    out = out.replace(new RegExp(`${escapeRegExp(name)}=(?:\\\\.|[^"'\\n])*`, 'g'), `${name}=${REDACTED}`);
  }
  return out;
}

function jsonEscaped(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/** Go's strconv.Quote without the quotes (what runc and the engine print with %q). */
function goQuoted(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

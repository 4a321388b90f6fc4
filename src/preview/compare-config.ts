import { immutableConfigMapChanged, utf8Length, base64Length } from '../manifests/index.js';
import { byCodeUnit, type Diagnostic } from '../core/index.js';
import type { DesiredConfigMap, DesiredDeployment } from '../desired/index.js';
import type { ConfigMapChange, FieldChange, ServingVersion } from './change-set.js';
import { maskedEnvValue } from './mask.js';

/**
 * compare() for ConfigMaps: base against head, by name, one line each. A ConfigMap is not
 * secret, so its values may be shown, but short (SHOWN_CHARS): a plan is read by people. A key
 * whose name looks secret (mask.ts) is masked anyway, in case a secret was put in the wrong place.
 */

/** Characters of a value shown before it is cut (with its size in bytes). */
export const SHOWN_CHARS = 40;

export function compareConfigMaps(
  base: readonly DesiredConfigMap[],
  head: readonly DesiredConfigMap[],
  deployments: readonly DesiredDeployment[],
): ConfigMapChange[] {
  const names = [...new Set([...base.map((c) => c.name), ...head.map((c) => c.name)])].sort(byCodeUnit);
  return names.map((name): ConfigMapChange => {
    const b = base.find((c) => c.name === name);
    const h = head.find((c) => c.name === name);
    const users = deployments.filter((d) => d.template.configMaps?.[name] !== undefined).map((d) => d.name);
    const sides = { ...(b ? { base: version(b, []) } : {}), ...(h ? { head: version(h, users) } : {}) };
    if (!h) return { kind: 'ConfigMap', name, change: 'removed', ...sides, fields: [] };
    const fields = configMapFields(b, h);
    if (!b) return { kind: 'ConfigMap', name, change: 'added', ...sides, fields };
    return { kind: 'ConfigMap', name, change: fields.length > 0 ? 'changed' : 'unchanged', ...sides, fields };
  });
}

/** Warnings for immutable ConfigMaps of the base whose content the head changes (see immutableConfigMapChanged). */
export function immutableChanges(namespace: string, base: readonly DesiredConfigMap[], head: readonly DesiredConfigMap[]): Diagnostic[] {
  return head.flatMap((h) => {
    const b = base.find((c) => c.name === h.name);
    return b && b.immutable && b.hash !== h.hash ? [immutableConfigMapChanged(namespace, h.name, b.source, h.source)] : [];
  });
}

/** `2 keys (data: a, b), used by web, api`. */
function version(c: DesiredConfigMap, users: readonly string[]): ServingVersion {
  const data = Object.keys(c.content.data).sort(byCodeUnit);
  const binary = Object.keys(c.content.binaryData).sort(byCodeUnit);
  const keys = data.length + binary.length;
  const parts = [data.length > 0 ? `data: ${data.join(', ')}` : '', binary.length > 0 ? `binaryData: ${binary.join(', ')}` : ''].filter(Boolean);
  const used = users.length > 0 ? `, used by ${users.join(', ')}` : ', used by no Deployment';
  return {
    description: `${keys} key${keys === 1 ? '' : 's'}${parts.length > 0 ? ` (${parts.join('; ')})` : ''}${c.immutable ? ', immutable' : ''}${used}`,
    source: c.source,
  };
}

function configMapFields(b: DesiredConfigMap | undefined, h: DesiredConfigMap): FieldChange[] {
  const out: FieldChange[] = [];
  const push = (field: string, from: string | undefined, to: string | undefined, masked = false): void => {
    if (from === to) return;
    const change: FieldChange['change'] = from === undefined ? 'added' : to === undefined ? 'removed' : 'changed';
    out.push(masked ? { field, change, masked: true } : { field, change, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
  };
  const keys = (r: Readonly<Record<string, string>> | undefined): string[] => Object.keys(r ?? {});
  for (const key of [...new Set([...keys(b?.content.data), ...keys(h.content.data)])].sort(byCodeUnit)) {
    const from = b?.content.data[key];
    const to = h.content.data[key];
    if (from === to) continue;
    const masked = maskedEnvValue(key, to ?? from ?? '').masked === true;
    const shownFrom = from === undefined ? undefined : shortValue(from);
    const shownTo = to === undefined ? undefined : shortValue(to);
    // Two long values alike in their first characters (and size) still differ: never show one text twice.
    push(`data.${key}`, shownFrom, shownTo !== undefined && shownTo === shownFrom ? `${shownTo} (changed further on)` : shownTo, masked);
  }
  for (const key of [...new Set([...keys(b?.content.binaryData), ...keys(h.content.binaryData)])].sort(byCodeUnit)) {
    const from = b?.content.binaryData[key];
    const to = h.content.binaryData[key];
    if (from === to) continue;
    const size = (v: string | undefined): string | undefined => (v === undefined ? undefined : `${base64Length(v) ?? '?'} bytes`);
    push(`binaryData.${key}`, size(from), from !== undefined && to !== undefined && size(from) === size(to) ? `${size(to)} (changed)` : size(to));
  }
  if (b) push('immutable', String(b.immutable), String(h.immutable));
  else if (h.immutable) push('immutable', undefined, 'true');
  return out;
}

/** A value on one line, at most SHOWN_CHARS characters of it: `"listen 80;\n…" (1234 bytes)`. */
export function shortValue(value: string): string {
  const cut = value.length > SHOWN_CHARS;
  const shown = JSON.stringify(cut ? value.slice(0, SHOWN_CHARS) : value);
  return cut ? `${shown.slice(0, -1)}…" (${utf8Length(value)} bytes)` : shown;
}

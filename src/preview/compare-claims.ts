import { byCodeUnit } from '../core/index.js';
import type { DesiredVolume } from '../desired/index.js';
import type { ClaimChange, FieldChange, ServingVersion } from './change-set.js';
import { CONFIRM_VOLUME_DELETE_TRAILER } from '../plan/index.js';

/**
 * compare() for PersistentVolumeClaims: base against head, by name. A claim added creates its
 * volume; a claim removed keeps its volume and data (orphaned, plan/volumes.ts), which the line
 * says, so a reviewer never reads "removed" as "deleted"; a changed size or class is shown, and
 * the existing volume is kept as it is.
 */
export function compareClaims(base: readonly DesiredVolume[], head: readonly DesiredVolume[]): ClaimChange[] {
  const names = [...new Set([...base.map((v) => v.name), ...head.map((v) => v.name)])].sort(byCodeUnit);
  return names.map((name): ClaimChange => {
    const b = base.find((v) => v.name === name);
    const h = head.find((v) => v.name === name);
    const sides = { ...(b ? { base: version(b, !h) } : {}), ...(h ? { head: version(h, false) } : {}) };
    if (!h) return { kind: 'PersistentVolumeClaim', name, change: 'removed', ...sides, fields: [] };
    const fields = [
      fieldChange('storage', b?.storage, h.storage),
      fieldChange('storageClassName', b && className(b), className(h)),
      fieldChange('accessModes', b?.accessModes.join(', '), h.accessModes.join(', ')),
    ].filter((f): f is FieldChange => f !== undefined);
    return { kind: 'PersistentVolumeClaim', name, change: !b ? 'added' : fields.length > 0 ? 'changed' : 'unchanged', ...sides, fields };
  });
}

function className(v: DesiredVolume): string {
  return v.storageClass ?? '(local driver)';
}

function version(v: DesiredVolume, removed: boolean): ServingVersion {
  const what = `volume ${v.volumeName}: ${v.storage}, ${v.accessModes.join(', ')}, ${v.storageClass ? `storage class ${v.storageClass}` : 'local driver'}`;
  return {
    description: removed
      ? `${what}; the volume and its data are kept (orphaned) until berth volume delete ${v.namespace}/${v.name} or a commit trailer "${CONFIRM_VOLUME_DELETE_TRAILER}: ${v.namespace}/${v.name}"`
      : what,
    source: v.source,
  };
}

function fieldChange(field: string, from: string | undefined, to: string): FieldChange | undefined {
  if (from === to) return undefined;
  if (from === undefined) return { field, change: 'added', to };
  return { field, change: 'changed', from, to };
}

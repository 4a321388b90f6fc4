import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../files/index.js';
import type { NamespaceTable } from './control.js';
import { isNamespaceTable } from './table-validation.js';

/**
 * What the proxy persists so a restarted proxy serves at once, before the reconciler's next
 * pass: every namespace's table and the drained backend ids (a restart must not put a
 * draining replica back into rotation).
 */
/** The data plane's persisted tables, in the state directory (`berth plan` reads the Service addresses from it). */
export const PROXY_TABLE_FILE = 'proxy-table.json';

/** Service name → virtual address, per namespace, as the persisted tables hold them. */
export async function persistedClusterIps(path: string): Promise<Map<string, Map<string, string>>> {
  const state = await loadProxyState(path).catch(() => ({ namespaces: [] as NamespaceTable[] }));
  return new Map(state.namespaces.map((t) => [t.namespace, new Map(t.services.flatMap((s) => (s.clusterIP ? [[s.name, s.clusterIP] as const] : [])))]));
}

export interface ProxyState {
  readonly namespaces: readonly NamespaceTable[];
  readonly draining: readonly string[];
}

const VERSION = 1;

/**
 * Reads the state file. A missing file is an empty state; an unreadable one throws (the
 * caller logs it and starts empty: the reconciler pushes every table again on its next pass).
 * Invalid tables inside are skipped.
 */
export async function loadProxyState(path: string): Promise<ProxyState & { skipped: number }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { namespaces: [], draining: [], skipped: 0 };
    throw err;
  }
  const data = JSON.parse(text) as { version?: unknown; namespaces?: unknown; draining?: unknown };
  if (data.version !== VERSION) throw new Error(`unknown proxy state version ${String(data.version)}`);
  const all = Array.isArray(data.namespaces) ? data.namespaces : [];
  const namespaces = all.filter(isNamespaceTable);
  const draining = Array.isArray(data.draining) ? data.draining.filter((d): d is string => typeof d === 'string') : [];
  return { namespaces, draining, skipped: all.length - namespaces.length };
}

/** Crash-safe replace (files/atomic-write.ts): never a torn file. */
export async function saveProxyState(path: string, state: ProxyState): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify({ version: VERSION, ...state }, null, 1)}\n`);
}

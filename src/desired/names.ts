/**
 * Deterministic engine names (DESIGN §2). The default instance uses the bare names; another
 * instance (tests, a second berth on the same engine) prefixes its own name so two never
 * collide: `<namespace>.<name>.<revision>.<n>`, `berth.<namespace>`.
 */
export const DEFAULT_INSTANCE = 'default';

function prefix(instance: string): string {
  return instance === DEFAULT_INSTANCE ? '' : `${instance}.`;
}

export function containerName(instance: string, namespace: string, name: string, revision: string, replica: number): string {
  return `${prefix(instance)}${namespace}.${name}.${revision}.${replica}`;
}

export function networkName(instance: string, namespace: string): string {
  return `berth.${prefix(instance)}${namespace}`;
}

/**
 * The Kubernetes Pod Security Standards levels, as berth applies them, and the label a
 * Namespace selects its level with (Kubernetes' own: `pod-security.kubernetes.io/enforce`).
 */

export const POD_SECURITY_LEVELS = ['restricted', 'baseline', 'privileged'] as const;

/** `restricted` < `baseline` < `privileged`: each allows everything the one before it does, and more. */
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];

/** The label of a `v1 Namespace` (namespace.yaml) that selects its level. */
export const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';

/** What a namespace without the label gets, and the operator's ceiling unless told otherwise. */
export const DEFAULT_POD_SECURITY_LEVEL: PodSecurityLevel = 'restricted';

export function isPodSecurityLevel(value: unknown): value is PodSecurityLevel {
  return typeof value === 'string' && (POD_SECURITY_LEVELS as readonly string[]).includes(value);
}

/** Is `level` more permissive than `ceiling`? */
export function exceeds(level: PodSecurityLevel, ceiling: PodSecurityLevel): boolean {
  return POD_SECURITY_LEVELS.indexOf(level) > POD_SECURITY_LEVELS.indexOf(ceiling);
}

/**
 * Capabilities a container may add at level baseline: Kubernetes' baseline list (the
 * container runtimes' default set). At restricted only NET_BIND_SERVICE; at privileged any.
 */
export const BASELINE_CAPABILITIES: ReadonlySet<string> = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

export const RESTRICTED_CAPABILITIES: ReadonlySet<string> = new Set(['NET_BIND_SERVICE']);

/** `cap_net_admin`, `CAP_NET_ADMIN`, `NET_ADMIN` → `NET_ADMIN`. */
export function capabilityName(name: string): string {
  return name.toUpperCase().replace(/^CAP_/, '');
}

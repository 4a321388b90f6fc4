/**
 * Every diagnostic code the policy module emits (all errors: the namespace is then invalid
 * and left as it runs). docs/errors.md documents each (a test checks it).
 */
export const POLICY_DIAGNOSTICS = {
  POLICY_DENIED: {
    summary:
      "A Deployment asks for something its namespace's pod-security level, or the operator's configuration, does not allow (privileged, host namespaces, added capabilities, seccomp Unconfined, a hostPath outside --host-path-allow or at level restricted, the Docker socket; at an explicit restricted level also root, privilege escalation, capabilities not dropped). Reported on the field, with the level and how to relax it.",
  },
  POLICY_LEVEL_INVALID: { summary: 'The pod-security.kubernetes.io/enforce label of a Namespace is not restricted, baseline or privileged.' },
  POLICY_LEVEL_ABOVE_CEILING: {
    summary:
      "A Namespace selects a pod-security level above the operator's ceiling (--max-pod-security, default restricted). Reported on the label; nothing in the namespace is applied.",
  },
  STORAGE_CLASS_UNKNOWN: {
    summary:
      "A PersistentVolumeClaim's storageClassName names a class the operator did not define (--storage-class NAME=driver[,opt=value...]; `local` is always defined). Reported on the field; nothing in the namespace is applied.",
  },
} as const satisfies Record<string, { summary: string }>;

export type PolicyDiagnosticCode = keyof typeof POLICY_DIAGNOSTICS;

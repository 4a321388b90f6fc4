import type { Diagnostic } from '../core/index.js';
import type {
  Container,
  WorkloadManifest,
  FieldPositions,
  NamespaceManifest,
  NamespaceManifests,
  PersistentVolumeClaimManifest,
  PodSecurityContext,
  SourceLocation,
} from '../manifests/index.js';
import { isWorkload, podContainers } from '../manifests/index.js';
import type { PolicyDiagnosticCode } from './codes.js';
import {
  BASELINE_CAPABILITIES,
  capabilityName,
  DEFAULT_POD_SECURITY_LEVEL,
  ENFORCE_LABEL,
  exceeds,
  isPodSecurityLevel,
  POD_SECURITY_LEVELS,
  RESTRICTED_CAPABILITIES,
  type PodSecurityLevel,
} from './levels.js';
import { ENGINE_SOCKETS, isWithin, normalizeAbsolute, storageClassOf, type OperatorPolicy } from './operator.js';

/** The level a namespace runs at, and whether its namespace.yaml says so (or it is berth's default). */
export interface NamespaceLevel {
  readonly level: PodSecurityLevel;
  readonly explicit: boolean;
}

/**
 * The policy diagnostics of one namespace folder: errors only; none when everything is
 * allowed. A folder already invalid is checked over the objects that parsed (`reportOnly`), so
 * its report has every problem at once; it stays invalid either way. Pure.
 *
 * 1. The level: the Namespace's `pod-security.kubernetes.io/enforce` label, else berth's
 *    default (restricted). A value that is not a level, or a level above the operator's
 *    ceiling, is an error on the label, and nothing else is checked.
 * 2. Each Deployment against the level (checkPod), each violation an error on its field.
 *    (A persistentVolumeClaim volume is allowed at every level, restricted included, as in
 *    Kubernetes' Pod Security Standards: it names data berth owns, not a host path.)
 * 3. Each PersistentVolumeClaim's storageClassName against the operator's classes.
 */
export function checkNamespacePolicy(ns: NamespaceManifests, operator: OperatorPolicy): Diagnostic[] {
  // An invalid folder is still checked, over what parsed, so its policy errors show with its others.
  const objects = ns.valid ? ns.objects : (ns.reportOnly ?? []);
  const namespaceObject = objects.find((o): o is NamespaceManifest => o.kind === 'Namespace');
  const selected = levelOf(ns.name, namespaceObject, operator);
  if ('diagnostic' in selected) return [selected.diagnostic];
  const out: Diagnostic[] = [];
  for (const object of objects) {
    if (object.kind === 'PersistentVolumeClaim') out.push(...checkStorageClass(ns.name, object, operator));
    if (object.kind === 'StatefulSet')
      (object.spec.volumeClaimTemplates ?? []).forEach((t, i) =>
        out.push(...checkStorageClass(ns.name, { ...t, source: object.source, positions: object.positions }, operator, `spec.volumeClaimTemplates[${i}].`)),
      );
    if (!isWorkload(object)) continue;
    for (const v of checkPod(object, selected, operator)) out.push(located(ns.name, object.source, object.positions, v.field, 'POLICY_DENIED', v.message));
  }
  return out;
}

/** A NamespaceManifests check with the operator's configuration bound: what buildDesiredState's `policy` option takes. */
export function namespacePolicy(operator: OperatorPolicy): (ns: NamespaceManifests) => Diagnostic[] {
  return (ns) => checkNamespacePolicy(ns, operator);
}

/** A claim may name only a storage class the operator defined (`--storage-class`; `local` always is). */
function checkStorageClass(
  namespace: string,
  claim: Pick<PersistentVolumeClaimManifest, 'spec' | 'source' | 'positions'>,
  operator: OperatorPolicy,
  prefix = '',
): Diagnostic[] {
  const name = claim.spec.storageClassName;
  if (storageClassOf(operator, name) !== undefined) return [];
  const known = ['local', ...Object.keys(operator.storageClasses ?? {}).filter((n) => n !== 'local')].sort();
  const field = `${prefix}spec.storageClassName`;
  const p = claim.positions?.[field];
  return [
    {
      severity: 'error',
      code: 'STORAGE_CLASS_UNKNOWN',
      message: `storage class ${JSON.stringify(name)} is not defined by the operator (defined: ${known.join(', ')}); the operator defines classes with --storage-class ${name}=driver[,option=value...], or leave storageClassName out for the local driver`,
      file: claim.source.file,
      document: claim.source.document,
      namespace,
      field,
      line: p?.line ?? claim.source.line,
      ...(p ? { column: p.column } : {}),
    },
  ];
}

function levelOf(namespace: string, object: NamespaceManifest | undefined, operator: OperatorPolicy): NamespaceLevel | { diagnostic: Diagnostic } {
  const value = object?.metadata.labels?.[ENFORCE_LABEL];
  if (value === undefined || object === undefined) return { level: DEFAULT_POD_SECURITY_LEVEL, explicit: false };
  const field = `metadata.labels[${JSON.stringify(ENFORCE_LABEL)}]`;
  if (!isPodSecurityLevel(value)) {
    return {
      diagnostic: located(
        namespace,
        object.source,
        object.positions,
        field,
        'POLICY_LEVEL_INVALID',
        `must be one of ${POD_SECURITY_LEVELS.join(', ')}, got ${JSON.stringify(value)}`,
      ),
    };
  }
  if (exceeds(value, operator.maxLevel)) {
    return {
      diagnostic: located(
        namespace,
        object.source,
        object.positions,
        field,
        'POLICY_LEVEL_ABOVE_CEILING',
        `pod-security level ${JSON.stringify(value)} is above what the operator allows (${JSON.stringify(operator.maxLevel)}); nothing in namespace ${JSON.stringify(namespace)} is applied until the label asks for at most ${JSON.stringify(operator.maxLevel)} or berth runs with --max-pod-security ${value}`,
      ),
    };
  }
  return { level: value, explicit: true };
}

interface Violation {
  readonly field: string;
  readonly message: string;
}

const P = 'spec.template.spec';

/**
 * What a Deployment asks for that `level` does not allow, as Kubernetes' Pod Security
 * Standards define the levels, adapted to one Docker host:
 *
 *  - below privileged: no privileged containers, no host network/PID/IPC, seccomp not
 *    Unconfined, added capabilities only from the baseline list (restricted: only
 *    NET_BIND_SERVICE);
 *  - hostPath: never at restricted (as in Kubernetes); at baseline and privileged only inside
 *    the operator's allow-list (Kubernetes' baseline forbids hostPath outright: berth lets the
 *    operator decide which folders); the engine socket (or a folder holding it) only at
 *    privileged and when the operator allows it;
 *  - a namespace that *labels* itself restricted also demands what Kubernetes' restricted
 *    demands: running as non-root (runAsNonRoot: true, or a non-zero runAsUser), no privilege
 *    escalation (allowPrivilegeEscalation: false), every capability dropped (drop: [ALL]).
 *    berth's unlabelled default does not demand these, so manifests without a securityContext
 *    run as they always did. (The seccomp demand is met by construction: the engine applies
 *    its default profile unless a manifest asks for Unconfined, which is refused here.)
 */
export function checkPod(deployment: WorkloadManifest, ns: NamespaceLevel, operator: OperatorPolicy): Violation[] {
  const out: Violation[] = [];
  const pod = deployment.spec.template.spec;
  const at = describeLevel(ns);
  const deny = (field: string, what: string, needs: PodSecurityLevel): void => {
    out.push({ field, message: `${what} is not allowed at ${at}; it needs level ${needs}${relax(needs, operator)}` });
  };
  if (ns.level !== 'privileged') {
    if (pod.hostNetwork === true) deny(`${P}.hostNetwork`, "the host's network", 'privileged');
    if (pod.hostPID === true) deny(`${P}.hostPID`, "the host's process namespace", 'privileged');
    if (pod.hostIPC === true) deny(`${P}.hostIPC`, "the host's IPC namespace", 'privileged');
    if (pod.securityContext?.seccompProfile?.type === 'Unconfined') deny(`${P}.securityContext.seccompProfile.type`, 'seccomp Unconfined', 'privileged');
  }
  // Init containers run on this host with the same powers: the policy reads them as it reads the app.
  for (const c of podContainers(deployment.spec.template)) checkContainer(c.container, `${P}.${c.list}[${c.index}]`, pod.securityContext, ns, deny, out);
  (pod.volumes ?? []).forEach((v, i) => {
    if (!v.hostPath) return;
    const field = `${P}.volumes[${i}].hostPath.path`;
    const path = normalizeAbsolute(v.hostPath.path) ?? v.hostPath.path;
    const allowed = operator.hostPathAllow;
    if (ns.level === 'restricted') {
      deny(field, `hostPath volume ${JSON.stringify(v.hostPath.path)}`, 'baseline');
      if (!allowed.some((dir) => isWithin(dir, path)))
        out[out.length - 1] = { field, message: `${out[out.length - 1]!.message}; and the operator must allow the folder (--host-path-allow)` };
      return;
    }
    if (!allowed.some((dir) => isWithin(dir, path))) {
      out.push({
        field,
        message: `host path ${JSON.stringify(v.hostPath.path)} is outside the folders the operator allows (${allowed.length > 0 ? allowed.join(', ') : 'none'}); the operator allows folders with --host-path-allow`,
      });
      return;
    }
    const socket = engineSocketIn(path, operator);
    if (socket && !(ns.level === 'privileged' && operator.allowDockerSocket)) {
      out.push({
        field,
        message: `host path ${JSON.stringify(v.hostPath.path)} ${socket === path ? 'is' : 'holds'} the container engine's socket (${socket}): root on the host for whoever controls the container; allowed only at level privileged when the operator also runs berth with --allow-docker-socket`,
      });
    }
  });
  return out;
}

function checkContainer(
  c: Container,
  prefix: string,
  pod: PodSecurityContext | undefined,
  ns: NamespaceLevel,
  deny: (field: string, what: string, needs: PodSecurityLevel) => void,
  out: Violation[],
): void {
  const sc = c.securityContext;
  const scAt = `${prefix}.securityContext`;
  if (ns.level !== 'privileged') {
    if (sc?.privileged === true) deny(`${scAt}.privileged`, 'a privileged container', 'privileged');
    if (sc?.seccompProfile?.type === 'Unconfined') deny(`${scAt}.seccompProfile.type`, 'seccomp Unconfined', 'privileged');
    const allowed = ns.level === 'restricted' ? RESTRICTED_CAPABILITIES : BASELINE_CAPABILITIES;
    (sc?.capabilities?.add ?? []).forEach((cap, j) => {
      const name = capabilityName(cap);
      if (allowed.has(name)) return;
      const needs: PodSecurityLevel = ns.level === 'restricted' && BASELINE_CAPABILITIES.has(name) ? 'baseline' : 'privileged';
      deny(`${scAt}.capabilities.add[${j}]`, `adding capability ${name}`, needs);
    });
  }
  if (ns.level !== 'restricted' || !ns.explicit) return;
  // The demands of an explicit restricted level (Kubernetes' restricted profile).
  const demand = (field: string, what: string): void => {
    out.push({ field, message: `${describeLevel(ns)} demands ${what}` });
  };
  if (pod?.runAsUser === 0) demand(`${P}.securityContext.runAsUser`, 'a non-root user: runAsUser must not be 0');
  if (sc?.runAsUser === 0) demand(`${scAt}.runAsUser`, 'a non-root user: runAsUser must not be 0');
  const user = sc?.runAsUser ?? pod?.runAsUser;
  const nonRoot = sc?.runAsNonRoot ?? pod?.runAsNonRoot;
  if (sc?.runAsNonRoot === false) demand(`${scAt}.runAsNonRoot`, 'running as non-root: runAsNonRoot must not be false');
  else if (sc?.runAsNonRoot === undefined && pod?.runAsNonRoot === false)
    demand(`${P}.securityContext.runAsNonRoot`, 'running as non-root: runAsNonRoot must not be false');
  else if (nonRoot !== true && user === undefined)
    demand(prefix, 'running as non-root: set securityContext.runAsNonRoot: true or a non-zero runAsUser (on the container or the pod)');
  if (sc?.allowPrivilegeEscalation !== false) {
    demand(
      sc?.allowPrivilegeEscalation === true ? `${scAt}.allowPrivilegeEscalation` : prefix,
      'no privilege escalation: set securityContext.allowPrivilegeEscalation: false',
    );
  }
  if (!(sc?.capabilities?.drop ?? []).some((cap) => capabilityName(cap) === 'ALL')) {
    demand(
      sc?.capabilities?.drop !== undefined ? `${scAt}.capabilities.drop` : prefix,
      'dropping every capability: set securityContext.capabilities.drop: [ALL] (add back only NET_BIND_SERVICE)',
    );
  }
}

/** The engine socket `path` is or holds (a folder above it), if any. */
function engineSocketIn(path: string, operator: OperatorPolicy): string | undefined {
  const sockets = new Set<string>();
  for (const s of [...ENGINE_SOCKETS, ...(operator.engineSockets ?? [])]) {
    sockets.add(s);
    // /var/run is a link to /run on every current distribution: either spelling reaches the socket.
    if (s.startsWith('/var/run/')) sockets.add(s.slice('/var'.length));
    else if (s.startsWith('/run/')) sockets.add(`/var${s}`);
  }
  return [...sockets].sort().find((s) => isWithin(path, s));
}

function describeLevel(ns: NamespaceLevel): string {
  return ns.explicit
    ? `pod-security level ${JSON.stringify(ns.level)}`
    : `pod-security level ${JSON.stringify(ns.level)} (berth's default: the namespace has no ${ENFORCE_LABEL} label)`;
}

/** How to get `needs`: the namespace label, and the operator's ceiling when it is lower. */
function relax(needs: PodSecurityLevel, operator: OperatorPolicy): string {
  const label = `label the Namespace (namespace.yaml) ${ENFORCE_LABEL}: ${needs}`;
  return exceeds(needs, operator.maxLevel) ? `: ${label}, which the operator must allow (--max-pod-security ${needs}; now ${operator.maxLevel})` : `: ${label}`;
}

function located(
  namespace: string,
  source: SourceLocation,
  positions: FieldPositions | undefined,
  field: string,
  code: PolicyDiagnosticCode,
  message: string,
): Diagnostic {
  const p = positions?.[field];
  return {
    severity: 'error',
    code,
    message,
    file: source.file,
    document: source.document,
    namespace,
    field,
    line: p?.line ?? source.line,
    ...(p ? { column: p.column } : {}),
  };
}

/**
 * The one place label keys are spelled. Observed state is rebuilt from these labels alone,
 * so a restarted reconciler needs no memory to find what it owns (Compose does the same
 * with com.docker.compose.*). Nothing without `berth.managed=true` is ever touched.
 */
export const LABEL = {
  managed: 'berth.managed',
  /** Which berth installation owns the object (`--instance`, default `default`). */
  instance: 'berth.instance',
  namespace: 'berth.namespace',
  kind: 'berth.kind',
  name: 'berth.name',
  /** Hash of the normalized pod template, like Kubernetes' pod-template-hash. */
  revision: 'berth.revision',
  /** The commit that introduced the revision. */
  commit: 'berth.commit',
  /** Replica ordinal, 0-based. */
  replica: 'berth.replica',
  /**
   * The template's probes as canonical JSON (only when it has any), so probing — and with it
   * readiness and the data plane's routes — can be rebuilt from labels after a restart.
   */
  probes: 'berth.probes',
  /** Named container ports as canonical JSON `{ name: containerPort }` (only when any is named), for Services' named targetPorts. */
  ports: 'berth.ports',
  /**
   * A container on the host's network: its ports as JSON `["8080/tcp", …]`. The engine reports
   * no published ports for it; the driver reports these, on 127.0.0.1 at the same number.
   */
  hostPorts: 'berth.host-ports',
  /**
   * The ConfigMaps the template uses as canonical JSON `{ name: content hash }` (only when it
   * uses any), so `berth plan --live` can say which ConfigMap makes a running Deployment roll.
   */
  configMaps: 'berth.configmaps',
  /** A claim's volume: spec.resources.requests.storage as written (recorded; the local driver cannot enforce a size). */
  storage: 'berth.storage',
  /** A claim's volume: the storage class it was created with (absent: the local driver). */
  storageClass: 'berth.storage-class',
  /** A claim's volume: its access modes, comma-separated. */
  accessModes: 'berth.access-modes',
  /** On the instance claim (instance-claim.ts): the state directory, and the host, of the berth that holds the instance. */
  stateDir: 'berth.state-dir',
  host: 'berth.host',
  /**
   * `namespace`: the replica resolves through the namespace DNS of the data plane (created with
   * `Dns` set to its gateway), which must therefore keep running while the replica does.
   */
  dns: 'berth.dns',
  /**
   * On a container that replaced an exited replica of its slot: how many restarts its slot has
   * had (this one included) and when this one was made (ISO time). The replacement is a new
   * container, so the record lives on it, as Kubernetes' restartCount lives in pod status: a
   * restarted berth continues the crash back-off and the CrashLoop count from these labels.
   */
  restarts: 'berth.restarts',
  restartedAt: 'berth.restarted-at',
  /**
   * On an init container: its name. It carries its replica's labels (slot, revision, restart
   * record), so one that failed — kept, exited — is that replica as a later pass sees it: down,
   * replaced with the crash back-off (init containers run again), a CrashLoop after enough tries.
   */
  init: 'berth.init',
  /** On an app container: the template's container name (`berth logs -c`, `berth get pods`). */
  container: 'berth.container',
  /**
   * On the infra container of a replica with several containers (desired/pod.ts): the names of
   * its containers in start order, comma-separated. A replica missing one of them, or with one
   * that exited, is down as a whole and replaced (with the crash back-off).
   */
  pod: 'berth.pod',
  /** On a container of such a replica: its name in the template. It carries the replica's labels, and `berth.container` too. */
  member: 'berth.member',
  /** On a member that is a native sidecar (`true`): started first, stopped last. */
  sidecar: 'berth.sidecar',
  /**
   * On a StatefulSet's replica (berth.kind StatefulSet): the hash of the fields Kubernetes forbids
   * changing (volumeClaimTemplates, serviceName, podManagementPolicy, selector), so a commit that
   * changes them is refused against what runs (rollout/stateful-step.ts statefulHold).
   */
  fixed: 'berth.fixed',
  /** On the volume of a StatefulSet's claim template: the StatefulSet (its ordinal is berth.replica). */
  statefulSet: 'berth.statefulset',
  /** Reported, never written: the node a replica runs on (a cluster driver's inventory adds it). */
  node: 'berth.node',
} as const;

export type Labels = Readonly<Record<string, string>>;

/** The pod template's own labels on a replica: its labels without berth's (what Service selectors and affinity terms match). */
export function podLabelsOf(labels: Labels): Record<string, string> {
  // for…in, not Object.entries: observe() asks this of every container in every pass (no pair arrays).
  const out: Record<string, string> = {};
  for (const k in labels) if (!k.startsWith('berth.') && Object.hasOwn(labels, k)) out[k] = labels[k] as string;
  return out;
}

export function isOwned(labels: Labels | undefined, instance: string): boolean {
  return labels?.[LABEL.managed] === 'true' && (labels[LABEL.instance] ?? 'default') === instance;
}

/** Label filter strings for the engine API (`key=value`). */
export function ownedFilter(instance: string, namespace?: string): string[] {
  const filters = [`${LABEL.managed}=true`, `${LABEL.instance}=${instance}`];
  if (namespace !== undefined) filters.push(`${LABEL.namespace}=${namespace}`);
  return filters;
}

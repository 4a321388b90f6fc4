import { byCodeUnit, memoByText } from '../core/index.js';
import { LABEL, podLabelsOf, type Inventory, type OwnedContainer } from '../runtime/index.js';
import type { ObserveMemo, PreviousNamespace, Remembered } from './observe-memo.js';
import type {
  ObservedDeployment,
  ObservedEmptyDir,
  ObservedMember,
  ObservedNamespace,
  ObservedNetwork,
  ObservedReplica,
  ObservedState,
  ObservedStray,
  ObservedVolume,
} from './types.js';

interface NamespaceDraft {
  network?: ObservedNetwork;
  volumes?: ObservedVolume[];
  emptyDirs?: ObservedEmptyDir[];
  strays?: ObservedStray[];
  /** With a memo: what it built this namespace as last time. */
  previous?: PreviousNamespace;
  /** How many of its containers are `previous`'s replicas, unchanged; `changed`: one is not, or is a Pod, a member or a stray. */
  kept: number;
  changed: boolean;
  /** Whether it is `previous` again (decided once the list is read). */
  same?: boolean;
  /** Filled only for a namespace built anew: its replicas in list order, and the memo's among them. */
  replicas?: ObservedReplica[];
  remembered?: Remembered[];
}

/**
 * Driver inventory → ObservedState, from labels alone (no raw inspect diffing). Pure but for
 * `memo`: the daemon's, kept for its engine between calls (ObserveMemo); the result is the same
 * with or without it. Owned objects without a namespace label cannot be placed and are ignored
 * here (the driver only lists owned objects, which always carry it). A namespace that holds only
 * volumes (its folder left Git) is still observed: its volumes are reported as orphaned.
 */
export function observe(inventory: Inventory, memo?: ObserveMemo): ObservedState {
  const namespaces = new Map<string, NamespaceDraft>();
  const draft = (name: string): NamespaceDraft => {
    let d = namespaces.get(name);
    if (!d) {
      const previous = memo?.previous(name);
      d = previous ? { previous, kept: 0, changed: false } : { kept: 0, changed: true };
      namespaces.set(name, d);
    }
    return d;
  };
  for (const network of inventory.networks) {
    const ns = network.labels[LABEL.namespace];
    if (ns) {
      draft(ns).network = {
        id: network.id,
        name: network.name,
        ...(network.subnet ? { subnet: network.subnet } : {}),
        ...(network.gateway ? { gateway: network.gateway } : {}),
        ...(network.bridge ? { bridge: network.bridge } : {}),
      };
    }
  }
  for (const volume of inventory.volumes ?? []) {
    // A volume is data: one whose labels do not say which claim it is, is left alone (never a stray).
    const ns = volume.labels[LABEL.namespace];
    const claim = volume.labels[LABEL.name];
    if (ns && claim && volume.labels[LABEL.kind] === 'EmptyDir') {
      const revision = volume.labels[LABEL.revision];
      const replica = Number(volume.labels[LABEL.replica]);
      if (revision && Number.isInteger(replica)) (draft(ns).emptyDirs ??= []).push({ volumeName: volume.name, deployment: claim, revision, replica });
      continue;
    }
    if (!ns || !claim || volume.labels[LABEL.kind] !== 'PersistentVolumeClaim') continue;
    const storageClass = volume.labels[LABEL.storageClass];
    const storage = volume.labels[LABEL.storage];
    const owner = volume.labels[LABEL.statefulSet];
    const ordinal = Number(volume.labels[LABEL.replica]);
    (draft(ns).volumes ??= []).push({
      ...(owner && Number.isInteger(ordinal) && ordinal >= 0 ? { statefulSet: { name: owner, ordinal } } : {}),
      name: claim,
      volumeName: volume.name,
      driver: volume.driver,
      ...(storageClass ? { storageClass } : {}),
      ...(storage ? { storage } : {}),
    });
  }
  const members: { container: OwnedContainer; ns: string }[] = [];
  const pods = new Map<string, { replica: ObservedReplica; containers: readonly string[] }>();
  /** Replicas the memo does not hold (without one, all; with one, Pods' infra containers), with their place in the list. */
  const others: { position: number; replica: ObservedReplica }[] = [];
  const containers = inventory.containers;
  memo?.begin(containers.length);
  for (let position = 0; position < containers.length; position++) {
    const container = containers[position]!;
    // Unchanged since the last call: its labels (fixed) were read then.
    const known = memo?.knownAt(position, container);
    if (known !== undefined) {
      const d = draft(known.replica.namespace);
      if (d.previous !== undefined && known.in === d.previous.observed) d.kept++;
      else d.changed = true;
      continue;
    }
    const ns = container.labels[LABEL.namespace];
    if (!ns) continue;
    const d = draft(ns);
    d.changed = true;
    if (container.labels[LABEL.member] !== undefined) {
      members.push({ container, ns });
      continue;
    }
    const pod = container.labels[LABEL.pod];
    if (memo && pod === undefined) {
      // Remembered (read back from the memo below), unless a stray.
      const remembered = memo.rememberAt(position, container, ns, toReplica);
      if ('reason' in remembered) (d.strays ??= []).push(remembered);
      continue;
    }
    // A Pod's infra container is never remembered: its members are joined to it below, per call.
    const replica = toReplica(container, ns);
    if ('reason' in replica) {
      (d.strays ??= []).push(replica);
      continue;
    }
    if (pod !== undefined) pods.set(slotKey(container.labels), { replica, containers: pod.split(',').filter((n) => n !== '') });
    others.push({ position, replica });
  }
  // A namespace is built anew unless it is the last call's again.
  let rebuild = false;
  for (const d of namespaces.values()) {
    d.emptyDirs?.sort((a, b) => byCodeUnit(a.volumeName, b.volumeName));
    d.volumes?.sort((a, b) => byCodeUnit(a.name, b.name) || byCodeUnit(a.volumeName, b.volumeName));
    const previous = d.previous;
    d.same =
      previous !== undefined &&
      !d.changed &&
      d.kept === previous.replicas &&
      previous.observed.strays.length === 0 &&
      sameSurroundings(previous.observed, d.network, d.emptyDirs, d.volumes);
    if (!d.same) rebuild = true;
  }
  // The replicas of those built anew, in list order.
  if (rebuild) {
    let next = 0;
    for (let position = 0; position < containers.length; position++) {
      const remembered = memo?.at(position);
      const other = others[next]?.position === position ? others[next++]!.replica : undefined;
      const replica = remembered?.replica ?? other;
      if (replica === undefined) continue;
      const d = namespaces.get(replica.namespace)!;
      if (d.same) continue;
      (d.replicas ??= []).push(replica);
      if (remembered) (d.remembered ??= []).push(remembered);
    }
  }
  memo?.end();
  // A Pod's containers join its infra container; one whose infra container is gone is a stray.
  const byPod = new Map<string, ObservedMember[]>();
  for (const { container: c, ns } of members) {
    const key = slotKey(c.labels);
    if (!pods.has(key)) {
      (draft(ns).strays ??= []).push({ id: c.id, name: c.name, namespace: ns, reason: 'a container of a pod whose infra container is gone' });
      continue;
    }
    const list = byPod.get(key) ?? [];
    list.push(toMember(c));
    byPod.set(key, list);
  }
  for (const [key, { replica, containers }] of pods) {
    const found = byPod.get(key) ?? [];
    const ordered = [...found].sort((a, b) => orderOf(containers, a.container) - orderOf(containers, b.container) || byCodeUnit(a.created, b.created));
    Object.assign(replica, { members: ordered, ...podState(replica, containers, ordered) });
  }
  return {
    namespaces: [...namespaces.entries()]
      .sort(([a], [b]) => byCodeUnit(a, b))
      .map(([name, d]): ObservedNamespace => {
        if (d.same) return d.previous!.observed;
        const observed: ObservedNamespace = {
          name,
          ...(d.network ? { network: d.network } : {}),
          ...(d.emptyDirs ? { emptyDirs: d.emptyDirs } : {}),
          ...(d.volumes ? { volumes: d.volumes } : {}),
          deployments: deploymentsOf(name, d.replicas ?? []),
          strays: (d.strays ?? []).sort((a, b) => byCodeUnit(a.name, b.name)),
        };
        memo?.built(observed, d.remembered ?? []);
        return observed;
      }),
  };
}

/** Replicas grouped by Deployment, both sorted (names; revision, ordinal, creation). */
function deploymentsOf(namespace: string, replicas: readonly ObservedReplica[]): ObservedDeployment[] {
  const byName = new Map<string, ObservedReplica[]>();
  for (const r of replicas) {
    const list = byName.get(r.deployment);
    if (list) list.push(r);
    else byName.set(r.deployment, [r]);
  }
  return [...byName.entries()]
    .sort(([a], [b]) => byCodeUnit(a, b))
    .map(
      ([deployment, list]): ObservedDeployment => ({
        namespace,
        name: deployment,
        ...(list.some((r) => r.kind === 'StatefulSet') ? { kind: 'StatefulSet' as const } : {}),
        replicas: list.sort((a, b) => byCodeUnit(a.revision, b.revision) || a.replica - b.replica || byCodeUnit(a.created, b.created)),
      }),
    );
}

/** Whether a namespace's network, emptyDirs and volumes (sorted; undefined: none) read as `previous`'s. */
function sameSurroundings(
  previous: ObservedNamespace,
  network: ObservedNetwork | undefined,
  emptyDirs: readonly ObservedEmptyDir[] | undefined,
  volumes: readonly ObservedVolume[] | undefined,
): boolean {
  const n = previous.network;
  const sameNetwork =
    n === network ||
    (n !== undefined &&
      network !== undefined &&
      n.id === network.id &&
      n.name === network.name &&
      n.subnet === network.subnet &&
      n.gateway === network.gateway &&
      n.bridge === network.bridge);
  const json = (list: readonly unknown[] | undefined): string => (list && list.length > 0 ? JSON.stringify(list) : '');
  return sameNetwork && json(previous.emptyDirs) === json(emptyDirs) && json(previous.volumes) === json(volumes);
}

function toReplica(c: OwnedContainer, namespace: string): ObservedReplica | ObservedStray {
  const kind = c.labels[LABEL.kind];
  const deployment = c.labels[LABEL.name];
  const revision = c.labels[LABEL.revision];
  const replica = Number(c.labels[LABEL.replica]);
  let reason: string | undefined;
  if (kind !== 'Deployment' && kind !== 'StatefulSet') reason = `label ${LABEL.kind}=${kind ?? '(missing)'} is not a kind berth runs`;
  else if (!deployment) reason = `label ${LABEL.name} is missing`;
  else if (!revision) reason = `label ${LABEL.revision} is missing`;
  else if (!Number.isInteger(replica) || replica < 0) reason = `label ${LABEL.replica} is not a replica ordinal`;
  if (reason !== undefined || !deployment || !revision) return { id: c.id, name: c.name, namespace, reason: reason ?? 'unusable labels' };
  const r: { -readonly [K in keyof ObservedReplica]: ObservedReplica[K] } = {
    id: c.id,
    name: c.name,
    namespace,
    deployment,
    revision,
    commit: c.labels[LABEL.commit] ?? '',
    replica,
    state: c.state,
    created: c.created,
    image: c.image,
    ports: c.ports,
    podLabels: podLabelsOf(c.labels),
    namedPorts: namedPortsOf(c.labels[LABEL.ports]),
  };
  const probes = c.labels[LABEL.probes];
  if (probes) r.probesJson = probes;
  if (kind === 'StatefulSet') {
    r.kind = 'StatefulSet';
    const fixed = c.labels[LABEL.fixed];
    if (fixed) r.fixed = fixed;
  }
  const configMaps = c.labels[LABEL.configMaps];
  if (configMaps !== undefined) {
    const parsed = stringRecordOf(configMaps);
    if (parsed) r.configMaps = parsed;
  }
  if (c.exitCode !== undefined) r.exitCode = c.exitCode;
  if (c.address !== undefined) r.address = c.address;
  if (c.clusterAddress !== undefined) r.clusterAddress = c.clusterAddress;
  if (c.reason !== undefined) r.stateReason = c.reason;
  if (c.evicted) r.evicted = true;
  const node = c.labels[LABEL.node];
  if (node !== undefined) r.node = node;
  if (c.labels[LABEL.dns] === 'namespace') r.namespaceDns = true;
  const init = c.labels[LABEL.init];
  if (init) r.init = init;
  const container = c.labels[LABEL.container];
  if (container && !init) r.container = container;
  const restart = restartOf(c.labels[LABEL.restarts], c.labels[LABEL.restartedAt]);
  if (restart) r.restart = restart;
  return r;
}

/** The replica slot a container belongs to, from its labels. */
function slotKey(labels: Readonly<Record<string, string>>): string {
  return [labels[LABEL.namespace], labels[LABEL.name], labels[LABEL.revision], labels[LABEL.replica]].join('\u0000');
}

function orderOf(containers: readonly string[], name: string): number {
  const i = containers.indexOf(name);
  return i < 0 ? containers.length : i;
}

function toMember(c: OwnedContainer): ObservedMember {
  const probes = c.labels[LABEL.probes];
  const restart = restartOf(c.labels[LABEL.restarts], c.labels[LABEL.restartedAt]);
  return {
    id: c.id,
    name: c.name,
    container: c.labels[LABEL.member] ?? '',
    state: c.state,
    ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
    created: c.created,
    image: c.image,
    ...(c.labels[LABEL.sidecar] === 'true' ? { sidecar: true as const } : {}),
    ...(probes ? { probesJson: probes } : {}),
    ...(restart ? { restart } : {}),
  };
}

/**
 * A Pod's state as one replica: the infra container's while it is not running (the Pod is then
 * replaced as a unit, with the crash back-off); else running, with `down` naming the containers
 * that are missing or not running (each is restarted in place). Its image is its first app
 * container's (what `berth get pods` shows), not the pause image.
 *   infra running, web running, log exited 2 → running, down [log]
 *   infra exited 137                          → exited, exit code 137
 */
export function podState(
  infra: Pick<ObservedReplica, 'state' | 'exitCode' | 'image'>,
  containers: readonly string[],
  members: readonly Pick<ObservedMember, 'container' | 'state' | 'exitCode' | 'sidecar' | 'image'>[],
): { state: ObservedReplica['state']; exitCode?: number; image: string; down?: readonly string[] } {
  const image = members.find((m) => !m.sidecar)?.image ?? infra.image;
  if (infra.state !== 'running') return { state: infra.state, ...(infra.exitCode !== undefined ? { exitCode: infra.exitCode } : {}), image };
  const down = containers.filter((name) => !members.some((m) => m.container === name && m.state === 'running'));
  return { state: 'running', image, ...(down.length > 0 ? { down } : {}) };
}

/**
 * The restart record a replacement container carries, or undefined when it has none or the
 * labels are unusable (then the slot's back-off starts over, which costs a restart, never a crash).
 *   ('2', '2026-01-01T00:00:10.000Z') → { count: 2, at: … };  ('x', …) → undefined;  ('0', …) → undefined
 */
export function restartOf(count: string | undefined, at: string | undefined): { count: number; at: string } | undefined {
  if (count === undefined || at === undefined || !/^[1-9][0-9]{0,5}$/.test(count) || Number.isNaN(Date.parse(at))) return undefined;
  return { count: Number(count), at };
}

export function findNamespace(state: ObservedState, name: string): ObservedNamespace | undefined {
  return state.namespaces.find((n) => n.name === name);
}

/**
 * `{"http":8080}` → { http: 8080 }; anything malformed reads as no named ports. Every replica of
 * a template carries the same text, so each text is parsed once (memoByText; results frozen).
 */
const namedPortsOf = (json: string | undefined): Readonly<Record<string, number>> => (json ? namedPortsOfText(json) : NO_NAMED_PORTS);

const NO_NAMED_PORTS: Readonly<Record<string, number>> = Object.freeze({});

const namedPortsOfText = memoByText((json) => recordOf(json, (v): v is number => Number.isInteger(v)) ?? NO_NAMED_PORTS);

/** `{"app-config":"1f2e…"}` → { 'app-config': '1f2e…' }; absent or malformed reads as undefined (each text parsed once, as above). */
const stringRecordOf = (json: string | undefined): Readonly<Record<string, string>> | undefined => (json ? stringRecordOfText(json) : undefined);

const stringRecordOfText = memoByText((json) => recordOf(json, (v): v is string => typeof v === 'string'));

/** The entries of the JSON object `json` whose values `keep` takes, frozen; undefined when it is malformed or no object. */
function recordOf<V>(json: string, keep: (value: unknown) => value is V): Readonly<Record<string, V>> | undefined {
  try {
    const parsed: unknown = JSON.parse(json);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    return Object.freeze(Object.fromEntries(Object.entries(parsed).filter((e): e is [string, V] => keep(e[1]))));
  } catch {
    return undefined;
  }
}

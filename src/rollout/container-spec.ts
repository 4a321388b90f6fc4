import { canonicalJson } from '../core/index.js';
import {
  containerName,
  memberName,
  podMembers,
  podPorts,
  emptyDirVolumeName,
  ordinalClaim,
  ordinalName,
  volumeName,
  type DesiredDeployment,
  type InitContainer,
  type Mount,
  type PodTemplate,
  type SecuritySettings,
} from '../desired/index.js';
import { LABEL, PAUSE_IMAGE, type ContainerFile, type ContainerMount, type ContainerSecurity, type ContainerSpec } from '../runtime/index.js';
import type { Creation } from './step.js';

/** What a container of a replica is made from: the Deployment, the replica, where it runs, and its resolved env and files. */
interface ContainerOf {
  readonly desired: DesiredDeployment;
  readonly creation: Creation;
  readonly instance: string;
  readonly network: string;
  readonly env: ContainerSpec['env'];
  readonly files?: ReadonlyMap<string, readonly ContainerFile[]>;
  /** The namespace DNS (issue #9); absent: the engine's defaults. Not part of the revision. */
  readonly dns?: ContainerSpec['dns'];
}

/**
 * The engine-level spec of one replica: the desired template plus the ownership labels that
 * observed state is rebuilt from. Pod template labels are copied too (never over berth.*).
 * `env` is the template's env with every Secret reference resolved, `files` the files of its
 * secret volumes with their values, by volume name (executor.ts): the only place values meet
 * the spec, on their way to the driver. The files of configMap volumes come from the
 * Deployment's `configData` (Git content, not secret).
 */
export function replicaSpec(
  args: ContainerOf & {
    /** Where a port with a hostPort is published (--service-address). Default 127.0.0.1. */
    readonly hostPortAddress?: string;
  },
): ContainerSpec {
  const { desired, creation, instance, network, env } = args;
  const t = desired.template;
  return {
    name: containerName(instance, desired.namespace, desired.name, creation.revision, creation.replica),
    image: t.image,
    ...(t.command ? { command: t.command } : {}),
    ...(t.args ? { args: t.args } : {}),
    ...(t.workingDir ? { workingDir: t.workingDir } : {}),
    env,
    ports: t.ports.map((p) => ({
      containerPort: p.containerPort,
      protocol: p.protocol,
      ...(p.hostPort !== undefined ? { hostPort: p.hostPort, hostIp: args.hostPortAddress ?? '127.0.0.1' } : {}),
    })),
    labels: {
      ...podLevelLabels(args),
      [LABEL.container]: t.containerName,
      ...(t.probes ? { [LABEL.probes]: canonicalJson(t.probes) } : {}),
      ...(namedPorts(t.ports) ? { [LABEL.ports]: canonicalJson(namedPorts(t.ports)) } : {}),
    },
    network,
    ...hostnameOf(desired, creation),
    // Replicas answer to the Deployment name on the namespace network, like a headless Service.
    networkAliases: [desired.name],
    ...(t.memoryBytes !== undefined ? { memoryBytes: t.memoryBytes } : {}),
    ...(t.nanoCpus !== undefined ? { nanoCpus: t.nanoCpus } : {}),
    ...(t.nodeSelector ? { nodeSelector: t.nodeSelector } : {}),
    ...(t.placement ? { placement: t.placement } : {}),
    ...(reservationsOf(desired.requests) ? { reservations: reservationsOf(desired.requests)! } : {}),
    stopGraceSeconds: t.stopGraceSeconds,
    ...(t.security ? { security: containerSecurity(t.security) } : {}),
    ...(t.mounts ? { mounts: containerMounts(desired, t.mounts, args.files, volumesOf(instance, desired, creation)) } : {}),
    ...(namespaceDns(args) ? { dns: namespaceDns(args) } : {}),
  };
}

/**
 * The engine specs of a replica that is a Pod of several containers (desired/pod.ts): the infra
 * container — the replica as the rest of berth sees it: its name, address, published ports (every
 * container's), network aliases, resolver and labels, running berth's one-file pause image —
 * and one spec per template container in start order, joined to the infra container's network
 * namespace once it exists (`join(id)`). `env` and `files` are each member's, resolved by the
 * executor like the app's.
 */
export function podSpecs(
  args: Omit<ContainerOf, 'env' | 'files'> & {
    readonly hostPortAddress?: string;
    readonly inputs: readonly { readonly env: ContainerSpec['env']; readonly files?: ReadonlyMap<string, readonly ContainerFile[]> }[];
  },
): { infra: ContainerSpec; members: { readonly sidecar: boolean; readonly join: (infraId: string) => ContainerSpec }[] } {
  const { desired, creation, instance } = args;
  const t = desired.template;
  const members = podMembers(t);
  const name = containerName(instance, desired.namespace, desired.name, creation.revision, creation.replica);
  const ports = podPorts(t);
  const hostNetwork = t.security?.hostNetwork;
  const dns = namespaceDns(args);
  const infra: ContainerSpec = {
    name,
    image: PAUSE_IMAGE,
    command: ['/pause'],
    env: [],
    ports: ports.map((p) => ({
      containerPort: p.containerPort,
      protocol: p.protocol,
      ...(p.hostPort !== undefined ? { hostPort: p.hostPort, hostIp: args.hostPortAddress ?? '127.0.0.1' } : {}),
    })),
    labels: {
      ...podLevelLabels(args),
      [LABEL.pod]: members.map((m) => m.container.name).join(','),
      ...(namedPorts(ports) ? { [LABEL.ports]: canonicalJson(namedPorts(ports)) } : {}),
    },
    network: args.network,
    ...hostnameOf(desired, creation),
    networkAliases: [desired.name],
    stopGraceSeconds: 1,
    ...(hostNetwork ? { security: { hostNetwork } } : {}),
    ...(dns ? { dns } : {}),
  };
  const volumes = volumesOf(instance, desired, creation);
  return {
    infra,
    members: members.map(({ container: c, sidecar }, i) => {
      const input = args.inputs[i];
      if (!input) throw new Error(`internal: the env of container ${c.name} was not resolved before the replica was created`);
      const { hostNetwork: _host, ...security } = c.security ?? {};
      return {
        sidecar,
        join: (infraId: string): ContainerSpec => ({
          name: memberName(name, c.name),
          ...processOf(c),
          env: input.env,
          ports: [],
          labels: {
            ...replicaLabels(args),
            [LABEL.member]: c.name,
            [LABEL.container]: c.name,
            ...(sidecar ? { [LABEL.sidecar]: 'true' } : {}),
            ...(c.probes ? { [LABEL.probes]: canonicalJson(c.probes) } : {}),
          },
          network: args.network,
          networkAliases: [],
          joinNetworkOf: infraId,
          stopGraceSeconds: t.stopGraceSeconds,
          ...(Object.keys(security).length > 0 ? { security: containerSecurity(security) } : {}),
          ...(c.mounts ? { mounts: containerMounts(desired, c.mounts, input.files, volumes) } : {}),
        }),
      };
    }),
  };
}

/** The labels of the container that is the replica (its app, or a Pod's infra container): ownership, pod template labels, resolver, ConfigMaps. */
function podLevelLabels(args: ContainerOf | Omit<ContainerOf, 'env' | 'files'>): Record<string, string> {
  const t = args.desired.template;
  const podLabels = Object.fromEntries(Object.entries(t.labels).filter(([k]) => !k.startsWith('berth.')));
  return {
    ...podLabels,
    ...replicaLabels(args),
    ...(namespaceDns(args) ? { [LABEL.dns]: 'namespace' } : {}),
    ...(t.configMaps ? { [LABEL.configMaps]: canonicalJson(t.configMaps) } : {}),
  };
}

/** The labels that say which replica a container is (its app, or an init container of it): what observed state is rebuilt from. */
function replicaLabels({ desired, creation, instance }: Pick<ContainerOf, 'desired' | 'creation' | 'instance'>): Record<string, string> {
  return {
    [LABEL.managed]: 'true',
    [LABEL.instance]: instance,
    [LABEL.namespace]: desired.namespace,
    [LABEL.kind]: desired.stateful ? 'StatefulSet' : 'Deployment',
    [LABEL.name]: desired.name,
    ...(desired.stateful ? { [LABEL.fixed]: desired.stateful.fixed } : {}),
    [LABEL.revision]: creation.revision,
    [LABEL.commit]: creation.commit,
    [LABEL.replica]: String(creation.replica),
    ...(creation.restartRecord ? { [LABEL.restarts]: String(creation.restartRecord.count), [LABEL.restartedAt]: creation.restartRecord.at } : {}),
  };
}

/** The namespace DNS a replica's containers resolve through; none on the host's network. */
function namespaceDns({ desired, dns }: Pick<ContainerOf, 'desired' | 'dns'>): ContainerSpec['dns'] | undefined {
  return dns && !desired.template.security?.hostNetwork ? dns : undefined;
}

/**
 * The engine spec of one init container of a replica: its own image, command, env, mounts and
 * security, on the namespace network with the replica's DNS (it may wait for a Service by name),
 * no published ports and no alias (nothing should find it). It carries the replica's labels and
 * `berth.init`, so one left behind (failed, or interrupted by a berth restart) is that replica,
 * down, to the next pass. `env` and `files` are resolved as for the app (executor.ts).
 */
export function initContainerSpec(args: ContainerOf & { readonly init: InitContainer }): ContainerSpec {
  const { desired, init, creation, instance } = args;
  const dns = namespaceDns(args);
  return {
    name: `${containerName(instance, desired.namespace, desired.name, creation.revision, creation.replica)}.init-${init.name}`,
    ...processOf(init),
    env: args.env,
    ports: [],
    labels: { ...replicaLabels(args), [LABEL.init]: init.name },
    network: args.network,
    networkAliases: [],
    stopGraceSeconds: 0,
    ...(init.security ? { security: containerSecurity(init.security) } : {}),
    ...(init.mounts ? { mounts: containerMounts(desired, init.mounts, args.files, volumesOf(instance, desired, creation)) } : {}),
    ...(dns ? { dns } : {}),
  };
}

/** What a container beside the first runs (an init container's or a Pod's): image, command, args, working dir and limits, as the engine takes them. */
function processOf(c: InitContainer): Pick<ContainerSpec, 'image' | 'command' | 'args' | 'workingDir' | 'memoryBytes' | 'nanoCpus'> {
  return {
    image: c.image,
    ...(c.command ? { command: c.command } : {}),
    ...(c.args ? { args: c.args } : {}),
    ...(c.workingDir ? { workingDir: c.workingDir } : {}),
    ...(c.memoryBytes !== undefined ? { memoryBytes: c.memoryBytes } : {}),
    ...(c.nanoCpus !== undefined ? { nanoCpus: c.nanoCpus } : {}),
  };
}

function containerSecurity(security: SecuritySettings): ContainerSecurity {
  const { runAsUser, runAsGroup, ...rest } = security;
  return { ...rest, ...(runAsUser !== undefined ? { user: { uid: runAsUser, ...(runAsGroup !== undefined ? { gid: runAsGroup } : {}) } } : {}) };
}

/** A StatefulSet's replica is named `<name>-<ordinal>`, its hostname too (as a Kubernetes pod's). */
function hostnameOf(desired: DesiredDeployment, creation: Creation): { hostname?: string } {
  return desired.stateful ? { hostname: ordinalName(desired.name, creation.replica) } : {};
}

/**
 * The engine names of a replica's named volumes: a claim's (a StatefulSet's claim template: this
 * ordinal's claim), and a shared emptyDir's (the replica's own).
 */
function volumesOf(
  instance: string,
  desired: DesiredDeployment,
  creation: Creation,
): { claim(name: string, perReplica?: boolean): string; emptyDir(volume: string): string } {
  return {
    claim: (name, perReplica) => volumeName(instance, desired.namespace, perReplica ? ordinalClaim(name, desired.name, creation.replica) : name),
    emptyDir: (volume) => emptyDirVolumeName(instance, desired.namespace, desired.name, creation.revision, creation.replica, volume),
  };
}

/**
 * The shared emptyDirs a replica's container mounts (they must exist before it starts: the
 * executor ensures them), with the labels that tie each to its replica.
 */
export function sharedEmptyDirs(
  instance: string,
  desired: DesiredDeployment,
  creation: Creation,
  mounts: readonly Mount[],
): { readonly name: string; readonly labels: Readonly<Record<string, string>> }[] {
  return mounts
    .filter((m) => m.source.kind === 'emptyDir' && m.source.shared)
    .map((m) => ({
      name: volumesOf(instance, desired, creation).emptyDir(m.volume),
      labels: {
        [LABEL.managed]: 'true',
        [LABEL.instance]: instance,
        [LABEL.namespace]: desired.namespace,
        [LABEL.kind]: 'EmptyDir',
        [LABEL.name]: desired.name,
        [LABEL.revision]: creation.revision,
        [LABEL.replica]: String(creation.replica),
      },
    }));
}

function containerMounts(
  desired: DesiredDeployment,
  mounts: readonly Mount[],
  files: ReadonlyMap<string, readonly ContainerFile[]> | undefined,
  volumes: { claim(name: string, perReplica?: boolean): string; emptyDir(volume: string): string },
): ContainerMount[] {
  return mounts.map((m): ContainerMount => {
    const sub = m.subPath !== undefined ? { subPath: m.subPath } : {};
    switch (m.source.kind) {
      case 'hostPath':
        return { kind: 'bind', source: m.source.path, ...sub, target: m.mountPath, readOnly: m.readOnly, type: m.source.type };
      case 'emptyDir':
        if (m.source.shared) return { kind: 'volume', name: volumes.emptyDir(m.volume), target: m.mountPath, readOnly: m.readOnly };
        return { kind: 'tmpfs', target: m.mountPath, readOnly: m.readOnly, ...(m.source.sizeBytes !== undefined ? { sizeBytes: m.source.sizeBytes } : {}) };
      case 'secret': {
        const resolved = files?.get(m.volume);
        if (!resolved) throw new Error(`internal: the files of secret volume ${m.volume} were not resolved before the replica was created`);
        return { kind: 'files', volume: m.volume, target: m.mountPath, ...sub, files: resolved };
      }
      case 'persistentVolumeClaim':
        return { kind: 'volume', name: volumes.claim(m.source.claim, m.source.perReplica), target: m.mountPath, readOnly: m.readOnly };
      case 'configMap': {
        // The content is in Git (desired.configData), not secret: nothing to resolve.
        const content = desired.configData?.[m.source.configMap];
        const written = m.source.files.flatMap((f): ContainerFile[] => {
          const text = content?.data[f.key];
          if (text !== undefined) return [{ path: f.path, value: text, mode: f.mode }];
          const binary = content?.binaryData[f.key];
          return binary !== undefined ? [{ path: f.path, value: binary.replace(/\s+/g, ''), mode: f.mode, base64: true }] : [];
        });
        return { kind: 'files', volume: m.volume, target: m.mountPath, ...sub, files: written };
      }
    }
  });
}

function namedPorts(ports: PodTemplate['ports']): Record<string, number> | undefined {
  const named = ports.filter((p) => p.name !== undefined);
  return named.length > 0 ? Object.fromEntries(named.map((p) => [p.name!, p.containerPort])) : undefined;
}

/** resources.requests (cpu in cores, memory in bytes) as the engine's reservations; undefined when none is set. */
function reservationsOf(requests: DesiredDeployment['requests']): ContainerSpec['reservations'] | undefined {
  if (requests?.cpu === undefined && requests?.memory === undefined) return undefined;
  return {
    ...(requests.cpu !== undefined ? { nanoCpus: Math.round(requests.cpu * 1e9) } : {}),
    ...(requests.memory !== undefined ? { memoryBytes: Math.round(requests.memory) } : {}),
  };
}

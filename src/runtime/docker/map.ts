/**
 * Engine JSON → the port's plain types. Only the list endpoints' shapes are mapped (one
 * list call serves hundreds of containers; per-container inspect does not scale), so the
 * exit code comes from the list's `Status` text (`Exited (137) 2 seconds ago`), which is
 * how the engine's own CLI shows it too.
 */
import type Docker from 'dockerode';
import { ownValue } from '../../core/index.js';
import { isOwned, LABEL, type Labels } from '../labels.js';
import type { ContainerState, OwnedContainer, OwnedNetwork, PublishedPort, RuntimeEvent } from '../driver.js';

const CONTAINER_STATES: ReadonlySet<string> = new Set<ContainerState>(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);

export function toContainerState(state: string | undefined): ContainerState {
  const s = (state ?? '').toLowerCase();
  // An unknown state (a future engine) is treated as the least hopeful one: not running, not coming back.
  return CONTAINER_STATES.has(s) ? (s as ContainerState) : 'dead';
}

/** `Exited (137) 2 seconds ago` → 137. Only exited/dead containers have one. */
export function exitCodeOf(status: string | undefined): number | undefined {
  const match = /^Exited \((-?\d+)\)/.exec(status ?? '');
  return match ? Number(match[1]) : undefined;
}

/** `["/web.0"]` → `web.0`. Legacy links add `/other/alias` names; the container's own has one slash. */
export function containerName(names: readonly string[] | undefined): string {
  const all = names ?? [];
  const own = all.find((n) => n.lastIndexOf('/') === 0) ?? all[0] ?? '';
  return own.replace(/^\//, '');
}

export function publishedPorts(ports: readonly Docker.Port[] | undefined): PublishedPort[] {
  const out: PublishedPort[] = [];
  const seen = new Set<string>();
  for (const p of ports ?? []) {
    // Exposed-but-unpublished ports, and every port of a stopped container, have no PublicPort.
    if (!p.PublicPort) continue;
    const protocol = p.Type === 'udp' ? 'udp' : 'tcp';
    const key = `${p.IP}:${p.PublicPort}->${p.PrivatePort}/${protocol}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ containerPort: p.PrivatePort, protocol, hostIp: p.IP, hostPort: p.PublicPort });
  }
  return out.sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol));
}

export function toOwnedContainer(info: Docker.ContainerInfo): OwnedContainer {
  const state = toContainerState(info.State);
  const exitCode = state === 'exited' || state === 'dead' ? exitCodeOf(info.Status) : undefined;
  const hostPorts = info.Labels?.[LABEL.hostPorts];
  return {
    id: info.Id,
    name: containerName(info.Names),
    image: info.Image,
    labels: { ...(info.Labels ?? {}) },
    state,
    created: new Date(info.Created * 1000).toISOString(),
    ...(exitCode === undefined ? {} : { exitCode }),
    ports: hostPorts !== undefined ? (state === 'running' ? hostNetworkPorts(hostPorts) : []) : publishedPorts(info.Ports),
    ...(addressOf(info) ? { address: addressOf(info)! } : {}),
  };
}

/** The container's IPv4 address on its first network that has one (a replica joins one network: its namespace's). */
function addressOf(info: Docker.ContainerInfo): string | undefined {
  const networks = Object.values(info.NetworkSettings?.Networks ?? {});
  return networks.map((n) => n.IPAddress).find((ip) => typeof ip === 'string' && ip !== '');
}

/**
 * A running container on the host's network publishes nothing: its ports are the host's.
 * They are read from the label the driver wrote (`["8080/tcp"]`) and reported as published on
 * 127.0.0.1 at the same number, so probes and the data plane reach it like any replica.
 */
export function hostNetworkPorts(label: string): PublishedPort[] {
  let list: unknown;
  try {
    list = JSON.parse(label);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  const out: PublishedPort[] = [];
  for (const entry of list) {
    const m = typeof entry === 'string' ? /^(\d+)\/(tcp|udp)$/.exec(entry) : null;
    if (m) out.push({ containerPort: Number(m[1]), protocol: m[2] as 'tcp' | 'udp', hostIp: '127.0.0.1', hostPort: Number(m[1]) });
  }
  return out.sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol));
}

/** The subnet and gateway come from the first IPv4 IPAM entry; the bridge is the engine's `br-<first 12 of the id>` unless named by option. */
export function toOwnedNetwork(info: Docker.NetworkInspectInfo): OwnedNetwork {
  const ipam = (info.IPAM?.Config ?? []).find((c) => typeof c.Subnet === 'string' && !c.Subnet.includes(':'));
  const bridge = info.Options?.['com.docker.network.bridge.name'] ?? (info.Driver === 'bridge' ? `br-${info.Id.slice(0, 12)}` : undefined);
  return {
    id: info.Id,
    name: info.Name,
    labels: { ...(info.Labels ?? {}) },
    ...(ipam?.Subnet ? { subnet: ipam.Subnet } : {}),
    ...(ipam?.Gateway ? { gateway: ipam.Gateway } : {}),
    ...(bridge ? { bridge } : {}),
  };
}

/** The slice of an engine event berth reads (API ≥ 1.22 shape: Type/Action/Actor). */
interface EngineEvent {
  Type?: unknown;
  Action?: unknown;
  Actor?: { ID?: unknown; Attributes?: unknown };
}

const EVENT_KINDS: Readonly<Record<string, 'container-started' | 'container-died' | 'container-destroyed'>> = {
  start: 'container-started',
  die: 'container-died',
  destroy: 'container-destroyed',
};

/**
 * Attributes the engine mixes into a container event's `Actor.Attributes` beside the
 * container's labels. They are not labels, so they are left out.
 */
const ENGINE_ATTRIBUTES = new Set(['image', 'name', 'exitCode', 'signal', 'execDuration']);

/**
 * One decoded event line → a RuntimeEvent, or undefined for anything berth does not follow
 * (other types or actions, malformed values, and — defence in depth behind the engine-side
 * label filter — containers another instance owns).
 */
export function toRuntimeEvent(value: unknown, instance: string): RuntimeEvent | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const event = value as EngineEvent;
  if (event.Type !== 'container' || typeof event.Action !== 'string') return undefined;
  const kind = ownValue(EVENT_KINDS, event.Action);
  const id = event.Actor?.ID;
  if (kind === undefined || typeof id !== 'string' || id === '') return undefined;
  const labels: Record<string, string> = {};
  const attributes = event.Actor?.Attributes;
  if (attributes !== null && typeof attributes === 'object') {
    for (const [key, v] of Object.entries(attributes)) {
      if (typeof v === 'string' && !ENGINE_ATTRIBUTES.has(key)) labels[key] = v;
    }
  }
  if (!isOwned(labels as Labels, instance)) return undefined;
  return { kind, id, labels };
}

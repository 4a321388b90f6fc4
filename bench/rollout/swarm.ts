/**
 * The Docker Swarm peer: a single-node swarm on this engine, a replicated service updated by
 * `docker service update` (start-first, parallelism 2, healthcheck every second), observed
 * through the engine's task list.
 *
 * The routing mesh does not work on this kernel (no IPVS: ENVIRONMENT.md), so the service
 * publishes in host mode with no published port: every task gets its own ephemeral host port
 * (bound on 0.0.0.0 and ::, as -p 8080 would; host mode has no bind address), and the load
 * goes through a naive external load balancer (naive-lb.ts) fed from the task list.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import type { Backend } from '../../src/proxy/index.js';
import { now, sleep } from '../push-to-serve/clock.js';
import type { ContainerEvents } from './engine-events.js';

const execFileAsync = promisify(execFile);

/**
 * busybox has `nc` but no `nc -z`, and busybox wget segfaults here: an HTTP/1.0 GET through
 * nc, healthy when the status line says 200 (what an httpGet probe checks).
 */
export const HEALTH_CMD = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 1 127.0.0.1 8080 | grep -q ' 200 '`;

export async function dockerCli(args: readonly string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await execFileAsync('docker', [...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return stdout.trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`docker ${args.slice(0, 3).join(' ')} … failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

export interface SwarmHandle {
  /** True when this benchmark ran `docker swarm init` (and must leave it). */
  readonly created: boolean;
  readonly leave: () => Promise<void>;
}

/** Joins the engine to a single-node swarm unless it is in one already. */
export async function ensureSwarm(docker: Docker, progress: (m: string) => void): Promise<SwarmHandle> {
  const state = (await docker.info()).Swarm?.LocalNodeState as string | undefined;
  if (state === 'active') {
    progress('swarm: the engine is already in a swarm; using it (and leaving it as it is)');
    return { created: false, leave: async () => undefined };
  }
  if (state !== 'inactive') throw new Error(`swarm: the engine's swarm state is "${state}"; expected inactive or active`);
  const gwbridgeBefore = (await docker.listNetworks({ filters: { name: ['docker_gwbridge'] } })).some((n) => n.Name === 'docker_gwbridge');
  const t = now();
  await dockerCli(['swarm', 'init', '--advertise-addr', '127.0.0.1', '--listen-addr', '127.0.0.1:2377']);
  progress(`swarm: initialised a single-node swarm in ${Math.round(now() - t)} ms (listening on 127.0.0.1:2377)`);
  return {
    created: true,
    leave: async () => {
      await dockerCli(['swarm', 'leave', '--force']).catch((err: unknown) => progress(`swarm leave failed: ${(err as Error).message}`));
      if (gwbridgeBefore) return;
      for (let i = 0; i < 20; i++) {
        try {
          await docker.getNetwork('docker_gwbridge').remove();
          break;
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode === 404) break;
          await sleep(250);
        }
      }
      progress('swarm: left the swarm and removed docker_gwbridge');
    },
  };
}

export interface SwarmTask {
  readonly id: string;
  readonly slot: number;
  readonly version: string | undefined;
  readonly state: string;
  readonly desired: string;
  readonly hostPort?: number;
  readonly containerId?: string;
  /** When Swarm created the task (epoch ms). */
  readonly createdAt: number;
  /** When the task's state last changed (for a running task: when it became running). */
  readonly statusAt: number;
}

export async function tasksOf(docker: Docker, service: string, filters: Record<string, string[]> = {}): Promise<SwarmTask[]> {
  const tasks = (await docker.listTasks({ filters: { service: [service], ...filters } })) as Array<{
    ID: string;
    Slot?: number;
    CreatedAt?: string;
    DesiredState?: string;
    Spec?: { ContainerSpec?: { Env?: string[] } };
    Status?: {
      State?: string;
      Timestamp?: string;
      PortStatus?: { Ports?: { TargetPort?: number; PublishedPort?: number }[] };
      ContainerStatus?: { ContainerID?: string };
    };
  }>;
  return tasks.map((t) => {
    const port = t.Status?.PortStatus?.Ports?.find((p) => p.TargetPort === 8080)?.PublishedPort;
    const containerId = t.Status?.ContainerStatus?.ContainerID;
    return {
      id: t.ID,
      slot: t.Slot ?? -1,
      version: t.Spec?.ContainerSpec?.Env?.find((e) => e.startsWith('VERSION='))?.slice('VERSION='.length),
      state: t.Status?.State ?? '',
      desired: t.DesiredState ?? '',
      ...(port ? { hostPort: port } : {}),
      ...(containerId ? { containerId } : {}),
      createdAt: Date.parse(t.CreatedAt ?? ''),
      statusAt: Date.parse(t.Status?.Timestamp ?? ''),
    };
  });
}

/** One slot of one update, from the task list and the containers' own timestamps (epoch ms). */
export interface SwarmSlot {
  readonly slot: number;
  /** The new task was created by the updater. */
  readonly taskCreated: number;
  readonly containerCreated?: number;
  readonly containerStarted?: number;
  /** End of the first passing healthcheck. */
  readonly healthy?: number;
  /** The new task was reported running. */
  readonly running?: number;
  /** The old task's container got its stop signal (the engine's `kill` event). */
  readonly oldKilled?: number;
  /** The old task's container exited. */
  readonly oldStopped?: number;
  /** The LB took the old task out of its table (its desired state was no longer running). */
  readonly lbDropped?: number;
}

/** How each slot of the update to `version` went: new task created → container created → started → healthy → running; the old task's container stopped. */
export async function slotsOf(args: {
  docker: Docker;
  service: string;
  version: string;
  previous: string;
  events: ContainerEvents;
  lbChanges: readonly { at: number; ids: readonly string[] }[];
  since: number;
}): Promise<SwarmSlot[]> {
  const tasks = await tasksOf(args.docker, args.service);
  const ev = args.events;
  return tasks
    .filter((t) => t.version === args.version && t.state === 'running')
    .map((t) => {
      const old = tasks.find((o) => o.slot === t.slot && o.version === args.previous && o.createdAt < t.createdAt);
      const v = {
        containerCreated: ev.first(t.containerId, 'create'),
        containerStarted: ev.first(t.containerId, 'start'),
        healthy: ev.first(t.containerId, 'health_status: healthy'),
        running: Number.isFinite(t.statusAt) ? t.statusAt : undefined,
        oldKilled: ev.first(old?.containerId, 'kill'),
        oldStopped: ev.first(old?.containerId, 'die'),
        lbDropped: old ? args.lbChanges.find((ch) => ch.at >= args.since && !ch.ids.includes(old.id))?.at : undefined,
      };
      return { slot: t.slot, taskCreated: t.createdAt, ...Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) } as SwarmSlot;
    })
    .sort((a, b) => a.taskCreated - b.taskCreated);
}

/** The LB's view (Traefik's Swarm provider does the same): tasks desired running whose state is running (with a healthcheck, Swarm reports running only once it passed). */
export function swarmBackends(docker: Docker, service: string): () => Promise<Backend[]> {
  return async () =>
    (await tasksOf(docker, service, { 'desired-state': ['running'] }))
      .filter((t) => t.state === 'running' && t.hostPort !== undefined)
      .map((t) => ({ id: t.id, host: '127.0.0.1', port: t.hostPort! }));
}

export interface ServiceSpec {
  readonly name: string;
  readonly imageId: string;
  readonly replicas: number;
  readonly version: string;
  readonly command: readonly string[];
  readonly labels: Record<string, string>;
  readonly parallelism: number;
  /** An overlay network to attach the tasks to (east-west: clients call the service by name there). */
  readonly network?: string;
  /** `dnsrr`: the name resolves to the tasks' addresses (VIPs need IPVS, which this kernel lacks). */
  readonly endpointMode?: 'vip' | 'dnsrr';
  /** Publish 8080 on a host port per task (default; the rollout benchmark's LB reads them). */
  readonly publish?: boolean;
}

export async function createService(s: ServiceSpec): Promise<string> {
  const label = Object.entries(s.labels).flatMap(([k, v]) => ['--label', `${k}=${v}`, '--container-label', `${k}=${v}`]);
  return dockerCli([
    'service',
    'create',
    '--detach',
    '--quiet',
    '--name',
    s.name,
    ...label,
    '--replicas',
    String(s.replicas),
    '--no-resolve-image',
    '--init',
    '--env',
    `VERSION=${s.version}`,
    ...(s.publish === false ? [] : ['--publish', 'mode=host,target=8080']),
    ...(s.network ? ['--network', s.network] : []),
    ...(s.endpointMode ? ['--endpoint-mode', s.endpointMode] : []),
    '--health-cmd',
    HEALTH_CMD,
    '--health-interval',
    '1s',
    '--health-timeout',
    '1s',
    '--health-retries',
    '3',
    '--stop-grace-period',
    '5s',
    '--update-parallelism',
    String(s.parallelism),
    '--update-order',
    'start-first',
    '--update-monitor',
    '2s',
    '--update-delay',
    '0s',
    '--update-failure-action',
    'pause',
    s.imageId,
    ...s.command,
  ]);
}

/** The update under test: an env change, which forces new tasks. Returns when the CLI returned (--detach: at once). */
export async function updateService(name: string, version: string): Promise<void> {
  await dockerCli(['service', 'update', '--detach', '--quiet', '--env-add', `VERSION=${version}`, name]);
}

export async function removeService(docker: Docker, name: string): Promise<void> {
  await dockerCli(['service', 'rm', name]).catch(() => undefined);
  // Its containers go asynchronously: wait, so that the swarm can be left cleanly.
  for (let i = 0; i < 120; i++) {
    const left = await docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${name}`] } });
    if (left.length === 0) return;
    await sleep(250);
  }
}

export async function updateStatus(docker: Docker, name: string): Promise<{ state?: string; startedAt?: number; completedAt?: number; message?: string }> {
  const info = (await docker.getService(name).inspect()) as { UpdateStatus?: { State?: string; StartedAt?: string; CompletedAt?: string; Message?: string } };
  const u = info.UpdateStatus;
  return {
    ...(u?.State ? { state: u.State } : {}),
    ...(u?.StartedAt ? { startedAt: Date.parse(u.StartedAt) } : {}),
    ...(u?.CompletedAt ? { completedAt: Date.parse(u.CompletedAt) } : {}),
    ...(u?.Message ? { message: u.Message } : {}),
  };
}

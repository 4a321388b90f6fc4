/**
 * Reading the state of the world (the real engine) the way a person would with `docker ps`:
 * what containers an instance owns, by namespace/deployment/revision/replica.
 */
import type Docker from 'dockerode';
import { dockerClient } from './docker-scope.js';

export interface SeenReplica {
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  readonly deployment: string;
  readonly revision: string;
  readonly replica: number;
  readonly commit: string;
  readonly state: string;
  readonly image: string;
  readonly hostPort?: number;
  /** A container of a Pod of several (label berth.member): its name in the template. The Pod's infra container is the replica. */
  readonly member?: string;
}

export async function ownedContainers(instance: string): Promise<SeenReplica[]> {
  const list = await dockerClient().listContainers({ all: true, filters: { label: [`berth.instance=${instance}`] } });
  return list
    .map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      namespace: c.Labels['berth.namespace'] ?? '',
      deployment: c.Labels['berth.name'] ?? '',
      revision: c.Labels['berth.revision'] ?? '',
      replica: Number(c.Labels['berth.replica']),
      commit: c.Labels['berth.commit'] ?? '',
      state: c.State,
      image: c.Image,
      ...(c.Ports.find((p) => p.PublicPort) ? { hostPort: c.Ports.find((p) => p.PublicPort)!.PublicPort } : {}),
      ...(c.Labels['berth.member'] ? { member: c.Labels['berth.member'] } : {}),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** `namespace/deployment` → sorted replica ordinals of running containers (a Pod counts once: its infra container). */
export function layout(replicas: readonly SeenReplica[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const r of replicas) {
    if (r.state !== 'running' || r.member !== undefined) continue;
    (out[`${r.namespace}/${r.deployment}`] ??= []).push(r.replica);
  }
  for (const k of Object.keys(out)) out[k]!.sort((a, b) => a - b);
  return out;
}

export async function envOf(id: string): Promise<string[]> {
  const info = await dockerClient().getContainer(id).inspect();
  return info.Config.Env ?? [];
}

export async function networksOf(instance: string): Promise<string[]> {
  const list = await dockerClient().listNetworks({ filters: { label: [`berth.instance=${instance}`] } });
  return list.map((n) => n.Name).sort();
}

export async function httpGet(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  return (await res.text()).trim();
}

/** Runs `cmd` (no shell) in a running container and returns its stdout and exit code (docker exec); `docker`: another engine (a Swarm node's). */
export async function execOutput(id: string, cmd: readonly string[], docker: Docker = dockerClient()): Promise<{ exitCode: number; stdout: string }> {
  const exec = await docker.getContainer(id).exec({ Cmd: [...cmd], AttachStdout: true, AttachStderr: true, Tty: false });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  // Multiplexed frames: an 8-byte header (stream 1 = stdout) before each payload.
  const all = Buffer.concat(chunks);
  let stdout = '';
  for (let i = 0; i + 8 <= all.length; ) {
    const size = all.readUInt32BE(i + 4);
    if (all[i] === 1) stdout += all.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, stdout };
}

import type { PodContainer, PodTemplate } from './types.js';

/**
 * A Pod of several containers (issue #10). A template with other app containers or native
 * sidecars runs each replica as an infra container — it holds the replica's network namespace,
 * address, published ports and name on the namespace network — plus one engine container per
 * template container, joined to that namespace. Start order: sidecars in manifest order, then
 * the app containers together; stop order the reverse (apps, then sidecars last to first,
 * then the infra container). A template with one container keeps the single-container replica.
 */
export function isPod(t: PodTemplate): boolean {
  return (t.containers?.length ?? 0) > 0 || (t.sidecars?.length ?? 0) > 0;
}

export interface PodMember {
  readonly container: PodContainer;
  readonly sidecar: boolean;
}

/**
 * The template's containers in start order: sidecars, then the first container (the
 * template's own fields), then the others.
 *   { containerName: 'web', sidecars: [proxy], containers: [log] } → proxy (sidecar), web, log
 */
export function podMembers(t: PodTemplate): PodMember[] {
  const first: PodContainer = {
    name: t.containerName,
    image: t.image,
    ...(t.command ? { command: t.command } : {}),
    ...(t.args ? { args: t.args } : {}),
    ...(t.workingDir ? { workingDir: t.workingDir } : {}),
    env: t.env,
    ports: t.ports,
    ...(t.memoryBytes !== undefined ? { memoryBytes: t.memoryBytes } : {}),
    ...(t.nanoCpus !== undefined ? { nanoCpus: t.nanoCpus } : {}),
    ...(t.security ? { security: t.security } : {}),
    ...(t.mounts ? { mounts: t.mounts } : {}),
    ...(t.probes ? { probes: t.probes } : {}),
  };
  return [
    ...(t.sidecars ?? []).map((container) => ({ container, sidecar: true })),
    { container: first, sidecar: false },
    ...(t.containers ?? []).map((container) => ({ container, sidecar: false })),
  ];
}

/** Every port of the Pod (the infra container publishes them all). */
export function podPorts(t: PodTemplate): PodTemplate['ports'] {
  return podMembers(t).flatMap((m) => m.container.ports);
}

/** The engine name of a Pod member: `<replica container name>.c-<container>` (init containers are `.init-<name>`). */
export function memberName(replicaName: string, container: string): string {
  return `${replicaName}.c-${container}`;
}

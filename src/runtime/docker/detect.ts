/**
 * `--driver auto`: which driver an engine calls for. A Swarm manager gets the swarm driver,
 * unless this instance already runs plain containers on it (berth's docker driver made them:
 * switching would run every replica twice); anything else, or an engine that does not answer,
 * gets the docker driver (its errors then say what is wrong).
 */
import { isOwned, ownedFilter } from '../labels.js';
import { createClients } from './client.js';

export interface EngineFacts {
  /** The engine is a Swarm manager (it can take service calls). */
  readonly swarmManager: boolean;
  /** Swarm services of this instance (the swarm driver's replicas). */
  readonly ownedServices: number;
  /** Containers of this instance that are no Swarm task (the docker driver's replicas). */
  readonly ownedContainers: number;
}

/**
 * Pure.
 *   not a manager                                  → docker
 *   a manager with services of this instance       → swarm
 *   a manager with only plain containers of it     → docker (kept; --driver swarm to move)
 *   a manager with neither                         → swarm
 */
export function chooseDriver(facts: EngineFacts | undefined): { readonly driver: 'docker' | 'swarm'; readonly why: string } {
  if (!facts) return { driver: 'docker', why: 'the engine did not answer; one engine assumed' };
  if (!facts.swarmManager) return { driver: 'docker', why: 'the engine is no Swarm manager' };
  if (facts.ownedServices > 0) return { driver: 'swarm', why: 'the engine is a Swarm manager running services of this instance' };
  if (facts.ownedContainers > 0)
    return {
      driver: 'docker',
      why: 'the engine is a Swarm manager, but this instance runs plain containers on it (the docker driver): kept as they are; --driver swarm moves them',
    };
  return { driver: 'swarm', why: 'the engine is a Swarm manager' };
}

/** What chooseDriver needs, read from the engine; undefined when it does not answer within `timeoutMs`. */
export async function readEngineFacts(address: string, tlsDir: string | undefined, instance: string, timeoutMs = 5_000): Promise<EngineFacts | undefined> {
  try {
    const { api } = createClients(address, timeoutMs, tlsDir);
    const info = (await api.info()) as { Swarm?: { ControlAvailable?: boolean } };
    const swarmManager = info.Swarm?.ControlAvailable === true;
    // A plain engine (the common case) needs nothing more: one call at start-up.
    if (!swarmManager) return { swarmManager, ownedServices: 0, ownedContainers: 0 };
    const label = ownedFilter(instance);
    const [services, containers] = await Promise.all([
      api.listServices({ filters: { label } }) as Promise<{ Spec?: { Labels?: Record<string, string> } }[]>,
      api.listContainers({ all: true, filters: { label } }),
    ]);
    return {
      swarmManager,
      ownedServices: services.filter((s) => isOwned(s.Spec?.Labels, instance)).length,
      ownedContainers: containers.filter((c) => isOwned(c.Labels, instance) && c.Labels?.['com.docker.swarm.service.id'] === undefined).length,
    };
  } catch {
    return undefined;
  }
}

/**
 * Reading the tasks of berth's services from a Swarm manager. The engine answers a task list
 * filtered by service ids with 404 "service … not found" for the whole read as soon as one of
 * them is gone, and berth's own removals race its inventories.
 */
import type Docker from 'dockerode';
import { engineMessage, engineStatus, toEngineError } from '../docker/errors.js';
import type { SwarmTask } from './replica-state.js';

export interface ServiceTasks {
  /** Each service's tasks, by service id (a service without tasks is absent). */
  readonly tasks: ReadonlyMap<string, readonly SwarmTask[]>;
  /** Services removed since they were listed: gone, not waiting for a task. */
  readonly gone: ReadonlySet<string>;
}

/**
 * The tasks of the services `serviceIds`. A service removed since it was listed is left out (in
 * `gone`) and the read made again, once per service gone. Failing the read instead failed a pass
 * (met in a Swarm test), and would end watch() for a back-off.
 */
export async function tasksOfServices(api: Docker, socketPath: string, serviceIds: readonly string[]): Promise<ServiceTasks> {
  const wanted = new Set(serviceIds);
  const gone = new Set<string>();
  let listed: SwarmTask[] | undefined;
  while (!listed && wanted.size > 0) {
    try {
      listed = (await api.listTasks({ filters: { service: [...wanted] } })) as SwarmTask[];
    } catch (err) {
      const id = removedService(err, wanted);
      if (!id) throw toEngineError(err, socketPath, 'list tasks');
      wanted.delete(id);
      gone.add(id);
    }
  }
  const tasks = new Map<string, SwarmTask[]>();
  for (const t of listed ?? []) {
    if (!t.ServiceID || !wanted.has(t.ServiceID)) continue;
    const list = tasks.get(t.ServiceID) ?? [];
    list.push(t);
    tasks.set(t.ServiceID, list);
  }
  return { tasks, gone };
}

/**
 * The service a task read was refused for because it no longer exists: the engine's 404
 * "service <id> not found" naming one of `asked`. Pure.
 *   404 "service k2j… not found", k2j… asked → k2j…;  a 404 naming another id, or a 500 → undefined
 */
export function removedService(err: unknown, asked: ReadonlySet<string>): string | undefined {
  if (engineStatus(err) !== 404) return undefined;
  const id = /^service (\S+) not found$/.exec(engineMessage(err))?.[1];
  return id !== undefined && asked.has(id) ? id : undefined;
}

/**
 * The namespace network of one engine's API, owned by labels: found by exact name, created on
 * the first subnet the engine accepts, removed only when berth owns it. One piece of code for
 * both drivers: a bridge on one engine (docker), an attachable overlay through a Swarm manager
 * (swarm, whose engine names have no dots: `engineName`).
 */
import type Docker from 'dockerode';
import { BerthError, firstHost, formatCidr, formatIpv4, parseCidr, replicaRange, type Logger } from '../../core/index.js';
import type { NetworkSpec } from '../driver.js';
import { isOwned, LABEL, type Labels } from '../labels.js';
import { objectPathValue } from './engine-path.js';
import { engineMessage, engineStatus, toEngineError } from './errors.js';

export interface NetworkEngine {
  readonly api: Docker;
  readonly socketPath: string;
  readonly instance: string;
  readonly log: Logger;
  /** The engine's name of berth's network `name` (default: the same). */
  readonly engineName?: (name: string) => string;
}

/** The engine's IPAM config of a subnet berth lays out: gateway at its first address, replicas in its lower half (the upper half is for Service virtual addresses). */
function ipamOf(subnet: string): { Subnet: string; IPRange: string; Gateway: string } | undefined {
  const cidr = parseCidr(subnet);
  if (!cidr) return undefined;
  return { Subnet: formatCidr(cidr), IPRange: formatCidr(replicaRange(cidr)), Gateway: formatIpv4(firstHost(cidr)) };
}

/** Networks whose engine name is exactly that of `name` (the engine's name filter matches substrings). */
export async function networksNamed(e: NetworkEngine, name: string): Promise<Docker.NetworkInspectInfo[]> {
  const engineName = e.engineName?.(name) ?? name;
  let found: Docker.NetworkInspectInfo[];
  try {
    found = await e.api.listNetworks({ filters: { name: [engineName] } });
  } catch (err) {
    throw toEngineError(err, e.socketPath, `list networks named ${engineName}`);
  }
  return found.filter((n) => n.Name === engineName);
}

export function notOwnedError(instance: string, kind: 'network' | 'container' | 'volume' | 'service', name: string): BerthError {
  return new BerthError(
    'ENGINE_CONFLICT',
    `${kind} ${name} exists but is not owned by berth instance ${instance} (labels ${LABEL.managed}=true, ${LABEL.instance}=${instance}); berth never touches it`,
    { details: { [kind]: name, reason: 'not-owned' } },
  );
}

/**
 * The owned network `spec.name`, created unless it exists: on the first of `spec.subnets` the
 * engine accepts (one that overlaps another network is skipped), else where the engine picks.
 * `labels` are what it is created with (the owned labels included); a same-named network berth
 * does not own is ENGINE_CONFLICT.
 */
export async function ensureOwnedNetwork(
  e: NetworkEngine,
  spec: NetworkSpec,
  how: { readonly driver: 'bridge' | 'overlay'; readonly labels: Labels },
): Promise<Docker.NetworkInspectInfo> {
  const existing = await networksNamed(e, spec.name);
  const mine = existing.find((n) => isOwned(n.Labels, e.instance));
  if (mine) return mine;
  if (existing.length > 0) throw notOwnedError(e.instance, 'network', spec.name);
  for (const subnet of [...(spec.subnets ?? []), undefined]) {
    const ipam = subnet === undefined ? undefined : ipamOf(subnet);
    if (subnet !== undefined && !ipam) continue;
    try {
      await e.api.createNetwork({
        Name: e.engineName?.(spec.name) ?? spec.name,
        Driver: how.driver,
        ...(how.driver === 'overlay' ? { Attachable: true } : {}),
        CheckDuplicate: true,
        Labels: { ...how.labels },
        ...(ipam ? { IPAM: { Driver: 'default', Config: [ipam] } } : {}),
      });
      e.log.info({ network: spec.name, driver: how.driver, ...(subnet ? { subnet } : {}) }, 'network created');
      break;
    } catch (err) {
      // "Pool overlaps with other one on this address space"; the very same subnet taken: "failed to allocate gateway (…): Address already in use".
      if (subnet !== undefined && /overlap|failed to allocate|address already in use/i.test(engineMessage(err))) continue;
      // Lost a race with another creator: fine if what exists now is ours.
      if (engineStatus(err) === 409) {
        const now = await networksNamed(e, spec.name);
        if (now.some((n) => isOwned(n.Labels, e.instance))) break;
        if (now.length > 0) throw notOwnedError(e.instance, 'network', spec.name);
      }
      throw toEngineError(err, e.socketPath, `create network ${spec.name}`);
    }
  }
  const created = (await networksNamed(e, spec.name)).find((n) => isOwned(n.Labels, e.instance));
  if (!created) throw new BerthError('ENGINE_CONFLICT', `network ${spec.name} disappeared right after it was created`, { details: { network: spec.name } });
  return created;
}

/** Removes the owned network `name`; a missing one is not an error; one with `attached` (containers, tasks) still on it is ENGINE_CONFLICT. */
export async function removeOwnedNetwork(e: NetworkEngine, name: string, attached: string): Promise<void> {
  const existing = await networksNamed(e, name);
  const owned = existing.filter((n) => isOwned(n.Labels, e.instance));
  if (owned.length === 0) {
    if (existing.length > 0) throw notOwnedError(e.instance, 'network', name);
    return;
  }
  for (const network of owned) {
    try {
      // By id: exactly the network whose labels were just checked.
      await e.api.getNetwork(objectPathValue('network', network.Id)).remove();
      e.log.info({ network: name }, 'network removed');
    } catch (err) {
      const status = engineStatus(err);
      if (status === 404) continue;
      // 403 "has active endpoints" (engine 20.10), 409 on newer engines.
      if (status === 403 || status === 409)
        throw new BerthError('ENGINE_CONFLICT', `network ${name} still has ${attached} attached: ${engineMessage(err)}`, {
          cause: err,
          details: { network: name },
        });
      throw toEngineError(err, e.socketPath, `remove network ${name}`);
    }
  }
}

import { containerName, type DesiredState } from '../../src/desired/index.js';
import { replicaSpec } from '../../src/rollout/index.js';
import { LABEL, type Inventory, type OwnedContainer, type OwnedNetwork } from '../../src/runtime/index.js';
import type { RevisionRecord } from '../../src/store/index.js';

/**
 * The inventory a Docker engine would report once `desired` has been rolled out: the
 * namespace's network, and one running container per desired replica carrying the labels the
 * executor writes (replicaSpec's: ownership, revision, the template's labels, named ports, DNS).
 * observe() over it must give a plan with no actions at all.
 *
 * It goes through JSON once, as the engine's answer does (dockerode parses the inspect JSON):
 * built here, its names and ids were strings pieced together and its label objects each had a
 * hidden class of its own (~19 MB of the warm worker's heap at 10,000 Deployments that a
 * daemon, holding parsed JSON, does not have).
 */
export function inSyncInventory(desired: DesiredState): Inventory {
  const containers: OwnedContainer[] = [];
  const networks: OwnedNetwork[] = [];
  const owned = { [LABEL.managed]: 'true', [LABEL.instance]: desired.instance };
  let serial = 0;
  for (const ns of desired.namespaces) {
    networks.push({ id: id(serial++), name: ns.network, labels: { ...owned, [LABEL.namespace]: ns.name } });
    for (const d of ns.deployments) {
      for (let replica = 0; replica < d.replicas; replica++) {
        containers.push({
          id: id(serial++),
          name: containerName(desired.instance, ns.name, d.name, d.revision, replica),
          image: d.template.image,
          // The executor's own labels (rollout/container-spec.ts): ownership, the Pod template's
          // labels, named ports, namespace DNS — what observe() reads from a real engine.
          labels: replicaSpec({
            desired: d,
            creation: { revision: d.revision, replica, commit: desired.commit, restart: false },
            instance: desired.instance,
            network: ns.network,
            env: [],
            dns: NAMESPACE_DNS,
          }).labels,
          state: 'running',
          created: '2025-01-01T00:00:00.000Z',
          ports: [],
        });
      }
    }
  }
  return JSON.parse(JSON.stringify({ containers, networks })) as Inventory;
}

/**
 * The store's revision histories once `desired` has been rolled out: each Deployment's revision
 * recorded complete, as the daemon records it when its rollout completes (once per revision: a
 * history that did not change is the same array, as in the store, whose updates replace only the
 * key they record).
 */
export function completedRevisions(
  desired: DesiredState,
  previous: Readonly<Record<string, readonly RevisionRecord[]>> = {},
): Record<string, readonly RevisionRecord[]> {
  const out: Record<string, readonly RevisionRecord[]> = {};
  for (const ns of desired.namespaces) {
    for (const d of ns.deployments) {
      const key = `${ns.name}/${d.name}`;
      const known = previous[key];
      out[key] =
        known?.at(-1)?.revision === d.revision
          ? known
          : [{ revision: d.revision, commit: desired.commit, image: d.template.image, time: '2025-01-01T00:00:00.000Z', outcome: 'complete' }];
    }
  }
  return out;
}

/** Namespace DNS as `berth run` gives every replica (only its presence shows, as label berth.dns). */
const NAMESPACE_DNS = { servers: ['10.213.0.2'], search: [], options: [] } as const;

/** A 64-hex engine id, distinct per object. */
function id(n: number): string {
  return n.toString(16).padStart(64, '0');
}

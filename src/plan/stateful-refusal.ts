import type { DesiredDeployment, StatefulSettings } from '../desired/index.js';
import type { ObservedReplica } from '../observed/index.js';

/**
 * Kubernetes refuses an update of a StatefulSet's volumeClaimTemplates, serviceName,
 * podManagementPolicy or selector. berth compares their hash with the one its replicas were
 * created with (label berth.fixed): a replica with another one means the commit changed them.
 * Then the StatefulSet is left as it runs (no step) and this says why; removing it from Git
 * and adding it again (its volumes are kept) makes it anew. Undefined: nothing refused.
 */
export function statefulRefusal(desired: DesiredDeployment, replicas: readonly ObservedReplica[]): string | undefined {
  const sts: StatefulSettings | undefined = desired.stateful;
  if (!sts) return undefined;
  const other = replicas.find((r) => r.state !== 'removing' && r.fixed !== undefined && r.fixed !== sts.fixed);
  if (!other) return undefined;
  return `StatefulSet ${desired.namespace}/${desired.name}: volumeClaimTemplates, serviceName, podManagementPolicy and selector cannot change once it runs (as Kubernetes refuses it); the commit changes one of them, so the StatefulSet is left as it runs. Revert that change, or remove the StatefulSet from Git and add it again (its volumes are kept)`;
}

import { FIXED_FIELDS, type DesiredDeployment, type StatefulSettings } from '../desired/index.js';
import type { ObservedReplica } from '../observed/index.js';

/**
 * Kubernetes refuses an update of a StatefulSet's volumeClaimTemplates, serviceName,
 * podManagementPolicy or selector. berth compares their hashes with the ones its replicas were
 * created with (label berth.fixed): a replica with others means the commit changed those fields.
 * Then the StatefulSet is left as it runs (no step) and this says why, naming the fields and
 * where the StatefulSet is written; removing it from Git and adding it again (its volumes are
 * kept) makes it anew. Undefined: nothing refused.
 *   desired a.b.c.d, a replica made with a.x.c.d → "… spec.serviceName … (shop/db.yaml:1)"
 */
export function statefulRefusal(desired: DesiredDeployment, replicas: readonly ObservedReplica[]): string | undefined {
  const sts: StatefulSettings | undefined = desired.stateful;
  if (!sts) return undefined;
  const other = replicas.find((r) => r.state !== 'removing' && r.fixed !== undefined && r.fixed !== sts.fixed);
  if (!other?.fixed) return undefined;
  const now = sts.fixed.split('.');
  const then = other.fixed.split('.');
  const changed = FIXED_FIELDS.filter((_, i) => now[i] !== then[i]);
  const named = changed.length > 0 ? changed : FIXED_FIELDS;
  return `StatefulSet ${desired.namespace}/${desired.name} (${desired.source.file}:${desired.source.line}): ${named.join(', ')} cannot change once it runs (as Kubernetes refuses it), and this commit changes ${named.length === 1 ? 'it' : 'them'}: the StatefulSet is left as it runs. Revert the change, or remove the StatefulSet from Git and add it again (its volumes are kept)`;
}

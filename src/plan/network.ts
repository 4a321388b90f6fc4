import type { DesiredNamespace } from '../desired/index.js';
import type { ObservedNamespace } from '../observed/index.js';

/**
 * The namespace network's change, one rule for `berth plan` and `berth run`: made when the
 * namespace has workloads in Git and no network on the engine; removed when the namespace is
 * gone from Git (run removes it once nothing of the namespace is left on it).
 *   desired with 1 Deployment, no network → 'create'; gone from Git, network → 'remove'
 */
export function networkChange(desired: DesiredNamespace | undefined, observed: ObservedNamespace | undefined): 'create' | 'remove' | undefined {
  if (desired && desired.deployments.length > 0 && !observed?.network) return 'create';
  if (!desired && observed?.network) return 'remove';
  return undefined;
}

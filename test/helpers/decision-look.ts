import type { WorkloadFacts } from '../../src/controller/decide.js';
import type { DecisionMemo } from '../../src/controller/decision-memo.js';
import type { DesiredDeployment, DesiredNamespace } from '../../src/desired/index.js';
import type { ObservedReplica } from '../../src/observed/index.js';
import type { Readiness } from '../../src/rollout/index.js';
import type { Pin, RevisionRecord } from '../../src/store/index.js';

/** One look at namespace shop: the objects a pass hands decideWorkloads (unchanged ones are the same objects, as the memos keep them). */
export interface Look {
  readonly desired: DesiredDeployment;
  readonly replicas: readonly ObservedReplica[];
  readonly now: Date;
  readonly history?: readonly RevisionRecord[];
  readonly pin?: Pin;
  readonly readiness?: ReadonlyMap<string, Readiness>;
  readonly commit?: string;
}

export function facts(look: Look, memo?: DecisionMemo): WorkloadFacts {
  return {
    namespace: 'shop',
    target: {
      name: 'shop',
      network: 'berth.shop',
      valid: true,
      deployments: [look.desired],
      services: [],
      ingresses: [],
      diagnostics: [],
    } as unknown as DesiredNamespace,
    observed: { name: 'shop', deployments: [{ namespace: 'shop', name: look.desired.name, replicas: look.replicas }], strays: [] },
    mayPrune: true,
    commit: look.commit ?? 'c-new',
    now: look.now,
    readiness: look.readiness ?? new Map(),
    pins: look.pin ? { [`shop/${look.desired.name}`]: look.pin } : undefined,
    revisions: look.history ? { [`shop/${look.desired.name}`]: look.history } : undefined,
    ...(memo ? { memo } : {}),
  };
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LivePruneGuard, Plan } from '../../../src/plan/index.js';
import { namespacePlanView } from '../../../src/server/plan-view.js';

const NO_PRUNES: LivePruneGuard = { verdict: 'no-prunes', holds: false, removedNamespaces: [], prunedDeployments: [], running: 3, reasons: [] };
const HELD: LivePruneGuard = {
  verdict: 'needs-confirmation',
  holds: true,
  removedNamespaces: ['blog'],
  prunedDeployments: ['blog/blog'],
  running: 3,
  reasons: ['the commit removes namespace blog'],
};

function plan(pruneGuard: LivePruneGuard, namespaces: Plan['namespaces']): Plan {
  return {
    commit: 'c0ffee0000000000000000000000000000000000',
    namespaces,
    diagnostics: [],
    summary: { create: 0, update: 0, prune: 0, invalidNamespaces: 0, refusedNamespaces: 0 },
    pruneGuard,
  };
}

describe('namespacePlanView', () => {
  const shop: Plan['namespaces'][number] = {
    namespace: 'shop',
    verdict: 'changes',
    actions: [
      {
        kind: 'update-deployment',
        namespace: 'shop',
        name: 'web',
        fromRevisions: ['r1'],
        toRevision: 'r2',
        replicas: 2,
        image: 'busybox:1.36',
        strategy: 'RollingUpdate (maxSurge 1, maxUnavailable 0)',
      },
    ],
    diagnostics: [],
    services: [{ name: 'web', type: 'ClusterIP', clusterIP: '10.1.0.2', ports: ['80 → 8080'], host: [] }],
    rollbacks: [{ name: 'api', revision: 'r0', commit: 'abcdef1234567890' }],
    autoscaled: [{ deployment: 'web', autoscaler: 'web', replicas: 3, git: 2 }],
  };
  const blog: Plan['namespaces'][number] = { namespace: 'blog', verdict: 'refused', actions: [], diagnostics: [], message: 'prune guard: …' };

  const cases: { name: string; plan: Plan; ns: string; want: ReturnType<typeof namespacePlanView> }[] = [
    {
      name: 'changes as `berth plan` words them, notes for pins and HPAs, no Services',
      plan: plan(NO_PRUNES, [blog, shop]),
      ns: 'shop',
      want: {
        commit: 'c0ffee0000000000000000000000000000000000',
        namespace: 'shop',
        verdict: 'changes',
        changes: ['~ deployment web: roll r1 → r2 (busybox:1.36, 2 replica(s), RollingUpdate (maxSurge 1, maxUnavailable 0))'],
        notes: ['api: rolled back to revision r0 (commit abcdef123456) until a commit changes it', 'web: replicas managed by HPA web (now 3)'],
        pruneGuard: { verdict: 'no-prunes', holds: false, reasons: [], prunedDeployments: [], removedNamespaces: [] },
      },
    },
    {
      name: 'a namespace the guard holds: refused, with the reasons',
      plan: plan(HELD, [blog, shop]),
      ns: 'blog',
      want: {
        commit: 'c0ffee0000000000000000000000000000000000',
        namespace: 'blog',
        verdict: 'refused',
        message: 'prune guard: …',
        changes: [],
        notes: [],
        pruneGuard: {
          verdict: 'needs-confirmation',
          holds: true,
          reasons: ['the commit removes namespace blog'],
          prunedDeployments: ['blog/blog'],
          removedNamespaces: ['blog'],
        },
      },
    },
    {
      name: 'a namespace neither Git nor the engine knows',
      plan: plan(NO_PRUNES, [shop]),
      ns: 'gone',
      want: {
        commit: 'c0ffee0000000000000000000000000000000000',
        namespace: 'gone',
        verdict: 'absent',
        changes: [],
        notes: [],
        pruneGuard: { verdict: 'no-prunes', holds: false, reasons: [], prunedDeployments: [], removedNamespaces: [] },
      },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(namespacePlanView(c.plan, c.ns), c.want));
});

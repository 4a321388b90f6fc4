import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rolloutVerdict } from '../../../src/cli/rollout-status.js';
import type { DeploymentStatus, NamespaceStatus, StoreState } from '../../../src/store/index.js';

const HEAD = 'a'.repeat(40);
const deployment = (over: Partial<DeploymentStatus> = {}): DeploymentStatus => ({
  name: 'web',
  revision: 'r2',
  replicas: 3,
  updatedReplicas: 3,
  availableReplicas: 3,
  phase: 'Complete',
  ...over,
});
const state = (d: DeploymentStatus | undefined, over: Partial<NamespaceStatus> = {}): StoreState => ({
  version: 1,
  source: { description: 'repo', commit: HEAD, updatedAt: '' },
  namespaces: {
    shop: {
      namespace: 'shop',
      lastAttemptedCommit: HEAD,
      phase: 'Progressing',
      conditions: [],
      deployments: d ? [d] : [],
      diagnostics: [],
      updatedAt: '',
      ...over,
    },
  },
});

describe('rolloutVerdict', () => {
  const cases: { name: string; state: StoreState; line: RegExp; exit?: number; target?: string }[] = [
    { name: 'complete', state: state(deployment()), line: /^deployment "web" successfully rolled out/, exit: 0 },
    { name: 'updating', state: state(deployment({ phase: 'Progressing', updatedReplicas: 1 })), line: /1 out of 3 new replicas have been updated/ },
    { name: 'waiting for availability', state: state(deployment({ phase: 'Waiting', availableReplicas: 2 })), line: /2 of 3 updated replicas are available/ },
    {
      name: 'status from an older commit: waiting',
      state: state(deployment(), { lastAttemptedCommit: 'b'.repeat(40) }),
      line: /Waiting for commit aaaaaaaaaaaa/,
    },
    {
      // The race of issue #14: pushed, but berth has not fetched yet — its state still names the
      // previous head everywhere, and the previous revision is Complete. Not this commit's success.
      name: "pushed commit not picked up yet: waiting, not the previous revision's success",
      state: { ...state(deployment(), { lastAttemptedCommit: 'b'.repeat(40) }), source: { description: 'repo', commit: 'b'.repeat(40), updatedAt: '' } },
      line: /Waiting for commit aaaaaaaaaaaa to be applied/,
    },
    {
      name: 'no status for the namespace yet: waiting',
      state: { version: 1, namespaces: {} } as StoreState,
      line: /Waiting for namespace "shop" to be synced at aaaaaaaaaaaa/,
    },
    {
      name: 'a namespace named like an Object.prototype key is not found by accident',
      state: { version: 1, namespaces: {} } as StoreState,
      line: /Waiting for namespace "constructor"/,
      target: 'constructor',
    },
    {
      name: 'rolled back: failure',
      state: state(
        deployment({
          phase: 'RolledBack',
          revision: 'r1',
          rolledBack: { revision: 'r2', commit: HEAD, reason: 'ProgressDeadlineExceeded', message: 'no progress' },
        }),
      ),
      line: /rollout failed: revision r2 .* ProgressDeadlineExceeded.*rolled back to revision r1/,
      exit: 3,
    },
    {
      name: 'rolling back: not done yet',
      state: state(deployment({ phase: 'Progressing', revision: 'r1', rolledBack: { revision: 'r2', commit: HEAD, reason: 'CrashLoop', message: 'exited' } })),
      line: /rolling back to revision r1/,
    },
    {
      name: 'failed first deploy, nothing to roll back to: failure',
      state: state(
        deployment({
          phase: 'Failed',
          revision: 'r2',
          rolledBack: { revision: 'r2', commit: HEAD, reason: 'ProgressDeadlineExceeded', message: 'no progress' },
        }),
      ),
      line: /no earlier good revision/,
      exit: 3,
    },
    { name: 'invalid manifests', state: state(undefined, { phase: 'Invalid', message: 'bad' }), line: /invalid/, exit: 2 },
    { name: 'no such deployment', state: state(undefined, { phase: 'Synced' }), line: /not in namespace/, exit: 3 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = rolloutVerdict(c.state, c.target ?? 'shop', 'web', HEAD);
      assert.match(v.line, c.line);
      assert.equal(v.exit, c.exit);
    });
  }
});

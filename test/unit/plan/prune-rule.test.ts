import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgePrunes, type PruneFacts } from '../../../src/plan/index.js';

/** The one prune rule both the live guard and the pull-request preview use (DESIGN §6). */
describe('judgePrunes', () => {
  const none: PruneFacts = { desiresNothing: false, runsSomething: true, deployments: 10, pruned: 0, removedRunningNamespaces: 0, removedNamespaces: 0 };
  const table: [string, Partial<PruneFacts>, string, boolean][] = [
    ['nothing pruned', {}, 'no-prunes', false],
    ['5 of 10 pruned: not more than half', { pruned: 5 }, 'allowed', false],
    ['6 of 10 pruned: more than half', { pruned: 6 }, 'needs-confirmation', true],
    ['1 of 1 pruned', { deployments: 1, pruned: 1 }, 'needs-confirmation', true],
    ['a namespace that runs something is removed', { pruned: 1, removedRunningNamespaces: 1, removedNamespaces: 1 }, 'needs-confirmation', false],
    ['an empty namespace is removed', { deployments: 0, runsSomething: false, removedNamespaces: 1 }, 'allowed', false],
    ['no namespaces desired while something runs', { desiresNothing: true, pruned: 10 }, 'refused', true],
    ['no namespaces desired, nothing runs', { desiresNothing: true, runsSomething: false, deployments: 0 }, 'no-prunes', false],
  ];
  for (const [name, facts, verdict, moreThanHalf] of table) {
    it(name, () => assert.deepEqual(judgePrunes({ ...none, ...facts }), { verdict, moreThanHalf }));
  }
});

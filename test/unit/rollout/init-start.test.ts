import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InitContainer } from '../../../src/desired/index.js';
import { startsWith, type Creation, type Removal } from '../../../src/rollout/index.js';
import { replica } from '../../helpers/builders.js';

const init = (name: string): InitContainer => ({ name, image: 'busybox:1.36', env: [] });
const INITS = [init('first'), init('second')];
const create = (o: Partial<Creation> = {}): Creation => ({ revision: 'new', replica: 0, commit: 'c1', restart: false, ...o });
const removed = (o: Parameters<typeof replica>[2]): Removal[] => [{ replica: replica('new', 0, o), reason: 'exited' }];

describe('startsWith: which container a creation starts', () => {
  const cases: [string, readonly InitContainer[], Creation, Removal[], number | undefined][] = [
    ['no init containers: the app', [], create(), [], undefined],
    ['a new replica: the first init container', INITS, create(), [], 0],
    ['after the first exited 0: the second', INITS, create({ afterInit: 'first' }), [], 1],
    ['after the last exited 0: the app', INITS, create({ afterInit: 'second' }), [], undefined],
    ['a restart replacing a failed init container: from the first again', INITS, create({ restart: true }), removed({ init: 'second', state: 'exited' }), 0],
    [
      'a restart replacing the app (it exited): the app, as Kubernetes does not rerun them',
      INITS,
      create({ restart: true }),
      removed({ state: 'exited' }),
      undefined,
    ],
    ['after an init container the template no longer has: from the first', INITS, create({ afterInit: 'gone' }), [], 0],
  ];
  for (const [name, inits, creation, remove, want] of cases) it(name, () => assert.equal(startsWith(inits, creation, remove), want));
});

/**
 * An env value the engine (runc) refuses never comes back in berth's error (#15 item 13): a
 * container whose env value holds a NUL — validation refuses that in manifests, but a value
 * resolved at run time (a Secret) reaches the driver unvalidated — fails with
 * CONTAINER_START_FAILED whose message says why without the value, and keeps no raw engine
 * error as its cause (a cause reaches the log). Real engine; the scope removes what is left.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../../src/core/index.js';
import { LABEL } from '../../src/runtime/index.js';
import { dockerScope, TEST_IMAGE } from '../helpers/docker-scope.js';
import { ownedContainers } from '../helpers/world.js';

const CANARY = 'secret-canary-c0ffee-91';

test('runc refuses a NUL in an env value: the error names the problem, never the value', { timeout: 60_000 }, async (t) => {
  const scope = dockerScope('scrub');
  t.after(() => scope.cleanup());
  const driver = scope.driver();
  const network = scope.name('net-web');
  await driver.ensureNetwork({ name: network, labels: scope.labels({ [LABEL.namespace]: 'web' }) });
  let caught: unknown;
  try {
    await driver.runContainer({
      name: scope.name('web.abc123.0'),
      image: TEST_IMAGE,
      command: ['sleep', '60'],
      env: [
        { name: 'CANARY', value: `abc\u0000${CANARY}` },
        { name: 'OTHER', value: `plain-${CANARY}` },
      ],
      ports: [],
      labels: scope.labels({
        [LABEL.namespace]: 'web',
        [LABEL.kind]: 'Deployment',
        [LABEL.name]: 'web',
        [LABEL.revision]: 'abc123',
        [LABEL.commit]: '0123456789abcdef',
        [LABEL.replica]: '0',
      }),
      network,
      networkAliases: ['web'],
      stopGraceSeconds: 1,
    });
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof BerthError, `a BerthError: ${String(caught)}`);
  assert.equal(caught.code, 'CONTAINER_START_FAILED');
  assert.match(caught.message, /can't contain null/, 'the reason is kept');
  assert.match(caught.message, /CANARY=<redacted>/);
  assert.ok(!caught.message.includes(CANARY), `no canary in: ${caught.message}`);
  assert.equal(caught.cause, undefined, 'the raw engine error is not kept');
  assert.ok(!JSON.stringify(caught.details).includes(CANARY));
  assert.deepEqual(
    (await ownedContainers(scope.instance)).map((c) => c.name),
    [],
    'the failed container was removed',
  );
});

/**
 * Issue #15, class "a value spliced into an Engine API path": an image reference with path
 * segments (`../x`, `/x`, `%2e%2e/x`, …) made the engine answer a path-cleaning 301 that the
 * client followed to a hostname, an unhandled 'error' that ended the process. Against the real
 * engine: the driver refuses every such value with a BerthError before any request, emits no
 * uncaught error, and still works for valid references; and the process guard keeps a process
 * alive through the raw failure itself (reproduced with dockerode, without the driver's check).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isBerthError } from '../../src/core/index.js';
import { dockerScope, TEST_IMAGE } from '../helpers/docker-scope.js';

export const HOSTILE_IMAGES = [
  '../x',
  '/x',
  '%2e%2e/x',
  'x/../../containers/json',
  'busybox:1.36/../../../v1.40/containers/create',
  'busybox/./x',
  'busybox//x',
  'app@sha256:bad',
  'Busybox',
  'app#1',
  'busybox:1.36?x=1',
  'a b',
  'x\u0000y',
  '..',
  '.',
  'busybox:',
  '@sha256:' + 'a'.repeat(64),
];

test('the driver refuses hostile image references before any engine call, and nothing escapes as an uncaught error', async (t) => {
  const scope = dockerScope('engine-path');
  t.after(() => scope.cleanup());
  const driver = scope.driver();
  const escaped: unknown[] = [];
  const onEscape = (err: unknown) => escaped.push(err);
  process.on('uncaughtException', onEscape);
  t.after(() => process.off('uncaughtException', onEscape));
  for (const image of HOSTILE_IMAGES) {
    await assert.rejects(
      driver.ensureImage(image),
      (err: unknown) => isBerthError(err) && err.code === 'INVALID_IMAGE_REFERENCE',
      `ensureImage(${JSON.stringify(image)})`,
    );
    await assert.rejects(
      driver.runContainer({
        name: scope.name('bad.0'),
        image,
        command: ['true'],
        env: [],
        ports: [],
        labels: scope.labels(),
        network: scope.name('net'),
        networkAliases: [],
        stopGraceSeconds: 1,
      }),
      (err: unknown) => isBerthError(err) && err.code === 'INVALID_IMAGE_REFERENCE',
      `runContainer(${JSON.stringify(image)})`,
    );
  }
  await driver.ensureImage(TEST_IMAGE); // a valid reference still works
  // A redirect followed to a hostname fails a DNS lookup some milliseconds later: give any
  // such straggler the time of one engine round trip plus a lookup, by making one more call.
  await driver.inventory();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(escaped.map(String), [], 'no error escaped to the process');
});

test('the process guard keeps a process alive through an unhandled engine-client error (the raw #15 failure, reproduced without the driver)', async () => {
  const script = fileURLToPath(new URL('../helpers/guarded-redirect.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 0, `the guarded process exits normally; stderr: ${err}`);
  assert.match(out, /alive after \d+ escaped errors/, 'it reached the end');
  const count = Number(/alive after (\d+) escaped/.exec(out)?.[1]);
  assert.ok(count >= 1, `the raw failure did happen (${count} escaped errors were caught and logged): without the guard the process would have died`);
  assert.match(err, /an error escaped every handler/, 'each is logged');
});

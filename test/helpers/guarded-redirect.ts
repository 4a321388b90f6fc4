/**
 * A child process for test/integration/engine-path.test.ts: installs berth's process guard,
 * then makes the raw request that used to kill `berth run` (dockerode, no driver check: the
 * engine answers `/images/../x/json` with a 301, docker-modem follows it to the host "x" and
 * emits an 'error' nobody listens to). Prints how many escaped errors the guard caught.
 */
import Docker from 'dockerode';
import { guardProcess } from '../../src/cli/process-guard.js';
import type { Logger } from '../../src/core/index.js';
import { socketPath } from './docker-scope.js';

const logger = {
  error: (obj: unknown, msg: string) => process.stderr.write(`${msg} ${JSON.stringify(obj)}\n`),
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  trace: () => undefined,
  fatal: () => undefined,
  child: () => logger,
} as unknown as Logger;
const guard = guardProcess(logger);
const docker = new Docker({ socketPath: socketPath(), host: undefined, port: undefined, protocol: 'http' });
await docker
  .getImage('../x')
  .inspect()
  .catch(() => undefined);
// The followed redirect fails its DNS lookup shortly after the call returned.
const deadline = Date.now() + 10_000;
while (guard.caught() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
process.stdout.write(`alive after ${guard.caught()} escaped errors\n`);

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProbeSpec } from '../../../src/desired/index.js';
import { awaitStartup } from '../../../src/health/index.js';

/** An exec startup probe whose command succeeds from its `okFrom`-th run (1-based); sleeps are recorded, not slept. */
async function run(spec: Partial<ProbeSpec>, okFrom: number) {
  let runs = 0;
  const slept: number[] = [];
  const result = await awaitStartup(
    {
      action: { kind: 'exec', command: ['true'] },
      initialDelaySeconds: 0,
      periodSeconds: 2,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
      ...spec,
    },
    { containerId: 'c', ports: [] },
    { exec: async () => ({ exitCode: ++runs >= okFrom ? 0 : 1 }) },
    async (ms) => void slept.push(ms),
  );
  return { ok: result.ok, runs, slept };
}

describe('awaitStartup: a sidecar startup probe, run to its end before the next container starts', () => {
  const rows: { name: string; spec: Partial<ProbeSpec>; okFrom: number; expect: { ok: boolean; runs: number; slept: number[] } }[] = [
    { name: 'passes at once', spec: {}, okFrom: 1, expect: { ok: true, runs: 1, slept: [] } },
    { name: 'passes at the 3rd try: two periods waited', spec: {}, okFrom: 3, expect: { ok: true, runs: 3, slept: [2000, 2000] } },
    { name: 'fails failureThreshold (3) times: gives up', spec: {}, okFrom: 99, expect: { ok: false, runs: 3, slept: [2000, 2000] } },
    { name: 'initialDelaySeconds first', spec: { initialDelaySeconds: 5 }, okFrom: 1, expect: { ok: true, runs: 1, slept: [5000] } },
    { name: 'failureThreshold 1: one try', spec: { failureThreshold: 1 }, okFrom: 2, expect: { ok: false, runs: 1, slept: [] } },
  ];
  for (const row of rows) it(row.name, async () => assert.deepEqual(await run(row.spec, row.okFrom), row.expect));
});

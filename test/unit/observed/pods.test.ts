import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podsOf, type PodReadiness } from '../../../src/observed/index.js';
import { replica } from '../../helpers/builders.js';

const PROBES = '{"readiness":{}}';

describe('podsOf: a replica → kubectl’s pod row', () => {
  const cases: {
    name: string;
    replica: Parameters<typeof replica>[2];
    verdict?: PodReadiness;
    status: string;
    ready: boolean;
    reason?: RegExp;
    restarts?: number;
  }[] = [
    { name: 'running, no probes: ready as soon as it runs', replica: {}, status: 'Running', ready: true },
    {
      name: 'running, probes, a failing verdict: not ready, with the probe’s reason',
      replica: { probesJson: PROBES },
      verdict: { ready: false, reason: 'HTTP 503' },
      status: 'Running',
      ready: false,
      reason: /^HTTP 503$/,
    },
    { name: 'running, probes, verdict ready', replica: { probesJson: PROBES }, verdict: { ready: true }, status: 'Running', ready: true },
    {
      name: 'running, probes, no verdict (no running berth): not ready, never guessed',
      replica: { probesJson: PROBES },
      status: 'Running',
      ready: false,
      reason: /readiness unknown/,
    },
    {
      name: 'a verdict without a reason',
      replica: { probesJson: PROBES },
      verdict: { ready: false },
      status: 'Running',
      ready: false,
      reason: /not succeeded yet/,
    },
    { name: 'exited 0: Completed', replica: { state: 'exited', exitCode: 0 }, status: 'Completed', ready: false, reason: /exited \(exit code 0\)/ },
    { name: 'exited 1, first container of its slot: Error', replica: { state: 'exited', exitCode: 1 }, status: 'Error', ready: false },
    {
      name: 'exited 1 after restarts: CrashLoopBackOff, restarts counted',
      replica: { state: 'exited', exitCode: 1, restart: { count: 3, at: '2030-01-01T00:00:00.000Z' } },
      status: 'CrashLoopBackOff',
      ready: false,
      restarts: 3,
    },
    { name: 'created: ContainerCreating', replica: { state: 'created' }, status: 'ContainerCreating', ready: false, reason: /is created/ },
    { name: 'restarting', replica: { state: 'restarting' }, status: 'Restarting', ready: false },
    { name: 'removing: Terminating', replica: { state: 'removing' }, status: 'Terminating', ready: false },
    { name: 'paused', replica: { state: 'paused' }, status: 'Paused', ready: false },
    { name: 'dead: Error', replica: { state: 'dead' }, status: 'Error', ready: false },
    {
      name: 'a verdict on a replica that is not running is ignored',
      replica: { state: 'exited', exitCode: 2 },
      verdict: { ready: true },
      status: 'Error',
      ready: false,
      reason: /exit code 2/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = replica('abc1234567', 1, c.replica);
      const [pod, ...rest] = podsOf({ name: 'shop', deployments: [{ namespace: 'shop', name: 'web', replicas: [r] }], strays: [] }, () => c.verdict);
      assert.equal(rest.length, 0);
      assert.equal(pod!.name, 'web-abc1234567-1');
      assert.equal(pod!.container, r.name);
      assert.equal(pod!.status, c.status);
      assert.equal(pod!.ready, c.ready);
      assert.equal(pod!.restarts, c.restarts ?? 0);
      if (c.reason) assert.match(pod!.reason ?? '', c.reason);
      else if (c.ready) assert.equal(pod!.reason, undefined);
    });
  }

  it('every replica of every Deployment, in the observed order, asking the verdict per replica', () => {
    const asked: string[] = [];
    const a = replica('r1', 0, { deployment: 'api' });
    const b = [replica('r1', 0), replica('r2', 1)];
    const pods = podsOf(
      {
        name: 'shop',
        deployments: [
          { namespace: 'shop', name: 'api', replicas: [a] },
          { namespace: 'shop', name: 'web', replicas: b },
        ],
        strays: [],
      },
      (r) => {
        asked.push(r.id);
        return undefined;
      },
    );
    assert.deepEqual(
      pods.map((p) => p.name),
      ['api-r1-0', 'web-r1-0', 'web-r2-1'],
    );
    assert.deepEqual(asked, [a.id, ...b.map((r) => r.id)]);
  });
});

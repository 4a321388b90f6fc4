import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAvailable, isReady, type Readiness } from '../../../src/rollout/index.js';
import { replica, T0 } from '../../helpers/builders.js';

const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const verdicts = (ready: boolean, sinceSeconds?: number): Map<string, Readiness> =>
  new Map([['x', { ready, ...(sinceSeconds !== undefined ? { since: at(sinceSeconds) } : {}) }]]);

describe('isAvailable: ready for minReadySeconds (0: ready is available, no time read)', () => {
  const rows: {
    name: string;
    state?: 'running' | 'exited';
    init?: string;
    created: number;
    readiness?: Map<string, Readiness>;
    minReady: number;
    now: number;
    want: boolean;
  }[] = [
    { name: 'running, no probes, minReady 0', created: 0, minReady: 0, now: 0, want: true },
    // Kubernetes: minReadySeconds 0 → available as soon as ready, whatever the clocks say (an engine clock ahead of berth's).
    { name: 'running, created "in the future" (engine clock ahead), minReady 0', created: 30, minReady: 0, now: 0, want: true },
    { name: 'exited, minReady 0', state: 'exited', created: 0, minReady: 0, now: 10, want: false },
    { name: 'an init container running, minReady 0', init: 'migrate', created: 0, minReady: 0, now: 10, want: false },
    { name: 'probe says not ready, minReady 0', created: 0, readiness: verdicts(false), minReady: 0, now: 10, want: false },
    { name: 'probe ready since t=10, minReady 5, at t=14', created: 0, readiness: verdicts(true, 10), minReady: 5, now: 14, want: false },
    { name: 'probe ready since t=10, minReady 5, at t=15', created: 0, readiness: verdicts(true, 10), minReady: 5, now: 15, want: true },
    { name: 'no probes, created t=0, minReady 5, at t=4', created: 0, minReady: 5, now: 4, want: false },
    { name: 'no probes, created t=0, minReady 5, at t=5', created: 0, minReady: 5, now: 5, want: true },
  ];
  for (const row of rows)
    it(row.name, () => {
      const r = replica('a', 0, {
        id: 'x',
        state: row.state ?? 'running',
        created: at(row.created).toISOString(),
        ...(row.init ? { init: row.init } : {}),
      });
      assert.equal(isAvailable(r, row.readiness, row.minReady, at(row.now)), row.want);
    });

  it('isReady reads the verdict of this replica only', () => {
    const readiness = verdicts(false);
    assert.equal(isReady(replica('a', 0, { id: 'x' }), readiness), false);
    assert.equal(isReady(replica('a', 1, { id: 'y' }), readiness), true);
    assert.equal(isReady(replica('a', 2, { id: 'z' }), new Map()), true);
  });

  it('a replica its node ordered to stop (a drain) is neither ready nor available, whatever its probe says', () => {
    const drained = replica('a', 0, { id: 'x', evicted: true });
    assert.equal(isReady(drained, verdicts(true)), false);
    assert.equal(isAvailable(drained, verdicts(true), 0, T0), false);
    assert.equal(isAvailable(drained, verdicts(true), 5, new Date(T0.getTime() + 3_600_000)), false);
  });
});

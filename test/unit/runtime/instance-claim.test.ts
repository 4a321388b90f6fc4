import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claimVolumeName, judgeInstanceClaim, type ClaimVerdict } from '../../../src/runtime/instance-claim.js';

const mine = { stateDir: '/var/lib/berth/a', host: 'host1' };
const claimLabels = (stateDir: string, host = 'host1', extra: Record<string, string> = {}) => ({
  'berth.managed': 'true',
  'berth.instance': 'prod',
  'berth.kind': 'InstanceClaim',
  'berth.state-dir': stateDir,
  'berth.host': host,
  ...extra,
});

describe('judgeInstanceClaim: one instance, one state directory', () => {
  const existing = new Set(['/var/lib/berth/a', '/var/lib/berth/b']);
  const table: { what: string; labels: Record<string, string> | undefined; expect: ClaimVerdict }[] = [
    { what: 'our own claim', labels: claimLabels('/var/lib/berth/a'), expect: { kind: 'held' } },
    {
      what: 'another state directory that exists: claimed by it',
      labels: claimLabels('/var/lib/berth/b'),
      expect: { kind: 'claimed', holder: { stateDir: '/var/lib/berth/b', host: 'host1' } },
    },
    {
      what: 'another state directory that is gone: stale, taken over',
      labels: claimLabels('/tmp/removed'),
      expect: { kind: 'stale', holder: { stateDir: '/tmp/removed', host: 'host1' } },
    },
    {
      what: 'our path on another host: claimed (it cannot be checked from here)',
      labels: claimLabels('/var/lib/berth/a', 'host2'),
      expect: { kind: 'claimed', holder: { stateDir: '/var/lib/berth/a', host: 'host2' } },
    },
    {
      what: 'a missing path on another host: still claimed',
      labels: claimLabels('/tmp/removed', 'host2'),
      expect: { kind: 'claimed', holder: { stateDir: '/tmp/removed', host: 'host2' } },
    },
    { what: 'a volume of that name berth does not own', labels: { purpose: 'someone else' }, expect: { kind: 'foreign' } },
    { what: 'no labels at all', labels: undefined, expect: { kind: 'foreign' } },
    { what: "another instance's object", labels: claimLabels('/var/lib/berth/a', 'host1', { 'berth.instance': 'staging' }), expect: { kind: 'foreign' } },
    { what: 'an owned object of another kind', labels: claimLabels('/var/lib/berth/a', 'host1', { 'berth.kind': 'Deployment' }), expect: { kind: 'foreign' } },
  ];
  for (const c of table) {
    it(c.what, () => assert.deepEqual(judgeInstanceClaim({ instance: 'prod', mine, labels: c.labels, stateDirExists: (d) => existing.has(d) }), c.expect));
  }

  it('the claim volume name cannot be a `<namespace>.<claim>` volume', () => {
    assert.equal(claimVolumeName('prod'), 'berth_instance_prod');
    assert.doesNotMatch(claimVolumeName('prod'), /^[a-z0-9-]+\./);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DesiredNamespace } from '../../../src/desired/index.js';
import type { ObservedNamespace } from '../../../src/observed/index.js';
import { networkChange } from '../../../src/plan/index.js';
import { deployment } from '../../helpers/builders.js';

const desired = (deployments: number): DesiredNamespace =>
  ({
    name: 'shop',
    network: 'berth.shop',
    valid: true,
    deployments: Array.from({ length: deployments }, () => deployment()),
    services: [],
    ingresses: [],
    diagnostics: [],
  }) as unknown as DesiredNamespace;
const observed = (network: boolean): ObservedNamespace =>
  ({ name: 'shop', deployments: [], strays: [], ...(network ? { network: { id: 'n', name: 'berth.shop' } } : {}) }) as unknown as ObservedNamespace;

describe('networkChange (plan and run alike)', () => {
  it('creates for workloads in Git, removes when gone from Git, else leaves it', () => {
    const cases: [DesiredNamespace | undefined, ObservedNamespace | undefined, ReturnType<typeof networkChange>][] = [
      [desired(1), undefined, 'create'],
      [desired(1), observed(false), 'create'],
      [desired(1), observed(true), undefined],
      [desired(0), observed(false), undefined], // only Services or ConfigMaps: no replica to join it
      [desired(0), observed(true), undefined], // kept while the folder is in Git
      [undefined, observed(true), 'remove'],
      [undefined, observed(false), undefined],
      [undefined, undefined, undefined],
    ];
    for (const [d, o, expected] of cases)
      assert.equal(networkChange(d, o), expected, JSON.stringify({ d: d?.deployments.length, o: o?.network !== undefined }));
  });
});

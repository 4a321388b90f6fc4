/** `berth status` text for HPAs (cli/output.ts): count, metrics against targets, last scale, the conditions worth reading. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderStatus } from '../../../src/cli/output.js';
import type { AutoscalerRecord, StoreState } from '../../../src/store/index.js';

const ns = {
  namespace: 'shop',
  phase: 'Synced' as const,
  conditions: [],
  deployments: [],
  diagnostics: [],
  updatedAt: '2026-12-04T00:00:00Z',
};

function hpa(over: Partial<AutoscalerRecord> = {}): AutoscalerRecord {
  return {
    namespace: 'shop',
    name: 'web',
    target: 'web',
    replicas: 5,
    currentReplicas: 3,
    recommendations: [],
    events: [],
    metrics: [{ metric: 'cpu utilization', target: 70, current: 180 }],
    conditions: [
      { type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: 'the HPA controller was able to update the target scale to 5' },
      { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: 'ok' },
      { type: 'ScalingLimited', status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count (5)' },
    ],
    lastScale: { at: '2026-12-04T00:00:01Z', from: 3, to: 5, reason: 'metric above target (current 180)' },
    updatedAt: '2026-12-04T00:00:01Z',
    ...over,
  };
}

describe('renderStatus: HPAs', () => {
  const table: [what: string, record: AutoscalerRecord, lines: string[]][] = [
    [
      'a scale: current and desired, the metric against its target, the last scale, and the condition that is not the quiet default',
      hpa(),
      [
        '  hpa web → deployment web: current 3, desired 5; cpu utilization 180 (target 70); last scaled 3 → 5 at 2026-12-04T00:00:01Z (metric above target (current 180))',
        '    ScalingLimited True TooManyReplicas: the desired replica count is more than the maximum replica count (5)',
      ],
    ],
    [
      'metrics that cannot be read: the error, and ScalingActive False',
      hpa({
        replicas: 2,
        currentReplicas: 2,
        metrics: [{ metric: 'berth_in_flight', target: 5, error: 'no Service routes to Deployment web' }],
        conditions: [
          { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'x' },
          {
            type: 'ScalingActive',
            status: 'False',
            reason: 'FailedGetMetrics',
            message: 'the HPA was unable to compute the replica count: no Service routes to Deployment web',
          },
          { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: 'x' },
        ],
        lastScale: undefined,
      } as Partial<AutoscalerRecord>),
      [
        '  hpa web → deployment web: current 2, desired 2; berth_in_flight ? (target 5) — no Service routes to Deployment web',
        '    ScalingActive False FailedGetMetrics: the HPA was unable to compute the replica count: no Service routes to Deployment web',
      ],
    ],
  ];
  for (const [what, record, lines] of table) {
    it(what, () => {
      const { lastScale, ...rest } = record;
      const state: StoreState = { version: 1, namespaces: { shop: ns }, autoscalers: { 'shop/web': lastScale ? record : rest } };
      const text = renderStatus(state);
      const got = text.split('\n').filter((l) => l.startsWith('  hpa') || l.startsWith('    '));
      assert.deepEqual(got, lines);
    });
  }
});

describe('renderStatus: replicas on a cluster', () => {
  const deploymentOf = (placement?: NonNullable<StoreState['namespaces'][string]['deployments'][number]['placement']>) => ({
    name: 'web',
    revision: 'b1',
    replicas: 2,
    updatedReplicas: 2,
    availableReplicas: 1,
    phase: 'Waiting' as const,
    ...(placement ? { placement } : {}),
  });
  const table: [string, ReturnType<typeof deploymentOf>, string[]][] = [
    ['one host: the deployment line alone', deploymentOf(), []],
    [
      'a cluster: a line per replica with its node, or why it has none',
      deploymentOf([
        { replica: 0, revision: 'b1', state: 'running', node: 'node2' },
        { replica: 1, revision: 'b1', state: 'pending', reason: 'no node matches its nodeSelector disk=nvme' },
      ]),
      ['    replica 0 (revision b1) running on node2', '    replica 1 (revision b1) pending — no node matches its nodeSelector disk=nvme'],
    ],
  ];
  for (const [what, d, expected] of table)
    it(what, () => {
      const lines = renderStatus({ namespaces: { shop: { ...ns, deployments: [d] } } } as unknown as StoreState).split('\n');
      const at = lines.findIndex((l) => l.startsWith('  deployment web:'));
      assert.ok(at >= 0, lines.join('\n'));
      assert.deepEqual(
        lines.slice(at + 1).filter((l) => l.startsWith('    replica')),
        expected,
      );
    });
});

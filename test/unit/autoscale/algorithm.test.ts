import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Behavior,
  DEFAULT_BEHAVIOR,
  type DecideInput,
  decide,
  type MetricTarget,
  type ReplicaSample,
  replicasForMetric,
  scaleDownLimit,
  scaleUpLimit,
} from '../../../src/autoscale/index.js';

const CPU50: MetricTarget = { kind: 'Resource', resource: 'cpu', type: 'Utilization', averageUtilization: 50 };
const MEM: MetricTarget = { kind: 'Resource', resource: 'memory', type: 'AverageValue', averageValue: 100 };
const RPS: MetricTarget = { kind: 'Pods', name: 'berth_requests_per_second', type: 'AverageValue', averageValue: 50 };
const TOL = { up: 0.1, down: 0.1 };

/** A replica: running and ready unless said, request 0.1 core. */
function r(value: number | undefined, opts: { ready?: boolean; running?: boolean; request?: number } = {}): ReplicaSample {
  return {
    name: `r${Math.random()}`,
    running: opts.running ?? true,
    ready: opts.ready ?? true,
    ...(value === undefined ? {} : { value }),
    request: opts.request ?? 0.1,
  };
}

describe('replicasForMetric (replica_calculator.go)', () => {
  const table: [string, MetricTarget, ReplicaSample[], number, number | string][] = [
    ['100 % of a 50 % target on 2 → 4', CPU50, [r(0.09), r(0.11)], 2, 4],
    ['54 % of 50 %: inside the tolerance → current', CPU50, [r(0.054), r(0.054)], 2, 2],
    ['44 % of 50 % (ratio 0.88): outside → ceil(0.88·2) = 2', CPU50, [r(0.044), r(0.044)], 3, 2],
    ['10 % of 50 % on 4 → ceil(0.2·4) = 1', CPU50, [r(0.01), r(0.01), r(0.01), r(0.01)], 4, 1],
    ['a missing sample on a scale-up counts as 0: (100+100+0)/3 → ceil(1.33·3) = 4', CPU50, [r(0.1), r(0.1), r(undefined)], 3, 4],
    ['a missing sample on a scale-down counts as 100 %: (10+10+100)/3/50 = 0.8 → 3', CPU50, [r(0.01), r(0.01), r(undefined)], 3, 3],
    ['cpu: an unready replica counts as 0 on a scale-up: 200 % and 0 → 4', CPU50, [r(0.2), r(0.2, { ready: false })], 2, 4],
    ['cpu: an unready replica is left out on a scale-down: 10 % → ceil(0.2·1) = 1', CPU50, [r(0.01), r(0.5, { ready: false })], 2, 1],
    ['memory: an unready replica still counts (only cpu waits for readiness)', MEM, [r(300), r(300, { ready: false })], 2, 6],
    ['a pending replica counts as 0 on a scale-up: (300+0)/2/100 = 1.5 → 3', MEM, [r(300), r(undefined, { running: false })], 2, 3],
    ['damping that flips the direction keeps the current count', CPU50, [r(0.06), r(undefined), r(undefined)], 3, 3],
    ['plain metric: 120 rps a replica against 50 → ceil(2.4·2) = 5', RPS, [r(120), r(120)], 2, 5],
    ['plain metric on a scale-down: a missing replica counts as the target', RPS, [r(5), r(undefined)], 2, 2],
    ['no sample from any ready replica → error', CPU50, [r(undefined), r(undefined)], 2, 'no metrics from any ready replica'],
    ['no replicas → error', CPU50, [], 2, 'no replicas of the target to measure'],
    ['a replica without a request → error', CPU50, [r(0.1, { request: 0 })], 1, 'a replica has no request for the resource'],
  ];
  for (const [name, metric, replicas, current, expected] of table) {
    it(name, () => {
      const got = replicasForMetric(metric, replicas, current, TOL);
      if (typeof expected === 'string') assert.deepEqual(got, { error: expected });
      else assert.equal('replicas' in got ? got.replicas : got.error, expected);
    });
  }
  it('reports the current average (a percent for Utilization)', () => {
    const got = replicasForMetric(CPU50, [r(0.09), r(0.11)], 2, TOL);
    assert.ok('current' in got);
    assert.equal(Math.round(got.current), 100);
  });
  it('honours a per-direction tolerance', () => {
    assert.equal((replicasForMetric(CPU50, [r(0.054), r(0.054)], 2, { up: 0.05, down: 0.1 }) as { replicas: number }).replicas, 3);
  });
});

describe('rate limits (horizontal.go)', () => {
  const now = 1_000_000;
  it('default scale-up from 2: max(2+4, 2·200 %) = 6', () => assert.equal(scaleUpLimit(2, [], DEFAULT_BEHAVIOR.scaleUp, now), 6));
  it('default scale-up from 10: max(14, 20) = 20', () => assert.equal(scaleUpLimit(10, [], DEFAULT_BEHAVIOR.scaleUp, now), 20));
  it('selectPolicy Min takes the smaller: min(14, 20) = 14', () =>
    assert.equal(scaleUpLimit(10, [], { ...DEFAULT_BEHAVIOR.scaleUp, selectPolicy: 'Min' }, now), 14));
  it('a scale inside the period counts against it: +3 5 s ago from 5 → start 2 → 6', () =>
    assert.equal(scaleUpLimit(5, [{ at: now - 5000, change: 3 }], DEFAULT_BEHAVIOR.scaleUp, now), 6));
  it('an event older than the period does not count', () =>
    assert.equal(scaleUpLimit(5, [{ at: now - 16_000, change: 3 }], DEFAULT_BEHAVIOR.scaleUp, now), 10));
  const halfPerMinute = {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max' as const,
    policies: [{ type: 'Percent' as const, value: 50, periodSeconds: 60 }],
    tolerance: 0.1,
  };
  it('scale-down Percent 50 per 60 s from 8 after 10 → 8: start 10 → 5', () =>
    assert.equal(scaleDownLimit(8, [{ at: now - 30_000, change: -2 }], halfPerMinute, now), 5));
  it('scale-down Pods 1 per 60 s: one removed already → start 5 → 4 from 4 (no further)', () =>
    assert.equal(
      scaleDownLimit(4, [{ at: now - 10_000, change: -1 }], { ...halfPerMinute, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] }, now),
      4,
    ));
  it('Disabled: no change either way', () => {
    assert.equal(scaleUpLimit(3, [], { ...DEFAULT_BEHAVIOR.scaleUp, selectPolicy: 'Disabled' }, now), 3);
    assert.equal(scaleDownLimit(3, [], { ...DEFAULT_BEHAVIOR.scaleDown, selectPolicy: 'Disabled' }, now), 3);
  });
});

describe('decide (horizontal.go reconcileAutoscaler)', () => {
  const now = 10_000_000;
  const base: DecideInput = {
    now,
    minReplicas: 1,
    maxReplicas: 10,
    currentReplicas: 2,
    metrics: [{ replicas: 4, current: 100 }],
    behavior: DEFAULT_BEHAVIOR,
    history: { recommendations: [], events: [] },
  };
  const fast: Behavior = { scaleUp: DEFAULT_BEHAVIOR.scaleUp, scaleDown: { ...DEFAULT_BEHAVIOR.scaleDown, stabilizationWindowSeconds: 0 } };
  const table: [string, Partial<DecideInput>, number, string, string][] = [
    ['scales up to the recommendation', {}, 4, 'AbleToScale', 'SucceededRescale'],
    ['the scale-up rate limits: 10 from 2 → 6', { metrics: [{ replicas: 10, current: 250 }] }, 6, 'ScalingLimited', 'ScaleUpLimit'],
    ['max bounds: 30 from 8 → 10', { currentReplicas: 8, metrics: [{ replicas: 30, current: 400 }] }, 10, 'ScalingLimited', 'TooManyReplicas'],
    [
      'the largest metric wins',
      {
        metrics: [
          { replicas: 3, current: 1 },
          { replicas: 5, current: 2 },
        ],
      },
      5,
      'ScalingActive',
      'ValidMetricFound',
    ],
    [
      'a failed metric and a scale-down: keep',
      { currentReplicas: 5, metrics: [{ replicas: 2, current: 1 }, { error: 'x' }] },
      5,
      'ScalingActive',
      'FailedGetMetrics',
    ],
    ['a failed metric and a scale-up: scale up', { metrics: [{ replicas: 4, current: 1 }, { error: 'x' }] }, 4, 'AbleToScale', 'SucceededRescale'],
    ['no metric at all: keep (never min on missing data)', { currentReplicas: 5, metrics: [{ error: 'no metrics' }] }, 5, 'ScalingActive', 'FailedGetMetrics'],
    ['current 0: scaling disabled', { currentReplicas: 0 }, 0, 'ScalingActive', 'ScalingDisabled'],
    ['current above max: max', { currentReplicas: 12, metrics: [{ replicas: 12, current: 50 }] }, 10, 'ScalingLimited', 'TooManyReplicas'],
    ['current below min: min', { minReplicas: 3, currentReplicas: 1 }, 3, 'ScalingLimited', 'TooFewReplicas'],
    [
      'scale-down waits for the 300 s window: a 6 120 s ago holds 5',
      { currentReplicas: 5, metrics: [{ replicas: 2, current: 10 }], history: { recommendations: [{ at: now - 120_000, replicas: 6 }], events: [] } },
      5,
      'AbleToScale',
      'ScaleDownStabilized',
    ],
    [
      'the window keeps the highest recent: 4 from 5',
      { currentReplicas: 5, metrics: [{ replicas: 2, current: 10 }], history: { recommendations: [{ at: now - 120_000, replicas: 4 }], events: [] } },
      4,
      'AbleToScale',
      'SucceededRescale',
    ],
    [
      'a recommendation older than the window is forgotten',
      { currentReplicas: 5, metrics: [{ replicas: 2, current: 10 }], history: { recommendations: [{ at: now - 301_000, replicas: 9 }], events: [] } },
      2,
      'AbleToScale',
      'SucceededRescale',
    ],
    [
      'a new HPA (no history) never scales down inside its window: its current count seeds it',
      { currentReplicas: 5, metrics: [{ replicas: 1, current: 1 }] },
      5,
      'AbleToScale',
      'ScaleDownStabilized',
    ],
    [
      'min bounds a scale-down: 1 → 2',
      { minReplicas: 2, currentReplicas: 4, behavior: fast, metrics: [{ replicas: 1, current: 1 }] },
      2,
      'ScalingLimited',
      'TooFewReplicas',
    ],
  ];
  for (const [name, over, replicas, conditionType, reason] of table) {
    it(name, () => {
      const d = decide({ ...base, ...over });
      assert.equal(d.desiredReplicas, replicas);
      const c = d.conditions.find((x) => x.type === conditionType);
      assert.equal(c?.reason, reason, JSON.stringify(d.conditions));
    });
  }
  it('records the recommendation and the scale for the next pass, and drops what aged out', () => {
    const d = decide({ ...base, history: { recommendations: [{ at: now - 400_000, replicas: 9 }], events: [{ at: now - 20_000, change: 1 }] } });
    assert.deepEqual(d.history, { recommendations: [{ at: now, replicas: 4 }], events: [{ at: now, change: 2 }] });
    const fresh = decide(base);
    assert.deepEqual(
      fresh.history.recommendations,
      [
        { at: now, replicas: 2 },
        { at: now, replicas: 4 },
      ],
      'seeded with the current count, then this one',
    );
    assert.match(d.reason ?? '', /above target/);
  });
  it('no scale: no event, no reason', () => {
    const d = decide({ ...base, metrics: [{ replicas: 2, current: 50 }] });
    assert.equal(d.desiredReplicas, 2);
    assert.deepEqual(d.history.events, []);
    assert.equal(d.reason, undefined);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCpu, parseMemory } from '../../../src/manifests/index.js';
import { quantityProblem } from '../../../src/manifests/quantity.js';

describe('parseCpu → nanoCPUs', () => {
  const table: readonly [string | number, number | undefined][] = [
    ['500m', 500_000_000],
    ['0.5', 500_000_000],
    [0.5, 500_000_000],
    [2, 2_000_000_000],
    ['2', 2_000_000_000],
    ['1.5', 1_500_000_000],
    ['100m', 100_000_000],
    ['1n', 1],
    ['1u', 1_000],
    ['.5', 500_000_000],
    ['5.', 5_000_000_000],
    ['+1', 1_000_000_000],
    ['1e-3', 1_000_000],
    ['0.1', 100_000_000], // exact: no 0.1 float error
    ['0.0000000001', 1], // rounds up, as Kubernetes does
    ['0', 0],
    ['-1', undefined],
    [-0.5, undefined],
    ['', undefined],
    ['abc', undefined],
    ['500 m', undefined],
    ['1.2.3', undefined],
    ['1mi', undefined],
    ['1e999999', undefined],
    [Number.NaN, undefined],
    [Number.POSITIVE_INFINITY, undefined],
    ['9999999999', undefined], // > MAX_SAFE_INTEGER nanoCPUs
  ];
  for (const [input, expected] of table) {
    it(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(parseCpu(input), expected));
  }
});

describe('parseMemory → bytes', () => {
  const table: readonly [string | number, number | undefined][] = [
    ['128Mi', 134_217_728],
    ['1G', 1_000_000_000],
    ['1Gi', 1_073_741_824],
    ['512974848', 512_974_848],
    [512974848, 512_974_848],
    ['129e6', 129_000_000],
    ['129E6', 129_000_000],
    ['1k', 1_000],
    ['1Ki', 1_024],
    ['0.5Ki', 512],
    ['1.5', 2], // a fractional byte rounds up
    ['1M', 1_000_000],
    ['1m', 1], // 0.001 byte → 1 (as Kubernetes' Value())
    ['8Ei', undefined], // beyond MAX_SAFE_INTEGER
    ['1Pi', 1_125_899_906_842_624],
    ['12XB', undefined],
    ['1KB', undefined],
    ['1ki', undefined],
    ['Mi', undefined],
    ['-128Mi', undefined],
  ];
  for (const [input, expected] of table) {
    it(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(parseMemory(input), expected));
  }
});

describe('quantityProblem', () => {
  const table: readonly [Parameters<typeof quantityProblem>[0], unknown, RegExp | undefined][] = [
    ['cpu-limit', '500m', undefined],
    ['cpu-limit', '5m', /below Docker's minimum of 10m/],
    ['cpu-limit', 'lots', /not a valid CPU quantity/],
    ['memory-limit', '6Mi', undefined],
    ['memory-limit', '5Mi', /below Docker's minimum of 6Mi/],
    ['memory', '1', undefined], // requests are not held to Docker's minimums
    ['memory', true, /must be a memory quantity/],
    ['cpu', null, /must be a CPU quantity/],
  ];
  for (const [kind, value, expected] of table) {
    it(`${kind} ${JSON.stringify(value)}`, () => {
      const problem = quantityProblem(kind, value);
      if (expected) assert.match(problem ?? '', expected);
      else assert.equal(problem, undefined);
    });
  }
});

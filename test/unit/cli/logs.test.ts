import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineWriter, selectLogTargets, shownPrefix, sinceSeconds, startedTarget, tailValue } from '../../../src/cli/logs.js';
import type { ObservedDeployment } from '../../../src/observed/index.js';
import { logFrames, splitFrames } from '../../../src/runtime/docker/driver.js';
import { replica } from '../../helpers/builders.js';

const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s)).toISOString();
const web: ObservedDeployment = {
  namespace: 'shop',
  name: 'web',
  replicas: [
    replica('r1', 0, { created: at(1), container: 'app', state: 'exited', exitCode: 1 }),
    replica('r1', 0, { created: at(5), container: 'app' }),
    replica('r2', 1, { created: at(3), init: 'migrate' }),
    replica('r2', 0, { created: at(2), container: 'app', state: 'exited', exitCode: 2 }),
  ],
};

describe('selectLogTargets', () => {
  const cases: [string, Parameters<typeof selectLogTargets>[1], string[] | RegExp][] = [
    ['every container, oldest first', {}, ['web-r1-0/app', 'web-r2-0/app', 'web-r2-1/migrate', 'web-r1-0/app']],
    ['--revision (a prefix too)', { revision: 'r2' }, ['web-r2-0/app', 'web-r2-1/migrate']],
    ['-c an init container', { container: 'migrate' }, ['web-r2-1/migrate']],
    ['--previous: the one that exited last', { previous: true }, ['web-r2-0/app']],
    ['--previous within a revision', { previous: true, revision: 'r1' }, ['web-r1-0/app']],
    ['-c unknown: the names there are', { container: 'side' }, /has no container "side"; its containers: app, migrate/],
    ['--revision unknown: the revisions there are', { revision: 'r9' }, /no replicas of revision r9 \(revisions on the engine: r1, r2\)/],
    ['--previous with nothing exited', { previous: true, container: 'migrate' }, /no exited replica container/],
  ];
  for (const [name, sel, want] of cases)
    it(name, () => {
      const got = selectLogTargets(web, sel);
      if (want instanceof RegExp) assert.match(String(got), want);
      else assert.deepEqual(typeof got === 'string' ? got : got.map((t) => t.prefix), want);
    });
  it('no replicas at all', () => assert.match(String(selectLogTargets(undefined, {})), /has no replicas on the engine/));
  it('follows new replicas of the Deployment that match the flags; never with --previous', () => {
    const r = replica('r3', 0, { container: 'app' });
    const d: ObservedDeployment = { ...web, replicas: [...web.replicas, r] };
    assert.equal(startedTarget(d, r.id, {})?.prefix, 'web-r3-0/app');
    assert.equal(startedTarget(d, 'another-id', {}), undefined);
    assert.equal(startedTarget(d, r.id, { revision: 'r2' }), undefined);
    assert.equal(startedTarget(d, r.id, { container: 'migrate' }), undefined);
    assert.equal(startedTarget(d, r.id, { previous: true }), undefined);
  });
  // A Pod of several containers: each container is its own log; the infra container has none.
  const member = (id: string, container: string, extra: object = {}) => ({
    id,
    name: `n.c-${container}`,
    container,
    state: 'running' as const,
    created: at(7),
    image: 'busybox',
    ...extra,
  });
  const pod: ObservedDeployment = {
    ...web,
    replicas: [
      replica('r4', 0, {
        id: 'infra',
        created: at(6),
        members: [member('m-proxy', 'proxy', { sidecar: true }), member('m-app', 'app'), member('m-log', 'log', { state: 'exited', exitCode: 3 })],
      }),
    ],
  };
  const podCases: [string, Parameters<typeof selectLogTargets>[1], string[] | RegExp][] = [
    ['every container of the Pod, never its infra container', {}, ['web-r4-0/proxy', 'web-r4-0/app', 'web-r4-0/log']],
    ['-c a sidecar', { container: 'proxy' }, ['web-r4-0/proxy']],
    ['--previous: the container that exited', { previous: true }, ['web-r4-0/log']],
    ['-c unknown lists the Pod containers', { container: 'x' }, /its containers: app, log, proxy/],
  ];
  for (const [name, sel, want] of podCases)
    it(`Pod: ${name}`, () => {
      const got = selectLogTargets(pod, sel);
      if (want instanceof RegExp) assert.match(String(got), want);
      else assert.deepEqual(typeof got === 'string' ? got : got.map((t) => t.prefix), want);
    });
  it('Pod: a started container of a Pod is followed by its own id', () => {
    assert.equal(startedTarget(pod, 'm-log', {})?.prefix, 'web-r4-0/log');
    assert.equal(startedTarget(pod, 'infra', {}), undefined);
  });
});

describe('sinceSeconds and tailValue', () => {
  const now = new Date('2030-01-01T01:00:00Z');
  const base = now.getTime() / 1000;
  const cases: [string, number][] = [
    ['30s', base - 30],
    ['5m', base - 300],
    ['1h30m', base - 5400],
    ['2h', base - 7200],
    ['2030-01-01T00:00:00Z', base - 3600],
    ['2030-01-01T00:00:00+01:00', base - 7200],
  ];
  for (const [value, want] of cases) it(`${value} → ${want}`, () => assert.equal(sinceSeconds(value, now), want));
  for (const bad of ['', 'yesterday', '5 m', '-5m', '1d', '2030-01-01'])
    it(`${JSON.stringify(bad)} is refused`, () => assert.throws(() => sinceSeconds(bad, now), /neither a duration nor a time/));
  it('tail: whole numbers only', () => {
    assert.equal(tailValue('0'), 0);
    assert.equal(tailValue('20'), 20);
    for (const bad of ['-1', '1.5', 'all', '']) assert.throws(() => tailValue(bad), /not a number of lines/);
  });
});

describe('lines and frames', () => {
  it('lineWriter cuts pieces into prefixed lines and flushes the last one', () => {
    const lines: string[] = [];
    const w = lineWriter('p', (l) => lines.push(l));
    w.push('a\nb');
    w.push('c\n\nd');
    w.end();
    w.end();
    assert.deepEqual(lines, ['p a', 'p bc', 'p ', 'p d']);
  });
  it('a prefix is coloured only on a terminal', () => {
    assert.equal(shownPrefix('web-r-0/app', 0, false), 'web-r-0/app');
    assert.equal(shownPrefix('web-r-0/app', 1, true), '\u001b[32mweb-r-0/app\u001b[0m');
  });
  const frame = (stream: number, text: string) => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };
  it('splitFrames: whole frames out, an incomplete one kept for the next chunk', () => {
    const all = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, 'partial')]);
    const { frames, rest } = splitFrames(all.subarray(0, all.length - 3));
    assert.deepEqual(frames, [
      { stream: 'stdout', text: 'out\n' },
      { stream: 'stderr', text: 'err\n' },
    ]);
    assert.deepEqual(splitFrames(Buffer.concat([rest, all.subarray(all.length - 3)])).frames, [{ stream: 'stdout', text: 'partial' }]);
  });
  it('logFrames: a log that is not framed (a TTY container) is one stdout text; an empty one nothing', () => {
    assert.deepEqual(logFrames(Buffer.from('plain text\n')), [{ stream: 'stdout', text: 'plain text\n' }]);
    assert.deepEqual(logFrames(Buffer.alloc(0)), []);
    assert.deepEqual(logFrames(frame(2, 'e')), [{ stream: 'stderr', text: 'e' }]);
  });
});

/**
 * The probe state machine (Kubernetes kubelet semantics), as worked examples: each case
 * starts a container at t=0, feeds probe results at given seconds, and checks the view after
 * each one. Time is always passed in; nothing here waits.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { ProbeSpec, Probes } from '../../../src/desired/index.js';
import {
  dueProbes,
  initialState,
  nextDueAt,
  nextTick,
  parseProbes,
  recordResult,
  viewOf,
  type ContainerProbeState,
  type ProbeKind,
} from '../../../src/health/index.js';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);
const sec = (d: Date | undefined): number | undefined => (d === undefined ? undefined : (d.getTime() - T0) / 1000);

function spec(overrides: Partial<ProbeSpec> = {}): ProbeSpec {
  return {
    action: { kind: 'tcpSocket', port: 8080 },
    initialDelaySeconds: 0,
    periodSeconds: 10,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 3,
    ...overrides,
  };
}

/** The view as a compact, comparable value: started, ready, readySince (s), restart reason prefix. */
function summary(state: ContainerProbeState): string {
  const v = viewOf(state);
  const parts = [v.started ? 'started' : 'not-started', v.ready ? `ready@${sec(v.readySince)}` : 'not-ready'];
  if (v.restart) parts.push(`restart(${v.restart.reason.split(' failed')[0]})`);
  return parts.join(' ');
}

type Event = [seconds: number, kind: ProbeKind, ok: boolean, expected: string];

interface Case {
  readonly name: string;
  readonly probes: Probes;
  readonly initial: string;
  readonly events: readonly Event[];
  readonly initiallyReady?: boolean;
}

const cases: Case[] = [
  {
    name: 'no probes: started and ready at once, never a restart',
    probes: {},
    initial: 'started ready@0',
    events: [],
  },
  {
    name: 'readiness (successThreshold 1, failureThreshold 3): ready on the first success, unready on the third failure in a row',
    probes: { readiness: spec() },
    initial: 'started not-ready',
    events: [
      [0, 'readiness', true, 'started ready@0'],
      [10, 'readiness', false, 'started ready@0'],
      [20, 'readiness', false, 'started ready@0'],
      [30, 'readiness', false, 'started not-ready'],
      [40, 'readiness', true, 'started ready@40'],
    ],
  },
  {
    name: 'readiness: a success breaks a run of failures',
    probes: { readiness: spec({ failureThreshold: 2 }) },
    initial: 'started not-ready',
    events: [
      [0, 'readiness', true, 'started ready@0'],
      [10, 'readiness', false, 'started ready@0'],
      [20, 'readiness', true, 'started ready@0'],
      [30, 'readiness', false, 'started ready@0'],
      [40, 'readiness', false, 'started not-ready'],
    ],
  },
  {
    name: 'readiness (successThreshold 2): failures while not ready change nothing; two successes in a row make it ready',
    probes: { readiness: spec({ successThreshold: 2 }) },
    initial: 'started not-ready',
    events: [
      [0, 'readiness', false, 'started not-ready'],
      [10, 'readiness', true, 'started not-ready'],
      [20, 'readiness', false, 'started not-ready'],
      [30, 'readiness', true, 'started not-ready'],
      [40, 'readiness', true, 'started ready@40'],
      [50, 'readiness', true, 'started ready@40'],
    ],
  },
  {
    name: 'startup then readiness: readiness only counts once startup passed; readySince is the readiness success',
    probes: { startup: spec({ failureThreshold: 5 }), readiness: spec() },
    initial: 'not-started not-ready',
    events: [
      [0, 'readiness', true, 'not-started not-ready'], // not eligible yet: ignored
      [0, 'startup', false, 'not-started not-ready'],
      [10, 'startup', true, 'started not-ready'],
      [10, 'readiness', true, 'started ready@10'],
    ],
  },
  {
    name: 'startup without readiness: ready the moment startup passes',
    probes: { startup: spec() },
    initial: 'not-started not-ready',
    events: [
      [0, 'startup', false, 'not-started not-ready'],
      [10, 'startup', true, 'started ready@10'],
    ],
  },
  {
    name: 'startup failing failureThreshold times: restart, never started',
    probes: { startup: spec({ failureThreshold: 3 }), liveness: spec() },
    initial: 'not-started not-ready',
    events: [
      [0, 'startup', false, 'not-started not-ready'],
      [10, 'startup', false, 'not-started not-ready'],
      [20, 'startup', false, 'not-started not-ready restart(startup probe)'],
      [30, 'startup', true, 'not-started not-ready restart(startup probe)'], // final: later results are ignored
    ],
  },
  {
    name: 'liveness (failureThreshold 2): a broken run is forgiven; two failures in a row demand a restart and unready',
    probes: { liveness: spec({ failureThreshold: 2 }) },
    initial: 'started ready@0',
    events: [
      [0, 'liveness', false, 'started ready@0'],
      [10, 'liveness', true, 'started ready@0'],
      [20, 'liveness', false, 'started ready@0'],
      [30, 'liveness', false, 'started not-ready restart(liveness probe)'],
    ],
  },
  {
    name: 'liveness does not touch readiness until it gives up',
    probes: { readiness: spec(), liveness: spec({ failureThreshold: 1 }) },
    initial: 'started not-ready',
    events: [
      [0, 'readiness', true, 'started ready@0'],
      [10, 'liveness', true, 'started ready@0'],
      [20, 'liveness', false, 'started not-ready restart(liveness probe)'],
      [30, 'readiness', true, 'started not-ready restart(liveness probe)'],
    ],
  },
  {
    name: 'initiallyReady (after a berth restart): ready and started at once; unready only after failureThreshold failures',
    probes: { startup: spec(), readiness: spec({ failureThreshold: 2 }) },
    initiallyReady: true,
    initial: 'started ready@0',
    events: [
      [5, 'readiness', false, 'started ready@0'],
      [15, 'readiness', false, 'started not-ready'],
    ],
  },
];

describe('probe state machine (worked examples)', () => {
  for (const c of cases) {
    it(c.name, () => {
      let state = initialState(c.probes, at(0), c.initiallyReady ? { initiallyReady: true } : {});
      assert.equal(summary(state), c.initial, 'initial state');
      for (const [seconds, kind, ok, expected] of c.events) {
        state = recordResult(state, kind, { ok, message: ok ? 'ok' : 'boom' }, c.probes[kind] ?? spec(), at(seconds));
        assert.equal(summary(state), expected, `after ${kind} ${ok ? 'success' : 'failure'} at t=${seconds}`);
      }
    });
  }

  it('restart reasons name the probe, the count and the last error', () => {
    const once = { liveness: spec({ failureThreshold: 1 }) };
    const state = recordResult(
      initialState(once, at(0)),
      'liveness',
      { ok: false, message: 'GET http://127.0.0.1:1/: HTTP probe failed with status 500' },
      once.liveness,
      at(0),
    );
    assert.equal(viewOf(state).restart?.reason, 'liveness probe failed: GET http://127.0.0.1:1/: HTTP probe failed with status 500');
    assert.equal(state.live, false, 'not live');
    const thrice = { startup: spec({ failureThreshold: 3 }) };
    let s = initialState(thrice, at(0));
    for (const t of [0, 10, 20]) s = recordResult(s, 'startup', { ok: false, message: 'connection refused' }, thrice.startup, at(t));
    assert.equal(viewOf(s).restart?.reason, 'startup probe failed 3 times in a row: connection refused');
  });

  it('explains why a container is not ready', () => {
    const probes = { startup: spec(), readiness: spec() };
    let state = initialState(probes, at(0));
    assert.equal(viewOf(state).notReadyReason, 'startup probe has not succeeded yet');
    state = recordResult(state, 'startup', { ok: false, message: 'connection refused' }, probes.startup, at(0));
    assert.equal(viewOf(state).notReadyReason, 'startup probe failed: connection refused');
    state = recordResult(state, 'startup', { ok: true, message: 'connected' }, probes.startup, at(10));
    assert.equal(viewOf(state).notReadyReason, 'readiness probe has not succeeded yet');
    state = recordResult(state, 'readiness', { ok: false, message: 'HTTP 503' }, probes.readiness, at(10));
    assert.equal(viewOf(state).notReadyReason, 'readiness probe failed: HTTP 503');
    state = recordResult(state, 'readiness', { ok: true, message: 'HTTP 200' }, probes.readiness, at(20));
    assert.equal(viewOf(state).notReadyReason, undefined);
  });

  it('initiallyReady takes a given readySince', () => {
    const state = initialState({ readiness: spec() }, at(0), { initiallyReady: true, readySince: at(42) });
    assert.equal(sec(viewOf(state).readySince), 42);
  });
});

describe('probe scheduling', () => {
  it('first run at startedAt + initialDelaySeconds, per kind', () => {
    const probes = { readiness: spec({ initialDelaySeconds: 5 }), liveness: spec({ initialDelaySeconds: 30 }) };
    const state = initialState(probes, at(0));
    assert.deepEqual(dueProbes(state, at(4.999)), []);
    assert.deepEqual(dueProbes(state, at(5)), ['readiness']);
    assert.deepEqual(dueProbes(state, at(30)), ['readiness', 'liveness']);
    assert.equal(sec(nextDueAt(state)), 5);
    assert.equal(sec(nextDueAt(state, ['readiness'])), 30, 'a running probe is left out');
  });

  it('a container found long after it started is probed at once', () => {
    const state = initialState({ readiness: spec({ initialDelaySeconds: 5 }) }, at(0));
    assert.deepEqual(dueProbes(state, at(3600)), ['readiness']);
  });

  it('then every periodSeconds on the grid anchored at the first due time', () => {
    const probes = { readiness: spec({ initialDelaySeconds: 5, periodSeconds: 10 }) };
    let state = initialState(probes, at(0));
    state = recordResult(state, 'readiness', { ok: true, message: 'ok' }, probes.readiness, at(5.2));
    assert.equal(sec(state.probes.readiness?.dueAt), 15);
    state = recordResult(state, 'readiness', { ok: true, message: 'ok' }, probes.readiness, at(15.01));
    assert.equal(sec(state.probes.readiness?.dueAt), 25);
  });

  it('within the first period, a failed readiness probe of a never-ready container is retried after 100 ms; later failures wait the period', () => {
    const probes = { readiness: spec({ initialDelaySeconds: 0, periodSeconds: 1 }) };
    let state = initialState(probes, at(0));
    state = recordResult(state, 'readiness', { ok: false, message: 'connection refused' }, probes.readiness, at(0.01));
    assert.equal(sec(state.probes.readiness?.dueAt), 0.11, 'retried 100 ms later, not at 1 s');
    state = recordResult(state, 'readiness', { ok: true, message: 'HTTP 200' }, probes.readiness, at(0.11));
    assert.equal(state.ready, true, 'ready at 0.11 s (the kubelet: at 1 s)');
    let never = initialState(probes, at(0));
    for (const t of [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
      never = recordResult(never, 'readiness', { ok: false, message: 'HTTP 404' }, probes.readiness, at(t));
    never = recordResult(never, 'readiness', { ok: false, message: 'HTTP 404' }, probes.readiness, at(1.0));
    assert.equal(sec(never.probes.readiness?.dueAt), 2, 'after the first period: the normal grid');
  });

  // The window is the first period of probing: from the first due time, which is when the
  // prober took the container up if that is after its (whole-second) creation time plus delay.
  const windows: [what: string, delay: number, seenAt: number | undefined, failAt: number, retryAt: number][] = [
    ['taken up at its creation: retried within 0–1 s', 0, undefined, 0.5, 0.6],
    ['created 1.9 s before its start returned (a loaded engine): the window starts when it was taken up', 0, 1.9, 1.95, 2.05],
    ['the same, its first probe failing late in that window: the next tick is sooner', 0, 1.9, 2.85, 2.9],
    ['the same, after the window: the period', 0, 1.9, 2.95, 3.9],
    ['taken up before its initial delay ran out: the window starts with the delay', 3, 1, 3.5, 3.6],
    ['taken up by a restarted berth an hour later, never ready: one fast window then', 0, 3600, 3600.2, 3600.3],
  ];
  for (const [what, delay, seenAt, failAt, retryAt] of windows) {
    it(`first-period retry: ${what}`, () => {
      const probes = { readiness: spec({ initialDelaySeconds: delay, periodSeconds: 1 }) };
      let state = initialState(probes, at(0), seenAt !== undefined ? { seenAt: at(seenAt) } : {});
      state = recordResult(state, 'readiness', { ok: false, message: 'connection refused' }, probes.readiness, at(failAt));
      assert.equal(sec(state.probes.readiness?.dueAt), retryAt);
    });
  }

  const ticks: [due: number, period: number, now: number, next: number][] = [
    [5, 10, 5.2, 15], // the usual case
    [5, 10, 5, 15], // an instant result still waits a full period
    [15, 1, 16, 16], // a 1 s timeout on a 1 s period: the next tick, no gap
    [15, 1, 16.5, 17], // the tick at 16 passed while the probe ran: dropped
    [0, 3, 10, 12],
  ];
  for (const [due, period, now, next] of ticks) {
    it(`nextTick(due=${due}, period=${period}, now=${now}) = ${next}`, () => assert.equal(sec(nextTick(at(due), period, at(now))), next));
  }

  it('only startup is eligible until it succeeds; then readiness and liveness, already overdue, run at once', () => {
    const probes = { startup: spec({ periodSeconds: 1 }), readiness: spec({ initialDelaySeconds: 2 }), liveness: spec({ initialDelaySeconds: 60 }) };
    let state = initialState(probes, at(0));
    assert.deepEqual(dueProbes(state, at(10)), ['startup']);
    state = recordResult(state, 'startup', { ok: true, message: 'ok' }, probes.startup, at(10));
    assert.deepEqual(dueProbes(state, at(10)), ['readiness'], 'initialDelaySeconds counts from the container start');
    assert.equal(sec(nextDueAt(state, ['readiness'])), 60);
  });

  it('nothing is due once a restart is demanded', () => {
    const probes = { liveness: spec({ failureThreshold: 1 }), readiness: spec() };
    const state = recordResult(initialState(probes, at(0)), 'liveness', { ok: false, message: 'x' }, probes.liveness, at(0));
    assert.deepEqual(dueProbes(state, at(100)), []);
    assert.equal(nextDueAt(state), undefined);
  });

  it('no probes: nothing ever due', () => {
    assert.equal(nextDueAt(initialState({}, at(0))), undefined);
  });
});

describe('parseProbes (the berth.probes label)', () => {
  const readiness = spec({ action: { kind: 'httpGet', path: '/healthz', port: 80, scheme: 'HTTP', headers: [{ name: 'X-A', value: 'b' }] } });
  const table: [string, string, Probes | undefined][] = [
    [
      'a full label',
      JSON.stringify({ readiness, liveness: spec({ action: { kind: 'exec', command: ['true'] } }) }),
      { readiness, liveness: spec({ action: { kind: 'exec', command: ['true'] } }) },
    ],
    ['no probes', '{}', undefined],
    ['not JSON', 'readiness', undefined],
    ['an array', '[]', undefined],
    ['an unknown action', JSON.stringify({ readiness: { ...readiness, action: { kind: 'websocket', port: 1 } } }), undefined],
    ['a grpc action without its service', JSON.stringify({ readiness: { ...readiness, action: { kind: 'grpc', port: 1 } } }), undefined],
    ['a port out of range', JSON.stringify({ readiness: spec({ action: { kind: 'tcpSocket', port: 70000 } }) }), undefined],
    ['a zero period', JSON.stringify({ readiness: spec({ periodSeconds: 0 }) }), undefined],
    ['an empty exec command', JSON.stringify({ liveness: spec({ action: { kind: 'exec', command: [] } }) }), undefined],
  ];
  for (const [name, json, expected] of table) it(name, () => assert.deepEqual(parseProbes(json), expected));
});

it('assess.ts is pure: no I/O imports, no clock reads, no timers', async () => {
  const text = await readFile(new URL('../../../src/health/assess.ts', import.meta.url), 'utf8');
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  assert.ok(!/Date\.now\(|new Date\(\s*\)|performance\.now|setTimeout|setInterval|from 'node:/.test(code), 'assess.ts must stay pure');
});

describe('when probes run: a grid anchored at the later of start + initialDelay and when the prober began watching', () => {
  // [what, initialDelaySeconds, periodSeconds, seenAt (s after the start, or none), first due, due after a failure at the first]
  const rows: readonly [string, number, number, number | undefined, number, number][] = [
    ['seen at the start: the first probe after initialDelay', 1, 1, 0, 1, 2],
    ['no seenAt (as before): anchored at start + initialDelay', 5, 10, undefined, 5, 15],
    ['seen within the delay: the delay still counts from the start', 5, 10, 2, 5, 15],
    ['seen late (slow start on a busy host): probed at once, the next a whole period later', 1, 1, 1.9, 1.9, 2.9],
    ['a restarted berth finds an old container: at once, then every period', 0, 10, 3600, 3600, 3610],
  ];
  for (const [what, initialDelaySeconds, periodSeconds, seenAt, firstDue, secondDue] of rows) {
    it(what, () => {
      const liveness = spec({ initialDelaySeconds, periodSeconds, failureThreshold: 3 });
      const state = initialState({ liveness }, at(0), seenAt === undefined ? {} : { seenAt: at(seenAt) });
      assert.equal(sec(state.probes.liveness!.dueAt), firstDue, 'first due');
      const after = recordResult(state, 'liveness', { ok: false, message: 'refused' }, liveness, at(firstDue + 0.03));
      assert.equal(sec(after.probes.liveness!.dueAt), secondDue, 'due after the first result');
    });
  }
});

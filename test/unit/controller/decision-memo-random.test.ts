import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideWorkloads } from '../../../src/controller/decide.js';
import { DecisionMemo } from '../../../src/controller/decision-memo.js';
import type { DesiredDeployment } from '../../../src/desired/index.js';
import type { ObservedReplica } from '../../../src/observed/index.js';
import type { Readiness } from '../../../src/rollout/index.js';
import type { Pin, RevisionRecord } from '../../../src/store/index.js';
import { deployment, replica, statefulSettings, T0 } from '../../helpers/builders.js';
import { seededRandom } from '../../helpers/random.js';
import { facts } from '../../helpers/decision-look.js';

// The desired Deployments a commit may declare: each one object, as a commit that leaves the folder alone keeps it.
const DESIRED: readonly DesiredDeployment[] = [
  deployment(),
  deployment({ revision: 'next' }),
  deployment({ replicas: 2 }),
  deployment({ minReadySeconds: 20 }),
  deployment({ progressDeadlineSeconds: 30 }),
  deployment({ strategy: { type: 'Recreate' } }),
  deployment({ stateful: statefulSettings() }),
];

interface World {
  desired: DesiredDeployment;
  replicas: readonly ObservedReplica[];
  ready: Map<string, Readiness>;
  history: readonly RevisionRecord[] | undefined;
  pin: Pin | undefined;
  now: Date;
  commit: string;
}

const record = (revision: string, outcome: RevisionRecord['outcome']): RevisionRecord => ({
  revision,
  commit: `c-${revision}`,
  image: 'busybox:1.36',
  time: T0.toISOString(),
  outcome,
  ...(outcome === 'failed' ? { reason: 'CrashLoop', message: 'exited' } : {}),
});

function change(w: World, rnd: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const later = (seconds: number) => new Date(w.now.getTime() + seconds * 1000);
  const some = () => Math.floor(rnd() * Math.max(1, w.replicas.length));
  const edit = (i: number, over: Partial<ObservedReplica>) => {
    if (w.replicas[i]) w.replicas = w.replicas.map((r, j) => (j === i ? { ...r, ...over } : r));
  };
  const kinds: [string, () => void][] = [
    // Settled decisions are handed back only while nothing changes: as often as a daemon's passes.
    ['only time passed', () => {}],
    ['only time passed', () => {}],
    ['only time passed', () => {}],
    ['another commit, the folder unchanged', () => (w.commit = `c-${Math.floor(rnd() * 1e6)}`)],
    ['another desired Deployment', () => (w.desired = pick(DESIRED))],
    [
      'a replica exited',
      () => edit(some(), { state: 'exited', exitCode: pick([0, 1, 137]), restart: { count: 1 + Math.floor(rnd() * 4), at: w.now.toISOString() } }),
    ],
    ['a replica is gone', () => (w.replicas = w.replicas.filter((_, i) => i !== some()))],
    [
      'a replica was created',
      () => (w.replicas = [...w.replicas, replica(pick(['new', 'next', 'old']), Math.floor(rnd() * 4), { created: w.now.toISOString() })]),
    ],
    ['a replica is terminating', () => edit(some(), { state: 'removing' })],
    ['a container of its Pod is down', () => edit(some(), { down: ['log'], members: [] })],
    [
      'a readiness verdict changed',
      () => {
        const r = w.replicas[some()];
        if (r) w.ready.set(r.id, { ready: rnd() < 0.5, since: w.now, watchedSince: T0 });
      },
    ],
    [
      'ready again, with a new time',
      () => {
        const r = w.replicas[some()];
        if (r) w.ready.set(r.id, { ready: true, since: w.now, watchedSince: T0 });
      },
    ],
    ['no verdict known any more', () => w.ready.clear()],
    [
      'the history recorded something',
      () => (w.history = pick([undefined, [record(w.desired.revision, 'complete')], [record(w.desired.revision, 'failed')], [record('old', 'complete')]])),
    ],
    [
      'pinned, or the pin released',
      () =>
        (w.pin = pick([
          undefined,
          {
            namespace: 'shop',
            name: 'web',
            commit: 'c-old',
            revision: w.desired.revision,
            headSpec: 'h',
            createdAt: T0.toISOString(),
            cause: 'auto-rollback' as const,
            failed: { revision: 'next', commit: 'c-next', reason: 'CrashLoop', message: 'exited' },
            ...(rnd() < 0.5 ? { hold: true as const } : {}),
          },
        ])),
    ],
  ];
  const [name, apply] = pick(kinds);
  apply();
  w.now = later(pick([0, 0.1, 1, 5, 25, 31, 61, 601, 3600]));
  return name;
}

/** The look a pass hands over: readiness is a fresh map each time. */
const lookAt = (w: World) => ({
  desired: w.desired,
  replicas: w.replicas,
  now: w.now,
  history: w.history,
  pin: w.pin,
  readiness: new Map(w.ready),
  commit: w.commit,
});

describe('DecisionMemo over random histories of a Deployment: the same decisions as without it', () => {
  const SEQUENCES = 300;
  const LOOKS = 20;
  it(`${SEQUENCES} seeded histories of ${LOOKS} looks each`, () => {
    let handedBack = 0;
    for (let seed = 1; seed <= SEQUENCES; seed++) {
      const rnd = seededRandom(seed);
      const running = Array.from({ length: 3 }, (_, i) => replica('new', i));
      const w: World = {
        desired: DESIRED[0]!,
        replicas: running,
        ready: new Map(running.map((r) => [r.id, { ready: true, since: T0, watchedSince: T0 }])),
        history: [record('new', 'complete')],
        pin: undefined,
        now: T0,
        commit: 'c-new',
      };
      const memo = new DecisionMemo();
      let previous: unknown;
      let what = 'first look';
      for (let look = 0; look < LOOKS; look++) {
        const [kept] = decideWorkloads(facts(lookAt(w), memo));
        const [fresh] = decideWorkloads(facts(lookAt(w)));
        assert.deepEqual(kept, fresh, `seed ${seed}, look ${look} (${what}): the memo's decision differs`);
        if (kept === previous) handedBack++;
        previous = kept;
        what = change(w, rnd);
      }
    }
    // The histories exercise the memo: settled decisions are handed back, not only made anew.
    assert.ok(handedBack > SEQUENCES, `decisions handed back: ${handedBack}`);
  });
});

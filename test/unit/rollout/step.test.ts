import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextStep, type Step } from '../../../src/rollout/index.js';
import type { RestartRecord } from '../../../src/rollout/index.js';
import { deployment, replica, replicas, T0 } from '../../helpers/builders.js';

type Expect =
  | { kind: 'complete' }
  | { kind: 'wait'; reason: string }
  | { kind: 'fail'; reason: string }
  | { kind: 'act'; create?: number[]; remove?: string[] /* `${revision}.${ordinal}:${reason}` */ };

function summarize(step: Step): Expect {
  if (step.kind === 'complete') return { kind: 'complete' };
  if (step.kind === 'wait') return { kind: 'wait', reason: step.reason };
  if (step.kind === 'fail') return { kind: 'fail', reason: step.reason };
  return {
    kind: 'act',
    create: step.create.map((c) => c.replica).sort((a, b) => a - b),
    remove: step.remove.map((r) => `${r.replica.revision}.${r.replica.replica}:${r.reason}`).sort(),
  };
}

const rolling = (maxSurge: number | string, maxUnavailable: number | string) => ({ type: 'RollingUpdate' as const, maxSurge, maxUnavailable });
const fresh = (ms: number) => ({ created: new Date(T0.getTime() - ms).toISOString() });

const cases: { name: string; input: Parameters<typeof nextStep>[0]; expect: Expect }[] = [
  {
    name: 'nothing runs: create every replica at once',
    input: { desired: deployment({ replicas: 3 }), observed: [], commit: 'c1', now: T0, restarts: new Map() },
    expect: { kind: 'act', create: [0, 1, 2], remove: [] },
  },
  {
    name: 'in sync: complete',
    input: { desired: deployment({ replicas: 3 }), observed: replicas('new', 3), commit: 'c1', now: T0, restarts: new Map() },
    expect: { kind: 'complete' },
  },
  {
    name: 'scale 3 → 1 removes the highest ordinals',
    input: { desired: deployment({ replicas: 1 }), observed: replicas('new', 3), commit: 'c1', now: T0, restarts: new Map() },
    expect: { kind: 'act', create: [], remove: ['new.1:scale-down', 'new.2:scale-down'] },
  },
  {
    name: 'scale 1 → 4 creates the missing ordinals',
    input: { desired: deployment({ replicas: 4 }), observed: replicas('new', 1), commit: 'c1', now: T0, restarts: new Map() },
    expect: { kind: 'act', create: [1, 2, 3], remove: [] },
  },
  {
    name: 'a removed replica is recreated in its slot',
    input: { desired: deployment({ replicas: 3 }), observed: [replica('new', 0), replica('new', 2)], commit: 'c1', now: T0, restarts: new Map() },
    expect: { kind: 'act', create: [1], remove: [] },
  },
  {
    name: 'an exited replica is replaced at once the first time',
    input: {
      desired: deployment({ replicas: 2 }),
      observed: [replica('new', 0), replica('new', 1, { state: 'exited', exitCode: 137 })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    },
    expect: { kind: 'act', create: [1], remove: ['new.1:exited'] },
  },
  {
    name: 'an exited replica waits out its crash back-off',
    input: {
      desired: deployment({ replicas: 2 }),
      observed: [replica('new', 0), replica('new', 1, { state: 'exited' })],
      commit: 'c1',
      now: T0,
      completed: true,
      restarts: new Map<string, RestartRecord>([['shop/web/new/1', { count: 2, lastAt: new Date(T0.getTime() - 5_000) }]]),
    },
    expect: { kind: 'wait', reason: 'crash-backoff' },
  },
  {
    name: 'back-off over: replaced',
    input: {
      desired: deployment({ replicas: 2 }),
      observed: [replica('new', 0), replica('new', 1, { state: 'exited' })],
      commit: 'c1',
      now: T0,
      completed: true,
      restarts: new Map<string, RestartRecord>([['shop/web/new/1', { count: 1, lastAt: new Date(T0.getTime() - 11_000) }]]),
    },
    expect: { kind: 'act', create: [1], remove: ['new.1:exited'] },
  },
  {
    name: 'two containers in one slot: the younger duplicate goes',
    input: {
      desired: deployment({ replicas: 1 }),
      observed: [replica('new', 0, fresh(60_000)), replica('new', 0, fresh(1_000))],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    },
    expect: { kind: 'act', create: [], remove: ['new.0:duplicate'] },
  },
  {
    name: 'Recreate: every old replica stops first',
    input: { desired: deployment({ replicas: 2, strategy: { type: 'Recreate' } }), observed: replicas('old', 2), commit: 'c1', now: T0, restarts: new Map() },
    expect: { kind: 'act', create: [], remove: ['old.0:recreate', 'old.1:recreate'] },
  },
  {
    name: 'Recreate: nothing new starts while an old replica is still terminating',
    input: {
      desired: deployment({ replicas: 2, strategy: { type: 'Recreate' } }),
      observed: [replica('old', 0, { state: 'removing' })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    },
    expect: { kind: 'wait', reason: 'terminating' },
  },
  {
    name: 'rolling, 3 old and 1 old terminating (maxSurge 1): the terminating one takes the surge room → wait for it',
    input: {
      desired: deployment({ replicas: 3, strategy: rolling(1, 0) }),
      observed: [...replicas('old', 3), replica('old', 3, { state: 'removing' })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    },
    expect: { kind: 'wait', reason: 'terminating' },
  },
  {
    name: 'rolling, the same once it is gone: the surge replica is created',
    input: { desired: deployment({ replicas: 3, strategy: rolling(1, 0) }), observed: replicas('old', 3), commit: 'c1', now: T0, restarts: new Map() },
    expect: { kind: 'act', create: [0], remove: [] },
  },
  {
    name: 'rolling mid-way, an old replica terminating: the next ready new one lets another old one go, replaced in the same move',
    input: {
      desired: deployment({ replicas: 3, strategy: rolling(1, 0) }),
      // a0, a1 old and ready; a2 terminating (removed by the last move, which created b1); b0, b1 ready
      observed: [replica('old', 0), replica('old', 1), replica('old', 2, { state: 'removing' }), replica('new', 0), replica('new', 1)],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    },
    expect: { kind: 'act', create: [2], remove: ['old.1:outdated'] },
  },
  {
    name: 'rolling, a state that lost its surge room to terminating replicas: nothing added until they are gone',
    input: {
      desired: deployment({ replicas: 3, strategy: rolling(1, 0) }),
      observed: [replica('old', 0), replica('old', 1, { state: 'removing' }), replica('old', 2, { state: 'removing' }), replica('new', 0), replica('new', 1)],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    },
    expect: { kind: 'wait', reason: 'terminating' },
  },
  {
    name: 'every new replica ready, an old one still terminating: not complete until it is gone',
    input: {
      desired: deployment({ replicas: 2 }),
      observed: [...replicas('new', 2), replica('old', 0, { state: 'removing' })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    },
    expect: { kind: 'wait', reason: 'terminating' },
  },
  {
    name: 'pruned, its last replica terminating: not complete (its network stays) until it is gone',
    input: { desired: undefined, observed: [replica('old', 0, { state: 'removing' })], commit: 'c1', now: T0, restarts: new Map() },
    expect: { kind: 'wait', reason: 'terminating' },
  },
  {
    name: 'Recreate: then all new start',
    input: { desired: deployment({ replicas: 2, strategy: { type: 'Recreate' } }), observed: [], commit: 'c1', now: T0, restarts: new Map() },
    expect: { kind: 'act', create: [0, 1], remove: [] },
  },
  // RollingUpdate, replicas 3, maxSurge 1, maxUnavailable 0: surge one, wait, retire one old.
  {
    name: 'rolling 3 (surge 1, unavailable 0): first surge one new',
    input: { desired: deployment({ replicas: 3, strategy: rolling(1, 0) }), observed: replicas('old', 3), commit: 'c1', now: T0, restarts: new Map() },
    expect: { kind: 'act', create: [0], remove: [] },
  },
  {
    name: 'rolling: new not yet ready → wait (old all kept)',
    input: {
      desired: deployment({ replicas: 3, strategy: rolling(1, 0), minReadySeconds: 5 }),
      observed: [...replicas('old', 3), replica('new', 0, fresh(1_000))],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    },
    expect: { kind: 'wait', reason: 'min-ready-seconds' },
  },
  {
    name: 'rolling: new ready → retire one old (highest ordinal of the oldest first) and start the next new one in its room',
    input: {
      desired: deployment({ replicas: 3, strategy: rolling(1, 0) }),
      observed: [...replicas('old', 3), replica('new', 0)],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    },
    expect: { kind: 'act', create: [1], remove: ['old.2:outdated'] },
  },
  {
    name: 'rolling: a crashed new replica never lets an old one go',
    input: {
      desired: deployment({ replicas: 3, strategy: rolling(1, 0) }),
      observed: [...replicas('old', 3), replica('new', 0, { state: 'exited' })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    },
    expect: { kind: 'act', create: [0], remove: ['new.0:exited'] },
  },
  {
    name: 'rolling: a new replica that exits again after a restart fails the rollout (CrashLoop)',
    input: {
      desired: deployment({ replicas: 3, strategy: rolling(1, 0) }),
      observed: [...replicas('old', 3), replica('new', 0, { state: 'exited', exitCode: 1 })],
      commit: 'c1',
      now: T0,
      restarts: new Map<string, RestartRecord>([['shop/web/new/0', { count: 1, lastAt: T0 }]]),
    },
    expect: { kind: 'fail', reason: 'CrashLoop' },
  },
  {
    name: 'completed revision: crashes are restarted with back-off, never a failed rollout',
    input: {
      desired: deployment({ replicas: 1 }),
      observed: [replica('new', 0, { state: 'exited' })],
      commit: 'c1',
      now: T0,
      completed: true,
      restarts: new Map<string, RestartRecord>([['shop/web/new/0', { count: 3, lastAt: T0 }]]),
    },
    expect: { kind: 'wait', reason: 'crash-backoff' },
  },
  // Init containers (issue #10): an init container left on the engine is its replica starting, or down.
  {
    name: 'an init container running: the replica is starting — not available, the old one stays, nothing else moves',
    input: {
      desired: deployment({ replicas: 1, strategy: rolling(1, 0) }),
      observed: [replica('old', 0), replica('new', 0, { init: 'migrate' })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    },
    expect: { kind: 'wait', reason: 'readiness' },
  },
  {
    name: 'an init container exited 0: the start goes on in its slot (removed, the next container created)',
    input: {
      desired: deployment({ replicas: 2 }),
      observed: [replica('new', 0), replica('new', 1, { init: 'migrate', state: 'exited', exitCode: 0 })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    },
    expect: { kind: 'act', create: [1], remove: ['new.1:init-done'] },
  },
  {
    name: 'an init container failed: the replica is down, replaced after the back-off',
    input: {
      desired: deployment({ replicas: 1 }),
      observed: [replica('new', 0, { init: 'migrate', state: 'exited', exitCode: 1 })],
      commit: 'c1',
      now: T0,
      completed: true,
      restarts: new Map(),
    },
    expect: { kind: 'act', create: [0], remove: ['new.0:exited'] },
  },
  {
    name: 'an init container failing again after a restart during a rollout: CrashLoop',
    input: {
      desired: deployment({ replicas: 1, strategy: rolling(1, 0) }),
      observed: [replica('old', 0), replica('new', 0, { init: 'migrate', state: 'exited', exitCode: 1 })],
      commit: 'c1',
      now: T0,
      restarts: new Map<string, RestartRecord>([['shop/web/new/0', { count: 1, lastAt: T0 }]]),
    },
    expect: { kind: 'fail', reason: 'CrashLoop' },
  },
  // Readiness from probes (health/): a replica with a verdict is ready only when the probe says so.
  {
    name: 'readiness probe not passed: the new replica is not available, old ones stay',
    input: {
      desired: deployment({ replicas: 2, strategy: rolling(1, 0) }),
      observed: [...replicas('old', 2), replica('new', 0, { id: 'n0', ...fresh(2_000) })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
      readiness: new Map([['n0', { ready: false }]]),
    },
    expect: { kind: 'wait', reason: 'readiness' },
  },
  {
    name: 'readiness probe passed: one old replica goes, the next new one starts',
    input: {
      desired: deployment({ replicas: 2, strategy: rolling(1, 0) }),
      observed: [...replicas('old', 2), replica('new', 0, { id: 'n0', ...fresh(2_000) })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
      readiness: new Map([['n0', { ready: true, since: new Date(T0.getTime() - 500) }]]),
    },
    expect: { kind: 'act', create: [1], remove: ['old.1:outdated'] },
  },
  {
    name: 'minReadySeconds counts from when the probe passed, not from creation',
    input: {
      desired: deployment({ replicas: 2, strategy: rolling(1, 0), minReadySeconds: 5 }),
      observed: [...replicas('old', 2), replica('new', 0, { id: 'n0', ...fresh(60_000) })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
      readiness: new Map([['n0', { ready: true, since: new Date(T0.getTime() - 1_000) }]]),
    },
    expect: { kind: 'wait', reason: 'min-ready-seconds' },
  },
  {
    name: 'an old replica whose readiness probe fails serves nothing: it goes first',
    input: {
      desired: deployment({ replicas: 2, strategy: rolling(1, 0) }),
      observed: [replica('old', 0, { id: 'o0' }), replica('old', 1, { id: 'o1' }), replica('new', 0, { id: 'n0' })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
      readiness: new Map([['o1', { ready: false }]]),
    },
    expect: { kind: 'act', create: [], remove: ['old.1:outdated'] },
  },
  {
    name: "rollback: the failed revision's unready replica goes first, although it runs",
    input: {
      desired: deployment({ replicas: 3, strategy: rolling(1, 0) }),
      observed: [...replicas('new', 3), replica('bad', 0, { id: 'b0' })],
      commit: 'c1',
      now: T0,
      completed: true,
      restarts: new Map(),
      readiness: new Map([['b0', { ready: false }]]),
    },
    expect: { kind: 'act', create: [], remove: ['bad.0:outdated'] },
  },
  // Progress deadline: no new replica created or ready for progressDeadlineSeconds.
  {
    name: 'progress deadline passed while the new replica never became ready: ProgressDeadlineExceeded',
    input: {
      desired: deployment({ replicas: 2, strategy: rolling(1, 0), progressDeadlineSeconds: 30 }),
      observed: [...replicas('old', 2), replica('new', 0, { id: 'n0', ...fresh(31_000) })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
      readiness: new Map([['n0', { ready: false }]]),
    },
    expect: { kind: 'fail', reason: 'ProgressDeadlineExceeded' },
  },
  {
    // A restarted berth began watching the new replica 5 s ago: the 31 s since its creation
    // include berth's own downtime, when nobody could see it become ready. Not a failure yet.
    name: 'progress deadline counted from when this berth began watching (a restart): wait',
    input: {
      desired: deployment({ replicas: 2, strategy: rolling(1, 0), progressDeadlineSeconds: 30 }),
      observed: [...replicas('old', 2), replica('new', 0, { id: 'n0', ...fresh(31_000) })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
      readiness: new Map([['n0', { ready: false, watchedSince: new Date(T0.getTime() - 5_000) }]]),
    },
    expect: { kind: 'wait', reason: 'readiness' },
  },
  {
    // berth was killed between creating the new replica and starting it, and came back 9 s later:
    // no probe watches a container that never started, but the process itself has only watched
    // for 1 s. The replica is replaced at once, not a failure.
    name: "a new replica created but never started (berth killed in between), the deadline counted from berth's start: replaced",
    input: {
      desired: deployment({ replicas: 2, strategy: rolling(1, 0), progressDeadlineSeconds: 8 }),
      observed: [...replicas('old', 2), replica('new', 0, { id: 'n0', state: 'created', ...fresh(10_000) })],
      commit: 'c1',
      now: T0,
      watchingSince: new Date(T0.getTime() - 1_000),
      restarts: new Map(),
    },
    expect: { kind: 'act', create: [0], remove: ['new.0:never-started'] },
  },
  {
    name: 'the same seen by a berth watching for longer than the deadline: ProgressDeadlineExceeded',
    input: {
      desired: deployment({ replicas: 2, strategy: rolling(1, 0), progressDeadlineSeconds: 8 }),
      observed: [...replicas('old', 2), replica('new', 0, { id: 'n0', state: 'created', ...fresh(10_000) })],
      commit: 'c1',
      now: T0,
      watchingSince: new Date(T0.getTime() - 9_000),
      restarts: new Map(),
    },
    expect: { kind: 'fail', reason: 'ProgressDeadlineExceeded' },
  },
  {
    // Its slot was already restarted once: a container that never started did not crash, so no CrashLoop.
    name: 'a restarted replica created but never started: replaced, not a CrashLoop',
    input: {
      desired: deployment({ replicas: 3, strategy: rolling(1, 0) }),
      observed: [...replicas('old', 3), replica('new', 0, { state: 'created', ...fresh(1_000) })],
      commit: 'c1',
      now: T0,
      restarts: new Map<string, RestartRecord>([['shop/web/new/0', { count: 1, lastAt: T0 }]]),
    },
    expect: { kind: 'act', create: [0], remove: ['new.0:never-started'] },
  },
  {
    // A cluster driver: no node can take it yet (its nodeSelector matches none). Nothing to replace; the roll waits.
    name: 'a new replica pending on the scheduler: wait, not replaced, not a crash',
    input: {
      desired: deployment({ replicas: 2, strategy: rolling(1, 0), progressDeadlineSeconds: 600 }),
      observed: [
        ...replicas('old', 2),
        replica('new', 0, { id: 'n0', state: 'pending', stateReason: 'no node matches its nodeSelector disk=nvme', ...fresh(5_000) }),
      ],
      commit: 'c1',
      now: T0,
      restarts: new Map<string, RestartRecord>([['shop/web/new/0', { count: 5, lastAt: T0 }]]),
    },
    expect: { kind: 'wait', reason: 'readiness' },
  },
  {
    name: 'still pending past the progress deadline: ProgressDeadlineExceeded (a Pod that stays Pending)',
    input: {
      desired: deployment({ replicas: 2, strategy: rolling(1, 0), progressDeadlineSeconds: 8 }),
      observed: [...replicas('old', 2), replica('new', 0, { id: 'n0', state: 'pending', ...fresh(10_000) })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    },
    expect: { kind: 'fail', reason: 'ProgressDeadlineExceeded' },
  },
  {
    // Its node was drained or lost: replaced at once, whatever its slot's restarts, and no restart is counted.
    name: 'a replica its node took away (evicted): replaced at once, not a CrashLoop',
    input: {
      desired: deployment({ replicas: 2, strategy: rolling(1, 0) }),
      observed: [replica('new', 0, { state: 'exited', evicted: true }), replica('new', 1)],
      commit: 'c1',
      now: T0,
      restarts: new Map<string, RestartRecord>([['shop/web/new/0', { count: 5, lastAt: T0 }]]),
    },
    expect: { kind: 'act', create: [0], remove: ['new.0:evicted'] },
  },
  {
    // Mid-rollout, an old replica's node is drained: it serves nothing any more, so it goes first and counts for no availability.
    name: 'rolling update: an old replica its node ordered to stop, still running and ready, goes first like an unhealthy one',
    input: {
      desired: deployment({ replicas: 2, strategy: rolling(1, 0) }),
      observed: [replica('old', 0), replica('old', 1, { evicted: true }), replica('new', 0)],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    },
    expect: { kind: 'act', create: [], remove: ['old.1:outdated'] },
  },
  {
    // A drained node's replica still runs (Swarm stops it after its grace): replaced now, not once it has stopped.
    name: 'a replica its node ordered to stop while it still runs and is ready: replaced at once',
    input: {
      desired: deployment({ replicas: 2, strategy: rolling(1, 0) }),
      observed: [replica('new', 0, { evicted: true }), replica('new', 1)],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    },
    expect: { kind: 'act', create: [0], remove: ['new.0:evicted'] },
  },
  {
    name: 'a running replica not yet probed by a berth that started 2 s ago, created 60 s ago (deadline 30): wait',
    input: {
      desired: deployment({ replicas: 2, strategy: rolling(1, 0), progressDeadlineSeconds: 30 }),
      observed: [...replicas('old', 2), replica('new', 0, { id: 'n0', ...fresh(60_000) })],
      commit: 'c1',
      now: T0,
      watchingSince: new Date(T0.getTime() - 2_000),
      restarts: new Map(),
      readiness: new Map([['n0', { ready: false }]]),
    },
    expect: { kind: 'wait', reason: 'readiness' },
  },
  {
    name: 'watched for longer than the deadline, still not ready: ProgressDeadlineExceeded',
    input: {
      desired: deployment({ replicas: 2, strategy: rolling(1, 0), progressDeadlineSeconds: 30 }),
      observed: [...replicas('old', 2), replica('new', 0, { id: 'n0', ...fresh(60_000) })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
      readiness: new Map([['n0', { ready: false, watchedSince: new Date(T0.getTime() - 31_000) }]]),
    },
    expect: { kind: 'fail', reason: 'ProgressDeadlineExceeded' },
  },
  {
    name: 'progress deadline not yet passed: wait',
    input: {
      desired: deployment({ replicas: 2, strategy: rolling(1, 0), progressDeadlineSeconds: 30 }),
      observed: [...replicas('old', 2), replica('new', 0, { id: 'n0', ...fresh(29_000) })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
      readiness: new Map([['n0', { ready: false }]]),
    },
    expect: { kind: 'wait', reason: 'readiness' },
  },
  {
    name: 'a replica that became ready recently is progress: no failure',
    input: {
      desired: deployment({ replicas: 3, strategy: rolling(1, 0), progressDeadlineSeconds: 30 }),
      observed: [...replicas('old', 2), replica('new', 0, { id: 'n0', ...fresh(100_000) }), replica('new', 1, { id: 'n1', ...fresh(40_000) })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
      readiness: new Map([
        ['n0', { ready: true, since: new Date(T0.getTime() - 10_000) }],
        ['n1', { ready: false }],
      ]),
    },
    expect: { kind: 'wait', reason: 'readiness' },
  },
  {
    name: 'completed revision: an unready replica past the deadline is not a failed rollout',
    input: {
      desired: deployment({ replicas: 1, progressDeadlineSeconds: 30 }),
      observed: [replica('new', 0, { id: 'n0', ...fresh(100_000) })],
      commit: 'c1',
      now: T0,
      completed: true,
      restarts: new Map(),
      readiness: new Map([['n0', { ready: false }]]),
    },
    expect: { kind: 'wait', reason: 'readiness' },
  },
  // replicas 10, maxSurge 2, maxUnavailable 0 (the benchmark's settings): two at a time.
  {
    name: 'rolling 10 (surge 2, unavailable 0): surge two',
    input: { desired: deployment({ replicas: 10, strategy: rolling(2, 0) }), observed: replicas('old', 10), commit: 'c1', now: T0, restarts: new Map() },
    expect: { kind: 'act', create: [0, 1], remove: [] },
  },
  // replicas 4, 25%/25% → surge 1, unavailable 1: one may go before any new is ready.
  {
    name: 'rolling 4 (25%/25%): surge one',
    input: { desired: deployment({ replicas: 4 }), observed: replicas('old', 4), commit: 'c1', now: T0, restarts: new Map() },
    expect: { kind: 'act', create: [0], remove: [] },
  },
  {
    name: 'rolling 4 (25%/25%): with a new one starting, one old may still go (and one more new fills its room)',
    input: {
      desired: deployment({ replicas: 4, minReadySeconds: 10 }),
      observed: [...replicas('old', 4), replica('new', 0, fresh(1_000))],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    },
    expect: { kind: 'act', create: [1], remove: ['old.3:outdated'] },
  },
  {
    name: 'rolling: exited old replicas go first, costing nothing',
    input: {
      desired: deployment({ replicas: 2, strategy: rolling(1, 0) }),
      observed: [replica('old', 0), replica('old', 1, { state: 'exited' })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    },
    expect: { kind: 'act', create: [], remove: ['old.1:outdated'] },
  },
  {
    name: 'prune: every replica goes',
    input: { desired: undefined, observed: replicas('old', 2), commit: 'c1', now: T0, restarts: new Map() },
    expect: { kind: 'act', create: [], remove: ['old.0:prune', 'old.1:prune'] },
  },
  { name: 'prune done: complete', input: { desired: undefined, observed: [], commit: 'c1', now: T0, restarts: new Map() }, expect: { kind: 'complete' } },
  {
    name: 'replicas 0 with old ones: all go',
    input: { desired: deployment({ replicas: 0, strategy: rolling(1, 0) }), observed: replicas('new', 2), commit: 'c1', now: T0, restarts: new Map() },
    expect: { kind: 'act', create: [], remove: ['new.0:scale-down', 'new.1:scale-down'] },
  },
];

describe('nextStep', () => {
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(summarize(nextStep(c.input)), c.expect);
    });
  }

  it('a replica no node can take: the wait says why, as the cluster said it', () => {
    const step = nextStep({
      desired: deployment({ replicas: 2, strategy: rolling(1, 0) }),
      observed: [
        ...replicas('old', 2),
        replica('new', 0, { id: 'n0', state: 'pending', stateReason: 'no node matches its nodeSelector disk=nvme', ...fresh(5_000) }),
      ],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    });
    assert.equal(step.kind, 'wait');
    assert.match(
      step.kind === 'wait' ? step.summary : '',
      /^waiting for new replicas to become ready \(0\/2\); replica 0 is pending: no node matches its nodeSelector disk=nvme$/,
    );
  });

  it('init containers: the start continues with the restart record, a failed one is named in the wait and the failure', () => {
    const at = '2026-01-01T00:00:00.000Z';
    const next = nextStep({
      desired: deployment({ replicas: 1 }),
      observed: [replica('new', 0, { init: 'migrate', state: 'exited', exitCode: 0, restart: { count: 2, at } })],
      commit: 'c1',
      now: T0,
      restarts: new Map(),
    });
    assert.equal(next.kind, 'act');
    assert.deepEqual(next.kind === 'act' && next.create, [
      { revision: 'new', replica: 0, commit: 'commit-new', restart: false, afterInit: 'migrate', restartRecord: { count: 2, at } },
    ]);
    const waiting = nextStep({
      desired: deployment({ replicas: 1 }),
      observed: [replica('new', 0, { init: 'migrate', state: 'exited', exitCode: 3 })],
      commit: 'c1',
      now: T0,
      completed: true,
      restarts: new Map<string, RestartRecord>([['shop/web/new/0', { count: 2, lastAt: T0 }]]),
    });
    assert.equal(
      waiting.kind === 'wait' && waiting.summary,
      'init container "migrate" of replica 0 failed (exit code 3); running the init containers again after back-off at 2026-01-01T00:00:20.000Z',
    );
    const failed = nextStep({
      desired: deployment({ replicas: 1 }),
      observed: [replica('new', 0, { init: 'migrate', state: 'exited', exitCode: 3 })],
      commit: 'c1',
      now: T0,
      restarts: new Map<string, RestartRecord>([['shop/web/new/0', { count: 1, lastAt: T0 }]]),
    });
    assert.match(
      failed.kind === 'fail' ? failed.summary : '',
      /^init container "migrate" of replica 0 of revision new failed again after 1 restart\(s\) \(exit code 3\)$/,
    );
  });

  it('stamps the commit of the revision already running, else the current commit', () => {
    const running = nextStep({
      desired: deployment({ replicas: 2 }),
      observed: [replica('new', 0, { commit: 'introduced-here' })],
      commit: 'later',
      now: T0,
      restarts: new Map(),
    });
    assert.equal(running.kind, 'act');
    assert.equal(running.kind === 'act' && running.create[0]?.commit, 'introduced-here');
    const none = nextStep({ desired: deployment({ replicas: 1 }), observed: [], commit: 'c9', now: T0, restarts: new Map() });
    assert.equal(none.kind === 'act' && none.create[0]?.commit, 'c9');
  });

  it('a rolling update never drops below replicas − maxUnavailable available (simulated to completion)', () => {
    for (const [replicasN, surge, unavailable] of [
      [3, 1, 0],
      [10, 2, 0],
      [4, '25%', '25%'],
      [5, 0, 1],
      [6, '50%', '50%'],
    ] as const) {
      const desired = deployment({ replicas: replicasN, strategy: rolling(surge, unavailable) });
      let observed = replicas('old', replicasN);
      const minAvailable = replicasN - (typeof unavailable === 'number' ? unavailable : Math.floor((parseInt(unavailable, 10) * replicasN) / 100));
      for (let pass = 0; pass < 100; pass++) {
        const step = nextStep({ desired, observed, commit: 'c', now: T0, restarts: new Map() });
        if (step.kind === 'complete') break;
        assert.equal(step.kind, 'act', `pass ${pass} of ${replicasN}/${surge}/${unavailable} should act (new replicas are ready at once)`);
        if (step.kind !== 'act') break;
        const removed = new Set(step.remove.map((r) => r.replica.id));
        observed = [...observed.filter((r) => !removed.has(r.id)), ...step.create.map((c) => replica(c.revision, c.replica))];
        assert.ok(observed.length >= minAvailable, `${replicasN}/${surge}/${unavailable}: ${observed.length} available < ${minAvailable}`);
        assert.ok(observed.length <= replicasN + (typeof surge === 'number' ? surge : Math.ceil((parseInt(surge, 10) * replicasN) / 100)), 'surge bound');
      }
      assert.deepEqual(observed.map((r) => `${r.revision}.${r.replica}`).sort(), Array.from({ length: replicasN }, (_, i) => `new.${i}`).sort());
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObservedMember, ObservedReplica } from '../../../src/observed/index.js';
import { memberRestarts, nextStep } from '../../../src/rollout/index.js';
import { deployment, replica, T0 } from '../../helpers/builders.js';

/** A Pod replica (revision `new` unless told) with members web and log; `log` as given. */
function pod(log: Partial<ObservedMember> | undefined, o: Partial<ObservedReplica> = {}): ObservedReplica {
  const member = (container: string, m: Partial<ObservedMember> = {}): ObservedMember => ({
    id: `${container}-${m.created ?? 'a'}`,
    name: `shop.web.new.0.c-${container}`,
    container,
    state: 'running',
    created: new Date(T0.getTime() - 60_000).toISOString(),
    image: 'busybox:1.36',
    ...m,
  });
  const members = [member('web'), ...(log ? [member('log', log)] : [])];
  const down = log === undefined || log.state !== 'running' ? ['log'] : undefined;
  return replica('new', 0, { members, ...(down ? { down } : {}), ...o });
}
const at = (secondsBeforeT0: number) => new Date(T0.getTime() - secondsBeforeT0 * 1000).toISOString();

describe('memberRestarts: a container of a Pod restarts in place, with its own back-off', () => {
  const rows: { name: string; replicas: ObservedReplica[]; expect: string }[] = [
    { name: 'every container runs: nothing', replicas: [pod({ state: 'running' })], expect: '' },
    { name: 'log exited, never restarted: now, count 1', replicas: [pod({ state: 'exited', exitCode: 137 })], expect: 'log#1' },
    { name: 'log missing (removed by hand): now, count 1', replicas: [pod(undefined)], expect: 'log#1' },
    {
      name: 'log exited again 5 s after its first restart: waits (10 s back-off)',
      replicas: [pod({ state: 'exited', exitCode: 1, restart: { count: 1, at: at(5) } })],
      expect: 'wait 5s',
    },
    {
      name: 'log exited again 12 s after its first restart: now, count 2',
      replicas: [pod({ state: 'exited', exitCode: 1, restart: { count: 1, at: at(12) } })],
      expect: 'log#2',
    },
    { name: "an older revision's Pod is left to the rollout", replicas: [pod({ state: 'exited' }, { revision: 'old' })], expect: '' },
    { name: 'a Pod whose infra container is down is not restarted in place', replicas: [pod({ state: 'exited' }, { state: 'exited' })], expect: '' },
  ];
  for (const row of rows)
    it(row.name, () => {
      const { restart, backoff } = memberRestarts(deployment({ replicas: 1 }), row.replicas, T0);
      const got = [
        ...restart.map((r) => `${r.container}#${r.restartRecord.count}`),
        ...(backoff ? [`wait ${(backoff.until.getTime() - T0.getTime()) / 1000}s`] : []),
      ].join(' ');
      assert.equal(got, row.expect);
    });

  it('the container of that name that is down is removed first (its name is reused)', () => {
    const [r] = memberRestarts(deployment({ replicas: 1 }), [pod({ state: 'exited', id: 'dead-log' })], T0).restart;
    assert.deepEqual(
      r?.remove.map((m) => m.id),
      ['dead-log'],
    );
  });

  it('during a rollout, a container that is down again after a restart in place fails it (CrashLoop)', () => {
    const step = nextStep({
      desired: deployment({ replicas: 1 }),
      observed: [replica('old', 0), pod({ state: 'exited', exitCode: 2, restart: { count: 1, at: at(3) } })],
      commit: 'c',
      now: T0,
      restarts: new Map(),
    });
    assert.equal(step.kind, 'fail');
    assert.match(step.kind === 'fail' ? step.summary : '', /container "log" of replica 0 of revision new exited again after 1 restart\(s\) \(exit code 2\)/);
  });

  it('a sidecar that is down holds back the containers after it: it restarts first, they in a later pass', () => {
    const sidecar = (state: ObservedMember['state']): ObservedMember => ({
      id: `proxy-${state}`,
      name: 'shop.web.new.0.c-proxy',
      container: 'proxy',
      state,
      created: T0.toISOString(),
      image: 'busybox:1.36',
      sidecar: true,
    });
    const desired = deployment({
      replicas: 1,
      template: { ...deployment().template, sidecars: [{ name: 'proxy', image: 'busybox:1.36', env: [], ports: [] }] },
    });
    const both = replica('new', 0, { members: [sidecar('exited')], down: ['proxy', 'web'] });
    assert.deepEqual(
      memberRestarts(desired, [both], T0).restart.map((r) => r.container),
      ['proxy'],
    );
    const waiting = replica('new', 0, {
      members: [{ ...sidecar('exited'), restart: { count: 1, at: T0.toISOString() } }],
      down: ['proxy', 'web'],
    });
    const decided = memberRestarts(desired, [waiting], T0);
    assert.deepEqual(decided.restart, [], 'web does not start while proxy waits out its back-off');
    assert.match(decided.backoff?.why ?? '', /container "proxy" of replica 0/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionsFor, deploymentStatus, finalPhase, outcomeOf, passRecords, volumeStatuses, type PassReport } from '../../../src/controller/status.js';
import type { Step } from '../../../src/rollout/index.js';
import type { NamespaceStatus, Pin } from '../../../src/store/index.js';
import { deployment, replica } from '../../helpers/builders.js';
import type { ObservedReplica } from '../../../src/observed/index.js';

const T1 = '2026-01-01T00:00:00.000Z';
const T2 = '2026-01-01T00:01:00.000Z';
const counts = { desired: 3, updated: 2, available: 3, updatedAvailable: 1, total: 4 };

function report(overrides: Partial<PassReport> = {}): PassReport {
  return {
    namespace: 'shop',
    previous: undefined,
    commit: 'c2',
    headValid: true,
    diagnostics: [],
    phase: 'Synced',
    deployments: [],
    moves: 0,
    outcome: { result: 'ready' },
    now: T2,
    ...overrides,
  };
}

function previous(overrides: Partial<NamespaceStatus> = {}): NamespaceStatus {
  return {
    namespace: 'shop',
    lastAttemptedCommit: 'c2',
    lastAppliedCommit: 'c1',
    lastValidCommit: 'c1',
    phase: 'Synced',
    conditions: conditionsFor('Synced', undefined, [], T1),
    deployments: [],
    services: [{ name: 'web', port: 80, endpoints: 2 }],
    volumes: [{ name: 'data', volume: 'v', phase: 'Bound' }],
    diagnostics: [],
    updatedAt: T1,
    ...overrides,
  };
}

describe('pass status', () => {
  it('finalPhase: moving → Progressing; gone from Git → Pruned; Invalid, Refused and Error stay', () => {
    const cases: [NamespaceStatus['phase'], PassReport['outcome']['result'], boolean, NamespaceStatus['phase']][] = [
      ['Synced', 'ready', true, 'Synced'],
      ['Synced', 'progressing', true, 'Progressing'],
      ['Synced', 'ready', false, 'Pruned'],
      ['Synced', 'progressing', false, 'Progressing'],
      ['Invalid', 'progressing', true, 'Invalid'],
      ['Invalid', 'ready', true, 'Invalid'],
      ['Refused', 'stalled', false, 'Refused'],
      ['Error', 'error', true, 'Error'],
    ];
    for (const [phase, result, inGit, expected] of cases) assert.equal(finalPhase(phase, { result }, inGit), expected, `${phase} ${result} ${inGit}`);
  });

  it('outcomeOf: the phase names the record, else applied or progressing', () => {
    const cases: [NamespaceStatus['phase'], PassReport['outcome']['result'], string][] = [
      ['Invalid', 'ready', 'invalid'],
      ['Refused', 'stalled', 'refused'],
      ['Error', 'error', 'failed'],
      ['Pruned', 'ready', 'pruned'],
      ['Synced', 'ready', 'applied'],
      ['Progressing', 'progressing', 'progressing'],
    ];
    for (const [phase, result, expected] of cases) assert.equal(outcomeOf(phase, { result }), expected);
  });

  it('conditionsFor: a condition keeps its transition time while its status holds', () => {
    const synced = conditionsFor('Synced', undefined, [], T1);
    assert.deepEqual(
      synced.map((c) => [c.type, c.status, c.reason]),
      [
        ['Synced', 'True', 'Synced'],
        ['Valid', 'True', 'Valid'],
        ['Progressing', 'False', 'Idle'],
      ],
    );
    const progressing = conditionsFor('Progressing', 'rolling', synced, T2);
    assert.deepEqual(
      progressing.map((c) => [c.type, c.status, c.lastTransitionTime, c.message]),
      [
        ['Synced', 'False', T2, 'rolling'],
        ['Valid', 'True', T1, 'rolling'],
        ['Progressing', 'True', T2, 'rolling'],
      ],
    );
    const invalid = conditionsFor('Invalid', 'bad', progressing, T2);
    assert.deepEqual(
      invalid.map((c) => [c.type, c.status, c.reason]),
      [
        ['Synced', 'False', 'Invalid'],
        ['Valid', 'False', 'InvalidManifests'],
        ['Progressing', 'False', 'Idle'],
      ],
    );
    assert.equal(conditionsFor('Pruned', undefined, [], T1)[0]!.status, 'True');
  });

  it('passRecords: commits advance only as far as the pass got', () => {
    const cases: { name: string; r: Partial<PassReport>; applied?: string; valid?: string }[] = [
      { name: 'a valid head reached', r: { previous: previous() }, applied: 'c2', valid: 'c2' },
      { name: 'a valid head still rolling', r: { previous: previous(), outcome: { result: 'progressing' }, phase: 'Progressing' }, applied: 'c1', valid: 'c2' },
      { name: 'an invalid head', r: { previous: previous(), headValid: false, phase: 'Invalid' }, applied: 'c1', valid: 'c1' },
      { name: 'a first pass that fails', r: { outcome: { result: 'error' }, phase: 'Error' }, applied: undefined, valid: 'c2' },
      { name: 'a first pass, invalid', r: { headValid: false, phase: 'Invalid' }, applied: undefined, valid: undefined },
    ];
    for (const c of cases) {
      const { status } = passRecords(report(c.r));
      assert.equal(status.lastAttemptedCommit, 'c2', c.name);
      assert.equal(status.lastAppliedCommit, c.applied, c.name);
      assert.equal(status.lastValidCommit, c.valid, c.name);
    }
  });

  it("passRecords: a pass that ended before routing keeps the last pass's Services and volumes", () => {
    assert.deepEqual(passRecords(report({ previous: previous() })).status.services, previous().services);
    assert.deepEqual(passRecords(report({ previous: previous(), services: [] })).status.services, undefined);
    assert.deepEqual(passRecords(report({ previous: previous(), volumes: [] })).status.volumes, undefined);
    assert.deepEqual(passRecords(report({ previous: previous() })).status.volumes, previous().volumes);
  });

  it('passRecords: a namespace gone from Git is removed once pruned, unless volumes of it remain', () => {
    const gone = { headValid: undefined, phase: 'Pruned' as const };
    assert.equal(passRecords(report({ ...gone, volumes: [] })).removed, true);
    assert.equal(passRecords(report({ ...gone, previous: previous() })).removed, false); // the last pass's volumes
    assert.equal(passRecords(report({ ...gone, previous: previous(), volumes: [] })).removed, true);
    assert.equal(passRecords(report({ headValid: undefined, phase: 'Refused', volumes: [] })).removed, false);
    assert.equal(passRecords(report({ phase: 'Pruned', volumes: [] })).removed, false); // in Git
  });

  it('passRecords: history only when the pass moved, changed phase or saw a new commit', () => {
    const same = previous({ lastAttemptedCommit: 'c2', phase: 'Synced' });
    assert.equal(passRecords(report({ previous: same })).history, undefined);
    assert.deepEqual(passRecords(report({ previous: same, moves: 2 })).history, { time: T2, namespace: 'shop', commit: 'c2', outcome: 'applied', moves: 2 });
    assert.equal(passRecords(report({ previous: same, phase: 'Error', message: 'X: y', outcome: { result: 'error' } })).history?.outcome, 'failed');
    assert.equal(passRecords(report({ previous: same, phase: 'Error', message: 'X: y', outcome: { result: 'error' } })).history?.message, 'X: y');
    assert.equal(passRecords(report({ previous: previous({ lastAttemptedCommit: 'c1' }) })).history?.commit, 'c2');
    assert.equal(passRecords(report()).history?.outcome, 'applied'); // the first pass
  });

  it('deploymentStatus: phase and message from the step, a pin, a hold or a refusal', () => {
    const d = deployment({ revision: 'b' });
    const failed = { revision: 'b', commit: 'cb', reason: 'CrashLoop', message: 'exited' };
    const pin: Pin = { namespace: 'shop', name: 'web', commit: 'ca1234567890abcdef', revision: 'a', headSpec: 'h', createdAt: T1 };
    const act: Step = { kind: 'act', remove: [], create: [], summary: 'create 1', counts };
    const wait: Step = { kind: 'wait', reason: 'readiness', summary: 'waiting for 1 to be ready', counts };
    const fail: Step = { kind: 'fail', reason: 'CrashLoop', summary: 'crash loop', counts };
    const complete: Step = { kind: 'complete', counts };
    const cases: { name: string; step?: Step; pin?: Pin; hold?: Pin['failed']; refused?: string; phase: string; message?: string }[] = [
      { name: 'act', step: act, phase: 'Progressing', message: 'create 1' },
      { name: 'wait', step: wait, phase: 'Waiting', message: 'waiting for 1 to be ready' },
      { name: 'fail', step: fail, phase: 'Failed', message: 'crash loop' },
      { name: 'complete', step: complete, phase: 'Complete' },
      { name: 'complete after an auto-rollback', step: complete, pin: { ...pin, failed }, phase: 'RolledBack' },
      { name: 'held', hold: failed, phase: 'Failed', message: /no earlier good revision/.source },
      { name: 'refused', refused: 'volumeClaimTemplates cannot change', phase: 'Failed', message: 'volumeClaimTemplates cannot change' },
    ];
    for (const c of cases) {
      const s = deploymentStatus(d, c.step, c.pin, c.hold, c.refused);
      assert.equal(s.phase, c.phase, c.name);
      if (c.message?.startsWith('no earlier')) assert.match(s.message ?? '', /no earlier good revision/, c.name);
      else assert.equal(s.message, c.message, c.name);
      assert.equal(s.updatedReplicas, c.step ? 2 : 0, c.name);
      assert.equal(s.availableReplicas, c.step ? 1 : 0, c.name);
    }
    assert.equal(deploymentStatus(d, complete, pin, undefined).pinnedTo, 'a@ca1234567890');
    assert.deepEqual(deploymentStatus(d, complete, { ...pin, failed }, undefined).rolledBack, failed);
    assert.equal(deploymentStatus(d, complete, { ...pin, failed }, undefined).pinnedTo, undefined);
  });

  it('deploymentStatus: where each replica is on a cluster; nothing on one host', () => {
    const d = deployment({ revision: 'b' });
    const complete: Step = { kind: 'complete', counts };
    const table: [string, ObservedReplica[], unknown][] = [
      ['one host: no node on any replica', [replica('b', 0), replica('b', 1)], undefined],
      [
        'a cluster: by replica, then revision; a pending one says why, a running one does not',
        [
          replica('b', 1, { node: 'node3' }),
          replica('b', 0, { node: 'node2' }),
          replica('a', 0, { node: 'node1', stateReason: 'ignored while it runs' }),
          replica('b', 2, { state: 'pending', stateReason: 'no node matches its nodeSelector disk=nvme' }),
        ],
        [
          { replica: 0, revision: 'a', state: 'running', node: 'node1' },
          { replica: 0, revision: 'b', state: 'running', node: 'node2' },
          { replica: 1, revision: 'b', state: 'running', node: 'node3' },
          { replica: 2, revision: 'b', state: 'pending', reason: 'no node matches its nodeSelector disk=nvme' },
        ],
      ],
      [
        'evicted ones say so; terminating ones and init containers are left out',
        [
          replica('b', 0, { node: 'node2', state: 'dead', evicted: true, stateReason: 'its node node2 is down' }),
          replica('b', 1, { node: 'node1', state: 'removing' }),
          replica('b', 1, { node: 'node1', state: 'exited', init: 'migrate' }),
        ],
        [{ replica: 0, revision: 'b', state: 'evicted', node: 'node2', reason: 'its node node2 is down' }],
      ],
    ];
    for (const [what, replicas, placement] of table)
      assert.deepEqual(deploymentStatus(d, complete, undefined, undefined, undefined, replicas).placement, placement, what);
  });

  it('volumeStatuses: bound, pending with the reason, orphaned with how to delete, waiting deletes; by name', () => {
    const v = (name: string) => ({ name, volumeName: `berth_shop_${name}`, storage: '1Gi', accessModes: ['ReadWriteOnce'] as const });
    const plan = {
      bound: [{ desired: v('b-bound'), drift: undefined }],
      create: [v('c-new'), v('a-failed')],
      orphaned: [v('d-orphan')],
      delete: [v('e-deleting'), v('f-deleted')],
      retained: [],
    } as unknown as Parameters<typeof volumeStatuses>[1];
    const out = volumeStatuses('shop', plan, new Map([['a-failed', 'no space']]), { waiting: new Map([['e-deleting', 'in use']]) });
    assert.deepEqual(
      out.map((s) => [s.name, s.phase, s.message?.slice(0, 40)]),
      [
        ['a-failed', 'Pending', 'no space'],
        ['b-bound', 'Bound', undefined],
        ['c-new', 'Bound', undefined],
        ['d-orphan', 'Orphaned', 'no PersistentVolumeClaim in Git names it'],
        ['e-deleting', 'Orphaned', 'in use'],
      ],
    );
    assert.match(out[3]!.message!, /berth volume delete shop\/d-orphan/);
  });
});

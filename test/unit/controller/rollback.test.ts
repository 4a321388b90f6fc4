import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commitOf, completionRecord, hasCompleted, holdOf, rollbackDecision } from '../../../src/controller/rollback.js';
import { specHash } from '../../../src/plan/index.js';
import type { Pin, RevisionRecord } from '../../../src/store/index.js';
import { deployment } from '../../helpers/builders.js';

const NOW = '2026-01-01T00:00:00.000Z';
const rec = (revision: string, outcome: RevisionRecord['outcome'], commit = `c-${revision}`): RevisionRecord => ({
  revision,
  commit,
  image: 'busybox:1.36',
  time: NOW,
  outcome,
});

describe('rollback rules', () => {
  it('hasCompleted: a revision that completed or was rolled back to, never a failed one', () => {
    const cases: [readonly RevisionRecord[], string, boolean][] = [
      [[], 'a', false],
      [[rec('a', 'complete')], 'a', true],
      [[rec('a', 'rolled-back-to')], 'a', true],
      [[rec('a', 'failed')], 'a', false],
      [[rec('a', 'failed'), rec('a', 'complete')], 'a', true],
      [[rec('a', 'complete')], 'b', false],
    ];
    for (const [history, revision, expected] of cases) assert.equal(hasCompleted(history, revision), expected, JSON.stringify({ history, revision }));
  });

  it('holdOf: only a pin that holds a failure', () => {
    const failed = { revision: 'b', commit: 'c-b', reason: 'CrashLoop', message: 'm' };
    const base: Pin = { namespace: 'shop', name: 'web', commit: 'c-a', revision: 'a', headSpec: 'h', createdAt: NOW };
    assert.equal(holdOf(undefined), undefined);
    assert.equal(holdOf(base), undefined); // a manual rollback
    assert.equal(holdOf({ ...base, failed }), undefined); // rolled back, not held
    assert.deepEqual(holdOf({ ...base, failed, hold: true }), failed);
  });

  it('commitOf: a replica of the revision names its commit, else the fallback', () => {
    assert.equal(
      commitOf(
        'b',
        [
          { revision: 'a', commit: 'ca' },
          { revision: 'b', commit: 'cb' },
        ],
        'head',
      ),
      'cb',
    );
    assert.equal(commitOf('b', [{ revision: 'b', commit: '' }], 'head'), 'head');
    assert.equal(commitOf('b', [], 'head'), 'head');
  });

  it('completionRecord: once per revision; rolled-back-to while pinned', () => {
    const d = deployment({ revision: 'b' });
    const replicas = [{ revision: 'b', commit: 'cb' }];
    const cases: { history: RevisionRecord[]; pinned: boolean; expected: RevisionRecord | undefined }[] = [
      { history: [], pinned: false, expected: { revision: 'b', commit: 'cb', image: 'busybox:1.36', time: NOW, outcome: 'complete' } },
      { history: [rec('a', 'complete')], pinned: true, expected: { revision: 'b', commit: 'cb', image: 'busybox:1.36', time: NOW, outcome: 'rolled-back-to' } },
      { history: [rec('a', 'complete'), rec('b', 'complete')], pinned: false, expected: undefined },
      // b completed earlier, then a: b completing again is a new entry
      {
        history: [rec('b', 'complete'), rec('a', 'complete')],
        pinned: false,
        expected: { revision: 'b', commit: 'cb', image: 'busybox:1.36', time: NOW, outcome: 'complete' },
      },
    ];
    for (const c of cases) assert.deepEqual(completionRecord({ desired: d, replicas, history: c.history, pinned: c.pinned, now: NOW }), c.expected);
  });

  it('rollbackDecision: pins the newest good revision, skipping failed ones; holds with none', () => {
    const cases: { name: string; history: RevisionRecord[]; to?: string }[] = [
      { name: 'previous complete', history: [rec('a', 'complete')], to: 'a' },
      { name: 'newest good wins', history: [rec('a', 'complete'), rec('b', 'complete')], to: 'b' },
      { name: 'a failed one is skipped', history: [rec('a', 'complete'), rec('b', 'failed')], to: 'a' },
      { name: 'rolled-back-to counts as good', history: [rec('a', 'rolled-back-to')], to: 'a' },
      { name: 'the failing revision itself is not a target', history: [rec('x', 'complete')], to: undefined },
      { name: 'a record without a commit is not a target', history: [rec('a', 'complete', '')], to: undefined },
      { name: 'nothing to go back to', history: [], to: undefined },
    ];
    const d = deployment({ revision: 'x' });
    for (const c of cases) {
      const r = rollbackDecision({
        desired: d,
        reason: 'CrashLoop',
        summary: 'exited twice',
        replicas: [{ revision: 'x', commit: 'cx' }],
        history: c.history,
        head: undefined,
        headCommit: 'head',
        now: NOW,
      });
      assert.deepEqual(
        r.record,
        { revision: 'x', commit: 'cx', image: 'busybox:1.36', time: NOW, outcome: 'failed', reason: 'CrashLoop', message: 'exited twice' },
        c.name,
      );
      assert.equal(r.failedCommit, 'cx', c.name);
      assert.deepEqual(r.pin.failed, { revision: 'x', commit: 'cx', reason: 'CrashLoop', message: 'exited twice' }, c.name);
      assert.equal(r.pin.cause, 'auto-rollback', c.name);
      if (c.to) {
        assert.deepEqual(r.to, { revision: c.to, commit: `c-${c.to}` }, c.name);
        assert.equal(r.pin.revision, c.to, c.name);
        assert.equal(r.pin.hold, undefined, c.name);
      } else {
        assert.equal(r.to, undefined, c.name);
        assert.equal(r.pin.revision, 'x', c.name);
        assert.equal(r.pin.commit, 'cx', c.name);
        assert.equal(r.pin.hold, true, c.name);
      }
    }
  });

  it("rollbackDecision: the pin remembers the head's spec (released when a commit changes it), else the failed one's", () => {
    const failing = deployment({ revision: 'x' });
    const head = deployment({ revision: 'y', replicas: 5 });
    const args = { desired: failing, reason: 'ProgressDeadlineExceeded', summary: 's', replicas: [], history: [rec('a', 'complete')], now: NOW };
    assert.equal(rollbackDecision({ ...args, head, headCommit: 'h' }).pin.headSpec, specHash(head));
    assert.equal(rollbackDecision({ ...args, head: undefined, headCommit: 'h' }).pin.headSpec, specHash(failing));
    // No replica of the failed revision: its commit is the head's.
    assert.equal(rollbackDecision({ ...args, head: undefined, headCommit: 'h' }).failedCommit, 'h');
  });
});

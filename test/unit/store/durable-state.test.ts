import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyOp, parseOp, sanitizeDurable, type DurableOp, type DurableState } from '../../../src/store/durable-state.js';
import type { Pin, RevisionRecord } from '../../../src/store/index.js';

const rev = (revision: string, outcome: RevisionRecord['outcome'] = 'complete'): RevisionRecord => ({
  revision,
  commit: `${revision}-commit`,
  image: 'busybox:1.36',
  time: 't',
  outcome,
});
const pin: Pin = { namespace: 'shop', name: 'web', commit: 'c1', revision: 'r1', headSpec: 'h', createdAt: 't' };

describe('applyOp: the durable state rules, by worked example', () => {
  const table: { what: string; from: DurableState; ops: DurableOp[]; expect: DurableState }[] = [
    {
      what: 'revisions: newest last, a revision seen again moves to the end, limit 2 keeps 3 (the limit + the current)',
      from: {},
      ops: ['r1', 'r2', 'r3', 'r2', 'r4'].map((r) => ({ op: 'revision', key: 'shop/web', record: rev(r), limit: 2 })),
      expect: { revisions: { 'shop/web': [rev('r3'), rev('r2'), rev('r4')] } },
    },
    {
      what: 'limit 0 still keeps the current one',
      from: {},
      ops: [
        { op: 'revision', key: 'shop/web', record: rev('r1'), limit: 0 },
        { op: 'revision', key: 'shop/web', record: rev('r2'), limit: 0 },
      ],
      expect: { revisions: { 'shop/web': [rev('r2')] } },
    },
    {
      what: 'pin then unpin',
      from: {},
      ops: [
        { op: 'pin', pin },
        { op: 'unpin', key: 'shop/web' },
      ],
      expect: { pins: {} },
    },
    { what: 'pin keyed namespace/name', from: {}, ops: [{ op: 'pin', pin }], expect: { pins: { 'shop/web': pin } } },
    {
      what: 'a snapshot replaces everything before it',
      from: { pins: { 'shop/web': pin } },
      ops: [{ op: 'snapshot', state: { revisions: { 'a/b': [rev('x')] } } }],
      expect: { revisions: { 'a/b': [rev('x')] } },
    },
    {
      what: 'a key named like a prototype member is an ordinary key',
      from: {},
      ops: [
        { op: 'revision', key: 'constructor/valueof', record: rev('r1'), limit: 10 },
        { op: 'unpin', key: 'constructor' },
      ],
      expect: { revisions: { 'constructor/valueof': [rev('r1')] }, pins: {} },
    },
  ];
  for (const c of table) {
    it(c.what, () => {
      let state = c.from;
      for (const op of c.ops) state = applyOp(state, op);
      assert.deepEqual(state, c.expect);
      // Replaying the same operations from their journal lines gives the same state.
      let replayed = c.from;
      for (const op of c.ops) replayed = applyOp(replayed, parseOp(JSON.stringify(op))!);
      assert.deepEqual(replayed, c.expect);
    });
  }
});

describe('parseOp: a line that is not an operation is refused, never half-applied', () => {
  const bad = [
    '{"op":"pin","pin":{"namespace":"shop"', // torn
    'garbage',
    '[]',
    'null',
    '5',
    '{"op":"nuke"}',
    '{"op":"pin","pin":{"namespace":"shop","name":"web"}}', // missing commit, revision, …
    '{"op":"revision","key":"shop/web","record":{"revision":"r1"},"limit":10}',
    '{"op":"revision","key":"shop/web","record":' + JSON.stringify(rev('r1')) + ',"limit":-1}',
    '{"op":"unpin","key":5}',
    '{"op":"confirm-prune","commit":"abc","confirmation":{"at":1}}',
  ];
  for (const line of bad) it(line, () => assert.equal(parseOp(line), undefined));
});

describe('sanitizeDurable: a state of the wrong shape keeps the entries of the right one', () => {
  it('drops what is not a pin, a revision list or a confirmation', () => {
    assert.deepEqual(
      sanitizeDurable({ pins: { 'shop/web': pin, 'shop/x': 5 }, revisions: { 'shop/web': 'x', 'shop/api': [rev('r1')] }, pruneConfirmations: [] }),
      {
        pins: { 'shop/web': pin },
        revisions: { 'shop/api': [rev('r1')] },
      },
    );
    assert.deepEqual(sanitizeDurable([]), {});
    assert.deepEqual(sanitizeDurable(null), {});
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientAffinity } from '../../../src/proxy/index.js';

const b = (id: string) => ({ id, host: '127.0.0.1', port: 1 });
const ids = (list: { id: string }[]) => list.map((x) => x.id).join(',');

describe('ClientAffinity (sessionAffinity: ClientIP)', () => {
  it('a client keeps its first pick while it is a candidate, then moves with the round-robin', () => {
    const a = new ClientAffinity();
    assert.equal(ids(a.order('r', '10.0.0.2', [b('r2'), b('r3'), b('r1')])), 'r2,r3,r1');
    assert.equal(ids(a.order('r', '10.0.0.2', [b('r3'), b('r1'), b('r2')])), 'r2,r3,r1');
    assert.equal(ids(a.order('r', '10.0.0.9', [b('r3'), b('r1'), b('r2')])), 'r3,r1,r2', 'another client: its own pick');
    assert.equal(ids(a.order('r', '10.0.0.2', [b('r1'), b('r3')])), 'r1,r3', 'r2 drained: the next in order');
    assert.equal(ids(a.order('r', '10.0.0.2', [b('r3'), b('r1'), b('r2')])), 'r1,r3,r2', 'pinned to r1 now');
  });

  it('forgets pins to backends no table lists', () => {
    const a = new ClientAffinity();
    a.order('r', 'c', [b('r1'), b('r2')]);
    a.retain(new Set(['r2']));
    assert.equal(ids(a.order('r', 'c', [b('r2'), b('r1')])), 'r2,r1');
  });
});

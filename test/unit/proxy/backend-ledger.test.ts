import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackendLedger, RoundRobin } from '../../../src/proxy/index.js';

describe('BackendLedger', () => {
  it('counts per id; release is idempotent', () => {
    const ledger = new BackendLedger();
    const r1 = ledger.acquire('a');
    const r2 = ledger.acquire('a');
    ledger.acquire('b');
    assert.deepEqual(ledger.snapshot().active, { a: 2, b: 1 });
    r1();
    r1();
    assert.equal(ledger.activeCount(['a']), 1);
    r2();
    assert.deepEqual(ledger.snapshot().active, { b: 1 });
  });

  it('counts what each id served (kept after release), and forgets an id no table lists once it is idle', () => {
    const ledger = new BackendLedger();
    ledger.acquire('a')();
    const open = ledger.acquire('a');
    ledger.acquire('b')();
    assert.deepEqual(ledger.snapshot().served, { a: 2, b: 1 });
    ledger.observeListed(new Set(['b']));
    assert.deepEqual(ledger.snapshot().served, { a: 2, b: 1 }, 'a still has an open connection');
    open();
    ledger.observeListed(new Set(['b']));
    assert.deepEqual(ledger.snapshot().served, { b: 1 });
  });

  it('waitIdle resolves 0 when the last one finishes, or what remains at the timeout', async () => {
    const ledger = new BackendLedger();
    assert.equal(await ledger.waitIdle(['a'], 10_000), 0);
    const release = ledger.acquire('a');
    const idle = ledger.waitIdle(['a', 'b'], 10_000);
    setTimeout(release, 20);
    assert.equal(await idle, 0);
    ledger.acquire('b');
    assert.equal(await ledger.waitIdle(['a', 'b'], 20), 1);
  });

  it('remembers a drained id while listed, forgets it once absent for forgetAfterMs and idle', () => {
    let now = 0;
    const ledger = new BackendLedger({ now: () => now, forgetAfterMs: 1_000 });
    ledger.markDraining(['a']);
    ledger.observeListed(new Set(['a'])); // a racing table still lists it
    now = 5_000;
    ledger.observeListed(new Set(['a']));
    assert.equal(ledger.isDraining('a'), true);
    ledger.observeListed(new Set()); // absent from here (t = 5 s)
    now = 5_900;
    ledger.observeListed(new Set());
    assert.equal(ledger.isDraining('a'), true);
    const release = ledger.acquire('a');
    now = 6_000;
    ledger.observeListed(new Set());
    assert.equal(ledger.isDraining('a'), true, 'kept while a connection is open');
    release();
    ledger.observeListed(new Set());
    assert.equal(ledger.isDraining('a'), false);
    assert.deepEqual(ledger.snapshot().draining, []);
  });
});

describe('RoundRobin', () => {
  const backends = ['a', 'b', 'c'].map((id) => ({ id, host: '127.0.0.1', port: 1 }));
  it('rotates the start, the rest is the retry order', () => {
    const rr = new RoundRobin();
    const orders = [0, 1, 2, 3].map(() =>
      rr
        .order('k', backends, () => false)
        .map((b) => b.id)
        .join(''),
    );
    assert.deepEqual(orders, ['abc', 'bca', 'cab', 'abc']);
  });
  it('leaves draining backends out; none eligible → empty', () => {
    const rr = new RoundRobin();
    assert.deepEqual(
      rr.order('k', backends, (id) => id === 'b').map((b) => b.id),
      ['a', 'c'],
    );
    assert.deepEqual(
      rr.order('k', backends, () => true),
      [],
    );
  });
});

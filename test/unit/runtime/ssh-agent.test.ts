/** An SSH channel as Node's HTTP client uses a socket (runtime/docker/ssh-agent.ts asSocket): what docker-modem's own ssh:// lacked. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { ClientChannel } from 'ssh2';
import { asSocket } from '../../../src/runtime/docker/ssh-agent.js';

const channel = () => new PassThrough() as unknown as ClientChannel;

describe('asSocket', () => {
  it('has what the HTTP client calls on a socket, each returning the stream', () => {
    const s = asSocket(channel());
    for (const call of [() => s.setNoDelay(true), () => s.setKeepAlive(true), () => s.ref(), () => s.unref(), () => s.setTimeout(0)]) assert.equal(call(), s);
  });
  it('an idle deadline emits timeout (and calls the callback given with it)', async () => {
    const s = asSocket(channel());
    let called = false;
    s.setTimeout(5, () => (called = true));
    await once(s, 'timeout');
    assert.equal(called, true);
  });
  it('setTimeout(0, cb) removes that callback, as a socket does (a kept-alive socket gathers no listeners)', () => {
    const s = asSocket(channel());
    const cb = () => {};
    for (let i = 0; i < 20; i++) {
      s.setTimeout(1000, cb);
      s.setTimeout(0, cb);
    }
    assert.equal(s.listenerCount('timeout'), 0);
  });
  it('ref and unref count once each way, and a close releases a held channel', () => {
    const counts = { ref: 0, unref: 0 };
    const c = channel();
    const s = asSocket(c, { ref: () => counts.ref++, unref: () => counts.unref++ });
    s.unref();
    s.unref();
    s.ref();
    s.ref();
    (c as unknown as NodeJS.EventEmitter).emit('close');
    assert.deepEqual(counts, { ref: 1, unref: 2 });
  });
  it('setTimeout(0) turns the deadline off: no timeout while a later, longer one is pending', async () => {
    const s = asSocket(channel());
    let early = 0;
    s.on('timeout', () => early++);
    s.setTimeout(1);
    s.setTimeout(0);
    // A second stream's deadline that fires after the first one would have: the first one emitted nothing.
    const other = asSocket(channel());
    other.setTimeout(20);
    await once(other, 'timeout');
    assert.equal(early, 0);
  });
});

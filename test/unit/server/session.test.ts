import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  clearedSessionCookie,
  parseCookies,
  readVerdict,
  SESSION_TTL_MS,
  sessionCookie,
  Sessions,
  SignInLimiter,
  writeVerdict,
  type WriteRequest,
} from '../../../src/server/session.js';

const TOKEN = 'a-long-random-api-token-0123456789';

describe('writeVerdict: Bearer, or session cookie AND its CSRF token', () => {
  const sessions = new Sessions();
  const { id, csrf } = sessions.open();
  const other = sessions.open();
  const base: WriteRequest = { apiToken: TOKEN, csrfOf: (s) => sessions.csrfOf(s) };
  const cases: { name: string; r: Partial<WriteRequest>; want: 'bearer' | 'session' | 'UNAUTHORIZED' | 'FORBIDDEN' }[] = [
    { name: 'no token configured: nothing writes, not even the right Bearer', r: { apiToken: undefined, authorization: `Bearer ${TOKEN}` }, want: 'FORBIDDEN' },
    { name: 'no token configured, a session cookie', r: { apiToken: undefined, cookie: `berth_session=${id}`, csrf }, want: 'FORBIDDEN' },
    { name: 'nothing at all', r: {}, want: 'UNAUTHORIZED' },
    { name: 'the right Bearer', r: { authorization: `Bearer ${TOKEN}` }, want: 'bearer' },
    { name: 'bearer in any case, trailing blanks', r: { authorization: `bearer ${TOKEN}  ` }, want: 'bearer' },
    { name: 'a wrong Bearer', r: { authorization: 'Bearer nope' }, want: 'UNAUTHORIZED' },
    { name: 'Basic is no Bearer', r: { authorization: `Basic ${TOKEN}` }, want: 'UNAUTHORIZED' },
    { name: 'a wrong Bearer is not rescued by a good session', r: { authorization: 'Bearer nope', cookie: `berth_session=${id}`, csrf }, want: 'UNAUTHORIZED' },
    { name: 'session cookie and its CSRF token', r: { cookie: `theme=dark; berth_session=${id}`, csrf }, want: 'session' },
    { name: 'session cookie without CSRF token', r: { cookie: `berth_session=${id}` }, want: 'FORBIDDEN' },
    { name: 'session cookie with an empty CSRF token', r: { cookie: `berth_session=${id}`, csrf: '' }, want: 'FORBIDDEN' },
    { name: 'session cookie with a wrong CSRF token', r: { cookie: `berth_session=${id}`, csrf: 'x'.repeat(43) }, want: 'FORBIDDEN' },
    { name: "another session's CSRF token", r: { cookie: `berth_session=${id}`, csrf: other.csrf }, want: 'FORBIDDEN' },
    { name: 'a repeated CSRF header (an array)', r: { cookie: `berth_session=${id}`, csrf: [csrf, csrf] }, want: 'FORBIDDEN' },
    { name: 'CSRF token without the cookie', r: { csrf }, want: 'UNAUTHORIZED' },
    { name: 'an unknown session', r: { cookie: 'berth_session=forged', csrf }, want: 'UNAUTHORIZED' },
    { name: 'an empty Authorization falls through to the session', r: { authorization: '', cookie: `berth_session=${id}`, csrf }, want: 'session' },
  ];
  for (const c of cases)
    it(c.name, () => {
      const v = writeVerdict({ ...base, ...c.r });
      assert.equal(v.allowed ? v.by : v.code, c.want, JSON.stringify(v));
    });

  it('a closed session writes no more', () => {
    const s = new Sessions();
    const one = s.open();
    s.close(one.id);
    const v = writeVerdict({ apiToken: TOKEN, csrfOf: (x) => s.csrfOf(x), cookie: `berth_session=${one.id}`, csrf: one.csrf });
    assert.equal(v.allowed, false);
    assert.match(v.allowed ? '' : v.message, /session has ended/);
  });
});

describe('Sessions', () => {
  it('keeps the newest `kept`, dropping the oldest; ids and CSRF tokens are distinct and long', () => {
    const s = new Sessions({ kept: 3 });
    const opened = Array.from({ length: 5 }, () => s.open());
    assert.equal(s.size, 3);
    assert.deepEqual(
      opened.map((o) => s.csrfOf(o.id) !== undefined),
      [false, false, true, true, true],
    );
    const values = opened.flatMap((o) => [o.id, o.csrf]);
    assert.equal(new Set(values).size, values.length);
    for (const v of values) assert.match(v, /^[A-Za-z0-9_-]{43}$/);
  });
});

describe('cookies', () => {
  const cases: { header: string | undefined; want: [string, string][] }[] = [
    { header: undefined, want: [] },
    { header: '', want: [] },
    { header: 'a=1', want: [['a', '1']] },
    {
      header: 'a=1; b = 2 ;c=x=y',
      want: [
        ['a', '1'],
        ['b', '2'],
        ['c', 'x=y'],
      ],
    },
    { header: 'a=1; a=2', want: [['a', '1']] },
    { header: '=v; novalue; ;', want: [] },
  ];
  for (const c of cases) it(`parseCookies(${JSON.stringify(c.header)})`, () => assert.deepEqual([...parseCookies(c.header)], c.want));

  it('the session cookie is HttpOnly and SameSite=Strict (Secure over https); clearing it expires it', () => {
    assert.equal(sessionCookie('abc', { secure: false }), 'berth_session=abc; Path=/; HttpOnly; SameSite=Strict');
    assert.equal(sessionCookie('abc', { secure: true }), 'berth_session=abc; Path=/; HttpOnly; SameSite=Strict; Secure');
    assert.equal(clearedSessionCookie({ secure: false }), 'berth_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
  });
});

describe('readVerdict (replica logs: Bearer or a live session cookie; no CSRF for a read)', () => {
  const signedIn = (id: string) => id === 'live';
  const cases: { name: string; r: Omit<Parameters<typeof readVerdict>[0], 'signedIn' | 'what'>; want: ReturnType<typeof readVerdict> }[] = [
    { name: 'live session cookie', r: { apiToken: 't', cookie: 'berth_session=live' }, want: { allowed: true, by: 'session' } },
    { name: 'Bearer', r: { apiToken: 't', authorization: 'Bearer t' }, want: { allowed: true, by: 'bearer' } },
    {
      name: 'wrong Bearer, even with a live cookie',
      r: { apiToken: 't', authorization: 'Bearer x', cookie: 'berth_session=live' },
      want: { allowed: false, code: 'UNAUTHORIZED', message: 'invalid bearer token' },
    },
    {
      name: 'a session that ended',
      r: { apiToken: 't', cookie: 'berth_session=gone' },
      want: { allowed: false, code: 'UNAUTHORIZED', message: 'the dashboard session has ended (sign in again)' },
    },
    { name: 'nothing', r: { apiToken: 't' }, want: { allowed: false, code: 'UNAUTHORIZED', message: 'sign in to read replica logs' } },
    {
      name: 'no API token configured: never',
      r: { apiToken: undefined, cookie: 'berth_session=live' },
      want: { allowed: false, code: 'FORBIDDEN', message: 'replica logs need a sign-in: no API token is configured (set BERTH_API_TOKEN)' },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(readVerdict({ what: 'replica logs', ...c.r, signedIn }), c.want));
});

describe('Sessions end 12 h after sign-in', () => {
  it('live until SESSION_TTL_MS, then gone (and forgotten)', () => {
    let now = 1_000_000;
    const s = new Sessions({ now: () => now });
    const { id, csrf } = s.open();
    now += SESSION_TTL_MS - 1;
    assert.equal(s.csrfOf(id), csrf, 'one ms before the end');
    now += 1;
    assert.equal(s.csrfOf(id), undefined, 'at the end');
    assert.equal(s.size, 0, 'forgotten');
  });
});

describe('SignInLimiter: 10 failures a minute per client, then 429 until the oldest leaves the window', () => {
  it('the worked example', () => {
    let now = 0;
    const limiter = new SignInLimiter(() => now);
    for (let i = 0; i < 10; i++) {
      now = i * 1000;
      assert.equal(limiter.retryAfter('a'), undefined, `attempt ${i + 1} allowed`);
      limiter.failed('a');
    }
    now = 30_000;
    assert.equal(limiter.retryAfter('a'), 30, 'the failure at 0 s leaves at 60 s');
    assert.equal(limiter.retryAfter('b'), undefined, 'another client is not held');
    now = 59_999;
    assert.equal(limiter.retryAfter('a'), 1);
    now = 60_000;
    assert.equal(limiter.retryAfter('a'), undefined, '9 failures in the window');
    limiter.failed('a');
    assert.equal(limiter.retryAfter('a'), 1, 'the 10th again: held until 1 s leaves');
  });
  it('nine failures are not a limit', () => {
    const limiter = new SignInLimiter(() => 5);
    for (let i = 0; i < 9; i++) limiter.failed('c');
    assert.equal(limiter.retryAfter('c'), undefined);
  });
});

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { isBerthError } from '../../../src/core/index.js';
import { isValidHmacSha256, tokensEqual } from '../../../src/server/constant-time.js';
import { decodePush, matchPush } from '../../../src/server/push-event.js';

const SHA = 'a'.repeat(40);

describe('matchPush', () => {
  const table: [string, { ref: string; watched: string | undefined; defaultBranch: string | undefined }, boolean][] = [
    ['the watched branch', { ref: 'refs/heads/main', watched: 'main', defaultBranch: undefined }, true],
    ['another branch', { ref: 'refs/heads/dev', watched: 'main', defaultBranch: 'main' }, false],
    ['a tag while a branch is watched', { ref: 'refs/tags/v1', watched: 'main', defaultBranch: undefined }, false],
    ['the watched tag, moved', { ref: 'refs/tags/v1', watched: 'v1', defaultBranch: undefined }, true],
    ['a full watched ref', { ref: 'refs/heads/main', watched: 'refs/heads/main', defaultBranch: undefined }, true],
    ['a full watched ref vs a same-named tag', { ref: 'refs/tags/main', watched: 'refs/heads/main', defaultBranch: undefined }, false],
    ['a pinned commit never moves', { ref: 'refs/heads/main', watched: SHA, defaultBranch: 'main' }, false],
    ['remote HEAD: the default branch', { ref: 'refs/heads/trunk', watched: undefined, defaultBranch: 'trunk' }, true],
    ['remote HEAD: another branch', { ref: 'refs/heads/dev', watched: undefined, defaultBranch: 'trunk' }, false],
    ['remote HEAD: a tag', { ref: 'refs/tags/v1', watched: undefined, defaultBranch: 'trunk' }, false],
    ['remote HEAD, default unknown: any branch (a needless fetch is harmless)', { ref: 'refs/heads/dev', watched: undefined, defaultBranch: undefined }, true],
  ];
  for (const [what, args, watched] of table) {
    it(`${what} → ${watched ? 'watched' : 'ignored'}`, () => {
      const v = matchPush(args);
      assert.equal(v.watched, watched);
      if (!v.watched) assert.ok(v.reason.includes(args.ref), `reason names the ref: ${v.reason}`);
    });
  }
});

describe('decodePush', () => {
  it('accepts a minimal push and ignores extra members', () => {
    const p = decodePush(
      Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: SHA, commits: [], repository: { default_branch: 'main', name: 'x' } })),
      'application/json',
    );
    assert.equal(p.ref, 'refs/heads/main');
    assert.equal(p.after, SHA);
    assert.equal(p.repository?.default_branch, 'main');
  });
  it('accepts a 64-hex (SHA-256 repository) commit', () => {
    assert.equal(decodePush(Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: 'b'.repeat(64) })), undefined).after, 'b'.repeat(64));
  });
  it("decodes GitHub's form-encoded deliveries", () => {
    const body = `payload=${encodeURIComponent(JSON.stringify({ ref: 'refs/heads/main' }))}`;
    assert.equal(decodePush(Buffer.from(body), 'application/x-www-form-urlencoded').ref, 'refs/heads/main');
  });
  const bad: [string, string][] = [
    ['not JSON', '{"ref":'],
    ['no ref', JSON.stringify({ after: SHA })],
    ['ref not a string', JSON.stringify({ ref: 42 })],
    ['after not hex', JSON.stringify({ ref: 'refs/heads/main', after: 'zz' })],
    ['a JSON array', '[]'],
  ];
  for (const [what, body] of bad) {
    it(`refuses ${what} with REQUEST_INVALID`, () => {
      assert.throws(
        () => decodePush(Buffer.from(body), 'application/json'),
        (err: unknown) => isBerthError(err) && err.code === 'REQUEST_INVALID',
      );
    });
  }
});

describe('constant-time comparisons', () => {
  const body = Buffer.from('{"ref":"refs/heads/main"}');
  const hex = createHmac('sha256', 's3cret').update(body).digest('hex');
  it('accepts the HMAC of the exact bytes, in either hex case', () => {
    assert.equal(isValidHmacSha256('s3cret', body, hex), true);
    assert.equal(isValidHmacSha256('s3cret', body, hex.toUpperCase()), true);
  });
  it('refuses another key, other bytes, a truncated or malformed signature', () => {
    assert.equal(isValidHmacSha256('other', body, hex), false);
    assert.equal(isValidHmacSha256('s3cret', Buffer.from(body.toString() + ' '), hex), false);
    assert.equal(isValidHmacSha256('s3cret', body, hex.slice(0, 63)), false);
    assert.equal(isValidHmacSha256('s3cret', body, `${hex.slice(0, 62)}zz`), false);
    assert.equal(isValidHmacSha256('s3cret', body, ''), false);
  });
  it('compares tokens of any lengths', () => {
    assert.equal(tokensEqual('abc', 'abc'), true);
    assert.equal(tokensEqual('abc', 'abcd'), false);
    assert.equal(tokensEqual('', 'abc'), false);
  });
});

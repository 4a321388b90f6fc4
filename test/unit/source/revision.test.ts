import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRevision, parseRevision } from '../../../src/source/revision.js';

describe('parseRevision: a base and ~N/^N steps (gitrevisions(7))', () => {
  const ok: [string, string, string][] = [
    // text, base, steps as ~N/^N
    ['main', 'main', ''],
    ['HEAD~', 'HEAD', '~1'],
    ['HEAD~3', 'HEAD', '~3'],
    ['HEAD^', 'HEAD', '^1'],
    ['HEAD^^', 'HEAD', '^1^1'],
    ['main^2~1', 'main', '^2~1'],
    ['v1.0^0', 'v1.0', '^0'],
    ['@', 'HEAD', ''],
    ['@~2', 'HEAD', '~2'],
    ['origin/main~10', 'origin/main', '~10'],
    ['abc1234^2', 'abc1234', '^2'],
    ['refs/heads/x~0', 'refs/heads/x', '~0'],
  ];
  for (const [text, base, steps] of ok) {
    it(`${text} → ${base}${steps}`, () => {
      const r = parseRevision(text);
      assert.ok(!('error' in r), JSON.stringify(r));
      assert.equal(r.base, base);
      assert.equal(formatRevision('', r.steps), steps);
    });
  }

  const refused: [string, RegExp][] = [
    ['HEAD@{1}', /reflog/],
    ['@{u}', /reflog and upstream/],
    ['main^{tree}', /peeling/],
    ['main:README.md', /path/],
    ['a..b', /range/],
    ['a...b', /range/],
    ['HEAD^!', /several commits/],
    ['HEAD^@', /several commits/],
    ['HEAD^-', /several commits/],
    ['~1', /needs a revision before/],
    ['^', /needs a revision before/],
    ['HEAD~1x', /unexpected "x" after HEAD~1/],
    ['HEAD~100001', /too far/],
    ['HEAD~99999999999999999999', /too far/],
  ];
  for (const [text, why] of refused) {
    it(`${text} is refused`, () => {
      const r = parseRevision(text);
      assert.ok('error' in r, `${text} parsed as ${JSON.stringify(r)}`);
      assert.match(r.error, why);
    });
  }
});

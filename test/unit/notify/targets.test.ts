/** What each receiver is sent (src/notify/targets.ts): forge APIs, signatures, and no credential in a log line. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { commitStatusRequest, eventRequests, type NotifyConfig, redactedUrl } from '../../../src/notify/index.js';

const SHA = 'c'.repeat(40);
const base: NotifyConfig = { webhooks: [], slack: [], dashboardUrl: 'http://127.0.0.1:7070/' };

describe('commit status requests', () => {
  const cases = [
    {
      provider: 'github' as const,
      api: 'https://api.github.com',
      repo: 'acme/shop',
      url: `https://api.github.com/repos/acme/shop/statuses/${SHA}`,
      auth: ['authorization', 'Bearer tok'],
      state: 'failure',
    },
    {
      provider: 'gitea' as const,
      api: 'http://gitea.local:3000/',
      repo: 'acme/shop',
      url: `http://gitea.local:3000/api/v1/repos/acme/shop/statuses/${SHA}`,
      auth: ['authorization', 'token tok'],
      state: 'failure',
    },
    {
      provider: 'gitlab' as const,
      api: 'https://gitlab.com',
      repo: 'acme/shop',
      url: `https://gitlab.com/api/v4/projects/acme%2Fshop/statuses/${SHA}`,
      auth: ['private-token', 'tok'],
      state: 'failed',
    },
  ];
  for (const c of cases) {
    it(`${c.provider}: URL, auth header, state`, () => {
      const r = commitStatusRequest(
        { ...base, commitStatus: { provider: c.provider, api: c.api, repo: c.repo, token: 'tok' } },
        SHA,
        'failure',
        'x'.repeat(300),
      )!;
      assert.equal(r.url, c.url);
      assert.equal(r.headers[c.auth[0]!], c.auth[1]);
      const body = JSON.parse(r.body);
      assert.equal(body.state, c.state);
      assert.equal(body.target_url, 'http://127.0.0.1:7070/');
      assert.ok(body.description.length <= 140, 'GitHub caps descriptions at 140 characters');
      assert.doesNotMatch(r.target, /tok/);
    });
  }
  it('none configured: no request', () => assert.equal(commitStatusRequest(base, SHA, 'success', 'ok'), undefined));
});

describe('event requests', () => {
  const event = { kind: 'rolled-back' as const, namespace: 'shop', deployment: 'web', commit: SHA, message: 'web: revision r3 failed' };
  it('a signed berth webhook: the signature is the HMAC-SHA256 of the exact body', () => {
    const [r] = eventRequests({ ...base, webhooks: ['http://127.0.0.1:9/hook'], secret: 's3cret' }, event, { id: 'id-1', time: 't' });
    const expected = `sha256=${createHmac('sha256', 's3cret').update(r!.body).digest('hex')}`;
    assert.equal(r!.headers['x-berth-signature-256'], expected);
    assert.equal(r!.headers['x-berth-event'], 'rolled-back');
    assert.deepEqual(JSON.parse(r!.body), {
      id: 'id-1',
      time: 't',
      event: 'rolled-back',
      namespace: 'shop',
      commit: SHA,
      deployment: 'web',
      message: 'web: revision r3 failed',
      url: 'http://127.0.0.1:7070/',
    });
  });
  it('no secret: no signature header', () => {
    const [r] = eventRequests({ ...base, webhooks: ['http://127.0.0.1:9/hook'] }, event, { id: 'i', time: 't' });
    assert.equal(r!.headers['x-berth-signature-256'], undefined);
  });
  it('Slack/Mattermost: one text line naming what, where and the commit', () => {
    const [r] = eventRequests({ ...base, slack: ['https://hooks.slack.com/services/T0/B0/SECRETPATH'] }, event, { id: 'i', time: 't' });
    assert.deepEqual(Object.keys(JSON.parse(r!.body)), ['text']);
    assert.match(JSON.parse(r!.body).text, /^berth: shop\/web rolled back at cccccccccccc: /);
    assert.doesNotMatch(r!.target, /SECRETPATH/, 'the path of a Slack URL is its credential');
  });
  it('redactedUrl keeps scheme and host only', () => {
    assert.equal(redactedUrl('https://user:pw@hooks.example:8443/a/b?token=x'), 'https://hooks.example:8443/…');
    assert.equal(redactedUrl('not a url'), '(invalid URL)');
  });
});

/**
 * Webhooks over real HTTP (127.0.0.1, port 0) against a real FileStore. The ControlPort is a
 * recording implementation of berth's own port (not a Docker or Git mock): it counts syncs
 * and can hold them open, so coalescing is asserted on counts, never on timings.
 */
import { UnusedControl } from '../helpers/control-port.js';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { silentLogger, type Logger } from '../../src/core/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { FileStore } from '../../src/store/index.js';

const SECRET = 'hook-secret-7f3a9c1e5b2d4f60';
const GITLAB_TOKEN = 'gitlab-token-0d8e6b4a2c9f1e73';
const SHA = '1'.repeat(40);
const FETCHED = '2'.repeat(40);

class RecordingControl extends UnusedControl {
  calls = 0;
  inFlight = 0;
  maxInFlight = 0;
  watched: string | undefined = 'main';
  /** When set, syncs stay open until `finishOne()`. */
  hold = false;
  private readonly open: (() => void)[] = [];
  private readonly callWaiters: { n: number; resolve: () => void }[] = [];

  override syncNow(): Promise<{ commit?: string }> {
    this.calls++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    for (const w of this.callWaiters.filter((x) => this.calls >= x.n)) w.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.inFlight--;
        resolve({ commit: SHA });
      };
      if (this.hold) this.open.push(done);
      else done();
    });
  }
  override watchedRef(): string | undefined {
    return this.watched;
  }
  finishOne(): void {
    this.open.shift()?.();
  }
  finishAll(): void {
    while (this.open.length) this.finishOne();
  }
  /** Resolves once syncNow has been called `n` times (the test runner's timeout is the safety net). */
  untilCalls(n: number): Promise<void> {
    return this.calls >= n ? Promise.resolve() : new Promise((resolve) => this.callWaiters.push({ n, resolve }));
  }
  reset(): void {
    this.finishAll();
    this.calls = this.inFlight = this.maxInFlight = 0;
    this.hold = false;
    this.watched = 'main';
  }
}

type Provider = 'github' | 'gitea' | 'gitlab' | 'generic';
const PROVIDERS: Provider[] = ['github', 'gitea', 'gitlab', 'generic'];

const hmac = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

/** The headers each sender puts on a delivery; `auth: 'wrong' | 'none'` spoils the credential. */
function headersFor(p: Provider, body: string, o: { auth?: 'ok' | 'wrong' | 'none'; event?: string; tag?: boolean } = {}): Record<string, string> {
  const auth = o.auth ?? 'ok';
  const secret = auth === 'wrong' ? 'not-the-secret' : SECRET;
  const h: Record<string, string> = { 'content-type': 'application/json' };
  switch (p) {
    case 'github':
      h['x-github-event'] = o.event ?? 'push';
      h['x-github-delivery'] = randomUUID();
      if (auth !== 'none') h['x-hub-signature-256'] = `sha256=${hmac(secret, body)}`;
      break;
    case 'gitea':
      h['x-gitea-event'] = o.event ?? 'push';
      h['x-gitea-delivery'] = randomUUID();
      if (auth !== 'none') h['x-gitea-signature'] = hmac(secret, body);
      break;
    case 'gitlab':
      h['x-gitlab-event'] = o.event ?? (o.tag ? 'Tag Push Hook' : 'Push Hook');
      if (auth !== 'none') h['x-gitlab-token'] = auth === 'wrong' ? 'not-the-token' : GITLAB_TOKEN;
      break;
    case 'generic':
      if (auth !== 'none') h['x-berth-signature'] = `sha256=${hmac(secret, body)}`;
      break;
  }
  return h;
}

function pushBody(p: Provider, ref: string, after = SHA, defaultBranch = 'main'): string {
  if (p === 'generic') return JSON.stringify({ ref, after });
  const common = { ref, before: '0'.repeat(40), after, commits: [{ id: after, message: 'change' }] };
  return JSON.stringify(
    p === 'gitlab'
      ? { object_kind: 'push', ...common, project: { default_branch: defaultBranch } }
      : { ...common, repository: { full_name: 'ops/deploy', default_branch: defaultBranch } },
  );
}

/** Everything the server said, for the final "no secret anywhere" check. */
const responses: string[] = [];
const sentSignatures: string[] = [];

async function post(
  server: RunningServer,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; json: Record<string, unknown> }> {
  for (const [k, v] of Object.entries(headers)) if (/signature|token/.test(k)) sentSignatures.push(v.replace(/^sha256=/, ''));
  const res = await fetch(`${server.url}${path}`, { method: 'POST', body, headers });
  const text = await res.text();
  responses.push(text);
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function captureLogs(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (s: string) => void lines.push(s) }) as unknown as Logger;
  return { logger, text: () => lines.join('') };
}

describe('webhooks', { timeout: 60_000 }, () => {
  let dir: string;
  let store: FileStore;
  const control = new RecordingControl();
  const logs = captureLogs();
  let server: RunningServer;
  let unconfigured: RunningServer;
  let small: RunningServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-server-hooks-'));
    store = await FileStore.open(dir, silentLogger);
    await store.putSource({ description: 'test repo', commit: FETCHED, updatedAt: new Date().toISOString() });
    // hookMinIntervalMs 0: each test's push starts its sync at once. The interval between hook
    // syncs has its own tests (unit hook-trigger, e2e source-recovery).
    server = await startServer({
      control,
      store,
      logger: logs.logger,
      listen: { host: '127.0.0.1', port: 0 },
      webhookSecret: SECRET,
      gitlabToken: GITLAB_TOKEN,
      hookMinIntervalMs: 0,
    });
    unconfigured = await startServer({ control, store, logger: logs.logger, listen: { port: 0 }, webhookSecret: '', hookMinIntervalMs: 0 });
    small = await startServer({
      control,
      store,
      logger: logs.logger,
      listen: { port: 0 },
      webhookSecret: SECRET,
      gitlabToken: GITLAB_TOKEN,
      bodyLimitBytes: 2048,
      hookMinIntervalMs: 0,
    });
  });
  after(async () => {
    control.finishAll();
    await Promise.allSettled([server?.close(), unconfigured?.close(), small?.close()]);
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => control.reset());

  it('listens on 127.0.0.1 by default', () => assert.match(unconfigured.url, /^http:\/\/127\.0\.0\.1:\d+$/));

  for (const p of PROVIDERS) {
    describe(p, () => {
      const path = `/hooks/${p}`;

      it('a valid push for the watched branch → 202 accepted, one sync', async () => {
        const body = pushBody(p, 'refs/heads/main');
        const r = await post(server, path, body, headersFor(p, body));
        assert.equal(r.status, 202, JSON.stringify(r.json));
        assert.equal(r.json.accepted, true);
        assert.equal(control.calls, 1);
      });

      it('a wrong signature → 401, no sync', async () => {
        const body = pushBody(p, 'refs/heads/main');
        const r = await post(server, path, body, headersFor(p, body, { auth: 'wrong' }));
        assert.equal(r.status, 401);
        assert.deepEqual(Object.keys(r.json), ['error']);
        assert.equal((r.json.error as { code: string }).code, 'UNAUTHORIZED');
        assert.equal(control.calls, 0);
      });

      it('a missing signature header → 401, no sync', async () => {
        const body = pushBody(p, 'refs/heads/main');
        const r = await post(server, path, body, headersFor(p, body, { auth: 'none' }));
        assert.equal(r.status, 401);
        assert.match((r.json.error as { message: string }).message, /missing/);
        assert.equal(control.calls, 0);
      });

      it('no secret configured → 401 saying so', async () => {
        const body = pushBody(p, 'refs/heads/main');
        const r = await post(unconfigured, path, body, headersFor(p, body));
        assert.equal(r.status, 401);
        assert.match((r.json.error as { message: string }).message, /no webhook secret is configured/);
        assert.equal(control.calls, 0);
      });

      it('an oversized body → 413, no sync', async () => {
        const body = JSON.stringify({ ref: 'refs/heads/main', pad: 'x'.repeat(4096) });
        const r = await post(small, path, body, headersFor(p, body));
        assert.equal(r.status, 413);
        assert.equal((r.json.error as { code: string }).code, 'PAYLOAD_TOO_LARGE');
        assert.equal(control.calls, 0);
      });

      it('a validly signed body for another branch (e.g. replayed) → 202 ignored, no sync', async () => {
        const body = pushBody(p, 'refs/heads/feature');
        const headers = headersFor(p, body);
        for (let i = 0; i < 2; i++) {
          const r = await post(server, path, body, headers);
          assert.equal(r.status, 202);
          assert.equal(r.json.ignored, true);
          assert.match(String(r.json.reason), /refs\/heads\/feature/);
        }
        assert.equal(control.calls, 0);
      });

      it('a tag push → 202 ignored, no sync', async () => {
        const body = pushBody(p, 'refs/tags/v1.0.0');
        const r = await post(server, path, body, headersFor(p, body, { tag: true }));
        assert.equal(r.status, 202);
        assert.equal(r.json.ignored, true);
        assert.equal(control.calls, 0);
      });

      it('bad JSON with a valid signature → 400; without one → 401 (never a parse error first)', async () => {
        const body = '{"ref": "refs/heads/main",';
        const signed = await post(server, path, body, headersFor(p, body));
        assert.equal(signed.status, 400);
        assert.equal((signed.json.error as { code: string }).code, 'REQUEST_INVALID');
        const unsigned = await post(server, path, body, headersFor(p, body, { auth: 'wrong' }));
        assert.equal(unsigned.status, 401);
        assert.equal(control.calls, 0);
      });

      it('a validly signed body without a ref → 400', async () => {
        const body = JSON.stringify({ after: SHA });
        const r = await post(server, path, body, headersFor(p, body));
        assert.equal(r.status, 400);
        assert.match((r.json.error as { message: string }).message, /ref/);
        assert.equal(control.calls, 0);
      });
    });
  }

  it('GitHub ping → 200 pong, no sync', async () => {
    const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    const r = await post(server, '/hooks/github', body, headersFor('github', body, { event: 'ping' }));
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { pong: true });
    assert.equal(control.calls, 0);
  });

  it('a GitHub event that is not a push → 202 ignored', async () => {
    const body = JSON.stringify({ action: 'opened' });
    const r = await post(server, '/hooks/github', body, headersFor('github', body, { event: 'issues' }));
    assert.equal(r.status, 202);
    assert.equal(r.json.ignored, true);
    assert.equal(control.calls, 0);
  });

  it('a signed Gitea delivery without X-Gitea-Event → 400', async () => {
    const body = pushBody('gitea', 'refs/heads/main');
    const headers = headersFor('gitea', body);
    delete headers['x-gitea-event'];
    const r = await post(server, '/hooks/gitea', body, headers);
    assert.equal(r.status, 400);
    assert.equal(control.calls, 0);
  });

  it('GitHub form-encoded deliveries are verified over the raw bytes', async () => {
    const body = `payload=${encodeURIComponent(pushBody('github', 'refs/heads/main'))}`;
    const r = await post(server, '/hooks/github', body, { ...headersFor('github', body), 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(r.status, 202, JSON.stringify(r.json));
    assert.equal(control.calls, 1);
  });

  it('GitLab falls back on the webhook secret as its token', async () => {
    const s = await startServer({ control, store, logger: logs.logger, listen: { port: 0 }, webhookSecret: SECRET, hookMinIntervalMs: 0 });
    try {
      const body = pushBody('gitlab', 'refs/heads/main');
      const r = await post(s, '/hooks/gitlab', body, { ...headersFor('gitlab', body), 'x-gitlab-token': SECRET });
      assert.equal(r.status, 202);
      assert.equal(control.calls, 1);
    } finally {
      await s.close();
    }
  });

  it('following the remote HEAD: the default branch named in the payload is accepted, others ignored', async () => {
    control.watched = undefined;
    const onDefault = pushBody('github', 'refs/heads/trunk', SHA, 'trunk');
    assert.equal((await post(server, '/hooks/github', onDefault, headersFor('github', onDefault))).status, 202);
    assert.equal(control.calls, 1);
    const other = pushBody('gitlab', 'refs/heads/main', SHA, 'trunk');
    const r = await post(server, '/hooks/gitlab', other, headersFor('gitlab', other));
    assert.equal(r.json.ignored, true);
    assert.equal(control.calls, 1);
  });

  it('a push whose commit is already fetched → 202 ignored, no sync', async () => {
    const body = pushBody('generic', 'refs/heads/main', FETCHED);
    const r = await post(server, '/hooks/generic', body, headersFor('generic', body));
    assert.equal(r.status, 202);
    assert.equal(r.json.ignored, true);
    assert.equal(control.calls, 0);
  });

  it('a burst of 20 pushes → at most 2 syncs, never 2 at once', async () => {
    control.hold = true;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const body = pushBody('github', 'refs/heads/main', i.toString(16).padStart(40, 'a'));
        return post(server, '/hooks/github', body, headersFor('github', body));
      }),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      Array(20).fill(202),
    );
    assert.equal(results.filter((r) => r.json.coalesced === false).length, 1, 'one push started a sync; the rest coalesced');
    assert.equal(control.calls, 1);
    control.finishOne();
    await control.untilCalls(2); // the one follow-up sync for the coalesced pushes
    control.finishOne();
    // The trigger is idle again: the next push starts a sync (so no third was queued).
    const body = pushBody('github', 'refs/heads/main', 'f'.repeat(40));
    const next = await post(server, '/hooks/github', body, headersFor('github', body));
    assert.equal(next.json.coalesced, false);
    assert.equal(control.calls, 3);
    assert.equal(control.maxInFlight, 1, 'never two hook syncs in flight');
  });

  it('/metrics counts deliveries by provider and outcome', async () => {
    const res = await fetch(`${server.url}/metrics`);
    const text = await res.text();
    responses.push(text);
    for (const line of [
      'berth_webhook_deliveries_total{provider="github",outcome="accepted"}',
      'berth_webhook_deliveries_total{provider="gitlab",outcome="ignored"}',
      'berth_webhook_deliveries_total{provider="github",outcome="coalesced"} 19',
      'berth_webhook_syncs_total{result="ok"}',
    ]) {
      assert.ok(text.includes(line), `metrics lack: ${line}`);
    }
    assert.match(text, /berth_http_requests_total\{method="POST",route="\/hooks\/gitea",status="401"\} \d+/);
  });

  it('no secret, token or signature appears in any response or log line', () => {
    const logText = logs.text();
    assert.ok(logText.includes('push accepted'), 'the logs were captured');
    for (const secret of [SECRET, GITLAB_TOKEN, ...new Set(sentSignatures)]) {
      assert.equal(logText.includes(secret), false, `a secret or signature (${secret.slice(0, 6)}…) leaked into the logs`);
      assert.equal(
        responses.some((r) => r.includes(secret)),
        false,
        `a secret or signature (${secret.slice(0, 6)}…) leaked into a response`,
      );
    }
  });
});

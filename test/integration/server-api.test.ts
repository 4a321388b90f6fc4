/**
 * The JSON API over real HTTP (127.0.0.1, port 0), reading a real FileStore in a temp dir.
 * The ControlPort is a recording implementation of berth's own port: it records sync and
 * rollback requests and can be told to fail with a given error.
 */
import { UnusedControl } from '../helpers/control-port.js';
import type { PodStatus } from '../../src/observed/index.js';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { BerthError, silentLogger, type Logger } from '../../src/core/index.js';
import { startServer, type ControlPort, type RunningServer } from '../../src/server/index.js';
import { FileStore, type NamespaceStatus } from '../../src/store/index.js';

const TOKEN = 'api-token-5c1d9e7a3b8f2e40';
const GIT_PASSWORD = 'git-password-6a2b';
const COMMIT = 'c'.repeat(40);
const now = new Date('2030-01-01T00:00:00Z').toISOString();
const POD: PodStatus = {
  namespace: 'shop',
  deployment: 'web',
  name: 'web-abc1234567-0',
  container: 'shop.web.abc1234567.0',
  id: 'f'.repeat(64),
  revision: 'abc1234567',
  replica: 0,
  commit: COMMIT,
  image: 'busybox:1.36',
  status: 'Running',
  ready: false,
  reason: 'readiness probe failed: HTTP 503',
  restarts: 0,
  created: now,
};

type RollbackArgs = Parameters<ControlPort['rollback']>[0];
type ConfirmArgs = Parameters<ControlPort['confirmPrune']>[0];

class RecordingControl extends UnusedControl {
  syncs = 0;
  rollbacks: RollbackArgs[] = [];
  /** Thrown by the next sync or rollback, when set. */
  failWith: unknown;
  override async syncNow(): Promise<{ commit?: string }> {
    this.syncs++;
    if (this.failWith) throw this.failWith;
    return { commit: COMMIT };
  }
  override watchedRef(): string | undefined {
    return 'main';
  }
  override async rollback(args: RollbackArgs): Promise<{ pinnedTo: string }> {
    this.rollbacks.push(args);
    if (this.failWith) throw this.failWith;
    return { pinnedTo: `abc1234567@${args.toCommit ?? 'b'.repeat(40)}` };
  }
  podQueries: { namespace?: string }[] = [];
  override async pods(args: { namespace?: string }): Promise<readonly PodStatus[]> {
    this.podQueries.push(args);
    return [POD];
  }
  confirmations: ConfirmArgs[] = [];
  override async confirmPrune(args: ConfirmArgs): Promise<{ confirmed: string; reasons: readonly string[] }> {
    this.confirmations.push(args);
    if (this.failWith) throw this.failWith;
    return { confirmed: COMMIT, reasons: ['the commit removes namespace blog'] };
  }
}

function namespace(ns: string, deployments: string[]): NamespaceStatus {
  return {
    namespace: ns,
    lastAttemptedCommit: COMMIT,
    lastAppliedCommit: COMMIT,
    phase: 'Synced',
    conditions: [{ type: 'Synced', status: 'True', reason: 'Applied', message: 'all Deployments complete', lastTransitionTime: now }],
    deployments: deployments.map((name) => ({
      name,
      revision: 'abc1234567',
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
      phase: 'Complete' as const,
    })),
    diagnostics: [],
    updatedAt: now,
  };
}

const responses: string[] = [];

async function call(server: RunningServer, method: string, path: string, o: { token?: string; body?: unknown; rawBody?: string } = {}) {
  const headers: Record<string, string> = {};
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  let body: string | undefined;
  if (o.rawBody !== undefined || o.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = o.rawBody ?? JSON.stringify(o.body);
  }
  const res = await fetch(`${server.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  responses.push(text);
  return { status: res.status, headers: res.headers, json: JSON.parse(text) as Record<string, any> };
}

describe('HTTP API', { timeout: 60_000 }, () => {
  let dir: string;
  let store: FileStore;
  const control = new RecordingControl();
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (s: string) => void lines.push(s) }) as unknown as Logger;
  let server: RunningServer;
  let readOnly: RunningServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-server-api-'));
    store = await FileStore.open(dir, silentLogger);
    await store.putSource({
      description: `https://deploy:${GIT_PASSWORD}@git.example.com/ops/deploy.git (path clusters/prod)`,
      commit: COMMIT,
      updatedAt: now,
    });
    await store.putNamespace(namespace('shop', ['web', 'api']));
    await store.putNamespace(namespace('blog', ['frontend']));
    for (const [ns, i] of [
      ['shop', 1],
      ['blog', 2],
      ['shop', 3],
      ['blog', 4],
    ] as const) {
      await store.appendHistory({ time: now, namespace: ns, commit: String(i).repeat(40), outcome: 'applied', moves: i });
    }
    server = await startServer({ control, store, logger, listen: { host: '127.0.0.1', port: 0 }, apiToken: TOKEN, webhookSecret: 'another-secret-value-1234' });
    readOnly = await startServer({ control, store, logger, listen: { port: 0 } });
  });
  after(async () => {
    await Promise.allSettled([server?.close(), readOnly?.close()]);
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    control.syncs = 0;
    control.rollbacks = [];
    control.confirmations = [];
    control.podQueries = [];
    control.failWith = undefined;
  });

  describe('reads', () => {
    it('GET /healthz', async () => {
      const r = await call(server, 'GET', '/healthz');
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { ok: true });
    });

    it('GET /api/v1/pods asks the controller (readiness is its prober’s), for one namespace or all; a bad namespace is a 400', async () => {
      const all = await call(server, 'GET', '/api/v1/pods');
      assert.equal(all.status, 200);
      assert.deepEqual(all.json, { pods: [POD] });
      const one = await call(readOnly, 'GET', '/api/v1/pods?namespace=shop');
      assert.equal(one.status, 200);
      assert.deepEqual(control.podQueries, [{}, { namespace: 'shop' }]);
      for (const bad of ['/api/v1/pods?namespace=Shop_1', '/api/v1/pods?other=1']) {
        const r = await call(server, 'GET', bad);
        assert.equal(r.status, 400, bad);
      }
      assert.equal(control.podQueries.length, 2);
    });

    it('GET /api/v1/status: source and namespaces, the source URL without credentials', async () => {
      const r = await call(server, 'GET', '/api/v1/status');
      assert.equal(r.status, 200);
      assert.equal(r.json.source.commit, COMMIT);
      assert.equal(r.json.source.description, 'https://git.example.com/ops/deploy.git (path clusters/prod)');
      assert.deepEqual(Object.keys(r.json.namespaces).sort(), ['blog', 'shop']);
      assert.equal(r.json.namespaces.shop.lastAppliedCommit, COMMIT);
      assert.equal(r.json.namespaces.shop.conditions[0].type, 'Synced');
    });

    it('GET /api/v1/namespaces lists them by name', async () => {
      const r = await call(server, 'GET', '/api/v1/namespaces');
      assert.deepEqual(
        r.json.namespaces.map((n: NamespaceStatus) => n.namespace),
        ['blog', 'shop'],
      );
    });

    it('GET /api/v1/namespaces/:ns → the status, 404 when unknown, 400 when not a name', async () => {
      const ok = await call(server, 'GET', '/api/v1/namespaces/shop');
      assert.equal(ok.status, 200);
      assert.equal(ok.json.namespace, 'shop');
      assert.equal(ok.json.lastAttemptedCommit, COMMIT);
      const missing = await call(server, 'GET', '/api/v1/namespaces/nope');
      assert.equal(missing.status, 404);
      assert.equal(missing.json.error.code, 'NOT_FOUND');
      const bad = await call(server, 'GET', '/api/v1/namespaces/Not_A_Name');
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.code, 'REQUEST_INVALID');
    });

    it('names of Object.prototype members are names: a missing `constructor` is 404 (was 200 with an empty body, and 500 below it)', async () => {
      for (const path of [
        '/api/v1/namespaces/constructor',
        '/api/v1/namespaces/constructor/deployments/web',
        '/api/v1/namespaces/shop/deployments/constructor',
      ]) {
        const r = await call(server, 'GET', path);
        assert.equal(r.status, 404, `${path}: ${JSON.stringify(r.json)}`);
        assert.equal(r.json.error.code, 'NOT_FOUND');
      }
      for (const name of ['__proto__', 'toString', 'hasOwnProperty']) {
        const r = await call(server, 'GET', `/api/v1/namespaces/${name}`);
        assert.equal(r.status, 400, `${name} is not a DNS label`);
      }
      const history = await call(server, 'GET', '/api/v1/history?namespace=constructor');
      assert.deepEqual(history.json, { history: [] });
    });

    it('GET a Deployment: its status and its namespace history', async () => {
      const r = await call(server, 'GET', '/api/v1/namespaces/shop/deployments/web');
      assert.equal(r.status, 200);
      assert.equal(r.json.deployment.name, 'web');
      assert.equal(r.json.deployment.availableReplicas, 2);
      assert.equal(r.json.lastAppliedCommit, COMMIT);
      assert.deepEqual(
        r.json.history.map((h: { moves: number }) => h.moves),
        [1, 3],
      );
      assert.ok(
        r.json.history.every((h: { namespace: string }) => h.namespace === 'shop'),
        'only the namespace of the Deployment',
      );
      assert.deepEqual(r.json.revisions, []);
      const limited = await call(server, 'GET', '/api/v1/namespaces/shop/deployments/web?limit=1');
      assert.deepEqual(
        limited.json.history.map((h: { moves: number }) => h.moves),
        [3],
      );
      assert.equal((await call(server, 'GET', '/api/v1/namespaces/shop/deployments/nope')).status, 404);
      assert.equal((await call(server, 'GET', '/api/v1/namespaces/nope/deployments/web')).status, 404);
    });

    it('GET /api/v1/history with namespace and limit', async () => {
      const all = await call(server, 'GET', '/api/v1/history');
      assert.equal(all.json.history.length, 4);
      const blog = await call(server, 'GET', '/api/v1/history?namespace=blog&limit=1');
      assert.deepEqual(
        blog.json.history.map((h: { moves: number }) => h.moves),
        [4],
      );
      assert.equal((await call(server, 'GET', '/api/v1/history?limit=abc')).status, 400);
      assert.equal((await call(server, 'GET', '/api/v1/history?limit=0')).status, 400);
    });

    it('GET /metrics: store-derived gauges and request counters, in Prometheus text', async () => {
      await call(server, 'GET', '/api/v1/namespaces/shop');
      const res = await fetch(`${server.url}/metrics`);
      const text = await res.text();
      responses.push(text);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      for (const line of [
        'berth_namespace_phase{namespace="shop",phase="Synced"} 1',
        'berth_namespace_applied{namespace="blog"} 1',
        'berth_deployment_replicas{namespace="shop",deployment="web",state="available"} 2',
        'berth_source_fetch_failing 0',
      ]) {
        assert.ok(text.includes(line), `metrics lack: ${line}`);
      }
      assert.match(text, /berth_http_requests_total\{method="GET",route="\/api\/v1\/namespaces\/:ns",status="200"\} \d+/);
    });

    it('an unknown route → 404 in the error shape', async () => {
      const r = await call(server, 'GET', '/api/v1/nothing?token=x');
      assert.equal(r.status, 404);
      assert.deepEqual(r.json, { error: { code: 'NOT_FOUND', message: 'no route GET /api/v1/nothing' } });
    });
  });

  describe('POST /api/v1/sync', () => {
    it('without a token → 401 with a Bearer challenge; no sync', async () => {
      const r = await call(server, 'POST', '/api/v1/sync');
      assert.equal(r.status, 401);
      assert.equal(r.json.error.code, 'UNAUTHORIZED');
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.equal(control.syncs, 0);
    });

    it('with a wrong token → 401; no sync', async () => {
      const r = await call(server, 'POST', '/api/v1/sync', { token: `${TOKEN}x` });
      assert.equal(r.status, 401);
      assert.equal(r.json.error.message, 'invalid bearer token');
      assert.equal(control.syncs, 0);
    });

    it('with the token → 202 with the commit fetched', async () => {
      const r = await call(server, 'POST', '/api/v1/sync', { token: TOKEN });
      assert.equal(r.status, 202);
      assert.deepEqual(r.json, { accepted: true, commit: COMMIT });
      assert.equal(control.syncs, 1);
    });

    it('with no token configured → 403 saying mutations are disabled', async () => {
      const r = await call(readOnly, 'POST', '/api/v1/sync', { token: TOKEN });
      assert.equal(r.status, 403);
      assert.equal(r.json.error.code, 'FORBIDDEN');
      assert.match(r.json.error.message, /no API token is configured/);
      assert.equal(control.syncs, 0);
    });

    it('a transient failure → 503', async () => {
      control.failWith = new BerthError('SOURCE_UNREACHABLE', 'cannot fetch the repository');
      const r = await call(server, 'POST', '/api/v1/sync', { token: TOKEN });
      assert.equal(r.status, 503);
      assert.equal(r.json.error.code, 'SOURCE_UNREACHABLE');
    });
  });

  describe('POST …/rollback', () => {
    const path = '/api/v1/namespaces/shop/deployments/web/rollback';

    it('toCommit → 202 pinnedTo, passed on to the controller', async () => {
      const r = await call(server, 'POST', path, { token: TOKEN, body: { toCommit: 'abcd123' } });
      assert.equal(r.status, 202, JSON.stringify(r.json));
      assert.deepEqual(r.json, { pinnedTo: 'abc1234567@abcd123' });
      assert.deepEqual(control.rollbacks, [{ namespace: 'shop', name: 'web', toCommit: 'abcd123' }]);
    });

    it('toCommit as a revision expression (HEAD~1) is passed on for the controller to resolve in its source', async () => {
      const r = await call(server, 'POST', path, { token: TOKEN, body: { toCommit: 'HEAD~1' } });
      assert.equal(r.status, 202, JSON.stringify(r.json));
      assert.deepEqual(control.rollbacks, [{ namespace: 'shop', name: 'web', toCommit: 'HEAD~1' }]);
    });

    it('toRevision, an empty object, or no body at all (= the previous revision) → 202', async () => {
      assert.equal((await call(server, 'POST', path, { token: TOKEN, body: { toRevision: 'abc1234567' } })).status, 202);
      assert.equal((await call(server, 'POST', path, { token: TOKEN, body: {} })).status, 202);
      assert.equal((await call(server, 'POST', path, { token: TOKEN })).status, 202);
      assert.deepEqual(control.rollbacks, [
        { namespace: 'shop', name: 'web', toRevision: 'abc1234567' },
        { namespace: 'shop', name: 'web' },
        { namespace: 'shop', name: 'web' },
      ]);
    });

    const invalid: [string, unknown, RegExp][] = [
      ['both toCommit and toRevision', { toCommit: 'abcd123', toRevision: 'abc1234567' }, /either toCommit or toRevision, not both/],
      ['a commit with a space', { toCommit: 'main branch' }, /toCommit/],
      ['a peeling expression', { toCommit: 'HEAD^{tree}' }, /toCommit/],
      ['a path', { toCommit: 'HEAD:web.yaml' }, /toCommit/],
      ['an empty commit', { toCommit: '' }, /toCommit/],
      ['a number for a commit (no coercion)', { toCommit: 12345 }, /toCommit/],
      ['an unknown member (a typo must not mean "previous")', { tocommit: 'abcd123' }, /additional properties/],
      ['an array', [], /object/],
    ];
    for (const [what, body, message] of invalid) {
      it(`${what} → 400, nothing rolled back`, async () => {
        const r = await call(server, 'POST', path, { token: TOKEN, body });
        assert.equal(r.status, 400, JSON.stringify(r.json));
        assert.equal(r.json.error.code, 'REQUEST_INVALID');
        assert.match(r.json.error.message, message);
        assert.equal(control.rollbacks.length, 0);
      });
    }

    it('malformed JSON → 400', async () => {
      const r = await call(server, 'POST', path, { token: TOKEN, rawBody: '{"toCommit":' });
      assert.equal(r.status, 400);
      assert.equal(r.json.error.code, 'REQUEST_INVALID');
    });

    it('an invalid body without a token → 401 (authentication comes before validation)', async () => {
      const r = await call(server, 'POST', path, { body: { toCommit: 'main', toRevision: 'x' } });
      assert.equal(r.status, 401);
      assert.equal(control.rollbacks.length, 0);
    });

    it('an oversized body → 413', async () => {
      const r = await call(server, 'POST', path, { token: TOKEN, body: { toCommit: 'abcd123', pad: 'x'.repeat(70 * 1024) } });
      assert.equal(r.status, 413);
      assert.equal(r.json.error.code, 'PAYLOAD_TOO_LARGE');
    });

    const mapped: [string, unknown, number, string][] = [
      ['an unknown target', new BerthError('ROLLBACK_TARGET_NOT_FOUND', 'no revision abc1234567 in the history of shop/web'), 404, 'ROLLBACK_TARGET_NOT_FOUND'],
      ['a missing Deployment', new BerthError('NOT_FOUND', 'no Deployment shop/web'), 404, 'NOT_FOUND'],
      ['nothing to roll back to', new BerthError('CONFLICT', 'shop/web has no earlier revision'), 409, 'CONFLICT'],
      ['an invalid commit', new BerthError('MANIFEST_INVALID', 'shop is invalid at that commit'), 409, 'MANIFEST_INVALID'],
      ['a bad argument', new BerthError('USAGE', 'bad argument'), 400, 'USAGE'],
      ['an unreachable engine', new BerthError('ENGINE_UNREACHABLE', 'no engine'), 503, 'ENGINE_UNREACHABLE'],
      ['a bug', new TypeError(`cannot read properties of undefined (password ${GIT_PASSWORD})`), 500, 'INTERNAL'],
    ];
    for (const [what, err, status, code] of mapped) {
      it(`${what} → ${status} ${code}`, async () => {
        control.failWith = err;
        const r = await call(server, 'POST', path, { token: TOKEN, body: {} });
        assert.equal(r.status, status);
        assert.equal(r.json.error.code, code);
        if (err instanceof BerthError) assert.equal(r.json.error.message, err.message);
        else assert.equal(r.json.error.message, 'internal error (logged)', 'an unexpected error reports no details');
      });
    }
  });

  describe('POST /api/v1/prune/confirm', () => {
    const path = '/api/v1/prune/confirm';

    it('a commit prefix → 202 {confirmed, reasons}, passed on to the controller', async () => {
      const r = await call(server, 'POST', path, { token: TOKEN, body: { commit: 'ccccccc', by: 'ops@example' } });
      assert.equal(r.status, 202, JSON.stringify(r.json));
      assert.deepEqual(r.json, { confirmed: COMMIT, reasons: ['the commit removes namespace blog'] });
      assert.deepEqual(control.confirmations, [{ commit: 'ccccccc', by: 'ops@example' }]);
    });

    it('needs the bearer token: none → 401, a wrong one → 401, none configured → 403', async () => {
      assert.equal((await call(server, 'POST', path, { body: { commit: COMMIT } })).status, 401);
      const wrong = await call(server, 'POST', path, { token: 'not-the-token', body: { commit: COMMIT } });
      assert.deepEqual([wrong.status, wrong.json.error.code], [401, 'UNAUTHORIZED']);
      assert.equal((await call(readOnly, 'POST', path, { token: TOKEN, body: { commit: COMMIT } })).status, 403);
      assert.equal(control.confirmations.length, 0, 'nothing confirmed');
    });

    const invalid: [string, unknown, RegExp][] = [
      ['no body member commit', {}, /commit/],
      ['a commit with a space', { commit: 'main branch' }, /commit/],
      ['a path', { commit: 'HEAD:x' }, /commit/],
      ['an unknown member', { commit: COMMIT, force: true }, /additional properties/],
      ['a by with spaces', { commit: COMMIT, by: 'a b' }, /by/],
    ];
    for (const [what, body, message] of invalid) {
      it(`${what} → 400, nothing confirmed`, async () => {
        const r = await call(server, 'POST', path, { token: TOKEN, body });
        assert.equal(r.status, 400, JSON.stringify(r.json));
        assert.match(r.json.error.message, message);
        assert.equal(control.confirmations.length, 0, 'nothing confirmed');
      });
    }

    it('a commit that is not the one held → 409 CONFLICT', async () => {
      control.failWith = new BerthError('CONFLICT', 'commit ddddddd is not the commit berth is at');
      const r = await call(server, 'POST', path, { token: TOKEN, body: { commit: 'ddddddd' } });
      assert.deepEqual([r.status, r.json.error.code, r.json.error.message], [409, 'CONFLICT', 'commit ddddddd is not the commit berth is at']);
    });
  });

  it('neither the API token, the webhook secret nor the Git password appears in a response or a log line', () => {
    const logText = lines.join('');
    assert.ok(logText.includes('rollback requested through the API'), 'the logs were captured');
    for (const secret of [TOKEN, 'another-secret-value-1234']) {
      assert.equal(logText.includes(secret), false, `${secret.slice(0, 6)}… leaked into the logs`);
    }
    for (const secret of [TOKEN, 'another-secret-value-1234', GIT_PASSWORD]) {
      assert.equal(
        responses.some((r) => r.includes(secret)),
        false,
        `${secret.slice(0, 6)}… leaked into a response`,
      );
    }
  });
});

/**
 * The dashboard's HTTP side over real HTTP (127.0.0.1, port 0) with a real FileStore in a temp
 * dir and a ControlPort that serves fixed pods: the page and its CSP (the inline import map is
 * allowed by its hash, nothing else inline), the modules from node_modules, and the live view —
 * the first event at once, a store change pushed without asking, the engine's absence survived,
 * and closing the server ends open streams instead of waiting for them forever.
 */
import { UnusedControl } from '../helpers/control-port.js';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/core/index.js';
import type { PodStatus } from '../../src/observed/index.js';
import type { DashboardView } from '../../src/server/dashboard-view.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { MAX_STREAMS } from '../../src/server/dashboard.js';
import { eventually } from '../helpers/eventually.js';
import { FileStore, type NamespaceStatus } from '../../src/store/index.js';

const COMMIT = 'c'.repeat(40);
const NOW = '2030-01-01T00:00:00.000Z';

const pod: PodStatus = {
  namespace: 'shop',
  deployment: 'web',
  name: 'web-abc1234567-0',
  container: 'i.shop.web.abc1234567.0',
  id: 'f'.repeat(64),
  revision: 'abc1234567',
  replica: 0,
  commit: COMMIT,
  image: 'busybox:1.36',
  status: 'Running',
  ready: true,
  restarts: 0,
  created: NOW,
};

class FixedPods extends UnusedControl {
  engineAway = false;
  override async syncNow() {
    return { commit: COMMIT };
  }
  override watchedRef() {
    return 'main';
  }
  override async rollback() {
    return { pinnedTo: `abc1234567@${COMMIT}` };
  }
  override async confirmPrune() {
    return { confirmed: COMMIT, reasons: [] };
  }
  /** The container ids whose logs were asked for. */
  logIds: string[] = [];
  override async replicaLogs(o: { id: string }, write: (stream: 'stdout' | 'stderr', text: string) => void): Promise<void> {
    this.logIds.push(o.id);
    write('stdout', `log of ${o.id}\n`);
  }
  override async pods(): Promise<readonly PodStatus[]> {
    if (this.engineAway) throw new Error('connect ENOENT /var/run/docker.sock');
    return [pod, podOfThree];
  }
}

/** A Pod of several containers: its infra container is the replica; logs are its containers'. */
const podOfThree: PodStatus = {
  ...pod,
  name: 'api-abc1234567-0',
  deployment: 'api',
  container: 'i.shop.api.abc1234567.0',
  id: 'e'.repeat(64),
  containers: [
    { name: 'proxy', id: 'id-proxy', state: 'running', ready: true, sidecar: true },
    { name: 'api', id: 'id-api', state: 'running', ready: true },
    { name: 'log', id: 'id-log', state: 'running', ready: true },
  ],
};

function namespace(ns: string, phase: NamespaceStatus['phase'] = 'Synced'): NamespaceStatus {
  return {
    namespace: ns,
    lastAppliedCommit: COMMIT,
    phase,
    conditions: [],
    deployments: [{ name: 'web', revision: 'abc1234567', replicas: 1, updatedReplicas: 1, availableReplicas: 1, phase: 'Complete' }],
    diagnostics: [],
    updatedAt: NOW,
  };
}

/** The `event: view` payloads of an SSE stream, as they arrive. */
function viewReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(): Promise<DashboardView | 'ended'> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (block.includes('event: view') && data) return JSON.parse(data.slice('data: '.length)) as DashboardView;
          continue; // retry: and keep-alive comments
        }
        const { value, done } = await reader.read();
        if (done) return 'ended';
        buffer += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

describe('dashboard over HTTP', { timeout: 60_000 }, () => {
  let dir: string;
  let store: FileStore;
  const control = new FixedPods();
  let server: RunningServer | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-server-dashboard-'));
    store = await FileStore.open(dir, silentLogger);
    await store.putSource({ description: 'https://user:pw@git.example.com/x.git', commit: COMMIT, updatedAt: NOW });
    await store.putNamespace(namespace('shop'));
    server = await startServer({ control, store, logger: silentLogger, listen: { port: 0 }, apiToken: 'dashboard-test-token-0123456789' });
  });

  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('GET / is the page; its CSP allows scripts from berth and the inline import map by its hash only', async () => {
    const r = await fetch(`${server!.url}/`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
    const html = await r.text();
    const map = /<script type="importmap">([^<]*)<\/script>/.exec(html)?.[1];
    assert.ok(map, 'an import map');
    const hash = createHash('sha256').update(map).digest('base64');
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.match(csp, new RegExp(`script-src 'self' 'sha256-${hash.replace(/[+/]/g, '\\$&')}';`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    for (const path of Object.values((JSON.parse(map) as { imports: Record<string, string> }).imports)) {
      const m = await fetch(server!.url + path);
      assert.equal(m.status, 200, path);
      assert.match(m.headers.get('content-type') ?? '', /^text\/javascript/);
      assert.ok((await m.text()).length > 500, `${path} is the library`);
    }
  });

  it("a Pod's log: its first app container by default, ?container= picks one, an unknown one is named with the Pod's containers", async () => {
    const logs = (query = '') =>
      fetch(`${server!.url}/api/v1/namespaces/shop/replicas/${podOfThree.container}/logs${query}`, {
        headers: { authorization: 'Bearer dashboard-test-token-0123456789' },
      });
    const first = await logs();
    assert.equal(first.status, 200);
    assert.match(await first.text(), /log of id-api/);
    assert.match(await (await logs('?container=proxy')).text(), /log of id-proxy/);
    const unknown = await logs('?container=nope');
    assert.equal(unknown.status, 404);
    assert.match(await unknown.text(), /has no container nope; its containers: proxy, api, log/);
    assert.deepEqual(control.logIds, ['id-api', 'id-proxy']);
  });

  it('the live view: the state at once, a store change pushed, the engine’s absence survived; close() ends the stream', async () => {
    const r = await fetch(`${server!.url}/api/v1/events`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/);
    const views = viewReader(r.body!);
    const first = await views.next();
    assert.notEqual(first, 'ended');
    const v1 = first as DashboardView;
    assert.deepEqual(
      v1.namespaces.map((n) => n.name),
      ['shop'],
    );
    assert.deepEqual(
      v1.namespaces[0]!.deployments[0]!.revisions[0]!.replicas.map((p) => p.container),
      ['i.shop.web.abc1234567.0'],
    );
    assert.ok(!JSON.stringify(v1).includes('pw@'), 'no credentials of the source');

    control.engineAway = true;
    await store.putNamespace(namespace('blog', 'Progressing'));
    const v2 = (await views.next()) as DashboardView;
    assert.deepEqual(
      v2.namespaces.map((n) => [n.name, n.sync]),
      [
        ['blog', 'Progressing'],
        ['shop', 'Synced'],
      ],
    );
    assert.equal(v2.namespaces[1]!.deployments[0]!.revisions[0]!.replicas.length, 1, 'the last pods seen, while the engine is away');

    // Pages that leave (one at once, one after its first view) cost nothing and break nothing.
    const gone = new AbortController();
    await fetch(`${server!.url}/api/v1/events`, { signal: gone.signal }).then(() => gone.abort());
    const left = viewReader((await fetch(`${server!.url}/api/v1/events`)).body!);
    assert.notEqual(await left.next(), 'ended');
    await left.cancel();
    await store.putNamespace(namespace('blog', 'Synced'));
    const v3 = (await views.next()) as DashboardView;
    assert.equal(v3.namespaces[0]!.sync, 'Synced', 'the page that stayed still gets the news');
    assert.equal((await fetch(`${server!.url}/healthz`)).status, 200);

    const closing = server!.close();
    assert.equal(await views.next(), 'ended', 'the stream ends with the server');
    await closing;
    server = undefined;
  });
});

describe('dashboard streams are capped', { timeout: 60_000 }, () => {
  it(`the stream after ${MAX_STREAMS} answers 503 TOO_MANY_STREAMS; one that closes frees a place`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-server-dashboard-cap-'));
    let server: RunningServer | undefined;
    const open: ReturnType<typeof viewReader>[] = [];
    try {
      const store = await FileStore.open(dir, silentLogger);
      await store.putNamespace(namespace('shop'));
      server = await startServer({ control: new FixedPods(), store, logger: silentLogger, listen: { port: 0 } });
      for (let i = 0; i < MAX_STREAMS; i++) {
        const views = viewReader((await fetch(`${server.url}/api/v1/events`)).body!);
        assert.notEqual(await views.next(), 'ended');
        open.push(views);
      }
      const refused = await fetch(`${server.url}/api/v1/events`);
      assert.equal(refused.status, 503);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'TOO_MANY_STREAMS');
      await open.pop()!.cancel();
      const url = server.url;
      await eventually(async () => {
        const again = await fetch(`${url}/api/v1/events`);
        assert.equal(again.status, 200, 'a place is free again');
        open.push(viewReader(again.body!));
      });
    } finally {
      for (const v of open) await v.cancel();
      await server?.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

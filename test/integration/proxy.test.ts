/**
 * The data plane over real sockets: backends are plain Node HTTP (or TCP) servers on
 * 127.0.0.1 ephemeral ports, clients are real HTTP requests, one new connection each. No
 * Docker, no mocks. Every test closes what it started (t.after).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { lstat, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { checkIngressListen } from '../../src/cli/listen-check.js';
import { isBerthError, silentLogger } from '../../src/core/index.js';
import {
  DataPlaneClient,
  ensureProxyRunning,
  ProxyServer,
  runProxyProcess,
  startControlServer,
  type Backend,
  type DataPlane,
  type IngressRoute,
  type NamespaceTable,
  type ServiceRoute,
} from '../../src/proxy/index.js';
import { eventually } from '../helpers/eventually.js';
import { recordingLogger } from '../helpers/recording-logger.js';

// ---------------------------------------------------------------------------------------------
// Backends, clients, tables

interface Answer {
  readonly id: string;
  readonly path: string;
  readonly host?: string;
  readonly xff?: string;
  readonly xfh?: string;
  readonly xfp?: string;
}

interface TestBackend {
  readonly id: string;
  readonly backend: Backend;
  /** Graceful: stops accepting, waits for open requests. */
  close(): Promise<void>;
}

/**
 * An HTTP backend answering its id as JSON. `/slow?ms=N` answers after N ms; `/hang` never
 * answers.
 */
async function startBackend(t: TestContext, id: string): Promise<TestBackend> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://backend');
    if (url.pathname === '/hang') return;
    const answer: Answer = {
      id,
      path: `${url.pathname}${url.search}`,
      host: req.headers.host,
      xff: req.headers['x-forwarded-for'] as string | undefined,
      xfh: req.headers['x-forwarded-host'] as string | undefined,
      xfp: req.headers['x-forwarded-proto'] as string | undefined,
    };
    setTimeout(
      () => {
        const body = JSON.stringify(answer);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      },
      Number(url.searchParams.get('ms') ?? 0),
    );
  });
  const port = await listen(server);
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= new Promise<void>((resolve) => server.close(() => resolve())));
  t.after(() => {
    server.closeAllConnections();
    return close();
  });
  return { id, backend: { id, host: '127.0.0.1', port }, close };
}

function startBackends<const Ids extends readonly string[]>(t: TestContext, ids: Ids): Promise<{ -readonly [K in keyof Ids]: TestBackend }> {
  return Promise.all(ids.map((id) => startBackend(t, id))) as Promise<{ -readonly [K in keyof Ids]: TestBackend }>;
}

/** A TCP backend that accepts and closes at once, like Docker's userland proxy with no listener behind it. */
async function startHangUpBackend(t: TestContext, id: string): Promise<TestBackend> {
  const server = net.createServer((socket) => socket.destroy());
  const port = await listen(server);
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  t.after(close);
  return { id, backend: { id, host: '127.0.0.1', port }, close };
}

async function listen(server: net.Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

/** A port nothing listens on (bound once, then released). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise((r) => server.close(r));
  return port;
}

function deadBackend(id: string, port: number): Backend {
  return { id, host: '127.0.0.1', port };
}

/** One GET on a new connection (`Connection: close`). */
function get(port: number, path = '/', host?: string): Promise<{ status: number; text: string; answer?: Answer }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close', ...(host ? { host } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let answer: Answer | undefined;
        try {
          answer = JSON.parse(text) as Answer;
        } catch {
          answer = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, ...(answer ? { answer } : {}) });
      });
    });
    req.on('error', reject);
  });
}

function service(name: string, listenPort: number, backends: readonly (TestBackend | Backend)[], port = 80): ServiceRoute {
  return {
    name,
    ports: [{ name: 'http', port, listen: { host: '127.0.0.1', port: listenPort }, backends: backends.map((b) => ('backend' in b ? b.backend : b)) }],
  };
}

function table(namespace: string, services: ServiceRoute[], ingresses: IngressRoute[] = []): NamespaceTable {
  return { namespace, services, ingresses };
}

async function startProxy(t: TestContext, o: { statePath?: string; ingress?: boolean } = {}): Promise<ProxyServer> {
  const proxy = new ProxyServer({
    logger: silentLogger,
    ...(o.statePath ? { statePath: o.statePath } : {}),
    ...(o.ingress ? { ingressListen: { host: '127.0.0.1', port: 0 } } : {}),
  });
  await proxy.start();
  t.after(() => proxy.close());
  return proxy;
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-proxy-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function tally(ids: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of ids) counts[id] = (counts[id] ?? 0) + 1;
  return counts;
}

// ---------------------------------------------------------------------------------------------

describe('L4 (Service ports)', { timeout: 60_000 }, () => {
  it('balances new connections round-robin across the ready backends', async (t) => {
    const backends = await startBackends(t, ['a', 'b', 'c'] as const);
    const listenPort = await freePort();
    const proxy = await startProxy(t);
    const statuses = await proxy.putNamespace(table('shop', [service('web', listenPort, backends)]));
    assert.deepEqual(statuses, [{ namespace: 'shop', service: 'web', port: 80, scope: 'host', listen: { host: '127.0.0.1', port: listenPort } }]);

    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await get(listenPort)).answer?.id ?? 'none');
    assert.deepEqual(tally(ids), { a: 10, b: 10, c: 10 });
  });

  it('skips a backend that refuses or hangs up, without failing a client request', async (t) => {
    const a = await startBackend(t, 'a');
    const c = await startBackend(t, 'c');
    const hangUp = await startHangUpBackend(t, 'hang-up');
    const listenPort = await freePort();
    const proxy = await startProxy(t);
    await proxy.putNamespace(table('shop', [service('web', listenPort, [a.backend, deadBackend('dead', await freePort()), hangUp.backend, c.backend])]));

    const answers = await Promise.all(Array.from({ length: 24 }, () => get(listenPort)));
    assert.deepEqual(
      answers.filter((r) => r.status !== 200),
      [],
    );
    const counts = tally(answers.map((r) => r.answer?.id ?? 'none'));
    assert.deepEqual(Object.keys(counts).sort(), ['a', 'c']);
    assert.equal(counts.a! + counts.c!, 24);
  });

  it('relays both ways with half-close (client FIN, then the backend answers)', async (t) => {
    // An echo server that answers only once the client has finished sending.
    const echo = net.createServer({ allowHalfOpen: true }, (socket) => {
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => socket.end(Buffer.concat(chunks).toString('utf8').toUpperCase()));
    });
    const port = await listen(echo);
    t.after(() => new Promise((r) => echo.close(r)));
    const listenPort = await freePort();
    const proxy = await startProxy(t);
    await proxy.putNamespace(table('tcp', [service('echo', listenPort, [{ id: 'echo', host: '127.0.0.1', port }])]));

    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: listenPort, allowHalfOpen: true });
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => {
        resolve(Buffer.concat(chunks).toString('utf8'));
        socket.end();
      });
      socket.on('error', reject);
      socket.write('hello, ');
      socket.end('world');
    });
    assert.equal(reply, 'HELLO, WORLD');
    await eventually(async () => assert.deepEqual((await proxy.status()).active, {}), { timeoutMs: 5_000, what: 'connections counted down' });
  });

  it('a table update that removes a backend sends no new connection there', async (t) => {
    const [a, b] = await Promise.all([startBackend(t, 'a'), startBackend(t, 'b')]);
    const listenPort = await freePort();
    const proxy = await startProxy(t);
    await proxy.putNamespace(table('shop', [service('web', listenPort, [a, b])]));
    assert.deepEqual(Object.keys(tally(await Promise.all([get(listenPort), get(listenPort)]).then((r) => r.map((x) => x.answer?.id ?? 'none')))).sort(), [
      'a',
      'b',
    ]);

    await proxy.putNamespace(table('shop', [service('web', listenPort, [b])]));
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await get(listenPort)).answer?.id ?? 'none');
    assert.deepEqual(tally(ids), { b: 10 });
  });

  it('a table update leaves established connections alone', async (t) => {
    const [a, b] = await Promise.all([startBackend(t, 'a'), startBackend(t, 'b')]);
    const listenPort = await freePort();
    const proxy = await startProxy(t);
    await proxy.putNamespace(table('shop', [service('web', listenPort, [a])]));
    const slow = get(listenPort, '/slow?ms=300');
    await eventually(async () => assert.equal((await proxy.status()).active.a, 1), { timeoutMs: 5_000, intervalMs: 20, what: 'request in flight' });
    await proxy.putNamespace(table('shop', [service('web', listenPort, [b])]));
    const answer = await slow;
    assert.equal(answer.answer?.id, 'a');
    assert.equal((await get(listenPort)).answer?.id, 'b');
  });

  it('drain waits for an in-flight request to complete; the client gets the whole response', async (t) => {
    const [a, b] = await Promise.all([startBackend(t, 'a'), startBackend(t, 'b')]);
    const listenPort = await freePort();
    const proxy = await startProxy(t);
    await proxy.putNamespace(table('shop', [service('web', listenPort, [a, b])]));
    const slow = get(listenPort, '/slow?ms=300'); // round-robin: the first goes to a
    await eventually(async () => assert.equal((await proxy.status()).active.a, 1), { timeoutMs: 5_000, intervalMs: 20, what: 'request in flight on a' });

    const drained = proxy.drain(['a'], 10_000);
    // While a drains, and although the table still lists it, new connections go to b.
    for (let i = 0; i < 4; i++) assert.equal((await get(listenPort)).answer?.id, 'b');
    assert.deepEqual(await drained, { remaining: 0 });
    const answer = await slow;
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.answer, { id: 'a', path: '/slow?ms=300', host: `127.0.0.1:${listenPort}` });
    const status = await proxy.status();
    assert.deepEqual(status.draining, ['a']);
    assert.equal(status.active.a, undefined);
  });

  it('drain returns what is still open when its timeout passes', async (t) => {
    const a = await startBackend(t, 'a');
    const listenPort = await freePort();
    const proxy = await startProxy(t);
    await proxy.putNamespace(table('shop', [service('web', listenPort, [a])]));
    const hanging = get(listenPort, '/hang').catch(() => 'closed');
    await eventually(async () => assert.equal((await proxy.status()).active.a, 1), { timeoutMs: 5_000, intervalMs: 20, what: 'request in flight on a' });
    assert.deepEqual(await proxy.drain(['a'], 150), { remaining: 1 });
    await proxy.close();
    assert.equal(await hanging, 'closed');
  });

  it('reports a listener that cannot bind instead of throwing, and binds it on a later put', async (t) => {
    const blocker = net.createServer();
    const port = await listen(blocker);
    const a = await startBackend(t, 'a');
    const proxy = await startProxy(t);
    const web = table('shop', [service('web', port, [a])]);

    const [status] = await proxy.putNamespace(web);
    assert.match(status?.error ?? '', /EADDRINUSE/);
    assert.match((await proxy.status()).listeners[0]?.error ?? '', /EADDRINUSE/);

    await new Promise((r) => blocker.close(r));
    const [retried] = await proxy.putNamespace(web);
    assert.equal(retried?.error, undefined);
    assert.equal((await get(port)).answer?.id, 'a');
  });

  it('two Services claiming one address: the holder keeps it, the other reports the conflict', async (t) => {
    const [a, b] = await Promise.all([startBackend(t, 'a'), startBackend(t, 'b')]);
    const listenPort = await freePort();
    const proxy = await startProxy(t);
    await proxy.putNamespace(table('zeta', [service('first', listenPort, [a])]));
    const [conflict] = await proxy.putNamespace(table('alpha', [service('second', listenPort, [b])]));
    assert.match(conflict?.error ?? '', /claimed by zeta\/first:80/);
    assert.equal((await get(listenPort)).answer?.id, 'a');

    await proxy.removeNamespace('zeta');
    const status = await proxy.status();
    assert.deepEqual(
      status.listeners.map((l) => [l.namespace, l.error]),
      [['alpha', undefined]],
    );
    assert.equal((await get(listenPort)).answer?.id, 'b');
  });

  it('moves a listener whose address changes and closes one no table lists', async (t) => {
    const a = await startBackend(t, 'a');
    const [first, second] = [await freePort(), await freePort()];
    const proxy = await startProxy(t);
    await proxy.putNamespace(table('shop', [service('web', first, [a])]));
    assert.equal((await get(first)).answer?.id, 'a');
    await proxy.putNamespace(table('shop', [service('web', second, [a])]));
    assert.equal((await get(second)).answer?.id, 'a');
    await assert.rejects(get(first), /ECONNREFUSED/);
    await proxy.removeNamespace('shop');
    await assert.rejects(get(second), /ECONNREFUSED/);
  });
});

describe('L7 (Ingress)', { timeout: 60_000 }, () => {
  it('routes by host and path: Exact vs Prefix, wildcard host, default backend, 404, 503', async (t) => {
    const [front, api, apiExact, wild, fallback] = await startBackends(t, ['front', 'api', 'api-exact', 'wild', 'fallback'] as const);
    const proxy = await startProxy(t, { ingress: true });
    const lp = () => freePort();
    const services = [
      service('front', await lp(), [front]),
      service('api', await lp(), [api]),
      service('api-exact', await lp(), [apiExact], 8080),
      service('wild', await lp(), [wild]),
      service('fallback', await lp(), [fallback]),
      service('empty', await lp(), []),
    ];
    const ingress: IngressRoute = {
      name: 'web',
      rules: [
        {
          host: 'shop.example.com',
          paths: [
            { path: '/', pathType: 'Prefix', service: 'front', port: 'http' },
            { path: '/api', pathType: 'Prefix', service: 'api', port: 80 },
            { path: '/api', pathType: 'Exact', service: 'api-exact', port: 8080 },
            { path: '/down', pathType: 'Prefix', service: 'empty', port: 80 },
            { path: '/missing', pathType: 'Prefix', service: 'no-such-service', port: 80 },
          ],
        },
        { host: '*.example.com', paths: [{ path: '/', pathType: 'Prefix', service: 'wild', port: 80 }] },
      ],
      defaultBackend: { service: 'fallback', port: 'http' },
    };
    await proxy.putNamespace(table('shop', services, [ingress]));
    const port = proxy.ingressAddress()?.port ?? 0;
    assert.ok(port > 0, 'the ingress server is bound');

    const cases: [string, string, number, string | undefined][] = [
      ['shop.example.com', '/', 200, 'front'],
      ['SHOP.example.com:8080', '/cart?x=1', 200, 'front'],
      ['shop.example.com', '/api', 200, 'api-exact'],
      ['shop.example.com', '/api/', 200, 'api'],
      ['shop.example.com', '/api/users', 200, 'api'],
      ['shop.example.com', '/apix', 200, 'front'],
      ['blog.example.com', '/anything', 200, 'wild'],
      ['a.b.example.com', '/x', 200, 'fallback'],
      ['shop.example.com', '/down/x', 503, undefined],
      ['shop.example.com', '/missing', 503, undefined],
    ];
    for (const [host, path, status, id] of cases) {
      const r = await get(port, path, host);
      assert.equal(r.status, status, `${host}${path}: ${r.text}`);
      assert.equal(r.answer?.id, id, `${host}${path}`);
    }

    // Without a default backend and with no matching rule: 404.
    await proxy.putNamespace(table('shop', services, [{ ...ingress, defaultBackend: undefined }]));
    const notFound = await get(port, '/x', 'a.b.example.com');
    assert.equal(notFound.status, 404);
    assert.match(notFound.text, /no Ingress rule/);
  });

  it('forwards method, path and query, keeps Host, sets X-Forwarded-*', async (t) => {
    const a = await startBackend(t, 'a');
    const proxy = await startProxy(t, { ingress: true });
    await proxy.putNamespace(
      table(
        'shop',
        [service('web', await freePort(), [a])],
        [{ name: 'all', rules: [{ paths: [{ path: '/', pathType: 'Prefix', service: 'web', port: 80 }] }] }],
      ),
    );
    const port = proxy.ingressAddress()?.port ?? 0;
    const r = await get(port, '/p/q?x=1&y=2', 'Shop.Example.com:9999');
    assert.deepEqual(r.answer, { id: 'a', path: '/p/q?x=1&y=2', host: 'Shop.Example.com:9999', xff: '127.0.0.1', xfh: 'Shop.Example.com:9999', xfp: 'http' });

    // A POST body arrives whole.
    const echoed = await new Promise<string>((resolve, reject) => {
      const echo = http.createServer((req, res) => req.pipe(res));
      void listen(echo).then((echoPort) => {
        t.after(() => new Promise((r) => echo.close(r)));
        void proxy
          .putNamespace(
            table(
              'shop',
              [service('web', 0, [{ id: 'echo', host: '127.0.0.1', port: echoPort }])],
              [{ name: 'all', rules: [{ paths: [{ path: '/', pathType: 'Prefix', service: 'web', port: 80 }] }] }],
            ),
          )
          .then(() => {
            const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/echo', agent: false }, (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
            });
            req.on('error', reject);
            req.write('x'.repeat(100_000));
            req.end('!');
          }, reject);
      }, reject);
    });
    assert.equal(echoed, `${'x'.repeat(100_000)}!`);
  });

  it('retries another backend when one refuses or hangs up; drain applies to requests', async (t) => {
    const [a, b] = await Promise.all([startBackend(t, 'a'), startBackend(t, 'b')]);
    const hangUp = await startHangUpBackend(t, 'hang-up');
    const proxy = await startProxy(t, { ingress: true });
    const ingress: IngressRoute = { name: 'all', rules: [{ paths: [{ path: '/', pathType: 'Prefix', service: 'web', port: 80 }] }] };
    await proxy.putNamespace(table('shop', [service('web', await freePort(), [deadBackend('dead', await freePort()), a, hangUp.backend, b])], [ingress]));
    const port = proxy.ingressAddress()?.port ?? 0;
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(port, '/')));
    assert.deepEqual(
      answers.filter((r) => r.status !== 200).map((r) => r.text),
      [],
    );
    assert.deepEqual(Object.keys(tally(answers.map((r) => r.answer?.id ?? 'none'))).sort(), ['a', 'b']);

    const slow = get(port, '/slow?ms=300');
    await eventually(
      async () =>
        assert.equal(
          Object.values((await proxy.status()).active).reduce((x, y) => x + y, 0),
          1,
        ),
      { timeoutMs: 5_000, intervalMs: 20, what: 'one request in flight' },
    );
    const busy = Object.keys((await proxy.status()).active);
    assert.deepEqual(await proxy.drain(busy, 10_000), { remaining: 0 });
    assert.equal((await slow).status, 200);
    const other = busy[0] === 'a' ? 'b' : 'a';
    for (let i = 0; i < 4; i++) assert.equal((await get(port, '/')).answer?.id, other);
  });

  it('reports an Ingress server that cannot bind, and binds it on a later put', async (t) => {
    const blocker = net.createServer();
    const port = await listen(blocker);
    const a = await startBackend(t, 'a');
    const proxy = new ProxyServer({ logger: silentLogger, ingressListen: { host: '127.0.0.1', port } });
    await proxy.start();
    t.after(() => proxy.close());
    assert.match((await proxy.status()).ingress?.error ?? '', /EADDRINUSE/);

    await new Promise((r) => blocker.close(r));
    await proxy.putNamespace(
      table('shop', [service('web', await freePort(), [a])], [{ name: 'all', rules: [], defaultBackend: { service: 'web', port: 80 } }]),
    );
    assert.deepEqual((await proxy.status()).ingress, { host: '127.0.0.1', port });
    assert.equal((await get(port, '/')).answer?.id, 'a');
  });

  it("berth run's start check: the running data plane's bind error stops it while the port is taken, not once the port is free", async (t) => {
    const blocker = net.createServer();
    const port = await listen(blocker);
    const at = { host: '127.0.0.1', port };
    const a = await startBackend(t, 'a');
    const proxy = new ProxyServer({ logger: silentLogger, ingressListen: at });
    await proxy.start();
    t.after(() => proxy.close());
    const reported = await proxy.status();
    assert.match(reported.ingress?.error ?? '', /EADDRINUSE/);
    const refused = (err: unknown) =>
      isBerthError(err) &&
      err.code === 'LISTEN_FAILED' &&
      err.message === `--ingress-listen: the running data plane (pid ${reported.pid}) cannot serve 127.0.0.1:${port}: ${reported.ingress?.error}`;
    // The data plane as berth finds it at start, answering with that status (its last attempt).
    const answering = (...answers: (() => Promise<Awaited<ReturnType<DataPlane['status']>>>)[]): DataPlane => {
      let call = 0;
      return { ...proxy, status: () => answers[Math.min(call++, answers.length - 1)]!() } as DataPlane;
    };

    // Still taken by another process: berth stops, with the data plane's error.
    await assert.rejects(checkIngressListen(proxy, at), refused);
    await assert.rejects(
      checkIngressListen(
        answering(async () => reported),
        at,
      ),
      refused,
    );
    // Free now, the same error reported: berth starts; its first table push binds the address.
    await new Promise((r) => blocker.close(r));
    await checkIngressListen(
      answering(async () => reported),
      at,
    );
    await proxy.putNamespace(
      table('shop', [service('web', await freePort(), [a])], [{ name: 'all', rules: [], defaultBackend: { service: 'web', port: 80 } }]),
    );
    assert.equal((await get(port, '/')).answer?.id, 'a');
    // Reported, then bound by the data plane's own retry before berth looked: asked again, it serves.
    await checkIngressListen(
      answering(
        async () => reported,
        () => proxy.status(),
      ),
      at,
    );
    // Another address than the running data plane serves: a usage error, whatever it reports.
    await assert.rejects(
      checkIngressListen(
        answering(async () => reported),
        { host: '127.0.0.1', port: port === 65_535 ? port - 1 : port + 1 },
      ),
      (err: unknown) => isBerthError(err) && err.code === 'USAGE',
    );
  });
});

describe('persistence', { timeout: 60_000 }, () => {
  it('a new proxy on the same state file serves the same routes (and keeps drained ids out)', async (t) => {
    const dir = await tempDir(t);
    const statePath = join(dir, 'proxy-state.json');
    const [a, b] = await Promise.all([startBackend(t, 'a'), startBackend(t, 'b')]);
    const listenPort = await freePort();
    const first = new ProxyServer({ logger: silentLogger, statePath });
    await first.start();
    await first.putNamespace(table('shop', [service('web', listenPort, [a, b])]));
    await first.drain(['a'], 1_000);
    await first.close();
    await assert.rejects(get(listenPort), /ECONNREFUSED/);

    const second = await startProxy(t, { statePath });
    const status = await second.status();
    assert.deepEqual(
      status.namespaces.map((n) => n.namespace),
      ['shop'],
    );
    assert.deepEqual(status.draining, ['a']);
    for (let i = 0; i < 3; i++) assert.equal((await get(listenPort)).answer?.id, 'b');
  });

  it('starts empty from an unreadable state file', async (t) => {
    const dir = await tempDir(t);
    const statePath = join(dir, 'proxy-state.json');
    await writeFile(statePath, '{ torn');
    const proxy = await startProxy(t, { statePath });
    assert.deepEqual((await proxy.status()).namespaces, []);
  });
});

describe('control socket', { timeout: 60_000 }, () => {
  it('serves the DataPlane port over a unix socket: put, status, drain, remove', async (t) => {
    const dir = await tempDir(t);
    const socketPath = join(dir, 'proxy.sock');
    const a = await startBackend(t, 'a');
    const proxy = await startProxy(t);
    const control = await startControlServer({ dataPlane: proxy, socketPath, logger: silentLogger });
    t.after(() => control.close());
    const client = new DataPlaneClient({ socketPath });

    const listenPort = await freePort();
    const statuses = await client.putNamespace(table('shop', [service('web', listenPort, [a])]));
    assert.deepEqual(statuses, [{ namespace: 'shop', service: 'web', port: 80, scope: 'host', listen: { host: '127.0.0.1', port: listenPort } }]);
    assert.equal((await get(listenPort)).answer?.id, 'a');

    const status = await client.status();
    assert.equal(status.pid, process.pid);
    assert.deepEqual(
      status.namespaces.map((n) => n.namespace),
      ['shop'],
    );
    assert.deepEqual(await client.drain(['a'], 1_000), { remaining: 0 });
    assert.deepEqual((await client.status()).draining, ['a']);
    await client.removeNamespace('shop');
    assert.deepEqual((await client.status()).namespaces, []);

    // A table the proxy cannot use is refused with a message, not applied.
    await assert.rejects(
      client.putNamespace({ namespace: 'shop', services: [{ name: 'web', ports: [{ port: 80 }] }], ingresses: [] } as unknown as NamespaceTable),
      (err) => {
        assert.ok(isBerthError(err), 'a BerthError');
        assert.equal(err.code, 'INTERNAL');
        assert.match(err.message, /400.*services\[0\]\.ports\[0\]\.backends/);
        return true;
      },
    );
  });

  it('an absent proxy is DATA_PLANE_UNREACHABLE', async (t) => {
    const dir = await tempDir(t);
    const client = new DataPlaneClient({ socketPath: join(dir, 'nobody.sock') });
    await assert.rejects(client.status(), (err) => {
      assert.ok(isBerthError(err), 'a BerthError');
      assert.equal(err.code, 'DATA_PLANE_UNREACHABLE');
      assert.equal(err.handling, 'transient');
      return true;
    });
  });

  /** A client whose start hook serves an in-process proxy on a fresh socket, counting the starts. */
  const startingClient = async (t: TestContext) => {
    const dir = await tempDir(t);
    const socketPath = join(dir, 'proxy.sock');
    const a = await startBackend(t, 'a');
    const proxy = await startProxy(t);
    let starts = 0;
    const client = new DataPlaneClient({
      socketPath,
      start: async () => {
        starts++;
        const control = await startControlServer({ dataPlane: proxy, socketPath, logger: silentLogger });
        t.after(() => control.close());
      },
    });
    return { client, a, starts: () => starts };
  };

  it('with a start hook, the client starts a missing proxy on put only', async (t) => {
    const { client, a, starts } = await startingClient(t);
    assert.deepEqual(await client.drain(['x'], 1_000), { remaining: 0 });
    await client.removeNamespace('shop');
    await assert.rejects(client.status(), /DATA_PLANE_UNREACHABLE|did not answer/);
    assert.equal(starts(), 0);

    const listenPort = await freePort();
    const [status] = await client.putNamespace(table('shop', [service('web', listenPort, [a])]));
    assert.equal(status?.error, undefined);
    assert.equal(starts(), 1);
    assert.equal((await get(listenPort)).answer?.id, 'a');
  });

  it('puts of several namespaces that find the proxy gone at once start it once', async (t) => {
    const { client, a, starts } = await startingClient(t);
    const ports = [await freePort(), await freePort(), await freePort()];
    const statuses = await Promise.all(['one', 'two', 'three'].map((ns, i) => client.putNamespace(table(ns, [service('web', ports[i]!, [a])]))));
    assert.equal(starts(), 1);
    assert.deepEqual(
      statuses.map(([s]) => s?.error),
      [undefined, undefined, undefined],
    );
    for (const port of ports) assert.equal((await get(port)).answer?.id, 'a');
  });

  it('two proxy processes started at once on one socket: one serves, the other stops (STATE_LOCKED) before it binds anything', async (t) => {
    const dir = await tempDir(t);
    const socketPath = join(dir, 'proxy.sock');
    const at = { host: '127.0.0.1', port: await freePort() };
    const options = { socketPath, statePath: join(dir, 'state.json'), ingressListen: at, logger: silentLogger, shutdownGraceMs: 0 };
    const results = await Promise.allSettled([runProxyProcess(options), runProxyProcess(options)]);
    for (const r of results) if (r.status === 'fulfilled') t.after(() => r.value.close());
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    assert.equal(lost.length, 1, `exactly one lost: ${lost.map(String).join('; ')}`);
    assert.ok(isBerthError(lost[0]) && lost[0].code === 'STATE_LOCKED', String(lost[0]));
    // The loser never held the Ingress address: the winner bound it at its first attempt.
    assert.deepEqual((await new DataPlaneClient({ socketPath }).status()).ingress, at);
  });

  it('a second proxy process on a socket another one answers: it stops (STATE_LOCKED) before it loads the tables or binds anything', async (t) => {
    const dir = await tempDir(t);
    const socketPath = join(dir, 'proxy.sock');
    const statePath = join(dir, 'state.json');
    const at = { host: '127.0.0.1', port: await freePort() };
    const first = await runProxyProcess({ socketPath, statePath, ingressListen: at, logger: silentLogger, shutdownGraceMs: 0 });
    t.after(() => first.close());
    const { logger: recording, records } = recordingLogger();
    const said = () => records.map((r) => r.msg ?? '');
    const elsewhere = { host: '127.0.0.1', port: await freePort() };
    await assert.rejects(
      runProxyProcess({ socketPath, statePath, ingressListen: elsewhere, logger: recording, shutdownGraceMs: 0 }),
      (err: unknown) => isBerthError(err) && err.code === 'STATE_LOCKED',
    );
    assert.deepEqual(
      said().filter((m) => /bound|state|kernel|listener/i.test(m)),
      [],
      'nothing loaded or bound by the second proxy',
    );
    assert.deepEqual((await new DataPlaneClient({ socketPath }).status()).ingress, at);
  });

  it('a control server whose socket file another proxy replaced learns it (lost), and leaves that file alone on close', async (t) => {
    const dir = await tempDir(t);
    const socketPath = join(dir, 'proxy.sock');
    const proxy = await startProxy(t);
    const first = await startControlServer({ dataPlane: proxy, socketPath, logger: silentLogger, watchMs: 50 });
    t.after(() => first.close());
    // What a second proxy does that found the same file stale at the same moment: remove it, bind its own.
    await unlink(socketPath);
    const second = await startControlServer({ dataPlane: proxy, socketPath, logger: silentLogger, watchMs: 50 });
    t.after(() => second.close());
    await first.lost;
    await first.close();
    assert.ok((await lstat(socketPath)).isSocket(), 'the second proxy’s socket file is still there');
    assert.equal((await new DataPlaneClient({ socketPath }).status()).pid, process.pid);
  });

  it('replaces a stale socket file, refuses to take over a live one', async (t) => {
    const dir = await tempDir(t);
    const socketPath = join(dir, 'proxy.sock');
    // A process that dies without removing its socket file leaves a stale one behind.
    const child = spawn(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => console.log('up'))", socketPath], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const proxy = await startProxy(t);
    const control = await startControlServer({ dataPlane: proxy, socketPath, logger: silentLogger });
    t.after(() => control.close());
    assert.equal((await new DataPlaneClient({ socketPath }).status()).pid, process.pid);
    await assert.rejects(startControlServer({ dataPlane: proxy, socketPath, logger: silentLogger }), /another proxy already answers/);
  });

  it('ensureProxyRunning starts a detached proxy process once, then finds it answering', async (t) => {
    const dir = await tempDir(t);
    const socketPath = join(dir, 'proxy.sock');
    const script = join(dir, 'proxy-main.mts'); // .mts: ESM outside the package
    const proxyModule = new URL('../../src/proxy/index.ts', import.meta.url).href;
    const coreModule = new URL('../../src/core/index.ts', import.meta.url).href;
    await writeFile(
      script,
      [
        `import { runProxyProcess } from ${JSON.stringify(proxyModule)};`,
        `import { silentLogger } from ${JSON.stringify(coreModule)};`,
        `const running = await runProxyProcess({ socketPath: ${JSON.stringify(socketPath)}, statePath: ${JSON.stringify(join(dir, 'state.json'))}, logger: silentLogger, shutdownGraceMs: 0 });`,
        `process.once('SIGTERM', () => void running.close().then(() => process.exit(0)));`,
      ].join('\n'),
    );
    const { NODE_TEST_CONTEXT: _, ...env } = process.env; // the spawned proxy is not a test
    const options = { socketPath, spawnArgs: ['--import', 'tsx', script], logFile: join(dir, 'proxy.log'), timeoutMs: 30_000, env };
    const started = await ensureProxyRunning(options);
    assert.equal(started.started, true);
    assert.ok(started.pid, 'the spawned pid is reported');
    const pid = started.pid;
    t.after(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    });
    const status = await new DataPlaneClient({ socketPath }).status();
    assert.equal(status.pid, pid);
    assert.deepEqual(await ensureProxyRunning(options), { started: false });

    process.kill(pid, 'SIGTERM');
    await eventually(() => assert.throws(() => process.kill(pid, 0), 'the proxy process has exited'), {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: 'proxy exits on SIGTERM',
    });
  });
});

describe('zero failed requests while backends are swapped like a rollout', { timeout: 120_000 }, () => {
  it('20 request loops, each request a new connection, through 4 swaps', async (t) => {
    const listenPort = await freePort();
    const proxy = await startProxy(t);
    let generation = 0;
    let current = await Promise.all([startBackend(t, 'g0-a'), startBackend(t, 'g0-b')]);
    await proxy.putNamespace(table('shop', [service('web', listenPort, current)]));

    let stop = false;
    const failures: string[] = [];
    /** Requests answered, by backend id. */
    const served = new Map<string, number>();
    const servedBy = (g: number): number => (served.get(`g${g}-a`) ?? 0) + (served.get(`g${g}-b`) ?? 0);
    // Traffic, not time, paces the swaps: each generation serves its share before the next one.
    const trafficThrough = (g: number) =>
      eventually(() => assert.ok(servedBy(g) >= 40, `generation ${g} served ${servedBy(g)} of 40 requests`), {
        timeoutMs: 60_000,
        intervalMs: 20,
        what: `generation ${g} serving`,
      });
    const loops = Array.from({ length: 20 }, async (_, loop) => {
      for (let i = 0; !stop; i++) {
        const ms = 50 + ((loop * 37 + i * 53) % 151); // 50–200 ms, mixed
        try {
          const r = await get(listenPort, `/slow?ms=${ms}`);
          if (r.status === 200 && r.answer?.path === `/slow?ms=${ms}`) served.set(r.answer.id, (served.get(r.answer.id) ?? 0) + 1);
          else failures.push(`status ${r.status}: ${r.text.slice(0, 80)}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    });

    try {
      for (let swap = 0; swap < 4; swap++) {
        await trafficThrough(generation);
        generation++;
        const next = await Promise.all([startBackend(t, `g${generation}-a`), startBackend(t, `g${generation}-b`)]);
        // The rollout: new replicas ready → listed with the old; old drained; old removed; old stopped.
        await proxy.putNamespace(table('shop', [service('web', listenPort, [...current, ...next])]));
        const { remaining } = await proxy.drain(
          current.map((b) => b.id),
          10_000,
        );
        assert.equal(remaining, 0);
        await proxy.putNamespace(table('shop', [service('web', listenPort, next)]));
        await Promise.all(current.map((b) => b.close()));
        current = next;
      }
      await trafficThrough(generation);
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    assert.deepEqual(failures, []);
    t.diagnostic(`${[...served.values()].reduce((a, b) => a + b, 0)} requests answered, 0 failed`);
  });
});

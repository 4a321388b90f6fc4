/**
 * Probes against the real world: a busybox httpd replica run through the docker driver
 * (published port on 127.0.0.1, exec inside), local Node servers for the HTTP corner cases
 * busybox cannot play (redirects, HTTPS, a server that never answers), and the Prober end to
 * end. Every Docker test owns a dockerScope whose cleanup is registered first.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test, type TestContext } from 'node:test';
import { BerthError, silentLogger } from '../../src/core/index.js';
import type { ProbeAction, ProbeSpec } from '../../src/desired/index.js';
import { Prober, runProbe, type ProbeChange, type ProbeDeps } from '../../src/health/index.js';
import { LABEL, type OwnedContainer, type PublishedPort, type RuntimeDriver } from '../../src/runtime/index.js';
import { dockerClient, dockerScope, TEST_IMAGE, type DockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';

const HTTPD = 'mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www';
const noExec: ProbeDeps = { exec: () => Promise.reject(new Error('no exec here')) };
/** The probe timeout where the peer answers (or refuses at once): far above its answer time on a loaded machine. The timeout cases use short ones. */
const ANSWER_MS = 5_000;

function scoped(t: TestContext, label: string): { scope: DockerScope; driver: RuntimeDriver } {
  const scope = dockerScope(label);
  t.after(() => scope.cleanup());
  return { scope, driver: scope.driver() };
}

/** A busybox httpd replica serving /www on 8080, with 9090 published but nothing listening on it. */
async function runWebReplica(scope: DockerScope, driver: RuntimeDriver, replica = 0): Promise<OwnedContainer> {
  const network = scope.name('net-web');
  await driver.ensureNetwork({ name: network, labels: scope.labels({ [LABEL.namespace]: 'web' }) });
  await driver.ensureImage(TEST_IMAGE);
  return driver.runContainer({
    name: scope.name(`web.abc123.${replica}`),
    image: TEST_IMAGE,
    command: ['sh', '-c', HTTPD],
    env: [],
    ports: [
      { containerPort: 8080, protocol: 'tcp' },
      { containerPort: 9090, protocol: 'tcp' },
    ],
    labels: scope.labels({
      [LABEL.namespace]: 'web',
      [LABEL.kind]: 'Deployment',
      [LABEL.name]: 'web',
      [LABEL.revision]: 'abc123',
      [LABEL.commit]: '0123456789abcdef',
      [LABEL.replica]: String(replica),
    }),
    network,
    networkAliases: ['web'],
    stopGraceSeconds: 2,
  });
}

function httpGet(path: string, port = 8080, extra: Partial<Extract<ProbeAction, { kind: 'httpGet' }>> = {}): ProbeAction {
  return { kind: 'httpGet', path, port, scheme: 'HTTP', headers: [], ...extra };
}

function probe(action: ProbeAction, overrides: Partial<ProbeSpec> = {}): ProbeSpec {
  return { action, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 2, ...overrides };
}

async function rejectsWithCode(promise: Promise<unknown>, code: BerthError['code'], message?: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof BerthError, `expected BerthError ${code}, got ${caught === undefined ? 'success' : String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
}

async function listen(t: TestContext, server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

/** A PublishedPort for a local server: as if container port `containerPort` were published on it. */
function local(port: number, containerPort = 80): PublishedPort[] {
  return [{ containerPort, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: port }];
}

/** A host port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('runProbe against a running replica: httpGet, tcpSocket and exec, success and failure', async (t) => {
  const { scope, driver } = scoped(t, 'probe');
  const web = await runWebReplica(scope, driver);
  const target = { containerId: web.id, ports: web.ports };
  const deps: ProbeDeps = { exec: (id, command, timeoutMs) => driver.exec(id, command, timeoutMs) };
  await eventually(async () => assert.ok((await runProbe(httpGet('/'), target, ANSWER_MS, deps)).ok, 'httpd answers'), { what: 'httpd up' });

  const ok = await runProbe(httpGet('/'), target, ANSWER_MS, deps);
  assert.ok(ok.ok, ok.message);
  assert.match(ok.message, /HTTP 200/);

  const missing = await runProbe(httpGet('/missing'), target, ANSWER_MS, deps);
  assert.equal(missing.ok, false, missing.message);
  assert.match(missing.message, /404/);

  const tcp = await runProbe({ kind: 'tcpSocket', port: 8080 }, target, ANSWER_MS, deps);
  assert.ok(tcp.ok, tcp.message);

  // 9090 is published, so the engine's proxy accepts the connection — and drops it at once.
  const closed = await runProbe({ kind: 'tcpSocket', port: 9090 }, target, ANSWER_MS, deps);
  assert.equal(closed.ok, false, closed.message);
  const closedHttp = await runProbe(httpGet('/', 9090), target, ANSWER_MS, deps);
  assert.equal(closedHttp.ok, false, closedHttp.message);

  const unpublished = await runProbe({ kind: 'tcpSocket', port: 7070 }, target, ANSWER_MS, deps);
  assert.equal(unpublished.ok, false, unpublished.message);
  assert.match(unpublished.message, /7070\/tcp is not published/);
  const unpublishedHttp = await runProbe(httpGet('/', 7070), target, ANSWER_MS, deps);
  assert.match(unpublishedHttp.message, /not published/);

  const exit0 = await runProbe({ kind: 'exec', command: ['sh', '-c', 'exit 0'] }, target, ANSWER_MS, deps);
  assert.ok(exit0.ok, exit0.message);
  const exit3 = await runProbe({ kind: 'exec', command: ['sh', '-c', 'exit 3'] }, target, ANSWER_MS, deps);
  assert.equal(exit3.ok, false, exit3.message);
  assert.match(exit3.message, /exit code 3/);
  const slow = await runProbe({ kind: 'exec', command: ['sleep', '5'] }, target, 500, deps);
  assert.equal(slow.ok, false, slow.message);
  assert.match(slow.message, /timed out after 500 ms/);
  const noSuchBinary = await runProbe({ kind: 'exec', command: ['/no/such/binary'] }, target, ANSWER_MS, deps);
  assert.equal(noSuchBinary.ok, false, noSuchBinary.message);
});

test('driver.exec: exit codes, output drained, timeout → exitCode -1; refuses unowned, missing and stopped containers', async (t) => {
  const { scope, driver } = scoped(t, 'exec');
  const web = await runWebReplica(scope, driver);

  assert.deepEqual(await driver.exec(web.id, ['sh', '-c', 'exit 0'], 5000), { exitCode: 0 });
  assert.deepEqual(await driver.exec(web.id, ['sh', '-c', 'exit 42'], 5000), { exitCode: 42 });
  // Plenty of output on both streams must neither block nor break the exit code.
  assert.deepEqual(await driver.exec(web.id, ['sh', '-c', 'i=0; while [ $i -lt 2000 ]; do echo line $i; echo err $i >&2; i=$((i+1)); done; exit 7'], 10_000), {
    exitCode: 7,
  });
  assert.deepEqual(await driver.exec(web.id, ['sleep', '5'], 300), { exitCode: -1, timedOut: true });
  // By name too, like the other methods.
  assert.deepEqual(await driver.exec(web.name, ['true'], 5000), { exitCode: 0 });

  const foreign = await scope.runUnownedContainer({ labels: { [LABEL.managed]: 'true', [LABEL.instance]: 'someone-else' } });
  await rejectsWithCode(driver.exec(foreign.id, ['true'], 1000), 'ENGINE_CONFLICT', /not owned/);
  await rejectsWithCode(driver.exec('berth-no-such-container', ['true'], 1000), 'ENGINE_CONFLICT', /does not exist/);

  await driver.stopContainer(web.id, 0);
  await rejectsWithCode(driver.exec(web.id, ['true'], 1000), 'ENGINE_CONFLICT', /not running/);
});

test('driver.stopContainer: stops and keeps an owned container (exited in inventory); idempotent; refuses unowned', async (t) => {
  const { scope, driver } = scoped(t, 'stop');
  const web = await runWebReplica(scope, driver);
  await driver.stopContainer(web.id, 5);
  const [after] = (await driver.inventory()).containers;
  assert.ok(after, 'the container is kept');
  assert.equal(after.id, web.id);
  assert.equal(after.state, 'exited');
  assert.equal(typeof after.exitCode, 'number', 'an exit code is reported');

  await driver.stopContainer(web.id, 5); // already stopped
  await driver.stopContainer('berth-no-such-container', 5); // missing

  const foreign = await scope.runUnownedContainer({ labels: { [LABEL.managed]: 'true', [LABEL.instance]: 'someone-else' } });
  await rejectsWithCode(driver.stopContainer(foreign.id, 0), 'ENGINE_CONFLICT', /not owned/);
  assert.equal((await dockerClient().getContainer(foreign.id).inspect()).State.Running, true, 'the unowned container still runs');
});

test('httpGet corner cases against local servers: 3xx not followed, headers and Host, timeout, endless body, HTTPS unverified', async (t) => {
  const seen: IncomingHttpHeaders[] = [];
  const handler: RequestListener = (req, res) => {
    seen.push(req.headers);
    if (req.url === '/redirect') {
      res.writeHead(302, { Location: '/missing' }).end();
    } else if (req.url === '/error') {
      res.writeHead(500).end('boom');
    } else if (req.url === '/hang') {
      // never answers
    } else if (req.url === '/stream') {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const timer = setInterval(() => res.write(chunk), 5);
      res.on('close', () => clearInterval(timer));
    } else {
      res.writeHead(200).end('ok');
    }
  };
  const port = await listen(t, createHttpServer(handler));
  const target = { containerId: 'local', ports: local(port) };

  const redirect = await runProbe(httpGet('/redirect', 80), target, ANSWER_MS, noExec);
  assert.ok(redirect.ok, `a 302 is a success and is not followed: ${redirect.message}`);
  assert.equal(seen.length, 1, 'one request: the redirect was not followed');

  const error = await runProbe(httpGet('/error', 80), target, ANSWER_MS, noExec);
  assert.equal(error.ok, false, error.message);
  assert.match(error.message, /500/);

  seen.length = 0;
  const withHeaders = await runProbe(
    httpGet('healthz', 80, {
      headers: [
        { name: 'host', value: 'example.test' },
        { name: 'X-Probe', value: 'yes' },
      ],
    }),
    target,
    ANSWER_MS,
    noExec,
  );
  assert.ok(withHeaders.ok, withHeaders.message);
  assert.equal(seen[0]?.host, 'example.test', 'the probe Host header replaces the default');
  assert.equal(seen[0]?.['x-probe'], 'yes');
  seen.length = 0;
  await runProbe(httpGet('/', 80), target, ANSWER_MS, noExec);
  assert.equal(seen[0]?.host, `127.0.0.1:${port}`, 'default Host');
  assert.match(String(seen[0]?.['user-agent']), /^berth-probe\//);

  const hang = await runProbe(httpGet('/hang', 80), target, 300, noExec);
  assert.equal(hang.ok, false, hang.message);
  assert.match(hang.message, /timed out after 300 ms/);

  const stream = await runProbe(httpGet('/stream', 80), target, ANSWER_MS, noExec);
  assert.ok(stream.ok, `an endless body does not turn a 200 into a timeout: ${stream.message}`);

  const refused = await runProbe(httpGet('/', 80), { containerId: 'local', ports: local(await closedPort()) }, ANSWER_MS, noExec);
  assert.equal(refused.ok, false, refused.message);
  assert.match(refused.message, /refused/);

  // HTTPS with a self-signed certificate: Kubernetes does not verify, neither does berth.
  const dir = await mkdtemp(join(tmpdir(), 'berth-probe-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=probe.test',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
  ]);
  const tls = createHttpsServer({ key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) }, handler);
  const tlsPort = await listen(t, tls);
  const https = await runProbe(httpGet('/', 443, { scheme: 'HTTPS' }), { containerId: 'local', ports: local(tlsPort, 443) }, ANSWER_MS, noExec);
  assert.ok(https.ok, https.message);
});

test('tcpSocket against local servers: listening → ok, refused → failure, a peer that sends a banner and closes → ok', async (t) => {
  const open = createTcpServer(() => {});
  t.after(() => open.close());
  const banner = createTcpServer((socket) => socket.end('220 hello\r\n'));
  t.after(() => banner.close());
  const listenTcp = (s: ReturnType<typeof createTcpServer>): Promise<number> =>
    new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
  const openPort = await listenTcp(open);
  const bannerPort = await listenTcp(banner);
  // Connections the servers keep open must not keep them from closing at the end.
  open.on('connection', (s) => s.unref());

  const ok = await runProbe({ kind: 'tcpSocket', port: 80 }, { containerId: 'local', ports: local(openPort) }, ANSWER_MS, noExec);
  assert.ok(ok.ok, ok.message);
  const hello = await runProbe({ kind: 'tcpSocket', port: 80 }, { containerId: 'local', ports: local(bannerPort) }, ANSWER_MS, noExec);
  assert.ok(hello.ok, hello.message);
  const refused = await runProbe({ kind: 'tcpSocket', port: 80 }, { containerId: 'local', ports: local(await closedPort()) }, ANSWER_MS, noExec);
  assert.equal(refused.ok, false, refused.message);
});

test('Prober end to end: ready, unready when the page goes, startup gating, liveness demands a restart, stopContainer leaves it exited', async (t) => {
  const { scope, driver } = scoped(t, 'prober');
  const web = await runWebReplica(scope, driver, 0);
  const worker = await runWebReplica(scope, driver, 1); // one after the other: concurrent ensureNetwork of one name races on engine 20.10
  const changes: ProbeChange[] = [];
  const prober = new Prober({
    exec: (id, command, timeoutMs) => driver.exec(id, command, timeoutMs),
    now: () => new Date(),
    logger: silentLogger,
    onChange: (change) => changes.push(change),
  });
  t.after(() => prober.close());
  const startedAt = new Date();

  prober.sync('web', [
    {
      id: web.id,
      namespace: 'web',
      deployment: 'web',
      // Startup waits for a file the test creates; readiness then checks the page.
      probes: {
        startup: probe({ kind: 'exec', command: ['test', '-f', '/started'] }, { failureThreshold: 1000 }),
        readiness: probe(httpGet('/')),
      },
      ports: web.ports,
      startedAt,
    },
    {
      id: worker.id,
      namespace: 'web',
      deployment: 'worker',
      probes: { liveness: probe({ kind: 'tcpSocket', port: 9090 }) }, // nothing listens on 9090
      ports: worker.ports,
      startedAt,
    },
    { id: 'no-probes', namespace: 'web', deployment: 'plain', probes: {}, ports: [], startedAt },
  ]);

  assert.deepEqual(prober.view('no-probes'), { started: true, ready: true, readySince: startedAt }, 'no probes: started and ready at once');
  assert.equal(prober.view(web.id)?.started, false, 'not started before the startup probe passes');
  assert.equal(prober.view(web.id)?.ready, false, 'not ready before the startup probe passes');
  // Still waiting for startup (exec probes keep failing): nothing changes.
  await eventually(
    () =>
      assert.ok(
        changes.some((c) => c.id === worker.id && c.state.restart),
        'worker restart demanded',
      ),
    { what: 'liveness restart', timeoutMs: 30_000 },
  );
  assert.equal(prober.view(web.id)?.started, false, 'startup still gates web');

  assert.deepEqual(await driver.exec(web.id, ['touch', '/started'], 5000), { exitCode: 0 });
  await eventually(() => assert.equal(prober.view(web.id)?.ready, true, 'web ready'), { what: 'web ready', timeoutMs: 30_000 });
  const readyChange = changes.find((c) => c.id === web.id && c.state.ready);
  assert.ok(readyChange, 'onChange reported web ready');
  assert.equal(readyChange.namespace, 'web');
  assert.equal(readyChange.deployment, 'web');
  assert.ok(readyChange.state.readySince instanceof Date, 'readySince set');
  assert.ok(
    changes.some((c) => c.id === web.id && c.state.started && !c.state.ready),
    'onChange reported started (before ready)',
  );

  assert.deepEqual(await driver.exec(web.id, ['rm', '/www/index.html'], 5000), { exitCode: 0 });
  await eventually(() => assert.equal(prober.view(web.id)?.ready, false, 'web unready'), { what: 'web unready', timeoutMs: 30_000 });
  const unready = changes.find(
    (c) => c.id === web.id && !c.state.ready && c.state.started && c !== readyChange && changes.indexOf(c) > changes.indexOf(readyChange),
  );
  assert.ok(unready, 'onChange reported web unready');
  assert.match(unready.state.notReadyReason ?? '', /readiness probe failed: .*404/);

  const restart = prober.view(worker.id)?.restart;
  assert.ok(restart, 'worker view carries the restart demand');
  assert.match(restart.reason, /^liveness probe failed 2 times in a row: tcp /);
  assert.equal(changes.filter((c) => c.id === worker.id && c.state.restart).length, 1, 'a restart demand is reported once');
  assert.equal(prober.view(worker.id)?.ready, false, 'a replica to restart is not ready');

  // What the reconciler does with the demand: stop, keep; the exited replica is then replaced.
  await driver.stopContainer(worker.id, 2);
  const stopped = (await driver.inventory()).containers.find((c) => c.id === worker.id);
  assert.equal(stopped?.state, 'exited', 'stopped and kept');

  // Known ids keep their state; ids no longer listed are forgotten.
  prober.sync('web', [
    { id: web.id, namespace: 'web', deployment: 'web', probes: { readiness: probe(httpGet('/')) }, ports: web.ports, startedAt: new Date() },
  ]);
  assert.equal(prober.view(web.id)?.started, true, 'state kept, not reset');
  assert.equal(prober.view(web.id)?.ready, false, 'still unready');
  assert.equal(prober.view(worker.id), undefined, 'forgotten');
  assert.equal(prober.view('no-probes'), undefined, 'forgotten');
  prober.sync('other', []); // another namespace's sync leaves web alone
  assert.ok(prober.view(web.id), 'web kept by another namespace sync');

  // The page comes back: ready again.
  assert.deepEqual(await driver.exec(web.id, ['sh', '-c', 'echo ok > /www/index.html'], 5000), { exitCode: 0 });
  await eventually(() => assert.equal(prober.view(web.id)?.ready, true, 'web ready again'), { what: 'web ready again', timeoutMs: 30_000 });

  prober.close();
  assert.equal(prober.view(web.id), undefined, 'close forgets everything');
});

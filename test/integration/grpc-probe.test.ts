/**
 * gRPC probes against real gRPC servers on loopback (@grpc/grpc-js with the gRPC project's own
 * health service, grpc-health-check), through runProbe as the Prober calls it: the container
 * port is looked up among the published ports, exactly as for a replica. A server inside a
 * replica, end to end through `berth run`, is in test/e2e/grpc-probe.test.ts.
 */
import assert from 'node:assert/strict';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { describe, it, after, before } from 'node:test';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { ProbeAction } from '../../src/desired/index.js';
import { eventually } from '../helpers/eventually.js';
import { runProbe, type ProbeAddress, type ProbeDeps } from '../../src/health/index.js';

const noExec: ProbeDeps = { exec: () => Promise.reject(new Error('no exec here')) };
const CONTAINER_PORT = 50051;

function at(hostPort: number): ProbeAddress {
  return { containerId: 'c1', ports: [{ containerPort: CONTAINER_PORT, protocol: 'tcp', hostIp: '127.0.0.1', hostPort }] };
}

const grpc = (service = ''): ProbeAction => ({ kind: 'grpc', port: CONTAINER_PORT, service });
/**
 * The probe timeout where a peer answers: far above its answer time, so a loaded machine (a
 * first grpc-js channel took over 300 ms beside the suite's other files) cannot turn an answer
 * into a timeout. Only the cases about the timeout use a short one.
 */
const ANSWER_MS = 5_000;
const SHORT_MS = 300;

async function grpcServer(withHealth: HealthImplementation | undefined): Promise<{ port: number; close: () => Promise<void> }> {
  const server = new Server();
  withHealth?.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { port, close: async () => server.forceShutdown() };
}

describe('gRPC probes (grpc.health.v1)', () => {
  const health = new HealthImplementation({ '': 'SERVING', 'shop.Cart': 'SERVING', 'shop.Down': 'NOT_SERVING', 'shop.Starting': 'UNKNOWN' });
  let withHealth: { port: number; close: () => Promise<void> };
  let withoutHealth: { port: number; close: () => Promise<void> };
  const accepted = new Set<Socket>();
  // Accepts, reads and never speaks HTTP/2 (a deadlocked server; a full accept queue looks the same).
  const silent = createTcpServer((socket) => {
    accepted.add(socket);
    socket.resume();
    socket.on('close', () => accepted.delete(socket));
  });
  const closedPort = createTcpServer();
  let silentPort = 0;
  let refusedPort = 0;

  before(async () => {
    withHealth = await grpcServer(health);
    withoutHealth = await grpcServer(undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as AddressInfo).port;
    await new Promise<void>((r) => closedPort.listen(0, '127.0.0.1', r));
    refusedPort = (closedPort.address() as AddressInfo).port;
    await new Promise<void>((r) => closedPort.close(() => r())); // nothing listens there now
  });
  after(async () => {
    await withHealth.close();
    await withoutHealth.close();
    for (const socket of accepted) socket.destroy();
    silent.close();
  });

  const cases: { name: string; action: () => ProbeAction; port: () => number; ok: boolean; message: RegExp; timeoutMs?: number }[] = [
    { name: 'the server as a whole, SERVING', action: () => grpc(), port: () => withHealth.port, ok: true, message: /: SERVING$/ },
    { name: 'a named service, SERVING', action: () => grpc('shop.Cart'), port: () => withHealth.port, ok: true, message: /service "shop\.Cart": SERVING$/ },
    { name: 'NOT_SERVING', action: () => grpc('shop.Down'), port: () => withHealth.port, ok: false, message: /service "shop\.Down": NOT_SERVING$/ },
    { name: 'UNKNOWN', action: () => grpc('shop.Starting'), port: () => withHealth.port, ok: false, message: /: UNKNOWN$/ },
    { name: 'a service the server does not know', action: () => grpc('shop.Nope'), port: () => withHealth.port, ok: false, message: /SERVICE_UNKNOWN/ },
    {
      name: 'a gRPC server without the health service',
      action: () => grpc(),
      port: () => withoutHealth.port,
      ok: false,
      message: /does not implement grpc\.health\.v1\.Health/,
    },
    { name: 'nothing listening', action: () => grpc(), port: () => refusedPort, ok: false, message: /: connection refused$/ },
    {
      name: 'a peer that never answers: the timeout',
      action: () => grpc(),
      port: () => silentPort,
      ok: false,
      message: /timed out after 300 ms/,
      timeoutMs: SHORT_MS,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const result = await runProbe(c.action(), at(c.port()), c.timeoutMs ?? ANSWER_MS, noExec);
      assert.equal(result.ok, c.ok, result.message);
      assert.match(result.message, c.message);
    });
  }

  it('a port the replica does not publish is a failure that says so', async () => {
    const result = await runProbe({ kind: 'grpc', port: 9999, service: '' }, at(withHealth.port), ANSWER_MS, noExec);
    assert.deepEqual(result, { ok: false, message: 'container port 9999/tcp is not published: no host port to probe' });
  });

  it('a peer that never answers keeps no connection open after the probes (grpc-js alone would leave one per probe)', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await runProbe(grpc(), at(silentPort), 100, noExec)).ok, false);
    await eventually(async () => assert.equal(accepted.size, 0, `${accepted.size} connections still open on the peer`), {
      timeoutMs: 10_000,
      what: 'the peer sees every probe connection closed',
    });
  });

  it('follows the server: NOT_SERVING then SERVING again', async () => {
    health.setStatus('shop.Flip', 'NOT_SERVING');
    assert.match((await runProbe(grpc('shop.Flip'), at(withHealth.port), ANSWER_MS, noExec)).message, /NOT_SERVING/);
    health.setStatus('shop.Flip', 'SERVING');
    assert.equal((await runProbe(grpc('shop.Flip'), at(withHealth.port), ANSWER_MS, noExec)).ok, true);
  });
});

/**
 * gRPC probes end to end: a real gRPC server (grpc.health.v1, test/fixtures/grpc/health-server.mjs)
 * inside a replica, run by `berth run` on a real engine. There is no registry to pull a Node image
 * from, so the replica is the busybox image with the host's node binary, its libraries and the
 * project's node_modules mounted read-only (hostPath: a baseline namespace, --host-path-allow). Its
 * readiness probe checks service "shop.Cart", its liveness probe the server as a whole; each
 * follows a file the test creates inside the container. Asserted on the world: the rollout
 * completes only through the gRPC readiness probe, the Service's endpoints follow it, a liveness
 * failure replaces the container, and berth's log says NOT_SERVING.
 */
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { daemonFlags, runBerth, startBerth, type BerthDaemon, tearDown } from '../helpers/berth-cli.js';
import { backendsOf, dataPlaneStatus } from '../helpers/data-plane.js';
import { dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { localRepo, type LocalRepo } from '../helpers/tmp-repo.js';
import { freePort } from '../helpers/webhook-hook.js';
import { execOutput, ownedContainers } from '../helpers/world.js';

// berth mounts only host paths that are what they say (no symlink on the way): real paths here.
const ROOT = realpathSync(fileURLToPath(new URL('../..', import.meta.url)));
const SERVER_DIR = join(ROOT, 'test/fixtures/grpc');
const MODULES = realpathSync(join(ROOT, 'node_modules'));
const NODE = realpathSync(process.execPath);
/** The node binary's shared libraries and loader (Debian: /lib/x86_64-linux-gnu, /lib64), host path → where the binary looks. */
const LIBS = ['/lib/x86_64-linux-gnu', '/lib64'].map((at) => ({ host: realpathSync(at), at }));
const NS = 'grpc';

function cartYaml(): string {
  const mounts = [
    { name: 'node', host: NODE, at: '/usr/local/bin/node', type: 'File' },
    ...LIBS.map((l, i) => ({ name: `libs-${i}`, host: l.host, at: l.at })),
    { name: 'modules', host: MODULES, at: '/app/node_modules' },
    { name: 'server', host: SERVER_DIR, at: '/app/server' },
  ];
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: cart',
    'spec:',
    '  replicas: 1',
    '  selector:',
    '    matchLabels:',
    '      app: cart',
    '  template:',
    '    metadata:',
    '      labels:',
    '        app: cart',
    '    spec:',
    '      terminationGracePeriodSeconds: 2',
    '      containers:',
    '        - name: cart',
    '          image: busybox:1.36',
    '          command: ["/usr/local/bin/node", "/app/server/health-server.mjs"]',
    '          ports:',
    '            - containerPort: 50051',
    '              name: grpc',
    // Node takes a while to start on a busy host: liveness and readiness wait for the startup
    // probe, as a slow-starting server's should (Kubernetes' advice; liveness alone would
    // restart it before it listens).
    '          startupProbe:',
    '            grpc:',
    '              port: 50051',
    '            periodSeconds: 1',
    '            failureThreshold: 60',
    '          readinessProbe:',
    '            grpc:',
    '              port: 50051',
    '              service: shop.Cart',
    '            periodSeconds: 1',
    '            failureThreshold: 1',
    '          livenessProbe:',
    '            grpc:',
    '              port: 50051',
    '            initialDelaySeconds: 1',
    '            periodSeconds: 1',
    '            failureThreshold: 2',
    '          volumeMounts:',
    ...mounts.flatMap((m) => [`            - name: ${m.name}`, `              mountPath: ${m.at}`, '              readOnly: true']),
    '      volumes:',
    ...mounts.flatMap((m) => [
      `        - name: ${m.name}`,
      '          hostPath:',
      `            path: ${m.host}`,
      `            type: ${'type' in m ? m.type : 'Directory'}`,
    ]),
    '---',
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    '  name: cart',
    'spec:',
    '  selector:',
    '    app: cart',
    '  ports:',
    '    - port: 50051',
    '      targetPort: grpc',
    '',
  ].join('\n');
}

describe('gRPC probes inside a replica', { timeout: 300_000 }, () => {
  const scope = dockerScope('e2e-grpc');
  let repo: LocalRepo;
  let stateDir: string;
  let berth: BerthDaemon | undefined;

  before(async () => {
    repo = await localRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-grpc-'));
    await repo.write(`manifests/${NS}/cart.yaml`, cartYaml());
    // hostPath needs pod-security level baseline (the namespace asks, the operator allows it below).
    await repo.write(
      `manifests/${NS}/namespace.yaml`,
      `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NS}\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n`,
    );
    await repo.commit('a gRPC service with gRPC probes');
    const allow = [dirname(NODE), ...LIBS.map((l) => l.host), MODULES, SERVER_DIR].flatMap((d) => ['--host-path-allow', d]);
    berth = startBerth([
      ...daemonFlags({ repo: repo.dir, stateDir, instance: scope.instance, poll: '*/1 * * * * *', listen: `127.0.0.1:${await freePort()}` }),
      '--ingress-listen',
      `127.0.0.1:${await freePort()}`,
      '--log-level',
      'debug',
      '--max-pod-security',
      'baseline',
      ...allow,
    ]);
  });

  after(() => tearDown({ berth, name: 'grpc-probe', stateDir, scope, repos: [repo] }));

  const cart = async () => {
    const running = (await ownedContainers(scope.instance)).filter((c) => c.namespace === NS && c.deployment === 'cart' && c.state === 'running');
    assert.equal(running.length, 1, `one running cart replica (${running.length})`);
    return running[0]!;
  };
  const endpoints = async () => backendsOf(await dataPlaneStatus(stateDir), NS, 'cart');
  /** Runs a shell line in the replica (the image has no /tmp of its own); it must succeed. */
  const inReplica = async (id: string, script: string) => {
    const r = await execOutput(id, ['sh', '-c', script]);
    assert.equal(r.exitCode, 0, `${script}: ${r.stdout}`);
  };
  const alive = () => {
    if (berth && berth.child.exitCode !== null) throw Object.assign(new Error(`berth exited:\n${berth.logs().slice(-3000)}`), { fatal: true });
  };

  it('the rollout completes through the gRPC readiness probe; the Service routes to the replica', async () => {
    const r = await runBerth(
      ['rollout', 'status', `${NS}/cart`, '--repo', repo.dir, '--path', 'manifests', '--state-dir', stateDir, '--instance', scope.instance, '--timeout', '120'],
      { timeoutMs: 150_000 },
    );
    alive();
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}\n${berth?.logs().slice(-4000)}`);
    const replica = await cart();
    await eventually(async () => assert.deepEqual(await endpoints(), [replica.id]), { timeoutMs: 30_000, what: 'the replica behind the Service' });
    assert.match(berth!.logs(), /grpc 127\.0\.0\.1:\d+ service \\"shop\.Cart\\": SERVING/);
  });

  it('readiness follows the service status: NOT_SERVING takes the replica out of the Service, SERVING puts it back', async () => {
    const replica = await cart();
    await inReplica(replica.id, 'mkdir -p /tmp && touch /tmp/cart-down');
    await eventually(async () => assert.deepEqual(await endpoints(), []), { timeoutMs: 30_000, what: 'the replica out of the Service' });
    assert.match(berth!.logs(), /service \\"shop\.Cart\\": NOT_SERVING/);
    assert.equal((await cart()).id, replica.id, 'readiness never restarts');
    await inReplica(replica.id, 'rm /tmp/cart-down');
    await eventually(async () => assert.deepEqual(await endpoints(), [replica.id]), { timeoutMs: 30_000, what: 'the replica back in the Service' });
    alive();
  });

  it('a liveness failure (the server NOT_SERVING) replaces the container; the new one serves again', async () => {
    const before = await cart();
    await inReplica(before.id, 'mkdir -p /tmp && touch /tmp/down');
    const after = await eventually(
      async () => {
        const now = await cart();
        assert.notEqual(now.id, before.id, 'a new container');
        assert.deepEqual(await endpoints(), [now.id]);
        return now;
      },
      { timeoutMs: 60_000, what: 'the replica replaced and ready again' },
    );
    assert.notEqual(after.id, before.id);
    assert.match(berth!.logs(), /liveness probe failed[^"]*: grpc 127\.0\.0\.1:\d+: NOT_SERVING/);
    alive();
  });
});

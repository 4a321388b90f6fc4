/**
 * The docker driver against the real engine: no mocks. Every test owns a dockerScope (its
 * own berth instance) and registers its cleanup first, so a failing test leaves nothing.
 * Assertions are about the engine's state (through dockerode directly), not about calls.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { BerthError } from '../../src/core/index.js';
import { LABEL, type ContainerSpec, type RuntimeDriver, type RuntimeEvent } from '../../src/runtime/index.js';
import { createDockerDriver } from '../../src/runtime/docker/index.js';
// Internal, pure pieces of the driver, exercised directly below (engine JSON edge cases).
import { containerName, exitCodeOf, publishedPorts, toRuntimeEvent } from '../../src/runtime/docker/map.js';
import { createLineSplitter } from '../../src/runtime/docker/ndjson.js';
import { dockerClient, dockerScope, TEST_IMAGE, type DockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';

const docker = dockerClient();

function scoped(t: TestContext, label: string): { scope: DockerScope; driver: RuntimeDriver } {
  const scope = dockerScope(label);
  t.after(() => scope.cleanup());
  return { scope, driver: scope.driver() };
}

/** A namespace network for the scope, created through the driver. */
async function namespaceNetwork(scope: DockerScope, driver: RuntimeDriver, namespace = 'web'): Promise<string> {
  const name = scope.name(`net-${namespace}`);
  await driver.ensureNetwork({ name, labels: scope.labels({ [LABEL.namespace]: namespace }) });
  return name;
}

function httpdSpec(scope: DockerScope, network: string, overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  const namespace = overrides.labels?.[LABEL.namespace] ?? 'web';
  return {
    name: scope.name('web.abc123.0'),
    image: TEST_IMAGE,
    command: ['httpd', '-f', '-p', '8080'],
    env: [],
    ports: [{ containerPort: 8080, protocol: 'tcp' }],
    labels: scope.labels({
      [LABEL.namespace]: namespace,
      [LABEL.kind]: 'Deployment',
      [LABEL.name]: 'web',
      [LABEL.revision]: 'abc123',
      [LABEL.commit]: '0123456789abcdef',
      [LABEL.replica]: '0',
    }),
    network,
    networkAliases: ['web'],
    stopGraceSeconds: 10,
    ...overrides,
  };
}

async function rejectsWithCode(promise: Promise<unknown>, code: BerthError['code'], message?: RegExp): Promise<BerthError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof BerthError, `expected BerthError ${code}, got ${caught === undefined ? 'success' : String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

async function containerExists(id: string): Promise<boolean> {
  try {
    await docker.getContainer(id).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

function httpStatus(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('HTTP request timed out')));
    req.on('error', reject);
    req.end();
  });
}

test('runContainer: running, labelled, published on 127.0.0.1, reachable, with init; removeContainer removes it', async (t) => {
  const { scope, driver } = scoped(t, 'run');
  const network = await namespaceNetwork(scope, driver);
  await driver.ensureImage(TEST_IMAGE);
  const spec = httpdSpec(scope, network);

  const started = await driver.runContainer(spec);
  assert.equal(started.name, spec.name);
  assert.equal(started.state, 'running');

  const { containers } = await driver.inventory();
  assert.equal(containers.length, 1);
  const [c] = containers;
  assert.ok(c);
  assert.equal(c.id, started.id);
  assert.equal(c.name, spec.name);
  assert.equal(c.image, TEST_IMAGE);
  assert.equal(c.state, 'running');
  assert.equal(c.exitCode, undefined);
  assert.ok(!Number.isNaN(Date.parse(c.created)), `created is an ISO time: ${c.created}`);
  for (const [key, value] of Object.entries(spec.labels)) assert.equal(c.labels[key], value, `label ${key}`);
  assert.equal(c.labels[LABEL.managed], 'true');
  assert.equal(c.labels[LABEL.instance], scope.instance);
  assert.deepEqual(started, c, 'runContainer returns the container as inventory sees it');

  assert.equal(c.ports.length, 1);
  const [port] = c.ports;
  assert.ok(port);
  assert.equal(port.containerPort, 8080);
  assert.equal(port.protocol, 'tcp');
  assert.equal(port.hostIp, '127.0.0.1');
  assert.ok(port.hostPort > 0, `nonzero host port: ${port.hostPort}`);

  const status = await eventually(() => httpStatus(port.hostPort), { timeoutMs: 15_000, what: 'httpd answers on the published port' });
  assert.ok(status >= 200 && status < 600, `an HTTP response: ${status}`);

  const info = await docker.getContainer(c.id).inspect();
  assert.equal(info.HostConfig.Init, true);
  assert.equal(info.HostConfig.RestartPolicy?.Name, 'no');
  assert.deepEqual(info.HostConfig.PortBindings, { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });

  await driver.removeContainer(c.id, 10);
  assert.equal(await containerExists(c.id), false);
  assert.deepEqual((await driver.inventory()).containers, []);
  await driver.removeContainer(c.id, 10); // already gone: not an error
});

test('runContainer passes command, args, env, working dir, limits, stop grace and aliases to the engine', async (t) => {
  const { scope, driver } = scoped(t, 'config');
  const network = await namespaceNetwork(scope, driver);
  const spec = httpdSpec(scope, network, {
    command: ['sh', '-c'],
    args: ['echo "$GREETING" > /tmp/out; exec httpd -f -p 8080'],
    env: [
      { name: 'GREETING', value: 'hello world' },
      { name: 'EMPTY', value: '' },
    ],
    workingDir: '/tmp',
    memoryBytes: 64 * 1024 * 1024,
    nanoCpus: 500_000_000,
    stopGraceSeconds: 7,
    networkAliases: ['web', 'web-v1'],
    ports: [],
  });
  const c = await driver.runContainer(spec);
  assert.deepEqual(c.ports, []);

  const info = await docker.getContainer(c.id).inspect();
  assert.deepEqual(info.Config.Entrypoint, ['sh', '-c']);
  assert.deepEqual(info.Config.Cmd, ['echo "$GREETING" > /tmp/out; exec httpd -f -p 8080']);
  assert.ok(info.Config.Env.includes('GREETING=hello world'));
  assert.ok(info.Config.Env.includes('EMPTY='));
  assert.equal(info.Config.WorkingDir, '/tmp');
  assert.equal((info.Config as { StopTimeout?: number }).StopTimeout, 7);
  assert.equal(info.HostConfig.Memory, 64 * 1024 * 1024);
  assert.equal(info.HostConfig.NanoCpus, 500_000_000);
  assert.equal(info.HostConfig.NetworkMode, network);
  assert.deepEqual(Object.keys(info.NetworkSettings.Networks), [network], 'attached to the namespace network only');
  const aliases: string[] = info.NetworkSettings.Networks[network]?.Aliases ?? [];
  assert.ok(aliases.includes('web') && aliases.includes('web-v1'), `aliases: ${aliases.join(', ')}`);
});

test('exited containers report state and exit code; a missing command exits 127 under init', async (t) => {
  const { scope, driver } = scoped(t, 'exit');
  const network = await namespaceNetwork(scope, driver);
  const three = await driver.runContainer(httpdSpec(scope, network, { name: scope.name('three'), command: ['sh', '-c', 'exit 3'], ports: [] }));
  // With an init as PID 1 the engine starts the container fine; the init then fails to exec.
  const missing = await driver.runContainer(httpdSpec(scope, network, { name: scope.name('missing'), command: ['/does-not-exist'], ports: [] }));

  await eventually(
    async () => {
      const { containers } = await driver.inventory();
      const byId = new Map(containers.map((c) => [c.id, c]));
      assert.equal(byId.get(three.id)?.state, 'exited');
      assert.equal(byId.get(three.id)?.exitCode, 3);
      assert.equal(byId.get(missing.id)?.state, 'exited');
      assert.equal(byId.get(missing.id)?.exitCode, 127);
      assert.deepEqual(byId.get(three.id)?.ports, [], 'a stopped container publishes nothing');
    },
    { timeoutMs: 15_000, what: 'both containers exited' },
  );
});

test('runContainer with a name already in use → ENGINE_CONFLICT', async (t) => {
  const { scope, driver } = scoped(t, 'dup');
  const network = await namespaceNetwork(scope, driver);
  const spec = httpdSpec(scope, network);
  const first = await driver.runContainer(spec);
  await rejectsWithCode(driver.runContainer(spec), 'ENGINE_CONFLICT', new RegExp(spec.name.replace(/\./g, '\\.')));
  const { containers } = await driver.inventory();
  assert.deepEqual(
    containers.map((c) => c.id),
    [first.id],
  );
});

test('a container that cannot start → CONTAINER_START_FAILED and no leftover container', async (t) => {
  const { scope, driver } = scoped(t, 'nostart');
  // The engine creates a container for a network that does not exist, then fails to start it.
  const spec = httpdSpec(scope, scope.name('no-such-network'));
  const err = await rejectsWithCode(driver.runContainer(spec), 'CONTAINER_START_FAILED', /could not be started: .*not found/);
  assert.match(err.message, new RegExp(spec.name.replace(/\./g, '\\.')));
  assert.deepEqual((await driver.inventory()).containers, []);
  const leftovers = await docker.listContainers({ all: true, filters: { name: [spec.name] } });
  assert.deepEqual(leftovers, []);
});

test('networks: created with labels, idempotent, listed, removed; removing a missing one is fine', async (t) => {
  const { scope, driver } = scoped(t, 'net');
  const name = scope.name('net-shop');
  await driver.ensureNetwork({ name, labels: scope.labels({ [LABEL.namespace]: 'shop' }) });
  await driver.ensureNetwork({ name, labels: scope.labels({ [LABEL.namespace]: 'shop' }) });

  const onEngine = (await docker.listNetworks({ filters: { name: [name] } })).filter((n) => n.Name === name);
  assert.equal(onEngine.length, 1);
  assert.equal(onEngine[0]?.Driver, 'bridge');
  assert.equal(onEngine[0]?.Labels?.[LABEL.managed], 'true');
  assert.equal(onEngine[0]?.Labels?.[LABEL.instance], scope.instance);

  const { networks } = await driver.inventory();
  assert.deepEqual(
    networks.map((n) => [n.name, n.labels[LABEL.namespace]]),
    [[name, 'shop']],
  );

  await driver.removeNetwork(name);
  assert.deepEqual((await driver.inventory()).networks, []);
  assert.equal((await docker.listNetworks({ filters: { name: [name] } })).filter((n) => n.Name === name).length, 0);
  await driver.removeNetwork(name);
});

test('ensureNetwork and removeNetwork refuse a same-named network berth does not own, and leave it alone', async (t) => {
  const { scope, driver } = scoped(t, 'netown');
  const name = scope.name('net-taken');
  const id = await scope.createUnownedNetwork(name);

  await rejectsWithCode(driver.ensureNetwork({ name, labels: scope.labels() }), 'ENGINE_CONFLICT', /not owned/);
  await rejectsWithCode(driver.removeNetwork(name), 'ENGINE_CONFLICT', /not owned/);

  const after = await docker.getNetwork(id).inspect();
  assert.equal(after.Name, name);
  assert.equal(after.Labels?.[LABEL.managed], undefined, 'labels untouched');
  assert.deepEqual((await driver.inventory()).networks, []);
});

test('removeNetwork of a network with a container attached → ENGINE_CONFLICT', async (t) => {
  const { scope, driver } = scoped(t, 'netbusy');
  const network = await namespaceNetwork(scope, driver);
  const c = await driver.runContainer(httpdSpec(scope, network, { ports: [] }));
  await rejectsWithCode(driver.removeNetwork(network), 'ENGINE_CONFLICT', /attached/);
  await driver.removeContainer(c.id, 10);
  await driver.removeNetwork(network);
  assert.deepEqual(await driver.inventory(), { containers: [], networks: [], volumes: [] });
});

test('removeContainer refuses a container berth does not own, and it keeps running', async (t) => {
  const { scope, driver } = scoped(t, 'unowned');
  // Looks like berth's in every label but the instance: owned by another berth installation.
  const foreign = await scope.runUnownedContainer({ labels: { [LABEL.managed]: 'true', [LABEL.instance]: 'someone-else' } });
  const bare = await scope.runUnownedContainer();

  for (const victim of [foreign, bare]) {
    await rejectsWithCode(driver.removeContainer(victim.id, 0), 'ENGINE_CONFLICT', /not owned/);
    await rejectsWithCode(driver.removeContainer(victim.name, 0), 'ENGINE_CONFLICT', /not owned/);
    const info = await docker.getContainer(victim.id).inspect();
    assert.equal(info.State.Running, true, `${victim.name} still running`);
  }
  assert.deepEqual((await driver.inventory()).containers, [], 'inventory never shows unowned containers');
});

test('ensureImage: a present image is a no-op; a missing one that cannot be pulled → IMAGE_PULL_FAILED', async (t) => {
  const { driver } = scoped(t, 'image');
  await driver.ensureImage(TEST_IMAGE);
  await driver.ensureImage('berth-test/busybox:1');
  const image = 'berth-test/does-not-exist:0';
  const err = await rejectsWithCode(driver.ensureImage(image), 'IMAGE_PULL_FAILED');
  assert.match(err.message, /berth-test\/does-not-exist:0/);
  assert.ok(err.message.length > `image ${image} could not be pulled: `.length + 5, `the engine's reason is included: ${err.message}`);
});

test('watch delivers start and die events with labels, and ends cleanly when aborted', async (t) => {
  const { scope, driver } = scoped(t, 'watch');
  const network = await namespaceNetwork(scope, driver);
  // Another instance's container: its events must not reach this watcher.
  const other = dockerScope('watch-other');
  t.after(() => other.cleanup());
  const otherDriver = other.driver();
  const otherNetwork = await namespaceNetwork(other, otherDriver);

  const events: RuntimeEvent[] = [];
  const controller = new AbortController();
  const watching = driver.watch((e) => events.push(e), controller.signal);
  t.after(() => controller.abort());

  const c = await driver.runContainer(httpdSpec(scope, network, { ports: [] }));
  const foreign = await otherDriver.runContainer(httpdSpec(other, otherNetwork, { ports: [] }));
  await docker.getContainer(c.id).kill();
  await docker.getContainer(foreign.id).kill();

  const died = await eventually(
    () => {
      const e = events.find((ev) => ev.kind === 'container-died' && ev.id === c.id);
      assert.ok(e, `a container-died event for ${c.id}; got ${JSON.stringify(events.map((ev) => ev.kind))}`);
      return e;
    },
    { timeoutMs: 15_000, what: 'container-died event' },
  );
  assert.ok(died.kind === 'container-died');
  assert.equal(died.labels[LABEL.namespace], 'web');
  assert.equal(died.labels[LABEL.name], 'web');
  assert.equal(died.labels[LABEL.instance], scope.instance);
  assert.equal(died.labels.image, undefined, 'engine attributes are not labels');
  assert.ok(events.some((e) => e.kind === 'container-started' && e.id === c.id));

  await driver.removeContainer(c.id, 0);
  await eventually(() => assert.ok(events.some((e) => e.kind === 'container-destroyed' && e.id === c.id)), {
    timeoutMs: 15_000,
    what: 'container-destroyed event',
  });

  controller.abort();
  await watching;
  assert.equal(events.filter((e) => e.kind === 'stream-error').length, 0, 'no stream-error on abort');
  assert.ok(
    events.every((e) => e.kind === 'stream-error' || e.id !== foreign.id),
    'no events of another instance',
  );
});

test('watch delivers a death once inventory lists the container down: a pass it wakes sees the exit', async (t) => {
  // The engine sends `die` before its list says so: read right at the event, the list said
  // "running" for 20 of 20 containers here, and a woken pass found nothing to do.
  const { scope, driver } = scoped(t, 'watch-died');
  const network = await namespaceNetwork(scope, driver);
  const controller = new AbortController();
  t.after(() => controller.abort());
  const listed = new Map<string, Promise<string | undefined>>();
  const watching = driver.watch((e) => {
    // What a pass woken by this event reads: the list, at once.
    if (e.kind === 'container-died')
      listed.set(
        e.id,
        driver.inventory().then((inv) => inv.containers.find((c) => c.id === e.id)?.state),
      );
  }, controller.signal);
  const count = 6;
  const started = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      driver.runContainer(
        httpdSpec(scope, network, {
          name: scope.name(`web.abc123.${i}`),
          command: ['sh', '-c', 'echo crashing; exit 3'],
          ports: [],
          labels: { ...httpdSpec(scope, network).labels, [LABEL.replica]: String(i) },
        }),
      ),
    ),
  );
  await eventually(() => assert.equal(listed.size, count, `a death delivered for each of ${count}`), { timeoutMs: 30_000, what: 'every death delivered' });
  const states = await Promise.all(started.map((c) => listed.get(c.id)!));
  assert.deepEqual(
    states,
    started.map(() => 'exited'),
    'listed as exited when its death was delivered',
  );
  controller.abort();
  await watching;
});

test('watch on an already aborted signal resolves at once', async () => {
  const driver = createDockerDriver({ instance: 'unused', clock: { now: () => new Date() } });
  const events: RuntimeEvent[] = [];
  await driver.watch((e) => events.push(e), AbortSignal.abort());
  assert.deepEqual(events, []);
});

test('inventory filters by namespace', async (t) => {
  const { scope, driver } = scoped(t, 'ns');
  const netA = await namespaceNetwork(scope, driver, 'ns-a');
  const netB = await namespaceNetwork(scope, driver, 'ns-b');
  const a = await driver.runContainer(
    httpdSpec(scope, netA, { name: scope.name('a'), ports: [], labels: scope.labels({ [LABEL.namespace]: 'ns-a', [LABEL.name]: 'a' }) }),
  );
  const b = await driver.runContainer(
    httpdSpec(scope, netB, { name: scope.name('b'), ports: [], labels: scope.labels({ [LABEL.namespace]: 'ns-b', [LABEL.name]: 'b' }) }),
  );

  const onlyA = await driver.inventory({ namespace: 'ns-a' });
  assert.deepEqual(
    onlyA.containers.map((c) => c.id),
    [a.id],
  );
  assert.deepEqual(
    onlyA.networks.map((n) => n.name),
    [netA],
  );
  const all = await driver.inventory();
  assert.deepEqual(all.containers.map((c) => c.id).sort(), [a.id, b.id].sort());
  assert.deepEqual((await driver.inventory({ namespace: 'ns-none' })).containers, []);
});

// --- engine unreachable ---------------------------------------------------------------

function listenUnix(t: TestContext, onConnection: (socket: Socket) => void): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-sock-'));
  const path = join(dir, 'docker.sock');
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });
  return new Promise((resolve) => server.listen(path, () => resolve(path)));
}

test('a missing socket → ENGINE_UNREACHABLE from ping, inventory and every other method; watch reports a stream-error', async () => {
  const socketPath = join(tmpdir(), `berth-no-such-dir-${process.pid}`, 'docker.sock');
  const driver = createDockerDriver({ socketPath, instance: 'unreachable', clock: { now: () => new Date() } });
  const err = await rejectsWithCode(driver.ping(), 'ENGINE_UNREACHABLE', /did not answer/);
  assert.ok(err.cause instanceof Error && (err.cause as { code?: string }).code === 'ENOENT', 'the original error is the cause');
  await rejectsWithCode(driver.inventory(), 'ENGINE_UNREACHABLE');
  await rejectsWithCode(driver.inventory({ namespace: 'x' }), 'ENGINE_UNREACHABLE');
  await rejectsWithCode(driver.ensureNetwork({ name: 'x', labels: {} }), 'ENGINE_UNREACHABLE');
  await rejectsWithCode(driver.removeNetwork('x'), 'ENGINE_UNREACHABLE');
  await rejectsWithCode(driver.ensureImage(TEST_IMAGE), 'ENGINE_UNREACHABLE');
  await rejectsWithCode(driver.removeContainer('abc', 1), 'ENGINE_UNREACHABLE');
  await rejectsWithCode(
    driver.runContainer({
      name: 'x',
      image: TEST_IMAGE,
      env: [],
      ports: [],
      labels: {},
      network: 'x',
      networkAliases: [],
      stopGraceSeconds: 1,
    }),
    'ENGINE_UNREACHABLE',
  );

  const events: RuntimeEvent[] = [];
  await driver.watch((e) => events.push(e), new AbortController().signal);
  assert.equal(events.length, 1);
  const [e] = events;
  assert.ok(e?.kind === 'stream-error');
  assert.ok(e.error instanceof BerthError && e.error.code === 'ENGINE_UNREACHABLE');
});

test('a socket that hangs up, or never answers, → ENGINE_UNREACHABLE', async (t) => {
  const hangsUp = await listenUnix(t, (socket) => socket.destroy());
  await rejectsWithCode(createDockerDriver({ socketPath: hangsUp, instance: 'x', clock: { now: () => new Date() } }).ping(), 'ENGINE_UNREACHABLE');

  const silent = await listenUnix(t, () => {});
  const driver = createDockerDriver({ socketPath: silent, instance: 'x', requestTimeoutMs: 300, clock: { now: () => new Date() } });
  await rejectsWithCode(driver.ping(), 'ENGINE_UNREACHABLE');
  await rejectsWithCode(driver.inventory(), 'ENGINE_UNREACHABLE');
  const events: RuntimeEvent[] = [];
  await driver.watch((e) => events.push(e), new AbortController().signal);
  assert.ok(events.length === 1 && events[0]?.kind === 'stream-error', 'a silent engine ends the watch with a stream-error');
});

// --- engine JSON, without the engine (pure) -------------------------------------------

test('event lines survive any chunking: split lines, split UTF-8 characters, several lines per chunk, junk', () => {
  const events = [
    {
      Type: 'container',
      Action: 'die',
      Actor: { ID: 'a1', Attributes: { 'berth.managed': 'true', 'berth.instance': 'i', 'berth.name': 'wéb→', exitCode: '137', image: 'x', name: 'n' } },
    },
    { Type: 'container', Action: 'start', Actor: { ID: 'b2', Attributes: { 'berth.managed': 'true', 'berth.instance': 'i' } } },
    { Type: 'container', Action: 'exec_die', Actor: { ID: 'c3', Attributes: { 'berth.managed': 'true', 'berth.instance': 'i' } } },
    { Type: 'container', Action: 'destroy', Actor: { ID: 'd4', Attributes: { 'berth.managed': 'true', 'berth.instance': 'other' } } },
    { Type: 'network', Action: 'destroy', Actor: { ID: 'e5', Attributes: { 'berth.managed': 'true', 'berth.instance': 'i' } } },
  ];
  const bytes = Buffer.from(`${events.map((e) => JSON.stringify(e)).join('\n')}\nnot json\n\n`, 'utf8');
  for (const size of [1, 2, 3, 7, 64, bytes.length]) {
    const seen: RuntimeEvent[] = [];
    const invalid: string[] = [];
    const splitter = createLineSplitter((line) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        invalid.push(line);
        return;
      }
      const event = toRuntimeEvent(value, 'i');
      if (event) seen.push(event);
    });
    for (let i = 0; i < bytes.length; i += size) splitter.push(bytes.subarray(i, i + size));
    splitter.end();
    assert.deepEqual(
      seen,
      [
        { kind: 'container-died', id: 'a1', labels: { 'berth.managed': 'true', 'berth.instance': 'i', 'berth.name': 'wéb→' } },
        { kind: 'container-started', id: 'b2', labels: { 'berth.managed': 'true', 'berth.instance': 'i' } },
      ],
      `chunk size ${size}`,
    );
    assert.deepEqual(invalid, ['not json'], `chunk size ${size}`);
  }
});

test('a final line without newline is flushed; an oversized line is dropped without losing the next', () => {
  const lines: string[] = [];
  const splitter = createLineSplitter((line) => lines.push(line), 10);
  splitter.push('{"a":1}\n');
  splitter.push('x'.repeat(8));
  splitter.push('y'.repeat(8)); // now over the limit
  splitter.push('zz\n{"b":2}\n{"c"');
  splitter.push(':3}');
  splitter.end();
  assert.deepEqual(lines, ['{"a":1}', '{"b":2}', '{"c":3}']);
});

test('list JSON: exit code from Status, name without slash, only published ports', () => {
  assert.equal(exitCodeOf('Exited (137) 2 seconds ago'), 137);
  assert.equal(exitCodeOf('Exited (0) About a minute ago'), 0);
  assert.equal(exitCodeOf('Up 3 seconds'), undefined);
  assert.equal(exitCodeOf('Created'), undefined);
  assert.equal(containerName(['/other/alias', '/web.0']), 'web.0');
  assert.deepEqual(
    publishedPorts([
      { IP: '127.0.0.1', PrivatePort: 8080, PublicPort: 49153, Type: 'tcp' },
      { IP: '', PrivatePort: 9090, PublicPort: 0, Type: 'tcp' },
      { IP: '127.0.0.1', PrivatePort: 53, PublicPort: 49154, Type: 'udp' },
    ]),
    [
      { containerPort: 53, protocol: 'udp', hostIp: '127.0.0.1', hostPort: 49154 },
      { containerPort: 8080, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 49153 },
    ],
  );
});

test('inventory reads an engine list of many chunks, element by element, and keeps only its own containers', async (t) => {
  const { scope, driver } = scoped(t, 'inventory-chunks');
  // 40 containers with 30 labels of ~300 bytes each: an answer of about 400 KB, which the engine
  // sends in many chunks; label values hold what a framing bug would trip on (quotes, brackets,
  // commas, backslashes, multi-byte characters).
  const tricky = (i: number, j: number) => `v${i}-${j} "quoted" [bracket] {brace}, comma \\ backslash ☕ 日本 🚢 ${'x'.repeat(240)}`;
  const created: string[] = [];
  for (let i = 0; i < 40; i++) {
    const labels: Record<string, string> = { [LABEL.namespace]: 'web', [LABEL.name]: `app-${i}` };
    for (let j = 0; j < 30; j++) labels[`example.com/label-${j}`] = tricky(i, j);
    const c = await docker.createContainer({ name: scope.name(`many-${i}`), Image: TEST_IMAGE, Entrypoint: ['sleep', '3600'], Labels: scope.labels(labels) });
    created.push(c.id);
  }
  await scope.runUnownedContainer({ labels: { [LABEL.instance]: scope.instance } }); // not berth.managed: not its own
  const { containers } = await driver.inventory();
  assert.deepEqual(containers.map((c) => c.id).sort(), [...created].sort(), 'every owned container, and only those');
  for (const c of containers) {
    const i = Number(c.labels[LABEL.name]!.slice('app-'.length));
    assert.equal(c.name, scope.name(`many-${i}`));
    for (let j = 0; j < 30; j++) assert.equal(c.labels[`example.com/label-${j}`], tricky(i, j), `${c.name}: label ${j} read back whole`);
  }
});

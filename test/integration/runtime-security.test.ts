/**
 * The docker driver's security settings and mounts against the real engine: what the engine
 * records (docker inspect), what the container sees, and what is left on the host. Every test
 * owns a dockerScope and a temp folder for secret volume files, and removes both.
 */
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { BerthError } from '../../src/core/index.js';
import { LABEL, type ContainerSpec, type RuntimeDriver } from '../../src/runtime/index.js';
import { createDockerDriver } from '../../src/runtime/docker/index.js';
// Internal, pure: the create body berth sends (to check it where this engine cannot start it).
import { toCreateOptions } from '../../src/runtime/docker/container-config.js';
import { SWEEP_GRACE_MS } from '../../src/runtime/docker/host-mounts.js';
import { dockerClient, dockerScope, TEST_IMAGE, TEST_RUN_LABEL, type DockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';

const docker = dockerClient();
const CANARY = `canary-runtime-security-${Math.random().toString(16).slice(2)}`;

interface Setup {
  readonly scope: DockerScope;
  readonly driver: RuntimeDriver;
  readonly filesDir: string;
  readonly hostDir: string;
  readonly network: string;
}

async function setup(t: TestContext, label: string): Promise<Setup> {
  const scope = dockerScope(label);
  const filesDir = await mkdtemp(join(tmpdir(), 'berth-files-'));
  const hostDir = await mkdtemp(join(tmpdir(), 'berth-hostpath-'));
  t.after(async () => {
    await scope.cleanup();
    await rm(filesDir, { recursive: true, force: true });
    await rm(hostDir, { recursive: true, force: true });
  });
  const driver = createDockerDriver({ socketPath: scope.socketPath, instance: scope.instance, filesDir, clock: { now: () => new Date() } });
  const network = scope.name('net');
  await driver.ensureNetwork({ name: network, labels: scope.labels({ [LABEL.namespace]: 'sec' }) });
  return { scope, driver, filesDir, hostDir, network };
}

function spec(s: Setup, suffix: string, overrides: Partial<ContainerSpec>): ContainerSpec {
  return {
    name: s.scope.name(`web.abc123.${suffix}`),
    image: TEST_IMAGE,
    command: ['sleep', '3600'],
    env: [],
    ports: [],
    labels: s.scope.labels({
      [LABEL.namespace]: 'sec',
      [LABEL.kind]: 'Deployment',
      [LABEL.name]: 'web',
      [LABEL.revision]: 'abc123',
      [LABEL.commit]: '0123456789abcdef',
      [LABEL.replica]: suffix,
    }),
    network: s.network,
    networkAliases: ['web'],
    stopGraceSeconds: 1,
    ...overrides,
  };
}

async function rejectsWith(promise: Promise<unknown>, code: BerthError['code'], message: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof BerthError, `expected BerthError ${code}, got ${caught === undefined ? 'success' : String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.match(caught.message, message);
}

async function logsOf(id: string): Promise<string> {
  const buffer = (await docker.getContainer(id).logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  // Multiplexed stream frames: 8-byte headers, then the payload. Drop the headers.
  let out = '';
  for (let i = 0; i + 8 <= buffer.length; ) {
    const size = buffer.readUInt32BE(i + 4);
    out += buffer.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Whether this engine can start a privileged container at all: an engine that itself runs
 * with a reduced capability bounding set (a container, some CI sandboxes) cannot ("unable to
 * apply caps"). Probed with a throwaway container the scope removes.
 */
async function privilegedStartProblem(scope: DockerScope): Promise<string | undefined> {
  const probe = await docker.createContainer({
    name: scope.name('privileged-probe'),
    Image: TEST_IMAGE,
    Cmd: ['true'],
    Labels: { [TEST_RUN_LABEL]: scope.instance },
    HostConfig: { Privileged: true },
  });
  try {
    await probe.start();
    return undefined;
  } catch (err) {
    return (err as { json?: { message?: string } }).json?.message ?? String(err);
  } finally {
    await probe.remove({ force: true }).catch(() => undefined);
  }
}

test('privileged: the container runs privileged (HostConfig.Privileged); where this engine cannot start any privileged container, what berth asks of it', async (t) => {
  const s = await setup(t, 'sec-privileged');
  const problem = await privilegedStartProblem(s.scope);
  const wanted = spec(s, '0', { security: { privileged: true } });
  if (problem === undefined) {
    const replica = await s.driver.runContainer(wanted);
    const info = await docker.getContainer(replica.id).inspect();
    assert.equal(info.HostConfig.Privileged, true, 'privileged');
    assert.equal(info.State.Running, true, 'running');
    return;
  }
  // This engine cannot start any privileged container: check what berth asks of it (the create
  // body, recorded by the engine), and that the failed start is reported and cleaned up.
  t.diagnostic(`this engine cannot start privileged containers (${problem}); checking the created container only`);
  const created = await docker.createContainer(toCreateOptions(wanted, s.scope.labels()));
  assert.equal((await created.inspect()).HostConfig.Privileged, true, 'the engine records Privileged as berth asks');
  await created.remove({ force: true });
  await rejectsWith(s.driver.runContainer(wanted), 'CONTAINER_START_FAILED', /could not be started/);
  assert.equal((await s.driver.inventory()).containers.length, 0, 'the half-created container was removed');
});

test('security settings reach the engine as asked: capabilities, user, no-new-privileges, seccomp, read-only root, host PID/IPC', async (t) => {
  const s = await setup(t, 'sec-settings');
  const hardened = await s.driver.runContainer(
    spec(s, '1', {
      security: {
        capAdd: ['NET_BIND_SERVICE'],
        capDrop: ['ALL'],
        noNewPrivileges: true,
        readOnlyRootFilesystem: true,
        user: { uid: 1000, gid: 2000 },
        hostPID: true,
        hostIPC: true,
        seccompUnconfined: true,
      },
    }),
  );
  const plain = await s.driver.runContainer(spec(s, '2', {}));
  const h = await docker.getContainer(hardened.id).inspect();
  assert.deepEqual(h.HostConfig.CapAdd, ['NET_BIND_SERVICE']);
  assert.deepEqual(h.HostConfig.CapDrop, ['ALL']);
  for (const opt of ['no-new-privileges:true', 'seccomp=unconfined'])
    assert.ok(h.HostConfig.SecurityOpt?.includes(opt), `${opt} in ${JSON.stringify(h.HostConfig.SecurityOpt)}`);
  assert.equal(h.HostConfig.ReadonlyRootfs, true, 'read-only root');
  assert.equal(h.Config.User, '1000:2000', 'uid:gid');
  assert.equal(h.HostConfig.PidMode, 'host', 'host PID');
  assert.equal(h.HostConfig.IpcMode, 'host', 'host IPC');
  const n = await docker.getContainer(plain.id).inspect();
  assert.equal(n.HostConfig.Privileged, false, 'an ordinary container is not privileged');
  assert.equal(n.Config.User, '', 'and runs as the image user');
  assert.equal(n.HostConfig.SecurityOpt, null, 'with no security options');
  assert.notEqual(n.HostConfig.PidMode, 'host', 'nor the host PID namespace');
});

test('runAsNonRoot: refused for an image that runs as root, fine with a non-zero runAsUser', async (t) => {
  const s = await setup(t, 'sec-nonroot');
  await rejectsWith(
    s.driver.runContainer(spec(s, '0', { security: { runAsNonRoot: true } })),
    'CONTAINER_START_FAILED',
    /runAsNonRoot is set but image busybox:1\.36 runs as root/,
  );
  await rejectsWith(s.driver.runContainer(spec(s, '1', { security: { runAsNonRoot: true, user: { uid: 0 } } })), 'CONTAINER_START_FAILED', /runAsUser is 0/);
  assert.equal((await s.driver.inventory()).containers.length, 0, 'nothing was created');
  const ok = await s.driver.runContainer(spec(s, '2', { command: ['sh', '-c', 'id -u; sleep 3600'], security: { runAsNonRoot: true, user: { uid: 1000 } } }));
  await eventually(async () => assert.equal((await logsOf(ok.id)).trim(), '1000', 'runs as uid 1000'), { timeoutMs: 10_000, what: 'id -u' });
});

test('hostPath: a file written in the container appears on the host; types are checked; no path through a symlink', async (t) => {
  const s = await setup(t, 'sec-hostpath');
  const data = join(s.hostDir, 'data');
  const replica = await s.driver.runContainer(
    spec(s, '0', {
      command: ['sh', '-c', 'echo written-in-the-container > /data/out.txt && sleep 3600'],
      mounts: [{ kind: 'bind', source: data, target: '/data', readOnly: false, type: 'DirectoryOrCreate' }],
    }),
  );
  await eventually(async () => assert.equal(await readFile(join(data, 'out.txt'), 'utf8'), 'written-in-the-container\n'), {
    timeoutMs: 10_000,
    what: 'the file on the host',
  });
  const mounts = (await docker.getContainer(replica.id).inspect()).Mounts;
  assert.deepEqual(
    mounts.map((m) => [m.Type, m.Source, m.Destination, m.RW]),
    [['bind', data, '/data', true]],
  );

  // a subPath, read-only
  await mkdir(join(data, 'sub'));
  await writeFile(join(data, 'sub', 'in.txt'), 'from-the-host\n');
  const ro = await s.driver.runContainer(
    spec(s, '1', {
      command: ['sh', '-c', 'cat /in/in.txt; touch /in/x 2>/dev/null && echo writable || echo read-only; sleep 3600'],
      mounts: [{ kind: 'bind', source: data, subPath: 'sub', target: '/in', readOnly: true, type: 'Directory' }],
    }),
  );
  await eventually(async () => assert.equal(await logsOf(ro.id), 'from-the-host\nread-only\n'), { timeoutMs: 10_000, what: 'subPath read-only' });

  // types that must exist, and symlinks
  await rejectsWith(
    s.driver.runContainer(spec(s, '2', { mounts: [{ kind: 'bind', source: join(s.hostDir, 'missing'), target: '/m', readOnly: false, type: 'Directory' }] })),
    'CONTAINER_START_FAILED',
    /nothing exists there \(type Directory needs a folder\)/,
  );
  await rejectsWith(
    s.driver.runContainer(spec(s, '3', { mounts: [{ kind: 'bind', source: join(data, 'out.txt'), target: '/m', readOnly: false, type: 'Directory' }] })),
    'CONTAINER_START_FAILED',
    /is not a folder/,
  );
  await symlink('/var/run', join(s.hostDir, 'link'));
  await rejectsWith(
    s.driver.runContainer(
      spec(s, '4', { mounts: [{ kind: 'bind', source: join(s.hostDir, 'link', 'docker.sock'), target: '/s', readOnly: false, type: 'Socket' }] }),
    ),
    'CONTAINER_START_FAILED',
    /goes through a symlink/,
  );
  await rejectsWith(
    s.driver.runContainer(
      spec(s, '5', { mounts: [{ kind: 'bind', source: join(s.hostDir, 'link', 'new'), target: '/s', readOnly: false, type: 'DirectoryOrCreate' }] }),
    ),
    'CONTAINER_START_FAILED',
    /goes through a symlink/,
  );
  assert.equal(await exists('/run/new'), false, 'nothing was created through the link');
  const names = (await s.driver.inventory()).containers.map((c) => c.name).sort();
  assert.deepEqual(names, [s.scope.name('web.abc123.0'), s.scope.name('web.abc123.1')], 'refused replicas left nothing behind');
});

test('emptyDir: a private tmpfs, writable by any user', async (t) => {
  const s = await setup(t, 'sec-emptydir');
  const replica = await s.driver.runContainer(
    spec(s, '0', {
      command: ['sh', '-c', 'echo ok > /scratch/f && cat /scratch/f; sleep 3600'],
      security: { user: { uid: 1234 } },
      mounts: [{ kind: 'tmpfs', target: '/scratch', readOnly: false, sizeBytes: 8 * 1024 * 1024 }],
    }),
  );
  await eventually(async () => assert.equal(await logsOf(replica.id), 'ok\n'), { timeoutMs: 10_000, what: 'written by uid 1234' });
  const info = await docker.getContainer(replica.id).inspect();
  assert.deepEqual(
    info.Mounts.map((m) => [m.Type, m.Destination]),
    [['tmpfs', '/scratch']],
  );
});

test('secret volume files: the container reads them; on the host they sit in a private folder that goes with the container', async (t) => {
  const s = await setup(t, 'sec-files');
  const replica = await s.driver.runContainer(
    spec(s, '0', {
      command: ['sh', '-c', 'cat /etc/creds/password; echo; cat /etc/creds/nested/token; echo; stat -c %a /etc/creds/password; cat /etc/one; echo; sleep 3600'],
      security: { user: { uid: 1000 } },
      mounts: [
        {
          kind: 'files',
          volume: 'creds',
          target: '/etc/creds',
          files: [
            { path: 'password', value: CANARY, mode: 0o444 },
            { path: 'nested/token', value: 'tok', mode: 0o644 },
          ],
        },
        { kind: 'files', volume: 'one', target: '/etc/one', subPath: 'password', files: [{ path: 'password', value: 'single', mode: 0o444 }] },
      ],
    }),
  );
  await eventually(async () => assert.equal(await logsOf(replica.id), `${CANARY}\ntok\n444\nsingle\n`), {
    timeoutMs: 10_000,
    what: 'the files, read by uid 1000',
  });
  const info = await docker.getContainer(replica.id).inspect();
  assert.ok(
    info.Mounts.every((m) => m.Type === 'bind' && m.RW === false),
    `read-only binds: ${JSON.stringify(info.Mounts)}`,
  );
  const containerDir = join(s.filesDir, s.scope.instance, replica.name);
  const creations = await readdir(containerDir);
  assert.equal(creations.length, 1, `one creation folder: ${creations.join(', ')}`);
  const creation = join(containerDir, creations[0]!);
  for (const dir of [s.filesDir, join(s.filesDir, s.scope.instance), containerDir, creation])
    assert.equal((await stat(dir)).mode & 0o777, 0o700, `${dir} is private to berth's user`);
  assert.equal((await stat(join(creation, 'creds'))).mode & 0o777, 0o755, 'the volume folder can be entered by the container user');
  assert.equal((await stat(join(creation, 'creds', 'password'))).mode & 0o777, 0o444, 'the file has its mode');

  // A second creation under the same name (a clash) neither touches these files nor leaves its own.
  await rejectsWith(
    s.driver.runContainer(
      spec(s, '0', { mounts: [{ kind: 'files', volume: 'creds', target: '/etc/creds', files: [{ path: 'password', value: 'other', mode: 0o444 }] }] }),
    ),
    'ENGINE_CONFLICT',
    /already in use/,
  );
  assert.deepEqual(await readdir(containerDir), creations, "only the running container's files");
  assert.equal(await readFile(join(creation, 'creds', 'password'), 'utf8'), CANARY, 'untouched');
  // the container cannot write them
  const write = await s.driver.exec(replica.id, ['sh', '-c', 'echo x > /etc/creds/password'], 5_000);
  assert.notEqual(write.exitCode, 0, 'read-only');

  await s.driver.removeContainer(replica.id, 1);
  assert.equal(await exists(containerDir), false, 'removed with the container');
});

test("secret volume files of a container removed behind berth's back are swept by a full inventory once they are old", async (t) => {
  const s = await setup(t, 'sec-sweep');
  const replica = await s.driver.runContainer(
    spec(s, '0', { mounts: [{ kind: 'files', volume: 'creds', target: '/etc/creds', files: [{ path: 'password', value: CANARY, mode: 0o400 }] }] }),
  );
  const dir = join(s.filesDir, s.scope.instance, replica.name);
  assert.equal(await exists(dir), true, 'written');
  await s.driver.inventory({ namespace: 'sec' });
  assert.equal(await exists(dir), true, 'kept while the container exists');
  await docker.getContainer(replica.id).remove({ force: true });
  await s.driver.inventory();
  assert.equal(await exists(dir), true, 'young files are kept (another berth process may be creating their container)');
  const old = new Date(Date.now() - SWEEP_GRACE_MS - 60_000);
  await utimes(dir, old, old);
  await s.driver.inventory();
  assert.deepEqual(await readdir(join(s.filesDir, s.scope.instance)), [], 'swept');
});

test('hostNetwork: the host network, no namespace network; inventory reports the ports on 127.0.0.1', async (t) => {
  const s = await setup(t, 'sec-hostnet');
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const replica = await s.driver.runContainer(
    spec(s, '0', { command: ['httpd', '-f', '-p', String(port)], ports: [{ containerPort: port, protocol: 'tcp' }], security: { hostNetwork: true } }),
  );
  const info = await docker.getContainer(replica.id).inspect();
  assert.equal(info.HostConfig.NetworkMode, 'host');
  assert.deepEqual(Object.keys(info.NetworkSettings.Networks), ['host'], 'not on the namespace network');
  const listed = (await s.driver.inventory()).containers.find((c) => c.id === replica.id);
  assert.deepEqual(listed?.ports, [{ containerPort: port, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: port }]);
});

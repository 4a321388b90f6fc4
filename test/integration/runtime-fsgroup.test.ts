/**
 * The Docker driver and a pod's fsGroup, against the real engine: the volumes berth creates
 * (a tmpfs emptyDir, written files — text and binary — mounted whole and through a subPath) are
 * owned by the group and readable through it by a non-root user whose own uid cannot read them,
 * the group is a supplementary group of the process, and a hostPath is never changed. Without
 * fsGroup nothing of this happens (the same files stay root-owned and unreadable for that user).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { LABEL, type ContainerSpec, type RuntimeDriver } from '../../src/runtime/index.js';
import { createDockerDriver } from '../../src/runtime/docker/index.js';
import { dockerScope, TEST_IMAGE, type DockerScope } from '../helpers/docker-scope.js';
import { execOutput } from '../helpers/world.js';

interface Setup {
  readonly scope: DockerScope;
  readonly driver: RuntimeDriver;
  readonly hostDir: string;
  readonly network: string;
}

async function setup(t: TestContext): Promise<Setup> {
  const scope = dockerScope('fsgroup');
  const filesDir = await mkdtemp(join(tmpdir(), 'berth-files-'));
  const hostDir = await mkdtemp(join(tmpdir(), 'berth-hostpath-'));
  t.after(async () => {
    await scope.cleanup();
    await rm(filesDir, { recursive: true, force: true });
    await rm(hostDir, { recursive: true, force: true });
  });
  const driver = createDockerDriver({ socketPath: scope.socketPath, instance: scope.instance, filesDir, clock: { now: () => new Date() } });
  const network = scope.name('net');
  await driver.ensureNetwork({ name: network, labels: scope.labels({ [LABEL.namespace]: 'cfg' }) });
  return { scope, driver, hostDir, network };
}

/** uid:gid 1000:1000 (not root's group: docker's default gid is 0) with the given fsGroup; a tmpfs, a configMap-like files volume (whole and one file by subPath) and a hostPath. */
function spec(s: Setup, suffix: string, fsGroup: number | undefined): ContainerSpec {
  const files = [
    { path: 'app.conf', value: 'listen 80;\n', mode: 0o440 },
    { path: 'img/logo.bin', value: Buffer.from([0, 1, 0xfe, 0xff]).toString('base64'), mode: 0o400, base64: true as const },
  ];
  return {
    name: s.scope.name(`web.abc123.${suffix}`),
    image: TEST_IMAGE,
    command: ['sleep', '3600'],
    env: [],
    ports: [],
    labels: s.scope.labels({
      [LABEL.namespace]: 'cfg',
      [LABEL.kind]: 'Deployment',
      [LABEL.name]: 'web',
      [LABEL.revision]: 'abc123',
      [LABEL.commit]: '0123456789abcdef',
      [LABEL.replica]: suffix,
    }),
    network: s.network,
    networkAliases: ['web'],
    stopGraceSeconds: 1,
    security: { user: { uid: 1000, gid: 1000 }, ...(fsGroup !== undefined ? { fsGroup } : {}) },
    mounts: [
      { kind: 'tmpfs', target: '/scratch', readOnly: false, sizeBytes: 8 * 1024 * 1024 },
      { kind: 'files', volume: 'config', target: '/etc/app', files },
      { kind: 'files', volume: 'config', target: '/etc/app.conf', subPath: 'app.conf', files },
      { kind: 'bind', source: s.hostDir, target: '/host', readOnly: true, type: 'Directory' },
    ],
  };
}

async function sh(id: string, script: string): Promise<{ exitCode: number; out: string }> {
  const r = await execOutput(id, ['sh', '-c', script]);
  return { exitCode: r.exitCode, out: r.stdout.trim() };
}

test('fsGroup: berth-made volumes belong to the group, the process has it, a hostPath is untouched', async (t) => {
  const s = await setup(t);
  const hostBefore = await stat(s.hostDir);
  const c = await s.driver.runContainer(spec(s, '1', 4321));
  assert.match((await sh(c.id, 'id -G')).out, /\b4321\b/, 'a supplementary group of the process');
  assert.deepEqual(await sh(c.id, 'stat -c "%g %a" /scratch'), { exitCode: 0, out: '4321 3777' }, 'the tmpfs: group-owned, setgid, writable by all, sticky');
  assert.deepEqual(await sh(c.id, 'touch /scratch/f && stat -c %g /scratch/f'), { exitCode: 0, out: '4321' }, 'new files inherit the group (setgid)');
  assert.deepEqual(
    await sh(c.id, 'stat -c "%g %a" /etc/app/app.conf /etc/app/img/logo.bin /etc/app/img'),
    { exitCode: 0, out: '4321 440\n4321 440\n4321 2755' },
    'files mode | 0440, folders setgid',
  );
  assert.deepEqual(
    await sh(c.id, 'cat /etc/app/app.conf /etc/app.conf'),
    { exitCode: 0, out: 'listen 80;\nlisten 80;' },
    'readable by uid 1000 only through the group; the subPath mount too',
  );
  assert.deepEqual(await sh(c.id, 'od -An -tx1 /etc/app/img/logo.bin | tr -d " \\n"'), { exitCode: 0, out: '0001feff' }, 'base64 content written as bytes');
  assert.notEqual((await sh(c.id, 'echo x > /etc/app/app.conf')).exitCode, 0, 'read-only');
  const hostAfter = await stat(s.hostDir);
  assert.deepEqual([hostAfter.gid, hostAfter.mode], [hostBefore.gid, hostBefore.mode], 'the hostPath keeps its group and mode');
});

test('without fsGroup: the same files are not readable by a user who is not their owner', async (t) => {
  const s = await setup(t);
  const c = await s.driver.runContainer(spec(s, '2', undefined));
  assert.doesNotMatch((await sh(c.id, 'id -G')).out, /\b4321\b/);
  assert.equal((await sh(c.id, 'stat -c %a /scratch')).out, '1777');
  assert.notEqual((await sh(c.id, 'cat /etc/app/app.conf')).exitCode, 0, '0440 root:root is unreadable for uid 1000');
});

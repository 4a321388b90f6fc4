/**
 * PersistentVolumeClaims end to end: a claim becomes a labelled Docker volume; a file written
 * into it survives a rolling update, a failed rollout rolled back, `docker rm -f` of the replica
 * and a berth restart (with the replica removed while berth was down); removing the claim from Git keeps the volume, reported
 * orphaned in status and the API, until `berth volume delete` removes it (refused while a
 * container uses it); a commit trailer `Berth-Confirm-Volume-Delete: NS/NAME` deletes one too.
 * Native `git push` to a real Git HTTP server, the real `berth run`, the real engine; the
 * assertions read the engine, the containers' files and the state directory.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBerth, startBerth, type BerthDaemon, daemonFlags, tearDown } from '../helpers/berth-cli.js';
import { dockerClient, dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { tmpRepo, type TmpRepo } from '../helpers/tmp-repo.js';
import { freePort } from '../helpers/webhook-hook.js';
import { execOutput, ownedContainers } from '../helpers/world.js';

const TOKEN = 'api-token-e2e-volumes-5b1f07aa';
const YEARLY = '0 0 0 1 1 *';

function claimYaml(name: string, storage = '1Gi'): string {
  return `apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: ${name}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: ${storage}\n`;
}

/**
 * Deployment app (one replica, no surge: one writer at a time) mounting each claim at /<claim>.
 * `broken`: a readiness probe that never passes, so the rollout fails at its 6 s deadline. A
 * revision meant to succeed gets 120 s: a short deadline races a slow engine on a loaded CI.
 */
function appYaml(version: string, claims: readonly string[], broken = false): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: app',
    'spec:',
    '  replicas: 1',
    `  progressDeadlineSeconds: ${broken ? 6 : 120}`,
    '  selector:',
    '    matchLabels: { app: app }',
    '  strategy:',
    '    rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }',
    '  template:',
    '    metadata:',
    '      labels: { app: app }',
    '    spec:',
    '      terminationGracePeriodSeconds: 2',
    '      containers:',
    '        - name: app',
    '          image: busybox:1.36',
    '          command: ["sleep", "3600"]',
    '          env:',
    `            - { name: VERSION, value: "${version}" }`,
    ...(broken ? ['          readinessProbe:', '            exec: { command: ["false"] }', '            periodSeconds: 1'] : []),
    '          volumeMounts:',
    ...claims.map((c) => `            - { name: ${c}, mountPath: /${c} }`),
    '      volumes:',
    ...claims.map((c) => `        - name: ${c}\n          persistentVolumeClaim: { claimName: ${c} }`),
    '',
  ].join('\n');
}

describe('PersistentVolumeClaims: data survives, removal waits for a confirmation', { timeout: 300_000 }, () => {
  const scope = dockerScope('e2e-volumes');
  const docker = dockerClient();
  const volume = (claim: string) => `${scope.instance}.data.${claim}`;
  let repo: TmpRepo;
  let stateDir: string;
  let berth: BerthDaemon;
  let api: string;
  let args: string[];

  const status = async () => JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8'));
  const replica = async () => {
    const running = (await ownedContainers(scope.instance)).filter((r) => r.deployment === 'app' && r.state === 'running');
    assert.equal(running.length, 1, `one running replica of app, got ${running.map((r) => r.name).join(', ') || 'none'}`);
    return running[0]!;
  };
  // Claims' volumes (the instance's claim on the engine is a volume of its own: berth.kind=InstanceClaim).
  const volumes = async () =>
    ((await docker.listVolumes({ filters: { label: [`berth.instance=${scope.instance}`, 'berth.kind=PersistentVolumeClaim'] } })).Volumes ?? [])
      .map((v) => v.Name)
      .sort();
  const read = async (id: string, path: string) => (await execOutput(id, ['cat', path])).stdout.trim();
  const pushAndSync = async () => {
    await repo.push();
    const r = await fetch(`${api}/api/v1/sync`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(r.status, 202, 'sync accepted');
  };

  before(async () => {
    repo = await tmpRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-volumes-state-'));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    await repo.write('manifests/data/store.yaml', claimYaml('store'));
    await repo.write('manifests/data/scratch.yaml', claimYaml('scratch', '64Mi'));
    await repo.write('manifests/data/app.yaml', appYaml('1', ['store', 'scratch']));
    await repo.write('manifests/keep/box.yaml', claimYaml('box'));
    await repo.commit('app with two claims; a namespace holding only a claim');
    await repo.push();
    args = [...daemonFlags({ repo: repo.url, ref: 'main', stateDir, instance: scope.instance, poll: YEARLY, listen: `127.0.0.1:${port}` })];
    berth = startBerth(args, { env: { BERTH_API_TOKEN: TOKEN } });
  });

  after(() => tearDown({ berth, name: 'persistent-volumes', stateDir, scope, repos: [repo] }));

  it("creates each claim's volume, labelled as berth's, and mounts it; a file is written into it", async () => {
    const r = await eventually(replica, { timeoutMs: 60_000, what: 'app running' });
    assert.deepEqual(await volumes(), [volume('scratch'), volume('store'), `${scope.instance}.keep.box`]);
    const info = await docker.getVolume(volume('store')).inspect();
    assert.equal(info.Driver, 'local');
    assert.deepEqual(Object.fromEntries(Object.entries(info.Labels ?? {}).filter(([k]) => k.startsWith('berth.'))), {
      'berth.managed': 'true',
      'berth.instance': scope.instance,
      'berth.namespace': 'data',
      'berth.kind': 'PersistentVolumeClaim',
      'berth.name': 'store',
      'berth.storage': '1Gi',
      'berth.access-modes': 'ReadWriteOnce',
    });
    const mounted = (await docker.getContainer(r.id).inspect()).Mounts.filter((m) => m.Type === 'volume')
      .map((m) => `${m.Name}:${m.Destination}:${m.RW ? 'rw' : 'ro'}`)
      .sort();
    assert.deepEqual(mounted, [`${volume('scratch')}:/scratch:rw`, `${volume('store')}:/store:rw`]);
    assert.equal((await execOutput(r.id, ['sh', '-c', 'echo kept > /store/file && echo tmp > /scratch/file'])).exitCode, 0);
    await eventually(
      async () =>
        assert.deepEqual(
          (await status()).namespaces.data?.volumes?.map((v: { name: string; phase: string }) => `${v.name}:${v.phase}`),
          ['scratch:Bound', 'store:Bound'],
        ),
      { what: 'volumes Bound in status' },
    );
  });

  it('the file survives a rolling update', async () => {
    const old = await replica();
    await repo.write('manifests/data/app.yaml', appYaml('2', ['store', 'scratch']));
    await repo.commit('app v2');
    await pushAndSync();
    const r = await eventually(
      async () => {
        const now = await replica();
        assert.notEqual(now.revision, old.revision, 'the new revision runs');
        return now;
      },
      { timeoutMs: 60_000, what: 'rolled to v2' },
    );
    assert.equal(await read(r.id, '/store/file'), 'kept');
  });

  it('the file survives a failed rollout that berth rolls back', async () => {
    const good = await replica();
    await repo.write('manifests/data/app.yaml', appYaml('bad', ['store', 'scratch'], true));
    await repo.commit('app that never gets ready');
    await pushAndSync();
    const r = await eventually(
      async () => {
        const app = (await status()).namespaces.data?.deployments?.find((d: { name: string }) => d.name === 'app');
        assert.equal(app?.phase, 'RolledBack');
        const now = await replica();
        assert.equal(now.revision, good.revision, 'the last good revision runs again');
        assert.notEqual(now.id, good.id, 'in a new container (maxSurge 0 removed the old one first)');
        return now;
      },
      { timeoutMs: 90_000, what: 'rolled back' },
    );
    assert.equal(await read(r.id, '/store/file'), 'kept');
  });

  it('the file survives docker rm -f of the replica', async () => {
    const old = await replica();
    await docker.getContainer(old.id).remove({ force: true });
    const r = await eventually(
      async () => {
        const now = await replica();
        assert.notEqual(now.id, old.id, 'a new container replaced the removed one');
        return now;
      },
      { timeoutMs: 60_000, what: 'replica recreated' },
    );
    assert.equal(await read(r.id, '/store/file'), 'kept');
  });

  it('the file survives a berth restart (the replica removed while berth was down); no second volume is made', async () => {
    await berth.stop();
    const old = await replica();
    await docker.getContainer(old.id).remove({ force: true });
    berth = startBerth(args, { env: { BERTH_API_TOKEN: TOKEN } });
    const r = await eventually(replica, { timeoutMs: 60_000, what: 'replica recreated by the restarted berth' });
    assert.equal(await read(r.id, '/store/file'), 'kept');
    assert.deepEqual(await volumes(), [volume('scratch'), volume('store'), `${scope.instance}.keep.box`]);
  });

  it('bad input: a volume naming a claim that does not exist is a located error, and the namespace keeps running as it is', async () => {
    const before = await replica();
    await repo.write('manifests/data/app.yaml', appYaml('typo', ['store', 'scratch']).replace('claimName: store', 'claimName: stroe'));
    const bad = await repo.commit('a typo in claimName');
    await pushAndSync();
    await eventually(
      async () => {
        const data = (await status()).namespaces.data;
        assert.equal(data?.lastAttemptedCommit, bad);
        assert.equal(data?.phase, 'Invalid');
        const d = data?.diagnostics?.find((x: { code: string }) => x.code === 'CLAIM_NOT_FOUND');
        assert.deepEqual([d?.file, d?.field], ['data/app.yaml', 'spec.template.spec.volumes[0].persistentVolumeClaim.claimName']);
      },
      { timeoutMs: 30_000, what: 'the bad commit reported' },
    );
    const after = await replica();
    assert.equal(after.id, before.id, 'the replica was not touched');
    assert.equal(await read(after.id, '/store/file'), 'kept');
    assert.deepEqual(await volumes(), [volume('scratch'), volume('store'), `${scope.instance}.keep.box`], 'no volume created or deleted');
  });

  it('removing the claim from Git keeps its volume, reported orphaned (status file, berth status, API)', async () => {
    await repo.remove('manifests/data/store.yaml');
    await repo.write('manifests/data/app.yaml', appYaml('3', ['scratch']));
    await repo.commit('drop the store claim');
    await pushAndSync();
    await eventually(
      async () => {
        const store = (await status()).namespaces.data?.volumes?.find((v: { name: string }) => v.name === 'store');
        assert.equal(store?.phase, 'Orphaned');
        assert.match(store?.message ?? '', /berth volume delete data\/store/);
        const r = await replica();
        assert.deepEqual(
          (await docker.getContainer(r.id).inspect()).Mounts.filter((m) => m.Type === 'volume').map((m) => m.Name),
          [volume('scratch')],
          'the new revision no longer mounts it',
        );
      },
      { timeoutMs: 60_000, what: 'store orphaned' },
    );
    assert.deepEqual(await volumes(), [volume('scratch'), volume('store'), `${scope.instance}.keep.box`], 'the volume is kept');
    const text = await runBerth(['status', '--state-dir', stateDir]);
    assert.match(text.stdout, new RegExp(`volume store: Orphaned, ${volume('store').replace(/\./g, '\\.')}`));
    const byApi = (await (await fetch(`${api}/api/v1/namespaces/data`)).json()) as { volumes?: { name: string; phase: string }[] };
    assert.deepEqual(
      byApi.volumes?.map((v) => `${v.name}:${v.phase}`),
      ['scratch:Bound', 'store:Orphaned'],
    );
  });

  it('berth volume delete refuses a volume a container uses, and deletes an orphaned one with its data', async () => {
    const refused = await runBerth(['volume', 'delete', 'data/scratch', '--instance', scope.instance]);
    assert.notEqual(refused.code, 0, refused.stdout);
    assert.match(refused.stderr, /volume .*scratch is still used by container/);
    assert.ok((await volumes()).includes(volume('scratch')), 'a volume in use is not deleted');
    const done = await runBerth(['volume', 'delete', 'data/store', '--instance', scope.instance]);
    assert.equal(done.code, 0, done.stderr);
    assert.deepEqual(await volumes(), [volume('scratch'), `${scope.instance}.keep.box`]);
    const again = await runBerth(['volume', 'delete', 'data/store', '--instance', scope.instance]);
    assert.notEqual(again.code, 0, 'nothing left to delete');
  });

  it('a commit with the trailer Berth-Confirm-Volume-Delete deletes the claim it removes; a namespace removed from Git keeps its volumes', async () => {
    await repo.remove('manifests/data/scratch.yaml');
    await repo.remove('manifests/keep');
    await repo.write('manifests/data/app.yaml', appYaml('4', []).replace('          volumeMounts:\n', '').replace('      volumes:\n', ''));
    await repo.commit('drop scratch\n\nBerth-Confirm-Volume-Delete: data/scratch');
    await pushAndSync();
    await eventually(async () => assert.deepEqual(await volumes(), [`${scope.instance}.keep.box`]), { timeoutMs: 60_000, what: 'scratch deleted' });
    await eventually(
      async () => {
        const s = await status();
        assert.deepEqual(s.namespaces.data?.volumes ?? [], []);
        assert.equal(s.namespaces.keep?.phase, 'Pruned');
        assert.deepEqual(
          s.namespaces.keep?.volumes?.map((v: { name: string; phase: string }) => `${v.name}:${v.phase}`),
          ['box:Orphaned'],
        );
      },
      { what: 'scratch gone from status; the removed namespace still reports its kept volume' },
    );
  });
});

/**
 * Issue #15: no manifest may take the daemon down. One `berth run` lives through a sequence of
 * hostile commits, one per class of defect found by adversarial testing. Each commit puts its
 * poison in namespace `bad` and changes namespace `good`; after each, the healthy namespace
 * converges on its new text, the daemon still answers /healthz, and `bad` is reported (a
 * located diagnostic, or a per-Deployment engine error) while nothing of it crashes anything.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerth, type BerthDaemon, daemonFlags, tearDown } from '../helpers/berth-cli.js';
import { dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml, serveCommand } from '../helpers/manifests.js';
import { tmpRepo, type TmpRepo } from '../helpers/tmp-repo.js';
import { freePort } from '../helpers/webhook-hook.js';
import { httpGet, ownedContainers } from '../helpers/world.js';

/** A hostile commit: files written into the `bad` namespace folder (the folder is emptied first). */
interface Hostile {
  readonly name: string;
  readonly files: Readonly<Record<string, string>>;
  /** What `bad` must report: a diagnostic code in its status, or a phase. */
  readonly expect: { readonly code?: string; readonly phase?: string; readonly messageIncludes?: string };
  /** Other folders to write (e.g. a namespace called `constructor`). */
  readonly folders?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** More to check once the commit is through. */
  readonly verify?: (ctx: { readonly api: string; readonly instance: string }) => Promise<void>;
}

const image = (ref: string): Hostile => ({
  name: `image ${JSON.stringify(ref)}`,
  files: { 'web.yaml': deploymentYaml({ name: 'web', image: JSON.stringify(ref), command: serveCommand('bad') }) },
  expect: { code: 'INVALID_IMAGE_REFERENCE' },
});

/** A case of the bad-input corpus (test/fixtures/bad-input/<name>/shop/*), committed as namespace `bad`. */
function fromCorpus(name: string): Hostile {
  const dir = new URL(`../fixtures/bad-input/${name}/`, import.meta.url);
  const spec = JSON.parse(readFileSync(new URL('case.json', dir), 'utf8')) as { diagnostics: { code: string }[] };
  const shop = new URL('shop/', dir);
  const files = Object.fromEntries(readdirSync(shop).map((f) => [f, readFileSync(new URL(f, shop), 'utf8')]));
  return { name: `corpus case ${name}`, files, expect: { code: spec.diagnostics[0]!.code } };
}

const HOSTILE: readonly Hostile[] = [
  image('../x'),
  image('/x'),
  image('%2e%2e/x'),
  image('x/../../containers/json'),
  image('busybox:1.36/../../../v1.40/containers/create'),
  image('Busybox:1.36'),
  image('app@sha256:bad'),
  image('app#1'),
  {
    // Valid everywhere but at the engine: no registry can be reached, so the pull fails — for this Deployment only.
    name: 'an image no registry serves',
    files: { 'web.yaml': deploymentYaml({ name: 'web', image: 'registry.berth.invalid/nothing/here:1', command: serveCommand('bad') }) },
    expect: { messageIncludes: 'IMAGE_PULL_FAILED' },
  },
  // Numbers past what the runtime holds (a probe timeout that overflowed Node's timer), two
  // hostPorts on one host, a surge beyond int32, and the parser's own guards.
  fromCorpus('probe-timeout-beyond-timers'),
  fromCorpus('termination-grace-beyond-timers'),
  fromCorpus('host-port-conflict'),
  fromCorpus('max-surge-beyond-int32'),
  fromCorpus('alias-bomb'),
  fromCorpus('recursive-alias'),
  // Values only the engine used to catch (and echo back into status): NUL bytes, a relative workingDir.
  fromCorpus('env-value-nul'),
  fromCorpus('command-nul'),
  fromCorpus('working-dir-relative'),
  fromCorpus('env-name-with-equals'),
  fromCorpus('ingress-timeout-annotations'),
  {
    // Names that are Object.prototype members: a namespace folder `constructor` once made the API
    // answer 200 with nothing, and 500 one level down. Here it must simply run, as any name.
    name: 'a namespace named constructor',
    files: { 'web.yaml': deploymentYaml({ name: 'web', image: 'app@sha256:bad', command: serveCommand('bad') }) },
    folders: { constructor: { 'valueof.yaml': deploymentYaml({ name: 'valueof', command: serveCommand('proto'), port: 8080 }) } },
    expect: { code: 'INVALID_IMAGE_REFERENCE' },
    verify: async ({ api, instance }) => {
      const running = (await ownedContainers(instance)).filter((r) => r.namespace === 'constructor' && r.state === 'running');
      assert.deepEqual(
        running.map((r) => r.deployment),
        ['valueof'],
        'namespace constructor runs its Deployment valueof',
      );
      const res = await fetch(`${api}/api/v1/namespaces/constructor`);
      assert.equal(res.status, 200, 'the API serves namespace constructor');
      assert.match(await res.text(), /valueof/);
    },
  },
];

describe('hostile commits: berth run survives each, the healthy namespace converges after each', { timeout: 600_000 }, () => {
  const scope = dockerScope('e2e-hostile');
  let repo: TmpRepo;
  let stateDir: string;
  let berth: BerthDaemon;
  let api: string;
  const good = (text: string) =>
    deploymentYaml({ name: 'web', replicas: 1, command: serveCommand(text), port: 8080, strategy: { maxSurge: 1, maxUnavailable: 0 } });
  const status = async () => JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8'));
  const alive = async () => {
    assert.equal(
      berth.child.exitCode,
      null,
      `berth run is still running (exit ${berth.child.exitCode}, signal ${berth.child.signalCode}); logs:\n${berth.logs().slice(-3000)}`,
    );
    const res = await fetch(`${api}/healthz`);
    assert.equal(res.status, 200, 'the API answers /healthz');
  };
  const goodServes = async (text: string) => {
    const running = (await ownedContainers(scope.instance)).filter((r) => r.namespace === 'good' && r.state === 'running');
    assert.equal(running.length, 1, `good runs one replica (${running.map((r) => r.name).join(', ')})`);
    assert.equal(await httpGet(running[0]!.hostPort!), text, 'good serves the new text');
  };

  before(async () => {
    repo = await tmpRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-hostile-'));
    api = `http://127.0.0.1:${await freePort()}`;
    await repo.write('manifests/good/web.yaml', good('good v0'));
    await repo.commit('v0');
    await repo.push();
    berth = startBerth([...daemonFlags({ repo: repo.url, stateDir, instance: scope.instance, poll: '*/1 * * * * *', listen: api.replace('http://', '') })]);
    await eventually(async () => goodServes('good v0'), { timeoutMs: 60_000, what: 'good serves v0' });
  });

  after(() => tearDown({ berth, name: 'hostile-commits', stateDir, scope, repos: [repo] }));

  HOSTILE.forEach((hostile, i) => {
    it(`survives ${hostile.name}`, async () => {
      await repo.remove('manifests/bad');
      for (const [file, text] of Object.entries(hostile.files)) await repo.write(`manifests/bad/${file}`, text);
      for (const [folder, files] of Object.entries(hostile.folders ?? {})) {
        for (const [file, text] of Object.entries(files)) await repo.write(`manifests/${folder}/${file}`, text);
      }
      const text = `good v${i + 1}`;
      await repo.write('manifests/good/web.yaml', good(text));
      const commit = await repo.commit(`hostile: ${hostile.name}`);
      await repo.push();
      await eventually(
        async () => {
          await alive();
          const s = await status();
          assert.equal(s.namespaces.good?.lastAppliedCommit, commit, 'good applied the hostile commit');
          await goodServes(text);
          const bad = s.namespaces.bad;
          assert.equal(bad?.lastAttemptedCommit, commit, 'bad was attempted at this commit');
          const reported = JSON.stringify(bad);
          if (hostile.expect.code)
            assert.ok(
              (bad.diagnostics as { code: string }[]).some((d) => d.code === hostile.expect.code),
              `bad reports ${hostile.expect.code}: ${reported}`,
            );
          if (hostile.expect.phase) assert.equal(bad.phase, hostile.expect.phase);
          if (hostile.expect.messageIncludes)
            assert.ok(reported.includes(hostile.expect.messageIncludes), `bad reports ${hostile.expect.messageIncludes}: ${reported}`);
          await hostile.verify?.({ api, instance: scope.instance });
        },
        { timeoutMs: 60_000, what: `good converges past "${hostile.name}"` },
      );
      await alive();
    });
  });
});

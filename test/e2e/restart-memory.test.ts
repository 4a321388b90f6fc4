/**
 * What a restarted berth must remember lives on the engine (restart labels) and in the store
 * (pins, history), never only in its memory (DESIGN.md §2). The real `berth run`, SIGKILLed
 * and started again on the same state directory, on a real engine: a crash-looping revision
 * killed mid-count continues its count (CrashLoop after the same single restart, not a
 * fresh one), and the rollback decided before a kill is still the target after it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBerth, startBerth, type BerthDaemon, daemonFlags } from '../helpers/berth-cli.js';
import { stopDataPlane } from '../helpers/data-plane.js';
import { dockerClient, dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml, webCommand } from '../helpers/manifests.js';
import { tmpRepo, type TmpRepo } from '../helpers/tmp-repo.js';
import { ownedContainers } from '../helpers/world.js';

/** The log lines (JSON) in which a berth made a container for `deployment`. */
function creations(logs: string, deployment: string): string[] {
  return logs
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; deployment?: string })
    .filter((l) => l.deployment === deployment && (l.msg === 'creating replica' || l.msg === 'restarting replica'))
    .map((l) => l.msg ?? '');
}

describe('a restarted berth continues where the last one was', { timeout: 600_000 }, () => {
  const scope = dockerScope('e2e-restart-memory');
  const NS = 'mem';
  let repo: TmpRepo;
  let stateDir: string;
  const daemons: BerthDaemon[] = [];
  const start = () => {
    const d = startBerth([
      ...daemonFlags({ repo: repo.url, stateDir, instance: scope.instance, poll: '*/1 * * * * *', listen: '127.0.0.1:0' }),
      '--ingress-listen',
      '127.0.0.1:0',
      '--log-level',
      'debug',
    ]);
    daemons.push(d);
    return d;
  };
  const cli = (args: string[]) => runBerth([...args, '--state-dir', stateDir, '--repo', repo.url, '--path', 'manifests']);
  const web = (command: string[]) =>
    deploymentYaml({
      name: 'web',
      replicas: 1,
      command,
      port: 8080,
      strategy: { maxSurge: 1, maxUnavailable: 0 },
      readinessProbe: { path: '/', port: 8080, periodSeconds: 1 },
      progressDeadlineSeconds: 120,
    });
  const webReplicas = async () => (await ownedContainers(scope.instance)).filter((r) => r.deployment === 'web');
  /** Containers of this test's instance carrying restart label `berth.restarts=n`. */
  const restartedAs = async (n: number) =>
    dockerClient().listContainers({ all: true, filters: { label: [`berth.instance=${scope.instance}`, `berth.restarts=${n}`] } });

  before(async () => {
    repo = await tmpRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-restart-memory-'));
    await repo.write(`manifests/${NS}/web.yaml`, web(webCommand('v1')));
    await repo.commit('v1');
    await repo.push();
  });

  after(async () => {
    for (const d of daemons) await d.stop();
    if (process.env.BERTH_TEST_LOGS) await writeFile(join(process.env.BERTH_TEST_LOGS, 'restart-memory.log'), daemons.map((d) => d.logs()).join('\n'));
    await stopDataPlane(stateDir);
    await scope.cleanup();
    await repo?.cleanup();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('a crash loop killed after its first restart: the restarted berth calls CrashLoop on the next exit (no second restart) and rolls back; after another kill the rollback is still the target', async () => {
    let berth = start();
    const v1 = await cli(['rollout', 'status', `${NS}/web`, '--timeout', '120']);
    assert.equal(v1.code, 0, `v1 rolls out: ${v1.stdout}${v1.stderr}`);
    const good = (await webReplicas())[0]!.revision;

    // v2 exits 3 s after it starts and never gets ready: exit → restarted at once (berth.restarts=1).
    await repo.write(`manifests/${NS}/web.yaml`, web(['sh', '-c', 'sleep 3; exit 3']));
    await repo.commit('v2: crashes after 3 s');
    await repo.push();
    const [first] = await eventually(
      async () => {
        const seen = await restartedAs(1);
        assert.equal(seen.length, 1, 'the restarted v2 replica exists');
        // Started, not only created: a kill between berth's create and start would leave a
        // container that never runs, so never exits (a race CI found in this test).
        assert.notEqual(seen[0]!.State, 'created', 'the restarted v2 replica was started');
        return seen;
      },
      { timeoutMs: 60_000, intervalMs: 50, what: 'the first restart of v2' },
    );
    await berth.kill();
    // While berth is dead the restarted replica exits again: only the label remembers it was a restart.
    await eventually(async () => assert.equal((await dockerClient().getContainer(first!.Id).inspect()).State.Status, 'exited'), {
      timeoutMs: 30_000,
      what: 'the restarted replica exits',
    });

    berth = start();
    const check = await cli(['rollout', 'status', `${NS}/web`, '--timeout', '120']);
    assert.equal(check.code, 3, `rollout status exits 3: ${check.stdout}${check.stderr}`);
    assert.match(check.stdout, /CrashLoop/);
    await eventually(
      async () => {
        const seen = await webReplicas();
        assert.deepEqual(
          seen.map((r) => `${r.revision}.${r.replica}:${r.state}`),
          [`${good}.0:running`],
          'web runs v1 only',
        );
      },
      { timeoutMs: 60_000, what: 'rolled back to v1' },
    );
    assert.deepEqual(creations(berth.logs(), 'web'), [], 'the restarted berth made no web container: it counted the restart made before the kill');
    assert.equal((await restartedAs(2)).length, 0, 'no second restart of v2');
    const history = await cli(['history', `${NS}/web`, '-o', 'json']);
    assert.match(history.stdout, /CrashLoop/, `history records the failure: ${history.stdout}`);

    // A rollback decided before a kill is still the target after it: a commit that touches
    // another Deployment is applied by the next berth, web stays on v1 and v2 is not retried.
    await berth.kill();
    await repo.write(`manifests/${NS}/other.yaml`, deploymentYaml({ name: 'other', command: webCommand('other'), port: 8080 }));
    await repo.commit('other: an unrelated Deployment');
    await repo.push();
    berth = start();
    await eventually(
      async () =>
        assert.deepEqual((await ownedContainers(scope.instance)).filter((r) => r.deployment === 'other' && r.state === 'running').length, 1, 'other runs'),
      { timeoutMs: 60_000, what: 'other runs' },
    );
    const after = await cli(['rollout', 'status', `${NS}/web`, '--timeout', '60']);
    assert.doesNotMatch(after.stdout, /successfully rolled out \(revision (?!${good})/, `web is not reported on another revision: ${after.stdout}`);
    assert.deepEqual(
      (await webReplicas()).map((r) => `${r.revision}:${r.state}`),
      [`${good}:running`],
      'web still runs v1 only',
    );
    assert.deepEqual(creations(berth.logs(), 'web'), [], 'the third berth made no web container: v2 is not retried');
  });
});

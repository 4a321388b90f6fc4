/**
 * `berth logs` (issue 13, item 3) on a real engine beside a real `berth run`: every replica's
 * lines with a pod/container prefix, stdout and stderr kept apart, --tail, -c, --revision and
 * --previous, and `-f` following a rollout onto the new replicas until it is interrupted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BERTH_BIN, daemonFlags, runBerth, startBerth, stopAndKeepLogs, type BerthDaemon } from '../helpers/berth-cli.js';
import { dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml } from '../helpers/manifests.js';
import { freePort } from '../helpers/webhook-hook.js';
import { localRepo, type LocalRepo } from '../helpers/tmp-repo.js';
import { ownedContainers } from '../helpers/world.js';

const talk = (version: string) =>
  deploymentYaml({
    name: 'talk',
    replicas: 2,
    command: ['sh', '-c', `echo "hello ${version}"; echo "oops ${version}" >&2; i=0; while true; do i=$((i+1)); echo "tick ${version} $i"; sleep 0.5; done`],
    strategy: { maxSurge: 2, maxUnavailable: 0 },
  });
const crash = deploymentYaml({ name: 'crash', command: ['sh', '-c', 'echo "crash at $(date +%s)"; exit 1'] });

describe('berth logs', { timeout: 300_000 }, () => {
  const scope = dockerScope('e2e-logs');
  let repo: LocalRepo;
  let stateDir: string;
  let berth: BerthDaemon | undefined;
  const children: ReturnType<typeof spawn>[] = [];
  const source = (): string[] => ['--repo', repo.dir, '--path', 'manifests', '--instance', scope.instance, '--state-dir', stateDir];
  const logs = (...args: string[]) => runBerth(['logs', ...args, ...source()]);
  const revisionOf = async (name: string) => (await ownedContainers(scope.instance)).find((c) => c.deployment === name && c.state === 'running')?.revision;

  before(async () => {
    repo = await localRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-logs-'));
    await repo.write('manifests/shop/talk.yaml', talk('v1'));
    await repo.write('manifests/shop/crash.yaml', crash);
    await repo.commit('talk v1');
    berth = startBerth(daemonFlags({ repo: repo.dir, stateDir, instance: scope.instance, poll: '*/1 * * * * *', listen: `127.0.0.1:${await freePort()}` }));
    const r = await runBerth(['rollout', 'status', 'shop/talk', ...source(), '--timeout', '120']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await stopAndKeepLogs(berth, 'logs');
    await scope.cleanup();
    await repo?.cleanup();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('every replica, each line prefixed pod/container; stderr to stderr', async () => {
    const rev = await revisionOf('talk');
    const r = await eventually(
      async () => {
        const r = await logs('shop/talk');
        assert.equal(r.code, 0, r.stderr);
        for (const n of [0, 1]) assert.match(r.stdout, new RegExp(`^talk-${rev}-${n}/talk hello v1$`, 'm'));
        return r;
      },
      { timeoutMs: 30_000, what: 'both replicas said hello' },
    );
    assert.doesNotMatch(r.stdout, /oops/);
    for (const n of [0, 1]) assert.match(r.stderr, new RegExp(`^talk-${rev}-${n}/talk oops v1$`, 'm'));
    assert.ok(
      r.stdout.split('\n').every((l) => l === '' || /^talk-\w+-\d\/talk (hello|tick) v1/.test(l)),
      'every line prefixed',
    );
    assert.doesNotMatch(r.stdout, /\u001b\[/, 'no colour in a pipe');
  });

  it('--tail 1: one line per container; --timestamps; -c and --revision select, unknown ones say what there is', async () => {
    const rev = (await revisionOf('talk'))!;
    const tail = await logs('shop/talk', '--tail', '1');
    assert.equal(tail.code, 0);
    assert.equal(tail.stdout.trim().split('\n').length, 2, tail.stdout);
    const stamped = await logs('shop/talk', '--tail', '1', '--timestamps');
    assert.match(stamped.stdout, /^talk-\w+-\d\/talk \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z tick v1 \d+$/m);
    assert.equal((await logs('shop/talk', '-c', 'talk', '--revision', rev.slice(0, 6), '--tail', '1')).code, 0);
    const noContainer = await logs('shop/talk', '-c', 'sidecar');
    assert.equal(noContainer.code, 3);
    assert.match(noContainer.stderr, /has no container "sidecar"; its containers: talk/);
    const noRevision = await logs('shop/talk', '--revision', 'ffffffff');
    assert.equal(noRevision.code, 3);
    assert.match(noRevision.stderr, new RegExp(`no replicas of revision ffffffff \\(revisions on the engine: ${rev}\\)`));
    const bad = await logs('shop/talk', '--since', 'yesterday');
    assert.equal(bad.code, 4);
    assert.match(bad.stderr, /neither a duration nor a time/);
    const missing = await logs('shop/nothing');
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /Deployment shop\/nothing has no replicas on the engine/);
  });

  it('--previous: the replica container that exited last', async () => {
    const r = await eventually(
      async () => {
        const r = await logs('shop/crash', '--previous');
        assert.equal(r.code, 0, r.stderr);
        return r;
      },
      { timeoutMs: 60_000, what: 'an exited crash container' },
    );
    assert.match(r.stdout, /^crash-\w+-0\/crash crash at \d+$/m);
    const none = await logs('shop/talk', '--previous');
    assert.equal(none.code, 3);
    assert.match(none.stderr, /no exited replica container/);
  });

  it('-f follows the replicas a rollout creates, from their first line, until interrupted', async () => {
    const child = spawn(process.execPath, [BERTH_BIN, 'logs', 'shop/talk', '-f', '--tail', '0', ...source()], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await eventually(() => assert.match(out, /tick v1/), { timeoutMs: 30_000, what: 'following v1' });
    await repo.write('manifests/shop/talk.yaml', talk('v2'));
    await repo.commit('talk v2');
    await eventually(
      () => {
        const hellos = out.match(/^talk-\w+-\d\/talk hello v2$/gm) ?? [];
        assert.equal(hellos.length, 2, out.slice(-2000));
      },
      { timeoutMs: 90_000, what: 'both new replicas followed from their first line' },
    );
    const v2 = await eventually(async () => {
      const rev = (await ownedContainers(scope.instance)).filter((c) => c.deployment === 'talk' && c.state === 'running');
      assert.equal(new Set(rev.map((c) => c.revision)).size, 1);
      return rev[0]!.revision;
    });
    assert.match(out, new RegExp(`^talk-${v2}-\\d/talk hello v2$`, 'm'));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});

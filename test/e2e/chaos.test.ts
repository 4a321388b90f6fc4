/**
 * Chaos: each case breaks something under a running `berth run` (the real CLI, polling a real
 * Git HTTP server every second, on the real Docker engine) and then checks the state of the
 * world: the right containers running, one revision per Deployment, one container per replica
 * slot, nothing exited or half-created left behind, no stray networks, the state directory
 * telling the truth (lastAppliedCommit = the head), and the container berth does not own
 * untouched.
 *
 *  1. kill -9 mid-pass              4. Git server down for a while, and back
 *  2. kill -9 mid-rollout           5. branch force-pushed to an older history
 *  3. dockerd stopped and restarted 6. status.json truncated, history.jsonl torn
 *     (+ retries of a failing create 7. two `berth run` on one state directory
 *     honour the back-off)
 *
 * Case 3 stops the machine's Docker engine (every container on it stops: no live-restore) and
 * starts it again with scripts/setup-docker.sh. Nothing else may use the engine meanwhile (it
 * would see its containers stopped); `BERTH_TEST_SKIP_ENGINE_RESTART=1` skips that one case.
 * The engine is brought back in `after()` whatever happens.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runBerth, startBerth, type BerthDaemon } from '../helpers/berth-cli.js';
import { dockerClient, dockerScope, type DockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml, type DeploymentYamlOptions } from '../helpers/manifests.js';
import { tmpRepo, type TmpRepo } from '../helpers/tmp-repo.js';
import { layout, networksOf, ownedContainers, type SeenReplica } from '../helpers/world.js';

const execFileAsync = promisify(execFile);
const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONVERGE_MS = 120_000;

/** What a Deployment should look like once converged. */
interface Want {
  /** Replica ordinals that must run (exactly these, once each). */
  readonly replicas: number;
  /** Every replica carries this `berth.commit` (the commit that introduced the revision it runs). */
  readonly commit?: string;
  /** Every replica runs this revision. */
  readonly revision?: string;
}

/**
 * One berth under test: its own Git repository and server, state directory, engine instance
 * (so nothing here sees another case's containers) and a container it does not own.
 */
class Rig {
  readonly daemons: BerthDaemon[] = [];
  berth: BerthDaemon | undefined;
  unowned!: { id: string; name: string };

  private constructor(
    readonly label: string,
    readonly scope: DockerScope,
    readonly repo: TmpRepo,
    readonly stateDir: string,
  ) {}

  static async create(label: string, rigs: Rig[]): Promise<Rig> {
    const scope = dockerScope(`chaos-${label}`);
    const repo = await tmpRepo();
    const stateDir = await mkdtemp(join(tmpdir(), `berth-chaos-${label}-`));
    const rig = new Rig(label, scope, repo, stateDir);
    rigs.push(rig); // registered before anything else can fail: after() cleans it up
    // Not owned, and named like one of berth's own replicas: it must never be touched.
    rig.unowned = await scope.runUnownedContainer({ name: `${scope.instance}.${label}.web.0000000000.0` });
    return rig;
  }

  /** Source, state and engine flags every command takes. */
  get commonArgs(): string[] {
    return ['--repo', this.repo.url, '--path', 'manifests', '--state-dir', this.stateDir, '--instance', this.scope.instance, '--log-level', 'debug'];
  }

  /** `berth run`'s flags: poll every second, HTTP on a free port. */
  get runArgs(): string[] {
    return [...this.commonArgs, '--poll', '*/1 * * * * *', '--listen', '127.0.0.1:0'];
  }

  start(): BerthDaemon {
    this.berth = startBerth(this.runArgs);
    this.daemons.push(this.berth);
    return this.berth;
  }

  /** A berth that died fails the check at once, with its last words, instead of after a timeout. */
  assertAlive(): void {
    const b = this.berth;
    if (b && (b.child.exitCode !== null || b.child.signalCode !== null)) {
      throw Object.assign(new Error(`berth exited (${b.child.exitCode ?? b.child.signalCode}):\n${b.logs().slice(-4000)}`), { fatal: true });
    }
  }

  logs(): string {
    return this.daemons.map((d) => d.logs()).join('\n');
  }

  async write(ns: string, o: DeploymentYamlOptions): Promise<void> {
    await this.repo.write(`manifests/${ns}/${o.name}.yaml`, deploymentYaml(o));
  }

  async commitAndPush(message: string): Promise<string> {
    const commit = await this.repo.commit(message);
    await this.repo.push();
    return commit;
  }

  containers(): Promise<SeenReplica[]> {
    return ownedContainers(this.scope.instance);
  }

  async status(): Promise<StatusFile> {
    return JSON.parse(await readFile(join(this.stateDir, 'status.json'), 'utf8')) as StatusFile;
  }

  /**
   * The world matches `want` (keys `namespace/deployment`) exactly, and the state directory
   * says every namespace was applied at `head`. Retried until true.
   */
  converged(want: Record<string, Want>, head: string, what: string): Promise<SeenReplica[]> {
    return eventually(
      async () => {
        this.assertAlive();
        const seen = await this.containers();
        assertWorld(seen, want);
        const namespaces = [...new Set(Object.keys(want).map((k) => k.split('/')[0]!))].sort();
        assert.deepEqual(
          await networksOf(this.scope.instance),
          namespaces.map((ns) => `berth.${this.scope.instance}.${ns}`),
          'one network per namespace, no stray ones',
        );
        const status = await this.status();
        for (const ns of namespaces) {
          assert.equal(status.namespaces[ns]?.phase, 'Synced', `${ns} is Synced (${status.namespaces[ns]?.message ?? ''})`);
          assert.equal(status.namespaces[ns]?.lastAppliedCommit, head, `${ns} was applied at the head`);
        }
        return seen;
      },
      { timeoutMs: CONVERGE_MS, intervalMs: 250, what },
    );
  }

  /** The container berth does not own is still there, as it was created. */
  async assertUnownedUntouched(options: { running: boolean }): Promise<void> {
    const info = await dockerClient().getContainer(this.unowned.id).inspect();
    assert.equal(info.Name, `/${this.unowned.name}`);
    assert.equal(info.Config.Labels['berth.managed'], undefined, 'still carries no berth.managed label');
    assert.equal(info.State.Running, options.running, `the unowned container is ${options.running ? 'still running' : 'left stopped'}`);
  }

  async cleanup(failures: unknown[]): Promise<void> {
    const attempt = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        failures.push(err);
      }
    };
    // SIGKILL: always ends the process, even one stuck on SIGTERM.
    for (const d of this.daemons) await attempt(() => d.kill());
    if (process.env.BERTH_TEST_LOGS) await attempt(() => writeFile(join(process.env.BERTH_TEST_LOGS!, `chaos-${this.label}.log`), this.logs()));
    await attempt(() => this.scope.cleanup());
    await attempt(() => this.repo.cleanup());
    await attempt(() => rm(this.stateDir, { recursive: true, force: true }));
  }
}

interface StatusFile {
  source?: { commit?: string; error?: string };
  namespaces: Record<string, { phase: string; message?: string; lastAppliedCommit?: string; lastAttemptedCommit?: string }>;
}

/** Exactly the wanted replicas, all running, one container per slot, one revision per Deployment. */
function assertWorld(seen: readonly SeenReplica[], want: Record<string, Want>): void {
  assert.deepEqual(
    seen.filter((r) => r.state !== 'running').map((r) => `${r.name} (${r.state})`),
    [],
    'nothing exited, created-but-not-started or dead is left behind',
  );
  assert.deepEqual(
    layout(seen),
    Object.fromEntries(Object.entries(want).map(([k, w]) => [k, Array.from({ length: w.replicas }, (_, i) => i)])),
    'the right replicas run, one container per slot, nothing else',
  );
  assert.equal(new Set(seen.map((r) => r.name)).size, seen.length, 'no duplicate names');
  for (const [key, w] of Object.entries(want)) {
    const mine = seen.filter((r) => `${r.namespace}/${r.deployment}` === key);
    assert.equal(new Set(mine.map((r) => r.revision)).size, 1, `${key} runs one revision`);
    if (w.commit) assert.deepEqual([...new Set(mine.map((r) => r.commit))], [w.commit], `${key} runs the revision of ${w.commit.slice(0, 12)}`);
    if (w.revision) assert.equal(mine[0]!.revision, w.revision, `${key} runs revision ${w.revision}`);
  }
}

const byKey = (seen: readonly SeenReplica[], key: string) => seen.filter((r) => `${r.namespace}/${r.deployment}` === key);
const ids = (seen: readonly SeenReplica[]) => seen.map((r) => r.id).sort();

// --- the Docker engine itself (case 3) ---------------------------------------------------

async function engineAnswers(): Promise<boolean> {
  try {
    await dockerClient().ping();
    return true;
  } catch {
    return false;
  }
}

/** The dockerd process: pid from its pid file, checked against /proc. */
async function dockerdPid(): Promise<number> {
  const pid = Number((await readFile('/var/run/docker.pid', 'utf8')).trim());
  const comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
  assert.equal(comm, 'dockerd', `pid ${pid} from /var/run/docker.pid is dockerd`);
  return pid;
}

/** Gone, or a zombie nobody reaped (it was started with setsid, not by us). */
async function processGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return true;
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

/** Starts the engine the way the project does (idempotent: does nothing when it answers). */
async function setupDocker(): Promise<void> {
  await execFileAsync('bash', [join(PROJECT_ROOT, 'scripts/setup-docker.sh')], { cwd: PROJECT_ROOT, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
}

// -----------------------------------------------------------------------------------------

describe('chaos: every case converges and loses nothing', { timeout: 1_200_000 }, () => {
  const rigs: Rig[] = [];
  let engineTouched = false;

  after(async () => {
    const failures: unknown[] = [];
    // The engine first: cleaning up containers needs it.
    if (engineTouched || !(await engineAnswers())) {
      try {
        await setupDocker();
      } catch (err) {
        failures.push(err);
      }
    }
    for (const rig of rigs) await rig.cleanup(failures);
    if (failures.length > 0) throw new AggregateError(failures, `chaos cleanup: ${failures.length} failure(s)`);
  });

  it('kill -9 mid-pass: a commit creating 4 Deployments × 2 replicas, killed at the first new container, converges exactly after a restart', async (t) => {
    const rig = await Rig.create('pass', rigs);
    await rig.write('alpha', { name: 'seed' });
    const c1 = await rig.commitAndPush('seed');
    rig.start();
    await rig.converged({ 'alpha/seed': { replicas: 1, commit: c1 } }, c1, 'seed applied');

    for (const name of ['a', 'b']) await rig.write('alpha', { name, replicas: 2, env: { NAME: name } });
    for (const name of ['c', 'd']) await rig.write('beta', { name, replicas: 2, env: { NAME: name } });
    const c2 = await rig.commitAndPush('four Deployments in two namespaces');
    await eventually(
      async () => {
        rig.assertAlive();
        const fresh = (await rig.containers()).filter((r) => r.deployment !== 'seed');
        assert.ok(fresh.length > 0, 'a new container exists');
      },
      { timeoutMs: 60_000, intervalMs: 20, what: 'the pass started creating' },
    );
    const pid = rig.berth!.child.pid;
    await rig.berth!.kill();
    const atKill = (await rig.containers()).filter((r) => r.deployment !== 'seed');
    const atKillText = atKill.map((r) => `${r.namespace}/${r.deployment}/${r.replica}:${r.state}`).join(', ');
    t.diagnostic(`new containers right after the kill: ${atKillText || 'none'}`);
    assert.ok(atKill.filter((r) => r.state === 'running').length < 8, `the kill landed mid-pass (then: ${atKillText})`);
    // The dead process's lock is stale: the next start takes it over.
    assert.equal((await readFile(join(rig.stateDir, 'berth.lock'), 'utf8')).trim(), String(pid));

    rig.start();
    const seen = await rig.converged(
      {
        'alpha/seed': { replicas: 1, commit: c1 },
        'alpha/a': { replicas: 2, commit: c2 },
        'alpha/b': { replicas: 2, commit: c2 },
        'beta/c': { replicas: 2, commit: c2 },
        'beta/d': { replicas: 2, commit: c2 },
      },
      c2,
      'converged after the restart',
    );
    // Replicas that were already running when berth died were adopted, not replaced.
    const survivors = atKill.filter((r) => r.state === 'running').map((r) => r.id);
    assert.deepEqual(
      survivors.filter((id) => !ids(seen).includes(id)),
      [],
      'running replicas from before the crash were kept',
    );
    await rig.assertUnownedUntouched({ running: true });
  });

  it('kill -9 mid-rollout (RollingUpdate maxSurge 1, maxUnavailable 0, 4 replicas): converges to the new revision, no duplicates, the bounds held', async (t) => {
    const rig = await Rig.create('roll', rigs);
    const web = (version: string) => rig.write('roll', { name: 'web', replicas: 4, env: { VERSION: version }, strategy: { maxSurge: 1, maxUnavailable: 0 } });
    await web('v1');
    const c1 = await rig.commitAndPush('web v1');
    rig.start();
    const v1 = byKey(await rig.converged({ 'roll/web': { replicas: 4, commit: c1 } }, c1, 'v1 applied'), 'roll/web');

    // Sample the engine for the whole rollout, across the crash: running replicas stay within
    // [replicas - maxUnavailable, replicas + maxSurge] = [4, 5], counted as Kubernetes counts
    // maxSurge: without the terminating ones (a move refills the room of the replicas it removes
    // while they still stop, rollout/step.ts), which are those the engine has sent a stop signal
    // (its `kill` event). With them, one move's refill more at most: 6.
    const counts: number[] = [];
    const withTerminating: number[] = [];
    const signalled = new Set<string>();
    const events = new AbortController();
    const stream = (await dockerClient().getEvents({
      filters: { type: ['container'], event: ['kill'], label: [`berth.instance=${rig.scope.instance}`] },
      abortSignal: events.signal,
    } as never)) as unknown as NodeJS.ReadableStream;
    stream.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) {
          try {
            const id = (JSON.parse(line) as { id?: string }).id;
            if (id) signalled.add(id);
          } catch {
            // a line split across chunks: its container is signalled again by the forced kill, or stops in time
          }
        }
    });
    stream.on('error', () => undefined);
    let sampledBeforeKill = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          const running = (await rig.containers()).filter((r) => r.deployment === 'web' && r.state === 'running');
          withTerminating.push(running.length);
          counts.push(running.filter((r) => !signalled.has(r.id)).length);
        } catch {
          // an engine hiccup costs a sample, not the test
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    try {
      await web('v2');
      const c2 = await rig.commitAndPush('web v2');
      const mixed = await eventually(
        async () => {
          rig.assertAlive();
          const running = (await rig.containers()).filter((r) => r.deployment === 'web');
          assert.ok(new Set(running.map((r) => r.revision)).size === 2, 'two revisions coexist');
          return running;
        },
        { timeoutMs: 60_000, intervalMs: 25, what: 'rollout under way' },
      );
      sampledBeforeKill = counts.length;
      await rig.berth!.kill();
      t.diagnostic(`killed with: ${mixed.map((r) => `${r.commit === c2 ? 'new' : 'old'}/${r.replica}:${r.state}`).join(', ')}`);
      assert.ok(mixed.some((r) => r.commit === c2) && mixed.some((r) => r.revision === v1[0]!.revision), 'killed with old and new replicas side by side');

      rig.start();
      const seen = await rig.converged({ 'roll/web': { replicas: 4, commit: c2 } }, c2, 'v2 applied after the restart');
      assert.notEqual(seen[0]!.revision, v1[0]!.revision, 'the new revision runs');
    } finally {
      sampling = false;
      await sampler;
      events.abort();
    }
    // The bounds below are not vacuous: the sampler saw the rollout on both sides of the kill (no count of samples, which depends on speed).
    assert.ok(
      sampledBeforeKill > 0 && counts.length > sampledBeforeKill,
      `sampled the rollout before and after the kill (${sampledBeforeKill} and ${counts.length - sampledBeforeKill} samples)`,
    );
    t.diagnostic(
      `running during the rollout: ${Math.min(...counts)}–${Math.max(...counts)} without the terminating, at most ${Math.max(...withTerminating)} with them`,
    );
    assert.ok(Math.max(...counts) <= 5, `never more than replicas + maxSurge running, terminating ones aside (max ${Math.max(...counts)})`);
    assert.ok(Math.max(...withTerminating) <= 6, `never more than one move's refill over that with them (max ${Math.max(...withTerminating)})`);
    assert.ok(Math.min(...counts) >= 4, `never fewer than replicas - maxUnavailable running (min ${Math.min(...counts)})`);
    await rig.assertUnownedUntouched({ running: true });
  });

  it('dockerd restarted: berth stays up, reports ENGINE_UNREACHABLE, retries with back-off; once the engine is back it restarts its exited replicas and applies the commit pushed meanwhile', {
    skip: process.env.BERTH_TEST_SKIP_ENGINE_RESTART ? 'BERTH_TEST_SKIP_ENGINE_RESTART is set' : false,
  }, async (t) => {
    t.after(async () => {
      if (engineTouched) await setupDocker();
    });
    const rig = await Rig.create('engine', rigs);
    const web = (color: string) => rig.write('eng', { name: 'web', replicas: 3, env: { COLOR: color }, strategy: { maxSurge: 1, maxUnavailable: 0 } });
    await web('blue');
    await rig.write('eng', { name: 'steady', replicas: 2 });
    const c1 = await rig.commitAndPush('web blue, steady');
    const berth = rig.start();
    const before = await rig.converged({ 'eng/steady': { replicas: 2, commit: c1 }, 'eng/web': { replicas: 3, commit: c1 } }, c1, 'initial commit applied');

    // Stop the engine. berth is frozen while dockerd shuts down: dockerd first stops every
    // container while its API still answers, and a replica started in that window can leave
    // a container stuck in "Removal In Progress" that no one can remove until the host
    // reboots (Docker 20.10, overlay2 mount leaked under the daemon root's bind mount; see
    // the chaos report). berth wakes up to an engine that is gone.
    const pid = await dockerdPid();
    engineTouched = true;
    process.kill(berth.child.pid!, 'SIGSTOP');
    try {
      process.kill(pid, 'SIGTERM');
      await eventually(async () => assert.ok(!(await engineAnswers()), 'the engine stopped answering'), { timeoutMs: 120_000, what: 'dockerd stopped' });
      await eventually(async () => assert.ok(await processGone(pid), `dockerd ${pid} exited`), { timeoutMs: 120_000, what: 'dockerd exited' });
    } finally {
      process.kill(berth.child.pid!, 'SIGCONT');
    }

    // A commit pushed while the engine is down: berth sees it, cannot apply it, says why.
    await web('red');
    const c3 = await rig.commitAndPush('web red (engine down)');
    await eventually(
      async () => {
        rig.assertAlive();
        const s = await rig.status();
        assert.equal(s.namespaces.eng?.lastAttemptedCommit, c3, 'berth saw the commit pushed during the outage');
        assert.equal(s.namespaces.eng?.phase, 'Error');
        assert.match(s.namespaces.eng?.message ?? '', /ENGINE_UNREACHABLE/);
        assert.equal(s.namespaces.eng?.lastAppliedCommit, c1, 'lastAppliedCommit stays at what runs');
      },
      { timeoutMs: 60_000, what: 'status reports ENGINE_UNREACHABLE' },
    );
    // Retried with back-off: consecutive failed passes wait 1 s, 2 s, 4 s …
    const retries = await eventually(
      () => {
        rig.assertAlive();
        const waits = failedPasses(berth.logs())
          .filter((p) => p.code === 'ENGINE_UNREACHABLE')
          .map((p) => p.retryAfterMs);
        assert.ok(
          waits.some((w) => w >= 4000),
          `back-off grew to 4 s (saw ${waits.join(', ')})`,
        );
        return waits;
      },
      { timeoutMs: 60_000, what: 'retried with back-off' },
    );
    assert.ok(retries.length >= 3, `several retries (${retries.join(', ')})`);

    // Start the engine again, as the project does. Every container it had is now exited.
    await setupDocker();
    engineTouched = false;
    const upAt = Date.now();
    const afterRestart = await rig.converged(
      { 'eng/steady': { replicas: 2, commit: c1 }, 'eng/web': { replicas: 3, commit: c3 } },
      c3,
      'converged after the engine came back',
    );
    t.diagnostic(
      `converged ${Date.now() - upAt} ms after the engine answered again; back-off reached ${Math.max(...failedPasses(berth.logs()).map((p) => p.retryAfterMs))} ms`,
    );
    rig.assertAlive();
    assert.equal(rig.daemons.length, 1, 'the same berth process carried on');
    const steadyBefore = byKey(before, 'eng/steady');
    const steadyAfter = byKey(afterRestart, 'eng/steady');
    assert.equal(steadyAfter[0]!.revision, steadyBefore[0]!.revision, 'steady keeps its revision');
    assert.deepEqual(
      ids(steadyAfter).filter((id) => ids(steadyBefore).includes(id)),
      [],
      'the exited steady replicas were replaced',
    );
    // The engine stopped it; berth neither removed nor restarted it.
    await rig.assertUnownedUntouched({ running: false });
  });

  it('a replica the engine refuses to create is retried with back-off, not in a hot loop (the loop that hammered the dying engine when dockerd stopped)', async () => {
    const rig = await Rig.create('hot', rigs);
    await rig.write('hot', { name: 'good', replicas: 1 });
    // A working directory that is a file: the engine refuses to create the container.
    await rig.repo.write(
      'manifests/hot/bad.yaml',
      deploymentYaml({ name: 'bad' }).replace('          command:', '          workingDir: /bin/busybox\n          command:'),
    );
    await rig.commitAndPush('good, and bad that cannot be created');
    const berth = rig.start();
    try {
      const failures = await eventually(
        () => {
          rig.assertAlive();
          const f = failedPasses(berth.logs()).filter((p) => p.namespace === 'hot');
          assert.ok(f.length >= 3, `three failed passes (${f.length})`);
          return f;
        },
        { timeoutMs: 90_000, what: 'three failed passes' },
      );
      assert.match(failures[0]!.code, /CONTAINER_START_FAILED/);
      // berth's own log timestamps: each retry waits (at least half) the back-off the failure announced.
      const gaps = failures.slice(1, 3).map((f, i) => ({ waited: f.time - failures[i]!.time, announced: failures[i]!.retryAfterMs }));
      assert.ok(
        gaps.every((g) => g.waited >= g.announced / 2),
        `retries honour the announced back-off: ${gaps.map((g) => `waited ${g.waited} ms of ${g.announced} ms`).join('; ')} (${failedPasses(berth.logs()).length} failed passes so far)`,
      );
      const seen = await rig.containers();
      assert.deepEqual(layout(seen), { 'hot/good': [0] }, 'the good Deployment runs; nothing of the bad one is left');
    } finally {
      await berth.kill(); // stop the loop, if there is one, right away
    }
  });

  it('Git server down for a while: what runs keeps running and is healed; SOURCE_UNREACHABLE is reported; a commit pushed meanwhile is applied once it is back', async () => {
    const rig = await Rig.create('git', rigs);
    await rig.write('src', { name: 'web', replicas: 2, env: { V: '1' } });
    const c1 = await rig.commitAndPush('web v1');
    rig.start();
    const before = await rig.converged({ 'src/web': { replicas: 2, commit: c1 } }, c1, 'v1 applied');

    const server = rig.repo.server;
    const downFrom = server.requests.length;
    server.setDown(true);
    await eventually(
      async () => {
        rig.assertAlive();
        const s = await rig.status();
        assert.match(s.source?.error ?? '', /SOURCE_UNREACHABLE.*503/);
        assert.equal(s.source?.commit, c1, 'the last known commit is kept');
        assert.ok(server.requests.length - downFrom >= 3, `several polls failed (${server.requests.length - downFrom})`);
      },
      { timeoutMs: 60_000, what: 'the outage is reported' },
    );
    assert.ok(rig.logs().includes('source fetch failed; keeping what runs'), 'the log says the fetch failed');
    assert.deepEqual(ids(await rig.containers()), ids(before), 'the containers run on, untouched');

    // Healing does not need the source: the last known desired state is enough.
    const [victim] = before;
    await dockerClient().getContainer(victim!.id).remove({ force: true });
    const healed = await rig.converged({ 'src/web': { replicas: 2, commit: c1 } }, c1, 'healed during the outage');
    assert.ok(!ids(healed).includes(victim!.id), 'the removed replica was replaced');

    // A commit lands in the repository meanwhile (pushed to the bare repository directly: the
    // HTTP server answers 503 to everyone).
    await rig.write('src', { name: 'web', replicas: 3, env: { V: '2' } });
    const c2 = await rig.repo.commit('web v2, 3 replicas');
    await rig.repo.git('push', '--quiet', rig.repo.bareDir, 'HEAD:main');
    const mark = server.requests.length;
    await eventually(() => assert.ok(server.requests.length - mark >= 2, 'two more polls failed'), { timeoutMs: 30_000 });
    assert.deepEqual(ids(await rig.containers()), ids(healed), 'nothing changes while the source is unreachable');

    server.setDown(false);
    await rig.converged({ 'src/web': { replicas: 3, commit: c2 } }, c2, 'the commit pushed during the outage is applied');
    const s = await rig.status();
    assert.equal(s.source?.commit, c2);
    assert.equal(s.source?.error, undefined, 'the source error is cleared');
    await rig.assertUnownedUntouched({ running: true });
  });

  it('branch force-pushed to an older history: berth follows it back, then forward on the rewritten branch', async () => {
    const rig = await Rig.create('force', rigs);
    await rig.write('fp', { name: 'web', replicas: 2, env: { V: 'a' } });
    await rig.write('fp', { name: 'keep', replicas: 1 });
    const a = await rig.commitAndPush('A');
    rig.start();
    const atA = await rig.converged({ 'fp/keep': { replicas: 1, commit: a }, 'fp/web': { replicas: 2, commit: a } }, a, 'A applied');
    const revisionA = byKey(atA, 'fp/web')[0]!.revision;

    await rig.write('fp', { name: 'web', replicas: 2, env: { V: 'b' } });
    await rig.write('fp', { name: 'extra', replicas: 1 });
    const b = await rig.commitAndPush('B');
    await rig.converged(
      { 'fp/extra': { replicas: 1, commit: b }, 'fp/keep': { replicas: 1, commit: a }, 'fp/web': { replicas: 2, commit: b } },
      b,
      'B applied',
    );

    await rig.repo.git('reset', '--quiet', '--hard', a);
    await rig.repo.push({ force: true });
    await rig.converged(
      { 'fp/keep': { replicas: 1, commit: a }, 'fp/web': { replicas: 2, commit: a, revision: revisionA } },
      a,
      'back at A after the force-push',
    );

    await rig.write('fp', { name: 'web', replicas: 3, env: { V: 'c' } });
    const c = await rig.commitAndPush('C, on top of A');
    await rig.converged({ 'fp/keep': { replicas: 1, commit: a }, 'fp/web': { replicas: 3, commit: c } }, c, 'C applied on the rewritten branch');
    await rig.assertUnownedUntouched({ running: true });
  });

  it('status.json truncated and the last history.jsonl line torn (berth stopped): starts, sets the torn file aside, rebuilds status, converges', async () => {
    const rig = await Rig.create('state', rigs);
    await rig.write('st', { name: 'web', replicas: 2, env: { V: '1' } });
    const c1 = await rig.commitAndPush('web v1');
    rig.start();
    await rig.converged({ 'st/web': { replicas: 2, commit: c1 } }, c1, 'v1 applied');
    await rig.berth!.stop();

    const statusPath = join(rig.stateDir, 'status.json');
    const historyPath = join(rig.stateDir, 'history.jsonl');
    const statusText = await readFile(statusPath, 'utf8');
    await truncate(statusPath, Math.floor(statusText.length / 2));
    const tornStatus = await readFile(statusPath, 'utf8');
    const historyText = await readFile(historyPath, 'utf8');
    const lines = historyText.split('\n').filter(Boolean);
    assert.ok(lines.length >= 1, `history has records (${lines.length})`);
    // Cut the last record in the middle, newline included: what a crash mid-append leaves.
    const kept = historyText.length - lines.at(-1)!.length - 1 + Math.floor(lines.at(-1)!.length / 2);
    await truncate(historyPath, kept);
    const tornHistory = await readFile(historyPath, 'utf8');

    // A commit while berth is down.
    await rig.write('st', { name: 'web', replicas: 3, env: { V: '2' } });
    const c2 = await rig.commitAndPush('web v2, 3 replicas');

    rig.start();
    await rig.converged({ 'st/web': { replicas: 3, commit: c2 } }, c2, 'converged with a rebuilt status');
    const aside = (await readdir(rig.stateDir)).filter((f) => f.startsWith('status.json.corrupt-'));
    assert.equal(aside.length, 1, `the torn status file was set aside (${aside.join(', ')})`);
    assert.equal(await readFile(join(rig.stateDir, aside[0]!), 'utf8'), tornStatus, 'set aside as it was, for a person to look at');
    assert.ok(rig.logs().includes('"code":"STATE_CORRUPT"'), 'the log names STATE_CORRUPT');

    const history = await readFile(historyPath, 'utf8');
    assert.ok(history.startsWith(tornHistory + '\n'), 'the history before the tear is intact, the torn line closed');
    const appended = history
      .slice(tornHistory.length + 1)
      .split('\n')
      .filter(Boolean);
    assert.ok(appended.length > 0, 'new records were appended');
    const records = appended.map((l) => JSON.parse(l) as { commit: string; outcome: string; namespace: string });
    assert.ok(
      records.some((r) => r.commit === c2 && r.outcome === 'applied' && r.namespace === 'st'),
      'the new commit is recorded as applied',
    );

    // The CLI reads the repaired directory.
    const status = await runBerth(['status', '--state-dir', rig.stateDir, '--instance', rig.scope.instance, '-o', 'json'], { timeoutMs: 60_000 });
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as StatusFile).namespaces.st?.lastAppliedCommit, c2);
    await rig.assertUnownedUntouched({ running: true });
  });

  it('two `berth run` on one state directory: the second refuses at once, naming STATE_LOCKED and the holder; the first carries on', async (t) => {
    const rig = await Rig.create('lock', rigs);
    await rig.write('lk', { name: 'web', replicas: 1, env: { V: '1' } });
    const c1 = await rig.commitAndPush('web v1');
    const first = rig.start();
    await rig.converged({ 'lk/web': { replicas: 1, commit: c1 } }, c1, 'v1 applied');
    const holder = String(first.child.pid);

    for (const [command, args] of [
      ['run', rig.runArgs],
      ['apply', rig.commonArgs],
    ] as const) {
      const started = Date.now();
      const second = await runBerth([command, ...args], { timeoutMs: 60_000 });
      const took = Date.now() - started;
      assert.equal(second.code, 3, `berth ${command} exits 3 (took ${took} ms): ${second.stderr}`);
      assert.match(second.stderr, /STATE_LOCKED/);
      assert.ok(second.stderr.includes(`process ${holder}`), `the message names the holder's pid ${holder}: ${second.stderr}`);
      assert.ok(second.stderr.includes(rig.stateDir), `the message names the state directory: ${second.stderr}`);
      t.diagnostic(`berth ${command} refused in ${took} ms`);
    }
    rig.assertAlive();
    assert.equal((await readFile(join(rig.stateDir, 'berth.lock'), 'utf8')).trim(), holder, 'the lock still names the first berth');

    await rig.write('lk', { name: 'web', replicas: 2, env: { V: '2' } });
    const c2 = await rig.commitAndPush('web v2, 2 replicas');
    await rig.converged({ 'lk/web': { replicas: 2, commit: c2 } }, c2, 'the first berth applied the next commit');
    await rig.assertUnownedUntouched({ running: true });
  });
});

/** `pass failed` log lines: when, which namespace, the code and the back-off berth chose. */
function failedPasses(logs: string): { time: number; namespace: string; code: string; retryAfterMs: number }[] {
  const out: { time: number; namespace: string; code: string; retryAfterMs: number }[] = [];
  for (const line of logs.split('\n')) {
    if (!line.includes('"pass failed"')) continue;
    try {
      const j = JSON.parse(line) as { time?: number; namespace?: string; code?: string; retryAfterMs?: number };
      out.push({ time: j.time ?? 0, namespace: j.namespace ?? '', code: j.code ?? '', retryAfterMs: j.retryAfterMs ?? 0 });
    } catch {
      // a partial line at the end of the buffer
    }
  }
  return out;
}

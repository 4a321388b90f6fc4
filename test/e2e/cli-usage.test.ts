/**
 * Usage errors of the real `berth` CLI: every bad flag value or argument of every command
 * prints what was wrong and what is allowed, and exits 4 (usage). An incident had
 * `--instance rtL` exit 4 printing nothing and `--log-level bogus` exit 3 with pino's
 * internal text. And `berth run` with a listen address it cannot serve exits at start
 * (3 for a port in use, 4 for an address not on this host) before reconciling anything —
 * an incident had it log the error and go on reconciling without its API.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBerth, type RunResult } from '../helpers/berth-cli.js';
import { dockerClient, dockerScope } from '../helpers/docker-scope.js';
import { deploymentYaml } from '../helpers/manifests.js';
import { localRepo, type LocalRepo } from '../helpers/tmp-repo.js';
import { ownedContainers } from '../helpers/world.js';

/** [args, extra env, exit code, what stderr must say]. `REPO` is replaced by a valid local repository. */
type Case = readonly [args: readonly string[], env: Record<string, string>, exit: number, says: RegExp];

const DNS = /allowed: 1-63 characters: lowercase letters a-z, digits 0-9 and "-"/;
const LISTEN = /allowed: HOST:PORT with HOST an IPv4 address, \[IPv6\] address or host name/;
const SECONDS = /allowed: (a whole number from )?1 (to|-) 2147483/;
const TARGET = /allowed: (two DNS labels joined by "\/"|NAMESPACE\/NAME)/;

const CASES: readonly Case[] = [
  [['validate', '--instance', 'rtL'], {}, 4, /"rtL" is not a valid instance name; .*/],
  [['validate', '--instance', 'a_b'], {}, 4, DNS],
  [['validate', '--instance', ''], {}, 4, /instance name is empty; .*allowed/],
  [['status', '--instance', 'a'.repeat(64)], {}, 4, /64 characters long; allowed/],
  [['validate', '--instance', '-a'], {}, 4, DNS],
  [['validate', '--log-level', 'bogus'], {}, 4, /"bogus" is not a log level; allowed: trace, debug, info, warn, error/],
  [['validate'], { BERTH_LOG_LEVEL: 'loud' }, 4, /BERTH_LOG_LEVEL "loud" is not a log level; allowed: trace/],
  [['apply', '--timeout', 'abc'], {}, 4, SECONDS],
  [['apply', '--timeout', '0'], {}, 4, SECONDS],
  [['apply', '--timeout', '1.5'], {}, 4, SECONDS],
  [['apply', '--timeout', '99999999'], {}, 4, /too long; allowed: 1 to 2147483 \(Node timers hold at most 2\^31-1 ms/],
  [['rollout', 'status', 'shop/web', '--timeout', '-5'], {}, 4, /"-5" is not a number of seconds; allowed/],
  [['run', '--poll', 'every minute'], {}, 4, /not a valid cron expression.*six fields/],
  [['run', '--repo', 'REPO', '--notify-webhook', 'ftp://example/hook'], {}, 4, /is not an http\(s\) URL; allowed: http\(s\):\/\/HOST/],
  [['run', '--repo', 'REPO', '--notify-slack', 'nonsense'], {}, 4, /is not an http\(s\) URL/],
  [['run', '--repo', 'REPO', '--commit-status', 'bitbucket'], {}, 4, /Allowed choices are github, gitea, gitlab/],
  [['run', '--repo', 'REPO', '--commit-status', 'github'], { BERTH_COMMIT_STATUS_TOKEN: 't' }, 4, /needs --commit-status-repo/],
  [['run', '--repo', 'REPO', '--commit-status', 'gitea', '--commit-status-repo', 'a/b'], { BERTH_COMMIT_STATUS_TOKEN: 't' }, 4, /needs --commit-status-api/],
  [
    ['run', '--repo', 'REPO', '--commit-status', 'github', '--commit-status-repo', 'a/b'],
    { BERTH_COMMIT_STATUS_TOKEN: '' },
    4,
    /needs a token in BERTH_COMMIT_STATUS_TOKEN/,
  ],
  [['run', '--repo', 'REPO', '--commit-status-repo', 'a/b'], {}, 4, /need --commit-status github\|gitea\|gitlab/],
  [
    ['run', '--repo', 'REPO'],
    { BERTH_NOTIFY_WEBHOOKS: 'http://ok.example/h, file:///etc/passwd' },
    4,
    /BERTH_NOTIFY_WEBHOOKS: "file:\/\/\/etc\/passwd" is not an http\(s\) URL/,
  ],
  [['run', '--listen', 'nonsense'], {}, 4, LISTEN],
  [['run', '--listen', 'host:99999'], {}, 4, /port "99999" .*allowed: HOST:PORT/],
  [['run', '--listen', 'exa mple:80'], {}, 4, LISTEN],
  [['run', '--listen', '256.1.1.1:80'], {}, 4, LISTEN],
  [['run', '--listen', '127.0.0.1:-1'], {}, 4, LISTEN],
  [['run', '--ingress-listen', 'nonsense'], {}, 4, LISTEN],
  [['apply', '--ingress-listen', '1.2.3:80'], {}, 4, LISTEN],
  [['proxy', '--ingress-listen', ':http'], {}, 4, LISTEN],
  [['run', '--service-address', 'nonsense'], {}, 4, /not an IP address; allowed: an IPv4 or IPv6 address/],
  [['apply', '--service-address', '300.1.1.1'], {}, 4, /not an IP address; allowed/],
  [['validate', '-o', 'toml'], {}, 4, /Allowed choices are text, json, yaml/],
  [['plan', '-o', 'xml'], {}, 4, /Allowed choices are text, json, yaml, markdown/],
  [['validate', '--max-pod-security', 'root'], {}, 4, /Allowed choices are restricted, baseline, privileged/],
  [['validate', '--repo', 'REPO', '--host-path-allow', 'relative/dir'], {}, 4, /--host-path-allow must name absolute folders/],
  [['plan', '--live', '--base', 'main'], {}, 4, /--live and --base exclude each other/],
  [['plan', '-o', 'markdown'], {}, 4, /-o markdown needs --base/],
  [['history', 'foo'], {}, 4, TARGET],
  [['history', 'a/b/c'], {}, 4, TARGET],
  [['history', 'Shop/web'], {}, 4, TARGET],
  [['rollout', 'status', 'web'], {}, 4, TARGET],
  [['rollback', 'shop/'], {}, 4, TARGET],
  [['rollback', 'shop/web', '--to-commit', 'abc'], {}, 4, /not a commit id; allowed: 4 to 40 hex digits/],
  [['rollback', 'shop/web', '--to-commit', 'HEAD@{1}'], {}, 4, /names no commit \(reflog and upstream expressions/],
  [['rollback', 'shop/web', '--to-commit', 'HEAD:x'], {}, 4, /names no commit \(a path/],
  [['rollback', 'shop/web', '--to-revision', '../x'], {}, 4, /not a revision; allowed/],
  [['rollback', 'shop/web', '--to-commit', 'abcd', '--to-revision', '1'], {}, 4, /exclude each other/],
  [['rollback', 'shop/web', '--server', 'nonsense'], {}, 4, /not the URL of a berth API; allowed: http\(s\):\/\//],
  [['prune', 'confirm', '--server', 'ftp://x'], {}, 4, /not the URL of a berth API/],
  [['prune', 'confirm', '--commit', '12'], {}, 4, /not a commit id; allowed: 7 to 40 hex digits/],
  [['prune', 'confirm', '--commit', 'HEAD..main'], {}, 4, /names no commit \(a range/],
  [['validate', '--ref', ''], {}, 4, /argument '' is invalid\. the value is empty; allowed: a branch, tag or commit name/],
  [['validate', '--repo', ''], {}, 4, /the value is empty; allowed: a Git repository/],
  [['status', '--state-dir', ''], {}, 4, /the value is empty; allowed: a folder path/],
  [['plan', '--docker-socket', ''], {}, 4, /the value is empty; allowed: a unix socket path, tcp:\/\/host:port or ssh:\/\/user@host/],
  [['plan', '--base', ''], {}, 4, /the value is empty; allowed: a branch, tag or commit name/],
  [['validate', '--repo', 'REPO', '--ref', 'bad..ref'], {}, 4, /"bad\.\.ref" is not a valid ref/],
  [['validate', '--repo', 'REPO', '--path', '../x'], {}, 4, /--path "\.\.\/x" must be a folder inside the repository/],
  [['validate', '--bogus'], {}, 4, /unknown option '--bogus'/],
  [['validate', 'extra'], {}, 4, /too many arguments/],
  [['bogus'], {}, 4, /unknown command 'bogus'/],
];

/** Runs `f` over `items`, at most `limit` at a time (the machine is shared). */
async function pool<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]!);
      }
    }),
  );
  return out;
}

describe('berth CLI usage errors: what was wrong, what is allowed, exit 4', { timeout: 300_000 }, () => {
  let repo: LocalRepo;
  let stateDir: string;
  let results: RunResult[] = [];

  before(async () => {
    repo = await localRepo();
    await repo.write('ns/web.yaml', deploymentYaml({ name: 'web' }));
    await repo.git('add', '-A');
    await repo.git('-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'one deployment');
    stateDir = await mkdtemp(join(tmpdir(), 'berth-usage-state-'));
    // Commands with a state directory get a temporary one (nothing must land in the user's).
    const hasStateDir = (args: readonly string[]) => !['rollback', 'prune', 'bogus'].includes(args[0]!);
    results = await pool(CASES, 3, ([args, env]) =>
      runBerth([...args.map((a) => (a === 'REPO' ? repo.dir : a)), ...(hasStateDir(args) ? ['--state-dir', stateDir] : [])], { env, timeoutMs: 60_000 }),
    );
  });

  after(async () => {
    await repo?.cleanup();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  CASES.forEach(([args, env, exit, says], i) => {
    it(`${Object.entries(env)
      .map(([k, v]) => `${k}=${v} `)
      .join('')}berth ${args.map((a) => (a === '' ? "''" : a)).join(' ')} → exit ${exit}, ${says}`, () => {
      const r = results[i]!;
      assert.equal(r.code, exit, `exit code; stderr:\n${r.stderr}`);
      assert.match(r.stderr, says);
      assert.doesNotMatch(r.stderr, /\n\s+at .*\(|Unhandled|TypeError|custom levels/, 'no stack trace or library-internal text');
    });
  });
});

describe('berth run: an address it cannot serve ends it at start, before it reconciles anything', { timeout: 300_000 }, () => {
  const scope = dockerScope('e2e-listen');
  let repo: LocalRepo;
  let stateDir: string;
  let busy: Server;
  let busyPort: number;

  before(async () => {
    repo = await localRepo();
    await repo.write('ns/web.yaml', deploymentYaml({ name: 'web' }));
    await repo.git('add', '-A');
    await repo.git('-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'one deployment');
    stateDir = await mkdtemp(join(tmpdir(), 'berth-listen-state-'));
    busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    busyPort = (busy.address() as { port: number }).port;
  });

  after(async () => {
    await new Promise<void>((r) => busy?.close(() => r()));
    await scope.cleanup();
    await repo?.cleanup();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  const run = (flags: readonly string[]) =>
    runBerth(
      [
        'run',
        '--repo',
        repo.dir,
        '--path',
        '',
        '--state-dir',
        stateDir,
        '--instance',
        scope.instance,
        '--poll',
        '*/1 * * * * *',
        '--listen',
        '127.0.0.1:0',
        '--ingress-listen',
        '127.0.0.1:0',
        ...flags,
      ],
      { timeoutMs: 60_000 },
    );

  const cases: readonly [string, () => string[], number, () => RegExp][] = [
    [
      '--listen on a port in use',
      () => ['--listen', `127.0.0.1:${busyPort}`],
      3,
      () => new RegExp(`LISTEN_FAILED: --listen 127\\.0\\.0\\.1:${busyPort}: the port is in use`),
    ],
    [
      '--listen on an address not on this host',
      () => ['--listen', '192.0.2.1:7070'],
      4,
      () => /USAGE: --listen 192\.0\.2\.1:7070: 192\.0\.2\.1 is not an address of this host; allowed/,
    ],
    [
      '--ingress-listen on a port in use',
      () => ['--ingress-listen', `127.0.0.1:${busyPort}`],
      3,
      () => new RegExp(`LISTEN_FAILED: --ingress-listen 127\\.0\\.0\\.1:${busyPort}: the port is in use`),
    ],
    [
      '--service-address not on this host',
      () => ['--service-address', '192.0.2.1'],
      4,
      () => /USAGE: --service-address 192\.0\.2\.1.*not an address of this host/,
    ],
  ];
  for (const [what, flags, exit, says] of cases) {
    it(`${what}: exit ${exit} with a clear message; nothing created on the engine`, async () => {
      const r = await run(flags());
      assert.equal(r.code, exit, `exit code; stderr:\n${r.stderr}`);
      assert.match(r.stderr, says());
      // The process is gone: whatever it created is there now, and nothing more can come.
      assert.deepEqual(await ownedContainers(scope.instance), []);
      assert.deepEqual(
        (await dockerClient().listNetworks({ filters: { label: [`berth.instance=${scope.instance}`] } })).map((n) => n.Name),
        [],
      );
    });
  }
});

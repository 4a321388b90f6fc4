/**
 * Each command's typed options (src/cli/commands/*.ts): argv goes through the real `berth`
 * program (its flags, defaults and option parsers), the action is stopped before it runs, and
 * the command's `…Options` parser reads what commander parsed. Bad values: through runCli, the
 * message on stderr and exit 4 (usage), before any adapter is touched.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Command } from 'commander';
import type { Adapters } from '../../../src/cli/adapters.js';
import { applyOptions } from '../../../src/cli/commands/apply.js';
import { getOptions } from '../../../src/cli/commands/get.js';
import { historyOptions } from '../../../src/cli/commands/history.js';
import { logsOptions } from '../../../src/cli/commands/logs.js';
import { planOptions } from '../../../src/cli/commands/plan.js';
import { proxyOptions } from '../../../src/cli/commands/proxy.js';
import { pruneConfirmOptions } from '../../../src/cli/commands/prune.js';
import { rollbackOptions } from '../../../src/cli/commands/rollback.js';
import { rolloutStatusOptions } from '../../../src/cli/commands/rollout.js';
import { runOptions } from '../../../src/cli/commands/run.js';
import { commonOptions, type FlagContext } from '../../../src/cli/commands/shared.js';
import { statusOptions } from '../../../src/cli/commands/status.js';
import { validateOptions } from '../../../src/cli/commands/validate.js';
import { versionOptions } from '../../../src/cli/commands/version.js';
import { volumeDeleteOptions } from '../../../src/cli/commands/volume.js';
import { EXIT } from '../../../src/cli/exit-codes.js';
import {
  booleanFlag,
  choiceFlag,
  listFlag,
  numberFlag,
  optionalNumberFlag,
  optionalTextFlag,
  type ParsedFlags,
  textFlag,
} from '../../../src/cli/parsed-flags.js';
import { buildProgram, runCli } from '../../../src/cli/program.js';
import { isBerthError } from '../../../src/core/index.js';

const DEFAULTS = { repo: '/opt/berth', stateDir: '/var/lib/berth' };
const CTX: FlagContext = { defaults: DEFAULTS, env: {} };

/** Adapters that fail the test when used: parsing the options touches none of them. */
function untouchedAdapters(): Adapters {
  const touched = (what: string) => () => {
    throw new Error(`parsing the options touched the adapters (${what})`);
  };
  return {
    clock: { now: () => new Date(0) },
    logger: touched('logger'),
    openSource: touched('openSource'),
    peekSourceHead: touched('peekSourceHead'),
    sourceIncludes: touched('sourceIncludes'),
    openDriver: touched('openDriver'),
    openStore: touched('openStore'),
    readState: touched('readState'),
    lockState: touched('lockState'),
    openSecretResolver: touched('openSecretResolver'),
    openDataPlane: touched('openDataPlane'),
    runDataPlane: touched('runDataPlane'),
    defaults: DEFAULTS,
  };
}

const STOP = new Error('stopped before the action');

/** What commander hands the action of `argv`'s command, the action stopped before it runs. */
async function parsed(argv: readonly string[]): Promise<Command> {
  const program = buildProgram(untouchedAdapters());
  let action: Command | undefined;
  program.hook('preAction', (_root, cmd) => {
    action = cmd;
    throw STOP;
  });
  await assert.rejects(program.parseAsync([...argv], { from: 'user' }), (err) => err === STOP);
  assert.ok(action, `no action ran for ${argv.join(' ')}`);
  return action;
}

const COMMON = { repo: DEFAULTS.repo, path: 'sample-repo', stateDir: DEFAULTS.stateDir, instance: 'default', driver: 'auto', logLevel: 'info' };
const POLICY = { maxLevel: 'restricted', hostPathAllow: [], allowDockerSocket: false };
const INGRESS = { host: '127.0.0.1', port: 8080 };

type Parse = (flags: ParsedFlags, cmd: Command) => unknown;

describe('command options: argv → the typed options each action uses', () => {
  const cases: [argv: string[], parse: Parse, expected: unknown][] = [
    [['status'], (f) => statusOptions(f, CTX), { ...COMMON, output: 'text' }],
    [
      [
        'status',
        '-o',
        'json',
        '--repo',
        'https://git.example/r.git',
        '--ref',
        'main~1',
        '--state-dir',
        '/s',
        '--instance',
        'prod',
        '--docker-socket',
        '/d.sock',
        '--driver',
        'swarm',
        '--log-level',
        'debug',
      ],
      (f) => statusOptions(f, CTX),
      {
        repo: 'https://git.example/r.git',
        ref: 'main~1',
        path: '',
        stateDir: '/s',
        instance: 'prod',
        dockerSocket: '/d.sock',
        driver: 'swarm',
        logLevel: 'debug',
        output: 'json',
      },
    ],
    [['status', '--path', 'apps'], (f) => statusOptions(f, CTX), { ...COMMON, path: 'apps', output: 'text' }],
    [['status'], (f) => statusOptions(f, { ...CTX, env: { BERTH_LOG_LEVEL: 'warn' } }), { ...COMMON, logLevel: 'warn', output: 'text' }],
    [
      ['status', '--log-level', 'error'],
      (f) => statusOptions(f, { ...CTX, env: { BERTH_LOG_LEVEL: 'warn' } }),
      { ...COMMON, logLevel: 'error', output: 'text' },
    ],
    [['get', 'ns'], (f) => getOptions(f, CTX), { ...COMMON, output: 'text', server: 'http://127.0.0.1:7070' }],
    [
      ['get', 'pods', '-n', 'shop', '-o', 'wide', '--server', 'http://h:1'],
      (f) => getOptions(f, CTX),
      { ...COMMON, namespace: 'shop', output: 'wide', server: 'http://h:1' },
    ],
    [['logs', 'shop/web'], (f) => logsOptions(f, CTX), { ...COMMON, follow: false, previous: false, timestamps: false }],
    [
      ['logs', 'shop/web', '-f', '--since', '1h30m', '--tail', '20', '-c', 'app', '-p', '--revision', 'r1', '--timestamps'],
      (f) => logsOptions(f, CTX),
      { ...COMMON, follow: true, since: '1h30m', tail: 20, container: 'app', previous: true, revision: 'r1', timestamps: true },
    ],
    [['history', 'shop/web', '-o', 'yaml'], (f) => historyOptions(f, CTX), { ...COMMON, output: 'yaml' }],
    [['volume', 'delete', 'shop/data'], (f) => volumeDeleteOptions(f, CTX), { ...COMMON, output: 'text' }],
    [['validate'], (f) => validateOptions(f, CTX), { ...COMMON, policy: POLICY, output: 'text' }],
    [
      [
        'validate',
        '--max-pod-security',
        'privileged',
        '--host-path-allow',
        '/srv/b/',
        '--host-path-allow',
        '/data',
        '--allow-docker-socket',
        '--storage-class',
        'fast=local,type=tmpfs',
        '--docker-socket',
        '/run/d.sock',
        '-o',
        'json',
      ],
      (f) => validateOptions(f, CTX),
      {
        ...COMMON,
        dockerSocket: '/run/d.sock',
        policy: {
          maxLevel: 'privileged',
          hostPathAllow: ['/data', '/srv/b'],
          allowDockerSocket: true,
          engineSockets: ['/run/d.sock'],
          storageClasses: { fast: { driver: 'local', options: { type: 'tmpfs' } } },
        },
        output: 'json',
      },
    ],
    [
      ['validate'],
      (f) => validateOptions(f, { ...CTX, env: { DOCKER_HOST: 'unix:///run/user/1/docker.sock' } }),
      { ...COMMON, policy: { ...POLICY, engineSockets: ['/run/user/1/docker.sock'] }, output: 'text' },
    ],
    [
      ['apply'],
      (f) => applyOptions(f, CTX),
      { ...COMMON, policy: POLICY, timeoutSeconds: 300, dataPlane: { ingressListen: INGRESS, serviceAddress: '127.0.0.1' }, output: 'text' },
    ],
    [
      ['apply', '--timeout', '60', '--ingress-listen', ':9090', '--service-address', '[::1]', '-o', 'yaml'],
      (f) => applyOptions(f, CTX),
      { ...COMMON, policy: POLICY, timeoutSeconds: 60, dataPlane: { ingressListen: { host: '127.0.0.1', port: 9090 }, serviceAddress: '::1' }, output: 'yaml' },
    ],
    [['plan'], (f) => planOptions(f, CTX), { ...COMMON, head: 'HEAD', output: 'text', policy: POLICY }],
    [['plan', '--live', '--ref', 'main'], (f) => planOptions(f, CTX), { ...COMMON, ref: 'main', head: 'main', output: 'text', policy: POLICY }],
    [
      ['plan', '--ref', 'main', '--base', 'main~1', '--head', 'topic', '-o', 'markdown'],
      (f) => planOptions(f, CTX),
      { ...COMMON, ref: 'main', base: 'main~1', head: 'topic', output: 'markdown', policy: POLICY },
    ],
    [
      ['run'],
      (f, cmd) => runOptions(f, CTX, (key) => cmd.getOptionValueSource(key) === 'cli'),
      {
        ...COMMON,
        policy: POLICY,
        poll: '*/10 * * * * *',
        listen: { host: '127.0.0.1', port: 7070 },
        dataPlane: { ingressListen: INGRESS, serviceAddress: '127.0.0.1' },
        ingressListenGiven: false,
        hpaSyncPeriodSeconds: 15,
        notify: { notifyWebhook: [], notifySlack: [] },
      },
    ],
    [
      [
        'run',
        '--no-server',
        '--poll',
        '*/5 * * * * *',
        '--ingress-listen',
        '0.0.0.0:80',
        '--hpa-sync-period',
        '30',
        '--notify-webhook',
        'http://a.example/h',
        '--notify-webhook',
        'https://b.example/h',
        '--notify-slack',
        'https://hooks.example/s',
        '--commit-status',
        'gitea',
        '--commit-status-repo',
        'o/n',
        '--commit-status-api',
        'http://gitea.example/api/v1',
        '--dashboard-url',
        'http://berth.example/',
      ],
      (f, cmd) => runOptions(f, CTX, (key) => cmd.getOptionValueSource(key) === 'cli'),
      {
        ...COMMON,
        policy: POLICY,
        poll: '*/5 * * * * *',
        dataPlane: { ingressListen: { host: '0.0.0.0', port: 80 }, serviceAddress: '127.0.0.1' },
        ingressListenGiven: true,
        hpaSyncPeriodSeconds: 30,
        notify: {
          notifyWebhook: ['http://a.example/h', 'https://b.example/h'],
          notifySlack: ['https://hooks.example/s'],
          commitStatus: 'gitea',
          commitStatusRepo: 'o/n',
          commitStatusApi: 'http://gitea.example/api/v1',
          dashboardUrl: 'http://berth.example/',
        },
      },
    ],
    [['rollout', 'status', 'shop/web'], (f) => rolloutStatusOptions(f, CTX), { ...COMMON, timeoutSeconds: 600, watch: true }],
    [
      ['rollout', 'status', 'shop/web', '--no-watch', '--timeout', '5', '--commit', 'v1.0'],
      (f) => rolloutStatusOptions(f, CTX),
      { ...COMMON, timeoutSeconds: 5, watch: false, commit: 'v1.0' },
    ],
    [['rollback', 'shop/web'], (f) => rollbackOptions(f), { server: 'http://127.0.0.1:7070' }],
    [['rollback', 'shop/web', '--to-commit', 'ABCD'], (f) => rollbackOptions(f), { toCommit: 'abcd', server: 'http://127.0.0.1:7070' }],
    [['rollback', 'shop/web', '--to-revision', '3', '--server', 'http://h:1'], (f) => rollbackOptions(f), { toRevision: '3', server: 'http://h:1' }],
    [['prune', 'confirm'], (f) => pruneConfirmOptions(f), { server: 'http://127.0.0.1:7070', output: 'text' }],
    [
      ['prune', 'confirm', '--commit', 'HEAD~1', '-o', 'json'],
      (f) => pruneConfirmOptions(f),
      { commit: 'HEAD~1', server: 'http://127.0.0.1:7070', output: 'json' },
    ],
    [['version'], (f) => versionOptions(f), { output: 'text' }],
    [['version', '--docker-socket', '/d.sock', '-o', 'yaml'], (f) => versionOptions(f), { output: 'yaml', dockerSocket: '/d.sock' }],
    [['proxy'], (f) => proxyOptions(f, CTX), { ...COMMON, dataPlane: { ingressListen: INGRESS }, stop: false }],
    [
      ['proxy', '--stop', '--ingress-listen', 'localhost:81'],
      (f) => proxyOptions(f, CTX),
      { ...COMMON, dataPlane: { ingressListen: { host: 'localhost', port: 81 } }, stop: true },
    ],
  ];
  for (const [argv, parse, expected] of cases) {
    it(argv.join(' '), async () => {
      const cmd = await parsed(argv);
      assert.deepEqual(parse(cmd.opts(), cmd), expected);
    });
  }
});

describe('command options: what the parsers refuse themselves (USAGE, exit 4 through runCli)', () => {
  const base = { repo: DEFAULTS.repo, stateDir: DEFAULTS.stateDir, instance: 'default', maxPodSecurity: 'restricted', output: 'text' };
  const cases: [what: string, parse: () => unknown, message: string][] = [
    [
      'BERTH_LOG_LEVEL not a level',
      () => commonOptions(base, { ...CTX, env: { BERTH_LOG_LEVEL: 'loud' } }),
      'BERTH_LOG_LEVEL "loud" is not a log level; allowed: trace, debug, info, warn, error, fatal, silent',
    ],
    ['plan --live --base', () => planOptions({ ...base, live: true, base: 'main' }, CTX), '--live and --base exclude each other'],
    ['plan -o markdown without --base', () => planOptions({ ...base, output: 'markdown' }, CTX), '-o markdown needs --base (it renders a pull-request plan)'],
    [
      'rollback --to-commit --to-revision',
      () => rollbackOptions({ toCommit: 'abcd', toRevision: '2', server: 'http://h' }),
      '--to-commit and --to-revision exclude each other',
    ],
    [
      '--host-path-allow relative',
      () => validateOptions({ ...base, hostPathAllow: ['rel'] }, CTX),
      '--host-path-allow must name absolute folders without "..", got "rel"',
    ],
  ];
  for (const [what, parse, message] of cases) {
    it(what, () => {
      assert.throws(parse, (err) => isBerthError(err) && err.code === 'USAGE' && err.message === message);
    });
  }
});

describe('command options: bad values exit 4 with what was wrong and what is allowed, before any adapter is used', () => {
  let stderr = '';
  const write = process.stderr.write;
  let added: string[] = [];
  beforeEach(() => {
    stderr = '';
    process.exitCode = undefined;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    }) as typeof process.stderr.write;
  });
  afterEach(() => {
    process.stderr.write = write;
    for (const key of added) delete process.env[key];
    added = [];
    process.exitCode = undefined;
  });

  const cases: [argv: string[], env: Record<string, string>, says: RegExp][] = [
    [['status', '-o', 'xml'], {}, /option '-o, --output <format>' argument 'xml' is invalid\. Allowed choices are text, json, yaml\./],
    [['get', 'ns', '-o', 'markdown'], {}, /Allowed choices are text, wide, json, yaml\./],
    [['plan', '-o', 'pdf'], {}, /Allowed choices are text, json, yaml, markdown\./],
    [['validate', '--max-pod-security', 'root'], {}, /Allowed choices are restricted, baseline, privileged\./],
    [['apply', '--timeout', 'abc'], {}, /"abc" is not a number of seconds; allowed: a whole number from 1 to 2147483/],
    [['rollout', 'status', 'shop/web', '--timeout', '1.5'], {}, /"1\.5" is not a number of seconds/],
    [['run', '--hpa-sync-period', '0'], {}, /"0" is not a number of seconds/],
    [['logs', 'shop/web', '--tail', 'x'], {}, /"x" is not a number of lines; allowed: 0 or more/],
    [['apply', '--ingress-listen', 'nope'], {}, /"nope" has no port; allowed: HOST:PORT/],
    [['run', '--service-address', 'nope'], {}, /"nope" is not an IP address/],
    [['run', '--commit-status', 'bitbucket'], {}, /Allowed choices are github, gitea, gitlab\./],
    [['status', '--log-level', 'loud'], {}, /"loud" is not a log level; allowed: trace, debug/],
    [['status'], { BERTH_LOG_LEVEL: 'loud' }, /^berth: USAGE: BERTH_LOG_LEVEL "loud" is not a log level; allowed: trace/],
    [['plan', '--base', 'HEAD', '--live'], {}, /^berth: USAGE: --live and --base exclude each other\n$/],
    [['plan', '-o', 'markdown'], {}, /^berth: USAGE: -o markdown needs --base/],
    [['rollback', 'shop/web', '--to-commit', 'abcd', '--to-revision', '2'], {}, /^berth: USAGE: --to-commit and --to-revision exclude each other\n$/],
    [['validate', '--storage-class', 'nope'], {}, /^berth: USAGE: --storage-class must be NAME=driver/],
  ];
  for (const [argv, extraEnv, says] of cases) {
    it(`${Object.entries(extraEnv)
      .map(([k, v]) => `${k}=${v} `)
      .join('')}${argv.join(' ')}`, async () => {
      for (const [key, value] of Object.entries(extraEnv)) {
        if (process.env[key] !== undefined) throw new Error(`${key} is set in the environment the tests run in`);
        process.env[key] = value;
        added.push(key);
      }
      const exit = await runCli(untouchedAdapters(), argv);
      process.stderr.write = write;
      assert.equal(exit, EXIT.usage, stderr);
      assert.match(stderr, says);
    });
  }
});

describe('parsed-flags: readers narrow commander values; a wrong type is a declaration bug, not a usage error', () => {
  const flags: ParsedFlags = { s: 'x', n: 3, t: true, l: ['a', 'b'], bad: 5, nan: Number.NaN, mixed: ['a', 1] };
  const cases: [what: string, read: () => unknown, expected: unknown][] = [
    ['text', () => textFlag(flags, 's'), 'x'],
    ['optional text, absent', () => optionalTextFlag(flags, 'missing'), undefined],
    ['number', () => numberFlag(flags, 'n'), 3],
    ['optional number, absent', () => optionalNumberFlag(flags, 'missing'), undefined],
    ['boolean, given', () => booleanFlag(flags, 't'), true],
    ['boolean, absent', () => booleanFlag(flags, 'missing'), false],
    ['--no-x, absent: true', () => booleanFlag(flags, 'missing', true), true],
    ['list', () => listFlag(flags, 'l'), ['a', 'b']],
    ['list, absent', () => listFlag(flags, 'missing'), []],
    ['choice', () => choiceFlag(flags, 's', ['x', 'y']), 'x'],
    ['text, a number', () => textFlag(flags, 'bad'), /option bad: expected a string, got 5/],
    ['text, absent', () => textFlag(flags, 'missing'), /option missing: expected a string, got undefined/],
    ['number, a string', () => numberFlag(flags, 's'), /option s: expected a number, got "x"/],
    ['number, NaN', () => numberFlag(flags, 'nan'), /option nan: expected a number/],
    ['boolean, a string', () => booleanFlag(flags, 's'), /option s: expected true or false/],
    ['list of mixed', () => listFlag(flags, 'mixed'), /option mixed: expected a list of strings/],
    ['choice, not one', () => choiceFlag(flags, 's', ['y', 'z']), /option s: expected one of y, z, got "x"/],
  ];
  for (const [what, read, expected] of cases) {
    it(what, () => {
      if (expected instanceof RegExp) assert.throws(read, (err) => err instanceof Error && !isBerthError(err) && expected.test(err.message));
      else assert.deepEqual(read(), expected);
    });
  }
});

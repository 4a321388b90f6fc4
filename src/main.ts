/**
 * The composition root: the only place concrete adapters (dockerode driver, isomorphic-git
 * source, file store, pino) are constructed. Everything else receives ports.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import pretty from 'pino-pretty';
import { runCli, type Adapters, type CommonOptions } from './cli/index.js';
import { isBerthError, type Clock, type Logger } from './core/index.js';
import { createSwarmDriver } from './runtime/swarm/index.js';
import { chooseDriver, createDockerDriver, readEngineFacts, resolveSocketPath, resolveTlsDir } from './runtime/docker/index.js';
import { createHostSecretResolver, parseSecretDirs } from './secrets/host/index.js';
import { REDACT_SECRET_PATHS } from './secrets/index.js';
import { REDACT_HEADER_PATHS } from './server/index.js';
import { DataPlaneClient, ensureProxyRunning, PROXY_TABLE_FILE, runProxyProcess } from './proxy/index.js';
import { openGitSource, type GitSource } from './source/index.js';
import { acquireLock, FileStore, LOCK_FILE, readStoreState } from './store/index.js';
import { PROJECT_ROOT } from './files/index.js';

/** Log paths that may carry secret values; pino replaces them with [redacted]. */
export const REDACT_PATHS = [
  'token',
  'password',
  'secret',
  'auth',
  '*.token',
  '*.password',
  '*.secret',
  '*.auth',
  'headers.authorization',
  ...REDACT_SECRET_PATHS,
  ...REDACT_HEADER_PATHS,
];

export function createLogger(level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  const options = { level, base: { name: 'berth' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if ((destination as NodeJS.WriteStream).isTTY && process.env.BERTH_LOG_FORMAT !== 'json') {
    return pino(options, pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname,name' }));
  }
  return pino(options, pino.destination({ fd: destination === process.stdout ? 1 : 2, sync: true }));
}

function stateDirDefault(): string {
  const xdg = process.env.XDG_STATE_HOME;
  return process.env.BERTH_STATE_DIR ?? join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.local', 'state'), 'berth');
}

function gitAuth(): { auth?: { token: string; username?: string } } {
  return process.env.BERTH_GIT_TOKEN
    ? { auth: { token: process.env.BERTH_GIT_TOKEN, ...(process.env.BERTH_GIT_USERNAME ? { username: process.env.BERTH_GIT_USERNAME } : {}) } }
    : {};
}

/** The Clock adapter: the one place berth reads the wall clock. */
const clock: Clock = { now: () => new Date() };

/** `--driver`, or with `auto` what the engine calls for (runtime/docker/detect.ts), said in the log. */
async function driverFor(o: Parameters<Adapters['openDriver']>[0], logger: Logger): Promise<'docker' | 'swarm'> {
  if (o.driver !== 'auto') return o.driver;
  const address = resolveSocketPath(o.dockerSocket);
  const facts = await readEngineFacts(address, resolveTlsDir(o.dockerTlsDir), o.instance);
  const { driver, why } = chooseDriver(facts);
  // Quiet on a plain engine (the common case); said when a Swarm manager decided it.
  logger[facts?.swarmManager ? 'info' : 'debug']({ driver, engine: address }, `--driver auto: ${driver} (${why})`);
  return driver;
}

/** The engine a command talks to: `--docker-socket` (a socket or tcp://) and `--docker-tls-dir`. */
function engineOf(o: { readonly dockerSocket?: string; readonly dockerTlsDir?: string }): { socketPath?: string; tlsDir?: string } {
  return { ...(o.dockerSocket ? { socketPath: o.dockerSocket } : {}), ...(o.dockerTlsDir ? { tlsDir: o.dockerTlsDir } : {}) };
}

/** A source opened on a scratch cache, for a reader beside the running berth: its mirror under the state directory is never written by one. */
async function withScratchSource<T>(o: CommonOptions, logger: Logger, ref: string | undefined, use: (source: GitSource) => Promise<T>): Promise<T> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'berth-peek-'));
  try {
    return await use(await openGitSource({ repo: o.repo, ...(ref ? { ref } : {}), path: o.path, cacheDir, ...gitAuth(), logger, clock }));
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

const adapters: Adapters = {
  clock,
  logger: (level) => createLogger(level),
  openSource: (o, logger) =>
    openGitSource({ repo: o.repo, ...(o.ref ? { ref: o.ref } : {}), path: o.path, cacheDir: join(o.stateDir, 'git'), ...gitAuth(), logger, clock }),
  peekSourceHead: (o, logger, ref) => withScratchSource(o, logger, ref ?? o.ref, (source) => source.peekHead()),
  sourceIncludes: (o, logger, commit, ancestor) =>
    withScratchSource(o, logger, o.ref, async (source) => {
      // A remote fetches what it advertises; a commit it does not hold includes nothing.
      const found = await source.resolveRef(commit).catch((err: unknown) => {
        if (isBerthError(err) && err.code === 'SOURCE_REF_NOT_FOUND') return undefined;
        throw err;
      });
      return found !== undefined && (await source.includes(found.oid, ancestor));
    }),
  // The instance is claimed for this state directory before the driver's first change (instance-claim.ts).
  openDriver: async (o, logger) =>
    ((await driverFor(o, logger)) === 'swarm' ? createSwarmDriver : createDockerDriver)({
      ...engineOf(o),
      instance: o.instance,
      logger,
      clock,
      claimFor: { stateDir: o.stateDir },
    }),
  openStore: (o, logger) => FileStore.open(o.stateDir, logger),
  readState: (o) => readStoreState(o.stateDir),
  lockState: async (o) => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(o.stateDir, { recursive: true, mode: 0o700 });
    const lock = await acquireLock(join(o.stateDir, LOCK_FILE));
    // One instance, one state directory: refused at start when another one holds the instance.
    // Any other failure (an engine that is down) is left to the driver, which claims before its first change.
    try {
      await createDockerDriver({
        ...engineOf(o),
        instance: o.instance,
        clock,
        claimFor: { stateDir: o.stateDir },
      }).claimInstance();
    } catch (err) {
      if (isBerthError(err) && err.code === 'INSTANCE_CLAIMED') {
        await lock.release();
        throw err;
      }
    }
    return lock;
  },
  // Secrets: files only inside BERTH_SECRET_DIRS (colon-separated, default /etc/berth/secrets), variables from this process.
  openSecretResolver: () => createHostSecretResolver({ allowedDirs: parseSecretDirs(process.env.BERTH_SECRET_DIRS) }),
  // The data plane: `berth proxy` on a unix socket in the state directory, started detached on first need.
  openDataPlane: (o, dp) => {
    const socketPath = join(o.stateDir, 'proxy.sock');
    const spawnArgs = [
      join(PROJECT_ROOT, 'bin', 'berth.mjs'),
      'proxy',
      '--state-dir',
      o.stateDir,
      '--ingress-listen',
      `${dp.ingressListen.host}:${dp.ingressListen.port}`,
      '--log-level',
      o.logLevel,
    ];
    return new DataPlaneClient({
      socketPath,
      start: () =>
        ensureProxyRunning({
          socketPath,
          spawnArgs,
          logFile: join(o.stateDir, 'proxy.log'),
          timeoutMs: 15_000,
          env: { ...process.env, BERTH_LOG_FORMAT: 'json' },
        }),
    });
  },
  runDataPlane: (o, dp, logger) =>
    runProxyProcess({ socketPath: join(o.stateDir, 'proxy.sock'), statePath: join(o.stateDir, PROXY_TABLE_FILE), ingressListen: dp.ingressListen, logger }),
  defaults: { repo: PROJECT_ROOT, stateDir: stateDirDefault() },
};

const code = await runCli(adapters, process.argv.slice(2));
process.exitCode = code;

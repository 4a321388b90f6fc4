/**
 * What the commands share: the common flags (cliContext), the operator policy flags, the data
 * plane options, opening a controller (the targets `berth run` converges to: controller/run-targets.ts).
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { BerthError, hasErrors, type Diagnostic, type Logger } from '../../core/index.js';
import { Controller, DesiredSource, isValidPollSchedule } from '../../controller/index.js';
import { DEFAULT_INSTANCE } from '../../desired/index.js';
import { loadManifests, ManifestCache, type ManifestSet } from '../../manifests/index.js';
import { parseOperatorPolicy, POD_SECURITY_LEVELS, type OperatorPolicy } from '../../policy/index.js';
import type { GitSource } from '../../source/index.js';
import type { Store } from '../../store/index.js';
import type { Adapters, CommonOptions, DataPlaneOptions } from '../adapters.js';
import { nonEmpty, instanceName, listenAddress, LOG_LEVELS, logLevel, type ListenAddress } from '../option-values.js';
import { type Notifier, notifyingStore } from '../../notify/index.js';

export function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'yaml']).default('text');
}

export function cronExpression(value: string): string {
  if (!isValidPollSchedule(value)) throw new InvalidArgumentError(`not a valid cron expression: "${value}" (six fields with seconds, e.g. "*/10 * * * * *")`);
  return value;
}

/**
 * The operator's ceiling for the namespace policy (policy/operator.ts), on the commands that
 * build desired state: run, apply, plan, validate. Flags only — never Git — so whoever can
 * push cannot raise it.
 */
export function policyOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--max-pod-security <level>', 'the highest pod-security level a Namespace may select with its pod-security.kubernetes.io/enforce label')
        .choices([...POD_SECURITY_LEVELS])
        .default('restricted'),
    )
    .option(
      '--host-path-allow <dir>',
      'a host folder hostPath volumes may use (repeatable; default: none, so no hostPath)',
      (dir: string, previous: string[] = []) => [...previous, dir],
    )
    .option('--allow-docker-socket', 'let namespaces at level privileged mount the Docker socket (root on this host)')
    .option(
      '--storage-class <name=driver[,option=value...]>',
      'a storage class PersistentVolumeClaims may name: the Docker volume driver and options of their volumes (repeatable; `local` is always defined)',
      (value: string, previous: string[] = []) => [...previous, value],
    );
}

export function operatorPolicy(raw: Record<string, unknown>, o: CommonOptions): OperatorPolicy {
  const dockerHost = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice('unix://'.length) : undefined;
  const socket = o.dockerSocket ?? dockerHost;
  return parseOperatorPolicy({
    maxLevel: String(raw.maxPodSecurity ?? 'restricted'),
    hostPathAllow: (raw.hostPathAllow as string[] | undefined) ?? [],
    allowDockerSocket: raw.allowDockerSocket === true,
    ...(socket ? { engineSockets: [socket] } : {}),
    storageClasses: (raw.storageClass as string[] | undefined) ?? [],
  });
}

export function dataPlaneOptions(raw: Record<string, unknown>): DataPlaneOptions & { serviceAddress: string } {
  return { ingressListen: listenOf(raw.ingressListen ?? DEFAULT_INGRESS_LISTEN), serviceAddress: String(raw.serviceAddress ?? '127.0.0.1') };
}

export async function openController(
  adapters: Adapters,
  o: CommonOptions,
  logger: Logger,
  pollSchedule: string,
  dp: DataPlaneOptions & { serviceAddress: string },
  policy: OperatorPolicy,
  notifier?: Notifier,
  autoscaleSyncMs?: number,
): Promise<{ controller: Controller; store: Store }> {
  const source = await adapters.openSource(o, logger);
  const driver = adapters.openDriver(o, logger);
  const opened = await adapters.openStore(o, logger);
  // Notifications watch what the controller writes; the controller does not know of them.
  const store = notifier ? notifyingStore(opened, notifier) : opened;
  const desiredSource = new DesiredSource(source, o.instance, logger, policy);
  const secretResolver = adapters.openSecretResolver(o, logger); // Secrets
  const dataPlane = adapters.openDataPlane(o, dp, logger.child({ component: 'data-plane' }));
  const controller = new Controller({
    desiredSource,
    driver,
    store,
    clock: adapters.clock,
    logger,
    instance: o.instance,
    pollSchedule,
    secretResolver,
    dataPlane,
    serviceAddress: dp.serviceAddress,
    ...(o.ref ? { watchedRef: o.ref } : {}),
    ...(policy.storageClasses ? { storageClasses: policy.storageClasses } : {}),
    ...(autoscaleSyncMs ? { autoscaleSyncMs } : {}),
  });
  return { controller, store };
}

export const DEFAULT_LISTEN = '127.0.0.1:7070';
export const DEFAULT_INGRESS_LISTEN = '127.0.0.1:8080';

/** A listen flag's value (checked by `listenFlag` when given; the defaults are valid). */
export function listenOf(value: unknown): ListenAddress {
  return listenAddress(String(value));
}

export async function loadAt(source: GitSource, commit: string): Promise<ManifestSet> {
  const cache = new ManifestCache();
  const snapshot = await source.snapshot({ commit });
  return loadManifests(snapshot, cache);
}

export function allDiagnostics(set: ManifestSet): Diagnostic[] {
  return [...set.diagnostics, ...set.namespaces.flatMap((n) => n.diagnostics)];
}

export function hasInvalid(set: ManifestSet): boolean {
  return set.namespaces.some((n) => !n.valid) || hasErrors(set.diagnostics);
}

/** What every command's registration needs: the adapters, the common source/engine/state flags and their resolution. */
export interface CliContext {
  readonly adapters: Adapters;
  /** Adds the flags every command that reads the source, the engine or the state directory takes. */
  readonly common: (cmd: Command) => Command;
  /** The common flags' values, defaults applied. */
  readonly resolve: (raw: Record<string, unknown>) => CommonOptions;
}

/** The common flags and their resolution, for `adapters`. */
export function cliContext(adapters: Adapters): CliContext {
  const common = (cmd: Command): Command =>
    cmd
      .option(
        '--repo <url|path>',
        'Git repository: http(s) URL or local path',
        nonEmpty('a Git repository: an http(s) URL or a local path'),
        adapters.defaults.repo,
      )
      .option(
        '--ref <ref>',
        'branch, tag or commit, optionally with ~N/^N as git rev-parse reads it: main~1 (default: the repository HEAD)',
        nonEmpty('a branch, tag or commit name'),
      )
      .option('--path <dir>', 'folder inside the repository holding one folder per namespace (default: sample-repo for the bundled repository, else the root)')
      .option('--state-dir <dir>', 'where status, history and the Git cache live', nonEmpty('a folder path'), adapters.defaults.stateDir)
      .option('--instance <name>', 'name of this berth installation (a DNS label); it owns only objects labelled with it', instanceName, DEFAULT_INSTANCE)
      .option('--docker-socket <path>', 'Docker engine socket (default: DOCKER_HOST or /var/run/docker.sock)', nonEmpty('the path of a unix socket'))
      .option('--log-level <level>', `${LOG_LEVELS.join('|')} (default: BERTH_LOG_LEVEL, else info)`, logLevel);

  const resolve = (raw: Record<string, unknown>): CommonOptions => {
    const repo = String(raw.repo);
    const path = raw.path !== undefined ? String(raw.path) : repo === adapters.defaults.repo ? 'sample-repo' : '';
    const instance = String(raw.instance);
    const level = raw.logLevel !== undefined ? String(raw.logLevel) : process.env.BERTH_LOG_LEVEL || 'info';
    if (!(LOG_LEVELS as readonly string[]).includes(level))
      throw new BerthError('USAGE', `BERTH_LOG_LEVEL ${JSON.stringify(level)} is not a log level; allowed: ${LOG_LEVELS.join(', ')}`);
    return {
      repo,
      ...(raw.ref !== undefined ? { ref: String(raw.ref) } : {}),
      path,
      stateDir: String(raw.stateDir),
      instance,
      ...(raw.dockerSocket !== undefined ? { dockerSocket: String(raw.dockerSocket) } : {}),
      logLevel: level,
    };
  };

  return { adapters, common, resolve };
}

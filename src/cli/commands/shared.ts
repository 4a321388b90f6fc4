/**
 * What the commands share: the common flags (cliContext) and their typed options (commonOptions),
 * the output format, the operator policy flags, the data plane options, and opening a controller (the targets `berth run` converges to:
 * controller/run-targets.ts).
 *
 * Each command reads commander's parsed values once, in its own `…Options` function, into a typed
 * options object its action then uses (kubectl's and the argocd CLI's options structs). Bad values
 * never get that far: commander refuses them first (option-values.ts, `.choices`), exit 4.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { BerthError, hashOf, hasErrors, type Diagnostic, type Logger } from '../../core/index.js';
import { resolve } from 'node:path';
import { Controller, DesiredSource, isValidPollSchedule, readManifestSet } from '../../controller/index.js';
import { DEFAULT_INSTANCE } from '../../desired/index.js';
import type { ManifestSet } from '../../manifests/index.js';
import { parseOperatorPolicy, POD_SECURITY_LEVELS, type OperatorPolicy } from '../../policy/index.js';
import type { GitSource } from '../../source/index.js';
import type { Store } from '../../store/index.js';
import { DRIVER_CHOICES, type Adapters, type CommonOptions, type DataPlaneOptions } from '../adapters.js';
import { nonEmpty, instanceName, isLogLevel, listenAddress, LOG_LEVELS, logLevel, type ListenAddress } from '../option-values.js';
import { choiceFlag, listFlag, optionalTextFlag, textFlag, booleanFlag, type ParsedFlags } from '../parsed-flags.js';
import { type Notifier, notifyingStore } from '../../notify/index.js';

/** `-o`: the formats of most commands (get adds wide, plan markdown). */
export const OUTPUT_FORMATS = ['text', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices([...OUTPUT_FORMATS]).default('text');
}

/** The value of `outputOption()`. */
export function outputFormat(flags: ParsedFlags): OutputFormat {
  return choiceFlag(flags, 'output', OUTPUT_FORMATS);
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

/** The values of `policyOptions()`, with the engine socket berth uses (USAGE errors name the flag). */
export function operatorPolicy(flags: ParsedFlags, o: CommonOptions, env: FlagContext['env']): OperatorPolicy {
  const dockerHost = env.DOCKER_HOST?.startsWith('unix://') ? env.DOCKER_HOST.slice('unix://'.length) : undefined;
  // A socket on this host (a pod mounting it is root here); an engine at tcp:// has none.
  const given = o.dockerSocket?.startsWith('unix://') ? o.dockerSocket.slice('unix://'.length) : o.dockerSocket;
  const socket = given !== undefined ? (/^[a-z][a-z0-9+.-]*:\/\//i.test(given) ? undefined : given) : dockerHost;
  return parseOperatorPolicy({
    maxLevel: choiceFlag(flags, 'maxPodSecurity', POD_SECURITY_LEVELS),
    hostPathAllow: listFlag(flags, 'hostPathAllow'),
    allowDockerSocket: booleanFlag(flags, 'allowDockerSocket'),
    ...(socket ? { engineSockets: [socket] } : {}),
    storageClasses: listFlag(flags, 'storageClass'),
  });
}

/** Where the data plane serves: `--ingress-listen` and `--service-address` (run, apply). */
export type DataPlaneFlags = DataPlaneOptions & { readonly serviceAddress: string };

export function dataPlaneOptions(flags: ParsedFlags): DataPlaneFlags {
  return { ingressListen: listenOf(textFlag(flags, 'ingressListen')), serviceAddress: textFlag(flags, 'serviceAddress') };
}

export async function openController(
  adapters: Adapters,
  o: CommonOptions,
  logger: Logger,
  pollSchedule: string,
  dp: DataPlaneFlags,
  policy: OperatorPolicy,
  notifier?: Notifier,
  autoscaleSyncMs?: number,
): Promise<{ controller: Controller; store: Store }> {
  const source = await adapters.openSource(o, logger);
  const driver = await adapters.openDriver(o, logger);
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
export function listenOf(value: string): ListenAddress {
  return listenAddress(value);
}

export function loadAt(source: GitSource, commit: string): Promise<ManifestSet> {
  return readManifestSet(source, commit);
}

export function allDiagnostics(set: ManifestSet): Diagnostic[] {
  return [...set.diagnostics, ...set.namespaces.flatMap((n) => n.diagnostics)];
}

export function hasInvalid(set: ManifestSet): boolean {
  return set.namespaces.some((n) => !n.valid) || hasErrors(set.diagnostics);
}

/** What reading the flags needs besides their values: the adapters' defaults and the environment. */
export interface FlagContext {
  readonly defaults: Adapters['defaults'];
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** What every command's registration needs: the adapters, the common source/engine/state flags and what parsing them needs. */
export interface CliContext extends FlagContext {
  readonly adapters: Adapters;
  /** Adds the flags every command that reads the source, the engine or the state directory takes. */
  readonly common: (cmd: Command) => Command;
}

/**
 * The values of the common flags (`CliContext.common`), defaults applied: --path defaults to
 * sample-repo for the bundled repository, --log-level to BERTH_LOG_LEVEL (checked here: commander
 * never sees it), else info.
 */
export function commonOptions(flags: ParsedFlags, ctx: FlagContext): CommonOptions {
  const repo = textFlag(flags, 'repo');
  const ref = optionalTextFlag(flags, 'ref');
  const path = optionalTextFlag(flags, 'path') ?? (repo === ctx.defaults.repo ? 'sample-repo' : '');
  const dockerSocket = optionalTextFlag(flags, 'dockerSocket');
  const dockerTlsDir = optionalTextFlag(flags, 'dockerTlsDir');
  const level = optionalTextFlag(flags, 'logLevel') ?? (ctx.env.BERTH_LOG_LEVEL || 'info');
  if (!isLogLevel(level)) throw new BerthError('USAGE', `BERTH_LOG_LEVEL ${JSON.stringify(level)} is not a log level; allowed: ${LOG_LEVELS.join(', ')}`);
  return {
    repo,
    ...(ref !== undefined ? { ref } : {}),
    path,
    stateDir: textFlag(flags, 'stateDir'),
    instance: textFlag(flags, 'instance'),
    ...(dockerSocket !== undefined ? { dockerSocket } : {}),
    ...(dockerTlsDir !== undefined ? { dockerTlsDir } : {}),
    driver: flags['driver'] === undefined ? 'auto' : choiceFlag(flags, 'driver', DRIVER_CHOICES),
    logLevel: level,
  };
}

/**
 * What a live plan is of, as a fingerprint: the source (a local path made absolute), the folder,
 * the instance, the engine socket and the operator's policy. `berth run` records its own beside
 * its API's address; `berth plan --live` asks that berth only when its own is the same (a hash:
 * a repository URL may carry credentials, and the state directory is no place for them).
 */
export function planScope(o: CommonOptions, policy: OperatorPolicy): string {
  const repo = /^[a-z][a-z0-9+.-]*:\/\//i.test(o.repo) ? o.repo : resolve(o.repo);
  return hashOf(
    { repo, path: o.path, instance: o.instance, dockerSocket: o.dockerSocket ?? null, ...(o.driver === 'swarm' ? { driver: o.driver } : {}), policy },
    32,
  );
}

/** The common flags for `adapters`; the environment is `env` (process.env in the CLI). */
export function cliContext(adapters: Adapters, env: FlagContext['env'] = process.env): CliContext {
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
      .option(
        '--docker-socket <address>',
        'Docker engine: a unix socket path (unix:///path), tcp://host:port or ssh://user@host (default: DOCKER_HOST or /var/run/docker.sock)',
        nonEmpty('a unix socket path, tcp://host:port or ssh://user@host'),
      )
      .option(
        '--docker-tls-dir <dir>',
        'TLS for an engine at tcp://: a folder with ca.pem, cert.pem and key.pem (default: DOCKER_CERT_PATH when DOCKER_TLS_VERIFY is set)',
        nonEmpty('a folder path'),
      )
      .addOption(
        new Option(
          '--driver <name>',
          'runtime: docker (one engine), swarm (a Swarm cluster, through the manager at --docker-socket), or auto: swarm when the engine is a Swarm manager with no containers of this instance',
        )
          .choices([...DRIVER_CHOICES])
          .default('auto'),
      )
      .option('--log-level <level>', `${LOG_LEVELS.join('|')} (default: BERTH_LOG_LEVEL, else info)`, logLevel);

  return { adapters, common, defaults: adapters.defaults, env };
}

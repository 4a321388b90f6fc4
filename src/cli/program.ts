import { Command, InvalidArgumentError, Option } from 'commander';
import { BerthError, hasErrors, isBerthError, describeError, ownValue, type Diagnostic, type Logger } from '../core/index.js';
import { Controller, DEFAULT_AUTOSCALE_SYNC_MS, DEFAULT_POLL_SCHEDULE, DesiredSource, isValidPollSchedule } from '../controller/index.js';
import { buildDesiredState, DEFAULT_INSTANCE, volumeName, type DesiredNamespace, type DesiredState } from '../desired/index.js';
import { loadManifests, ManifestCache, type ManifestSet } from '../manifests/index.js';
import { observe, type PodStatus } from '../observed/index.js';
import { checkNamespacePolicy, namespacePolicy, parseOperatorPolicy, POD_SECURITY_LEVELS, type OperatorPolicy } from '../policy/index.js';
import {
  applyAutoscalersTo,
  applyPinsTo,
  type Autoscaled,
  confirmedVolumeDeletes,
  diff,
  hasChanges,
  isPruneConfirmed,
  renderPlanJson,
  renderPlanText,
  pinnedTemplates,
  type PinnedNamespace,
} from '../plan/index.js';
import { compare, planExitCode, renderChangeSetJson, renderChangeSetMarkdown, renderChangeSetText } from '../preview/index.js';
import { LABEL } from '../runtime/index.js';
import { startServer } from '../server/index.js';
import type { GitSource } from '../source/index.js';
import type { Store, StoreState } from '../store/index.js';
import type { Adapters, CommonOptions, DataPlaneOptions } from './adapters.js';
import { callApi, localUser, reportRefusal } from './api-client.js';
import { EXIT } from './exit-codes.js';
import { renderDiagnostics, renderStatus, write } from './output.js';
import { isStructured, reformatJson, renderStructured } from './structured-output.js';
import { renderVersion, versionReport } from './version.js';
import { COMPLETION_SHELLS, completionScript } from './completion.js';
import { guardProcess } from './process-guard.js';
import {
  commitOrRevision,
  deploymentTarget,
  dnsLabel,
  nonEmpty,
  instanceName,
  ipAddress,
  listenAddress,
  listenFlag,
  LOG_LEVELS,
  logLevel,
  revisionRef,
  seconds,
  serverUrl,
  type ListenAddress,
} from './option-values.js';
import { checkIngressListen, listenFailure, probeListen } from './listen-check.js';
import { rolloutVerdict } from './rollout-status.js';
import { followsReplica, lineWriter, selectLogTargets, shownPrefix, sinceSeconds, sinceValue, tailValue, type LogTarget } from './logs.js';
import { getDeployments, getKind, getNamespaces, getPods, getServices, nothingFound, renderTable, type GetKind, type GetResult } from './get.js';
import { notifyConfig, notifyOptions } from './notify-options.js';
import { Notifier, notifyingStore } from '../notify/index.js';
import { PROXY_TABLE_FILE, persistedClusterIps } from '../proxy/index.js';
import { join } from 'node:path';

function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'yaml']).default('text');
}

function cronExpression(value: string): string {
  if (!isValidPollSchedule(value)) throw new InvalidArgumentError(`not a valid cron expression: "${value}" (six fields with seconds, e.g. "*/10 * * * * *")`);
  return value;
}

/** Builds the `berth` command line. Exit codes: see exit-codes.ts. */
export function buildProgram(adapters: Adapters): Command {
  const program = new Command('berth')
    .description('Declarative GitOps reconciler for Docker hosts: Kubernetes-style manifests in Git, converged on a Docker engine.')
    .showHelpAfterError()
    .exitOverride()
    // Handled here rather than by commander's .version(), so `--version` prints what `berth version` does.
    .option('--version', 'print the versions of berth, Node and the Docker engine, and exit');

  program
    .command('completion')
    .description('print a shell completion script: `source <(berth completion bash)` (zsh: `source <(berth completion zsh)`)')
    .argument('<shell>', COMPLETION_SHELLS.join('|'), (value: string) => {
      if (!(COMPLETION_SHELLS as readonly string[]).includes(value))
        throw new InvalidArgumentError(`"${value}" is not a supported shell; allowed: ${COMPLETION_SHELLS.join(', ')}`);
      return value;
    })
    .action((shell: (typeof COMPLETION_SHELLS)[number]) => {
      write(completionScript(program, shell));
    });

  program
    .command('version')
    .description("print the versions of berth, Node and the Docker engine (the engine's only when it answers; never fails for it)")
    .option('--docker-socket <path>', 'Docker engine socket (default: DOCKER_HOST or /var/run/docker.sock)', nonEmpty('the path of a unix socket'))
    .addOption(outputOption())
    .action(async (raw: Record<string, unknown>) => {
      const output = String(raw.output);
      const report = await versionReport(adapters, raw.dockerSocket !== undefined ? String(raw.dockerSocket) : undefined);
      write(isStructured(output) ? renderStructured(output, report) : renderVersion(report));
    });

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

  notifyOptions(common(policyOptions(program.command('run'))))
    .description('run the reconciler: poll the source, watch the engine, converge continuously; serve the HTTP API and webhooks')
    .addOption(new Option('--poll <cron>', 'poll schedule, node-cron syntax with seconds').default(DEFAULT_POLL_SCHEDULE).argParser(cronExpression))
    .option('--listen <host:port>', 'HTTP API, webhooks, /healthz, /metrics (secrets: BERTH_WEBHOOK_SECRET, BERTH_API_TOKEN)', listenFlag, DEFAULT_LISTEN)
    .option('--no-server', 'do not serve HTTP')
    .option('--ingress-listen <host:port>', 'where the data plane serves Ingress rules (HTTP)', listenFlag, DEFAULT_INGRESS_LISTEN)
    .option('--service-address <ip>', 'address Services listen on (their port, or nodePort when set)', ipAddress, '127.0.0.1')
    .option('--hpa-sync-period <seconds>', 'how often HorizontalPodAutoscalers measure and decide (Kubernetes: 15)', seconds, DEFAULT_AUTOSCALE_SYNC_MS / 1000)
    .action(async (raw: Record<string, unknown>, cmd: Command) => {
      const o = resolve(raw);
      const policy = operatorPolicy(raw, o);
      const logger = adapters.logger(o.logLevel);
      guardProcess(logger);
      const dp = dataPlaneOptions(raw);
      // The data plane starts only when a namespace first has a Service or Ingress, and reports a
      // bind error of its own in status: the default Ingress address is checked only when it was
      // asked for, so a berth with no Ingress does not refuse to start over a busy 8080.
      const ingressAsked = cmd.getOptionValueSource('ingressListen') === 'cli';
      const listen = raw.server !== false ? listenOf(raw.listen) : undefined;
      // Every address is checked before anything is reconciled: a berth that cannot serve where
      // it was told to exits at start, as any server does. Checked by binding for a moment (a
      // few ms), not by starting the API first: fastify takes ~1 s to start on a loaded host,
      // which would delay the first pass (and a restarted berth's view of a rollout) by as much.
      await Promise.all([
        ...(listen ? [probeListen('--listen', listen)] : []),
        probeListen('--service-address', { host: dp.serviceAddress, port: 0 }),
        ...(ingressAsked ? [checkIngressListen(adapters.openDataPlane(o, dp, logger.child({ component: 'data-plane' })), dp.ingressListen)] : []),
      ]);
      const notifier = new Notifier({
        config: notifyConfig(raw, process.env, listen ? `${listen.host}:${listen.port}` : undefined),
        clock: adapters.clock,
        logger: logger.child({ component: 'notify' }),
      });
      const lock = await adapters.lockState(o);
      const { controller, store } = await openController(adapters, o, logger, String(raw.poll), dp, policy, notifier, Number(raw.hpaSyncPeriod) * 1000).catch(
        async (err: unknown) => {
          await lock.release();
          throw err;
        },
      );
      logger.info({ repo: o.repo, ref: o.ref ?? 'HEAD', path: o.path, instance: o.instance, stateDir: o.stateDir }, 'berth running');
      controller.start();
      let server: { url: string; close(): Promise<void> } | undefined;
      if (listen) {
        try {
          server = await startServer({
            control: {
              syncNow: () => controller.syncNow(),
              watchedRef: () => controller.watchedRef(),
              rollback: (args) => controller.rollback(args),
              confirmPrune: (args) => controller.confirmPrune(args),
              pods: (args) => controller.pods(args),
            },
            store,
            logger,
            listen,
            ...(process.env.BERTH_WEBHOOK_SECRET ? { webhookSecret: process.env.BERTH_WEBHOOK_SECRET } : {}),
            ...(process.env.BERTH_GITLAB_TOKEN ? { gitlabToken: process.env.BERTH_GITLAB_TOKEN } : {}),
            ...(process.env.BERTH_API_TOKEN ? { apiToken: process.env.BERTH_API_TOKEN } : {}),
          });
        } catch (err) {
          // Taken in the moment since the check: berth never runs without its API.
          await controller.stop();
          await lock.release();
          throw isBerthError(err) ? err : listenFailure('--listen', listen, err);
        }
        logger.info({ url: server.url, webhooks: Boolean(process.env.BERTH_WEBHOOK_SECRET), api: Boolean(process.env.BERTH_API_TOKEN) }, 'serving HTTP');
      }
      await new Promise<void>((resolveStop) => {
        const stop = (signal: string) => {
          logger.info({ signal }, 'stopping');
          resolveStop();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server?.close();
      await controller.stop();
      await notifier.close();
      await lock.release();
    });

  program
    .command('rollback')
    .description(
      'pin a Deployment to an earlier revision until the next commit that changes it (asks the running `berth run` over its API; token: BERTH_API_TOKEN)',
    )
    .argument('<namespace/name>', 'the Deployment', deploymentTarget)
    .option(
      '--to-commit <commit>',
      'run the template the Deployment had at this commit: an id (4-40 hex digits) or a revision such as HEAD~1, resolved by the running berth',
      commitOrRevision(4),
    )
    .option('--to-revision <revision>', 'run this revision from `berth history`: its number (#) or hash (default: the previous good one)', revisionRef)
    .option('--server <url>', 'the API of the running berth', serverUrl, `http://${DEFAULT_LISTEN}`)
    .action(async ([namespace, name]: [string, string], raw: Record<string, unknown>) => {
      if (raw.toCommit && raw.toRevision) throw new BerthError('USAGE', '--to-commit and --to-revision exclude each other');
      const body = { ...(raw.toCommit ? { toCommit: String(raw.toCommit) } : {}), ...(raw.toRevision ? { toRevision: String(raw.toRevision) } : {}) };
      const answer = await callApi<{ pinnedTo?: string }>({
        server: String(raw.server),
        method: 'POST',
        path: `/api/v1/namespaces/${namespace}/deployments/${name}/rollback`,
        body,
      });
      if (!answer.ok) return reportRefusal(answer);
      write(`${namespace}/${name} pinned to ${answer.body.pinnedTo} until a commit changes it`);
    });

  program
    .command('prune')
    .description('the prune guard: a commit removing a whole namespace or more than half of what runs prunes nothing until confirmed')
    .command('confirm')
    .description(
      'let the commit the prune guard holds prune, as a "Berth-Confirm-Prune: yes" trailer in its message would (that commit only; asks the running `berth run` over its API; token: BERTH_API_TOKEN)',
    )
    .option(
      '--commit <commit>',
      'the held commit: full id, at least 7 hex digits, or a revision such as HEAD resolved by the running berth (default: the commit berth is at, from its /api/v1/status)',
      commitOrRevision(7),
    )
    .option('--server <url>', 'the API of the running berth', serverUrl, `http://${DEFAULT_LISTEN}`)
    .addOption(outputOption())
    .action(async (raw: Record<string, unknown>) => {
      const server = String(raw.server);
      let commit = raw.commit !== undefined ? String(raw.commit) : undefined;
      if (commit === undefined) {
        const status = await callApi<{ source?: { commit?: string } }>({ server, method: 'GET', path: '/api/v1/status' });
        commit = status.body.source?.commit;
        if (!status.ok || !commit)
          throw new BerthError('CONFLICT', `berth at ${server} reports no commit yet${status.ok ? '' : ` (${status.status})`}; pass --commit`);
      }
      const by = localUser();
      const answer = await callApi<{ confirmed?: string; reasons?: string[] }>({
        server,
        method: 'POST',
        path: '/api/v1/prune/confirm',
        body: { commit, ...(by ? { by } : {}) },
      });
      if (!answer.ok) return reportRefusal(answer);
      const { confirmed = commit, reasons = [] } = answer.body;
      const output = String(raw.output);
      write(
        isStructured(output)
          ? renderStructured(output, { confirmed, reasons })
          : `prunes of commit ${confirmed.slice(0, 12)} confirmed${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}: berth goes ahead now; the next commit is judged afresh`,
      );
    });

  common(policyOptions(program.command('apply')))
    .description('converge once and exit (exit 0 when every namespace is synced)')
    .option('--once', 'run one convergence and exit (the only mode apply has; kept for familiarity)', true)
    .option('--timeout <seconds>', 'give up after this long', seconds, 300)
    .option('--ingress-listen <host:port>', 'where the data plane serves Ingress rules (HTTP)', listenFlag, DEFAULT_INGRESS_LISTEN)
    .option('--service-address <ip>', 'address Services listen on (their port, or nodePort when set)', ipAddress, '127.0.0.1')
    .addOption(outputOption())
    .action(async (raw: Record<string, unknown>) => {
      const o = resolve(raw);
      const policy = operatorPolicy(raw, o);
      const logger = adapters.logger(o.logLevel);
      guardProcess(logger);
      const lock = await adapters.lockState(o);
      try {
        const { controller } = await openController(adapters, o, logger, DEFAULT_POLL_SCHEDULE, dataPlaneOptions(raw), policy);
        const outcomes = await controller.converge(new Date(adapters.clock.now().getTime() + Number(raw.timeout) * 1000));
        await controller.stop();
        const store = await adapters.openStore(o, logger);
        const state = store.readState();
        const output = String(raw.output);
        write(isStructured(output) ? renderStructured(output, state) : renderStatus(state));
        if (!state.source?.commit) process.exitCode = EXIT.failure;
        else if (Object.values(state.namespaces).some((n) => n.phase === 'Invalid' || n.phase === 'Refused')) process.exitCode = EXIT.invalid;
        else if ([...outcomes.values()].some((x) => x.result !== 'ready')) process.exitCode = EXIT.failure;
        else process.exitCode = EXIT.ok;
      } finally {
        await lock.release();
      }
    });

  common(policyOptions(program.command('plan')))
    .description(
      'show what a commit would change: on the engine now (default, --live), or relative to another commit (--base/--head, no engine needed). Exit 0 no changes, 1 changes, 2 invalid input',
    )
    .option('--live', 'compare the head with what runs on the engine now (the default without --base)')
    .option(
      '--base <ref>',
      'compare with the manifests at this ref (branch, tag, commit; HEAD~1, main^ …) instead of the engine: a pull-request plan',
      nonEmpty('a branch, tag or commit name'),
    )
    .option('--head <ref>', 'the ref to plan (default: --ref, else HEAD; HEAD~1, main^ … too)', nonEmpty('a branch, tag or commit name'))
    .addOption(
      new Option('-o, --output <format>', 'output format (markdown: for a PR comment, with --base)')
        .choices(['text', 'json', 'yaml', 'markdown'])
        .default('text'),
    )
    .action(async (raw: Record<string, unknown>) => {
      const o = resolve(raw);
      const output = String(raw.output);
      if (raw.base !== undefined && raw.live) throw new BerthError('USAGE', '--live and --base exclude each other');
      if (output === 'markdown' && raw.base === undefined) throw new BerthError('USAGE', '-o markdown needs --base (it renders a pull-request plan)');
      const logger = adapters.logger(o.logLevel);
      const policy = operatorPolicy(raw, o);
      const source = await adapters.openSource(o, logger);
      const head = await source.resolveRef(String(raw.head ?? o.ref ?? 'HEAD'));
      const headManifests = await loadAt(source, head.oid);
      // Against the engine, a namespace the policy refuses is invalid (as `berth run` sees it); in a
      // pull-request plan it is "denied", with what would change once the policy allows it.
      const headDesired = buildDesiredState(headManifests, { instance: o.instance, ...(raw.base === undefined ? { policy: namespacePolicy(policy) } : {}) });
      if (raw.base !== undefined) {
        const base = await source.resolveRef(String(raw.base));
        const baseDesired = await loadAt(source, base.oid).then(
          (m) => buildDesiredState(m, { instance: o.instance }),
          (err: unknown) => {
            // A base that predates the manifest folder: everything in the head is new.
            if (isBerthError(err) && err.code === 'SOURCE_PATH_NOT_FOUND') return undefined;
            throw err;
          },
        );
        const changes = compare(baseDesired, headDesired, {
          root: o.path,
          denials: headManifests.namespaces.flatMap((ns) => checkNamespacePolicy(ns, policy)),
        });
        write(
          isStructured(output)
            ? reformatJson(output, renderChangeSetJson(changes))
            : output === 'markdown'
              ? renderChangeSetMarkdown(changes)
              : renderChangeSetText(changes),
        );
        process.exitCode = planExitCode(changes);
        return;
      }
      const driver = adapters.openDriver(o, logger);
      const observed = observe(await driver.inventory());
      const state = await adapters.readState(o).catch(() => undefined);
      // Confirmed as `berth run` judges it: the trailer, or `berth prune confirm` recorded in the state directory.
      const confirmedInStore = state?.pruneConfirmations?.[head.oid] !== undefined;
      // Rollback pins, applied by the rule `berth run` follows, so the plan shows what the next pass does.
      const {
        desired: target,
        rollbacks,
        lastValid,
        autoscaled,
      } = await runTargets(headDesired, head.oid, state, async (commit) =>
        buildDesiredState(await loadAt(source, commit), { instance: o.instance, policy: namespacePolicy(policy) }),
      );
      const plan = diff(target, observed, {
        rollbacks,
        lastValid,
        autoscaled,
        confirmPrune: isPruneConfirmed(head.message) || confirmedInStore,
        confirmedVolumeDeletes: confirmedVolumeDeletes(head.message),
        // The addresses the data plane keeps (its persisted tables): the ones `berth run` will serve.
        clusterIPs: await persistedClusterIps(join(o.stateDir, PROXY_TABLE_FILE)),
      });
      write(isStructured(output) ? reformatJson(output, renderPlanJson(plan)) : renderPlanText(plan));
      process.exitCode = hasInvalid(headManifests) || headDesired.namespaces.some((n) => !n.valid) ? EXIT.invalid : hasChanges(plan) ? EXIT.changes : EXIT.ok;
    });

  common(policyOptions(program.command('validate')))
    .description('parse and validate the manifests at a commit, and check them against the namespace policy (exit 0 valid, 2 errors); needs no engine')
    .addOption(outputOption())
    .action(async (raw: Record<string, unknown>) => {
      const o = resolve(raw);
      const policy = operatorPolicy(raw, o);
      const logger = adapters.logger(o.logLevel);
      const source = await adapters.openSource(o, logger);
      const commit = await source.resolveRef(o.ref ?? 'HEAD');
      const manifests = await loadAt(source, commit.oid);
      const diagnostics = [...allDiagnostics(manifests), ...manifests.namespaces.flatMap((ns) => checkNamespacePolicy(ns, policy))];
      const output = String(raw.output);
      if (isStructured(output)) write(renderStructured(output, { commit: commit.oid, valid: !hasErrors(diagnostics), diagnostics }));
      else write(`commit ${commit.oid.slice(0, 12)}: ${manifests.namespaces.length} namespace(s)\n${renderDiagnostics(diagnostics)}`);
      process.exitCode = hasErrors(diagnostics) ? EXIT.invalid : EXIT.ok;
    });

  common(program.command('status'))
    .description('show what the last passes did, per namespace (reads the state directory)')
    .addOption(outputOption())
    .action(async (raw: Record<string, unknown>) => {
      const state = await adapters.readState(resolve(raw));
      const output = String(raw.output);
      write(isStructured(output) ? renderStructured(output, state) : renderStatus(state));
    });

  common(program.command('get'))
    .description(
      'list namespaces, deployments, pods or services as kubectl get does (pods ask the running berth, whose prober knows readiness; the rest read the state directory)',
    )
    .argument('<kind>', 'namespaces (ns), deployments (deploy), pods (po) or services (svc)', getKind)
    .argument('[name]', 'only the object of this name', dnsLabel)
    .option('-n, --namespace <namespace>', 'only this namespace (default: every namespace, with a NAMESPACE column)', dnsLabel)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'wide', 'json', 'yaml']).default('text'))
    .option('--server <url>', 'pods: the API of the running berth', serverUrl, `http://${DEFAULT_LISTEN}`)
    .action(async (kind: GetKind, name: string | undefined, raw: Record<string, unknown>) => {
      const o = resolve(raw);
      const output = String(raw.output);
      const query = {
        ...(raw.namespace !== undefined ? { namespace: String(raw.namespace) } : {}),
        ...(name !== undefined ? { name } : {}),
        wide: output === 'wide',
        now: adapters.clock.now(),
      };
      let result: GetResult;
      if (kind === 'pods') {
        const answer = await callApi<{ pods?: PodStatus[] }>({
          server: String(raw.server),
          method: 'GET',
          path: `/api/v1/pods${query.namespace ? `?namespace=${query.namespace}` : ''}`,
        });
        if (!answer.ok) return reportRefusal(answer);
        result = getPods(answer.body.pods ?? [], query);
      } else {
        const state = await adapters.readState(o);
        result = kind === 'namespaces' ? getNamespaces(state, query) : kind === 'deployments' ? getDeployments(state, query) : getServices(state, query);
      }
      if (name !== undefined && result.items.length === 0) {
        process.stderr.write(`berth: NOT_FOUND: ${kind} ${JSON.stringify(name)} not found${query.namespace ? ` in namespace ${query.namespace}` : ''}\n`);
        return void (process.exitCode = EXIT.failure);
      }
      if (isStructured(output)) return write(renderStructured(output, { kind, items: result.items }));
      if (result.items.length === 0) return void process.stderr.write(`${nothingFound(query)}\n`);
      process.stdout.write(renderTable(result.header, result.rows));
    });

  common(program.command('logs'))
    .description(
      'print the logs of every replica of a Deployment, each line prefixed pod/container (reads the engine, like docker logs; works without a running berth)',
    )
    .argument('<namespace/name>', 'the Deployment', deploymentTarget)
    .option('-f, --follow', 'stream the logs, and those of replicas created later (a rollout), until interrupted')
    .option('--since <duration|time>', 'only lines newer than this: 30s, 5m, 1h30m, or an RFC 3339 time', sinceValue)
    .option('--tail <lines>', 'only the last lines of each container', tailValue)
    .option('-c, --container <name>', "only this container of the pod: the app's name or an init container's")
    .option('-p, --previous', 'the replica container that exited last (a crash-looping slot keeps it until it is replaced)')
    .option('--revision <revision>', 'only replicas of this template revision (as berth history and berth get pods -o wide show it)', revisionRef)
    .option('--timestamps', "prefix each line with the engine's timestamp")
    .action(async ([namespace, name]: [string, string], raw: Record<string, unknown>) => {
      const o = resolve(raw);
      const logger = adapters.logger(o.logLevel);
      const driver = adapters.openDriver(o, logger);
      const selection = {
        ...(raw.revision !== undefined ? { revision: String(raw.revision) } : {}),
        ...(raw.container !== undefined ? { container: String(raw.container) } : {}),
        ...(raw.previous ? { previous: true } : {}),
      };
      const deploymentOf = async () =>
        observe(await driver.inventory({ namespace }))
          .namespaces.find((n) => n.name === namespace)
          ?.deployments.find((d) => d.name === name);
      const targets = selectLogTargets(await deploymentOf(), selection);
      if (typeof targets === 'string') {
        process.stderr.write(`berth: NOT_FOUND: Deployment ${namespace}/${name} ${targets}\n`);
        return void (process.exitCode = EXIT.failure);
      }
      const follow = raw.follow === true && !raw.previous;
      const tty = process.stdout.isTTY === true;
      const options = {
        follow,
        ...(raw.since !== undefined ? { since: sinceSeconds(String(raw.since), adapters.clock.now()) } : {}),
        ...(raw.tail !== undefined ? { tail: Number(raw.tail) } : {}),
        ...(raw.timestamps ? { timestamps: true } : {}),
      };
      const stop = new AbortController();
      const streamed = new Set<string>();
      const show = async (target: LogTarget, index: number, since = options): Promise<void> => {
        streamed.add(target.id);
        const prefix = shownPrefix(target.prefix, index, tty);
        const out = lineWriter(prefix, (line) => process.stdout.write(`${line}\n`));
        const err = lineWriter(prefix, (line) => process.stderr.write(`${line}\n`));
        try {
          await driver.logs(
            target.id,
            { ...since, follow: follow && target.running },
            (stream, text) => (stream === 'stderr' ? err : out).push(text),
            stop.signal,
          );
        } catch (e) {
          // A replica removed while its log was read (a rollout) ends its stream, not the command.
          if (!isBerthError(e) || e.code !== 'ENGINE_CONFLICT') throw e;
        } finally {
          out.end();
          err.end();
        }
      };
      if (!follow) {
        for (const [i, t] of targets.entries()) await show(t, i);
        return;
      }
      // Following: every selected container at once, and each replica started later from its first line.
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
      const streams = targets.map((t, i) => show(t, i));
      let next = targets.length;
      const watching = driver.watch(async (event) => {
        if (event.kind !== 'container-started' || streamed.has(event.id) || event.labels[LABEL.namespace] !== namespace || event.labels[LABEL.name] !== name)
          return;
        const replica = (await deploymentOf().catch(() => undefined))?.replicas.find((r) => r.id === event.id);
        if (!replica || streamed.has(replica.id) || !followsReplica(replica, name, selection)) return;
        const target = selectLogTargets({ namespace, name, replicas: [replica] }, {});
        if (typeof target !== 'string') streams.push(show(target[0]!, next++, { follow: true, ...(options.timestamps ? { timestamps: true } : {}) }));
      }, stop.signal);
      await new Promise<void>((resolveStop) => stop.signal.addEventListener('abort', () => resolveStop(), { once: true }));
      await Promise.allSettled([watching, ...streams]);
    });

  common(program.command('history'))
    .description('revision history of a Deployment: revision, commit, image, time, outcome (reads the state directory)')
    .argument('<namespace/name>', 'the Deployment', deploymentTarget)
    .addOption(outputOption())
    .action(async ([namespace, name]: [string, string], raw: Record<string, unknown>) => {
      const o = resolve(raw);
      const state = await adapters.readState(o);
      const records = state.revisions?.[`${namespace}/${name}`] ?? [];
      const pin = state.pins?.[`${namespace}/${name}`];
      const output = String(raw.output);
      if (isStructured(output)) write(renderStructured(output, { namespace, name, revisions: records, ...(pin ? { pin } : {}) }));
      else {
        const lines = [`${namespace}/${name}`, '#   REVISION    COMMIT        IMAGE                          TIME                      OUTCOME'];
        records.forEach((r, i) =>
          lines.push(
            `${String(i + 1).padEnd(3)} ${r.revision.padEnd(11)} ${r.commit.slice(0, 12).padEnd(13)} ${r.image.padEnd(30)} ${r.time.padEnd(25)} ${r.outcome}${r.reason ? ` (${r.reason}: ${r.message ?? ''})` : ''}`,
          ),
        );
        if (records.length === 0) lines.push('(no completed revision recorded yet)');
        if (pin?.failed)
          lines.push(
            `rolled back by berth since ${pin.createdAt}: revision ${pin.failed.revision} failed (${pin.failed.reason}); ${pin.hold ? 'left as it is' : `running ${pin.revision}@${pin.commit.slice(0, 12)}`} until a commit changes the Deployment`,
          );
        else if (pin)
          lines.push(`pinned to ${pin.revision}@${pin.commit.slice(0, 12)} by a rollback since ${pin.createdAt}, until a commit changes the Deployment`);
        write(lines.join('\n'));
      }
      if (records.length === 0 && !pin) process.exitCode = EXIT.failure;
    });

  common(program.command('proxy'))
    .description(
      'run the data plane (Service L4 and Ingress L7 proxy) of a state directory in the foreground; `berth run` starts one by itself when a namespace first needs it, and it keeps serving while berth restarts',
    )
    .option('--ingress-listen <host:port>', 'where Ingress rules are served (HTTP)', listenFlag, DEFAULT_INGRESS_LISTEN)
    .option('--stop', 'stop the data plane of this state directory and exit')
    .action(async (raw: Record<string, unknown>) => {
      const o = resolve(raw);
      const logger = adapters.logger(o.logLevel);
      const options = { ingressListen: listenOf(raw.ingressListen) };
      if (raw.stop) {
        const status = await adapters
          .openDataPlane(o, options, logger)
          .status()
          .catch(() => undefined);
        if (!status || status.pid <= 0) return void write('no data plane runs for this state directory');
        process.kill(status.pid, 'SIGTERM');
        return void write(`stopped the data plane (pid ${status.pid})`);
      }
      guardProcess(logger);
      const running = await adapters.runDataPlane(o, options, logger);
      logger.info({ stateDir: o.stateDir, ingress: `${options.ingressListen.host}:${options.ingressListen.port}` }, 'data plane running');
      await new Promise<void>((resolveStop) => {
        process.once('SIGINT', () => resolveStop());
        process.once('SIGTERM', () => resolveStop());
      });
      await running.close();
    });

  const volume = program.command('volume').description("PersistentVolumeClaims' Docker volumes: berth never deletes one by itself");
  common(volume.command('delete'))
    .description(
      'delete the Docker volume of a claim, with its data, on the local engine (refused while any container uses it); for a volume berth reports orphaned. A claim still in Git gets a new, empty volume at the next pass',
    )
    .argument('<namespace/name>', 'the claim', deploymentTarget)
    .addOption(outputOption())
    .action(async ([namespace, name]: [string, string], raw: Record<string, unknown>) => {
      const o = resolve(raw);
      const driver = adapters.openDriver(o, adapters.logger(o.logLevel));
      const volumeOf = volumeName(o.instance, namespace, name);
      const owned = (await driver.inventory({ namespace })).volumes?.find((v) => v.name === volumeOf);
      if (!owned) throw new BerthError('NOT_FOUND', `berth (instance ${o.instance}) owns no volume ${volumeOf} for claim ${namespace}/${name}`);
      await driver.removeVolume(volumeOf);
      const output = String(raw.output);
      write(
        isStructured(output)
          ? renderStructured(output, { deleted: volumeOf, namespace, name })
          : `deleted volume ${volumeOf} of claim ${namespace}/${name} with its data`,
      );
    });

  const rollout = program.command('rollout').description('watch rollouts');
  common(rollout.command('status'))
    .description(
      "watch a Deployment's rollout until it completes (exit 0) or fails and is rolled back (exit 3), like kubectl rollout status (reads the state directory of the running berth)",
    )
    .argument('<namespace/name>', 'the Deployment', deploymentTarget)
    .option('--timeout <seconds>', 'give up after this long (exit 3)', seconds, 600)
    .option('--no-watch', 'print the current status once and exit (0 complete, 3 failed, 1 still in progress)')
    .option(
      '--commit <ref>',
      'the commit to wait for (a sha, branch or tag; HEAD~1, main^ … too); default: the head of --ref in the source, looked up now and again while waiting',
    )
    .action(async ([namespace, name]: [string, string], raw: Record<string, unknown>) => {
      const o = resolve(raw);
      const logger = adapters.logger(o.logLevel);
      const deadline = adapters.clock.now().getTime() + Number(raw.timeout) * 1000;
      const fixed = raw.commit !== undefined ? String(raw.commit) : undefined;
      // The commit whose pass counts: asked of the source itself, never taken from the state
      // (which names what berth saw last, possibly before the push being watched).
      const lookUp = async (): Promise<string> =>
        fixed !== undefined && /^[0-9a-f]{40}$/i.test(fixed) ? fixed.toLowerCase() : adapters.peekSourceHead(o, logger, fixed);
      let commit = await lookUp();
      let lookedUp = adapters.clock.now().getTime();
      let last = '';
      for (;;) {
        const verdict = rolloutVerdict(await adapters.readState(o), namespace, name, commit);
        if (verdict.line !== last) write(verdict.line);
        last = verdict.line;
        if (verdict.exit !== undefined) return void (process.exitCode = verdict.exit);
        if (raw.watch === false) return void (process.exitCode = EXIT.changes);
        if (adapters.clock.now().getTime() >= deadline) {
          write(`error: timed out after ${Number(raw.timeout)}s waiting for the rollout of ${namespace}/${name} at commit ${commit.slice(0, 12)}`);
          return void (process.exitCode = EXIT.failure);
        }
        await new Promise((r) => setTimeout(r, 250));
        // Without --commit, follow the head: a newer push supersedes the one first looked up.
        if (fixed === undefined && adapters.clock.now().getTime() - lookedUp >= 2000) {
          commit = await lookUp().catch(() => commit);
          lookedUp = adapters.clock.now().getTime();
        }
      }
    });

  return program;
}

/**
 * The operator's ceiling for the namespace policy (policy/operator.ts), on the commands that
 * build desired state: run, apply, plan, validate. Flags only — never Git — so whoever can
 * push cannot raise it.
 */
function policyOptions(cmd: Command): Command {
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

function operatorPolicy(raw: Record<string, unknown>, o: CommonOptions): OperatorPolicy {
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

function dataPlaneOptions(raw: Record<string, unknown>): DataPlaneOptions & { serviceAddress: string } {
  return { ingressListen: listenOf(raw.ingressListen ?? DEFAULT_INGRESS_LISTEN), serviceAddress: String(raw.serviceAddress ?? '127.0.0.1') };
}

async function openController(
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
function listenOf(value: unknown): ListenAddress {
  return listenAddress(String(value));
}

/**
 * What `berth run` converges each namespace to, from the head and the state directory, by the
 * rules run follows: rollback pins applied (plan/pins.ts; nothing is released here — only run
 * changes the store), and a namespace invalid at the head kept as of its last valid commit.
 */
async function runTargets(
  head: DesiredState,
  headCommit: string,
  state: StoreState | undefined,
  desiredAt: (commit: string) => Promise<DesiredState>,
): Promise<{
  desired: DesiredState;
  rollbacks: Map<string, PinnedNamespace>;
  lastValid: Map<string, { commit: string; desired: DesiredNamespace }>;
  autoscaled: Map<string, readonly Autoscaled[]>;
}> {
  const records = Object.values(state?.autoscalers ?? {});
  const autoscaled = new Map<string, readonly Autoscaled[]>();
  // After the pins, as the Reconciler applies them: HPAs own their Deployments' replica counts.
  const withAutoscalers = (ns: DesiredNamespace): DesiredNamespace => {
    const applied = applyAutoscalersTo(ns, records);
    if (applied.autoscaled.length > 0) autoscaled.set(ns.name, applied.autoscaled);
    return applied.target;
  };
  const pins = Object.values(state?.pins ?? {});
  const rollbacks = new Map<string, PinnedNamespace>();
  const lastValid = new Map<string, { commit: string; desired: DesiredNamespace }>();
  const byCommit = new Map<string, Promise<DesiredState | undefined>>();
  const validAt = async (commit: string, namespace: string): Promise<DesiredNamespace | undefined> => {
    if (!byCommit.has(commit))
      byCommit.set(
        commit,
        desiredAt(commit).catch(() => undefined),
      );
    const at = (await byCommit.get(commit))?.namespaces.find((n) => n.name === namespace);
    return at?.valid ? at : undefined;
  };
  const withPins = async (ns: DesiredNamespace, release: boolean): Promise<DesiredNamespace> => {
    const mine = pins.filter((p) => p.namespace === ns.name);
    if (mine.length === 0) return ns;
    const templates = await pinnedTemplates(ns, mine, (commit) => validAt(commit, ns.name));
    const applied = applyPinsTo(ns, mine, (name) => templates.get(name), { release });
    rollbacks.set(ns.name, applied);
    return applied.target;
  };
  const namespaces = await Promise.all(
    head.namespaces.map(async (ns) => {
      if (ns.valid) return withAutoscalers(await withPins(ns, true));
      const status = ownValue(state?.namespaces, ns.name);
      const commit = status?.lastValidCommit ?? status?.lastAppliedCommit;
      const good = commit && commit !== headCommit ? await validAt(commit, ns.name) : undefined;
      if (commit && good) lastValid.set(ns.name, { commit, desired: withAutoscalers(await withPins(good, false)) });
      return ns;
    }),
  );
  return { desired: { ...head, namespaces }, rollbacks, lastValid, autoscaled };
}

async function loadAt(source: GitSource, commit: string): Promise<ManifestSet> {
  const cache = new ManifestCache();
  const snapshot = await source.snapshot({ commit });
  return loadManifests(snapshot, cache);
}

function allDiagnostics(set: ManifestSet): Diagnostic[] {
  return [...set.diagnostics, ...set.namespaces.flatMap((n) => n.diagnostics)];
}

function hasInvalid(set: ManifestSet): boolean {
  return set.namespaces.some((n) => !n.valid) || hasErrors(set.diagnostics);
}

/** Runs the program; maps failures to exit codes and one clear line on stderr. */
export async function runCli(adapters: Adapters, argv: readonly string[]): Promise<number> {
  const program = buildProgram(adapters);
  // `berth --version` is `berth version` (the option is declared on the program for help and completion).
  const args = argv[0] === '--version' ? ['version', ...argv.slice(1)] : argv;
  try {
    await program.parseAsync([...args], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    // An option value refused outside commander's parsing (not printed by commander yet).
    if (err instanceof InvalidArgumentError) {
      process.stderr.write(`berth: USAGE: ${err.message}\n`);
      return EXIT.usage;
    }
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    process.stderr.write(`berth: ${describeError(err)}\n`);
    if (isBerthError(err) && err.code === 'USAGE') return EXIT.usage;
    return EXIT.failure;
  }
}

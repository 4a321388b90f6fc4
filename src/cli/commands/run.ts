import { type Command, Option } from 'commander';
import { isBerthError } from '../../core/index.js';
import { DEFAULT_AUTOSCALE_SYNC_MS, DEFAULT_POLL_SCHEDULE } from '../../controller/index.js';
import type { OperatorPolicy } from '../../policy/index.js';
import type { CommonOptions } from '../adapters.js';
import { booleanFlag, numberFlag, type ParsedFlags, textFlag } from '../parsed-flags.js';
import { startServer } from '../../server/index.js';
import { guardProcess } from '../process-guard.js';
import { ipAddress, type ListenAddress, listenFlag, seconds } from '../option-values.js';
import { checkIngressListen, listenFailure, probeListen } from '../listen-check.js';
import { notifyConfig, type NotifyFlags, notifyFlags, notifyOptions } from '../notify-options.js';
import { Notifier } from '../../notify/index.js';
import { forgetApiAddress, recordApiAddress } from '../../store/index.js';
import {
  type CliContext,
  commonOptions,
  cronExpression,
  type DataPlaneFlags,
  type FlagContext,
  policyOptions,
  operatorPolicy,
  dataPlaneOptions,
  openController,
  DEFAULT_LISTEN,
  DEFAULT_INGRESS_LISTEN,
  listenOf,
  planScope,
} from './shared.js';

export interface RunOptions extends CommonOptions {
  readonly policy: OperatorPolicy;
  /** --poll: a node-cron schedule with seconds. */
  readonly poll: string;
  /** Where the HTTP API is served; absent with --no-server. */
  readonly listen?: ListenAddress;
  readonly dataPlane: DataPlaneFlags;
  /** Whether --ingress-listen was given (only then is it checked at start; the default may be busy). */
  readonly ingressListenGiven: boolean;
  readonly hpaSyncPeriodSeconds: number;
  readonly notify: NotifyFlags;
}

/** `given(key)`: whether the flag came from the command line (commander's getOptionValueSource is 'cli'). */
export function runOptions(flags: ParsedFlags, ctx: FlagContext, given: (key: string) => boolean): RunOptions {
  const common = commonOptions(flags, ctx);
  const policy = operatorPolicy(flags, common, ctx.env);
  return {
    ...common,
    policy,
    poll: textFlag(flags, 'poll'),
    ...(booleanFlag(flags, 'server', true) ? { listen: listenOf(textFlag(flags, 'listen')) } : {}),
    dataPlane: dataPlaneOptions(flags),
    ingressListenGiven: given('ingressListen'),
    hpaSyncPeriodSeconds: numberFlag(flags, 'hpaSyncPeriod'),
    notify: notifyFlags(flags),
  };
}

/** `berth run`. */
export function registerRun(program: Command, ctx: CliContext): void {
  const { adapters, common } = ctx;
  notifyOptions(common(policyOptions(program.command('run'))))
    .description('run the reconciler: poll the source, watch the engine, converge continuously; serve the HTTP API and webhooks')
    .addOption(new Option('--poll <cron>', 'poll schedule, node-cron syntax with seconds').default(DEFAULT_POLL_SCHEDULE).argParser(cronExpression))
    .option('--listen <host:port>', 'HTTP API, webhooks, /healthz, /metrics (secrets: BERTH_WEBHOOK_SECRET, BERTH_API_TOKEN)', listenFlag, DEFAULT_LISTEN)
    .option('--no-server', 'do not serve HTTP')
    .option('--ingress-listen <host:port>', 'where the data plane serves Ingress rules (HTTP)', listenFlag, DEFAULT_INGRESS_LISTEN)
    .option('--service-address <ip>', 'address Services listen on (their port, or nodePort when set)', ipAddress, '127.0.0.1')
    .option('--hpa-sync-period <seconds>', 'how often HorizontalPodAutoscalers measure and decide (Kubernetes: 15)', seconds, DEFAULT_AUTOSCALE_SYNC_MS / 1000)
    .action(async (flags: ParsedFlags, cmd: Command) => {
      const o = runOptions(flags, ctx, (key) => cmd.getOptionValueSource(key) === 'cli');
      const logger = adapters.logger(o.logLevel);
      guardProcess(logger);
      const dp = o.dataPlane;
      // The data plane starts only when a namespace first has a Service or Ingress, and reports a
      // bind error of its own in status: the default Ingress address is checked only when it was
      // asked for, so a berth with no Ingress does not refuse to start over a busy 8080.
      const ingressAsked = o.ingressListenGiven;
      const listen = o.listen;
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
        config: notifyConfig(o.notify, process.env, listen ? `${listen.host}:${listen.port}` : undefined),
        clock: adapters.clock,
        logger: logger.child({ component: 'notify' }),
      });
      const lock = await adapters.lockState(o);
      const { controller, store } = await openController(adapters, o, logger, o.poll, dp, o.policy, notifier, o.hpaSyncPeriodSeconds * 1000).catch(
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
              nodes: () => controller.nodes(),
              livePlan: () => controller.livePlan(),
              desired: () => controller.desired(),
              deploymentAt: (args) => controller.deploymentAt(args),
              replicaLogs: (args, onText, signal) => controller.replicaLogs(args, onText, signal),
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
        // For commands on this state directory that ask the running berth (berth plan --live).
        await recordApiAddress(o.stateDir, server.url, planScope(o, o.policy)).catch((err: unknown) =>
          logger.warn({ err: (err as Error).message }, 'could not record the API address in the state directory'),
        );
      }
      await new Promise<void>((resolveStop) => {
        const stop = (signal: string) => {
          logger.info({ signal }, 'stopping');
          resolveStop();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      if (server) await forgetApiAddress(o.stateDir);
      await server?.close();
      await controller.stop();
      await notifier.close();
      await lock.release();
    });
}

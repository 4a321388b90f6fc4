import type { Command } from 'commander';
import { isBerthError } from '../../core/index.js';
import { observe } from '../../observed/index.js';
import { LABEL } from '../../runtime/index.js';
import type { CommonOptions } from '../adapters.js';
import { booleanFlag, optionalNumberFlag, optionalTextFlag, type ParsedFlags } from '../parsed-flags.js';
import { EXIT } from '../exit-codes.js';
import { deploymentTarget, revisionRef } from '../option-values.js';
import { lineWriter, selectLogTargets, shownPrefix, sinceSeconds, sinceValue, startedTarget, tailValue, type LogTarget } from '../logs.js';
import { type CliContext, commonOptions, type FlagContext } from './shared.js';

export interface LogsOptions extends CommonOptions {
  readonly follow: boolean;
  /** A duration (30s, 1h30m) or an RFC 3339 time, as `sinceValue` checked it. */
  readonly since?: string;
  readonly tail?: number;
  readonly container?: string;
  readonly previous: boolean;
  readonly revision?: string;
  readonly timestamps: boolean;
}

export function logsOptions(flags: ParsedFlags, ctx: FlagContext): LogsOptions {
  const since = optionalTextFlag(flags, 'since');
  const tail = optionalNumberFlag(flags, 'tail');
  const container = optionalTextFlag(flags, 'container');
  const revision = optionalTextFlag(flags, 'revision');
  return {
    ...commonOptions(flags, ctx),
    follow: booleanFlag(flags, 'follow'),
    ...(since !== undefined ? { since } : {}),
    ...(tail !== undefined ? { tail } : {}),
    ...(container !== undefined ? { container } : {}),
    previous: booleanFlag(flags, 'previous'),
    ...(revision !== undefined ? { revision } : {}),
    timestamps: booleanFlag(flags, 'timestamps'),
  };
}

/** `berth logs`. */
export function registerLogs(program: Command, ctx: CliContext): void {
  const { adapters, common } = ctx;
  common(program.command('logs'))
    .description(
      'print the logs of every replica of a Deployment, each line prefixed pod/container (reads the engine, like docker logs; works without a running berth)',
    )
    .argument('<namespace/name>', 'the Deployment', deploymentTarget)
    .option('-f, --follow', 'stream the logs, and those of replicas created later (a rollout), until interrupted')
    .option('--since <duration|time>', 'only lines newer than this: 30s, 5m, 1h30m, or an RFC 3339 time', sinceValue)
    .option('--tail <lines>', 'only the last lines of each container', tailValue)
    .option('-c, --container <name>', "only this container of the pod: an app container's name, a sidecar's or an init container's")
    .option('-p, --previous', 'the replica container that exited last (a crash-looping slot keeps it until it is replaced)')
    .option('--revision <revision>', 'only replicas of this template revision (as berth history and berth get pods -o wide show it)', revisionRef)
    .option('--timestamps', "prefix each line with the engine's timestamp")
    .action(async ([namespace, name]: [string, string], flags: ParsedFlags) => {
      const o = logsOptions(flags, ctx);
      const logger = adapters.logger(o.logLevel);
      const driver = await adapters.openDriver(o, logger);
      const selection = {
        ...(o.revision !== undefined ? { revision: o.revision } : {}),
        ...(o.container !== undefined ? { container: o.container } : {}),
        ...(o.previous ? { previous: true } : {}),
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
      const follow = o.follow && !o.previous;
      const tty = process.stdout.isTTY === true;
      const options = {
        follow,
        ...(o.since !== undefined ? { since: sinceSeconds(o.since, adapters.clock.now()) } : {}),
        ...(o.tail !== undefined ? { tail: o.tail } : {}),
        ...(o.timestamps ? { timestamps: true } : {}),
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
        const target = startedTarget(await deploymentOf().catch(() => undefined), event.id, selection);
        if (target && !streamed.has(target.id)) streams.push(show(target, next++, { follow: true, ...(options.timestamps ? { timestamps: true } : {}) }));
      }, stop.signal);
      await new Promise<void>((resolveStop) => stop.signal.addEventListener('abort', () => resolveStop(), { once: true }));
      await Promise.allSettled([watching, ...streams]);
    });
}

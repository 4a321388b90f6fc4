import type { Command } from 'commander';
import type { CommonOptions, DataPlaneOptions } from '../adapters.js';
import { booleanFlag, type ParsedFlags, textFlag } from '../parsed-flags.js';
import { write } from '../output.js';
import { guardProcess } from '../process-guard.js';
import { listenFlag } from '../option-values.js';
import { type CliContext, commonOptions, DEFAULT_INGRESS_LISTEN, type FlagContext, listenOf } from './shared.js';

export interface ProxyOptions extends CommonOptions {
  readonly dataPlane: DataPlaneOptions;
  /** --stop: stop the data plane of the state directory instead of running one. */
  readonly stop: boolean;
}

export function proxyOptions(flags: ParsedFlags, ctx: FlagContext): ProxyOptions {
  return { ...commonOptions(flags, ctx), dataPlane: { ingressListen: listenOf(textFlag(flags, 'ingressListen')) }, stop: booleanFlag(flags, 'stop') };
}

/** `berth proxy`. */
export function registerProxy(program: Command, ctx: CliContext): void {
  const { adapters, common } = ctx;
  common(program.command('proxy'))
    .description(
      'run the data plane (Service L4 and Ingress L7 proxy) of a state directory in the foreground; `berth run` starts one by itself when a namespace first needs it, and it keeps serving while berth restarts',
    )
    .option('--ingress-listen <host:port>', 'where Ingress rules are served (HTTP)', listenFlag, DEFAULT_INGRESS_LISTEN)
    .option('--stop', 'stop the data plane of this state directory and exit')
    .action(async (flags: ParsedFlags) => {
      const o = proxyOptions(flags, ctx);
      const logger = adapters.logger(o.logLevel);
      const options = o.dataPlane;
      if (o.stop) {
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
        // Another proxy of this state directory holds the control socket: this one is unreachable, and stops.
        void running.lost.then(() => resolveStop());
      });
      await running.close();
    });
}

import type { Command } from 'commander';
import { write } from '../output.js';
import { guardProcess } from '../process-guard.js';
import { listenFlag } from '../option-values.js';
import { type CliContext, DEFAULT_INGRESS_LISTEN, listenOf } from './shared.js';

/** `berth proxy`. */
export function registerProxy(program: Command, ctx: CliContext): void {
  const { adapters, common, resolve } = ctx;
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
}

import type { Command } from 'commander';
import { DEFAULT_POLL_SCHEDULE } from '../../controller/index.js';
import type { OperatorPolicy } from '../../policy/index.js';
import type { CommonOptions } from '../adapters.js';
import { numberFlag, type ParsedFlags } from '../parsed-flags.js';
import { EXIT } from '../exit-codes.js';
import { renderStatus, write } from '../output.js';
import { isStructured, renderStructured } from '../structured-output.js';
import { guardProcess } from '../process-guard.js';
import { ipAddress, listenFlag, seconds } from '../option-values.js';
import {
  type CliContext,
  commonOptions,
  type DataPlaneFlags,
  type FlagContext,
  type OutputFormat,
  outputFormat,
  outputOption,
  policyOptions,
  operatorPolicy,
  dataPlaneOptions,
  openController,
  DEFAULT_INGRESS_LISTEN,
} from './shared.js';

export interface ApplyOptions extends CommonOptions {
  readonly policy: OperatorPolicy;
  readonly timeoutSeconds: number;
  readonly dataPlane: DataPlaneFlags;
  readonly output: OutputFormat;
}

/** `--once` is apply's only mode, so not read. */
export function applyOptions(flags: ParsedFlags, ctx: FlagContext): ApplyOptions {
  const common = commonOptions(flags, ctx);
  return {
    ...common,
    policy: operatorPolicy(flags, common, ctx.env),
    timeoutSeconds: numberFlag(flags, 'timeout'),
    dataPlane: dataPlaneOptions(flags),
    output: outputFormat(flags),
  };
}

/** `berth apply`. */
export function registerApply(program: Command, ctx: CliContext): void {
  const { adapters, common } = ctx;
  common(policyOptions(program.command('apply')))
    .description('converge once and exit (exit 0 when every namespace is synced)')
    .option('--once', 'run one convergence and exit (the only mode apply has; kept for familiarity)', true)
    .option('--timeout <seconds>', 'give up after this long', seconds, 300)
    .option('--ingress-listen <host:port>', 'where the data plane serves Ingress rules (HTTP)', listenFlag, DEFAULT_INGRESS_LISTEN)
    .option('--service-address <ip>', 'address Services listen on (their port, or nodePort when set)', ipAddress, '127.0.0.1')
    .addOption(outputOption())
    .action(async (flags: ParsedFlags) => {
      const o = applyOptions(flags, ctx);
      const logger = adapters.logger(o.logLevel);
      guardProcess(logger);
      const lock = await adapters.lockState(o);
      try {
        const { controller } = await openController(adapters, o, logger, DEFAULT_POLL_SCHEDULE, o.dataPlane, o.policy);
        const outcomes = await controller.converge(new Date(adapters.clock.now().getTime() + o.timeoutSeconds * 1000));
        await controller.stop();
        const store = await adapters.openStore(o, logger);
        const state = store.readState();
        write(isStructured(o.output) ? renderStructured(o.output, state) : renderStatus(state));
        if (!state.source?.commit) process.exitCode = EXIT.failure;
        else if (Object.values(state.namespaces).some((n) => n.phase === 'Invalid' || n.phase === 'Refused')) process.exitCode = EXIT.invalid;
        else if ([...outcomes.values()].some((x) => x.result !== 'ready')) process.exitCode = EXIT.failure;
        else process.exitCode = EXIT.ok;
      } finally {
        await lock.release();
      }
    });
}

import type { Command } from 'commander';
import type { CommonOptions } from '../adapters.js';
import type { ParsedFlags } from '../parsed-flags.js';
import { renderStatus, write } from '../output.js';
import { isStructured, renderStructured } from '../structured-output.js';
import { type CliContext, commonOptions, type FlagContext, type OutputFormat, outputFormat, outputOption } from './shared.js';

export interface StatusOptions extends CommonOptions {
  readonly output: OutputFormat;
}

export function statusOptions(flags: ParsedFlags, ctx: FlagContext): StatusOptions {
  return { ...commonOptions(flags, ctx), output: outputFormat(flags) };
}

/** `berth status`. */
export function registerStatus(program: Command, ctx: CliContext): void {
  const { adapters, common } = ctx;
  common(program.command('status'))
    .description('show what the last passes did, per namespace (reads the state directory)')
    .addOption(outputOption())
    .action(async (flags: ParsedFlags) => {
      const o = statusOptions(flags, ctx);
      const state = await adapters.readState(o);
      write(isStructured(o.output) ? renderStructured(o.output, state) : renderStatus(state));
    });
}

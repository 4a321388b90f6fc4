import type { Command } from 'commander';
import { renderStatus, write } from '../output.js';
import { isStructured, renderStructured } from '../structured-output.js';
import { type CliContext, outputOption } from './shared.js';

/** `berth status`. */
export function registerStatus(program: Command, ctx: CliContext): void {
  const { adapters, common, resolve } = ctx;
  common(program.command('status'))
    .description('show what the last passes did, per namespace (reads the state directory)')
    .addOption(outputOption())
    .action(async (raw: Record<string, unknown>) => {
      const state = await adapters.readState(resolve(raw));
      const output = String(raw.output);
      write(isStructured(output) ? renderStructured(output, state) : renderStatus(state));
    });
}

import type { Command } from 'commander';
import type { CommonOptions } from '../adapters.js';
import type { ParsedFlags } from '../parsed-flags.js';
import { EXIT } from '../exit-codes.js';
import { write } from '../output.js';
import { isStructured, renderStructured } from '../structured-output.js';
import { deploymentTarget } from '../option-values.js';
import { type CliContext, commonOptions, type FlagContext, type OutputFormat, outputFormat, outputOption } from './shared.js';

export interface HistoryOptions extends CommonOptions {
  readonly output: OutputFormat;
}

export function historyOptions(flags: ParsedFlags, ctx: FlagContext): HistoryOptions {
  return { ...commonOptions(flags, ctx), output: outputFormat(flags) };
}

/** `berth history`. */
export function registerHistory(program: Command, ctx: CliContext): void {
  const { adapters, common } = ctx;
  common(program.command('history'))
    .description('revision history of a Deployment: revision, commit, image, time, outcome (reads the state directory)')
    .argument('<namespace/name>', 'the Deployment', deploymentTarget)
    .addOption(outputOption())
    .action(async ([namespace, name]: [string, string], flags: ParsedFlags) => {
      const o = historyOptions(flags, ctx);
      const state = await adapters.readState(o);
      const records = state.revisions?.[`${namespace}/${name}`] ?? [];
      const pin = state.pins?.[`${namespace}/${name}`];
      if (isStructured(o.output)) write(renderStructured(o.output, { namespace, name, revisions: records, ...(pin ? { pin } : {}) }));
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
}

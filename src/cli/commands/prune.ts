import type { Command } from 'commander';
import { BerthError } from '../../core/index.js';
import { callApi, localUser, reportRefusal } from '../api-client.js';
import { write } from '../output.js';
import { isStructured, renderStructured } from '../structured-output.js';
import { commitOrRevision, serverUrl } from '../option-values.js';
import { optionalTextFlag, type ParsedFlags, textFlag } from '../parsed-flags.js';
import { type CliContext, type OutputFormat, outputFormat, outputOption, DEFAULT_LISTEN } from './shared.js';

export interface PruneConfirmOptions {
  /** --commit: the held commit; absent: the commit the running berth is at. */
  readonly commit?: string;
  /** The API of the running berth. */
  readonly server: string;
  readonly output: OutputFormat;
}

export function pruneConfirmOptions(flags: ParsedFlags): PruneConfirmOptions {
  const commit = optionalTextFlag(flags, 'commit');
  return { ...(commit !== undefined ? { commit } : {}), server: textFlag(flags, 'server'), output: outputFormat(flags) };
}

/** `berth prune confirm`: lets the commit the prune guard holds prune, through the running berth's API. */
export function registerPrune(program: Command, _ctx: CliContext): void {
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
    .action(async (flags: ParsedFlags) => {
      const o = pruneConfirmOptions(flags);
      const server = o.server;
      let commit = o.commit;
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
      write(
        isStructured(o.output)
          ? renderStructured(o.output, { confirmed, reasons })
          : `prunes of commit ${confirmed.slice(0, 12)} confirmed${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}: berth goes ahead now; the next commit is judged afresh`,
      );
    });
}

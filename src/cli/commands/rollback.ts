import type { Command } from 'commander';
import { BerthError } from '../../core/index.js';
import { callApi, reportRefusal } from '../api-client.js';
import { write } from '../output.js';
import { commitOrRevision, deploymentTarget, revisionRef, serverUrl } from '../option-values.js';
import { optionalTextFlag, type ParsedFlags, textFlag } from '../parsed-flags.js';
import { type CliContext, DEFAULT_LISTEN } from './shared.js';

export interface RollbackOptions {
  /** --to-commit (excludes --to-revision); neither: the previous good revision. */
  readonly toCommit?: string;
  readonly toRevision?: string;
  /** The API of the running berth. */
  readonly server: string;
}

/** Refuses --to-commit with --to-revision (USAGE). */
export function rollbackOptions(flags: ParsedFlags): RollbackOptions {
  const toCommit = optionalTextFlag(flags, 'toCommit');
  const toRevision = optionalTextFlag(flags, 'toRevision');
  if (toCommit && toRevision) throw new BerthError('USAGE', '--to-commit and --to-revision exclude each other');
  return { ...(toCommit ? { toCommit } : {}), ...(toRevision ? { toRevision } : {}), server: textFlag(flags, 'server') };
}

/** `berth rollback NS/NAME`: pins a Deployment to an earlier revision through the running berth's API. */
export function registerRollback(program: Command, _ctx: CliContext): void {
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
    .action(async ([namespace, name]: [string, string], flags: ParsedFlags) => {
      const o = rollbackOptions(flags);
      const body = { ...(o.toCommit ? { toCommit: o.toCommit } : {}), ...(o.toRevision ? { toRevision: o.toRevision } : {}) };
      const answer = await callApi<{ pinnedTo?: string }>({
        server: o.server,
        method: 'POST',
        path: `/api/v1/namespaces/${namespace}/deployments/${name}/rollback`,
        body,
      });
      if (!answer.ok) return reportRefusal(answer);
      write(`${namespace}/${name} pinned to ${answer.body.pinnedTo} until a commit changes it`);
    });
}

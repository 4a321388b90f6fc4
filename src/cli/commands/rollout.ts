import type { Command } from 'commander';
import { ownValue } from '../../core/index.js';
import type { CommonOptions } from '../adapters.js';
import { booleanFlag, numberFlag, optionalTextFlag, type ParsedFlags } from '../parsed-flags.js';
import { EXIT } from '../exit-codes.js';
import { write } from '../output.js';
import { deploymentTarget, seconds } from '../option-values.js';
import { rolloutVerdict } from '../rollout-status.js';
import { type CliContext, commonOptions, type FlagContext } from './shared.js';

const FULL_COMMIT = /^[0-9a-f]{40}$/i;

export interface RolloutStatusOptions extends CommonOptions {
  readonly timeoutSeconds: number;
  /** false with --no-watch: print the status once. */
  readonly watch: boolean;
  /** --commit: the commit to wait for; absent: the head of --ref, looked up again while waiting. */
  readonly commit?: string;
}

export function rolloutStatusOptions(flags: ParsedFlags, ctx: FlagContext): RolloutStatusOptions {
  const commit = optionalTextFlag(flags, 'commit');
  return {
    ...commonOptions(flags, ctx),
    timeoutSeconds: numberFlag(flags, 'timeout'),
    watch: booleanFlag(flags, 'watch', true),
    ...(commit !== undefined ? { commit } : {}),
  };
}

/** `berth rollout`. */
export function registerRollout(program: Command, ctx: CliContext): void {
  const { adapters, common } = ctx;
  const rollout = program.command('rollout').description('watch rollouts');
  common(rollout.command('status'))
    .description(
      "watch a Deployment's rollout until it completes (exit 0) or fails and is rolled back (exit 3), like kubectl rollout status (reads the state directory of the running berth)",
    )
    .argument('<namespace/name>', 'the Deployment', deploymentTarget)
    .option('--timeout <seconds>', 'give up after this long (exit 3)', seconds, 600)
    .option('--no-watch', 'print the current status once and exit (0 complete, 3 failed, 1 still in progress)')
    .option(
      '--commit <ref>',
      'the commit to wait for (a sha, branch or tag; HEAD~1, main^ … too), or a later one berth applied that includes it; default: the head of --ref in the source, looked up now and again while waiting',
    )
    .action(async ([namespace, name]: [string, string], flags: ParsedFlags) => {
      const o = rolloutStatusOptions(flags, ctx);
      const logger = adapters.logger(o.logLevel);
      const deadline = adapters.clock.now().getTime() + o.timeoutSeconds * 1000;
      const fixed = o.commit;
      // The commit whose pass counts: asked of the source itself, never taken from the state
      // (which names what berth saw last, possibly before the push being watched).
      const lookUp = async (): Promise<string> =>
        fixed !== undefined && FULL_COMMIT.test(fixed) ? fixed.toLowerCase() : adapters.peekSourceHead(o, logger, fixed);
      let commit = await lookUp();
      let lookedUp = adapters.clock.now().getTime();
      let last = '';
      // Whether a commit berth applied includes the one watched, by `applied watched`: asked once each.
      const included = new Map<string, boolean>();
      for (;;) {
        const state = await adapters.readState(o);
        // Like kubectl's observedGeneration ≥ generation: a later commit that includes this one
        // (a push after it, a revert on top) supersedes it, and its rollout is the one to watch.
        // Following the head needs no such check: the head is looked up again every 2 s.
        const applied = ownValue(state.namespaces, namespace)?.lastAttemptedCommit;
        if (fixed !== undefined && applied !== undefined && applied !== commit && FULL_COMMIT.test(applied)) {
          const key = `${applied} ${commit}`;
          if (!included.has(key)) included.set(key, await adapters.sourceIncludes(o, logger, applied, commit).catch(() => false));
          if (included.get(key)) {
            write(`commit ${commit.slice(0, 12)} is superseded by ${applied.slice(0, 12)}, which includes it: watching that one`);
            commit = applied;
          }
        }
        const verdict = rolloutVerdict(state, namespace, name, commit);
        if (verdict.line !== last) write(verdict.line);
        last = verdict.line;
        if (verdict.exit !== undefined) return void (process.exitCode = verdict.exit);
        if (!o.watch) return void (process.exitCode = EXIT.changes);
        if (adapters.clock.now().getTime() >= deadline) {
          write(`error: timed out after ${o.timeoutSeconds}s waiting for the rollout of ${namespace}/${name} at commit ${commit.slice(0, 12)}`);
          return void (process.exitCode = EXIT.failure);
        }
        await new Promise((r) => setTimeout(r, 250));
        // Without --commit, follow the head: a newer push supersedes the one first looked up.
        if (fixed === undefined && adapters.clock.now().getTime() - lookedUp >= 2000) {
          commit = await lookUp().catch(() => commit);
          lookedUp = adapters.clock.now().getTime();
        }
      }
    });
}

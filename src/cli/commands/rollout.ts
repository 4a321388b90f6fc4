import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { write } from '../output.js';
import { deploymentTarget, seconds } from '../option-values.js';
import { rolloutVerdict } from '../rollout-status.js';
import type { CliContext } from './shared.js';

/** `berth rollout`. */
export function registerRollout(program: Command, ctx: CliContext): void {
  const { adapters, common, resolve } = ctx;
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
      'the commit to wait for (a sha, branch or tag; HEAD~1, main^ … too); default: the head of --ref in the source, looked up now and again while waiting',
    )
    .action(async ([namespace, name]: [string, string], raw: Record<string, unknown>) => {
      const o = resolve(raw);
      const logger = adapters.logger(o.logLevel);
      const deadline = adapters.clock.now().getTime() + Number(raw.timeout) * 1000;
      const fixed = raw.commit !== undefined ? String(raw.commit) : undefined;
      // The commit whose pass counts: asked of the source itself, never taken from the state
      // (which names what berth saw last, possibly before the push being watched).
      const lookUp = async (): Promise<string> =>
        fixed !== undefined && /^[0-9a-f]{40}$/i.test(fixed) ? fixed.toLowerCase() : adapters.peekSourceHead(o, logger, fixed);
      let commit = await lookUp();
      let lookedUp = adapters.clock.now().getTime();
      let last = '';
      for (;;) {
        const verdict = rolloutVerdict(await adapters.readState(o), namespace, name, commit);
        if (verdict.line !== last) write(verdict.line);
        last = verdict.line;
        if (verdict.exit !== undefined) return void (process.exitCode = verdict.exit);
        if (raw.watch === false) return void (process.exitCode = EXIT.changes);
        if (adapters.clock.now().getTime() >= deadline) {
          write(`error: timed out after ${Number(raw.timeout)}s waiting for the rollout of ${namespace}/${name} at commit ${commit.slice(0, 12)}`);
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

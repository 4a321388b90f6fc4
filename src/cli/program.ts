import { Command, InvalidArgumentError } from 'commander';
import { isBerthError, describeError } from '../core/index.js';
import type { Adapters } from './adapters.js';
import { EXIT } from './exit-codes.js';
import { cliContext } from './commands/shared.js';
import { registerCompletion } from './commands/completion.js';
import { registerVersion } from './commands/version.js';
import { registerRun } from './commands/run.js';
import { registerRollback } from './commands/rollback.js';
import { registerPrune } from './commands/prune.js';
import { registerApply } from './commands/apply.js';
import { registerPlan } from './commands/plan.js';
import { registerValidate } from './commands/validate.js';
import { registerStatus } from './commands/status.js';
import { registerGet } from './commands/get.js';
import { registerLogs } from './commands/logs.js';
import { registerHistory } from './commands/history.js';
import { registerProxy } from './commands/proxy.js';
import { registerVolume } from './commands/volume.js';
import { registerRollout } from './commands/rollout.js';
import { registerNodes } from './commands/nodes.js';

export { DEFAULT_INGRESS_LISTEN, DEFAULT_LISTEN } from './commands/shared.js';

/** Builds the `berth` command line. Exit codes: see exit-codes.ts. */
export function buildProgram(adapters: Adapters): Command {
  const program = new Command('berth')
    .description('Declarative GitOps reconciler for Docker hosts: Kubernetes-style manifests in Git, converged on a Docker engine.')
    .showHelpAfterError()
    .exitOverride()
    // Handled here rather than by commander's .version(), so `--version` prints what `berth version` does.
    .option('--version', 'print the versions of berth, Node and the Docker engine, and exit');

  const ctx = cliContext(adapters);
  registerCompletion(program, ctx);
  registerVersion(program, ctx);
  registerRun(program, ctx);
  registerRollback(program, ctx);
  registerPrune(program, ctx);
  registerApply(program, ctx);
  registerPlan(program, ctx);
  registerValidate(program, ctx);
  registerStatus(program, ctx);
  registerGet(program, ctx);
  registerLogs(program, ctx);
  registerHistory(program, ctx);
  registerProxy(program, ctx);
  registerVolume(program, ctx);
  registerRollout(program, ctx);
  registerNodes(program, ctx);
  return program;
}

/** Runs the program; maps failures to exit codes and one clear line on stderr. */
export async function runCli(adapters: Adapters, argv: readonly string[]): Promise<number> {
  const program = buildProgram(adapters);
  // `berth --version` is `berth version` (the option is declared on the program for help and completion).
  const args = argv[0] === '--version' ? ['version', ...argv.slice(1)] : argv;
  try {
    await program.parseAsync([...args], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    // An option value refused outside commander's parsing (not printed by commander yet).
    if (err instanceof InvalidArgumentError) {
      process.stderr.write(`berth: USAGE: ${err.message}\n`);
      return EXIT.usage;
    }
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    process.stderr.write(`berth: ${describeError(err)}\n`);
    if (isBerthError(err) && err.code === 'USAGE') return EXIT.usage;
    return EXIT.failure;
  }
}

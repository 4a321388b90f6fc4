import { type Command, InvalidArgumentError } from 'commander';
import { write } from '../output.js';
import { COMPLETION_SHELLS, completionScript } from '../completion.js';
import type { CliContext } from './shared.js';

/** `berth completion`. */
export function registerCompletion(program: Command, _ctx: CliContext): void {
  program
    .command('completion')
    .description('print a shell completion script: `source <(berth completion bash)` (zsh: `source <(berth completion zsh)`)')
    .argument('<shell>', COMPLETION_SHELLS.join('|'), (value: string) => {
      if (!(COMPLETION_SHELLS as readonly string[]).includes(value))
        throw new InvalidArgumentError(`"${value}" is not a supported shell; allowed: ${COMPLETION_SHELLS.join(', ')}`);
      return value;
    })
    .action((shell: (typeof COMPLETION_SHELLS)[number]) => {
      write(completionScript(program, shell));
    });
}

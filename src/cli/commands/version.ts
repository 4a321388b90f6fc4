import type { Command } from 'commander';
import { write } from '../output.js';
import { isStructured, renderStructured } from '../structured-output.js';
import { renderVersion, versionReport } from '../version.js';
import { nonEmpty } from '../option-values.js';
import { type CliContext, outputOption } from './shared.js';

/** `berth version`. */
export function registerVersion(program: Command, ctx: CliContext): void {
  const { adapters } = ctx;
  program
    .command('version')
    .description("print the versions of berth, Node and the Docker engine (the engine's only when it answers; never fails for it)")
    .option('--docker-socket <path>', 'Docker engine socket (default: DOCKER_HOST or /var/run/docker.sock)', nonEmpty('the path of a unix socket'))
    .addOption(outputOption())
    .action(async (raw: Record<string, unknown>) => {
      const output = String(raw.output);
      const report = await versionReport(adapters, raw.dockerSocket !== undefined ? String(raw.dockerSocket) : undefined);
      write(isStructured(output) ? renderStructured(output, report) : renderVersion(report));
    });
}

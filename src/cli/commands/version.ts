import type { Command } from 'commander';
import { write } from '../output.js';
import { isStructured, renderStructured } from '../structured-output.js';
import { renderVersion, versionReport } from '../version.js';
import { nonEmpty } from '../option-values.js';
import { optionalTextFlag, type ParsedFlags } from '../parsed-flags.js';
import { type CliContext, type OutputFormat, outputFormat, outputOption } from './shared.js';

export interface VersionOptions {
  readonly output: OutputFormat;
  readonly dockerSocket?: string;
}

export function versionOptions(flags: ParsedFlags): VersionOptions {
  const dockerSocket = optionalTextFlag(flags, 'dockerSocket');
  return { output: outputFormat(flags), ...(dockerSocket !== undefined ? { dockerSocket } : {}) };
}

/** `berth version`. */
export function registerVersion(program: Command, ctx: CliContext): void {
  const { adapters } = ctx;
  program
    .command('version')
    .description("print the versions of berth, Node and the Docker engine (the engine's only when it answers; never fails for it)")
    .option('--docker-socket <path>', 'Docker engine socket (default: DOCKER_HOST or /var/run/docker.sock)', nonEmpty('the path of a unix socket'))
    .addOption(outputOption())
    .action(async (flags: ParsedFlags) => {
      const o = versionOptions(flags);
      const report = await versionReport(adapters, o.dockerSocket);
      write(isStructured(o.output) ? renderStructured(o.output, report) : renderVersion(report));
    });
}

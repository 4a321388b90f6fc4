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
  readonly dockerTlsDir?: string;
}

export function versionOptions(flags: ParsedFlags): VersionOptions {
  const dockerSocket = optionalTextFlag(flags, 'dockerSocket');
  const dockerTlsDir = optionalTextFlag(flags, 'dockerTlsDir');
  return { output: outputFormat(flags), ...(dockerSocket !== undefined ? { dockerSocket } : {}), ...(dockerTlsDir !== undefined ? { dockerTlsDir } : {}) };
}

/** `berth version`. */
export function registerVersion(program: Command, ctx: CliContext): void {
  const { adapters } = ctx;
  program
    .command('version')
    .description("print the versions of berth, Node and the Docker engine (the engine's only when it answers; never fails for it)")
    .option(
      '--docker-socket <address>',
      'Docker engine: a unix socket path (unix:///path), tcp://host:port or ssh://user@host (default: DOCKER_HOST or /var/run/docker.sock)',
      nonEmpty('a unix socket path, tcp://host:port or ssh://user@host'),
    )
    .option('--docker-tls-dir <dir>', 'TLS for an engine at tcp://: a folder with ca.pem, cert.pem and key.pem', nonEmpty('a folder path'))
    .addOption(outputOption())
    .action(async (flags: ParsedFlags) => {
      const o = versionOptions(flags);
      const report = await versionReport(adapters, o.dockerSocket, o.dockerTlsDir);
      write(isStructured(o.output) ? renderStructured(o.output, report) : renderVersion(report));
    });
}

import type { Command } from 'commander';
import type { OperatorPolicy } from '../../policy/index.js';
import type { CommonOptions } from '../adapters.js';
import type { ParsedFlags } from '../parsed-flags.js';
import { hasErrors } from '../../core/index.js';
import { checkNamespacePolicy } from '../../policy/index.js';
import { EXIT } from '../exit-codes.js';
import { renderDiagnostics, write } from '../output.js';
import { isStructured, renderStructured } from '../structured-output.js';
import {
  type CliContext,
  commonOptions,
  type FlagContext,
  type OutputFormat,
  outputFormat,
  outputOption,
  policyOptions,
  operatorPolicy,
  loadAt,
  allDiagnostics,
} from './shared.js';

export interface ValidateOptions extends CommonOptions {
  readonly policy: OperatorPolicy;
  readonly output: OutputFormat;
}

export function validateOptions(flags: ParsedFlags, ctx: FlagContext): ValidateOptions {
  const common = commonOptions(flags, ctx);
  return { ...common, policy: operatorPolicy(flags, common, ctx.env), output: outputFormat(flags) };
}

/** `berth validate`. */
export function registerValidate(program: Command, ctx: CliContext): void {
  const { adapters, common } = ctx;
  common(policyOptions(program.command('validate')))
    .description('parse and validate the manifests at a commit, and check them against the namespace policy (exit 0 valid, 2 errors); needs no engine')
    .addOption(outputOption())
    .action(async (flags: ParsedFlags) => {
      const o = validateOptions(flags, ctx);
      const logger = adapters.logger(o.logLevel);
      const source = await adapters.openSource(o, logger);
      const commit = await source.resolveRef(o.ref ?? 'HEAD');
      const manifests = await loadAt(source, commit.oid);
      const diagnostics = [...allDiagnostics(manifests), ...manifests.namespaces.flatMap((ns) => checkNamespacePolicy(ns, o.policy))];
      if (isStructured(o.output)) write(renderStructured(o.output, { commit: commit.oid, valid: !hasErrors(diagnostics), diagnostics }));
      else write(`commit ${commit.oid.slice(0, 12)}: ${manifests.namespaces.length} namespace(s)\n${renderDiagnostics(diagnostics)}`);
      process.exitCode = hasErrors(diagnostics) ? EXIT.invalid : EXIT.ok;
    });
}

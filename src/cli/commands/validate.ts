import type { Command } from 'commander';
import { hasErrors } from '../../core/index.js';
import { checkNamespacePolicy } from '../../policy/index.js';
import { EXIT } from '../exit-codes.js';
import { renderDiagnostics, write } from '../output.js';
import { isStructured, renderStructured } from '../structured-output.js';
import { type CliContext, outputOption, policyOptions, operatorPolicy, loadAt, allDiagnostics } from './shared.js';

/** `berth validate`. */
export function registerValidate(program: Command, ctx: CliContext): void {
  const { adapters, common, resolve } = ctx;
  common(policyOptions(program.command('validate')))
    .description('parse and validate the manifests at a commit, and check them against the namespace policy (exit 0 valid, 2 errors); needs no engine')
    .addOption(outputOption())
    .action(async (raw: Record<string, unknown>) => {
      const o = resolve(raw);
      const policy = operatorPolicy(raw, o);
      const logger = adapters.logger(o.logLevel);
      const source = await adapters.openSource(o, logger);
      const commit = await source.resolveRef(o.ref ?? 'HEAD');
      const manifests = await loadAt(source, commit.oid);
      const diagnostics = [...allDiagnostics(manifests), ...manifests.namespaces.flatMap((ns) => checkNamespacePolicy(ns, policy))];
      const output = String(raw.output);
      if (isStructured(output)) write(renderStructured(output, { commit: commit.oid, valid: !hasErrors(diagnostics), diagnostics }));
      else write(`commit ${commit.oid.slice(0, 12)}: ${manifests.namespaces.length} namespace(s)\n${renderDiagnostics(diagnostics)}`);
      process.exitCode = hasErrors(diagnostics) ? EXIT.invalid : EXIT.ok;
    });
}

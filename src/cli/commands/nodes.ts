import type { Command } from 'commander';
import { BerthError } from '../../core/index.js';
import type { CommonOptions } from '../adapters.js';
import type { ParsedFlags } from '../parsed-flags.js';
import { write } from '../output.js';
import { isStructured, renderStructured } from '../structured-output.js';
import { nodeRows } from '../../observed/index.js';
import { renderNodes } from '../nodes.js';
import { type CliContext, commonOptions, type FlagContext, type OutputFormat, outputFormat, outputOption } from './shared.js';

export interface NodesOptions extends CommonOptions {
  readonly output: OutputFormat;
}

export function nodesOptions(flags: ParsedFlags, ctx: FlagContext): NodesOptions {
  return { ...commonOptions(flags, ctx), output: outputFormat(flags) };
}

/** `berth nodes`: the cluster's nodes (role, availability, labels) and what berth runs on each. Reads only. */
export function registerNodes(program: Command, ctx: CliContext): void {
  const { adapters, common } = ctx;
  common(program.command('nodes'))
    .description("list the cluster's nodes (--driver swarm): role, status, availability, address, labels, and berth's replicas on each")
    .addOption(outputOption())
    .action(async (flags: ParsedFlags) => {
      const o = nodesOptions(flags, ctx);
      const driver = await adapters.openDriver(o, adapters.logger(o.logLevel));
      if (!driver.nodes) {
        // An engine that does not answer made --driver auto choose one engine: say that, not "use --driver swarm".
        await driver.ping();
        throw new BerthError('USAGE', "the docker driver runs on one engine, which is the only node; berth nodes lists a cluster's (--driver swarm)");
      }
      const [nodes, inventory] = await Promise.all([driver.nodes(), driver.inventory()]);
      const rows = nodeRows(nodes, inventory.containers);
      write(isStructured(o.output) ? renderStructured(o.output, { nodes: rows }) : renderNodes(rows));
    });
}

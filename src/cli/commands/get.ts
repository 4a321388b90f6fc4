import { type Command, Option } from 'commander';
import type { PodStatus } from '../../observed/index.js';
import type { CommonOptions } from '../adapters.js';
import { choiceFlag, optionalTextFlag, type ParsedFlags, textFlag } from '../parsed-flags.js';
import { callApi, reportRefusal } from '../api-client.js';
import { EXIT } from '../exit-codes.js';
import { write } from '../output.js';
import { isStructured, renderStructured } from '../structured-output.js';
import { dnsLabel, serverUrl } from '../option-values.js';
import { getDeployments, getKind, getNamespaces, getPods, getServices, nothingFound, renderTable, type GetKind, type GetResult } from '../get.js';
import { type CliContext, commonOptions, DEFAULT_LISTEN, type FlagContext } from './shared.js';

export const GET_FORMATS = ['text', 'wide', 'json', 'yaml'] as const;
export type GetFormat = (typeof GET_FORMATS)[number];

export interface GetOptions extends CommonOptions {
  /** -n: one namespace; absent: every namespace. */
  readonly namespace?: string;
  readonly output: GetFormat;
  /** The API of the running berth (pods). */
  readonly server: string;
}

export function getOptions(flags: ParsedFlags, ctx: FlagContext): GetOptions {
  const namespace = optionalTextFlag(flags, 'namespace');
  return {
    ...commonOptions(flags, ctx),
    ...(namespace !== undefined ? { namespace } : {}),
    output: choiceFlag(flags, 'output', GET_FORMATS),
    server: textFlag(flags, 'server'),
  };
}

/** `berth get`. */
export function registerGet(program: Command, ctx: CliContext): void {
  const { adapters, common } = ctx;
  common(program.command('get'))
    .description(
      'list namespaces, deployments, statefulsets, pods or services as kubectl get does (pods ask the running berth, whose prober knows readiness; the rest read the state directory)',
    )
    .argument('<kind>', 'namespaces (ns), deployments (deploy), statefulsets (sts), pods (po) or services (svc)', getKind)
    .argument('[name]', 'only the object of this name', dnsLabel)
    .option('-n, --namespace <namespace>', 'only this namespace (default: every namespace, with a NAMESPACE column)', dnsLabel)
    .addOption(new Option('-o, --output <format>', 'output format').choices([...GET_FORMATS]).default('text'))
    .option('--server <url>', 'pods: the API of the running berth', serverUrl, `http://${DEFAULT_LISTEN}`)
    .action(async (kind: GetKind, name: string | undefined, flags: ParsedFlags) => {
      const o = getOptions(flags, ctx);
      const query = {
        ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
        ...(name !== undefined ? { name } : {}),
        wide: o.output === 'wide',
        now: adapters.clock.now(),
      };
      let result: GetResult;
      if (kind === 'pods') {
        const answer = await callApi<{ pods?: PodStatus[] }>({
          server: o.server,
          method: 'GET',
          path: `/api/v1/pods${query.namespace ? `?namespace=${query.namespace}` : ''}`,
        });
        if (!answer.ok) return reportRefusal(answer);
        result = getPods(answer.body.pods ?? [], query);
      } else {
        const state = await adapters.readState(o);
        result =
          kind === 'namespaces'
            ? getNamespaces(state, query)
            : kind === 'deployments' || kind === 'statefulsets'
              ? getDeployments(state, query, kind === 'statefulsets')
              : getServices(state, query);
      }
      if (name !== undefined && result.items.length === 0) {
        process.stderr.write(`berth: NOT_FOUND: ${kind} ${JSON.stringify(name)} not found${query.namespace ? ` in namespace ${query.namespace}` : ''}\n`);
        return void (process.exitCode = EXIT.failure);
      }
      if (isStructured(o.output)) return write(renderStructured(o.output, { kind, items: result.items }));
      if (result.items.length === 0) return void process.stderr.write(`${nothingFound(query)}\n`);
      process.stdout.write(renderTable(result.header, result.rows));
    });
}

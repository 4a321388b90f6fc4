import { type Command, Option } from 'commander';
import type { PodStatus } from '../../observed/index.js';
import { callApi, reportRefusal } from '../api-client.js';
import { EXIT } from '../exit-codes.js';
import { write } from '../output.js';
import { isStructured, renderStructured } from '../structured-output.js';
import { dnsLabel, serverUrl } from '../option-values.js';
import { getDeployments, getKind, getNamespaces, getPods, getServices, nothingFound, renderTable, type GetKind, type GetResult } from '../get.js';
import { type CliContext, DEFAULT_LISTEN } from './shared.js';

/** `berth get`. */
export function registerGet(program: Command, ctx: CliContext): void {
  const { adapters, common, resolve } = ctx;
  common(program.command('get'))
    .description(
      'list namespaces, deployments, pods or services as kubectl get does (pods ask the running berth, whose prober knows readiness; the rest read the state directory)',
    )
    .argument('<kind>', 'namespaces (ns), deployments (deploy), pods (po) or services (svc)', getKind)
    .argument('[name]', 'only the object of this name', dnsLabel)
    .option('-n, --namespace <namespace>', 'only this namespace (default: every namespace, with a NAMESPACE column)', dnsLabel)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'wide', 'json', 'yaml']).default('text'))
    .option('--server <url>', 'pods: the API of the running berth', serverUrl, `http://${DEFAULT_LISTEN}`)
    .action(async (kind: GetKind, name: string | undefined, raw: Record<string, unknown>) => {
      const o = resolve(raw);
      const output = String(raw.output);
      const query = {
        ...(raw.namespace !== undefined ? { namespace: String(raw.namespace) } : {}),
        ...(name !== undefined ? { name } : {}),
        wide: output === 'wide',
        now: adapters.clock.now(),
      };
      let result: GetResult;
      if (kind === 'pods') {
        const answer = await callApi<{ pods?: PodStatus[] }>({
          server: String(raw.server),
          method: 'GET',
          path: `/api/v1/pods${query.namespace ? `?namespace=${query.namespace}` : ''}`,
        });
        if (!answer.ok) return reportRefusal(answer);
        result = getPods(answer.body.pods ?? [], query);
      } else {
        const state = await adapters.readState(o);
        result = kind === 'namespaces' ? getNamespaces(state, query) : kind === 'deployments' ? getDeployments(state, query) : getServices(state, query);
      }
      if (name !== undefined && result.items.length === 0) {
        process.stderr.write(`berth: NOT_FOUND: ${kind} ${JSON.stringify(name)} not found${query.namespace ? ` in namespace ${query.namespace}` : ''}\n`);
        return void (process.exitCode = EXIT.failure);
      }
      if (isStructured(output)) return write(renderStructured(output, { kind, items: result.items }));
      if (result.items.length === 0) return void process.stderr.write(`${nothingFound(query)}\n`);
      process.stdout.write(renderTable(result.header, result.rows));
    });
}

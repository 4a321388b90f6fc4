import { type Command, Option } from 'commander';
import { BerthError, isBerthError } from '../../core/index.js';
import { buildDesiredState } from '../../desired/index.js';
import { observe } from '../../observed/index.js';
import { checkNamespacePolicy, namespacePolicy, type OperatorPolicy } from '../../policy/index.js';
import { confirmedVolumeDeletes, hasChanges, type Plan, isPruneConfirmed, renderPlanJson, renderPlanText } from '../../plan/index.js';
import { compare, planExitCode, renderChangeSetJson, renderChangeSetMarkdown, renderChangeSetText } from '../../preview/index.js';
import { EXIT } from '../exit-codes.js';
import { write } from '../output.js';
import { isStructured, reformatJson } from '../structured-output.js';
import { nonEmpty, serverUrl } from '../option-values.js';
import { callApi, reportRefusal } from '../api-client.js';
import type { CommonOptions } from '../adapters.js';
import { booleanFlag, choiceFlag, optionalTextFlag, type ParsedFlags } from '../parsed-flags.js';
import { PROXY_TABLE_FILE, persistedClusterIps } from '../../proxy/index.js';
import { join } from 'node:path';
import { livePlan, runTargets } from '../../controller/index.js';
import { LOCK_FILE, lockHolder, runningApi } from '../../store/index.js';
import { type CliContext, commonOptions, type FlagContext, policyOptions, operatorPolicy, loadAt, hasInvalid, planScope } from './shared.js';

export const PLAN_FORMATS = ['text', 'json', 'yaml', 'markdown'] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

export interface PlanOptions extends CommonOptions {
  /** --base: a pull-request plan against the manifests at this ref; absent: against the engine (--live). */
  readonly base?: string;
  /** The ref to plan: --head, else --ref, else HEAD. */
  readonly head: string;
  readonly output: PlanFormat;
  readonly policy: OperatorPolicy;
  /** --server: ask the running berth for its live plan (its prober knows which replicas are ready). */
  readonly server?: string;
}

/** Refuses --live with --base, and -o markdown without --base (USAGE). */
export function planOptions(flags: ParsedFlags, ctx: FlagContext): PlanOptions {
  const common = commonOptions(flags, ctx);
  const output = choiceFlag(flags, 'output', PLAN_FORMATS);
  const base = optionalTextFlag(flags, 'base');
  if (base !== undefined && booleanFlag(flags, 'live')) throw new BerthError('USAGE', '--live and --base exclude each other');
  if (output === 'markdown' && base === undefined) throw new BerthError('USAGE', '-o markdown needs --base (it renders a pull-request plan)');
  const server = optionalTextFlag(flags, 'server');
  if (server !== undefined && base !== undefined) throw new BerthError('USAGE', '--server asks the running berth for its live plan: not with --base');
  if (server !== undefined && optionalTextFlag(flags, 'head') !== undefined)
    throw new BerthError('USAGE', '--server plans the commit the running berth follows: not with --head');
  return {
    ...common,
    ...(base !== undefined ? { base } : {}),
    ...(server !== undefined ? { server } : {}),
    head: optionalTextFlag(flags, 'head') ?? common.ref ?? 'HEAD',
    output,
    policy: operatorPolicy(flags, common, ctx.env),
  };
}

/** `berth plan`. */
export function registerPlan(program: Command, ctx: CliContext): void {
  const { adapters, common } = ctx;
  common(policyOptions(program.command('plan')))
    .description(
      'show what a commit would change: on the engine now (default, --live), or relative to another commit (--base/--head, no engine needed). Exit 0 no changes, 1 changes, 2 invalid input',
    )
    .option('--live', 'compare the head with what runs on the engine now (the default without --base)')
    .option(
      '--base <ref>',
      'compare with the manifests at this ref (branch, tag, commit; HEAD~1, main^ …) instead of the engine: a pull-request plan',
      nonEmpty('a branch, tag or commit name'),
    )
    .option('--head <ref>', 'the ref to plan (default: --ref, else HEAD; HEAD~1, main^ … too)', nonEmpty('a branch, tag or commit name'))
    .addOption(new Option('-o, --output <format>', 'output format (markdown: for a PR comment, with --base)').choices([...PLAN_FORMATS]).default('text'))
    .option(
      '--server <url>',
      "ask the running berth's API for its live plan: the same decision, with its prober's readiness verdicts (without it: the berth running on --state-dir is asked when it follows the same source, policy and commit; else a running replica counts as ready)",
      serverUrl,
    )
    .action(async (flags: ParsedFlags) => {
      const o = planOptions(flags, ctx);
      const { output, policy } = o;
      /** A running berth's plan, printed as its own; exit as for a local one. */
      const writeServed = (plan: Plan) => {
        write(isStructured(output) ? reformatJson(output, renderPlanJson(plan)) : renderPlanText(plan));
        process.exitCode = plan.namespaces.some((n) => n.verdict === 'invalid') ? EXIT.invalid : hasChanges(plan) ? EXIT.changes : EXIT.ok;
      };
      if (o.server !== undefined) {
        const answer = await callApi<Plan>({ server: o.server, method: 'GET', path: '/api/v1/plan' });
        if (!answer.ok) return reportRefusal(answer);
        return writeServed(answer.body);
      }
      const logger = adapters.logger(o.logLevel);
      const source = await adapters.openSource(o, logger);
      const head = await source.resolveRef(o.head);
      // The berth running on this state directory (its lock's holder) makes the next pass, since its start.
      const holder = o.base === undefined ? await lockHolder(join(o.stateDir, LOCK_FILE)) : undefined;
      if (holder) {
        const served = await runningBerthPlan(o, holder, head.oid);
        if (served) return writeServed(served);
      }
      const headManifests = await loadAt(source, head.oid);
      // Against the engine, a namespace the policy refuses is invalid (as `berth run` sees it); in a
      // pull-request plan it is "denied", with what would change once the policy allows it.
      const headDesired = buildDesiredState(headManifests, { instance: o.instance, ...(o.base === undefined ? { policy: namespacePolicy(policy) } : {}) });
      if (o.base !== undefined) {
        const base = await source.resolveRef(o.base);
        const baseDesired = await loadAt(source, base.oid).then(
          (m) => buildDesiredState(m, { instance: o.instance }),
          (err: unknown) => {
            // A base that predates the manifest folder: everything in the head is new.
            if (isBerthError(err) && err.code === 'SOURCE_PATH_NOT_FOUND') return undefined;
            throw err;
          },
        );
        const changes = compare(baseDesired, headDesired, {
          root: o.path,
          denials: headManifests.namespaces.flatMap((ns) => checkNamespacePolicy(ns, policy)),
        });
        write(
          isStructured(output)
            ? reformatJson(output, renderChangeSetJson(changes))
            : output === 'markdown'
              ? renderChangeSetMarkdown(changes)
              : renderChangeSetText(changes),
        );
        process.exitCode = planExitCode(changes);
        return;
      }
      const driver = await adapters.openDriver(o, logger);
      const observed = observe(await driver.inventory());
      const state = await adapters.readState(o).catch(() => undefined);
      // Confirmed as `berth run` judges it: the trailer, or `berth prune confirm` recorded in the state directory.
      const confirmedInStore = state?.pruneConfirmations?.[head.oid] !== undefined;
      // Rollback pins, applied by the rule `berth run` follows, so the plan shows what the next pass does.
      const {
        desired: target,
        rollbacks,
        lastValid,
        autoscaled,
      } = await runTargets(headDesired, head.oid, state, async (commit) =>
        buildDesiredState(await loadAt(source, commit), { instance: o.instance, policy: namespacePolicy(policy) }),
      );
      // Decided as a pass decides (controller/live-plan.ts), from the store's pins and histories. The probes'
      // verdicts live in the running berth (--server asks it): here a running replica counts as ready, as one without probes.
      const plan = livePlan(target, observed, {
        now: adapters.clock.now(),
        // The next pass is made by the berth running on this state directory (since its start), or by one yet to start.
        watchingSince: holder?.since ?? adapters.clock.now(),
        head: headDesired,
        ...(state?.pins ? { pins: state.pins } : {}),
        ...(state?.revisions ? { revisions: state.revisions } : {}),
        rollbacks,
        lastValid,
        autoscaled,
        confirmPrune: isPruneConfirmed(head.message) || confirmedInStore,
        confirmedVolumeDeletes: confirmedVolumeDeletes(head.message),
        // The addresses the data plane keeps (its persisted tables): the ones `berth run` will serve.
        clusterIPs: await persistedClusterIps(join(o.stateDir, PROXY_TABLE_FILE)),
      });
      write(isStructured(output) ? reformatJson(output, renderPlanJson(plan)) : renderPlanText(plan));
      process.exitCode = hasInvalid(headManifests) || headDesired.namespaces.some((n) => !n.valid) ? EXIT.invalid : hasChanges(plan) ? EXIT.changes : EXIT.ok;
    });
}

/**
 * The plan of the berth holding the state directory's lock, when it serves an API, plans the same
 * source and policy, and follows `commit`: its probes' verdicts make it the one (as --server).
 * Otherwise undefined, and a note on stderr says why the plan is made here.
 */
async function runningBerthPlan(o: PlanOptions, holder: { readonly pid: number }, commit: string): Promise<Plan | undefined> {
  const running = await runningApi(o.stateDir, holder);
  if (!running) return undefined;
  const note = (why: string) =>
    process.stderr.write(
      `berth: note: planned here, not by the berth running on this state directory (pid ${running.pid}, ${running.url}): ${why}; a running replica counts as ready\n`,
    );
  if (running.plans !== planScope(o, o.policy))
    return void process.stderr.write(
      `berth: note: planned here: the berth running on this state directory (pid ${running.pid}) follows another source, path, instance or policy; a running replica counts as ready\n`,
    );
  const answer = await callApi<Plan>({ server: running.url, method: 'GET', path: '/api/v1/plan' }).catch((err: unknown) => err as Error);
  if (answer instanceof Error) return void note(answer.message);
  if (!answer.ok) return void note(`${answer.body.error?.code ?? answer.status}: ${answer.body.error?.message ?? answer.statusText}`);
  if (answer.body.commit !== commit) return void note(`it follows ${answer.body.commit.slice(0, 12)}, not ${commit.slice(0, 12)} yet`);
  return answer.body;
}

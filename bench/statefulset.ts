/**
 * StatefulSet rollout benchmark (issue #10): the time to roll a 3-replica StatefulSet with a
 * volume per ordinal, beside a 3-replica Deployment of the same template rolled by the same
 * commit (its peer: Kubernetes' default strategy, maxSurge 25% = 1, maxUnavailable 25% = 0).
 * Both have a readiness probe with periodSeconds 1 (one readiness period = 1 s).
 *
 * Each run is one commit changing the served text of both; the clock starts when the sync
 * request is answered and stops for each workload when status says Complete on the new
 * revision (status.json, polled every 20 ms). Goal: the StatefulSet's ordered update (stop
 * an ordinal, start it again on its volume, wait until ready, next ordinal from the highest)
 * costs at most one readiness period per ordinal over the Deployment's time: ≤ floor + 3 s.
 *
 *   node --import tsx bench/statefulset.ts [--runs 5] [--json results.json]
 *
 * Markdown to stdout, progress to stderr; exit 0 even when the goal is missed (MISSED is
 * printed), 1 when the benchmark itself failed. Everything it creates (containers, volumes,
 * networks under a unique --instance, the repository, the state directory, berth and its
 * data plane) is removed at the end, also on error or Ctrl-C.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { daemonFlags, startBerth } from '../test/helpers/berth-cli.js';
import { stopDataPlane } from '../test/helpers/data-plane.js';
import { dockerScope } from '../test/helpers/docker-scope.js';
import { deploymentYaml, serveCommand } from '../test/helpers/manifests.js';
import { localRepo } from '../test/helpers/tmp-repo.js';
import { freePort } from '../test/helpers/webhook-hook.js';
import { Cleanups, isInterrupted, runBenchmark } from './cleanup.js';
import { now, waitFor as waitUntil } from './push-to-serve/clock.js';
import { ms, summarize } from './reconcile/stats.js';
import { sourceFingerprint } from './source-fingerprint.js';

/** One namespace each: a namespace's pass steps all its workloads, so sharing one would tie their clocks together. */
const NS = { web: 'dep', db: 'sts' } as const;
const NEVER = '0 0 0 1 1 *';
const READINESS_PERIOD_MS = 1_000;
const REPLICAS = 3;
const TOKEN = `bench-statefulset-${process.pid}`;

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
const cleanups = new Cleanups(progress);
const waitFor = <T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> =>
  waitUntil(what, timeoutMs, check, () => isInterrupted());

const web = (text: string) =>
  deploymentYaml({
    name: 'web',
    replicas: REPLICAS,
    command: serveCommand(text),
    port: 8080,
    readinessProbe: { path: '/', port: 8080, periodSeconds: 1 },
    terminationGracePeriodSeconds: 2,
  });

/** The same container and probe as `web`, with a volume per ordinal mounted at /data. */
const db = (text: string) =>
  [
    'apiVersion: apps/v1',
    'kind: StatefulSet',
    'metadata:',
    '  name: db',
    'spec:',
    `  replicas: ${REPLICAS}`,
    '  serviceName: db',
    '  selector: { matchLabels: { app: db } }',
    '  template:',
    '    metadata: { labels: { app: db } }',
    '    spec:',
    '      terminationGracePeriodSeconds: 2',
    '      containers:',
    '        - name: db',
    '          image: busybox:1.36',
    `          command: ${JSON.stringify(serveCommand(text))}`,
    '          ports: [{ containerPort: 8080 }]',
    '          readinessProbe: { httpGet: { path: /, port: 8080 }, periodSeconds: 1 }',
    '          volumeMounts: [{ name: data, mountPath: /data }]',
    '  volumeClaimTemplates:',
    '    - metadata: { name: data }',
    '      spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 64Mi } } }',
    '',
  ].join('\n');
const SERVICE = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: db\nspec:\n  clusterIP: None\n  selector: { app: db }\n  ports: [{ port: 8080 }]\n';

interface Run {
  readonly deploymentMs: number;
  readonly statefulSetMs: number;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, json: { type: 'string' } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');

  const scope = dockerScope('bench-sts');
  const repo = await localRepo();
  const stateDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-bench-sts-'));
  const listen = `127.0.0.1:${await freePort()}`;
  await repo.write(`manifests/${NS.web}/web.yaml`, web('v0'));
  await repo.write(`manifests/${NS.db}/db.yaml`, db('v0'));
  await repo.write(`manifests/${NS.db}/db-service.yaml`, SERVICE);
  await repo.commit('v0');
  const berth = startBerth(daemonFlags({ repo: repo.dir, stateDir, instance: scope.instance, poll: NEVER, listen }), { env: { BERTH_API_TOKEN: TOKEN } });
  cleanups.push(async () => {
    await berth.stop();
    await stopDataPlane(stateDir).catch(() => undefined);
    await scope.cleanup();
    await repo.cleanup();
    await fsp.rm(stateDir, { recursive: true, force: true });
  });

  type Line = { name: string; phase: string; revision: string };
  const lines = async (): Promise<Line[]> => {
    const text = await fsp.readFile(path.join(stateDir, 'status.json'), 'utf8').catch(() => '{}');
    const namespaces = (JSON.parse(text) as { namespaces?: Record<string, { deployments?: Line[] }> }).namespaces ?? {};
    return [...(namespaces[NS.web]?.deployments ?? []), ...(namespaces[NS.db]?.deployments ?? [])];
  };
  const completeNotOn = async (name: string, old: string | undefined) => {
    const l = (await lines()).find((x) => x.name === name);
    return l && l.phase === 'Complete' && l.revision !== old ? l.revision : undefined;
  };
  progress('starting: 3 StatefulSet replicas (one at a time) and 3 Deployment replicas');
  await waitFor('both complete', 180_000, async () => ((await completeNotOn('db', undefined)) && (await completeNotOn('web', undefined)) ? true : undefined));

  const results: Run[] = [];
  for (let i = 1; i <= runs; i++) {
    const before = await lines();
    const revisionOf = (name: string) => before.find((x) => x.name === name)?.revision;
    await repo.write(`manifests/${NS.web}/web.yaml`, web(`v${i}`));
    await repo.write(`manifests/${NS.db}/db.yaml`, db(`v${i}`));
    await repo.commit(`v${i}`);
    const answer = await fetch(`http://${listen}/api/v1/sync`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    if (answer.status !== 202) throw new Error(`sync answered ${answer.status}`);
    const start = now();
    const done: Record<string, number> = {};
    await waitFor(`run ${i}: both rolled`, 180_000, async () => {
      for (const name of ['web', 'db']) if (done[name] === undefined && (await completeNotOn(name, revisionOf(name)))) done[name] = now() - start;
      return done['web'] !== undefined && done['db'] !== undefined ? true : undefined;
    });
    results.push({ deploymentMs: done['web']!, statefulSetMs: done['db']! });
    progress(`run ${i}: Deployment ${ms(done['web']!)}, StatefulSet ${ms(done['db']!)}`);
  }

  const dep = summarize(results.map((r) => r.deploymentMs));
  const sts = summarize(results.map((r) => r.statefulSetMs));
  const goal = dep.median + REPLICAS * READINESS_PERIOD_MS;
  const verdict = sts.median <= goal ? 'met' : '**MISSED**';
  const out = [
    `## StatefulSet rollout: ${REPLICAS} ordinals with a volume each, beside a ${REPLICAS}-replica Deployment (${runs} runs, medians)`,
    '',
    `Source: ${await sourceFingerprint()}. Readiness period 1 s; the clock runs from the sync request to status Complete on the new revision.`,
    '',
    '| | median | p90 | max |',
    '|---|---|---|---|',
    `| Deployment (peer: maxSurge 1, maxUnavailable 0) | ${ms(dep.median)} | ${ms(dep.p90)} | ${ms(dep.max)} |`,
    `| StatefulSet (ordered: 2, 1, 0, each stopped, started on its volume, ready) | ${ms(sts.median)} | ${ms(sts.p90)} | ${ms(sts.max)} |`,
    `| over the Deployment | ${ms(sts.median - dep.median)} | | |`,
    '',
    `Goal: ≤ the Deployment + one readiness period per ordinal = ${ms(goal)}: ${verdict}.`,
    '',
  ].join('\n');
  process.stdout.write(out);
  if (values.json) await fsp.writeFile(values.json, `${JSON.stringify({ runs: results }, null, 2)}\n`);
  return 0;
}

runBenchmark({ main, cleanups, progress });

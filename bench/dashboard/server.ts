/**
 * The dashboard benchmark's server process: berth's real HTTP server (startServer: the page,
 * its modules, the API and the live view) over a real FileStore holding `namespaces` namespace
 * records with `deployments` Deployments in all, and a ControlPort whose engine answers one
 * running replica per Deployment — the state a berth with that many Deployments keeps, without
 * an engine running 10,000 containers. Prints its URL on stdout, then serves until killed.
 *
 *   node --import tsx bench/dashboard/server.ts <stateDir> <deployments> <namespaces>
 */
import { silentLogger } from '../../src/core/index.js';
import type { PodStatus } from '../../src/observed/index.js';
import { startServer, type ControlPort } from '../../src/server/index.js';
import { FileStore, type NamespaceStatus } from '../../src/store/index.js';

const [stateDir, deploymentsArg, namespacesArg] = process.argv.slice(2);
if (!stateDir || !deploymentsArg || !namespacesArg) throw new Error('usage: server.ts <stateDir> <deployments> <namespaces>');
const deployments = Number(deploymentsArg);
const namespaces = Number(namespacesArg);
const COMMIT = 'c'.repeat(40);
const NOW = new Date().toISOString();
export const TOKEN = 'bench-dashboard-token-0123456789';

const nsName = (i: number) => `ns-${String(i).padStart(4, '0')}`;
const perNs = Math.ceil(deployments / namespaces);
const pods: PodStatus[] = [];
const store = await FileStore.open(stateDir, silentLogger);
await store.putSource({ description: 'bench', commit: COMMIT, updatedAt: NOW });
for (let n = 0; n < namespaces; n++) {
  const ns = nsName(n);
  const names = Array.from({ length: Math.min(perNs, deployments - n * perNs) }, (_, i) => `app-${String(i).padStart(3, '0')}`);
  const status: NamespaceStatus = {
    namespace: ns,
    lastAppliedCommit: COMMIT,
    phase: 'Synced',
    conditions: [],
    deployments: names.map((name) => ({ name, revision: 'abc1234567', replicas: 1, updatedReplicas: 1, availableReplicas: 1, phase: 'Complete' as const })),
    diagnostics: [],
    updatedAt: NOW,
  };
  await store.putNamespace(status);
  for (const name of names)
    pods.push({
      namespace: ns,
      deployment: name,
      name: `${name}-abc1234567-0`,
      container: `${ns}.${name}.abc1234567.0`,
      id: `${ns}-${name}`.padEnd(64, '0'),
      revision: 'abc1234567',
      replica: 0,
      commit: COMMIT,
      image: 'busybox:1.36',
      status: 'Running',
      ready: true,
      restarts: 0,
      created: NOW,
    });
}

const control: ControlPort = {
  syncNow: async () => ({ commit: COMMIT }),
  watchedRef: () => 'main',
  rollback: async () => ({ pinnedTo: `abc1234567@${COMMIT}` }),
  confirmPrune: async () => ({ confirmed: COMMIT, reasons: [] }),
  deploymentAt: async () => undefined,
  replicaLogs: async () => {},
  desired: () => undefined,
  livePlan: async () => {
    throw new Error('not used by the benchmark');
  },
  pods: async (args: { namespace?: string }) => (args.namespace ? pods.filter((p) => p.namespace === args.namespace) : pods),
};
const server = await startServer({ control, store, logger: silentLogger, listen: { port: 0 }, apiToken: TOKEN });
process.stdout.write(`${server.url}\n`);
process.on('SIGTERM', () => void server.close().finally(() => process.exit(0)));

/**
 * The swarm rig (scripts/swarm-rig.sh) for tests: a real 3-node Docker Swarm on this machine,
 * each node an extra dockerd in its own network namespace (node1 manager, node2 and node3
 * workers), reachable from the test process at its socket (its own engine) and at its IP on
 * the rig's test LAN (published ports). The constants here must match the script's.
 *
 * Every test names what it creates with its own berth instance (label
 * `berth.instance=<instance>`) and registers the cleanup first, so a failing test leaves
 * nothing on the cluster:
 *
 *   before(() => swarmRigUp());
 *   const instance = `t-rig-${randomBytes(4).toString('hex')}`;
 *   t.after(() => swarmCleanup(instance));
 *
 * Everything except bringing the rig up, killing and starting nodes goes through dockerode,
 * so cleanup works even when the driver under test is broken.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { eventually } from './eventually.js';

const run = promisify(execFile);

/** The rig's script; it runs as the test process's user (root: namespaces, dockerd). */
export const SWARM_RIG_SCRIPT = fileURLToPath(new URL('../../scripts/swarm-rig.sh', import.meta.url));

/** Where the rig keeps each node's state and its socket (BERTH_SWARM_BASE, as in the script). */
export const SWARM_BASE = process.env.BERTH_SWARM_BASE ?? '/tmp/berth-swarm';

export const SWARM_NODES = ['node1', 'node2', 'node3'] as const;
export type SwarmNode = (typeof SWARM_NODES)[number];

/** The one manager; node2 and node3 are workers. */
export const SWARM_MANAGER: SwarmNode = 'node1';

/** Each node's address on the rig's LAN (10.79.0.0/24): published ports answer there. */
export const SWARM_NODE_IP: Readonly<Record<SwarmNode, string>> = { node1: '10.79.0.11', node2: '10.79.0.12', node3: '10.79.0.13' };

/** This (root) network namespace's own address on the rig's LAN. */
export const SWARM_HOST_IP = '10.79.0.1';

/** Each node's own engine: the socket's path. */
export const SWARM_NODE_SOCKET: Readonly<Record<SwarmNode, string>> = {
  node1: `${SWARM_BASE}/node1/docker.sock`,
  node2: `${SWARM_BASE}/node2/docker.sock`,
  node3: `${SWARM_BASE}/node3/docker.sock`,
};

/** Node label naming that node's own engine (`unix://<socket>`): the swarm driver's way to a node for exec, logs, stats. */
export const ENGINE_LABEL = 'berth.engine';

/** Each node's engine over TCP, TLS verified both ways (the rig's CA). */
export const SWARM_NODE_TCP: Readonly<Record<SwarmNode, string>> = {
  node1: 'tcp://10.79.0.11:2376',
  node2: 'tcp://10.79.0.12:2376',
  node3: 'tcp://10.79.0.13:2376',
};

/** berth's client TLS folder for SWARM_NODE_TCP (ca.pem, cert.pem, key.pem), as `swarm-rig.sh tls` prints it. */
export const SWARM_TLS_DIR = `${SWARM_BASE}/tls/client`;

/** The images `up` copies onto every node from the main engine. */
export const SWARM_IMAGES = ['busybox:1.36', 'busybox:latest', 'berth-test/busybox:1'] as const;

const INSTANCE_LABEL = 'berth.instance';
const SERVICE_ID_LABEL = 'com.docker.swarm.service.id';

async function rig(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('bash', [SWARM_RIG_SCRIPT, ...args], { timeout: 180_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`swarm-rig.sh ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** Brings the rig up (idempotent; well under a second when it already is): 3 Ready, Active, labelled nodes with the test images. */
export async function swarmRigUp(): Promise<void> {
  await rig('up');
}

/**
 * The node's engine at ssh://root@<node ip> (an sshd in its netns, started when it is not running:
 * the rig's key may only run `docker system dial-stdio` there), and a HOME whose .ssh holds the
 * client key and the nodes' host keys (berth reads ~/.ssh; give it HOME).
 */
export async function sshEngine(node: SwarmNode): Promise<{ readonly url: string; readonly home: string }> {
  const url = (await rig('ssh', node)).trim();
  return { url, home: (await rig('ssh-home')).trim() };
}

/** kill -9 of the node's dockerd and everything it started: the node fails (its state on disk is kept). */
export async function killNode(node: SwarmNode): Promise<void> {
  await rig('kill', node);
}

/** Starts a killed node again; resolves once the manager sees it Ready (it rejoins with its kept state). */
export async function startNode(node: SwarmNode): Promise<void> {
  await rig('start', node);
}

/** SIGSTOP of the node's dockerd: its agent goes silent (Down after a few heartbeats), its containers keep running. */
export async function freezeNode(node: SwarmNode): Promise<void> {
  await rig('freeze', node);
}

/** SIGCONT of a frozen node's dockerd; resolves once the manager sees it Ready again. */
export async function thawNode(node: SwarmNode): Promise<void> {
  await rig('thaw', node);
}

const clients = new Map<SwarmNode, Docker>();

/** A dockerode client for the node's own engine. */
export function nodeDocker(node: SwarmNode): Docker {
  let client = clients.get(node);
  if (!client) {
    client = new Docker({ socketPath: SWARM_NODE_SOCKET[node], host: undefined, port: undefined, protocol: 'http' });
    clients.set(node, client);
  }
  return client;
}

/** The manager's engine: the swarm API (services, tasks, nodes, networks). */
export function managerDocker(): Docker {
  return nodeDocker(SWARM_MANAGER);
}

/** The swarm node's id as the manager knows it (by hostname; a live entry wins over a stale one). */
export async function nodeId(node: SwarmNode): Promise<string> {
  const nodes = await managerDocker().listNodes();
  const matching = nodes.filter((n: any) => n.Description?.Hostname === node);
  const live = matching.find((n: any) => n.Status?.State === 'ready') ?? matching[0];
  if (!live) throw new Error(`the swarm has no node ${node}`);
  return live.ID as string;
}

/** Changes the node's spec through the manager, retrying when another update came in between. */
async function updateNodeSpec(node: SwarmNode, change: (spec: any) => void): Promise<void> {
  const id = await nodeId(node);
  for (let attempt = 1; ; attempt++) {
    const current: any = await managerDocker().getNode(id).inspect();
    const spec = { ...current.Spec, Labels: { ...current.Spec?.Labels } };
    change(spec);
    try {
      await managerDocker()
        .getNode(id)
        .update({ _query: { version: current.Version.Index }, _body: spec });
      return;
    } catch (err) {
      if (attempt >= 5 || !/out of sequence/.test(String((err as Error).message))) throw err;
    }
  }
}

export function drainNode(node: SwarmNode): Promise<void> {
  return updateNodeSpec(node, (spec) => (spec.Availability = 'drain'));
}

export function activateNode(node: SwarmNode): Promise<void> {
  return updateNodeSpec(node, (spec) => (spec.Availability = 'active'));
}

export function labelNode(node: SwarmNode, key: string, value: string): Promise<void> {
  return updateNodeSpec(node, (spec) => (spec.Labels[key] = value));
}

export function unlabelNode(node: SwarmNode, key: string): Promise<void> {
  return updateNodeSpec(node, (spec) => delete spec.Labels[key]);
}

function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

/** A node whose engine does not answer (killed by a test): it runs nothing to wait for. */
function unreachable(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ECONNREFUSED' || code === 'ENOENT';
}

/** Whether the manager's engine is gone (its dockerd exited), as opposed to answering with an error. */
async function managerGone(): Promise<boolean> {
  try {
    await managerDocker().ping();
    return false;
  } catch (err) {
    return unreachable(err);
  }
}

/**
 * Removes every swarm service labelled `berth.instance=<instance>` (through the manager) and
 * waits until no task container of them (or any task container with that label) remains on
 * any node: one still there is force-removed, as stopping it gracefully could take its whole
 * grace period. Then removes every network, config and secret with that label and waits until
 * no node lists any, and removes the nodes' volumes with that label. Safe to call twice. A
 * worker whose engine is down (killed by the test) is skipped: it runs nothing.
 *
 * A manager whose dockerd exits meanwhile is started again (as a reboot would: `kill`, then
 * `start`) and the cleanup runs again, twice at most. Docker 20.10's manager can panic when
 * services are removed soon after it became leader again (swarmkit's SetServiceTasksRemove
 * reads a task its task reaper has just deleted: moby/swarmkit#3216); a CI run met it here,
 * right after the test that restarts the manager.
 */
export async function swarmCleanup(instance: string, options: { timeoutMs?: number } = {}): Promise<void> {
  for (let restarts = 0; ; restarts++) {
    try {
      return await cleanupOnce(instance, options);
    } catch (err) {
      if (restarts >= 2 || !(await managerGone())) throw err;
      console.error(`# swarm cleanup of ${instance}: the manager's engine is gone (${(err as Error).message}); starting it again`);
      await killNode(SWARM_MANAGER);
      await startNode(SWARM_MANAGER);
    }
  }
}

async function cleanupOnce(instance: string, options: { timeoutMs?: number }): Promise<void> {
  const manager = managerDocker();
  const label = `${INSTANCE_LABEL}=${instance}`;
  const failures: unknown[] = [];
  const ignoreMissing = async (fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      if (statusCode(err) !== 404) failures.push(err);
    }
  };

  const services = await manager.listServices({ filters: { label: [label] } });
  const serviceIds = new Set(services.map((s) => s.ID));
  await Promise.all(services.map((s) => ignoreMissing(() => manager.getService(s.ID).remove())));

  const deadline = { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 250 };
  await eventually(
    async () => {
      const left: string[] = [];
      for (const node of SWARM_NODES) {
        let containers: Docker.ContainerInfo[];
        try {
          containers = await nodeDocker(node).listContainers({ all: true, filters: { label: [SERVICE_ID_LABEL] } });
        } catch (err) {
          if (unreachable(err)) continue;
          throw err;
        }
        const ours = containers.filter((c) => serviceIds.has(c.Labels[SERVICE_ID_LABEL] ?? '') || c.Labels[INSTANCE_LABEL] === instance);
        for (const c of ours) {
          left.push(`${node}:${c.Names[0] ?? c.Id}`);
          try {
            await nodeDocker(node).getContainer(c.Id).remove({ force: true, v: true });
          } catch (err) {
            if (statusCode(err) !== 404 && statusCode(err) !== 409) throw err;
          }
        }
      }
      if (left.length > 0) throw new Error(`task containers of ${instance} still there: ${left.join(', ')}`);
    },
    { ...deadline, what: `swarm cleanup of ${instance}: task containers` },
  );

  // A network, config or secret is in use until the service is gone from the store, and a
  // node lists an overlay network until its tasks there have detached: removed and listed again
  // until no engine lists any.
  await eventually(
    async () => {
      const left: string[] = [];
      const errors: unknown[] = [];
      const remove = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
        left.push(what);
        try {
          await fn();
        } catch (err) {
          if (statusCode(err) !== 404) errors.push(err);
        }
      };
      const [configs, secrets] = await Promise.all([
        manager.listConfigs({ filters: { label: [label] } }),
        manager.listSecrets({ filters: { label: [label] } }),
      ]);
      for (const c of configs as any[]) await remove(`config ${c.Spec?.Name ?? c.ID}`, () => manager.getConfig(c.ID).remove());
      for (const s of secrets as any[]) await remove(`secret ${s.Spec?.Name ?? s.ID}`, () => manager.getSecret(s.ID).remove());
      for (const node of SWARM_NODES) {
        let networks: Docker.NetworkInspectInfo[];
        try {
          networks = await nodeDocker(node).listNetworks({ filters: { label: [label] } });
        } catch (err) {
          if (unreachable(err)) continue;
          throw err;
        }
        // A swarm network through the manager (the nodes drop their copies), a local one on its node.
        const engine = (n: Docker.NetworkInspectInfo): Docker => (n.Scope === 'swarm' ? manager : nodeDocker(node));
        for (const n of networks) await remove(`network ${n.Name} (listed by ${node})`, () => engine(n).getNetwork(n.Id).remove());
      }
      if (left.length > 0) {
        const why = errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
        throw new Error(`still there: ${left.join(', ')}${why ? ` (${why})` : ''}`);
      }
    },
    { ...deadline, what: `swarm cleanup of ${instance}: networks, configs, secrets` },
  );

  for (const node of SWARM_NODES) {
    let volumes: Docker.VolumeInspectInfo[];
    try {
      volumes = (await nodeDocker(node).listVolumes({ filters: { label: [label] } })).Volumes ?? [];
    } catch (err) {
      if (unreachable(err)) continue;
      throw err;
    }
    await Promise.all(volumes.map((v) => ignoreMissing(() => nodeDocker(node).getVolume(v.Name).remove({ force: true }))));
  }
  if (failures.length > 0) throw new AggregateError(failures, `swarm cleanup of ${instance}: ${failures.length} object(s) left behind`);
}

/**
 * berth on a real 3-node Docker Swarm (scripts/swarm-rig.sh: each node a dockerd in its own
 * network namespace), end to end: `berth run --driver swarm` against the manager, native
 * `git push`, berth's data plane on this host, and a load client that counts every failed
 * request. Assertions read the cluster through the nodes' own engines, never berth's internals.
 * The cases run in order on one cluster (they drain, kill and label its nodes), each leaving it
 * whole for the next.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { createDockerDriver } from '../../src/runtime/docker/driver.js';
import type { OwnedContainer, RuntimeEvent } from '../../src/runtime/driver.js';
import { createSwarmDriver } from '../../src/runtime/swarm/driver.js';
import { removedService } from '../../src/runtime/swarm/tasks.js';
import { runBerth, startBerth, type BerthDaemon, daemonFlags, tearDown } from '../helpers/berth-cli.js';
import { backendsOf, dataPlaneStatus } from '../helpers/data-plane.js';
import { eventually } from '../helpers/eventually.js';
import { underLoad } from '../helpers/load.js';
import { deploymentYaml, serviceYaml, webCommand, type DeploymentYamlOptions } from '../helpers/manifests.js';
import { tmpRepo, type TmpRepo } from '../helpers/tmp-repo.js';
import { freePort } from '../helpers/webhook-hook.js';
import { execOutput } from '../helpers/world.js';
import {
  activateNode,
  drainNode,
  freezeNode,
  killNode,
  labelNode,
  managerDocker,
  nodeDocker,
  sshEngine,
  startNode,
  ENGINE_LABEL,
  SWARM_NODE_SOCKET,
  SWARM_NODE_TCP,
  SWARM_NODES,
  SWARM_TLS_DIR,
  swarmCleanup,
  swarmRigUp,
  thawNode,
  unlabelNode,
  type SwarmNode,
} from '../helpers/swarm.js';

const execFileAsync = promisify(execFile);

interface ClusterReplica {
  /** Its service's id: berth's replica id, the data plane's backend id. */
  readonly id: string;
  readonly name: string;
  readonly revision: string;
  readonly replica: number;
  /** The state of its newest task. */
  readonly state: string;
  readonly node: SwarmNode | undefined;
  readonly containerId: string | undefined;
  readonly error: string | undefined;
}

describe('berth drives a 3-node Docker Swarm', { timeout: 900_000 }, () => {
  const instance = `t-swarm-${randomBytes(3).toString('hex')}`;
  const NS = 'swarm';
  let repo: TmpRepo;
  let stateDir: string;
  let berth: BerthDaemon | undefined;
  let webPort: number;
  const scope = { cleanup: () => swarmCleanup(instance) };

  const web = (text: string, over: Partial<DeploymentYamlOptions> = {}) =>
    deploymentYaml({
      name: 'web',
      replicas: 3,
      // Swarm stops a drained node's task itself, with no drain by berth first (Swarm has no
      // preStop hook): the app serves on for a while after SIGTERM, as a Kubernetes app with a
      // preStop sleep does, while berth takes it out of routing. berth reads Swarm's tasks every
      // second, then a pass routes around the replica: 5 s is a margin of 3–4 × that, which a
      // loaded machine needs (3 s lost a request at a load average of 11).
      command: webCommand(text, 8080, { servesAfterTermSeconds: 5 }),
      port: 8080,
      strategy: { maxSurge: 1, maxUnavailable: 0 },
      readinessProbe: { path: '/', port: 8080, periodSeconds: 1 },
      terminationGracePeriodSeconds: 8,
      resources: { requests: { cpu: '50m', memory: '16Mi' }, limits: { memory: '64Mi' } },
      ...over,
    });
  /** The text of the last commit that rolled out (a pending one does not count). */
  let serving = 'v1';
  /** One manifest file of the namespace written, committed and pushed. */
  const publish = async (file: string, yaml: string, message: string) => {
    await repo.write(`manifests/${NS}/${file}`, yaml);
    await repo.commit(message);
    await repo.push();
  };
  const commit = (text: string, over: Partial<DeploymentYamlOptions> = {}) => publish('web.yaml', web(text, over), text);
  const assertAlive = () => {
    if (berth && (berth.child.exitCode !== null || berth.child.signalCode !== null))
      throw Object.assign(new Error(`berth exited with ${berth.child.exitCode ?? berth.child.signalCode}:\n${berth.logs().slice(-3000)}`), { fatal: true });
  };

  /** berth's log lines from `iso` on (pino's JSON lines carry their time), each cut at 400 characters. */
  const logSince = (iso: string) =>
    (berth?.logs() ?? '')
      .split('\n')
      .filter((l) => {
        const time = /"time":(\d+)/.exec(l)?.[1];
        return time === undefined || Number(time) >= Date.parse(iso);
      })
      .map((l) => l.slice(0, 400))
      .join('\n');

  /** A Deployment's replicas as the cluster has them (web by default): each replica's service and its newest task. */
  const cluster = async (deployment = 'web'): Promise<ClusterReplica[]> => {
    const manager = managerDocker();
    const [services, tasks, nodes] = await Promise.all([
      manager.listServices({ filters: { label: [`berth.instance=${instance}`, `berth.name=${deployment}`] } }),
      manager.listTasks() as Promise<any[]>,
      manager.listNodes() as Promise<any[]>,
    ]);
    const hostOf = new Map(nodes.map((n) => [n.ID as string, n.Description?.Hostname as SwarmNode]));
    return services
      .map((s) => {
        const labels = s.Spec?.Labels ?? {};
        const newest = tasks.filter((t) => t.ServiceID === s.ID).sort((a, b) => String(b.CreatedAt).localeCompare(String(a.CreatedAt)))[0];
        return {
          id: s.ID ?? '',
          name: labels['berth.container-name'] ?? '',
          revision: labels['berth.revision'] ?? '',
          replica: Number(labels['berth.replica']),
          state: newest?.Status?.State ?? 'none',
          node: newest?.NodeID ? hostOf.get(newest.NodeID) : undefined,
          containerId: newest?.Status?.ContainerStatus?.ContainerID,
          error: newest?.Status?.Err,
        };
      })
      .sort((a, b) => a.replica - b.replica || a.name.localeCompare(b.name));
  };

  const get = (path = '/'): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: webPort, path, agent: false, timeout: 5_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve(`${res.statusCode === 200 ? '' : `${res.statusCode} `}${body.trim()}`));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
    });

  /** Converged: `replicas` running web replicas of one revision, none on `avoid`, all routed, every answer `text`. */
  const servesOnly = (text: string, o: { replicas?: number; avoid?: SwarmNode; on?: SwarmNode } = {}) =>
    eventually(
      async () => {
        assertAlive();
        const replicas = o.replicas ?? 3;
        const seen = await cluster();
        const shown = seen.map((r) => `${r.revision}.${r.replica}:${r.state}@${r.node ?? '-'}`).join(' ');
        assert.equal(seen.length, replicas, `web has ${replicas} replicas (${shown})`);
        assert.equal(new Set(seen.map((r) => r.revision)).size, 1, `web runs one revision (${shown})`);
        assert.ok(
          seen.every((r) => r.state === 'running'),
          `every replica runs (${shown})`,
        );
        if (o.avoid) assert.ok(!seen.some((r) => r.node === o.avoid), `no replica on ${o.avoid} (${shown})`);
        if (o.on)
          assert.ok(
            seen.every((r) => r.node === o.on),
            `every replica on ${o.on} (${shown})`,
          );
        assert.equal(backendsOf(await dataPlaneStatus(stateDir), NS, 'web').length, replicas, 'every replica is routed');
        const answers = await Promise.all(Array.from({ length: 6 }, () => get()));
        assert.ok(
          answers.every((a) => a.startsWith(`${text} `)),
          `every answer is ${text}: ${answers.join(', ')}`,
        );
        serving = text;
        return seen;
      },
      { timeoutMs: 120_000, what: `web serves only ${text}` },
    );

  const withLoad = <T>(fn: () => Promise<T>) => underLoad({ port: webPort, concurrency: 4 }, fn);

  before(async () => {
    await swarmRigUp();
    // berth reaches the manager over tcp:// with TLS, and node3's own engine (exec probes, logs) too.
    await labelNode('node3', ENGINE_LABEL, SWARM_NODE_TCP.node3);
    repo = await tmpRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-swarm-'));
    webPort = await freePort();
    await repo.write(`manifests/${NS}/web-service.yaml`, serviceYaml({ name: 'web', port: webPort, targetPort: 8080 }));
    await commit('v1');
    berth = startBerth(
      [
        ...daemonFlags({ repo: repo.url, stateDir, instance, poll: '*/1 * * * * *', listen: '127.0.0.1:0' }),
        '--driver',
        'swarm',
        '--docker-socket',
        SWARM_NODE_TCP.node1,
        '--docker-tls-dir',
        SWARM_TLS_DIR,
        '--ingress-listen',
        `127.0.0.1:${await freePort()}`,
        '--log-level',
        'debug',
      ],
      { env: { SWARM_E2E_TOKEN: 'token-of-the-swarm-suite' } },
    );
  });

  after(async () => {
    // The cluster is whole again for whoever comes next, whatever failed here.
    const restore: Promise<unknown>[] = [];
    restore.push(labelNode('node3', ENGINE_LABEL, `unix://${SWARM_NODE_SOCKET.node3}`).catch(() => undefined));
    for (const node of SWARM_NODES)
      restore.push(
        activateNode(node).catch(() => undefined),
        unlabelNode(node, 'disk').catch(() => undefined),
        unlabelNode(node, 'tier').catch(() => undefined),
      );
    await Promise.all(restore);
    await tearDown({ berth, name: 'swarm', stateDir, scope, repos: [repo] });
  });

  it('converges across the 3 nodes, a replica on each, and the Service reaches every one from this host', async () => {
    const seen = await servesOnly('v1');
    assert.deepEqual(seen.map((r) => r.node).sort(), ['node1', 'node2', 'node3'], 'Swarm spread the three replicas over the three nodes');
    const [service] = await managerDocker().listServices({ filters: { label: [`berth.instance=${instance}`, 'berth.name=web'] } });
    assert.deepEqual(
      service?.Spec?.TaskTemplate && 'Resources' in service.Spec.TaskTemplate ? service.Spec.TaskTemplate.Resources : undefined,
      { Limits: { MemoryBytes: 64 * 1024 * 1024 }, Reservations: { NanoCPUs: 50_000_000, MemoryBytes: 16 * 1024 * 1024 } },
      'requests are reserved on the node, limits limit',
    );
    const answers = await Promise.all(Array.from({ length: 30 }, () => get()));
    assert.equal(new Set(answers.map((a) => a.split(' ')[1])).size, 3, `30 requests reached all 3 replicas: ${answers.join(', ')}`);
    // No --driver: berth finds the engine is a Swarm manager running this instance's services (--driver auto).
    const nodes = await runBerth([
      'nodes',
      '--docker-socket',
      SWARM_NODE_TCP.node1,
      '--docker-tls-dir',
      SWARM_TLS_DIR,
      '--instance',
      instance,
      '--state-dir',
      stateDir,
      '-o',
      'json',
    ]);
    assert.equal(nodes.code, 0, nodes.stderr);
    const listed = (JSON.parse(nodes.stdout) as { nodes: { hostname: string; role: string; state: string; replicas: string[] }[] }).nodes;
    assert.deepEqual(
      listed.map((n) => [n.hostname, n.role, n.state, n.replicas.length]),
      [
        ['node1', 'manager', 'ready', 1],
        ['node2', 'worker', 'ready', 1],
        ['node3', 'worker', 'ready', 1],
      ],
      'berth nodes lists the nodes and what berth runs on each',
    );
    // berth status says which node each replica is on, as the cluster has it.
    await eventually(
      async () => {
        const shown = await runBerth(['status', '--state-dir', stateDir, '--repo', repo.url, '--path', 'manifests']);
        for (const r of await cluster())
          assert.ok(
            shown.stdout.includes(`replica ${r.replica} (revision ${r.revision}) running on ${r.node}`),
            `status places replica ${r.replica} on ${r.node}: ${shown.stdout}`,
          );
      },
      { timeoutMs: 30_000, what: 'berth status names each replica’s node' },
    );
    // The running berth's API lists them too.
    const api = JSON.parse(await readFile(join(stateDir, 'api.json'), 'utf8')) as { url: string };
    const fromApi = (await (await fetch(`${api.url}/api/v1/nodes`)).json()) as { nodes: { hostname: string; replicas: string[] }[] };
    assert.deepEqual(
      fromApi.nodes.map((n) => [n.hostname, n.replicas.length]),
      [
        ['node1', 1],
        ['node2', 1],
        ['node3', 1],
      ],
      'GET /api/v1/nodes',
    );
    // plan and run agree: converged, the live plan of the same cluster has nothing to do, and says what the Service is.
    const plan = await runBerth([
      'plan',
      '--live',
      '--driver',
      'swarm',
      '--docker-socket',
      SWARM_NODE_TCP.node1,
      '--docker-tls-dir',
      SWARM_TLS_DIR,
      '--repo',
      repo.url,
      '--path',
      'manifests',
      '--instance',
      instance,
      '--state-dir',
      stateDir,
      '-o',
      'json',
    ]);
    assert.equal(plan.code, 0, `plan --live has no changes: ${plan.stdout}${plan.stderr}`);
    assert.match(plan.stdout, /10\.96\.\d+\.\d+/, 'the plan shows the Service’s virtual address on this host, as run gives it');
  });

  it('an engine at tcp:// reached without its TLS material, or with another CA: ENGINE_UNREACHABLE naming the fix, nothing done', async () => {
    const base = ['nodes', '--driver', 'swarm', '--docker-socket', SWARM_NODE_TCP.node1, '--instance', instance, '--state-dir', stateDir];
    const plain = await runBerth(base);
    assert.notEqual(plain.code, 0);
    assert.match(plain.stderr, /ENGINE_UNREACHABLE.*tcp:\/\/10\.79\.0\.11:2376.*the engine speaks TLS: give --docker-tls-dir/s, plain.stderr);
    // A TLS folder of another CA (a copy of ours with a CA that did not sign the engine's certificate).
    const other = await mkdtemp(join(tmpdir(), 'berth-tls-'));
    try {
      await execFileAsync('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        '/CN=another-ca',
        '-days',
        '1',
        '-keyout',
        join(other, 'ca-key.pem'),
        '-out',
        join(other, 'ca.pem'),
      ]);
      await Promise.all(['cert.pem', 'key.pem'].map((f) => copyFile(join(SWARM_TLS_DIR, f), join(other, f))));
      const stranger = await runBerth([...base, '--docker-tls-dir', other]);
      assert.notEqual(stranger.code, 0);
      assert.match(stranger.stderr, /ENGINE_UNREACHABLE.*TLS: .*check --docker-tls-dir/s, stranger.stderr);
      const missing = await runBerth([...base, '--docker-tls-dir', join(other, 'nowhere')]);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /--docker-tls-dir .*nowhere: cannot read ca\.pem/, missing.stderr);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('an engine at ssh://: the same nodes and a plan with nothing to do; an unknown or changed host key, or no key it accepts: ENGINE_UNREACHABLE naming the fix', async () => {
    const ssh = await sshEngine('node1');
    const home = await mkdtemp(join(tmpdir(), 'berth-ssh-home-'));
    const env = (dir: string) => ({ HOME: dir, SSH_AUTH_SOCK: '' });
    const flags = ['--docker-socket', ssh.url, '--instance', instance, '--state-dir', stateDir];
    try {
      // No --driver: the manager behind ssh:// is found to be one.
      const nodes = await runBerth(['nodes', ...flags, '-o', 'json'], { env: env(ssh.home) });
      assert.equal(nodes.code, 0, nodes.stderr);
      const listed = (JSON.parse(nodes.stdout) as { nodes: { hostname: string; replicas: string[] }[] }).nodes;
      assert.deepEqual(
        listed.map((n) => n.hostname),
        ['node1', 'node2', 'node3'],
        'berth nodes through ssh://',
      );
      assert.ok(listed.reduce((n, x) => n + x.replicas.length, 0) >= 3, `the replicas berth runs: ${nodes.stdout}`);
      const plan = await runBerth(['plan', '--live', ...flags, '--repo', repo.url, '--path', 'manifests', '-o', 'json'], { env: env(ssh.home) });
      assert.equal(plan.code, 0, `plan --live through ssh:// has no changes: ${plan.stdout}${plan.stderr}`);

      // A HOME that knows no host: refused, never trusted on first use.
      await mkdir(join(home, '.ssh'));
      await copyFile(join(ssh.home, '.ssh', 'id_ed25519'), join(home, '.ssh', 'id_ed25519'));
      const unknown = await runBerth(['nodes', '--driver', 'swarm', ...flags], { env: env(home) });
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, /ENGINE_UNREACHABLE.*ssh:\/\/root@10\.79\.0\.11.*not in ~\/\.ssh\/known_hosts.*ssh-keyscan 10\.79\.0\.11/s, unknown.stderr);
      // Another key under the node's address (a changed host, or someone in between).
      const [, type, key] = (await readFile(join(ssh.home, '.ssh', 'known_hosts'), 'utf8')).split('\n')[0]!.split(' ');
      const forged = `${key!.slice(0, -8)}${key!.slice(-8) === 'AAAAAAAA' ? 'BBBBBBBB' : 'AAAAAAAA'}`;
      await writeFile(join(home, '.ssh', 'known_hosts'), `10.79.0.11 ${type} ${forged}\n`);
      const changed = await runBerth(['nodes', '--driver', 'swarm', ...flags], { env: env(home) });
      assert.notEqual(changed.code, 0);
      assert.match(changed.stderr, /ENGINE_UNREACHABLE.*host key of 10\.79\.0\.11:22 differs/s, changed.stderr);
      // The right host key, but no client key the node accepts.
      await copyFile(join(ssh.home, '.ssh', 'known_hosts'), join(home, '.ssh', 'known_hosts'));
      await rm(join(home, '.ssh', 'id_ed25519'));
      const nokey = await runBerth(['nodes', '--driver', 'swarm', ...flags], { env: env(home) });
      assert.notEqual(nokey.code, 0);
      assert.match(nokey.stderr, /ENGINE_UNREACHABLE.*accepted none of the keys offered/s, nokey.stderr);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('a volume whose folder needs a mode and group, on an engine at tcp:// (another machine): the engine sets the folder, no helper is left behind', async () => {
    // The engine sets it: a stopped helper of berth's pause image mounts the volume, and the engine extracts a one-directory tar over it.
    const docker = nodeDocker('node3');
    const volumeInstance = `t-remote-volume-${randomBytes(3).toString('hex')}`;
    const volume = `${volumeInstance}.ns.data`;
    let reader: string | undefined;
    try {
      const since = Math.floor(Date.now() / 1000) - 1;
      const driver = createDockerDriver({
        socketPath: SWARM_NODE_TCP.node3,
        tlsDir: SWARM_TLS_DIR,
        instance: volumeInstance,
        clock: { now: () => new Date() },
      });
      await driver.ensureVolume({ name: volume, driver: 'local', driverOpts: {}, labels: { 'berth.namespace': 'ns' }, mode: 0o2775, gid: 2000 });
      const c = await docker.createContainer({
        Image: 'busybox:1.36',
        Entrypoint: ['sleep', '600'],
        HostConfig: { Init: true, Mounts: [{ Type: 'volume', Source: volume, Target: '/data' }] },
      });
      reader = c.id;
      await c.start();
      const listing = (await execOutput(c.id, ['stat', '-c', '%a %u %g', '/data'], docker)).stdout.trim();
      assert.equal(listing, '2775 0 2000', 'the folder: mode 2775, root, group 2000');
      const helpers = await docker.listContainers({ all: true, filters: { label: [`berth.volume-helper=${volume}`] } });
      assert.deepEqual(helpers, [], 'the helper container is gone');
      // The engine set the folder (on the rig node3's folders happen to be in this filesystem too, so
      // a chmod here would also pass the check above; on another machine only the engine can).
      const events = await new Promise<string>((resolve, reject) =>
        docker.getEvents(
          { since, until: Math.ceil(Date.now() / 1000) + 1, filters: { type: ['container'], label: [`berth.volume-helper=${volume}`] } },
          (err, stream) => {
            if (err || !stream) return reject(err ?? new Error('no event stream'));
            let text = '';
            stream.on('data', (d: Buffer) => (text += d.toString()));
            stream.on('end', () => resolve(text));
            stream.on('error', reject);
          },
        ),
      );
      const actions = events
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { Action: string }).Action);
      assert.ok(actions.includes('create') && actions.includes('destroy'), `a helper container was made and removed on the node: ${actions.join(', ')}`);
      // Made again (it exists): nothing changes, no error.
      await driver.ensureVolume({ name: volume, driver: 'local', driverOpts: {}, labels: { 'berth.namespace': 'ns' }, mode: 0o2775, gid: 2000 });
    } finally {
      if (reader)
        await docker
          .getContainer(reader)
          .remove({ force: true })
          .catch(() => {});
      await docker
        .getVolume(volume)
        .remove({ force: true })
        .catch(() => {});
    }
  });

  it('a replica calls the others by name across nodes, on the namespace overlay network', async () => {
    const seen = await servesOnly('v1');
    const caller = seen.find((r) => r.node === 'node1');
    assert.ok(caller?.containerId, 'a replica runs on node1');
    // Every address the Deployment's alias resolves to (`web.`: absolute, past the search domains, where `web` is the
    // Service's virtual address as in Kubernetes), then one HTTP request to each on the overlay (busybox nc; its wget cannot resolve here).
    const script =
      "for ip in $(nslookup web. 2>/dev/null | sed -n 's/^Address[^:]*: *\\([0-9.]*\\).*/\\1/p' | grep -v '^127\\.'); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 $ip 8080 | tail -n 1; done";
    const answered = await eventually(
      async () => {
        const out = await execOutput(caller.containerId!, ['sh', '-c', script], nodeDocker('node1'));
        const hosts = new Set(
          out.stdout
            .split('\n')
            .filter((l) => l.startsWith('v1 '))
            .map((l) => l.split(' ')[1]),
        );
        assert.equal(hosts.size, 3, `the name reached the 3 replicas from node1: ${JSON.stringify(out.stdout)}`);
        return hosts;
      },
      { timeoutMs: 30_000, what: 'web reached by name from node1' },
    );
    assert.equal(answered.size, 3);
  });

  it('a Service called by name from a replica on any node: its virtual address on this host (port 80 → 8080), round robin over the replicas on every node', async () => {
    const DNS_DIAGNOSIS = 'cat /etc/resolv.conf; nslookup api.swarm.svc.cluster.local 2>&1; nslookup web. 2>&1; ip route 2>&1';
    await publish(
      'api-service.yaml',
      serviceYaml({ name: 'api', selector: 'web', port: 80, targetPort: 8080, type: 'ClusterIP' }),
      'api: a ClusterIP Service in front of web',
    );
    // From each node's replica: the name resolves (berth's namespace DNS, reached through the task's DNS config) and port 80 answers.
    const script =
      "for i in 1 2 3 4 5 6 7 8 9; do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 api.swarm.svc.cluster.local 80 | tail -n 1; done; nslookup api.swarm.svc.cluster.local 2>/dev/null | sed -n 's/^Address[^:]*: *\\([0-9.]*\\).*/\\1/p' | grep -v '^127\\.'";
    await eventually(
      async () => {
        assertAlive();
        for (const r of await cluster()) {
          assert.ok(r.containerId && r.node, JSON.stringify(r));
          const out = (await execOutput(r.containerId, ['sh', '-c', script], nodeDocker(r.node))).stdout.split('\n').filter(Boolean);
          const answers = out.filter((l) => /^v\S+ /.test(l));
          const addresses = out.filter((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l));
          if (answers.length !== 9) {
            // What the replica sees, and what berth warned of: a failure here says where the name or the address got lost.
            const gateway = ((await dataPlaneStatus(stateDir))?.namespaces.find((n) => n.namespace === NS) as { network?: { gateway?: string } } | undefined)
              ?.network?.gateway;
            // Also asked of berth's namespace DNS directly (not through Docker's resolver), and whether this host holds its address.
            const direct = gateway ? `; echo "-- ${gateway} directly:"; nslookup api.swarm.svc.cluster.local ${gateway} 2>&1` : '';
            const seen = await execOutput(r.containerId, ['sh', '-c', DNS_DIAGNOSIS + direct], nodeDocker(r.node)).catch((err: unknown) => ({
              stdout: String(err),
            }));
            const onLo = await execFileAsync('ip', ['-4', 'addr', 'show', 'dev', 'lo']).then(
              (o) => o.stdout.includes(`${gateway}/`),
              () => undefined,
            );
            const warnings = (log: string) =>
              log
                .split('\n')
                .filter((l) => /"level":(40|50|60)/.test(l))
                .slice(-8);
            const proxyLog = await readFile(join(stateDir, 'proxy.log'), 'utf8').catch(() => '');
            const table = (await dataPlaneStatus(stateDir))?.namespaces.find((n) => n.namespace === NS) as
              | { network?: unknown; services?: unknown }
              | undefined;
            assert.fail(
              `9 answers through api:80 from ${r.node}: ${JSON.stringify(out)}; the replica: ${JSON.stringify(seen.stdout)}; ` +
                `the DNS address ${gateway} on this host's lo: ${onLo}; ` +
                `the data plane's table: ${JSON.stringify({ network: table?.network, services: table?.services })}; ` +
                `berth's last warnings: ${warnings(berth!.logs()).join('\n')}; the data plane's: ${warnings(proxyLog).join('\n')}`,
            );
          }
          assert.ok(new Set(answers.map((a) => a.split(' ')[1])).size >= 2, `round robin over several replicas from ${r.node}: ${answers.join(', ')}`);
          assert.ok(
            addresses.length > 0 && addresses.every((a) => a.startsWith('10.96.')),
            `api resolves to its virtual address in 10.96.0.0/16: ${addresses.join(', ')}`,
          );
        }
      },
      { timeoutMs: 60_000, what: 'api reached by name from every node' },
    );
  });

  it('a rolling update under load through the Service: 0 failed requests', async () => {
    const { load } = await withLoad(async () => {
      await commit('v2');
      return servesOnly('v2');
    });
    assert.ok(load.ok > 0, 'requests were made');
    assert.equal(load.failed, 0, `failed requests: ${load.errors.join('; ')}`);
  });

  it('a drained node under load: 0 failed requests, its replica serving again on another node', async () => {
    const before = await servesOnly('v2');
    assert.ok(
      before.some((r) => r.node === 'node2'),
      'a replica runs on node2 before the drain',
    );
    // The driver's own watch, on a service of another instance pinned to node2: Swarm's order to
    // stop it (desired state shutdown while it still runs) is an eviction event at once, the one
    // berth takes a replica out of rotation on before any pass (no daemon here to race it).
    const probeInstance = `t-drain-watch-${randomBytes(3).toString('hex')}`;
    const watcher = createSwarmDriver({ socketPath: SWARM_NODE_SOCKET.node1, instance: probeInstance, clock: { now: () => new Date() } });
    const events: RuntimeEvent[] = [];
    const stopWatch = new AbortController();
    // Watching from before the probe runs: its start event shows the watch has seen it running, not yet evicted.
    const watching = watcher.watch((e) => events.push(e), stopWatch.signal);
    try {
      const probe = await managerDocker().createService({
        Name: probeInstance,
        Labels: { 'berth.managed': 'true', 'berth.instance': probeInstance, 'berth.namespace': NS, 'berth.name': 'probe', 'berth.replica': '0' },
        TaskTemplate: {
          ContainerSpec: { Image: 'busybox:1.36', Command: ['sleep', '600'], Init: true, StopGracePeriod: 1e9 },
          RestartPolicy: { Condition: 'none' },
          Placement: { Constraints: ['node.hostname==node2'] },
        },
        Mode: { Replicated: { Replicas: 1 } },
      } as Docker.CreateServiceOptions);
      await eventually(() => assert.ok(events.some((e) => e.kind === 'container-started' && e.id === probe.id)), {
        timeoutMs: 60_000,
        what: 'the probe service runs',
      });
      const drained = before.find((r) => r.node === 'node2')!;
      let runningWhenOut: boolean | undefined;
      const { load } = await withLoad(async () => {
        await drainNode('node2');
        // Out of rotation while Swarm's task still runs (it serves 5 s after SIGTERM), not once it has stopped.
        await eventually(
          async () => {
            const plane = await dataPlaneStatus(stateDir);
            assert.ok(plane && !backendsOf(plane, NS, 'web').includes(drained.id), 'the drained replica is no backend');
          },
          { timeoutMs: 30_000, intervalMs: 50, what: "node2's replica out of rotation" },
        );
        runningWhenOut = await nodeDocker('node2')
          .getContainer(drained.containerId!)
          .inspect()
          .then(
            (c) => c.State.Running,
            () => false,
          );
        return servesOnly('v2', { avoid: 'node2' });
      });
      assert.equal(load.failed, 0, `failed requests: ${load.errors.join('; ')}`);
      assert.equal(runningWhenOut, true, "node2's replica left the rotation while it still ran");
      const evicted = await eventually(
        () => {
          const e = events.find((x) => x.kind === 'container-died' && x.id === probe.id);
          assert.ok(e && 'evicted' in e && e.evicted, `an eviction event for the probe service (${JSON.stringify(events)})`);
          return e;
        },
        { timeoutMs: 30_000, what: 'the eviction event' },
      );
      assert.equal(evicted.kind, 'container-died');
    } finally {
      stopWatch.abort();
      await watching.catch(() => {});
      await activateNode('node2');
      await swarmCleanup(probeInstance);
    }
  });

  it('a task read naming a service removed meanwhile: the engine refuses the whole read with 404, and removedService names the one gone', async () => {
    const manager = managerDocker();
    const name = `t-gone-${randomBytes(3).toString('hex')}`;
    const service = await manager.createService({
      Name: name,
      Labels: { 'berth.managed': 'true', 'berth.instance': name },
      TaskTemplate: { ContainerSpec: { Image: 'busybox:1.36', Command: ['sleep', '600'] }, RestartPolicy: { Condition: 'none' } },
      Mode: { Replicated: { Replicas: 0 } },
    } as Docker.CreateServiceOptions);
    try {
      await manager.getService(service.id).remove();
      const webIds = (await manager.listServices({ filters: { label: [`berth.instance=${instance}`] } })).map((x) => x.ID!);
      const asked = new Set([...webIds, service.id]);
      const refused = await manager.listTasks({ filters: { service: [...asked] } }).then(
        () => undefined,
        (err: unknown) => err,
      );
      assert.ok(refused, 'the engine refused the read');
      assert.equal(removedService(refused, asked), service.id);
      asked.delete(service.id);
      assert.equal(removedService(refused, asked), undefined, 'a 404 naming a service not asked for is not taken for one gone');
    } finally {
      await swarmCleanup(name);
    }
  });

  it("kill -9 of a node's dockerd: its replicas rescheduled on the others; failures bounded and reported", async (t) => {
    const before = await servesOnly('v2');
    const victim: SwarmNode = before.some((r) => r.node === 'node3') ? 'node3' : 'node2';
    try {
      const { load } = await withLoad(async () => {
        await killNode(victim);
        return servesOnly('v2', { avoid: victim });
      });
      t.diagnostic(`node ${victim} killed: ${load.failed} of ${load.ok + load.failed} requests failed while its replicas moved`);
      // Whether berth's own probe of the node's engine saw it gone before Swarm's heartbeats did (a figure, not a verdict).
      const seen = berth!.logs().includes(`"node":"${victim}","msg":"node's engine refuses connections`);
      t.diagnostic(`berth's engine probe ${seen ? 'found' : 'did not find'} ${victim}'s engine gone before Swarm marked the node down`);
      // Once the replicas serve elsewhere, nothing fails any more.
      const after = await withLoad(() => Promise.all(Array.from({ length: 20 }, () => get())));
      assert.equal(after.load.failed, 0, `requests after the move: ${after.load.errors.join('; ')}`);
    } finally {
      await startNode(victim);
    }
  });

  it('a worker killed during a rollout: the rollout completes on the nodes left', async (t) => {
    const before = await servesOnly('v2');
    const victim: SwarmNode = before.some((r) => r.node === 'node2') ? 'node2' : 'node3';
    try {
      const { load } = await withLoad(async () => {
        await commit('v2b');
        // The first surge replicas are being made: the node goes away mid-roll.
        await eventually(
          async () =>
            assert.ok(
              (await cluster()).some((r) => r.revision !== before[0]!.revision),
              'the rollout started',
            ),
          { timeoutMs: 60_000, what: 'the rollout to v2b started' },
        );
        await killNode(victim);
        return servesOnly('v2b', { avoid: victim });
      });
      t.diagnostic(`node ${victim} killed mid-rollout: ${load.failed} of ${load.ok + load.failed} requests failed`);
    } finally {
      await startNode(victim);
    }
  });

  it('a replica placed on a node that goes silent before its task runs: the creation returns it lost (evicted) as soon as Swarm marks the node down, not after the start timeout', async () => {
    // The driver alone, under an instance of its own, with a start timeout of an hour: a creation that
    // waits on a task no node will run does not return, and the test's safety net fails it.
    const probeInstance = `t-lost-${randomBytes(3).toString('hex')}`;
    const driver = createSwarmDriver({
      socketPath: SWARM_NODE_SOCKET.node1,
      instance: probeInstance,
      startTimeoutMs: 3_600_000,
      clock: { now: () => new Date() },
    });
    const network = `${probeInstance}-net`;
    const labels = { 'berth.managed': 'true', 'berth.instance': probeInstance, 'berth.namespace': NS, 'berth.name': 'lost' };
    const victim: SwarmNode = 'node3';
    try {
      await driver.ensureNetwork({ name: network, labels });
      const lost = await (async () => {
        // Frozen, the node's agent takes no task, yet the manager schedules on it until its heartbeats run out.
        // Once in a while the manager marks it Down before it places the task: that is another case, and the test tries again.
        for (let attempt = 1; ; attempt++) {
          await freezeNode(victim);
          try {
            let returned: { container?: OwnedContainer; error?: unknown } | undefined;
            void driver
              .runContainer({
                name: `${probeInstance}.lost.${attempt}`,
                image: 'busybox:1.36',
                command: ['sleep', '600'],
                env: [],
                ports: [],
                labels: { ...labels, 'berth.replica': String(attempt) },
                network,
                networkAliases: [],
                nodeSelector: { 'kubernetes.io/hostname': victim },
                stopGraceSeconds: 1,
              })
              .then(
                (container) => (returned = { container }),
                (error: unknown) => (returned = { error }),
              );
            // The safety net of a creation that never returns (the defect): the node is thawed in any case.
            const c: OwnedContainer = await eventually(
              () => {
                assert.ok(returned, 'runContainer returned');
                if (returned.error) throw Object.assign(new Error(`runContainer failed: ${String(returned.error)}`), { fatal: true });
                return returned.container!;
              },
              { timeoutMs: 120_000, what: `the creation on the silent ${victim} returned` },
            );
            if (c.labels['berth.node'] === victim || attempt === 3) return c;
          } finally {
            await thawNode(victim);
          }
        }
      })();
      assert.equal(lost.labels['berth.node'], victim, `the task was placed on ${victim}: ${JSON.stringify(lost)}`);
      assert.notEqual(lost.state, 'running');
      assert.equal(lost.evicted, true, `lost with its node: ${JSON.stringify(lost)}`);
      assert.match(lost.reason ?? '', new RegExp(`its node ${victim} is down`));
    } finally {
      await swarmCleanup(probeInstance);
    }
    await servesOnly(serving);
  });

  it('a nodeSelector pins every replica to the node with that label', async () => {
    await labelNode('node3', 'disk', 'ssd');
    await commit('v3', { nodeSelector: { disk: 'ssd' } });
    await servesOnly('v3', { on: 'node3' });
  });

  it('a nodeSelector no node matches: the new replica stays pending, the old ones serve, and status names the selector', async () => {
    await commit('v4', { nodeSelector: { disk: 'nvme' } });
    await eventually(
      async () => {
        assertAlive();
        const seen = await cluster();
        const pending = seen.find((r) => r.revision !== seen[0]?.revision || r.state === 'pending');
        assert.ok(pending, `a v4 replica exists (${seen.map((r) => `${r.revision}:${r.state}`).join(' ')})`);
        assert.match(pending.error ?? '', /no suitable node/, 'Swarm found no node for it');
        const shown = await runBerth(['status', '--state-dir', stateDir, '--repo', repo.url, '--path', 'manifests']);
        assert.match(shown.stdout, /replica \d is pending: no node matches its nodeSelector disk=nvme/, `berth status says why: ${shown.stdout}`);
      },
      { timeoutMs: 60_000, what: 'a pending v4 replica, explained' },
    );
    // Nothing was taken away meanwhile: the three v3 replicas still serve.
    const answers = await Promise.all(Array.from({ length: 6 }, () => get()));
    assert.ok(
      answers.every((a) => a.startsWith('v3 ')),
      `v3 still answers: ${answers.join(', ')}`,
    );
    // Labelling a node makes the selector match: the rollout completes there.
    await labelNode('node2', 'disk', 'nvme');
    await servesOnly('v4', { on: 'node2' });
  });

  it('required node affinity and pod anti-affinity: one replica per allowed node, the one left pending says which rule, and is placed once a node qualifies', async () => {
    await Promise.all([labelNode('node2', 'tier', 'cache'), labelNode('node3', 'tier', 'cache')]);
    await publish(
      'cache.yaml',
      deploymentYaml({
        name: 'cache',
        replicas: 3,
        command: webCommand('cache'),
        port: 8080,
        // An exec probe runs on the replica's node's own engine: node3's over tcp:// with TLS.
        readinessProbe: { exec: ['cat', '/www/index.html'], port: 8080, periodSeconds: 1 },
        terminationGracePeriodSeconds: 1,
        affinity: [
          'nodeAffinity:',
          '  requiredDuringSchedulingIgnoredDuringExecution:',
          '    nodeSelectorTerms:',
          '      - matchExpressions:',
          '          - {key: tier, operator: In, values: [cache]}',
          'podAntiAffinity:',
          '  requiredDuringSchedulingIgnoredDuringExecution:',
          '    - labelSelector: {matchLabels: {app: cache}}',
          '      topologyKey: kubernetes.io/hostname',
        ],
      }),
      'cache: one per tier=cache node',
    );
    await eventually(
      async () => {
        assertAlive();
        const seen = await cluster('cache');
        const shown = JSON.stringify(seen);
        assert.deepEqual(
          seen
            .filter((c) => c.state === 'running')
            .map((c) => c.node)
            .sort(),
          ['node2', 'node3'],
          `one replica on each tier=cache node: ${shown}`,
        );
        const pending = seen.filter((c) => c.state === 'pending');
        assert.equal(pending.length, 1, `the third has nowhere to go: ${shown}`);
        const status = await runBerth(['status', '--state-dir', stateDir, '--repo', repo.url, '--path', 'manifests']);
        assert.match(
          status.stdout,
          new RegExp(
            `replica ${pending[0]!.replica} \\(revision \\w+\\) pending — every node it may go to already runs a pod its required podAntiAffinity keeps it from \\(app=cache per kubernetes.io/hostname\\)`,
          ),
          `berth status names the rule: ${status.stdout}`,
        );
      },
      { timeoutMs: 60_000, what: 'cache on node2 and node3, the third pending and explained' },
    );
    // A third node qualifies: berth places the pending replica again, there.
    await labelNode('node1', 'tier', 'cache');
    await eventually(
      async () => {
        assertAlive();
        const seen = await cluster('cache');
        assert.deepEqual(seen.map((c) => `${c.state}@${c.node}`).sort(), ['running@node1', 'running@node2', 'running@node3'], JSON.stringify(seen));
        // Ready too: the exec probes answered, node3's through its engine at tcp:// over TLS.
        const status = await runBerth(['status', '--state-dir', stateDir, '--repo', repo.url, '--path', 'manifests']);
        assert.match(status.stdout, /deployment cache: 3\/3 available/, status.stdout);
      },
      { timeoutMs: 60_000, what: 'the third cache replica placed on node1, all three ready' },
    );
  });

  it('ConfigMap and Secret volumes: each file a Swarm secret at its path on whatever node runs the replica; a ConfigMap change rolls it', async () => {
    const conf = (greeting: string) =>
      [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: conf',
        'data:',
        `  greeting: ${greeting}`,
        '---',
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        '  name: token',
        'type: berth.dev/host-reference',
        'spec:',
        '  keys:',
        '    token:',
        '      env: SWARM_E2E_TOKEN',
        '---',
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: conf',
        'spec:',
        '  replicas: 2',
        '  selector:',
        '    matchLabels: {app: conf}',
        '  strategy:',
        '    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}',
        '  template:',
        '    metadata:',
        '      labels: {app: conf}',
        '    spec:',
        '      terminationGracePeriodSeconds: 1',
        '      containers:',
        '        - name: conf',
        '          image: busybox:1.36',
        '          command: [httpd, -f, -p, "8080", -h, /etc/conf]',
        '          ports: [{containerPort: 8080}]',
        '          readinessProbe:',
        '            httpGet: {path: /greeting, port: 8080}',
        '            periodSeconds: 1',
        '          volumeMounts:',
        '            - {name: conf, mountPath: /etc/conf}',
        '            - {name: token, mountPath: /etc/token}',
        '            - {name: conf, mountPath: /etc/greeting.txt, subPath: greeting}',
        '      volumes:',
        '        - name: conf',
        '          configMap: {name: conf}',
        '        - name: token',
        '          secret: {secretName: token, defaultMode: 0400}',
        '',
      ].join('\n');
    /** Every conf replica runs and reads `greeting`, the token and the subPath file from its own node. */
    const reads = (greeting: string) =>
      eventually(
        async () => {
          assertAlive();
          const seen = await cluster('conf');
          assert.equal(seen.length, 2, JSON.stringify(seen));
          for (const r of seen) {
            assert.ok(r.state === 'running' && r.node && r.containerId, JSON.stringify(seen));
            const out = await execOutput(
              r.containerId!,
              ['sh', '-c', 'cat /etc/conf/greeting; echo; cat /etc/token/token; echo; stat -c %a /etc/token/token; cat /etc/greeting.txt'],
              nodeDocker(r.node!),
            );
            assert.equal(out.stdout.trim(), `${greeting}\ntoken-of-the-swarm-suite\n400\n${greeting}`, `on ${r.node}`);
          }
          const status = await runBerth(['status', '--state-dir', stateDir, '--repo', repo.url, '--path', 'manifests']);
          assert.match(status.stdout, /deployment conf: 2\/2 available/, status.stdout);
        },
        { timeoutMs: 90_000, what: `conf replicas reading ${greeting}` },
      );
    await publish('conf.yaml', conf('hello'), 'conf: a ConfigMap and a Secret as files');
    await reads('hello');
    await publish('conf.yaml', conf('bonjour'), 'conf: the ConfigMap changes');
    await reads('bonjour');
  });

  it('a PersistentVolumeClaim: a local volume on one node, its replica pinned there; the data outlives the replica through a rollout', async () => {
    const db = (v: string) =>
      [
        'apiVersion: v1',
        'kind: PersistentVolumeClaim',
        'metadata:',
        '  name: data',
        'spec:',
        '  accessModes: [ReadWriteOnce]',
        '  resources: {requests: {storage: 10Mi}}',
        '---',
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: db',
        'spec:',
        '  replicas: 1',
        '  selector:',
        '    matchLabels: {app: db}',
        '  strategy: {type: Recreate}',
        '  template:',
        '    metadata:',
        '      labels: {app: db}',
        '    spec:',
        '      terminationGracePeriodSeconds: 1',
        '      containers:',
        '        - name: db',
        '          image: busybox:1.36',
        `          command: [sh, -c, 'echo ${v} >> /data/boots && exec sleep 100000']`,
        '          volumeMounts: [{name: data, mountPath: /data}]',
        '      volumes:',
        '        - name: data',
        '          persistentVolumeClaim: {claimName: data}',
        '',
      ].join('\n');
    const volume = `${instance}.${NS}.data`;
    /** The one db replica runs, on the node holding the volume (and only that node has it), and has booted `boots` times on it. */
    const runsWith = (boots: string) =>
      eventually(
        async () => {
          assertAlive();
          const seen = await cluster('db');
          assert.equal(seen.length, 1, JSON.stringify(seen));
          const [r] = seen;
          assert.ok(r!.state === 'running' && r!.node && r!.containerId, JSON.stringify(seen));
          const holders: SwarmNode[] = [];
          for (const n of SWARM_NODES) if (((await nodeDocker(n).listVolumes()).Volumes ?? []).some((v) => v.Name === volume)) holders.push(n);
          assert.deepEqual(holders, [r!.node], `the volume is on the replica's node only: ${holders.join(', ')}`);
          const out = await execOutput(r!.containerId!, ['cat', '/data/boots'], nodeDocker(r!.node!));
          assert.equal(out.stdout.trim(), boots);
          const status = await runBerth(['status', '--state-dir', stateDir, '--repo', repo.url, '--path', 'manifests']);
          assert.match(status.stdout, /volume data: Bound/, status.stdout);
          return r!;
        },
        { timeoutMs: 90_000, what: `db running with ${JSON.stringify(boots)}` },
      );
    await publish('db.yaml', db('one'), 'db: a claim');
    const first = await runsWith('one');
    await publish('db.yaml', db('two'), 'db: a new revision');
    const second = await runsWith('one\ntwo');
    assert.notEqual(second.revision, first.revision, 'a new replica of a new revision');
    assert.equal(second.node, first.node, 'on the node holding its data');
  });

  it('a StatefulSet: each ordinal its own claim on its own node and its hostname; store-0.store from any node reaches that ordinal at its overlay address; a rollout keeps every ordinal’s data and node', async () => {
    const store = (v: string) =>
      [
        'apiVersion: apps/v1',
        'kind: StatefulSet',
        'metadata:',
        '  name: store',
        'spec:',
        '  replicas: 2',
        '  serviceName: store',
        '  selector:',
        '    matchLabels: {app: store}',
        '  template:',
        '    metadata:',
        '      labels: {app: store}',
        '    spec:',
        '      terminationGracePeriodSeconds: 1',
        '      containers:',
        '        - name: store',
        '          image: busybox:1.36',
        '          command: [sh, -c]',
        '          args:',
        '            - >-',
        '              [ -f /data/id ] || cat /proc/sys/kernel/random/uuid > /data/id;',
        `              mkdir -p /www && echo "$(hostname) $(cat /data/id) ${v}" > /www/index.html;`,
        '              exec httpd -f -p 8080 -h /www',
        '          ports: [{containerPort: 8080}]',
        '          readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}',
        '          volumeMounts: [{name: data, mountPath: /data}]',
        '  volumeClaimTemplates:',
        '    - metadata: {name: data}',
        '      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Mi}}}',
        '---',
        'apiVersion: v1',
        'kind: Service',
        'metadata:',
        '  name: store',
        'spec:',
        '  clusterIP: None',
        '  selector: {app: store}',
        '  ports: [{port: 8080}]',
        '',
      ].join('\n');
    /** Both ordinals run on the nodes holding their volumes (one each), and answer by name from a replica of web: `<hostname> <id> <version>`. */
    const serving = (v: string) =>
      eventually(
        async () => {
          assertAlive();
          const seen = await cluster('store');
          assert.deepEqual(
            seen.map((r) => [r.replica, r.state]),
            [
              [0, 'running'],
              [1, 'running'],
            ],
            JSON.stringify(seen),
          );
          const [client] = (await cluster()).filter((r) => r.state === 'running' && r.containerId && r.node);
          assert.ok(client, 'a web replica to call from');
          const answers: string[] = [];
          for (const r of seen) {
            const holders: SwarmNode[] = [];
            for (const n of SWARM_NODES)
              if (((await nodeDocker(n).listVolumes()).Volumes ?? []).some((x) => x.Name.endsWith(`data-store-${r.replica}`))) holders.push(n);
            assert.deepEqual(holders, [r.node], `store-${r.replica}'s volume is on its node only: ${holders.join(', ')}`);
            const script = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 store-${r.replica}.store 8080 | tail -n 1`;
            const answer = (await execOutput(client!.containerId!, ['sh', '-c', script], nodeDocker(client!.node!))).stdout.trim();
            assert.match(answer, new RegExp(`^store-${r.replica} \\S+ ${v}$`), `store-${r.replica}.store from ${client!.node}`);
            answers.push(answer);
          }
          return { nodes: seen.map((r) => r.node), ids: answers.map((a) => a.split(' ')[1]) };
        },
        { timeoutMs: 120_000, what: `store-0 and store-1 serving ${v} by name` },
      );
    await publish('store.yaml', store('v1'), 'store: a StatefulSet of 2 with a claim each');
    const first = await serving('v1');
    assert.notEqual(first.ids[0], first.ids[1], 'each ordinal its own volume');
    await publish('store.yaml', store('v2'), 'store: a new template');
    const second = await serving('v2');
    assert.deepEqual(second, first, 'every ordinal keeps its data and its node');
  });

  it('a toleration of node.kubernetes.io/unreachable keeps a replica on a node that is down instead of replacing it; back with its node, it runs there again', async () => {
    const keepYaml = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: keep',
      'spec:',
      '  replicas: 1',
      '  selector:',
      '    matchLabels: {app: keep}',
      '  template:',
      '    metadata:',
      '      labels: {app: keep}',
      '    spec:',
      '      terminationGracePeriodSeconds: 1',
      '      nodeSelector: {kubernetes.io/hostname: node3}',
      '      tolerations:',
      '        - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 3600}',
      '      containers:',
      '        - name: keep',
      '          image: busybox:1.36',
      '          command: [sleep, "100000"]',
      '',
    ].join('\n');
    await publish('keep.yaml', keepYaml, 'keep: tolerates its node being down for an hour');
    const keeps = async () => {
      const services = await managerDocker().listServices({ filters: { label: [`berth.instance=${instance}`, 'berth.name=keep'] } });
      return services.map((x) => x.ID);
    };
    const statusOf = async () => (await runBerth(['status', '--state-dir', stateDir, '--repo', repo.url, '--path', 'manifests'])).stdout;
    await eventually(async () => assert.match(await statusOf(), /deployment keep: 1\/1 available/), { timeoutMs: 60_000, what: 'keep runs on node3' });
    const [only] = await keeps();
    try {
      await killNode('node3');
      // berth saw the node down and decided to keep the replica: status says so, and no replacement was made.
      await eventually(
        async () => {
          assertAlive();
          assert.match(
            await statusOf(),
            /replica 0 \(revision \w+\) pending on node3 — its node node3 is down; kept until \S+ by its toleration of node\.kubernetes\.io\/unreachable/,
          );
        },
        { timeoutMs: 60_000, what: 'keep tolerated on the down node3' },
      );
      assert.deepEqual(await keeps(), [only], 'the same replica, none made elsewhere');
    } finally {
      await startNode('node3');
    }
    await eventually(async () => assert.match(await statusOf(), /deployment keep: 1\/1 available.*\n\s+replica 0 \(revision \w+\) running on node3/), {
      timeoutMs: 90_000,
      what: 'keep runs on node3 again',
    });
  });

  it('the manager unreachable: ENGINE_UNREACHABLE is reported, what runs keeps serving, nothing is pruned; once it is back, berth goes on', async () => {
    const text = serving;
    await servesOnly(text);
    const services = (await cluster()).map((r) => r.name).sort();
    // For a failure's report: what berth logged from 30 s before the kill (a pass backing off from an earlier failure would show there).
    const before = new Date(Date.now() - 30_000).toISOString();
    await killNode('node1');
    try {
      await eventually(
        async () => {
          assertAlive();
          const shown = JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8')) as { namespaces: Record<string, { message?: string }> };
          assert.match(shown.namespaces[NS]?.message ?? '', /ENGINE_UNREACHABLE/, 'status says the engine is unreachable');
        },
        { timeoutMs: 60_000, what: 'ENGINE_UNREACHABLE in status' },
      ).catch((err: unknown) => {
        // Once in ~15 CI runs this took over 60 s (3.0–3.7 s otherwise), with nothing of berth's in the report.
        throw new Error(`${(err as Error).message}\nberth's log from 30 s before the kill:\n${logSince(before).slice(-8000)}`, { cause: err });
      });
      // The replicas on the workers never stopped, and the data plane kept its routes.
      const answers = await Promise.all(Array.from({ length: 6 }, () => get()));
      assert.ok(
        answers.every((a) => a.startsWith(`${text} `)),
        `${text} still answers with the manager down: ${answers.join(', ')}`,
      );
    } finally {
      await startNode('node1');
    }
    const after = await servesOnly(text);
    assert.deepEqual(after.map((r) => r.name).sort(), services, 'the same replicas: nothing was pruned or replaced');
  });
});

/**
 * The swarm rig itself (scripts/swarm-rig.sh): after `up` the world is what the swarm tests
 * rely on — three Ready, Active nodes, one manager, each labelled with its own engine, the
 * test images on every node — and a plain service of the shape that works on this kernel
 * (no IPVS: host-mode published ports, dnsrr) runs one task per node, each answering HTTP at
 * its node's IP from this network namespace. And the tests' cleanup (swarmCleanup) survives a
 * manager whose engine died: Docker 20.10's manager can panic when services are removed soon
 * after it leads again, as a CI run met after the test that restarts it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { eventually } from '../helpers/eventually.js';
import {
  ENGINE_LABEL,
  killNode,
  managerDocker,
  nodeDocker,
  SWARM_IMAGES,
  SWARM_MANAGER,
  SWARM_NODE_IP,
  SWARM_NODE_SOCKET,
  SWARM_NODES,
  type SwarmNode,
  swarmCleanup,
  swarmRigUp,
} from '../helpers/swarm.js';

/** One HTTP/1.0 GET over a raw TCP connection: status code and body. */
function httpGet(host: string, port: number, timeoutMs = 3_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
    socket.on('connect', () => socket.write(`GET / HTTP/1.0\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const split = text.indexOf('\r\n\r\n');
      if (!status || split < 0) return reject(new Error(`not an HTTP response from ${host}:${port}: ${JSON.stringify(text.slice(0, 200))}`));
      resolve({ status: Number(status[1]), body: text.slice(split + 4) });
    });
  });
}

function hostnameOf(nodes: any[], id: string): SwarmNode {
  const hostname = nodes.find((n) => n.ID === id)?.Description?.Hostname;
  assert.ok((SWARM_NODES as readonly string[]).includes(hostname), `node ${id} is not one of the rig's (hostname ${hostname})`);
  return hostname as SwarmNode;
}

describe('the swarm rig', () => {
  before(() => swarmRigUp(), { timeout: 120_000 });

  it('has three Ready, Active nodes, one of them the manager, each labelled with its own engine', async () => {
    const nodes: any[] = await managerDocker().listNodes();
    assert.deepEqual(nodes.map((n) => n.Description.Hostname).sort(), [...SWARM_NODES], 'the swarm is exactly node1..node3');
    for (const node of nodes) {
      const name = node.Description.Hostname as SwarmNode;
      assert.equal(node.Status.State, 'ready', `${name} is Ready`);
      assert.equal(node.Spec.Availability, 'active', `${name} is Active`);
      assert.equal(node.Spec.Role, name === SWARM_MANAGER ? 'manager' : 'worker', `${name}'s role`);
      assert.equal(node.Spec.Labels?.[ENGINE_LABEL], `unix://${SWARM_NODE_SOCKET[name]}`, `${name}'s ${ENGINE_LABEL} label`);
      // The label leads to that node's own engine, not just to some engine of the swarm.
      const engine = new Docker({ socketPath: SWARM_NODE_SOCKET[name], host: undefined, port: undefined, protocol: 'http' });
      const info = await engine.info();
      assert.equal(info.Swarm.NodeID, node.ID, `${name}'s labelled engine is ${name}`);
      assert.equal(info.Name, name, `${name}'s engine has its own hostname`);
    }
    assert.equal(nodes.filter((n) => n.ManagerStatus).length, 1, 'one manager');
    assert.equal(nodes.find((n) => n.ManagerStatus)?.ManagerStatus?.Leader, true, 'the manager leads');
  });

  it('has the test images on every node', async () => {
    for (const node of SWARM_NODES) {
      for (const image of SWARM_IMAGES) {
        const info = await nodeDocker(node)
          .getImage(image)
          .inspect()
          .catch(() => undefined);
        assert.ok(info, `${node} has ${image}`);
      }
    }
  });

  it('runs a spread, host-published dnsrr service one task per node, each answering HTTP at its node IP', async (t) => {
    const instance = `t-rig-${randomBytes(4).toString('hex')}`;
    t.after(() => swarmCleanup(instance));
    const manager = managerDocker();
    const service: any = await manager.createService({
      Name: `${instance}-web`,
      Labels: { 'berth.instance': instance },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'busybox:1.36',
          Init: true,
          Command: ['sh', '-c', 'mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www'],
        },
        Placement: { Preferences: [{ Spread: { SpreadDescriptor: 'node.hostname' } }] },
      },
      Mode: { Replicated: { Replicas: 3 } },
      EndpointSpec: { Mode: 'dnsrr', Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishMode: 'host' }] },
    } as Docker.CreateServiceOptions);
    const serviceId: string = service.id ?? service.ID;

    const nodes: any[] = await manager.listNodes();
    const running = await eventually(
      async () => {
        const tasks: any[] = await manager.listTasks({ filters: { service: [serviceId], 'desired-state': ['running'] } });
        const up = tasks.filter((task) => task.Status?.State === 'running');
        assert.equal(up.length, 3, `3 running tasks (states: ${tasks.map((task) => task.Status?.State).join(', ')})`);
        return up.map((task) => {
          const port = task.Status.PortStatus?.Ports?.find((p: any) => p.TargetPort === 8080)?.PublishedPort;
          assert.ok(port > 0, `task ${task.ID} reports its published port`);
          return { task: task.ID as string, node: hostnameOf(nodes, task.NodeID), port: port as number };
        });
      },
      { timeoutMs: 60_000, what: 'three running tasks' },
    );
    assert.deepEqual(running.map((r) => r.node).sort(), [...SWARM_NODES], 'one task on each node');

    for (const { task, node, port } of running) {
      // The task's container is on that node's own engine...
      const containers = await nodeDocker(node).listContainers({ filters: { label: [`com.docker.swarm.task.id=${task}`] } });
      assert.equal(containers.length, 1, `${node} runs the container of task ${task}`);
      // ...and answers at that node's IP.
      const reply = await eventually(() => httpGet(SWARM_NODE_IP[node], port), { timeoutMs: 20_000, what: `HTTP at ${node} ${SWARM_NODE_IP[node]}:${port}` });
      assert.equal(reply.status, 200, `HTTP status at ${node}`);
      assert.equal(reply.body, 'ok\n', `the body at ${node}`);
    }
  });

  it("swarmCleanup, when the manager's engine has died, starts it again and cleans up all the same", async (t) => {
    const instance = `t-rig-${randomBytes(4).toString('hex')}`;
    t.after(() => swarmCleanup(instance));
    const manager = managerDocker();
    // One task on each worker: containers that outlive the manager's engine, for the cleanup to find.
    const service: any = await manager.createService({
      Name: `${instance}-sleeper`,
      Labels: { 'berth.instance': instance },
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox:1.36', Init: true, Command: ['sleep', '3600'], Labels: { 'berth.instance': instance } },
        Placement: { Constraints: ['node.role == worker'], Preferences: [{ Spread: { SpreadDescriptor: 'node.hostname' } }] },
      },
      Mode: { Replicated: { Replicas: 2 } },
    } as Docker.CreateServiceOptions);
    const serviceId: string = service.id ?? service.ID;
    await eventually(
      async () => {
        const tasks: any[] = await manager.listTasks({ filters: { service: [serviceId], 'desired-state': ['running'] } });
        assert.equal(tasks.filter((task) => task.Status?.State === 'running').length, 2, 'two running tasks');
      },
      { timeoutMs: 60_000, what: 'two running tasks' },
    );

    await killNode(SWARM_MANAGER);
    await assert.rejects(managerDocker().ping(), 'the manager is gone');
    await swarmCleanup(instance);

    const nodes: any[] = await managerDocker().listNodes();
    assert.equal(nodes.find((n) => n.Description.Hostname === SWARM_MANAGER)?.ManagerStatus?.Leader, true, 'the manager is back and leads');
    // The workers reconnect to it: the cluster is whole for whoever comes next.
    await eventually(
      async () => {
        const states = ((await managerDocker().listNodes()) as any[]).map((n) => `${n.Description.Hostname}:${n.Status.State}`).sort();
        assert.deepEqual(
          states,
          SWARM_NODES.map((n) => `${n}:ready`),
          'every node Ready',
        );
      },
      { timeoutMs: 60_000, what: 'every node Ready again' },
    );
    assert.deepEqual(await managerDocker().listServices({ filters: { label: [`berth.instance=${instance}`] } }), [], 'no service left');
    for (const node of SWARM_NODES) {
      const left = await nodeDocker(node).listContainers({ all: true, filters: { label: [`berth.instance=${instance}`] } });
      assert.deepEqual(
        left.map((c) => c.Names[0]),
        [],
        `no container left on ${node}`,
      );
    }
  });
});

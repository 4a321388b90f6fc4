import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerSpec } from '../../../src/runtime/driver.js';
import {
  placementConstraints,
  serviceName,
  fileSecrets,
  keepOn,
  nextEngineProbe,
  offDownNodes,
  REFUSALS_FOR_GONE,
  spreadConstraints,
  toServiceSpec,
  toSwarmNode,
  withGoneEngines,
  type SwarmNode,
} from '../../../src/runtime/swarm/map.js';
import { currentTask, startProgress, taskState, toOwnedContainer, type SwarmTask } from '../../../src/runtime/swarm/replica-state.js';

const node = (over: Partial<SwarmNode> = {}): SwarmNode => ({
  id: 'n2',
  hostname: 'node2',
  role: 'worker',
  state: 'ready',
  availability: 'active',
  address: '10.79.0.12',
  labels: {},
  leader: false,
  ...over,
});

describe('serviceName: a Swarm service name for a berth container name', () => {
  const table: [string, string, RegExp | string][] = [
    ['dots become underscores', 'shop.web.1a2b3c4d5e.0', 'shop_web_1a2b3c4d5e_0'],
    ['an instance prefix with a colon too', 'prod:shop.web.1a2b3c4d5e.0', 'prod_shop_web_1a2b3c4d5e_0'],
    ['hyphens stay', 'my-ns.my-app.abc.12', 'my-ns_my-app_abc_12'],
    [
      'a name over 63 characters keeps its start and ends in a hash of the whole',
      `${'a'.repeat(40)}.${'b'.repeat(40)}.1a2b3c4d5e.0`,
      /^a{40}_b{9}_[0-9a-f]{12}$/,
    ],
  ];
  for (const [what, name, expected] of table) {
    it(what, () => {
      const got = serviceName(name);
      if (typeof expected === 'string') assert.equal(got, expected);
      else assert.match(got, expected);
      assert.ok(got.length <= 63, `${got} is ${got.length} characters`);
      assert.match(got, /^[A-Za-z0-9](?:[-_]*[A-Za-z0-9]+)*$/);
    });
  }
  it('two long names that share a start get different names', () => {
    const a = serviceName(`${'x'.repeat(70)}.web.1.0`);
    const b = serviceName(`${'x'.repeat(70)}.web.1.1`);
    assert.notEqual(a, b);
  });
});

describe('taskState: a task as a container state', () => {
  const table: [string, SwarmTask | undefined, SwarmNode | undefined, string][] = [
    ['no task yet', undefined, undefined, 'pending'],
    ['pending on the scheduler (no node can take it)', { Status: { State: 'pending', Err: 'no suitable node' } }, undefined, 'pending'],
    ['assigned and being prepared', { Status: { State: 'preparing' } }, node(), 'pending'],
    ['starting', { Status: { State: 'starting' } }, node(), 'created'],
    ['running on a ready node', { Status: { State: 'running' } }, node(), 'running'],
    ['running on a node Swarm marked down: it serves nothing', { Status: { State: 'running' } }, node({ state: 'down' }), 'dead'],
    ['assigned to a node since marked down: it will never start', { Status: { State: 'assigned' } }, node({ state: 'down' }), 'dead'],
    ['accepted by a node since marked down', { Status: { State: 'accepted' } }, node({ state: 'down' }), 'dead'],
    ['preparing on a node since marked down', { Status: { State: 'preparing' } }, node({ state: 'down' }), 'dead'],
    ['ready on a node since marked down', { Status: { State: 'ready' } }, node({ state: 'down' }), 'dead'],
    ['starting on a node since marked down', { Status: { State: 'starting' } }, node({ state: 'down' }), 'dead'],
    ['pending on the scheduler while some node is down: still pending', { Status: { State: 'pending' } }, undefined, 'pending'],
    ['complete on a node since marked down: still exited', { Status: { State: 'complete' } }, node({ state: 'down' }), 'exited'],
    ['failed', { Status: { State: 'failed' } }, node(), 'exited'],
    ['complete', { Status: { State: 'complete' } }, node(), 'exited'],
    ['shut down by berth (scaled to 0)', { Status: { State: 'shutdown' } }, node(), 'exited'],
    ['rejected by its node', { Status: { State: 'rejected' } }, node(), 'dead'],
    ['orphaned (its node went away)', { Status: { State: 'orphaned' } }, node(), 'dead'],
    ['an unknown future state', { Status: { State: 'levitating' } }, node(), 'dead'],
  ];
  for (const [what, task, n, expected] of table) it(what, () => assert.equal(taskState(task, n), expected));
});

describe('currentTask: the newest task is the replica', () => {
  it('picks the latest CreatedAt, then the highest version', () => {
    const tasks: SwarmTask[] = [
      { ID: 'old', CreatedAt: '2026-12-05T10:00:00Z', Version: { Index: 9 } },
      { ID: 'new', CreatedAt: '2026-12-05T10:00:05Z', Version: { Index: 3 } },
      { ID: 'newer-version', CreatedAt: '2026-12-05T10:00:05Z', Version: { Index: 4 } },
    ];
    assert.equal(currentTask(tasks)?.ID, 'newer-version');
    assert.equal(currentTask([]), undefined);
  });
});

describe('toOwnedContainer: a replica service as inventory sees it', () => {
  const service = {
    ID: 'svc1',
    CreatedAt: '2026-12-05T10:00:00Z',
    Spec: {
      Name: 'shop_web_1a2b3c4d5e_0',
      Labels: { 'berth.managed': 'true', 'berth.instance': 'default', 'berth.container-name': 'shop.web.1a2b3c4d5e.0' },
      TaskTemplate: { ContainerSpec: { Image: 'busybox:1.36' } },
    },
  };
  const nodes = new Map([['n2', node()]]);
  it('running: ports at the node address, the node named in the labels, no overlay address', () => {
    const c = toOwnedContainer(
      service,
      {
        NodeID: 'n2',
        Status: {
          State: 'running',
          PortStatus: {
            Ports: [
              { Protocol: 'tcp', TargetPort: 8080, PublishedPort: 30001 },
              { Protocol: 'tcp', TargetPort: 9090 },
            ],
          },
        },
      },
      nodes,
    );
    assert.deepEqual(c.ports, [{ containerPort: 8080, protocol: 'tcp', hostIp: '10.79.0.12', hostPort: 30001 }]);
    assert.equal(c.labels['berth.node'], 'node2');
    assert.equal(c.name, 'shop.web.1a2b3c4d5e.0');
    assert.equal(c.id, 'svc1');
    assert.equal(c.address, undefined);
  });
  it('its overlay address, on the service’s own network, is its cluster address (what headless names resolve to), never its address', () => {
    const onNet = { ...service, Spec: { ...service.Spec, TaskTemplate: { ...service.Spec.TaskTemplate, Networks: [{ Target: 'net-shop' }] } } };
    const task = (state: string): SwarmTask => ({
      NodeID: 'n2',
      Status: { State: state },
      NetworksAttachments: [
        { Network: { ID: 'ingress' }, Addresses: ['10.255.0.9/16'] },
        { Network: { ID: 'net-shop' }, Addresses: ['10.0.1.5/24'] },
      ],
    });
    const running = toOwnedContainer(onNet, task('running'), nodes);
    assert.equal(running.clusterAddress, '10.0.1.5');
    assert.equal(running.address, undefined);
    assert.equal(toOwnedContainer(onNet, task('starting'), nodes).clusterAddress, undefined, 'only while it runs');
    assert.equal(toOwnedContainer(service, task('running'), nodes).clusterAddress, undefined, 'no network of its own: none');
  });
  it('failed: exited with the task exit code, no ports', () => {
    const c = toOwnedContainer(service, { NodeID: 'n2', Status: { State: 'failed', ContainerStatus: { ExitCode: 3 } } }, nodes);
    assert.equal(c.state, 'exited');
    assert.equal(c.exitCode, 3);
    assert.deepEqual(c.ports, []);
  });
  it('pending with a nodeSelector no node matches: names the selector', () => {
    const withSelector = { ...service, Spec: { ...service.Spec, Labels: { ...service.Spec.Labels, 'berth.node-selector': '{"disk":"nvme"}' } } };
    const c = toOwnedContainer(
      withSelector,
      { Status: { State: 'pending', Err: 'no suitable node (scheduling constraints not satisfied on 3 nodes)' } },
      nodes,
    );
    assert.equal(c.reason, 'no node matches its nodeSelector disk=nvme (no suitable node (scheduling constraints not satisfied on 3 nodes))');
    // berth found no node for its placement rules: its own words name the rule, before the nodeSelector's.
    const ruled = {
      ...service,
      Spec: {
        ...service.Spec,
        Labels: {
          ...withSelector.Spec.Labels,
          'berth.unschedulable': 'every node it may go to already runs a pod its required podAntiAffinity keeps it from (app=web per kubernetes.io/hostname)',
        },
      },
    };
    const r = toOwnedContainer(ruled, { Status: { State: 'pending', Err: 'no suitable node (scheduling constraints not satisfied on 3 nodes)' } }, nodes);
    assert.equal(
      r.reason,
      'every node it may go to already runs a pod its required podAntiAffinity keeps it from (app=web per kubernetes.io/hostname) (no suitable node (scheduling constraints not satisfied on 3 nodes))',
    );
  });
  it('evicted: its node was drained while berth wanted it running; stopped by berth (0 replicas) is not', () => {
    const drained = new Map([['n2', node({ availability: 'drain' })]]);
    const c = toOwnedContainer(
      { ...service, Spec: { ...service.Spec, Mode: { Replicated: { Replicas: 1 } } } },
      { NodeID: 'n2', Status: { State: 'shutdown' } },
      drained,
    );
    assert.equal(c.evicted, true);
    assert.equal(c.state, 'exited');
    assert.equal(c.reason, 'its node node2 was drained');
    const stopped = toOwnedContainer(
      { ...service, Spec: { ...service.Spec, Mode: { Replicated: { Replicas: 0 } } } },
      { NodeID: 'n2', Status: { State: 'shutdown' } },
      nodes,
    );
    assert.equal(stopped.evicted, undefined);
    const down = toOwnedContainer(service, { NodeID: 'n2', Status: { State: 'running' } }, new Map([['n2', node({ state: 'down' })]]));
    assert.deepEqual([down.state, down.evicted, down.reason], ['dead', true, 'its node node2 is down']);
    // Every state a node holds a task in, on a node marked down: lost, replaced at once.
    for (const state of ['assigned', 'accepted', 'preparing', 'ready', 'starting', 'running']) {
      const lost = toOwnedContainer(service, { NodeID: 'n2', Status: { State: state } }, new Map([['n2', node({ state: 'down' })]]));
      assert.deepEqual([lost.state, lost.evicted, lost.reason], ['dead', true, 'its node node2 is down'], state);
    }
    // Its node removed from the cluster (docker node rm --force): Swarm orphans the task, and the node is no longer listed.
    const removed = toOwnedContainer(
      service,
      { NodeID: 'gone', DesiredState: 'shutdown', Status: { State: 'orphaned', Message: 'Task belonged to a node that has been deleted' } },
      nodes,
    );
    assert.deepEqual(
      [removed.state, removed.evicted, removed.reason],
      ['dead', true, 'its node left the cluster (Task belonged to a node that has been deleted)'],
    );
    assert.equal(startProgress(removed, { NodeID: 'gone', Status: { State: 'orphaned' } }, undefined), 'lost');
    const reaped = toOwnedContainer({ ...service, Spec: { ...service.Spec, Mode: { Replicated: { Replicas: 0 } } } }, undefined, nodes);
    assert.equal(reaped.state, 'exited', 'a stopped replica whose task Swarm reaped is exited, not pending');
  });
  it('ordered to stop by Swarm (a drain) while it still runs: evicted before it stops, so it leaves routing at once', () => {
    const drained = new Map([['n2', node({ availability: 'drain' })]]);
    const table: [string, SwarmTask, boolean | undefined, string][] = [
      ['running, desired shutdown', { NodeID: 'n2', DesiredState: 'shutdown', Status: { State: 'running' } }, true, 'running'],
      ['starting, desired shutdown', { NodeID: 'n2', DesiredState: 'shutdown', Status: { State: 'starting' } }, true, 'created'],
      ['preparing, desired shutdown', { NodeID: 'n2', DesiredState: 'shutdown', Status: { State: 'preparing' } }, true, 'pending'],
      // Desired remove: its service was scaled to 0 (berth's stop), read before the service showed 0 replicas.
      ['running, desired remove', { NodeID: 'n2', DesiredState: 'remove', Status: { State: 'running' } }, undefined, 'running'],
      ['preparing, desired remove', { NodeID: 'n2', DesiredState: 'remove', Status: { State: 'preparing' } }, undefined, 'pending'],
      ['shut down, desired remove', { NodeID: 'n2', DesiredState: 'remove', Status: { State: 'shutdown' } }, undefined, 'exited'],
      ['shut down, desired shutdown (drained and stopped)', { NodeID: 'n2', DesiredState: 'shutdown', Status: { State: 'shutdown' } }, true, 'exited'],
      ['running, desired running', { NodeID: 'n2', DesiredState: 'running', Status: { State: 'running' } }, undefined, 'running'],
      ['preparing, desired ready (a task not yet asked to run)', { NodeID: 'n2', DesiredState: 'ready', Status: { State: 'preparing' } }, undefined, 'pending'],
    ];
    for (const [what, task, evicted, state] of table) {
      const c = toOwnedContainer(service, task, drained);
      assert.deepEqual([c.evicted, c.state], [evicted, state], what);
      if (evicted) assert.equal(c.reason, 'its node node2 was drained', what);
    }
    const byBerth = toOwnedContainer(
      { ...service, Spec: { ...service.Spec, Mode: { Replicated: { Replicas: 0 } } } },
      { NodeID: 'n2', DesiredState: 'shutdown', Status: { State: 'running' } },
      drained,
    );
    assert.equal(byBerth.evicted, undefined, 'berth scaled it to 0: its own stop, not an eviction');
  });
  it('a node that is down, within the pod’s toleration: kept pending (not alive, not routed, not replaced), saying until when', () => {
    const down = node({ state: 'down', since: '2026-12-05T10:00:00.000Z' });
    const tolerating = (seconds?: number) => ({
      ...service,
      Spec: {
        ...service.Spec,
        Labels: { ...service.Spec.Labels, 'berth.placement': JSON.stringify({ downNodeToleration: seconds === undefined ? {} : { seconds } }) },
      },
    });
    const task = { NodeID: 'n2', Status: { State: 'running' } };
    const at = (iso: string) => new Date(iso);
    const table: [string, ReturnType<typeof tolerating> | typeof service, Date, string, boolean | undefined, RegExp][] = [
      [
        '60 s tolerated, 30 s down: kept',
        tolerating(60),
        at('2026-12-05T10:00:30Z'),
        'pending',
        undefined,
        /its node node2 is down; kept until 2026-12-05T10:01:00\.000Z by its toleration/,
      ],
      ['60 s tolerated, 60 s down: evicted now', tolerating(60), at('2026-12-05T10:01:00Z'), 'dead', true, /its node node2 is down$/],
      ['tolerated for good', tolerating(), at('2026-12-06T00:00:00Z'), 'pending', undefined, /kept for good/],
      ['no toleration: evicted at once', service, at('2026-12-05T10:00:01Z'), 'dead', true, /is down$/],
    ];
    for (const [what, svc, now, state, evicted, reason] of table) {
      const c = toOwnedContainer(svc, task, new Map([['n2', down]]), now);
      assert.deepEqual([c.state, c.evicted], [state, evicted], what);
      assert.match(c.reason ?? '', reason, what);
      assert.deepEqual(c.ports, [], what);
    }
  });
  it('pending: says why, in the scheduler’s words', () => {
    const c = toOwnedContainer(service, { Status: { State: 'pending', Err: 'no suitable node (scheduling constraints not satisfied on 3 nodes)' } }, nodes);
    assert.equal(c.state, 'pending');
    assert.match(c.reason ?? '', /no suitable node/);
    assert.equal(c.labels['berth.node'], undefined);
  });
});

describe('startProgress: what a replica being created waits for', () => {
  const service = { ID: 's1', Spec: { Name: 'ns_web_0', Labels: { 'berth.container-name': 'ns.web.0' }, Mode: { Replicated: { Replicas: 1 } } } };
  const ready = node();
  const down = node({ state: 'down' });
  const drained = node({ availability: 'drain' });
  const table: [string, SwarmTask | undefined, SwarmNode | undefined, ReturnType<typeof startProgress>][] = [
    ['no task yet', undefined, undefined, 'starting'],
    ['new, not on a node', { Status: { State: 'new' } }, undefined, 'starting'],
    ['assigned to a ready node', { NodeID: 'n2', Status: { State: 'assigned' } }, ready, 'starting'],
    ['preparing on a ready node', { NodeID: 'n2', Status: { State: 'preparing' } }, ready, 'starting'],
    ['starting', { NodeID: 'n2', Status: { State: 'starting' } }, ready, 'starting'],
    ['running', { NodeID: 'n2', Status: { State: 'running' } }, ready, 'running'],
    ['failed', { NodeID: 'n2', Status: { State: 'failed', Err: 'starting container failed' } }, ready, 'failed'],
    ['rejected', { NodeID: 'n2', Status: { State: 'rejected', Err: 'No such image' } }, ready, 'failed'],
    ['complete (its command ended)', { NodeID: 'n2', Status: { State: 'complete' } }, ready, 'failed'],
    // Its node went away before the task ran: nothing will start it; the pass replaces it.
    ['assigned to a node now down', { NodeID: 'n2', Status: { State: 'assigned' } }, down, 'lost'],
    ['preparing on a node now down', { NodeID: 'n2', Status: { State: 'preparing' } }, down, 'lost'],
    ['starting on a node now down', { NodeID: 'n2', Status: { State: 'starting' } }, down, 'lost'],
    ['orphaned (its node gone for good)', { NodeID: 'n2', Status: { State: 'orphaned' } }, down, 'lost'],
    ['ordered to stop by a drain before it ran', { NodeID: 'n2', DesiredState: 'shutdown', Status: { State: 'preparing' } }, drained, 'lost'],
    ['shut down by a drain before it ran', { NodeID: 'n2', DesiredState: 'shutdown', Status: { State: 'shutdown' } }, drained, 'lost'],
    ['pending: no node can take it', { Status: { State: 'pending', Err: 'no suitable node (1 node not available for new tasks)' } }, undefined, 'unplaced'],
  ];
  it('each task state and node state, as the wait loop reads them', () => {
    for (const [what, task, on, expected] of table) {
      const nodes = new Map(on ? [['n2', on]] : []);
      const container = toOwnedContainer(service, task, nodes);
      assert.equal(startProgress(container, task, task?.NodeID ? nodes.get(task.NodeID) : undefined), expected, what);
    }
  });
  it('on a down node its pod tolerates, the replica is kept (pending, not evicted) and still not waited for', () => {
    const tolerating = {
      ...service,
      Spec: { ...service.Spec, Labels: { ...service.Spec.Labels, 'berth.placement': JSON.stringify({ downNodeToleration: {} }) } },
    };
    const task = { NodeID: 'n2', Status: { State: 'assigned' } };
    const c = toOwnedContainer(tolerating, task, new Map([['n2', down]]));
    assert.deepEqual([c.state, c.evicted], ['pending', undefined]);
    assert.equal(startProgress(c, task, down), 'lost');
  });
});

describe('placementConstraints: nodeSelector as Swarm constraints', () => {
  const table: [string, Record<string, string> | undefined, string[]][] = [
    ['none', undefined, []],
    ['the hostname label is the node name', { 'kubernetes.io/hostname': 'node2' }, ['node.hostname==node2']],
    ['os and arch are the platform', { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' }, ['node.platform.arch==amd64', 'node.platform.os==linux']],
    ['any other key is a node label, sorted', { zone: 'b', disk: 'ssd' }, ['node.labels.disk==ssd', 'node.labels.zone==b']],
  ];
  for (const [what, selector, expected] of table) it(what, () => assert.deepEqual(placementConstraints(selector), expected));
});

describe('toSwarmNode: the node list entry', () => {
  it('a manager whose Status.Addr is 0.0.0.0 has its advertised address', () => {
    const n = toSwarmNode({
      ID: 'n1',
      Spec: { Role: 'manager', Availability: 'active', Labels: { 'berth.engine': 'unix:///x.sock' } },
      Description: { Hostname: 'node1', Engine: { EngineVersion: '20.10.24' } },
      Status: { State: 'ready', Addr: '0.0.0.0' },
      ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '10.79.0.11:2377' },
    });
    assert.deepEqual(n, {
      id: 'n1',
      hostname: 'node1',
      role: 'manager',
      state: 'ready',
      availability: 'active',
      address: '10.79.0.11',
      labels: { 'berth.engine': 'unix:///x.sock' },
      leader: true,
      reachability: 'reachable',
      engineVersion: '20.10.24',
    });
  });
  it('garbage is no node', () => {
    assert.equal(toSwarmNode(null), undefined);
    assert.equal(toSwarmNode({ Spec: {} }), undefined);
  });
});

describe('toServiceSpec: one replica, one service of one task', () => {
  const spec: ContainerSpec = {
    name: 'shop.web.1a2b3c4d5e.0',
    image: 'busybox:1.36',
    command: ['httpd'],
    args: ['-f', '-p', '8080'],
    env: [{ name: 'A', value: '1' }],
    ports: [{ containerPort: 8080, protocol: 'tcp' }],
    labels: { 'berth.namespace': 'shop' },
    network: 'shop',
    networkAliases: ['web'],
    stopGraceSeconds: 5,
    nodeSelector: { disk: 'ssd' },
    memoryBytes: 64 * 1024 * 1024,
    reservations: { nanoCpus: 100_000_000 },
  };
  it('maps the container, placement, limits and reservations (requests), network alias and host-mode ports', () => {
    const s = toServiceSpec(spec, { 'berth.managed': 'true', 'berth.instance': 'default' }, 'net1') as {
      Name: string;
      TaskTemplate: Record<string, unknown> & { ContainerSpec: Record<string, unknown> };
      Mode: unknown;
      EndpointSpec: unknown;
    };
    assert.equal(s.Name, 'shop_web_1a2b3c4d5e_0');
    assert.equal(s.TaskTemplate.ContainerSpec['Init'], true);
    assert.equal(s.TaskTemplate.ContainerSpec['StopGracePeriod'], 5e9);
    assert.deepEqual(s.TaskTemplate.ContainerSpec['Env'], ['A=1']);
    assert.deepEqual((s.TaskTemplate.ContainerSpec['Labels'] as Record<string, string>)['berth.container-name'], 'shop.web.1a2b3c4d5e.0');
    assert.equal((s.TaskTemplate.ContainerSpec['Labels'] as Record<string, string>)['berth.node-selector'], '{"disk":"ssd"}');
    assert.deepEqual(s.TaskTemplate['RestartPolicy'], { Condition: 'none' });
    assert.deepEqual(s.TaskTemplate['Placement'], { Constraints: ['node.labels.disk==ssd'] });
    assert.deepEqual(s.TaskTemplate['Networks'], [{ Target: 'net1', Aliases: ['web'] }]);
    assert.deepEqual(s.TaskTemplate['Resources'], { Limits: { MemoryBytes: 64 * 1024 * 1024 }, Reservations: { NanoCPUs: 100_000_000 } });
    assert.deepEqual(s.Mode, { Replicated: { Replicas: 1 } });
    assert.deepEqual(s.EndpointSpec, { Mode: 'dnsrr', Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishMode: 'host' }] });
  });
  it('Secret and ConfigMap files: one Swarm secret per file at its path, content-addressed, owned by root in the fsGroup', () => {
    const files = (over: Partial<Extract<NonNullable<ContainerSpec['mounts']>[number], { kind: 'files' }>> = {}) => ({
      kind: 'files' as const,
      volume: 'config',
      target: '/etc/web/',
      files: [
        { path: 'a.conf', value: 'x=1\n', mode: 0o444 },
        { path: 'sub/b.bin', value: Buffer.from([0, 1, 2]).toString('base64'), mode: 0o400, base64: true as const },
      ],
      ...over,
    });
    const table: [string, Partial<ContainerSpec>, [string, number, number][]][] = [
      [
        'a volume: its keys under the mount path (text and binary)',
        { mounts: [files()] },
        [
          ['/etc/web/a.conf', 0o444, 4],
          ['/etc/web/sub/b.bin', 0o400, 3],
        ],
      ],
      ['with subPath: that one file at the mount path', { mounts: [files({ target: '/etc/a.conf', subPath: 'a.conf' })] }, [['/etc/a.conf', 0o444, 4]]],
      ['no files mount: none', {}, []],
    ];
    for (const [what, over, expected] of table) {
      const got = fileSecrets({ ...spec, ...over }, 'ci');
      assert.deepEqual(
        got.map((f) => [f.target, f.mode, f.bytes]),
        expected,
        what,
      );
      for (const f of got) assert.match(f.name, /^berth-[0-9a-f]{40}$/, what);
    }
    const [a] = fileSecrets({ ...spec, mounts: [files()] }, 'ci');
    assert.equal(Buffer.from(a!.data, 'base64').toString('utf8'), 'x=1\n');
    assert.equal(fileSecrets({ ...spec, mounts: [files()] }, 'ci')[0]!.name, a!.name, 'the same content, the same secret');
    assert.notEqual(fileSecrets({ ...spec, mounts: [files()] }, 'other')[0]!.name, a!.name, 'another instance owns its own');
    const body = toServiceSpec({ ...spec, mounts: [files()], security: { fsGroup: 2000 } }, {}, 'net1', [], [{ ...a!, id: 'sec1' }]) as {
      TaskTemplate: { ContainerSpec: { Secrets: unknown } };
    };
    assert.deepEqual(body.TaskTemplate.ContainerSpec.Secrets, [
      { File: { Name: '/etc/web/a.conf', UID: '0', GID: '2000', Mode: 0o444 }, SecretID: 'sec1', SecretName: a!.name },
    ]);
  });
  it('a claim: its local volume mounted, the replica pinned to the node holding it', () => {
    const body = toServiceSpec(
      { ...spec, mounts: [{ kind: 'volume', name: 'ci.shop.data', target: '/data', readOnly: false }] },
      {},
      'net1',
      [],
      [],
      'node3',
    ) as {
      TaskTemplate: { ContainerSpec: { Mounts: unknown }; Placement: { Constraints: string[] } };
    };
    assert.deepEqual(body.TaskTemplate.ContainerSpec.Mounts, [{ Type: 'volume', Source: 'ci.shop.data', Target: '/data', ReadOnly: false }]);
    assert.ok(body.TaskTemplate.Placement.Constraints.includes('node.hostname==node3'), JSON.stringify(body.TaskTemplate.Placement));
  });
  const refused: [string, Partial<ContainerSpec>, RegExp][] = [
    ['a Pod of several containers', { joinNetworkOf: 'infra' }, /several containers/],
    ['privileged', { security: { privileged: true } }, /privileged/],
    ['a host path', { mounts: [{ kind: 'bind', source: '/srv', target: '/srv', readOnly: true, type: 'Directory' }] }, /hostPath \/srv/],
  ];
  for (const [what, over, message] of refused) {
    it(`refuses ${what}, naming the replica`, () => {
      assert.throws(
        () => toServiceSpec({ ...spec, ...over }, {}, 'net1'),
        (err: Error & { code?: string }) => err.code === 'CONTAINER_START_FAILED' && message.test(err.message) && err.message.includes('shop.web.1a2b3c4d5e.0'),
      );
    });
  }
});

describe('keepOn: a set of allowed nodes as Swarm constraints', () => {
  const three = [{ hostname: 'node1' }, { hostname: 'node2' }, { hostname: 'node3' }];
  const table: [string, string[], string[]][] = [
    ['one node kept: the other two excluded', ['node2'], ['node.hostname!=node1', 'node.hostname!=node3']],
    ['every node kept: no constraint', ['node3', 'node1', 'node2'], []],
    ['none kept: every node excluded (Swarm leaves it pending)', [], ['node.hostname!=node1', 'node.hostname!=node2', 'node.hostname!=node3']],
  ];
  for (const [what, keep, expected] of table) it(what, () => assert.deepEqual(keepOn(three, keep), expected));
});

describe('spreadConstraints: a Deployment spread over the nodes, one service per replica', () => {
  const nodes = [
    node({ hostname: 'node1', id: 'n1' }),
    node({ hostname: 'node2', id: 'n2', labels: { disk: 'ssd' } }),
    node({ hostname: 'node3', id: 'n3', labels: { disk: 'ssd' } }),
  ];
  const table: [string, readonly SwarmNode[], string[], Record<string, string> | undefined, string[]][] = [
    ['no sibling yet: anywhere', nodes, [], undefined, []],
    ['one on each: anywhere keeps the spread', nodes, ['node1', 'node2', 'node3'], undefined, []],
    ['node1 ×2, node2 ×1: only node3', nodes, ['node1', 'node1', 'node2'], undefined, ['node.hostname!=node1', 'node.hostname!=node2']],
    ['node1 ×1: node2 or node3', nodes, ['node1'], undefined, ['node.hostname!=node1']],
    [
      'a drained node is no candidate: node2 and node3 even',
      [nodes[0]!, nodes[1]!, { ...nodes[2]!, availability: 'drain' }],
      ['node2'],
      undefined,
      ['node.hostname!=node2'],
    ],
    ['a down node is no candidate', [nodes[0]!, { ...nodes[1]!, state: 'down' }, nodes[2]!], ['node3'], undefined, ['node.hostname!=node3']],
    ['only the nodes its nodeSelector allows count (node1 cannot take it)', nodes, ['node2'], { disk: 'ssd' }, ['node.hostname!=node2']],
    ['one candidate only: nothing to spread over', nodes, ['node2', 'node2'], { 'kubernetes.io/hostname': 'node2' }, []],
  ];
  for (const [what, list, siblings, selector, expected] of table) it(what, () => assert.deepEqual(spreadConstraints(list, siblings, selector), expected));
  it('the constraints go beside the nodeSelector’s', () => {
    const spec = toServiceSpec(
      { name: 'a.b.c.0', image: 'i', env: [], ports: [], labels: {}, network: 'n', networkAliases: [], stopGraceSeconds: 1, nodeSelector: { disk: 'ssd' } },
      {},
      'net',
      ['node.hostname!=node2'],
    ) as { TaskTemplate: { Placement: unknown } };
    assert.deepEqual(spec.TaskTemplate.Placement, { Constraints: ['node.labels.disk==ssd', 'node.hostname!=node2'] });
  });
  it('placement rules travel on the service as canonical JSON, so a pending replica can be placed again', () => {
    const placement = { podAntiAffinity: [{ topologyKey: 'kubernetes.io/hostname', selector: { matchLabels: { app: 'web' } } }] };
    const spec = toServiceSpec(
      { name: 'a.b.c.0', image: 'i', env: [], ports: [], labels: {}, network: 'n', networkAliases: [], stopGraceSeconds: 1, placement },
      {},
      'net',
    ) as { Labels: Record<string, string> };
    assert.deepEqual(JSON.parse(spec.Labels['berth.placement']!), placement);
  });
});

describe('nextEngineProbe: a node whose own engine refuses connections is gone (before Swarm’s heartbeats say so)', () => {
  type Result = 'answered' | 'refused' | 'inconclusive';
  const at = (s: number) => new Date(Date.UTC(2026, 11, 5, 12, 0, s));
  const run = (results: Result[]) => results.reduce<ReturnType<typeof nextEngineProbe> | undefined>((p, r, i) => nextEngineProbe(p, r, at(i)), undefined);
  const table: [string, Result[], string | undefined][] = [
    ['answered, refused twice: gone since the second refusal', ['answered', 'refused', 'refused'], at(2).toISOString()],
    ['one refusal is not enough', ['answered', 'refused'], undefined],
    ['never answered berth: refusals are no evidence (a label berth cannot reach)', ['refused', 'refused', 'refused', 'refused'], undefined],
    ['a timeout between refusals neither counts nor resets', ['answered', 'refused', 'inconclusive', 'refused'], at(3).toISOString()],
    ['an answer resets the count', ['answered', 'refused', 'answered', 'refused'], undefined],
    ['gone, then answering again: back', ['answered', 'refused', 'refused', 'answered'], undefined],
    ['gone stays gone since the first time it was', ['answered', 'refused', 'refused', 'refused', 'refused'], at(2).toISOString()],
    ['only timeouts (a loaded engine): never gone', ['answered', 'inconclusive', 'inconclusive', 'inconclusive'], undefined],
  ];
  for (const [what, results, gone] of table) it(what, () => assert.equal(run(results)?.goneSince, gone));
  it(`gone takes ${REFUSALS_FOR_GONE} refusals in a row`, () => assert.equal(REFUSALS_FOR_GONE, 2));
});

describe('withGoneEngines and offDownNodes: a gone engine makes its node down for berth, and new replicas keep off it', () => {
  const probes = new Map([
    ['node2', { answered: true, refusals: 2, goneSince: '2026-12-05T12:00:02.000Z' }],
    ['node3', { answered: true, refusals: 1 }],
  ]);
  const nodes = [node({ id: 'n1', hostname: 'node1' }), node(), node({ id: 'n3', hostname: 'node3' }), node({ id: 'n4', hostname: 'node4', state: 'down' })];
  it('the gone one is down since its engine went; the others as Swarm has them', () =>
    assert.deepEqual(
      withGoneEngines(nodes, probes).map((n) => [n.hostname, n.state, n.since]),
      [
        ['node1', 'ready', undefined],
        ['node2', 'down', '2026-12-05T12:00:02.000Z'],
        ['node3', 'ready', undefined],
        ['node4', 'down', undefined],
      ],
    ));
  it('its tasks are lost at once: a running task on it is dead', () =>
    assert.equal(taskState({ Status: { State: 'running' }, NodeID: 'n2' } as SwarmTask, withGoneEngines(nodes, probes)[1]), 'dead'));
  it('a node Swarm already has down keeps its own time', () => assert.equal(withGoneEngines([node({ state: 'down', since: 'T' })], probes)[0]!.since, 'T'));
  it('constraints keep new replicas off every down node', () =>
    assert.deepEqual(offDownNodes(withGoneEngines(nodes, probes)), ['node.hostname!=node2', 'node.hostname!=node4']));
  it('no node down: no constraint', () => assert.deepEqual(offDownNodes([node()]), []));
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { observe, ObserveMemo } from '../../../src/observed/index.js';
import type { Inventory, OwnedContainer, OwnedNetwork, OwnedVolume } from '../../../src/runtime/index.js';

const container = (name: string, labels: Record<string, string>, state: OwnedContainer['state'] = 'running'): OwnedContainer => ({
  id: `id-${name}`,
  name,
  image: 'busybox:1.36',
  labels: { 'berth.managed': 'true', 'berth.instance': 'default', ...labels },
  state,
  created: '2026-01-01T00:00:00.000Z',
  ports: [],
});
const full = (ns: string, name: string, rev: string, n: number) => ({
  'berth.namespace': ns,
  'berth.kind': 'Deployment',
  'berth.name': name,
  'berth.revision': rev,
  'berth.replica': String(n),
  'berth.commit': 'c1',
});

describe('observe(inventory)', () => {
  it('groups containers by namespace and deployment from labels alone, sorted', () => {
    const state = observe({
      containers: [
        container('b', full('shop', 'web', 'r1', 1)),
        container('a', full('shop', 'web', 'r1', 0)),
        container('c', full('blog', 'front', 'r9', 0), 'exited'),
      ],
      networks: [{ id: 'n', name: 'berth.shop', labels: { 'berth.managed': 'true', 'berth.namespace': 'shop' } }],
    });
    assert.deepEqual(
      state.namespaces.map((n) => n.name),
      ['blog', 'shop'],
    );
    const shop = state.namespaces[1]!;
    assert.equal(shop.network?.name, 'berth.shop');
    assert.deepEqual(
      shop.deployments[0]!.replicas.map((r) => [r.replica, r.revision, r.commit]),
      [
        [0, 'r1', 'c1'],
        [1, 'r1', 'c1'],
      ],
    );
    assert.equal(state.namespaces[0]!.deployments[0]!.replicas[0]!.state, 'exited');
  });

  const strays: [string, Record<string, string>][] = [
    ['missing revision', { 'berth.namespace': 'shop', 'berth.kind': 'Deployment', 'berth.name': 'web', 'berth.replica': '0' }],
    ['bad ordinal', { ...full('shop', 'web', 'r', 0), 'berth.replica': 'x' }],
    ['negative ordinal', { ...full('shop', 'web', 'r', 0), 'berth.replica': '-1' }],
    ['unknown kind', { ...full('shop', 'web', 'r', 0), 'berth.kind': 'Pod' }],
    ['missing name', { 'berth.namespace': 'shop', 'berth.kind': 'Deployment', 'berth.revision': 'r', 'berth.replica': '0' }],
  ];
  for (const [why, labels] of strays) {
    it(`an owned container with ${why} is a stray`, () => {
      const ns = observe({ containers: [container('x', labels)], networks: [] }).namespaces[0]!;
      assert.equal(ns.deployments.length, 0);
      assert.equal(ns.strays.length, 1);
    });
  }
});

describe('observe: the ConfigMaps a replica was made with (label berth.configmaps)', () => {
  const rows: [string, string | undefined, Record<string, string> | undefined][] = [
    ['no label: none', undefined, undefined],
    ['a name → hash map', '{"app":"1f2e3d4c5b6a7980","other":"absent"}', { app: '1f2e3d4c5b6a7980', other: 'absent' }],
    ['non-string values are dropped', '{"app":"1f2e","bad":7}', { app: '1f2e' }],
    ['malformed JSON reads as none', '{"app":', undefined],
    ['a list reads as none', '["app"]', undefined],
  ];
  for (const [what, label, expected] of rows) {
    it(what, () => {
      const labels = { ...full('shop', 'web', 'r1', 0), ...(label !== undefined ? { 'berth.configmaps': label } : {}) };
      const replica = observe({ containers: [container('a', labels)], networks: [] }).namespaces[0]!.deployments[0]!.replicas[0]!;
      assert.deepEqual(replica.configMaps, expected);
    });
  }
});

describe("ObserveMemo: observe() with the daemon's memo gives what it gives without one", () => {
  const web = (n: number, rev = 'r1') => full('shop', 'web', rev, n);
  const pod = { ...full('shop', 'api', 'p1', 0), 'berth.pod': 'app,log' };
  const member = (name: string) => ({ ...full('shop', 'api', 'p1', 0), 'berth.member': name });
  const c = (name: string, labels: Record<string, string>, over: Partial<OwnedContainer> = {}): OwnedContainer => ({ ...container(name, labels), ...over });
  // Each step is a fresh engine answer (new objects, as every list is), for the same containers over time.
  const steps: { name: string; containers: OwnedContainer[] }[] = [
    { name: 'first look', containers: [c('w0', web(0)), c('w1', web(1)), c('api', pod), c('api-app', member('app')), c('api-log', member('log'))] },
    { name: 'nothing changed', containers: [c('w0', web(0)), c('w1', web(1)), c('api', pod), c('api-app', member('app')), c('api-log', member('log'))] },
    {
      name: 'w1 exited 137, a Pod member down',
      containers: [
        c('w0', web(0)),
        c('w1', web(1), { state: 'exited', exitCode: 137 }),
        c('api', pod),
        c('api-app', member('app')),
        c('api-log', member('log'), { state: 'exited', exitCode: 1 }),
      ],
    },
    {
      name: 'w0 got an address and published a port; w1 gone, its replacement of r2 created',
      containers: [
        c('w0', web(0), { address: '10.213.0.5', ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 32000 }] }),
        c('w1b', web(1, 'r2'), { state: 'created' }),
        c('api', pod),
        c('api-app', member('app')),
      ],
    },
    {
      name: 'the port moved, w2 evicted with a reason',
      containers: [
        c('w0', web(0), { address: '10.213.0.5', ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 32001 }] }),
        c('w2', web(2), { state: 'dead', evicted: true, reason: 'node lost' }),
        c('w1b', web(1, 'r2')),
      ],
    },
  ];

  it('step by step, for every kind of change a container goes through', () => {
    const memo = new ObserveMemo();
    for (const step of steps) {
      const copy = (): OwnedContainer[] => structuredClone(step.containers);
      assert.deepEqual(observe({ containers: copy(), networks: [] }, memo), observe({ containers: copy(), networks: [] }), step.name);
    }
  });

  it('hands back the same replica for an unchanged container, and a new one once it changed', () => {
    const memo = new ObserveMemo();
    const replicaOf = (containers: OwnedContainer[]) => observe({ containers, networks: [] }, memo).namespaces[0]!.deployments[0]!.replicas[0]!;
    const first = replicaOf([c('w0', web(0))]);
    assert.equal(replicaOf([c('w0', web(0))]), first);
    const exited = replicaOf([c('w0', web(0), { state: 'exited', exitCode: 1 })]);
    assert.notEqual(exited, first);
    assert.equal(exited.state, 'exited');
    assert.equal(exited.exitCode, 1);
  });

  it("never remembers a Pod's infra container (its members are joined per call) and stays within its capacity", () => {
    const memo = new ObserveMemo(2);
    observe({ containers: steps[0]!.containers, networks: [] }, memo);
    assert.equal(memo.size, 2, 'w0 and w1; not the Pod');
    observe({ containers: [c('w9', web(9))], networks: [] }, memo);
    assert.equal(memo.size, 1, 'full: it started over');
  });
});

describe('ObserveMemo: a namespace whose containers, network and volumes read the same is the same namespace again', () => {
  const web = (n: number, rev = 'r1') => full('shop', 'web', rev, n);
  const blog = (n: number) => full('blog', 'front', 'b1', n);
  const c = (name: string, labels: Record<string, string>, over: Partial<OwnedContainer> = {}): OwnedContainer => ({ ...container(name, labels), ...over });
  const net = (ns: string, over: Partial<OwnedNetwork> = {}): OwnedNetwork => ({
    id: `net-${ns}`,
    name: `berth.${ns}`,
    labels: { 'berth.managed': 'true', 'berth.namespace': ns },
    subnet: '10.213.1.0/24',
    ...over,
  });
  const claim = (ns: string, name: string): OwnedVolume => ({
    name: `berth.${ns}.${name}`,
    driver: 'local',
    labels: { 'berth.managed': 'true', 'berth.namespace': ns, 'berth.name': name, 'berth.kind': 'PersistentVolumeClaim' },
  });
  const base = (): Inventory => ({
    containers: [c('w0', web(0)), c('w1', web(1)), c('f0', blog(0))],
    networks: [net('blog'), net('shop')],
    volumes: [claim('shop', 'data')],
  });
  // Each row: what the engine lists next, and whether the namespace "shop" is the same object as before.
  // `rebuilt`: a namespace with a stray or a Pod is built anew on every call (neither is remembered).
  const rows: { name: string; next: (i: Inventory) => Inventory; shopSame: boolean; rebuilt?: true }[] = [
    { name: 'nothing changed', next: (i) => i, shopSame: true },
    { name: 'listed in another order', next: (i) => ({ ...i, containers: [...i.containers].reverse() }), shopSame: true },
    {
      name: 'only the other namespace changed',
      next: (i) => ({ ...i, containers: [i.containers[0]!, i.containers[1]!, c('f0', blog(0), { state: 'exited', exitCode: 1 })] }),
      shopSame: true,
    },
    {
      name: 'a replica exited',
      next: (i) => ({ ...i, containers: [c('w0', web(0)), c('w1', web(1), { state: 'exited', exitCode: 137 }), i.containers[2]!] }),
      shopSame: false,
    },
    { name: 'a replica is gone', next: (i) => ({ ...i, containers: [i.containers[0]!, i.containers[2]!] }), shopSame: false },
    { name: 'a replica was added', next: (i) => ({ ...i, containers: [...i.containers, c('w2', web(2))] }), shopSame: false },
    {
      name: 'a replica was replaced (same name, new id)',
      next: (i) => ({ ...i, containers: [i.containers[0]!, { ...c('w1', web(1)), id: 'id-w1-b' }, i.containers[2]!] }),
      shopSame: false,
    },
    {
      name: 'a stray appeared',
      next: (i) => ({ ...i, containers: [...i.containers, c('s', { 'berth.namespace': 'shop', 'berth.kind': 'Job' })] }),
      shopSame: false,
      rebuilt: true,
    },
    {
      name: 'a Pod runs in it',
      next: (i) => ({
        ...i,
        containers: [
          ...i.containers,
          c('p', { ...full('shop', 'api', 'p1', 0), 'berth.pod': 'app' }),
          c('p-app', { ...full('shop', 'api', 'p1', 0), 'berth.member': 'app' }),
        ],
      }),
      shopSame: false,
      rebuilt: true,
    },
    { name: 'its network was recreated', next: (i) => ({ ...i, networks: [net('blog'), net('shop', { id: 'net-shop-2' })] }), shopSame: false },
    { name: 'its network is gone', next: (i) => ({ ...i, networks: [net('blog')] }), shopSame: false },
    { name: 'a claim was added', next: (i) => ({ ...i, volumes: [claim('shop', 'data'), claim('shop', 'logs')] }), shopSame: false },
    { name: 'its claim is gone', next: (i) => ({ ...i, volumes: [] }), shopSame: false },
    {
      name: 'listed for shop alone (a pass of one namespace)',
      next: (i) => ({ ...i, containers: i.containers.slice(0, 2), networks: [net('shop')] }),
      shopSame: true,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const memo = new ObserveMemo();
      const first = observe(structuredClone(base()), memo);
      const next = row.next(base());
      const again = observe(structuredClone(next), memo);
      assert.deepEqual(again, observe(structuredClone(next)), 'the same as without the memo');
      const shop = (s: typeof first) => s.namespaces.find((n) => n.name === 'shop');
      assert.equal(shop(again) === shop(first), row.shopSame);
      // And a third look at the same list hands back what the second built.
      const third = observe(structuredClone(next), memo);
      assert.deepEqual(third, again);
      assert.equal(shop(third) === shop(again), !row.rebuilt);
    });
  }

  it("whole lists and one namespace's lists, interleaved as the daemon asks for them, give what they give without the memo", () => {
    const memo = new ObserveMemo();
    const lists: Inventory[] = [
      base(),
      { containers: [c('f0', blog(0))], networks: [net('blog')] },
      { ...base(), containers: [c('w0', web(0)), c('w1', web(1), { state: 'exited', exitCode: 2 }), c('f0', blog(0))] },
      { containers: [c('w0', web(0)), c('w1', web(1), { state: 'exited', exitCode: 2 })], networks: [net('shop')], volumes: [claim('shop', 'data')] },
      base(),
      base(),
    ];
    for (const [i, list] of lists.entries()) assert.deepEqual(observe(structuredClone(list), memo), observe(structuredClone(list)), `list ${i}`);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { namespaceTable, selects } from '../../../src/controller/routes.js';
import type { DesiredNamespace, DesiredService } from '../../../src/desired/index.js';
import type { ObservedNamespace, ObservedReplica } from '../../../src/observed/index.js';
import { deployment, replica, template } from '../../helpers/builders.js';

const source = { file: 'shop/web.yaml', document: 0, line: 1 };
const service = (over: Partial<DesiredService> = {}): DesiredService => ({
  namespace: 'shop',
  name: 'web',
  type: 'LoadBalancer',
  clusterIP: { kind: 'auto' },
  selector: { app: 'web' },
  ports: [{ port: 8081, targetPort: 80, listenPort: 8081 }],
  publishNotReadyAddresses: false,
  sessionAffinity: 'None',
  source,
  ...over,
});
const ns = (services: DesiredService[]): DesiredNamespace => ({
  name: 'shop',
  network: 'berth.shop',
  valid: true,
  deployments: [],
  services,
  ingresses: [],
  diagnostics: [],
});
const published = (hostPort: number, containerPort = 80) => [{ containerPort, protocol: 'tcp' as const, hostIp: '127.0.0.1', hostPort }];
const observed = (replicas: ObservedReplica[]): ObservedNamespace => ({
  name: 'shop',
  deployments: [{ namespace: 'shop', name: 'web', replicas }],
  strays: [],
});

describe('namespaceTable', () => {
  const r1 = replica('a', 0, { id: 'r1', name: 'shop.web.a.0', ports: published(32001) });
  const r2 = replica('a', 1, { id: 'r2', name: 'shop.web.a.1', ports: published(32002) });
  const cases: { name: string; services: DesiredService[]; replicas: ObservedReplica[]; ready?: Set<string>; leaving?: Set<string>; backends: string[] }[] = [
    { name: 'ready, selected replicas are backends on their published port', services: [service()], replicas: [r1, r2], backends: ['r1@32001', 'r2@32002'] },
    { name: 'an unready replica is not a backend', services: [service()], replicas: [r1, r2], ready: new Set(['r2']), backends: ['r2@32002'] },
    { name: 'a replica leaving this pass is not a backend', services: [service()], replicas: [r1, r2], leaving: new Set(['r1']), backends: ['r2@32002'] },
    { name: 'an exited replica is not a backend', services: [service()], replicas: [r1, { ...r2, state: 'exited' }], backends: ['r1@32001'] },
    {
      name: 'a replica its node ordered to stop (a drain) is not a backend while it still runs and its probe passes',
      services: [service()],
      replicas: [r1, { ...r2, evicted: true }],
      backends: ['r1@32001'],
    },
    { name: 'labels that do not match the selector', services: [service({ selector: { app: 'api' } })], replicas: [r1], backends: [] },
    {
      name: 'targetPort not published by the replica',
      services: [service({ ports: [{ port: 8081, targetPort: 9090, listenPort: 8081 }] })],
      replicas: [r1],
      backends: [],
    },
    {
      name: 'named targetPort resolves per replica',
      services: [service({ ports: [{ port: 8081, targetPort: 'http', listenPort: 8081 }] })],
      replicas: [
        { ...r1, namedPorts: { http: 80 } },
        { ...r2, namedPorts: { http: 8080 }, ports: published(32003, 8080) },
      ],
      backends: ['r1@32001', 'r2@32003'],
    },
    {
      name: 'a replica with an address on the namespace network is reached there, at the container port (no Docker proxy hop)',
      services: [service()],
      replicas: [{ ...r1, address: '10.213.7.2' }, r2],
      backends: ['r1@10.213.7.2:80', 'r2@32002'],
    },
    {
      name: 'at its address a target port the container does not declare is still reached (as in Kubernetes)',
      services: [service({ ports: [{ port: 8081, targetPort: 9090, listenPort: 8081 }] })],
      replicas: [{ ...r1, address: '10.213.7.2' }],
      backends: ['r1@10.213.7.2:9090'],
    },
    {
      name: 'a named targetPort no container declares has no backend',
      services: [service({ ports: [{ port: 8081, targetPort: 'metrics', listenPort: 8081 }] })],
      replicas: [{ ...r1, address: '10.213.7.2' }],
      backends: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const table = namespaceTable({
        namespace: 'shop',
        desired: ns(c.services),
        observed: observed(c.replicas),
        isReady: (r) => !c.ready || c.ready.has(r.id),
        leaving: c.leaving ?? new Set(),
        serviceAddress: '127.0.0.1',
      });
      assert.deepEqual(
        // `r1@32001`: a published port on 127.0.0.1; `r1@10.213.7.2:80`: the replica's own address.
        table.services[0]!.ports[0]!.backends.map((b) => `${b.id}@${b.host === '127.0.0.1' ? '' : `${b.host}:`}${b.port}`),
        c.backends,
      );
      assert.deepEqual(table.services[0]!.ports[0]!.listen, { host: '127.0.0.1', port: c.services[0]!.ports[0]!.listenPort });
    });
  }

  it('ClusterIP: a virtual address from the subnet, no host listener; headless: endpoint addresses; not-ready published on request', () => {
    const net = { id: 'n', name: 'berth.shop', subnet: '10.213.7.0/24', gateway: '10.213.7.1', bridge: 'br-n' };
    const a = { ...r1, address: '10.213.7.2' };
    const b = { ...r2, address: '10.213.7.3' };
    const desired = ns([
      service({ name: 'web', type: 'ClusterIP', ports: [{ port: 80, targetPort: 80 }] }),
      service({ name: 'db', type: 'ClusterIP', clusterIP: { kind: 'none' }, ports: [{ port: 80, targetPort: 80 }] }),
      service({ name: 'all', type: 'ClusterIP', publishNotReadyAddresses: true, sessionAffinity: 'ClientIP', ports: [{ port: 80, targetPort: 80 }] }),
    ]);
    const table = namespaceTable({
      namespace: 'shop',
      desired,
      observed: { ...observed([a, b]), network: net },
      isReady: (r) => r.id === 'r1',
      leaving: new Set(),
      serviceAddress: '127.0.0.1',
      previousClusterIPs: new Map([['web', '10.213.7.201']]),
    });
    assert.deepEqual(table.network, { subnet: '10.213.7.0/24', gateway: '10.213.7.1', bridge: 'br-n' });
    const [web, db, all] = ['web', 'db', 'all'].map((n) => table.services.find((x) => x.name === n)!);
    assert.deepEqual([web!.clusterIP, web!.ports[0]!.listen, web!.ports[0]!.backends.map((x) => x.id)], ['10.213.7.201', undefined, ['r1']]);
    assert.deepEqual([db!.clusterIP, db!.headless], [undefined, { addresses: ['10.213.7.2'] }]);
    assert.deepEqual([all!.ports[0]!.backends.map((x) => x.id), all!.sessionAffinity], [['r1', 'r2'], 'ClientIP']);
  });

  it('a cluster overlay: the Service network on this host (addresses on lo, DNS at .1), the nodes as peers, backends at node addresses', () => {
    const net = { id: 'n', name: 'berth_shop', subnet: '10.0.7.0/24' };
    const onNode = { ...r1, ports: [{ containerPort: 80, hostPort: 30080, protocol: 'tcp' as const, hostIp: '10.79.0.12' }] };
    const table = namespaceTable({
      namespace: 'shop',
      desired: ns([service({ name: 'api', type: 'ClusterIP', ports: [{ port: 8080, targetPort: 80 }] })]),
      observed: { ...observed([onNode]), network: net },
      isReady: () => true,
      leaving: new Set(),
      serviceAddress: '127.0.0.1',
      clusterPeers: ['10.79.0.13', '10.79.0.11'],
    });
    assert.deepEqual(table.network, { subnet: '10.96.7.0/24', gateway: '10.96.7.1', bridge: 'lo', cluster: { peers: ['10.79.0.11', '10.79.0.13'] } });
    const api = table.services[0]!;
    assert.match(api.clusterIP ?? '', /^10\.96\.7\.\d+$/);
    assert.equal(api.clusterIPError, undefined);
    assert.deepEqual(
      api.ports[0]!.backends.map((b) => [b.host, b.port]),
      [['10.79.0.12', 30080]],
    );
  });

  it('a headless Service on a cluster overlay resolves to the replicas’ overlay addresses (others reach them there; berth through their ports)', () => {
    const net = { id: 'n', name: 'berth_shop', subnet: '10.0.7.0/24' };
    const onNode = { ...r1, clusterAddress: '10.0.7.5', ports: [{ containerPort: 80, hostPort: 30080, protocol: 'tcp' as const, hostIp: '10.79.0.12' }] };
    const table = namespaceTable({
      namespace: 'shop',
      desired: ns([service({ name: 'db', type: 'ClusterIP', clusterIP: { kind: 'none' }, ports: [{ port: 80, targetPort: 80 }] })]),
      observed: { ...observed([onNode]), network: net },
      isReady: () => true,
      leaving: new Set(),
      serviceAddress: '127.0.0.1',
      clusterPeers: ['10.79.0.12'],
    });
    assert.deepEqual(table.services[0]!.headless, { addresses: ['10.0.7.5'] });
  });

  it('a Service in front of a Deployment an autoscaler scales on a Pods metric is metered (it stays off the kernel path)', () => {
    const rules = { stabilizationWindowSeconds: 0, selectPolicy: 'Max' as const, policies: [], tolerance: 0.1 };
    const hpa = (target: string, metric: 'Pods' | 'Resource'): NonNullable<DesiredNamespace['autoscalers']>[number] => ({
      namespace: 'shop',
      name: `${target}-${metric}`,
      target,
      minReplicas: 1,
      maxReplicas: 4,
      metrics: [
        metric === 'Pods'
          ? { kind: 'Pods', name: 'berth_requests_per_second', type: 'AverageValue', averageValue: 10 }
          : { kind: 'Resource', resource: 'cpu', type: 'Utilization', averageUtilization: 80 },
      ],
      behavior: { scaleUp: rules, scaleDown: rules },
      source,
    });
    const rows: { name: string; autoscalers: ReturnType<typeof hpa>[]; metered: string[] }[] = [
      { name: 'no autoscaler', autoscalers: [], metered: [] },
      { name: 'requests per second of web', autoscalers: [hpa('web', 'Pods')], metered: ['web'] },
      { name: 'cpu of web (the engine measures it)', autoscalers: [hpa('web', 'Resource')], metered: [] },
      { name: 'requests per second of api', autoscalers: [hpa('api', 'Pods')], metered: ['api'] },
    ];
    for (const row of rows) {
      const desired: DesiredNamespace = {
        ...ns([service({ name: 'web', type: 'ClusterIP' }), service({ name: 'api', type: 'ClusterIP', selector: { app: 'api' } })]),
        deployments: [deployment(), deployment({ name: 'api', template: template({ labels: { app: 'api' } }) })],
        autoscalers: row.autoscalers,
      };
      const table = namespaceTable({
        namespace: 'shop',
        desired,
        observed: observed([]),
        isReady: () => true,
        leaving: new Set(),
        serviceAddress: '127.0.0.1',
      });
      assert.deepEqual(
        table.services.filter((x) => x.metered).map((x) => x.name),
        row.metered,
        row.name,
      );
    }
  });

  it('a namespace without Services keeps its DNS while a replica resolves through it', () => {
    const net = { id: 'n', name: 'berth.shop', subnet: '10.213.7.0/24', gateway: '10.213.7.1', bridge: 'br-n' };
    const table = namespaceTable({
      namespace: 'shop',
      desired: ns([]),
      observed: { ...observed([{ ...r1, namespaceDns: true }]), network: net },
      isReady: () => true,
      leaving: new Set(),
      serviceAddress: '127.0.0.1',
    });
    assert.deepEqual([table.network?.gateway, table.services], ['10.213.7.1', []]);
  });

  it('a removed namespace has an empty table', () => {
    const table = namespaceTable({
      namespace: 'shop',
      desired: undefined,
      observed: observed([r1]),
      isReady: () => true,
      leaving: new Set(),
      serviceAddress: '127.0.0.1',
    });
    assert.deepEqual(table, { namespace: 'shop', services: [], ingresses: [] });
  });

  it('an empty selector selects nothing (berth has no manual endpoints)', () => {
    assert.equal(selects({}, { app: 'web' }), false);
    assert.equal(selects({ app: 'web' }, { app: 'web', tier: 'x' }), true);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocateClusterIps, CLUSTER_SERVICE_RANGE, clusterServiceNetwork, namespaceDnsAddress, serviceSubnet } from '../../../src/desired/index.js';
import type { DesiredService } from '../../../src/desired/index.js';

const svc = (name: string, clusterIP: DesiredService['clusterIP'] = { kind: 'auto' }): DesiredService => ({
  namespace: 'shop',
  name,
  type: 'ClusterIP',
  clusterIP,
  selector: { app: name },
  ports: [{ port: 80, targetPort: 80 }],
  publishNotReadyAddresses: false,
  sessionAffinity: 'None',
  source: { file: `shop/${name}.yaml`, document: 0, line: 3 },
});
const SUBNET = '10.213.7.0/24';
const show = (m: Map<string, unknown>) => Object.fromEntries([...m].map(([k, v]) => [k, v && typeof v === 'object' && 'address' in v ? v.address : v]));

describe('allocateClusterIps', () => {
  it('hashed from the name, in the upper half, and the same without memory', () => {
    const a = allocateClusterIps({ subnet: SUBNET, services: [svc('web'), svc('api')], previous: new Map() });
    const b = allocateClusterIps({ subnet: SUBNET, services: [svc('api'), svc('web')], previous: new Map() });
    assert.deepEqual(show(a), show(b));
    for (const v of a.values()) assert.match((v as { address: string }).address, /^10\.213\.7\.(1[2-9]\d|2[0-4]\d|25[0-4])$/);
  });

  it('an address held before is kept, even if a new Service hashes onto it', () => {
    const first = show(allocateClusterIps({ subnet: SUBNET, services: [svc('web')], previous: new Map() }));
    const kept = allocateClusterIps({ subnet: SUBNET, services: [svc('web'), svc('aaa')], previous: new Map([['web', '10.213.7.250']]) });
    assert.equal(show(kept)['web'], '10.213.7.250');
    assert.notEqual(first['web'], undefined);
  });

  it('a previous address outside the range (the subnet changed) is reallocated', () => {
    const r = allocateClusterIps({ subnet: SUBNET, services: [svc('web')], previous: new Map([['web', '10.213.9.200']]) });
    assert.match(show(r)['web'] as string, /^10\.213\.7\./);
  });

  it('a fixed clusterIP in range wins over a hashed one; outside or taken twice is a located error', () => {
    const r = allocateClusterIps({
      subnet: SUBNET,
      services: [
        svc('db', { kind: 'fixed', address: '10.213.7.200' }),
        svc('db2', { kind: 'fixed', address: '10.213.7.200' }),
        svc('out', { kind: 'fixed', address: '10.213.7.100' }),
        svc('web'),
      ],
      previous: new Map([['web', '10.213.7.200']]),
    });
    assert.equal(show(r)['db'], '10.213.7.200');
    assert.deepEqual(r.get('db2'), { error: `shop/db2.yaml:3: spec.clusterIP 10.213.7.200 is already Service "db"'s` });
    assert.deepEqual(r.get('out'), {
      error:
        "shop/out.yaml:3: spec.clusterIP 10.213.7.100 is outside the namespace's Service range 10.213.7.128–10.213.7.254 (the upper half of its subnet 10.213.7.0/24)",
    });
    assert.notEqual(show(r)['web'], '10.213.7.200', 'the auto Service moved');
  });

  it('headless gets none; without a subnet nobody gets one', () => {
    assert.deepEqual(allocateClusterIps({ subnet: SUBNET, services: [svc('h', { kind: 'none' })], previous: new Map() }).get('h'), { headless: true });
    assert.match(
      (allocateClusterIps({ subnet: undefined, services: [svc('web')], previous: new Map() }).get('web') as { error: string }).error,
      /no IPv4 subnet yet/,
    );
  });

  it('a full range: the rest get a located error', () => {
    const many = Array.from({ length: 4 }, (_, i) => svc(`s${i}`));
    const r = allocateClusterIps({ subnet: '10.0.0.8/29', services: many, previous: new Map() });
    assert.equal([...r.values()].filter((v) => 'address' in v).length, 3);
    assert.match(JSON.stringify([...r.values()].find((v) => 'error' in v)), /Service range \(3 addresses\) is full/);
  });
});

describe('serviceSubnet: where Services take virtual addresses from', () => {
  const table: [string, Parameters<typeof serviceSubnet>[0], ReturnType<typeof serviceSubnet>][] = [
    ['no network yet: nothing, and nothing to explain', undefined, {}],
    ['a bridge network this host serves: its subnet', { subnet: '10.213.7.0/24', gateway: '10.213.7.1', bridge: 'br-abc' }, { subnet: '10.213.7.0/24' }],
    ['a network without a subnet (the engine picked none): nothing', { gateway: '10.1.0.1', bridge: 'br-x' }, {}],
  ];
  for (const [what, network, expected] of table) it(what, () => assert.deepEqual(serviceSubnet(network), expected));
  it('a cluster overlay /24 (no bridge on this host): its Service network on this host, 10.96.K.0/24', () => {
    assert.deepEqual(serviceSubnet({ subnet: '10.213.7.0/24' }), { subnet: '10.96.7.0/24', gateway: '10.96.7.1' });
    const ips = allocateClusterIps({ subnet: '10.96.7.0/24', services: [svc('web')], previous: new Map() });
    assert.match(JSON.stringify(ips.get('web')), /"address":"10\.96\.7\.(1[3-9]\d|2[0-5]\d)"/, 'in the upper half, as on a bridge');
  });
  it('a cluster overlay that is no /24: no subnet, and why, which every Service is then told', () => {
    const verdict = serviceSubnet({ subnet: '10.0.0.0/23' });
    assert.equal('subnet' in verdict ? verdict.subnet : undefined, undefined);
    assert.match(verdict.noSubnet ?? '', /10\.0\.0\.0\/23, not a \/24/);
    const ips = allocateClusterIps({ subnet: undefined, services: [svc('web')], previous: new Map(), noSubnet: verdict.noSubnet! });
    assert.deepEqual(ips.get('web'), { error: verdict.noSubnet });
  });
});

describe('clusterServiceNetwork and namespaceDnsAddress: a namespace DNS on a bridge or on this host for a cluster', () => {
  const table: [string, Parameters<typeof namespaceDnsAddress>[0], string | undefined][] = [
    ['a bridge: its gateway', { subnet: '10.213.7.0/24', gateway: '10.213.7.1', bridge: 'br-abc' }, '10.213.7.1'],
    ['a cluster overlay 10.0.5.0/24: 10.96.5.1 on this host', { subnet: '10.0.5.0/24' }, '10.96.5.1'],
    ['a cluster overlay that is no /24: none', { subnet: '10.0.4.0/22' }, undefined],
    ['no network: none', undefined, undefined],
  ];
  for (const [what, network, expected] of table) it(what, () => assert.equal(namespaceDnsAddress(network), expected));
  it('the range is Kubernetes’ default service range’s start', () => {
    assert.equal(CLUSTER_SERVICE_RANGE, '10.96.0.0/16');
    assert.deepEqual(clusterServiceNetwork('10.0.255.0/24'), { subnet: '10.96.255.0/24', gateway: '10.96.255.1' });
  });
});

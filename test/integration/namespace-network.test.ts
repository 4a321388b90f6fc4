/**
 * The namespace network layout on a real engine (issue #9): berth proposes subnets in order,
 * skips one the engine refuses as overlapping, and lays the network out with the gateway at the
 * first address and IPAM limited to the lower half, so the upper half stays free for Service
 * virtual addresses. A replica's address is reported by inventory. Its subnets lie outside berth's
 * pool (10.213.0.0/16), where the networks of e2e files running beside it never are.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { LABEL } from '../../src/runtime/index.js';
import { dockerClient, dockerScope, TEST_RUN_LABEL } from '../helpers/docker-scope.js';

describe('namespace network layout', { timeout: 120_000 }, () => {
  const scope = dockerScope('netlayout');
  after(() => scope.cleanup());

  it('skips an overlapping subnet, puts replicas in the lower half, and reports subnet, gateway, bridge and replica address', async () => {
    const driver = scope.driver();
    // Other networks (not berth's) hold the first proposal exactly and overlap the second.
    for (const [name, subnet] of [
      ['squatter', '10.252.251.0/24'],
      ['wide', '10.252.248.0/23'],
    ] as const) {
      await dockerClient().createNetwork({
        Name: scope.name(name),
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: { [TEST_RUN_LABEL]: scope.instance },
        IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] },
      });
    }
    const labels = scope.labels({ [LABEL.namespace]: 'lay', [LABEL.kind]: 'Namespace', [LABEL.name]: 'lay' });
    const network = await driver.ensureNetwork({
      name: `berth.${scope.instance}.lay`,
      labels,
      subnets: ['10.252.251.0/24', '10.252.249.0/24', '10.252.252.0/24'],
    });
    assert.deepEqual([network.subnet, network.gateway], ['10.252.252.0/24', '10.252.252.1']);
    assert.match(network.bridge ?? '', /^br-[0-9a-f]{12}$/);
    const inspected = await dockerClient().getNetwork(network.id).inspect();
    assert.equal(inspected.IPAM?.Config?.[0]?.IPRange, '10.252.252.0/25', 'IPAM gives replicas the lower half only');
    assert.deepEqual(
      await driver.ensureNetwork({ name: `berth.${scope.instance}.lay`, labels, subnets: ['10.252.253.0/24'] }),
      network,
      'an existing network is kept as it is',
    );

    const replica = await driver.runContainer({
      name: scope.name('lay.web'),
      image: 'busybox:1.36',
      command: ['sleep', '3600'],
      env: [],
      ports: [],
      labels: scope.labels({ [LABEL.namespace]: 'lay', [LABEL.kind]: 'Deployment', [LABEL.name]: 'web', [LABEL.revision]: 'r0', [LABEL.replica]: '0' }),
      network: `berth.${scope.instance}.lay`,
      networkAliases: ['web'],
      stopGraceSeconds: 1,
      dns: { servers: ['10.252.252.1'], search: ['lay.svc.cluster.local'], options: ['ndots:5'] },
    });
    assert.match(replica.address ?? '', /^10\.252\.252\.([2-9]|[1-9]\d|1[01]\d|12[0-7])$/, `a lower-half address: ${replica.address}`);
    const host = (await dockerClient().getContainer(replica.id).inspect()).HostConfig;
    assert.deepEqual([host.Dns, host.DnsSearch, host.DnsOptions], [['10.252.252.1'], ['lay.svc.cluster.local'], ['ndots:5']]);
  });
});

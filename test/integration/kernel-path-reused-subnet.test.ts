/**
 * A data plane killed with its kernel rules in place (a `kill -9`: nothing removes them until
 * another data plane starts) must not translate the traffic of a later network that gets the
 * same subnet — a reused subnet, with a Service of the same name at the same hashed address and a
 * replica at the same first address. Before the rules matched the bridge, such a network's
 * Service traffic went where the dead rules said, past the new namespace's own NetworkPolicies
 * (a network-policy e2e run saw it). Real engine, real nat table, real containers.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { KernelPath } from '../../src/proxy/kernel-path.js';
import { kernelRoutes } from '../../src/proxy/kernel-rules.js';
import type { NamespaceTable } from '../../src/proxy/control.js';
import { dockerClient, dockerScope, TEST_IMAGE, TEST_RUN_LABEL } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { execOutput } from '../helpers/world.js';

const SUBNET = '10.254.11.0/24';
const GATEWAY = '10.254.11.1';
const SERVER = '10.254.11.5';
const VIP = '10.254.11.169';

describe('kernel path: rules of a dead data plane never catch a new network of the same subnet', { timeout: 120_000 }, () => {
  const scope = dockerScope('kp-reused-subnet');
  const docker = dockerClient();
  const paths: KernelPath[] = [];
  after(async () => {
    for (const p of paths) await p.stop();
    await scope.cleanup();
  });

  const network = async (name: string) => {
    const created = await docker.createNetwork({
      Name: scope.name(name),
      Driver: 'bridge',
      CheckDuplicate: true,
      Labels: { [TEST_RUN_LABEL]: scope.instance },
      IPAM: { Driver: 'default', Config: [{ Subnet: SUBNET, Gateway: GATEWAY }] },
    });
    const bridge = `br-${created.id.slice(0, 12)}`;
    // What the data plane does for a Service: its virtual address on the namespace's bridge (it goes with the bridge).
    execFileSync('ip', ['addr', 'add', `${VIP}/32`, 'dev', bridge]);
    return { id: created.id, bridge };
  };
  const container = async (name: string, net: string, address: string, cmd: string[]) => {
    const c = await docker.createContainer({
      name: scope.name(name),
      Image: TEST_IMAGE,
      Entrypoint: cmd,
      Labels: { [TEST_RUN_LABEL]: scope.instance },
      HostConfig: { Init: true, NetworkMode: scope.name(net) },
      NetworkingConfig: { EndpointsConfig: { [scope.name(net)]: { IPAMConfig: { IPv4Address: address } } } },
    });
    await c.start();
    return c.id;
  };
  const table = (bridge: string): NamespaceTable => ({
    namespace: 'shop',
    network: { subnet: SUBNET, gateway: GATEWAY, bridge },
    ingresses: [],
    services: [{ name: 'db', clusterIP: VIP, ports: [{ port: 80, backends: [{ id: 'db-1', host: SERVER, port: 8080 }] }] }],
  });
  const call = (client: string) =>
    execOutput(client, ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${VIP} 80 | tail -n 1`]).then((r) => r.stdout.trim());
  const serve = ['sh', '-c', 'mkdir -p /www && echo "db $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www'];

  it('the first network is carried; after its data plane dies and the network goes, a new one of the same subnet is not', async () => {
    const first = await network('one');
    await container('one-db', 'one', SERVER, serve);
    const client1 = await container('one-client', 'one', '10.254.11.9', ['sleep', '3600']);
    const dead = new KernelPath({ logger: pino({ level: 'silent' }), now: Date.now, forgetAfterMs: 1000 });
    paths.push(dead);
    assert.equal(await dead.start(), undefined, 'the kernel path can be used here');
    assert.equal(await dead.apply(kernelRoutes([table(first.bridge)], () => false)), undefined);
    await eventually(async () => assert.match(await call(client1), /^db /), {
      timeoutMs: 30_000,
      what: 'the rules carry the first network’s Service (the check below can tell)',
    });

    // The data plane "dies": its rules stay. Its network goes, and a new one takes the same subnet and addresses.
    for (const name of ['one-db', 'one-client']) await docker.getContainer(scope.name(name)).remove({ force: true });
    await docker.getNetwork(first.id).remove();
    await network('two');
    await container('two-db', 'two', SERVER, serve);
    const client2 = await container('two-client', 'two', '10.254.11.9', ['sleep', '3600']);
    await eventually(
      async () => assert.match((await execOutput(client2, ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${SERVER} 8080`])).stdout, /db /),
      {
        timeoutMs: 30_000,
        what: 'the new replica serves (so an empty answer below is the rules’ doing)',
      },
    );
    assert.equal(await call(client2), '', 'the dead rules do not take the new network’s traffic to its replica');
  });
});

/**
 * The namespace DNS answers its namespace's peers only: addresses in its subnet, and on a cluster
 * the nodes' addresses (tasks reach this host NATed to them), which change without a rebind.
 * Real sockets on loopback (DNS over TCP: a refused peer sees its connection closed unanswered).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { silentLogger } from '../../../src/core/index.js';
import { ClusterDns } from '../../../src/proxy/cluster-dns.js';

/** One DNS-over-TCP question for `name`: the A records answered, or undefined when the server closed the connection unanswered. */
function ask(port: number, name: string): Promise<string[] | undefined> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let got = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        const reply = dnsPacket.decode(got.subarray(2));
        socket.end();
        resolve((reply.answers ?? []).map((a) => String((a as { data: unknown }).data)));
      }
    });
    socket.on('close', () => resolve(undefined));
    socket.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(undefined) : reject(err)));
    socket.write(dnsPacket.streamEncode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] }));
  });
}

describe('ClusterDns: who it answers', () => {
  const servers: ClusterDns[] = [];
  after(() => {
    for (const s of servers) s.close();
  });
  const serve = async (peers?: string[], logger = silentLogger) => {
    const dns = new ClusterDns({
      namespace: 'shop',
      address: '127.0.0.1',
      subnet: '10.200.0.0/24', // loopback is not in it: only `peers` can admit it
      ...(peers ? { peers } : {}),
      port: 0,
      upstreams: [],
      answer: () => ({ kind: 'addresses', addresses: ['10.96.7.130'], ttl: 5 }),
      logger,
    });
    servers.push(dns);
    assert.equal(await dns.start(), undefined);
    return dns;
  };

  it('a peer outside the subnet and not a node: closed unanswered', async () => {
    const dns = await serve();
    assert.equal(await ask(dns.port()!, 'api.shop.svc.cluster.local'), undefined);
  });

  it('a cluster node’s address: answered; after setPeers without it, refused, and answered again once it is back', async () => {
    const dns = await serve(['127.0.0.1']);
    assert.deepEqual(await ask(dns.port()!, 'api.shop.svc.cluster.local'), ['10.96.7.130']);
    dns.setPeers(['10.79.0.12']);
    assert.equal(await ask(dns.port()!, 'api.shop.svc.cluster.local'), undefined);
    dns.setPeers(['10.79.0.12', '127.0.0.1']);
    assert.deepEqual(await ask(dns.port()!, 'api.shop.svc.cluster.local'), ['10.96.7.130']);
  });

  it('an unanswered peer is logged once, with the peers it is not among (a NAT not applied shows in the log)', async () => {
    const warnings: { obj: object | string; msg?: string }[] = [];
    const logger = { ...silentLogger, warn: (obj: object | string, msg?: string) => void warnings.push({ obj, ...(msg ? { msg } : {}) }) };
    const dns = await serve(['10.79.0.12'], logger);
    for (let i = 0; i < 3; i++) assert.equal(await ask(dns.port()!, 'api.shop.svc.cluster.local'), undefined);
    assert.deepEqual(warnings, [
      { obj: { peer: '127.0.0.1', peers: ['10.79.0.12'] }, msg: 'namespace DNS: a query from outside the namespace is not answered' },
    ]);
  });
});

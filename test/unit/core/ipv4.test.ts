import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  contains,
  firstHost,
  formatCidr,
  formatIpv4,
  ipv4OfPeer,
  isVirtualAddress,
  parseCidr,
  parseIpv4,
  replicaRange,
  virtualRange,
} from '../../../src/core/index.js';

describe('ipv4: the namespace subnet layout', () => {
  const rows: { cidr: string; gateway: string; replicas: string; first: string; last: string; size: number }[] = [
    { cidr: '10.213.7.0/24', gateway: '10.213.7.1', replicas: '10.213.7.0/25', first: '10.213.7.128', last: '10.213.7.254', size: 127 },
    // a network Docker laid out before berth chose subnets: the same split of what it has
    { cidr: '172.18.0.0/16', gateway: '172.18.0.1', replicas: '172.18.0.0/17', first: '172.18.128.0', last: '172.18.255.254', size: 32767 },
    { cidr: '10.0.0.8/29', gateway: '10.0.0.9', replicas: '10.0.0.8/30', first: '10.0.0.12', last: '10.0.0.14', size: 3 },
  ];
  for (const r of rows) {
    it(r.cidr, () => {
      const c = parseCidr(r.cidr)!;
      const v = virtualRange(c);
      assert.deepEqual(
        [formatIpv4(firstHost(c)), formatCidr(replicaRange(c)), formatIpv4(v.first), formatIpv4(v.first + v.size - 1), v.size],
        [r.gateway, r.replicas, r.first, r.last, r.size],
      );
      assert.equal(isVirtualAddress(c, v.first - 1), false, 'the last replica address is not virtual');
      assert.equal(isVirtualAddress(c, v.first + v.size), false, 'the broadcast address is not virtual');
    });
  }

  it('parses strictly', () => {
    assert.deepEqual(['1.2.3.4', '256.1.1.1', '1.2.3', 'a.b.c.d', '01.2.3.4'].map(parseIpv4), [16909060, undefined, undefined, undefined, 16909060]);
    assert.deepEqual(
      ['10.213.7.9/24', '10.0.0.0/7', '10.0.0.0/31', '10.0.0.0', '10.0.0.0/x'].map((t) => (parseCidr(t) ? formatCidr(parseCidr(t)!) : undefined)),
      ['10.213.7.0/24', undefined, undefined, undefined, undefined],
    );
  });

  it('peers: a dual-stack socket reports ::ffff:a.b.c.d', () => {
    const c = parseCidr('10.213.7.0/24')!;
    assert.equal(contains(c, ipv4OfPeer('::ffff:10.213.7.3')!), true);
    assert.equal(contains(c, ipv4OfPeer('10.213.8.3')!), false);
    assert.equal(ipv4OfPeer('fd00::1'), undefined);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveName, type NamespaceTable } from '../../../src/proxy/index.js';

const tables = new Map<string, NamespaceTable>([
  [
    'shop',
    {
      namespace: 'shop',
      network: { subnet: '10.213.7.0/24', gateway: '10.213.7.1', bridge: 'br-x' },
      services: [
        { name: 'web', clusterIP: '10.213.7.200', ports: [] },
        { name: 'db', headless: { addresses: ['10.213.7.3', '10.213.7.4'], hosts: { 'db-0': '10.213.7.3', 'db-1': '10.213.7.4' } }, ports: [] },
        { name: 'broken', clusterIPError: 'x', ports: [] },
      ],
      ingresses: [],
    },
  ],
  ['blog', { namespace: 'blog', services: [{ name: 'web', clusterIP: '10.213.9.130', ports: [] }], ingresses: [] }],
]);

describe('resolveName: the namespace DNS', () => {
  const rows: [name: string, type: string, expect: unknown][] = [
    ['web', 'A', { kind: 'addresses', addresses: ['10.213.7.200'], ttl: 5 }],
    ['web.shop', 'A', { kind: 'addresses', addresses: ['10.213.7.200'], ttl: 5 }],
    ['web.shop.svc', 'A', { kind: 'addresses', addresses: ['10.213.7.200'], ttl: 5 }],
    ['web.shop.svc.cluster.local', 'A', { kind: 'addresses', addresses: ['10.213.7.200'], ttl: 5 }],
    ['WEB.Shop.svc.cluster.local.', 'A', { kind: 'addresses', addresses: ['10.213.7.200'], ttl: 5 }],
    ['web.shop.svc.cluster.local', 'AAAA', { kind: 'addresses', addresses: [], ttl: 5 }],
    ['db', 'A', { kind: 'addresses', addresses: ['10.213.7.3', '10.213.7.4'], ttl: 1 }],
    ['broken', 'A', { kind: 'addresses', addresses: [], ttl: 5 }],
    // a StatefulSet's replicas under their headless Service (serviceName db), in every form
    ['db-1.db', 'A', { kind: 'addresses', addresses: ['10.213.7.4'], ttl: 1 }],
    ['db-1.db.shop', 'A', { kind: 'addresses', addresses: ['10.213.7.4'], ttl: 1 }],
    ['db-1.db.shop.svc', 'A', { kind: 'addresses', addresses: ['10.213.7.4'], ttl: 1 }],
    ['db-0.db.shop.svc.cluster.local', 'A', { kind: 'addresses', addresses: ['10.213.7.3'], ttl: 1 }],
    ['db-0.db.shop.svc.cluster.local', 'AAAA', { kind: 'addresses', addresses: [], ttl: 1 }],
    ['db-2.db.shop.svc.cluster.local', 'A', { kind: 'nxdomain' }],
    ['db-0.web.shop.svc.cluster.local', 'A', { kind: 'nxdomain' }],
    ['db-0.db.blog.svc.cluster.local', 'A', { kind: 'nxdomain' }],
    ['db-0.web', 'A', { kind: 'forward' }],
    // isolation: another namespace's Service does not exist from here
    ['web.blog', 'A', { kind: 'nxdomain' }],
    ['web.blog.svc.cluster.local', 'A', { kind: 'nxdomain' }],
    // the search list tries these first for a short name: answered at once
    ['api.shop.svc.cluster.local', 'A', { kind: 'nxdomain' }],
    ['api.svc.cluster.local', 'A', { kind: 'nxdomain' }],
    ['api.cluster.local', 'A', { kind: 'nxdomain' }],
    ['web.shop.svc.cluster.local.shop.svc.cluster.local', 'A', { kind: 'nxdomain' }],
    ['api', 'A', { kind: 'nxdomain' }],
    // the rest of the world
    ['example.com', 'A', { kind: 'forward' }],
    ['web.example', 'A', { kind: 'forward' }],
    ['a.b.c.d', 'A', { kind: 'forward' }],
  ];
  for (const [name, type, expect] of rows) it(`${name} ${type}`, () => assert.deepEqual(resolveName({ namespace: 'shop', name, type, tables }), expect));
});

/**
 * NetworkPolicy decisions (src/proxy/network-policy.ts), table-driven worked examples: who may
 * reach a pod of namespace `b` through a Service, and which other namespaces' Service names a
 * replica sees in its namespace DNS.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admits, type NamespaceTable, type NetworkPolicyRoute, type PolicySubject, resolveName, serviceVisible } from '../../../src/proxy/index.js';

const DB = { app: 'db' };
const WEB = { app: 'web' };
const fromA: PolicySubject = { namespace: 'a', namespaceLabels: { 'kubernetes.io/metadata.name': 'a', team: 'shop' }, podLabels: { app: 'client' } };
const fromAUnknownPod: PolicySubject = { namespace: 'a', namespaceLabels: { 'kubernetes.io/metadata.name': 'a', team: 'shop' } };
const fromC: PolicySubject = { namespace: 'c', namespaceLabels: { 'kubernetes.io/metadata.name': 'c' }, podLabels: { app: 'client' } };
const fromB: PolicySubject = { namespace: 'b', namespaceLabels: { 'kubernetes.io/metadata.name': 'b' }, podLabels: { app: 'web' } };
const fromBOther: PolicySubject = { namespace: 'b', namespaceLabels: { 'kubernetes.io/metadata.name': 'b' }, podLabels: { app: 'batch' } };

const allowAIntoDb5432: NetworkPolicyRoute = {
  name: 'db-from-a',
  podSelector: { matchLabels: DB },
  ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'a' } } }], ports: [{ port: 5432 }] }],
};
const denyAll: NetworkPolicyRoute = { name: 'deny', podSelector: {}, ingress: [] };
const webFromOwnPods: NetworkPolicyRoute = {
  name: 'web',
  podSelector: { matchLabels: DB },
  ingress: [{ from: [{ podSelector: { matchLabels: WEB } }], ports: [] }],
};
const teamByExpression: NetworkPolicyRoute = {
  name: 'team',
  podSelector: { matchLabels: DB },
  ingress: [
    {
      from: [
        {
          namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['shop', 'blog'] }] },
          podSelector: { matchLabels: { app: 'client' } },
        },
      ],
      ports: [{ port: 'postgres' }, { port: 9000, endPort: 9010 }],
    },
  ],
};

describe('admits: one connection to a pod of namespace b', () => {
  const rows: [
    what: string,
    policies: NetworkPolicyRoute[],
    pod: Record<string, string>,
    port: number,
    portName: string | undefined,
    peer: PolicySubject,
    want: boolean,
  ][] = [
    ['no policy: own namespace in', [], DB, 5432, undefined, fromB, true],
    ['no policy: another namespace out (isolation)', [], DB, 5432, undefined, fromA, false],
    ['a allowed into db on 5432', [allowAIntoDb5432], DB, 5432, undefined, fromA, true],
    ['a on another port: out', [allowAIntoDb5432], DB, 8080, undefined, fromA, false],
    ['c is not a: out', [allowAIntoDb5432], DB, 5432, undefined, fromC, false],
    ['db is now isolated: its own namespace out too', [allowAIntoDb5432], DB, 5432, undefined, fromB, false],
    ['a pod the policy does not select keeps the default', [allowAIntoDb5432], WEB, 8080, undefined, fromB, true],
    ['... and stays closed to a', [allowAIntoDb5432], WEB, 8080, undefined, fromA, false],
    ['deny all: own namespace out', [denyAll], WEB, 80, undefined, fromB, false],
    ['deny all + allow: the union', [denyAll, allowAIntoDb5432], DB, 5432, undefined, fromA, true],
    ['podSelector alone: pods of the policy namespace', [webFromOwnPods], DB, 5432, undefined, fromB, true],
    ['podSelector alone: other pods of b out', [webFromOwnPods], DB, 5432, undefined, fromBOther, false],
    ['podSelector alone: a web pod of another namespace out', [webFromOwnPods], DB, 5432, undefined, { ...fromA, podLabels: WEB }, false],
    ['namespace expression + pod: matching', [teamByExpression], DB, 5432, 'postgres', fromA, true],
    ['namespace expression + pod: unknown peer pod out', [teamByExpression], DB, 5432, 'postgres', fromAUnknownPod, false],
    ['named port must match the name', [teamByExpression], DB, 5432, 'pg', fromA, false],
    ['port range: inside', [teamByExpression], DB, 9005, undefined, fromA, true],
    ['port range: past endPort', [teamByExpression], DB, 9011, undefined, fromA, false],
    ['namespace expression: c has no team label', [teamByExpression], DB, 9005, undefined, fromC, false],
    ['empty from and ports: everyone', [{ name: 'open', podSelector: {}, ingress: [{ from: [], ports: [] }] }], DB, 1, undefined, fromC, true],
    [
      'NotIn: an absent label is not in the list',
      [{ name: 'x', podSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, ingress: [] }],
      DB,
      80,
      undefined,
      fromB,
      false,
    ],
  ];
  for (const [what, policies, podLabels, port, portName, peer, want] of rows)
    it(what, () => assert.equal(admits({ namespace: 'b', policies, podLabels, port, ...(portName ? { portName } : {}) }, peer), want));
});

describe('serviceVisible and the namespace DNS', () => {
  const pods = [{ labels: DB, ports: [{ port: 5432, name: 'postgres' }] }];
  it('own namespace: always (names resolve, connections decide)', () => assert.equal(serviceVisible('b', [denyAll], pods, fromB), true));
  it('another namespace without a policy: hidden', () => assert.equal(serviceVisible('b', [], pods, fromA), false));
  it('allowed namespace: visible', () => assert.equal(serviceVisible('b', [allowAIntoDb5432], pods, fromA), true));
  it('a namespace the policy does not name: hidden', () => assert.equal(serviceVisible('b', [allowAIntoDb5432], pods, fromC), false));
  it('a Service with no pods: hidden from other namespaces', () => assert.equal(serviceVisible('b', [allowAIntoDb5432], [], fromA), false));

  const tables = new Map<string, NamespaceTable>([
    [
      'b',
      {
        namespace: 'b',
        services: [
          { name: 'db', clusterIP: '10.213.9.140', ports: [{ port: 5432, backends: [] }], pods },
          { name: 'web', clusterIP: '10.213.9.141', ports: [{ port: 80, backends: [] }], pods: [{ labels: WEB, ports: [{ port: 8080 }] }] },
        ],
        ingresses: [],
        policies: [allowAIntoDb5432],
      },
    ],
    ['a', { namespace: 'a', services: [], ingresses: [] }],
  ]);
  const rows: [name: string, peer: PolicySubject, want: unknown][] = [
    ['db.b', fromA, { kind: 'addresses', addresses: ['10.213.9.140'], ttl: 5 }],
    ['db.b.svc', fromA, { kind: 'addresses', addresses: ['10.213.9.140'], ttl: 5 }],
    ['db.b.svc.cluster.local', fromA, { kind: 'addresses', addresses: ['10.213.9.140'], ttl: 5 }],
    ['web.b', fromA, { kind: 'nxdomain' }],
    ['db.b.svc.cluster.local', fromC, { kind: 'nxdomain' }],
  ];
  for (const [name, peer, want] of rows)
    it(`${name} from ${peer.namespace}`, () => assert.deepEqual(resolveName({ namespace: peer.namespace, name, type: 'A', tables, peer }), want));
});

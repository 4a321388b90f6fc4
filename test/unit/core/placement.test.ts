/** core/placement.ts: where a new replica may go on a cluster, as the Kubernetes scheduler's filters and preferences decide it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  downNodeToleration,
  matchesNodeAffinity,
  placeReplica,
  type NodeSelectorTerm,
  type PlacedPod,
  type Placement,
  type PlacementNode,
  type Toleration,
} from '../../../src/core/placement.js';

const node = (hostname: string, labels: Record<string, string> = {}, schedulable = true): PlacementNode => ({ hostname, labels, schedulable });
const nodes = [
  node('node1', { zone: 'a', disk: 'ssd', cpus: '4' }),
  node('node2', { zone: 'a', disk: 'nvme', cpus: '16' }),
  node('node3', { zone: 'b', cpus: '8' }),
];
const web = (on: string, namespace = 'shop'): PlacedPod => ({ node: on, namespace, labels: { app: 'web' } });
const byHost = (maxSkew = 1, hard = true) => ({ maxSkew, topologyKey: 'kubernetes.io/hostname', hard, selector: { matchLabels: { app: 'web' } } });
const anti = (topologyKey = 'kubernetes.io/hostname', namespaces?: string[]) => ({
  selector: { matchLabels: { app: 'web' } },
  topologyKey,
  ...(namespaces ? { namespaces } : {}),
});

describe('matchesNodeAffinity: any term, all of its requirements', () => {
  const table: [string, NodeSelectorTerm[], PlacementNode, boolean][] = [
    ['In: the label has one of the values', [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd', 'nvme'] }] }], nodes[1]!, true],
    ['In: an absent label is in no set', [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }], nodes[2]!, false],
    ['NotIn: an absent label is not in the set', [{ matchExpressions: [{ key: 'disk', operator: 'NotIn', values: ['ssd'] }] }], nodes[2]!, true],
    ['Exists', [{ matchExpressions: [{ key: 'disk', operator: 'Exists' }] }], nodes[2]!, false],
    ['DoesNotExist', [{ matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] }], nodes[2]!, true],
    ['Gt compares integers (16 > 8)', [{ matchExpressions: [{ key: 'cpus', operator: 'Gt', values: ['8'] }] }], nodes[1]!, true],
    ['Gt: 8 is not greater than 8', [{ matchExpressions: [{ key: 'cpus', operator: 'Gt', values: ['8'] }] }], nodes[2]!, false],
    ['Lt: 4 < 8', [{ matchExpressions: [{ key: 'cpus', operator: 'Lt', values: ['8'] }] }], nodes[0]!, true],
    ['Gt on a label that is no integer: no', [{ matchExpressions: [{ key: 'disk', operator: 'Gt', values: ['1'] }] }], nodes[0]!, false],
    [
      'kubernetes.io/hostname is the node name',
      [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['node1'] }] }],
      nodes[0]!,
      false,
    ],
    ['matchFields metadata.name', [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node3'] }] }], nodes[2]!, true],
    [
      'all requirements of a term (zone a and disk nvme)',
      [
        {
          matchExpressions: [
            { key: 'zone', operator: 'In', values: ['a'] },
            { key: 'disk', operator: 'In', values: ['nvme'] },
          ],
        },
      ],
      nodes[0]!,
      false,
    ],
    [
      'terms are ORed: the second matches',
      [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z'] }] }, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }],
      nodes[2]!,
      true,
    ],
    ['an empty term matches no node', [{}], nodes[0]!, false],
    ['no terms: every node', [], nodes[0]!, true],
  ];
  for (const [what, terms, n, expected] of table) it(what, () => assert.equal(matchesNodeAffinity(n, terms), expected));
});

describe('placeReplica: filters, then preferences', () => {
  const table: [
    string,
    { pods?: PlacedPod[]; nodeSelector?: Record<string, string>; placement?: Placement; nodes?: PlacementNode[] },
    string[],
    string[],
    RegExp | undefined,
  ][] = [
    ['no rules: every schedulable node, all preferred', {}, ['node1', 'node2', 'node3'], ['node1', 'node2', 'node3'], undefined],
    [
      'a node not ready or drained is never allowed',
      { nodes: [nodes[0]!, { ...nodes[1]!, schedulable: false }, nodes[2]!] },
      ['node1', 'node3'],
      ['node1', 'node3'],
      undefined,
    ],
    ['no node schedulable at all', { nodes: nodes.map((n) => ({ ...n, schedulable: false })) }, [], [], /no node is ready and active/],
    ['nodeSelector', { nodeSelector: { zone: 'a' } }, ['node1', 'node2'], ['node1', 'node2'], undefined],
    ['nodeSelector no node matches: named', { nodeSelector: { disk: 'hdd' } }, [], [], /no node matches its nodeSelector disk=hdd/],
    [
      'required node affinity',
      { placement: { nodeAffinity: [{ matchExpressions: [{ key: 'disk', operator: 'Exists' }] }] } },
      ['node1', 'node2'],
      ['node1', 'node2'],
      undefined,
    ],
    [
      'node affinity no node satisfies: the rule named',
      { placement: { nodeAffinity: [{ matchExpressions: [{ key: 'gpu', operator: 'In', values: ['a100'] }] }] } },
      [],
      [],
      /no node satisfies its required node affinity \(gpu In \[a100\]\)/,
    ],
    [
      'anti-affinity per hostname: off the node running web',
      { pods: [web('node1')], placement: { podAntiAffinity: [anti()] } },
      ['node2', 'node3'],
      ['node2', 'node3'],
      undefined,
    ],
    [
      'anti-affinity counts only its namespace by default',
      { pods: [web('node1', 'other')], placement: { podAntiAffinity: [anti()] } },
      ['node1', 'node2', 'node3'],
      ['node1', 'node2', 'node3'],
      undefined,
    ],
    [
      'anti-affinity with namespaces listed',
      { pods: [web('node1', 'other')], placement: { podAntiAffinity: [anti('kubernetes.io/hostname', ['other'])] } },
      ['node2', 'node3'],
      ['node2', 'node3'],
      undefined,
    ],
    [
      'anti-affinity per zone: zone a holds web, so node1 and node2 are out',
      { pods: [web('node2')], placement: { podAntiAffinity: [anti('zone')] } },
      ['node3'],
      ['node3'],
      undefined,
    ],
    [
      'anti-affinity with web on every node: pending, the rule named',
      { pods: [web('node1'), web('node2'), web('node3')], placement: { podAntiAffinity: [anti()] } },
      [],
      [],
      /already runs a pod its required podAntiAffinity keeps it from \(app=web per kubernetes.io\/hostname\)/,
    ],
    [
      'anti-affinity with no labelSelector matches no pod',
      { pods: [web('node1')], placement: { podAntiAffinity: [{ topologyKey: 'kubernetes.io/hostname' }] } },
      ['node1', 'node2', 'node3'],
      ['node1', 'node2', 'node3'],
      undefined,
    ],
    [
      'spread maxSkew 1 (DoNotSchedule): web ×2 node1, ×1 node2 → node3',
      { pods: [web('node1'), web('node1'), web('node2')], placement: { topologySpread: [byHost(1)] } },
      ['node3'],
      ['node3'],
      undefined,
    ],
    [
      'spread maxSkew 2: node2 too (1 + 1 - 0 = 2)',
      { pods: [web('node1'), web('node1'), web('node2')], placement: { topologySpread: [byHost(2)] } },
      ['node2', 'node3'],
      ['node2', 'node3'],
      undefined,
    ],
    [
      'spread counts only the domains the node rules allow (node3 excluded by nodeSelector: min is over node1, node2)',
      { pods: [web('node1')], nodeSelector: { zone: 'a' }, placement: { topologySpread: [byHost(1)] } },
      ['node2'],
      ['node2'],
      undefined,
    ],
    [
      'ScheduleAnyway is a preference only',
      { pods: [web('node1'), web('node1'), web('node2')], placement: { topologySpread: [byHost(1, false)] } },
      ['node1', 'node2', 'node3'],
      ['node3'],
      undefined,
    ],
    [
      'preferred anti-affinity: preferred off node1',
      { pods: [web('node1')], placement: { preferredPodAntiAffinity: [anti()] } },
      ['node1', 'node2', 'node3'],
      ['node2', 'node3'],
      undefined,
    ],
    [
      'a preference no allowed node meets is dropped, not fatal',
      { pods: [web('node1'), web('node2'), web('node3')], placement: { preferredPodAntiAffinity: [anti()] } },
      ['node1', 'node2', 'node3'],
      ['node1', 'node2', 'node3'],
      undefined,
    ],
    [
      'rules together: nvme-less zone a excluded by affinity, node3 by anti-affinity → node2',
      {
        pods: [web('node3')],
        placement: { nodeAffinity: [{ matchExpressions: [{ key: 'cpus', operator: 'Gt', values: ['5'] }] }], podAntiAffinity: [anti()] },
      },
      ['node2'],
      ['node2'],
      undefined,
    ],
  ];
  for (const [what, o, allowed, preferred, why] of table)
    it(what, () => {
      const v = placeReplica({ nodes: o.nodes ?? nodes, pods: o.pods ?? [], namespace: 'shop', nodeSelector: o.nodeSelector, placement: o.placement });
      assert.deepEqual([v.allowed, v.preferred], [allowed, preferred]);
      if (why) assert.match(v.unschedulable ?? '', why);
      else assert.equal(v.unschedulable, undefined);
    });
});

describe('downNodeToleration: how long a replica stays on a node that is down (Kubernetes taint manager)', () => {
  const unreachable = 'node.kubernetes.io/unreachable';
  const table: [string, Toleration[] | undefined, { seconds?: number } | undefined][] = [
    ['none: replaced at once', undefined, undefined],
    ['unreachable, NoExecute, 60 s', [{ key: unreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }], { seconds: 60 }],
    ['not-ready counts too', [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }], { seconds: 5 }],
    ['no tolerationSeconds: for good', [{ key: unreachable, operator: 'Exists', effect: 'NoExecute' }], {}],
    ['every effect (no effect given)', [{ key: unreachable, operator: 'Exists', tolerationSeconds: 9 }], { seconds: 9 }],
    ['Equal with no value matches the valueless taint', [{ key: unreachable, operator: 'Equal', effect: 'NoExecute', tolerationSeconds: 7 }], { seconds: 7 }],
    ['Equal with a value does not', [{ key: unreachable, operator: 'Equal', value: 'x', effect: 'NoExecute', tolerationSeconds: 7 }], undefined],
    ['NoSchedule only: not about eviction', [{ key: unreachable, operator: 'Exists', effect: 'NoSchedule' }], undefined],
    ['an empty key with Exists tolerates every taint, for good', [{ operator: 'Exists' }], {}],
    ['another taint: nothing', [{ key: 'dedicated', operator: 'Equal', value: 'db' }], undefined],
    [
      'several: the least seconds among those that have some',
      [
        { key: unreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
        { key: unreachable, operator: 'Exists', effect: 'NoExecute' },
      ],
      { seconds: 30 },
    ],
  ];
  for (const [what, tolerations, expected] of table) it(what, () => assert.deepEqual(downNodeToleration(tolerations), expected));
});

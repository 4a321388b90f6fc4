import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NamespaceTable, ServiceRoute } from '../../../src/proxy/control.js';
import {
  kernelChains,
  kernelJumps,
  kernelRoutes,
  kernelContent,
  kernelUpdate,
  kernelTargetsById,
  openKernelConnections,
  removalRuleset,
  takeOverRuleset,
} from '../../../src/proxy/kernel-rules.js';

const network = { subnet: '10.213.7.0/24', gateway: '10.213.7.1', bridge: 'br-test' };
const backend = (id: string, host = `10.213.7.${id.slice(1)}`, port = 8080) => ({ id, host, port });
const web = (over: Partial<ServiceRoute> = {}): ServiceRoute => ({
  name: 'web',
  clusterIP: '10.213.7.169',
  ports: [{ port: 80, backends: [backend('r5'), backend('r6')] }],
  ...over,
});
const table = (services: ServiceRoute[], over: Partial<NamespaceTable> = {}): NamespaceTable => ({
  namespace: 'shop',
  network,
  services,
  ingresses: [],
  ...over,
});
const carried = (tables: NamespaceTable[], draining: string[] = []) =>
  kernelRoutes(tables, (id) => draining.includes(id)).map((r) => `${r.namespace}/${r.service}:${r.port} → ${r.backends.map((b) => b.id).join(',')}`);

describe('kernelRoutes: which Service ports the kernel carries', () => {
  const rows: { name: string; tables: NamespaceTable[]; draining?: string[]; want: string[] }[] = [
    { name: 'a ClusterIP Service with ready backends', tables: [table([web()])], want: ['shop/web:80 → r5,r6'] },
    { name: 'a draining backend is left out', tables: [table([web()])], draining: ['r5'], want: ['shop/web:80 → r6'] },
    { name: 'every backend draining: the listener answers (closes at once)', tables: [table([web()])], draining: ['r5', 'r6'], want: [] },
    { name: 'no backend', tables: [table([web({ ports: [{ port: 80, backends: [] }] })])], want: [] },
    {
      name: 'a NetworkPolicy in the namespace: the data plane decides per peer',
      tables: [table([web()], { policies: [{ name: 'p', podSelector: {}, ingress: [] }] })],
      want: [],
    },
    { name: 'sessionAffinity ClientIP', tables: [table([web({ sessionAffinity: 'ClientIP' })])], want: [] },
    { name: 'metered by an autoscaler', tables: [table([web({ metered: true })])], want: [] },
    { name: 'headless (no virtual address)', tables: [table([web({ clusterIP: undefined })])], want: [] },
    { name: 'no network', tables: [table([web()], { network: undefined })], want: [] },
    {
      name: 'a bridge name that is no interface name never reaches the rule text',
      tables: [table([web()], { network: { ...network, bridge: 'br-x -j ACCEPT' } })],
      want: [],
    },
    { name: 'a bridge name longer than an interface name can be', tables: [table([web()], { network: { ...network, bridge: 'br-0123456789abc' } })], want: [] },
    {
      name: 'a backend reached through a published port (outside the subnet) keeps the port on the listener',
      tables: [table([web({ ports: [{ port: 80, backends: [backend('r5'), backend('r9', '127.0.0.1', 32768)] }] })])],
      want: [],
    },
    { name: 'a virtual address outside the subnet', tables: [table([web({ clusterIP: '10.213.8.169' })])], want: [] },
    { name: 'a non-canonical address never reaches the rule text', tables: [table([web({ clusterIP: '10.213.7.169 -j ACCEPT' })])], want: [] },
    {
      name: 'a backend address that is not canonical',
      tables: [table([web({ ports: [{ port: 80, backends: [backend('r5', '10.213.7.05')] }] })])],
      want: [],
    },
    {
      name: 'several ports and namespaces, each on its own',
      tables: [
        table([
          web({
            ports: [
              { port: 80, backends: [backend('r5')] },
              { port: 443, backends: [] },
            ],
          }),
        ]),
        table([web({ clusterIP: '10.213.9.130', ports: [{ port: 80, backends: [backend('b2', '10.213.9.2'), backend('b3', '10.213.9.3')] }] })], {
          namespace: 'blog',
          network: { ...network, subnet: '10.213.9.0/24' },
        }),
      ],
      want: ['shop/web:80 → r5', 'blog/web:80 → b2,b3'],
    },
  ];
  for (const row of rows) it(row.name, () => assert.deepEqual(carried(row.tables, row.draining), row.want));
});

describe('kernelContent and kernelUpdate', () => {
  const chains = kernelChains('0123abcd');
  const hash = (ns: string) => ({ shop: 'aaaaaaaa', blog: 'bbbbbbbb' })[ns]!;
  const three = web({
    ports: [
      { port: 80, backends: [backend('r5'), backend('r6'), backend('r7')] },
      { port: 81, backends: [backend('r5', undefined, 9090)] },
    ],
  });
  const blog = table([web({ clusterIP: '10.213.9.130', ports: [{ port: 80, backends: [backend('b2', '10.213.9.2')] }] })], {
    namespace: 'blog',
    network: { ...network, subnet: '10.213.9.0/24' },
  });
  const content = (tables: NamespaceTable[], draining: string[] = []) =>
    kernelContent(
      chains,
      kernelRoutes(tables, (id) => draining.includes(id)),
      hash,
    );

  it('a chain per namespace: a DNAT cascade per port (kube-proxy probabilities 1/n, 1/(n-1), … then the last); a jump per subnet; a masquerade per Service range', () => {
    assert.deepEqual(Object.fromEntries(content([table([three])])), {
      'BERTH-SVC-0123abcd': ['-A BERTH-SVC-0123abcd -s 10.213.7.0/24 -i br-test -j BERTH-NS-0123abcd-aaaaaaaa'],
      'BERTH-MASQ-0123abcd': ['-A BERTH-MASQ-0123abcd -m conntrack --ctstate DNAT --ctorigdst 10.213.7.128/25 -j MASQUERADE'],
      'BERTH-NS-0123abcd-aaaaaaaa': [
        '-A BERTH-NS-0123abcd-aaaaaaaa -d 10.213.7.169/32 -p tcp -m tcp --dport 80 -m statistic --mode random --probability 0.3333333333 -j DNAT --to-destination 10.213.7.5:8080',
        '-A BERTH-NS-0123abcd-aaaaaaaa -d 10.213.7.169/32 -p tcp -m tcp --dport 80 -m statistic --mode random --probability 0.5000000000 -j DNAT --to-destination 10.213.7.6:8080',
        '-A BERTH-NS-0123abcd-aaaaaaaa -d 10.213.7.169/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.213.7.7:8080',
        '-A BERTH-NS-0123abcd-aaaaaaaa -d 10.213.7.169/32 -p tcp -m tcp --dport 81 -j DNAT --to-destination 10.213.7.5:9090',
      ],
    });
  });

  it('a drain in one namespace rewrites that namespace’s chain only', () => {
    const before = content([table([three]), blog]);
    assert.equal(
      kernelUpdate(before, content([table([three]), blog], ['r6'])),
      [
        '*nat',
        ':BERTH-NS-0123abcd-aaaaaaaa - [0:0]',
        '-A BERTH-NS-0123abcd-aaaaaaaa -d 10.213.7.169/32 -p tcp -m tcp --dport 80 -m statistic --mode random --probability 0.5000000000 -j DNAT --to-destination 10.213.7.5:8080',
        '-A BERTH-NS-0123abcd-aaaaaaaa -d 10.213.7.169/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.213.7.7:8080',
        '-A BERTH-NS-0123abcd-aaaaaaaa -d 10.213.7.169/32 -p tcp -m tcp --dport 81 -j DNAT --to-destination 10.213.7.5:9090',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('a namespace gone: the jumps are rewritten, then its chain is emptied and deleted', () => {
    assert.equal(
      kernelUpdate(content([table([three]), blog]), content([blog])),
      [
        '*nat',
        ':BERTH-SVC-0123abcd - [0:0]',
        ':BERTH-MASQ-0123abcd - [0:0]',
        ':BERTH-NS-0123abcd-aaaaaaaa - [0:0]',
        '-A BERTH-SVC-0123abcd -s 10.213.9.0/24 -i br-test -j BERTH-NS-0123abcd-bbbbbbbb',
        '-A BERTH-MASQ-0123abcd -m conntrack --ctstate DNAT --ctorigdst 10.213.9.128/25 -j MASQUERADE',
        '-X BERTH-NS-0123abcd-aaaaaaaa',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('nothing changed: nothing to write', () => assert.equal(kernelUpdate(content([blog]), content([blog])), undefined));
  it('no route: the two chains, empty', () => {
    assert.equal(kernelUpdate(new Map(), content([])), '*nat\n:BERTH-SVC-0123abcd - [0:0]\n:BERTH-MASQ-0123abcd - [0:0]\nCOMMIT\n');
  });
});

describe('openKernelConnections (what a drain waits for)', () => {
  const timeouts = { syn_sent: 120, syn_recv: 60, established: 432000, fin_wait: 120, close_wait: 60, last_ack: 30 };
  const line = (state: string, remaining: number, to = '10.213.7.5 dst=10.213.7.1 sport=8080', dst = '10.213.7.169', dport = 80) =>
    `ipv4     2 tcp      6 ${remaining} ${state} src=10.213.7.9 dst=${dst} sport=40000 dport=${dport} src=${to} dport=40000 [ASSURED] mark=0 zone=0 use=2`;
  const routes = kernelRoutes([table([web()])], () => false);
  const targets = kernelTargetsById(routes).get('r5')!;
  const rows: { name: string; lines: string[]; want: number }[] = [
    { name: 'an established connection with a packet just now', lines: [line('ESTABLISHED', 431999)], want: 1 },
    { name: 'quiet for longer than 5 s (a replica that died): not waited for', lines: [line('ESTABLISHED', 431990)], want: 0 },
    { name: 'TIME_WAIT is over', lines: [line('TIME_WAIT', 119)], want: 0 },
    { name: 'CLOSE is over', lines: [line('CLOSE', 9)], want: 0 },
    { name: 'the server closing (FIN_WAIT), recent', lines: [line('FIN_WAIT', 118)], want: 1 },
    { name: 'a SYN not answered yet', lines: [line('SYN_SENT', 120).replace('[ASSURED]', '[UNREPLIED]')], want: 1 },
    { name: 'another backend', lines: [line('ESTABLISHED', 431999, '10.213.7.6 dst=10.213.7.1 sport=8080')], want: 0 },
    {
      name: 'the same backend reached directly (not through the Service address)',
      lines: [line('ESTABLISHED', 431999, undefined, '10.213.7.5', 8080)],
      want: 0,
    },
    { name: 'another port of the same address', lines: [line('ESTABLISHED', 431999, undefined, undefined, 81)], want: 0 },
    {
      name: 'udp lines are skipped',
      lines: ['ipv4 2 udp 17 29 src=10.213.7.9 dst=10.213.7.169 sport=1 dport=80 src=10.213.7.5 dst=10.213.7.1 sport=8080 dport=1'],
      want: 0,
    },
    { name: 'counts each', lines: [line('ESTABLISHED', 432000), line('CLOSE_WAIT', 59), line('LAST_ACK', 30), line('TIME_WAIT', 100)], want: 3 },
  ];
  for (const row of rows) it(row.name, () => assert.equal(openKernelConnections(row.lines.join('\n'), targets, timeouts), row.want));
  it('no target: nothing to read', () => assert.equal(openKernelConnections(line('ESTABLISHED', 432000), [], timeouts), 0));
});

describe('taking the chains over and removing them', () => {
  const mine = kernelChains('aaaaaaaa');
  const saved = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':BERTH-SVC-aaaaaaaa - [0:0]',
    ':BERTH-MASQ-aaaaaaaa - [0:0]',
    ':BERTH-NS-aaaaaaaa-11111111 - [0:0]',
    ':BERTH-SVC-bbbbbbbb - [0:0]',
    ':BERTH-MASQ-bbbbbbbb - [0:0]',
    ':BERTH-NS-bbbbbbbb-22222222 - [0:0]',
    ':BERTH-SVC-cccccccc - [0:0]',
    ':BERTH-NS-cccccccc-33333333 - [0:0]',
    '-A PREROUTING -m comment --comment berth-pid=100 -j BERTH-SVC-aaaaaaaa',
    '-A PREROUTING -m comment --comment berth-pid=200 -j BERTH-SVC-bbbbbbbb',
    '-A PREROUTING -m comment --comment "berth-pid=300" -j BERTH-SVC-cccccccc',
    '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
    '-A POSTROUTING -m comment --comment berth-pid=100 -j BERTH-MASQ-aaaaaaaa',
    '-A POSTROUTING -m comment --comment berth-pid=200 -j BERTH-MASQ-bbbbbbbb',
    '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
    'COMMIT',
  ].join('\n');
  it('finds the jumps into berth chains with the pid that made them (Docker rules are not ours)', () => {
    assert.deepEqual(
      kernelJumps(saved).map((j) => `${j.hook} ${j.chain} ${j.pid}`),
      [
        'PREROUTING BERTH-SVC-aaaaaaaa 100',
        'PREROUTING BERTH-SVC-bbbbbbbb 200',
        'PREROUTING BERTH-SVC-cccccccc 300',
        'POSTROUTING BERTH-MASQ-aaaaaaaa 100',
        'POSTROUTING BERTH-MASQ-bbbbbbbb 200',
      ],
    );
  });
  it('takes its own chains over (its namespace chains of an earlier life deleted) and removes those of data planes that are gone; a live one is left alone', () => {
    const text = takeOverRuleset(mine, 999, saved, (pid) => pid === 300);
    assert.equal(
      text,
      [
        '*nat',
        ':BERTH-SVC-aaaaaaaa - [0:0]',
        ':BERTH-MASQ-aaaaaaaa - [0:0]',
        ':BERTH-NS-aaaaaaaa-11111111 - [0:0]',
        ':BERTH-SVC-bbbbbbbb - [0:0]',
        ':BERTH-MASQ-bbbbbbbb - [0:0]',
        ':BERTH-NS-bbbbbbbb-22222222 - [0:0]',
        '-D PREROUTING -m comment --comment berth-pid=100 -j BERTH-SVC-aaaaaaaa',
        '-D PREROUTING -m comment --comment berth-pid=200 -j BERTH-SVC-bbbbbbbb',
        '-D POSTROUTING -m comment --comment berth-pid=100 -j BERTH-MASQ-aaaaaaaa',
        '-D POSTROUTING -m comment --comment berth-pid=200 -j BERTH-MASQ-bbbbbbbb',
        '-X BERTH-NS-aaaaaaaa-11111111',
        '-X BERTH-SVC-bbbbbbbb',
        '-X BERTH-MASQ-bbbbbbbb',
        '-X BERTH-NS-bbbbbbbb-22222222',
        '-I PREROUTING 1 -m comment --comment berth-pid=999 -j BERTH-SVC-aaaaaaaa',
        '-I POSTROUTING 1 -m comment --comment berth-pid=999 -j BERTH-MASQ-aaaaaaaa',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });
  it('a live data plane of the same state file keeps its jumps into these chains (two racing to start)', () => {
    const text = takeOverRuleset(mine, 999, saved, (pid) => pid === 100);
    assert.doesNotMatch(text, /-D PREROUTING -m comment --comment berth-pid=100/);
    assert.match(text, /-D PREROUTING -m comment --comment berth-pid=200 -j BERTH-SVC-bbbbbbbb/);
    assert.match(text, /-I PREROUTING 1 -m comment --comment berth-pid=999 -j BERTH-SVC-aaaaaaaa/);
    // The loser stops again: its own jumps go, the chains stay for the winner.
    const both = `${saved}\n-A PREROUTING -m comment --comment "berth-pid=999" -j BERTH-SVC-aaaaaaaa`;
    assert.equal(removalRuleset(mine, 999, both), '*nat\n-D PREROUTING -m comment --comment "berth-pid=999" -j BERTH-SVC-aaaaaaaa\nCOMMIT\n');
  });
  it('a graceful stop removes only its own', () => {
    assert.equal(
      removalRuleset(mine, 100, saved),
      [
        '*nat',
        ':BERTH-SVC-aaaaaaaa - [0:0]',
        ':BERTH-MASQ-aaaaaaaa - [0:0]',
        ':BERTH-NS-aaaaaaaa-11111111 - [0:0]',
        '-D PREROUTING -m comment --comment berth-pid=100 -j BERTH-SVC-aaaaaaaa',
        '-D POSTROUTING -m comment --comment berth-pid=100 -j BERTH-MASQ-aaaaaaaa',
        '-X BERTH-SVC-aaaaaaaa',
        '-X BERTH-MASQ-aaaaaaaa',
        '-X BERTH-NS-aaaaaaaa-11111111',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { age, getDeployments, getKind, getNamespaces, getPods, getServices, nothingFound, renderTable } from '../../../src/cli/get.js';
import type { PodStatus } from '../../../src/observed/index.js';
import type { NamespaceStatus, StoreState } from '../../../src/store/index.js';

const NOW = new Date('2030-01-01T12:00:00.000Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

describe('age: kubectl’s human duration', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [45, '45s'],
    [119, '119s'],
    [120, '2m'],
    [150, '2m30s'],
    [599, '9m59s'],
    [600, '10m'],
    [2 * 3600, '120m'],
    [3 * 3600, '3h'],
    [5.5 * 3600, '5h30m'],
    [30 * 3600, '30h'],
    [48 * 3600, '2d'],
    [76 * 3600, '3d4h'],
    [20 * 86400, '20d'],
    [-30, '0s'], // a clock behind the engine's: never negative
  ];
  for (const [seconds, want] of cases) it(`${seconds} s → ${want}`, () => assert.equal(age(ago(seconds), NOW), want));
  it('no time, or not a time → <unknown>', () => {
    assert.equal(age(undefined, NOW), '<unknown>');
    assert.equal(age('yesterday', NOW), '<unknown>');
  });
});

describe('getKind: kubectl’s names', () => {
  const cases: [string, string][] = [
    ['pods', 'pods'],
    ['pod', 'pods'],
    ['po', 'pods'],
    ['PODS', 'pods'],
    ['deploy', 'deployments'],
    ['deployment', 'deployments'],
    ['svc', 'services'],
    ['service', 'services'],
    ['ns', 'namespaces'],
    ['namespace', 'namespaces'],
  ];
  for (const [given, want] of cases) it(`${given} → ${want}`, () => assert.equal(getKind(given), want));
  for (const bad of ['replicasets', 'constructor', '__proto__', '', 'pods,svc'])
    it(`${JSON.stringify(bad)} is refused with the allowed names`, () =>
      assert.throws(() => getKind(bad), /not a kind berth gets; allowed: namespaces \(ns\)/));
});

describe('renderTable', () => {
  it('left-aligned columns three spaces apart, no trailing blanks', () => {
    assert.equal(
      renderTable(
        ['NAME', 'READY', 'STATUS'],
        [
          ['web-a-0', '1/1', 'Running'],
          ['api-b-10', '0/1', ''],
        ],
      ),
      'NAME       READY   STATUS\nweb-a-0    1/1     Running\napi-b-10   0/1\n',
    );
  });
  it('nothing found: kubectl’s words', () => {
    assert.equal(nothingFound({ namespace: 'shop' }), 'No resources found in shop namespace.');
    assert.equal(nothingFound({}), 'No resources found');
  });
});

function ns(name: string, o: Partial<NamespaceStatus> = {}): NamespaceStatus {
  return { namespace: name, phase: 'Synced', conditions: [], deployments: [], diagnostics: [], updatedAt: ago(30), lastAppliedCommit: 'a'.repeat(40), ...o };
}

const STATE: StoreState = {
  version: 1,
  namespaces: {
    shop: ns('shop', {
      deployments: [
        { name: 'web', revision: 'r1', replicas: 3, updatedReplicas: 3, availableReplicas: 2, phase: 'Progressing', message: 'waiting' },
        { name: 'api', revision: 'r2', replicas: 1, updatedReplicas: 1, availableReplicas: 1, phase: 'Complete' },
      ],
      services: [
        { name: 'web', port: 80, type: 'ClusterIP', clusterIP: '10.213.0.10', endpoints: 2 },
        { name: 'web', port: 443, type: 'ClusterIP', clusterIP: '10.213.0.10', endpoints: 2 },
        { name: 'node', port: 80, type: 'NodePort', clusterIP: '10.213.0.11', listen: '127.0.0.1:30080', endpoints: 1 },
        { name: 'lb', port: 8080, type: 'LoadBalancer', clusterIP: '10.213.0.12', listen: '0.0.0.0:8080', endpoints: 0, error: 'address in use' },
        { name: 'db', port: 5432, clusterIP: 'None', endpoints: 3 },
      ],
    }),
    blog: ns('blog', { phase: 'Invalid', message: 'invalid manifests', deployments: [] }),
  },
};

describe('getNamespaces / getDeployments / getServices from the status', () => {
  it('namespaces: sorted; wide adds the attempted commit and the message', () => {
    const r = getNamespaces(STATE, { wide: true, now: NOW });
    assert.deepEqual(r.header, ['NAME', 'STATUS', 'COMMIT', 'DEPLOYMENTS', 'LAST PASS', 'ATTEMPTED', 'MESSAGE']);
    assert.deepEqual(r.rows, [
      ['blog', 'Invalid', 'aaaaaaaaaaaa', '0', '30s', '<none>', 'invalid manifests'],
      ['shop', 'Synced', 'aaaaaaaaaaaa', '2', '30s', '<none>', ''],
    ]);
    assert.deepEqual(
      getNamespaces(STATE, { name: 'shop', wide: false, now: NOW }).rows.map((x) => x[0]),
      ['shop'],
    );
  });

  it('deployments: READY = available/desired; a NAMESPACE column only across namespaces; by name', () => {
    const all = getDeployments(STATE, { wide: false, now: NOW });
    assert.deepEqual(all.header, ['NAMESPACE', 'NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'PHASE']);
    assert.deepEqual(all.rows, [
      ['shop', 'web', '2/3', '3', '2', 'Progressing'],
      ['shop', 'api', '1/1', '1', '1', 'Complete'],
    ]);
    const one = getDeployments(STATE, { namespace: 'shop', name: 'web', wide: true, now: NOW });
    assert.deepEqual(one.rows, [['web', '2/3', '3', '2', 'Progressing', 'r1', 'waiting']]);
    assert.equal(getDeployments(STATE, { namespace: 'other', wide: false, now: NOW }).items.length, 0);
  });

  it('services: one row per Service; ports joined; NodePort shows its host port, LoadBalancer its address; headless None', () => {
    const r = getServices(STATE, { namespace: 'shop', wide: true, now: NOW });
    assert.deepEqual(r.header, ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'ENDPOINTS', 'ERROR']);
    assert.deepEqual(r.rows, [
      ['db', 'ClusterIP', 'None', '<none>', '5432/TCP', '3', ''],
      ['lb', 'LoadBalancer', '10.213.0.12', '0.0.0.0', '8080/TCP', '0', 'address in use'],
      ['node', 'NodePort', '10.213.0.11', '<none>', '80:30080/TCP', '1', ''],
      ['web', 'ClusterIP', '10.213.0.10', '<none>', '80/TCP,443/TCP', '2', ''],
    ]);
  });
});

describe('getPods', () => {
  const pod = (o: Partial<PodStatus>): PodStatus => ({
    namespace: 'shop',
    deployment: 'web',
    name: 'web-r1-0',
    container: 'shop.web.r1.0',
    id: 'id',
    revision: 'r1',
    replica: 0,
    commit: 'c',
    image: 'busybox:1.36',
    status: 'Running',
    ready: true,
    restarts: 0,
    created: ago(90),
    ...o,
  });
  it('READY n/1, RESTARTS with how long ago, AGE; wide: address, node, revision, engine name, reason', () => {
    const r = getPods(
      [
        pod({}),
        pod({
          name: 'web-r1-1',
          container: 'shop.web.r1.1',
          ready: false,
          reason: 'HTTP 503',
          restarts: 2,
          lastRestart: ago(300),
          address: '10.0.0.3',
          node: 'node2',
        }),
        pod({ namespace: 'blog', name: 'x-r-0' }),
      ],
      { namespace: 'shop', wide: true, now: NOW },
    );
    assert.deepEqual(r.rows, [
      ['web-r1-0', '1/1', 'Running', '0', '90s', '<none>', '<none>', 'r1', 'shop.web.r1.0', ''],
      ['web-r1-1', '0/1', 'Running', '2 (5m ago)', '90s', '10.0.0.3', 'node2', 'r1', 'shop.web.r1.1', 'HTTP 503'],
    ]);
    assert.deepEqual(getPods([pod({}), pod({ name: 'web-r1-1' })], { name: 'web-r1-1', wide: false, now: NOW }).rows, [
      ['shop', 'web-r1-1', '1/1', 'Running', '0', '90s'],
    ]);
  });
});

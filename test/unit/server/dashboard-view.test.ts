import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodStatus } from '../../../src/observed/index.js';
import { dashboardView, deploymentHealth, namespaceHealth } from '../../../src/server/dashboard-view.js';
import type { DesiredState } from '../../../src/desired/index.js';
import type { DeploymentStatus, NamespaceStatus, StoreState } from '../../../src/store/index.js';

const T = '2026-12-04T06:00:00.000Z';

function deployment(name: string, phase: DeploymentStatus['phase'], extra: Partial<DeploymentStatus> = {}): DeploymentStatus {
  return { name, revision: 'r2', replicas: 2, updatedReplicas: 2, availableReplicas: 2, phase, ...extra };
}

function ns(namespace: string, phase: NamespaceStatus['phase'], deployments: DeploymentStatus[], extra: Partial<NamespaceStatus> = {}): NamespaceStatus {
  return { namespace, phase, conditions: [], deployments, diagnostics: [], updatedAt: T, ...extra };
}

function pod(deployment: string, revision: string, replica: number, extra: Partial<PodStatus> = {}): PodStatus {
  return {
    namespace: 'shop',
    deployment,
    name: `${deployment}-${revision}-${replica}`,
    container: `i.shop.${deployment}.${revision}.${replica}`,
    id: `id-${deployment}-${revision}-${replica}`,
    revision,
    replica,
    commit: `c-${revision}`,
    image: 'busybox:1.36',
    status: 'Running',
    ready: true,
    restarts: 0,
    created: T,
    ...extra,
  };
}

describe('health', () => {
  const table: [DeploymentStatus['phase'], string][] = [
    ['Complete', 'Healthy'],
    ['Progressing', 'Progressing'],
    ['Waiting', 'Progressing'],
    ['Failed', 'Degraded'],
    ['RolledBack', 'Degraded'],
  ];
  for (const [phase, want] of table) it(`a ${phase} Deployment is ${want}`, () => assert.equal(deploymentHealth(phase), want));

  const namespaces: [string, NamespaceStatus, string][] = [
    ['all complete', ns('a', 'Synced', [deployment('x', 'Complete'), deployment('y', 'Complete')]), 'Healthy'],
    ['no Deployments', ns('a', 'Synced', []), 'Healthy'],
    ['one progressing', ns('a', 'Progressing', [deployment('x', 'Complete'), deployment('y', 'Progressing')]), 'Progressing'],
    ['the worst wins', ns('a', 'Progressing', [deployment('x', 'Failed'), deployment('y', 'Progressing')]), 'Degraded'],
    ['a pass that errored', ns('a', 'Error', [deployment('x', 'Complete')]), 'Degraded'],
    ['invalid head, the last valid commit runs healthy', ns('a', 'Invalid', [deployment('x', 'Complete')]), 'Healthy'],
    ['pruned', ns('a', 'Pruned', []), 'Missing'],
  ];
  for (const [name, status, want] of namespaces) it(`namespace: ${name} → ${want}`, () => assert.equal(namespaceHealth(status), want));
});

describe('dashboardView: the commit of a card', () => {
  const source = { description: 'file:///repo', commit: 'c-head', subject: 'web v2', author: 'Ada', committedAt: T, updatedAt: T };
  const cases: { name: string; status: Partial<NamespaceStatus>; want: unknown }[] = [
    {
      name: 'at the head: sha, subject, author, time',
      status: { lastAppliedCommit: 'c-head' },
      want: { sha: 'c-head', subject: 'web v2', author: 'Ada', time: T },
    },
    {
      name: 'behind the head: the sha only (berth keeps the head commit only)',
      status: { lastAppliedCommit: 'c-old', lastAttemptedCommit: 'c-head' },
      want: { sha: 'c-old' },
    },
    {
      name: 'never applied: the commit attempted',
      status: { lastAttemptedCommit: 'c-head' },
      want: { sha: 'c-head', subject: 'web v2', author: 'Ada', time: T },
    },
    { name: 'no pass with a commit yet: none', status: {}, want: undefined },
  ];
  for (const c of cases)
    it(c.name, () => {
      const view = dashboardView({ version: 1, source, namespaces: { shop: ns('shop', 'Synced', [], c.status) } }, []);
      assert.deepEqual(view.namespaces[0]!.commit, c.want);
    });
  it('a source written before subjects were kept: the sha only', () => {
    const view = dashboardView(
      {
        version: 1,
        source: { description: 'x', commit: 'c-head', updatedAt: T },
        namespaces: { shop: ns('shop', 'Synced', [], { lastAppliedCommit: 'c-head' }) },
      },
      [],
    );
    assert.deepEqual(view.namespaces[0]!.commit, { sha: 'c-head' });
  });
});

describe('dashboardView: the tree', () => {
  const state: StoreState = {
    version: 1,
    source: { description: 'file:///repo', commit: 'c-head', updatedAt: T },
    namespaces: {
      shop: ns(
        'shop',
        'Progressing',
        [deployment('web', 'Progressing', { pinnedTo: 'r1@c-r1', message: 'rolling' }), deployment('api', 'Complete', { revision: 'a1', replicas: 1 })],
        {
          lastAppliedCommit: 'c-old',
          lastAttemptedCommit: 'c-head',
          services: [{ name: 'web', port: 80, clusterIP: '10.0.0.5', endpoints: 1 }],
          volumes: [{ name: 'data', volume: 'berth-data', phase: 'Bound', storage: '1Gi' }],
          diagnostics: [{ severity: 'warning', code: 'W', message: 'careful', file: 'shop/web.yaml', line: 3 }],
        },
      ),
      blog: ns('blog', 'Synced', []),
    },
    autoscalers: {
      'shop/web-hpa': {
        namespace: 'shop',
        name: 'web-hpa',
        target: 'web',
        replicas: 2,
        recommendations: [{ at: 1, replicas: 2 }],
        events: [],
        metrics: [{ metric: 'cpu', target: 50, current: 20 }],
        conditions: [{ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'long text' }],
        updatedAt: T,
      },
      'blog/x': { namespace: 'blog', name: 'x', target: 'nothing', replicas: 1, recommendations: [], events: [], updatedAt: T },
    },
  };
  const pods = [
    pod('web', 'r1', 1, { ready: false, reason: 'probe failed', status: 'Terminating' }),
    pod('web', 'r2', 1),
    pod('web', 'r2', 0, { restarts: 3, address: '10.0.0.9' }),
    pod('api', 'a1', 0),
    { ...pod('web', 'r2', 0), namespace: 'other' },
  ];
  const view = dashboardView(state, pods);

  it('namespaces sorted by name, with sync, health, commits and the last pass', () => {
    assert.deepEqual(
      view.namespaces.map((n) => [n.name, n.sync, n.health, n.lastAppliedCommit, n.lastAttemptedCommit, n.lastPass]),
      [
        ['blog', 'Synced', 'Healthy', undefined, undefined, T],
        ['shop', 'Progressing', 'Progressing', 'c-old', 'c-head', T],
      ],
    );
    assert.deepEqual(view.source, { commit: 'c-head', updatedAt: T }, 'the source without its description');
  });

  it('Deployment → revisions (current first, then the old ones with replicas) → replicas by ordinal', () => {
    const shop = view.namespaces.find((n) => n.name === 'shop')!;
    assert.deepEqual(
      shop.deployments.map((d) => d.name),
      ['api', 'web'],
    );
    const web = shop.deployments.find((d) => d.name === 'web')!;
    assert.deepEqual(
      web.revisions.map((r) => [r.revision, r.current, r.commit, r.replicas.map((p) => p.name)]),
      [
        ['r2', true, 'c-r2', ['web-r2-0', 'web-r2-1']],
        ['r1', false, 'c-r1', ['web-r1-1']],
      ],
    );
    assert.equal(web.readyReplicas, 2, 'ready replicas of every revision');
    assert.equal(web.pinnedTo, 'r1@c-r1');
    assert.equal(web.autoscaler, 'web-hpa');
    assert.deepEqual(web.revisions[0]!.replicas[0], {
      name: 'web-r2-0',
      container: 'i.shop.web.r2.0',
      status: 'Running',
      ready: true,
      restarts: 3,
      address: '10.0.0.9',
      image: 'busybox:1.36',
    });
    assert.equal(web.revisions[1]!.replicas[0]!.reason, 'probe failed');
  });

  it("a Pod's containers under its replica (name, state, readiness, sidecar), never their engine ids", () => {
    const containers = [
      { name: 'proxy', id: 'id-proxy', state: 'running', ready: true, sidecar: true as const },
      { name: 'web', id: 'id-web', state: 'exited', ready: false, exitCode: 2 },
    ];
    const [one] = dashboardView(state, [pod('web', 'r2', 0, { containers })])
      .namespaces.find((n) => n.name === 'shop')!
      .deployments.find((d) => d.name === 'web')!.revisions[0]!.replicas;
    assert.deepEqual(one?.containers, [
      { name: 'proxy', state: 'running', ready: true, sidecar: true },
      { name: 'web', state: 'exited', ready: false },
    ]);
  });

  it('a Deployment without replicas still shows its current revision, empty', () => {
    const v = dashboardView(state, []);
    const web = v.namespaces.find((n) => n.name === 'shop')!.deployments.find((d) => d.name === 'web')!;
    assert.deepEqual(web.revisions, [{ revision: 'r2', current: true, replicas: [] }]);
    assert.equal(web.readyReplicas, 0);
  });

  it('Services, volumes, HPAs (of their namespace only) and diagnostics', () => {
    const shop = view.namespaces.find((n) => n.name === 'shop')!;
    assert.deepEqual(shop.services, [{ name: 'web', type: 'ClusterIP', port: 80, clusterIP: '10.0.0.5', endpoints: 1 }]);
    assert.deepEqual(shop.volumes, [{ name: 'data', volume: 'berth-data', phase: 'Bound', storage: '1Gi' }]);
    assert.deepEqual(shop.autoscalers, [
      {
        name: 'web-hpa',
        target: 'web',
        replicas: 2,
        metrics: [{ metric: 'cpu', target: 50, current: 20 }],
        conditions: [{ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale' }],
      },
    ]);
    assert.deepEqual(shop.diagnostics, [{ severity: 'warning', message: 'careful', file: 'shop/web.yaml', line: 3 }]);
    assert.deepEqual(
      view.namespaces.find((n) => n.name === 'blog')!.autoscalers.map((a) => a.name),
      ['x'],
    );
  });

  it('copies only the fields it names: a member the store gains later does not reach the browser', () => {
    const leaky = {
      ...state,
      namespaces: {
        shop: { ...ns('shop', 'Synced', [{ ...deployment('web', 'Complete'), env: { PASSWORD: 'hunter2' } } as DeploymentStatus]), secret: 'hunter2' },
      },
    } as StoreState;
    const text = JSON.stringify(dashboardView(leaky, [{ ...pod('web', 'r2', 0), env: ['PASSWORD=hunter2'] } as PodStatus]));
    assert.ok(!text.includes('hunter2'), text);
    assert.ok(!JSON.stringify(view).includes('file:///repo'), 'no source description (it may name a host)');
  });
});

describe('dashboardView: Ingresses and ConfigMaps of the head commit (names and keys, never values)', () => {
  const desired = {
    commit: 'c-head',
    diagnostics: [],
    namespaces: [
      {
        name: 'shop',
        valid: true,
        deployments: [
          {
            name: 'web',
            template: {
              env: [
                { name: 'DB_PASSWORD', secretRef: { secret: 'db', key: 'password', source: { file: '/run/secrets/db-password' } } },
                { name: 'MODE', value: 'fast' },
              ],
              mounts: [
                {
                  volume: 'tls',
                  mountPath: '/tls',
                  readOnly: true,
                  source: { kind: 'secret', secret: 'tls', files: [{ path: 'crt', secret: 'tls', key: 'crt', source: { env: 'TLS_CRT' }, mode: 0o444 }] },
                },
              ],
              sidecars: [{ name: 'proxy', env: [{ name: 'DB_USER', secretRef: { secret: 'db', key: 'user', source: { env: 'DB_USER' } } }] }],
            },
          },
          { name: 'worker', template: { env: [{ name: 'P', secretRef: { secret: 'db', key: 'password', source: { env: 'P' } } }] } },
        ],
        ingresses: [
          {
            namespace: 'shop',
            name: 'front',
            rules: [
              {
                host: 'shop.test',
                paths: [
                  { path: '/', pathType: 'Prefix', backend: { service: 'web', port: 80 } },
                  { path: '/api', pathType: 'Exact', backend: { service: 'api', port: 'http' } },
                ],
              },
              { paths: [{ path: '/health', pathType: 'Prefix', backend: { service: 'web', port: 80 } }] },
            ],
            defaultBackend: { service: 'web', port: 80 },
            source: { file: 'shop/ingress.yaml', document: 0, line: 1 },
          },
        ],
        configMaps: [
          {
            namespace: 'shop',
            name: 'settings',
            hash: 'h',
            immutable: true,
            content: { data: { mode: 'fast-value', greeting: 'hello-value' }, binaryData: { logo: 'aGVsbG8=' } },
            source: { file: 'shop/settings.yaml', document: 0, line: 1 },
          },
        ],
      },
    ],
  } as unknown as DesiredState;
  const state: StoreState = { version: 1, namespaces: { shop: ns('shop', 'Synced', []), blog: ns('blog', 'Synced', []) } };
  const view = dashboardView(state, [], desired);
  const shop = view.namespaces.find((n) => n.name === 'shop')!;

  it('each Ingress rule as host + path → service:port', () => {
    assert.deepEqual(shop.ingresses, [
      {
        name: 'front',
        routes: [
          { host: 'shop.test', path: '/', pathType: 'Prefix', backend: 'web:80' },
          { host: 'shop.test', path: '/api', pathType: 'Exact', backend: 'api:http' },
          { path: '/health', pathType: 'Prefix', backend: 'web:80' },
        ],
        defaultBackend: 'web:80',
      },
    ]);
  });
  it('each ConfigMap with its keys, sorted; no value anywhere in the view', () => {
    assert.deepEqual(shop.configMaps, [{ name: 'settings', keys: ['greeting', 'logo', 'mode'], immutable: true }]);
    const json = JSON.stringify(view);
    for (const value of ['fast-value', 'hello-value', 'aGVsbG8=']) assert.ok(!json.includes(value), value);
  });
  it('each Secret its templates use (every container, env and volumes): the keys used and by whom; never a value or its source', () => {
    assert.deepEqual(shop.secrets, [
      { name: 'db', keys: ['password', 'user'], usedBy: ['web', 'worker'] },
      { name: 'tls', keys: ['crt'], usedBy: ['web'] },
    ]);
    const json = JSON.stringify(view);
    for (const source of ['/run/secrets/db-password', 'TLS_CRT']) assert.ok(!json.includes(source), source);
  });
  it('a namespace the head does not declare, or no desired state yet: none', () => {
    assert.deepEqual(view.namespaces.find((n) => n.name === 'blog')!.ingresses, []);
    const before = dashboardView(state, []);
    assert.deepEqual([before.namespaces[0]!.ingresses, before.namespaces[0]!.configMaps], [[], []]);
  });
});

/**
 * Pods of several containers (issue #10 item 1), pure halves: the desired template (other app
 * containers and native sidecars normalized like the first; single-container revisions do not
 * move; an emptyDir two containers mount is shared), the engine specs (an infra container that
 * is the replica, members joined to it in start order), and the observed Pod (members grouped
 * under their infra container, its state the Pod's, readiness every container's).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPod, podMembers } from '../../../src/desired/index.js';
import { observe, podState, replicaVerdict } from '../../../src/observed/index.js';
import { podSpecs } from '../../../src/rollout/container-spec.js';
import type { OwnedContainer } from '../../../src/runtime/index.js';
import { deployment as deploymentYaml, desiredDeploymentOf as desiredOf, indent } from '../manifests/snapshot-builder.js';

const SINGLE = deploymentYaml('web', {
  podSpec: indent(6)('volumes:\n  - name: shared\n    emptyDir: {}\n'),
  container: indent(10)(
    'ports:\n  - containerPort: 8080\n    name: http\nvolumeMounts:\n  - name: shared\n    mountPath: /shared\nresources:\n  requests:\n    cpu: 100m\n',
  ),
});
const POD = deploymentYaml('web', {
  podSpec: indent(6)(
    [
      'volumes:',
      '  - name: shared',
      '    emptyDir: {}',
      'initContainers:',
      '  - name: proxy',
      '    image: busybox:1.36',
      '    restartPolicy: Always',
      '    ports:',
      '      - containerPort: 9000',
      '        name: admin',
      '    readinessProbe:',
      '      tcpSocket:',
      '        port: admin',
      '    resources:',
      '      requests:',
      '        cpu: 50m',
      '',
    ].join('\n'),
  ),
  container: indent(10)(
    'ports:\n  - containerPort: 8080\n    name: http\nvolumeMounts:\n  - name: shared\n    mountPath: /shared\nresources:\n  requests:\n    cpu: 100m\n',
  ),
}).concat(
  indent(8)(
    '- name: log\n  image: busybox:1.36\n  command: [sh, -c, "sleep 1d"]\n  env:\n    - name: LEVEL\n      value: debug\n  volumeMounts:\n    - name: shared\n      mountPath: /logs\n      readOnly: true\n',
  ),
);

describe('a Pod in the desired template', () => {
  it('a single-container template has no containers/sidecars and keeps its emptyDir a tmpfs', () => {
    const d = desiredOf(SINGLE);
    assert.equal(isPod(d.template), false);
    assert.equal(d.template.containers, undefined);
    assert.equal(d.template.sidecars, undefined);
    assert.deepEqual(d.template.mounts?.[0]?.source, { kind: 'emptyDir' });
  });

  it('other containers and sidecars normalized like the first (ports, named probe ports resolved), in start order', () => {
    const d = desiredOf(POD);
    assert.equal(isPod(d.template), true);
    assert.deepEqual(
      podMembers(d.template).map((m) => [m.container.name, m.sidecar]),
      [
        ['proxy', true],
        ['main', false],
        ['log', false],
      ],
    );
    const [proxy] = d.template.sidecars!;
    assert.deepEqual(proxy?.ports, [{ containerPort: 9000, protocol: 'tcp', name: 'admin' }]);
    assert.equal(proxy?.probes?.readiness?.action.kind, 'tcpSocket');
    assert.deepEqual(proxy?.probes?.readiness?.action, { kind: 'tcpSocket', port: 9000 });
    const [log] = d.template.containers!;
    assert.deepEqual(log?.env, [{ name: 'LEVEL', value: 'debug' }]);
    assert.deepEqual(log?.command, ['sh', '-c', 'sleep 1d']);
  });

  it('an emptyDir two containers mount is shared (a Docker volume of the replica)', () => {
    const d = desiredOf(POD);
    assert.deepEqual(d.template.mounts?.[0]?.source, { kind: 'emptyDir', shared: true });
    assert.deepEqual(d.template.containers?.[0]?.mounts?.[0], {
      volume: 'shared',
      mountPath: '/logs',
      readOnly: true,
      source: { kind: 'emptyDir', shared: true },
    });
  });

  it("the Pod's requests are the sum of its app containers' and sidecars' (what an HPA's Utilization is a percent of)", () => {
    assert.deepEqual(desiredOf(SINGLE).requests, { cpu: 0.1 });
    assert.deepEqual(desiredOf(POD).requests, { cpu: 0.15 });
  });

  it('adding a container changes the revision; the first container alone keeps it', () => {
    assert.notEqual(desiredOf(POD).revision, desiredOf(SINGLE).revision);
    assert.equal(desiredOf(SINGLE).revision, desiredOf(SINGLE).revision);
  });
});

describe('the engine specs of a Pod replica', () => {
  const d = desiredOf(POD);
  const creation = { revision: d.revision, replica: 1, commit: 'c1', restart: false };
  const inputs = podMembers(d.template).map((m) => ({ env: m.container.env.map((e) => ({ name: e.name, value: 'value' in e ? e.value : '' })) }));
  const specs = podSpecs({ desired: d, creation, instance: 'default', network: 'berth.shop', inputs });

  it('the infra container is the replica: its name, the pause image, every port, the alias, the pod labels and which containers it holds', () => {
    assert.equal(specs.infra.name, `shop.web.${d.revision}.1`);
    assert.equal(specs.infra.image, 'berth/pause:1');
    assert.deepEqual(specs.infra.command, ['/pause']);
    assert.deepEqual(
      specs.infra.ports.map((p) => p.containerPort),
      [9000, 8080],
    );
    assert.deepEqual(specs.infra.networkAliases, ['web']);
    assert.equal(specs.infra.labels['berth.pod'], 'proxy,main,log');
    assert.equal(specs.infra.labels['berth.ports'], '{"admin":9000,"http":8080}');
    assert.equal(specs.infra.labels.app, 'web');
    assert.equal(specs.infra.labels['berth.probes'], undefined, 'probes are each container’s');
    assert.equal(specs.infra.mounts, undefined);
  });

  it('each member joins the infra container, with its own image, env, probes and mounts, and no ports of its own', () => {
    const [proxy, web, log] = specs.members.map((m) => ({ sidecar: m.sidecar, spec: m.join('infra-id') }));
    assert.deepEqual(
      [proxy, web, log].map((m) => [m!.spec.name, m!.sidecar]),
      [
        [`shop.web.${d.revision}.1.c-proxy`, true],
        [`shop.web.${d.revision}.1.c-main`, false],
        [`shop.web.${d.revision}.1.c-log`, false],
      ],
    );
    for (const m of [proxy, web, log]) {
      assert.equal(m!.spec.joinNetworkOf, 'infra-id');
      assert.deepEqual(m!.spec.ports, []);
      assert.equal(m!.spec.labels['berth.replica'], '1');
    }
    assert.equal(proxy!.spec.labels['berth.sidecar'], 'true');
    assert.match(proxy!.spec.labels['berth.probes'] ?? '', /tcpSocket/);
    assert.deepEqual(log!.spec.env, [{ name: 'LEVEL', value: 'debug' }]);
    assert.equal(log!.spec.labels['berth.member'], 'log');
    const volume = `shop.web.${d.revision}.1.shared`;
    assert.deepEqual(log!.spec.mounts, [{ kind: 'volume', name: volume, target: '/logs', readOnly: true }]);
    assert.deepEqual(web!.spec.mounts, [{ kind: 'volume', name: volume, target: '/shared', readOnly: false }]);
  });
});

describe('a Pod as observed', () => {
  const labels = (extra: Record<string, string>) => ({
    'berth.managed': 'true',
    'berth.instance': 'default',
    'berth.namespace': 'shop',
    'berth.kind': 'Deployment',
    'berth.name': 'web',
    'berth.revision': 'r1',
    'berth.replica': '0',
    'berth.commit': 'c1',
    ...extra,
  });
  const c = (name: string, extra: Record<string, string>, state: OwnedContainer['state'] = 'running', exitCode?: number): OwnedContainer => ({
    id: `id-${name}`,
    name,
    image: name === 'infra' ? 'berth/pause:1' : `img-${name}`,
    labels: labels(extra),
    state,
    created: '2026-01-01T00:00:00.000Z',
    ports: [],
    ...(exitCode !== undefined ? { exitCode } : {}),
  });
  const member = (name: string, state: OwnedContainer['state'] = 'running', exitCode?: number, extra: Record<string, string> = {}) =>
    c(`n.c-${name}`, { 'berth.member': name, 'berth.container': name, ...extra }, state, exitCode);

  it('members are grouped under their infra container in start order; they are not replicas of their own', () => {
    const state = observe({
      containers: [
        member('log'),
        c('infra', { 'berth.pod': 'proxy,web,log' }),
        member('web', 'running', undefined, { 'berth.probes': '{}' }),
        member('proxy', 'running', undefined, { 'berth.sidecar': 'true' }),
      ],
      networks: [],
    });
    const [r, ...rest] = state.namespaces[0]!.deployments[0]!.replicas;
    assert.equal(rest.length, 0);
    assert.deepEqual(
      r?.members?.map((m) => [m.container, m.sidecar ?? false, m.probesJson ?? '']),
      [
        ['proxy', true, ''],
        ['web', false, '{}'],
        ['log', false, ''],
      ],
    );
    assert.equal(r?.state, 'running');
    assert.equal(r?.image, 'img-n.c-web', "the first app container's image, not the pause image");
  });

  it('a member whose infra container is gone is a stray (removed)', () => {
    const state = observe({ containers: [member('log')], networks: [] });
    assert.deepEqual(
      state.namespaces[0]!.strays.map((s) => [s.name, s.reason]),
      [['n.c-log', 'a container of a pod whose infra container is gone']],
    );
  });

  const cases: [string, Parameters<typeof podState>[0], Parameters<typeof podState>[2], { state: string; exitCode?: number; down?: string[] }][] = [
    ['all running → running', { state: 'running', image: 'p' }, [m('web'), m('log')], { state: 'running' }],
    [
      'one exited → running, that one down (restarted in place)',
      { state: 'running', image: 'p' },
      [m('web'), m('log', 'exited', 2)],
      { state: 'running', down: ['log'] },
    ],
    ['one missing (a berth stopped between creates) → down', { state: 'running', image: 'p' }, [m('web')], { state: 'running', down: ['log'] }],
    ['one only created → down (never started)', { state: 'running', image: 'p' }, [m('web'), m('log', 'created')], { state: 'running', down: ['log'] }],
    [
      'an exited one beside its running replacement → not down',
      { state: 'running', image: 'p' },
      [m('web'), m('log', 'exited', 1), m('log')],
      { state: 'running' },
    ],
    ['all down, in start order', { state: 'running', image: 'p' }, [m('log', 'exited', 1), m('web', 'exited', 0)], { state: 'running', down: ['web', 'log'] }],
    ['infra exited → its state and code', { state: 'exited', exitCode: 137, image: 'p' }, [m('web'), m('log')], { state: 'exited', exitCode: 137 }],
  ];
  function m(container: string, state: OwnedContainer['state'] = 'running', exitCode?: number) {
    return { container, state, image: `img-${container}`, ...(exitCode !== undefined ? { exitCode } : {}) };
  }
  for (const [name, infra, members, want] of cases)
    it(`podState: ${name}`, () => {
      const { image: _image, ...got } = podState(infra, ['web', 'log'], members);
      assert.deepEqual(got, want);
    });

  it('readiness: every probed container ready; the first that is not names itself', () => {
    const [r] = observe({
      containers: [
        c('infra', { 'berth.pod': 'web,log' }),
        member('web', 'running', undefined, { 'berth.probes': '{}' }),
        member('log', 'running', undefined, { 'berth.probes': '{}' }),
      ],
      networks: [],
    }).namespaces[0]!.deployments[0]!.replicas;
    const views: Record<string, { ready: boolean; reason?: string }> = {
      'id-n.c-web': { ready: true },
      'id-n.c-log': { ready: false, reason: 'exec probe exited 1' },
    };
    assert.deepEqual(
      replicaVerdict(r!, (id) => views[id]),
      { ready: false, reason: 'container "log": exec probe exited 1', notReady: ['log'] },
    );
    views['id-n.c-log'] = { ready: true };
    assert.deepEqual(
      replicaVerdict(r!, (id) => views[id]),
      { ready: true },
    );
    delete views['id-n.c-web'];
    assert.deepEqual(
      replicaVerdict(r!, (id) => views[id]),
      { ready: false, reason: 'container "web": not probed yet', notReady: ['web'] },
    );
  });
});

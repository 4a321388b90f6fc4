import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDesiredState, containerName, DesiredCache, networkName } from '../../../src/desired/index.js';
import { loadManifests, ManifestCache } from '../../../src/manifests/index.js';
import { desiredDeploymentOf as desiredOf, folder, snapshot } from '../manifests/snapshot-builder.js';

const base = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: busybox:1.36
          env:
            - name: A
              value: "1"
          resources:
            limits:
              memory: 64Mi
              cpu: 500m
`;

describe('desired: defaults and normalization', () => {
  it('applies the Kubernetes defaults and parses limits', () => {
    const d = desiredOf(base);
    assert.deepEqual(d.strategy, { type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: '25%' });
    assert.equal(d.minReadySeconds, 0);
    assert.equal(d.progressDeadlineSeconds, 600);
    assert.equal(d.revisionHistoryLimit, 10);
    assert.equal(d.template.stopGraceSeconds, 30);
    assert.equal(d.template.memoryBytes, 64 * 1024 * 1024);
    assert.equal(d.template.nanoCpus, 500_000_000);
    assert.match(d.revision, /^[0-9a-f]{10}$/);
  });

  const same: [string, string][] = [
    [
      'key order and quoting',
      base.replace('          env:\n            - name: A\n              value: "1"\n', "          env:\n            - value: '1'\n              name: A\n"),
    ],
    ['comments and blank lines', `# a comment\n${base.replace('spec:\n  replicas', 'spec:\n\n  # three\n  replicas')}`],
    ['flow style', base.replace('          image: busybox:1.36\n', '          image: "busybox:1.36"\n')],
    ['replicas (not part of the template)', base.replace('replicas: 3', 'replicas: 7')],
    ['strategy (not part of the template)', base.replace('spec:\n  replicas: 3', 'spec:\n  strategy:\n    type: Recreate\n  replicas: 3')],
    ['a scheduling-only field (ignored with a warning)', base.replace('      containers:', '      priorityClassName: high\n      containers:')],
    [
      'a toleration of a taint no node carries (only a down node’s act)',
      base.replace('      containers:', '      tolerations:\n        - key: x\n          operator: Exists\n      containers:'),
    ],
    ['an empty nodeSelector', base.replace('      containers:', '      nodeSelector: {}\n      containers:')],
    [
      'an affinity with nothing berth acts on (podAffinity, ignored with a warning)',
      base.replace('      containers:', '      affinity:\n        podAffinity: {}\n      containers:'),
    ],
    ['an empty topologySpreadConstraints', base.replace('      containers:', '      topologySpreadConstraints: []\n      containers:')],
    ['the explicit default grace period', base.replace('      containers:', '      terminationGracePeriodSeconds: 30\n      containers:')],
  ];
  for (const [what, variant] of same) {
    it(`the revision ignores ${what}`, () => assert.equal(desiredOf(variant).revision, desiredOf(base).revision));
  }

  const different: [string, string][] = [
    ['the image', base.replace('busybox:1.36', 'busybox:1.37')],
    ['an env value', base.replace('value: "1"', 'value: "2"')],
    ['a command', base.replace('          image: busybox:1.36\n', '          image: busybox:1.36\n          command: ["sleep", "1"]\n')],
    ['a memory limit', base.replace('64Mi', '65Mi')],
    ['a pod label', base.replace('      labels:\n        app: web', '      labels:\n        app: web\n        tier: front')],
    ['the grace period', base.replace('      containers:', '      terminationGracePeriodSeconds: 5\n      containers:')],
    [
      'a nodeSelector (where a cluster places it; Kubernetes rolls on it too)',
      base.replace('      containers:', '      nodeSelector:\n        disk: ssd\n      containers:'),
    ],
    [
      'a required pod anti-affinity',
      base.replace(
        '      containers:',
        '      affinity:\n        podAntiAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n            - labelSelector: {matchLabels: {app: web}}\n              topologyKey: kubernetes.io/hostname\n      containers:',
      ),
    ],
    [
      'a toleration of its node being down (how long it stays there)',
      base.replace(
        '      containers:',
        '      tolerations:\n        - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 60}\n      containers:',
      ),
    ],
    [
      'a topology spread constraint',
      base.replace(
        '      containers:',
        '      topologySpreadConstraints:\n        - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}\n      containers:',
      ),
    ],
  ];
  for (const [what, variant] of different) {
    it(`the revision changes with ${what}`, () => assert.notEqual(desiredOf(variant).revision, desiredOf(base).revision));
  }

  it('names are deterministic; another instance prefixes its own name', () => {
    assert.equal(containerName('default', 'shop', 'web', 'abc', 2), 'shop.web.abc.2');
    assert.equal(containerName('ci', 'shop', 'web', 'abc', 2), 'ci.shop.web.abc.2');
    assert.equal(networkName('default', 'shop'), 'berth.shop');
    assert.equal(networkName('ci', 'shop'), 'berth.ci.shop');
  });

  it('an invalid folder is carried as invalid with no deployments (never read as empty)', () => {
    const set = loadManifests(snapshot([folder('shop', { 'web.yaml': base.replace('replicas: 3', 'replicas: many') })]), new ManifestCache());
    const ns = buildDesiredState(set, { instance: 'default' }).namespaces[0]!;
    assert.equal(ns.valid, false);
    assert.deepEqual(ns.deployments, []);
    assert.ok(
      ns.diagnostics.some((d) => d.field === 'spec.replicas' && d.line === 6),
      JSON.stringify(ns.diagnostics),
    );
  });

  it('DesiredCache reuses the namespaces whose manifests did not change', () => {
    const manifests = new ManifestCache();
    const cache = new DesiredCache();
    const first = loadManifests(snapshot([folder('shop', { 'web.yaml': base }), folder('blog', { 'web.yaml': base })]), manifests);
    const a = buildDesiredState(first, { instance: 'default', cache });
    const second = loadManifests(
      snapshot([folder('shop', { 'web.yaml': base }), folder('blog', { 'web.yaml': base.replace('replicas: 3', 'replicas: 1') })]),
      manifests,
    );
    const b = buildDesiredState(second, { instance: 'default', cache });
    assert.equal(
      b.namespaces.find((n) => n.name === 'shop'),
      a.namespaces.find((n) => n.name === 'shop'),
      'unchanged namespace reused',
    );
    assert.notEqual(
      b.namespaces.find((n) => n.name === 'blog'),
      a.namespaces.find((n) => n.name === 'blog'),
      'changed namespace rebuilt',
    );
    assert.equal(b.namespaces.find((n) => n.name === 'blog')!.deployments[0]!.replicas, 1);
  });
});

describe('desired: hostPort is honoured, never dropped', () => {
  const withPorts = (ports: string, spec = 'replicas: 1'): string =>
    base.replace('replicas: 3', spec).replace('          env:\n', `          ports:\n${ports}          env:\n`);
  const hostPort = '            - containerPort: 8080\n              hostPort: 18080\n';

  it('the template keeps the hostPort; a port without one has no hostPort key (its revision is unchanged)', () => {
    assert.deepEqual(desiredOf(withPorts(hostPort)).template.ports, [{ containerPort: 8080, protocol: 'tcp', hostPort: 18080 }]);
    assert.deepEqual(desiredOf(withPorts('            - containerPort: 8080\n')).template.ports, [{ containerPort: 8080, protocol: 'tcp' }]);
    assert.notEqual(desiredOf(withPorts(hostPort)).revision, desiredOf(withPorts('            - containerPort: 8080\n')).revision, 'a hostPort change rolls');
  });

  // [strategy in the manifest, effective strategy]: two replicas cannot bind one host port on one host, so a surge is never planned
  const table: [string, unknown][] = [
    ['replicas: 1', { type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 1 }],
    ['replicas: 1\n  strategy:\n    rollingUpdate:\n      maxSurge: 1\n      maxUnavailable: 0', { type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 1 }],
    ['replicas: 1\n  strategy:\n    type: Recreate', { type: 'Recreate' }],
  ];
  for (const [spec, strategy] of table) {
    it(`${JSON.stringify(spec)} with a hostPort rolls as ${JSON.stringify(strategy)}`, () =>
      assert.deepEqual(desiredOf(withPorts(hostPort, spec)).strategy, strategy));
  }
  it('without a hostPort the strategy is as written', () =>
    assert.deepEqual(desiredOf(withPorts('            - containerPort: 8080\n')).strategy, { type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: '25%' }));
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDesiredState, type DesiredDeployment, type DesiredNamespace } from '../../../src/desired/index.js';
import { loadManifests, ManifestCache } from '../../../src/manifests/index.js';
import { deployment, folder, snapshot } from '../manifests/snapshot-builder.js';

/** Services, Ingresses and probes from manifest to DesiredState, through the real loader. */
function shop(files: Record<string, string>): DesiredNamespace {
  const set = loadManifests(snapshot([folder('shop', files)]), new ManifestCache());
  const ns = buildDesiredState(set, { instance: 'default' }).namespaces[0]!;
  return ns;
}

function valid(files: Record<string, string>): DesiredNamespace {
  const ns = shop(files);
  assert.equal(ns.valid, true, JSON.stringify(ns.diagnostics, null, 1));
  return ns;
}

const service = (name: string, spec: string): string => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  selector:\n    app: web\n${spec}`;

const ingress = (name: string, spec: string): string => `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

const backend = (service: string, port: string, indent: string): string =>
  `${indent}backend:\n${indent}  service:\n${indent}    name: ${service}\n${indent}    port:\n${indent}      ${port}\n`;

describe('desired: Services', () => {
  const rows: { name: string; ports: string; type?: string; spec?: string; expect: unknown; more?: Record<string, unknown> }[] = [
    { name: 'targetPort defaults to port; a ClusterIP Service has no host port', ports: '    - port: 8081\n', expect: [{ port: 8081, targetPort: 8081 }] },
    { name: 'a numeric targetPort', ports: '    - port: 8081\n      targetPort: 8080\n', expect: [{ port: 8081, targetPort: 8080 }] },
    {
      name: 'a named targetPort stays a name (resolved per replica)',
      ports: '    - name: web\n      port: 8081\n      targetPort: http\n',
      expect: [{ name: 'web', port: 8081, targetPort: 'http' }],
    },
    {
      name: 'NodePort: the host port is nodePort, else port',
      ports: '    - name: a\n      port: 80\n      targetPort: 8080\n      nodePort: 18080\n    - name: b\n      port: 443\n',
      type: 'NodePort',
      expect: [
        { name: 'a', port: 80, targetPort: 8080, listenPort: 18080 },
        { name: 'b', port: 443, targetPort: 443, listenPort: 443 },
      ],
    },
    {
      name: 'LoadBalancer listens the same way on one host',
      ports: '    - port: 80\n      nodePort: 30080\n      protocol: TCP\n',
      type: 'LoadBalancer',
      expect: [{ port: 80, targetPort: 80, listenPort: 30080 }],
    },
    {
      name: 'headless (clusterIP: None)',
      ports: '    - port: 80\n',
      spec: '  clusterIP: None\n',
      expect: [{ port: 80, targetPort: 80 }],
      more: { clusterIP: { kind: 'none' } },
    },
    {
      name: 'a fixed clusterIP (checked against the subnet at run time)',
      ports: '    - port: 80\n',
      spec: '  clusterIP: 10.213.7.200\n',
      expect: [{ port: 80, targetPort: 80 }],
      more: { clusterIP: { kind: 'fixed', address: '10.213.7.200' } },
    },
    { name: 'clusterIP "" is allocated', ports: '    - port: 80\n', spec: '  clusterIP: ""\n', expect: [{ port: 80, targetPort: 80 }] },
    {
      name: 'ClientIP affinity and not-ready addresses',
      ports: '    - port: 80\n',
      spec: '  sessionAffinity: ClientIP\n  publishNotReadyAddresses: true\n',
      expect: [{ port: 80, targetPort: 80 }],
      more: { sessionAffinity: 'ClientIP', publishNotReadyAddresses: true },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const ns = valid({ 'svc.yaml': service('web', `${row.type ? `  type: ${row.type}\n` : ''}${row.spec ?? ''}  ports:\n${row.ports}`) });
      assert.deepEqual(ns.services, [
        {
          namespace: 'shop',
          name: 'web',
          type: row.type ?? 'ClusterIP',
          clusterIP: { kind: 'auto' },
          selector: { app: 'web' },
          ports: row.expect,
          publishNotReadyAddresses: false,
          sessionAffinity: 'None',
          ...row.more,
          source: { file: 'shop/svc.yaml', document: 0, line: 1 },
        },
      ]);
    });
  }

  it('are sorted by name, whatever the file order', () => {
    const ns = valid({
      'a.yaml': service('zeta', '  ports:\n    - port: 1\n'),
      'b.yaml': `${service('alpha', '  ports:\n    - port: 2\n')}---\n${service('mid', '  ports:\n    - port: 3\n')}`,
    });
    assert.deepEqual(
      ns.services.map((s) => s.name),
      ['alpha', 'mid', 'zeta'],
    );
  });

  it('an invalid namespace has no Services and no Ingresses (nothing is pruned from it)', () => {
    const ns = shop({
      'svc.yaml': service('web', '  type: NodePort\n  ports:\n    - port: 80\n'),
      'bad.yaml': service('api', '  type: LoadBalancer\n  ports:\n    - port: 80\n'),
    });
    assert.deepEqual([ns.valid, ns.services, ns.ingresses, ns.deployments], [false, [], [], []]);
    assert.ok(
      ns.diagnostics.some((d) => d.code === 'SERVICE_PORT_CONFLICT'),
      'the conflict is reported',
    );
  });

  it('two ClusterIP Services on the same port are fine: each has its own address', () => {
    const ns = valid({ 'a.yaml': service('payment', '  ports:\n    - port: 50051\n'), 'b.yaml': service('shipping', '  ports:\n    - port: 50051\n') });
    assert.deepEqual(
      ns.services.map((s) => `${s.name}:${s.ports[0]!.port}`),
      ['payment:50051', 'shipping:50051'],
    );
  });

  it('a namespace without Services or Ingresses has empty lists', () => {
    const ns = valid({ 'web.yaml': deployment('web') });
    assert.deepEqual([ns.services, ns.ingresses], [[], []]);
  });
});

describe('desired: Ingresses', () => {
  const svc = service('web', '  ports:\n    - name: http\n      port: 8081\n      targetPort: 8080\n');

  it('rules and paths keep the manifest order; no host = any host; a port stays as written', () => {
    const spec = `  rules:
    - host: shop.localhost
      http:
        paths:
          - path: /z
            pathType: Exact
${backend('web', 'number: 8081', '            ')}          - path: /
            pathType: Prefix
${backend('web', 'name: http', '            ')}    - http:
        paths:
          - path: /
            pathType: ImplementationSpecific
${backend('web', 'number: 8081', '            ')}`;
    const ns = valid({ 'svc.yaml': svc, 'ing.yaml': ingress('shop', spec) });
    assert.deepEqual(ns.ingresses, [
      {
        namespace: 'shop',
        name: 'shop',
        rules: [
          {
            host: 'shop.localhost',
            paths: [
              { path: '/z', pathType: 'Exact', backend: { service: 'web', port: 8081 } },
              { path: '/', pathType: 'Prefix', backend: { service: 'web', port: 'http' } },
            ],
          },
          { paths: [{ path: '/', pathType: 'ImplementationSpecific', backend: { service: 'web', port: 8081 } }] },
        ],
        upstreamTimeouts: { connectSeconds: 5, readSeconds: 60, sendSeconds: 60 },
        source: { file: 'shop/ing.yaml', document: 0, line: 1 },
      },
    ]);
    assert.equal('host' in ns.ingresses[0]!.rules[1]!, false, 'an omitted host is absent, not undefined');
  });

  it('a default backend alone', () => {
    const ns = valid({ 'svc.yaml': svc, 'ing.yaml': ingress('fallback', backend('web', 'number: 8081', '  ').replace('  backend:', '  defaultBackend:')) });
    assert.deepEqual(
      ns.ingresses.map((i) => [i.name, i.rules, i.defaultBackend]),
      [['fallback', [], { service: 'web', port: 8081 }]],
    );
  });

  describe('upstream timeouts: the ingress-nginx annotations, in unitless seconds', () => {
    const annotated = (annotations: Record<string, string>): string =>
      ingress('web', backend('web', 'number: 8081', '  ').replace('  backend:', '  defaultBackend:')).replace(
        'metadata:\n  name: web\n',
        Object.keys(annotations).length === 0
          ? 'metadata:\n  name: web\n'
          : `metadata:\n  name: web\n  annotations:\n${Object.entries(annotations)
              .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}\n`)
              .join('')}`,
      );
    const P = 'nginx.ingress.kubernetes.io/';
    // [annotations, timeouts] — defaults: connect 5, read 60, send 60 (ingress-nginx's)
    const ok: [Record<string, string>, { connectSeconds: number; readSeconds: number; sendSeconds: number }][] = [
      [{}, { connectSeconds: 5, readSeconds: 60, sendSeconds: 60 }],
      [{ [`${P}proxy-read-timeout`]: '120' }, { connectSeconds: 5, readSeconds: 120, sendSeconds: 60 }],
      [
        { [`${P}proxy-connect-timeout`]: '1', [`${P}proxy-send-timeout`]: '3600' },
        { connectSeconds: 1, readSeconds: 60, sendSeconds: 3600 },
      ],
      [
        { [`${P}proxy-connect-timeout`]: '75', [`${P}proxy-read-timeout`]: '1000000' },
        { connectSeconds: 75, readSeconds: 1000000, sendSeconds: 60 },
      ],
      [{ [`${P}proxy-body-size`]: '8m' }, { connectSeconds: 5, readSeconds: 60, sendSeconds: 60 }],
    ];
    for (const [annotations, timeouts] of ok) {
      it(`${JSON.stringify(annotations)} → ${JSON.stringify(timeouts)}`, () => {
        assert.deepEqual(valid({ 'svc.yaml': svc, 'ing.yaml': annotated(annotations) }).ingresses[0]?.upstreamTimeouts, timeouts);
      });
    }
    // [annotation, value, message] — each a located error on metadata.annotations["…"]; the namespace is left as it runs
    const bad: [string, string, RegExp][] = [
      ['proxy-read-timeout', '60s', /whole number of seconds from 1 to 1000000, unitless as ingress-nginx takes it .*got "60s"/],
      ['proxy-read-timeout', '0', /from 1 to 1000000/],
      ['proxy-read-timeout', '-5', /from 1 to 1000000/],
      ['proxy-send-timeout', '1000001', /1000000 is the bound, about 11\.5 days: berth waits with Node\.js timers/],
      ['proxy-send-timeout', '1.5', /whole number of seconds/],
      ['proxy-connect-timeout', '76', /from 1 to 75, .*as nginx: a TCP connect cannot usually take longer than 75 s/],
      ['proxy-connect-timeout', 'abc', /got "abc"/],
      ['proxy-connect-timeout', '', /got ""/],
    ];
    for (const [name, value, message] of bad) {
      it(`${name}: ${JSON.stringify(value)} → a located error`, () => {
        const ns = shop({ 'svc.yaml': svc, 'ing.yaml': annotated({ [`${P}${name}`]: value }) });
        assert.equal(ns.valid, false);
        const d = ns.diagnostics.find((x) => x.code === 'INVALID_VALUE');
        assert.ok(d, JSON.stringify(ns.diagnostics));
        assert.equal(d.file, 'shop/ing.yaml');
        assert.equal(d.line, 6);
        assert.equal(d.field, `metadata.annotations["${P}${name}"]`);
        assert.match(d.message, message);
      });
    }
  });

  it('are sorted by name', () => {
    const one = (name: string): string => ingress(name, backend('web', 'number: 8081', '  ').replace('  backend:', '  defaultBackend:'));
    const ns = valid({ 'svc.yaml': svc, 'a.yaml': one('zeta'), 'b.yaml': one('alpha') });
    assert.deepEqual(
      ns.ingresses.map((i) => i.name),
      ['alpha', 'zeta'],
    );
  });
});

describe('desired: probes in the pod template', () => {
  const ports = '          ports:\n            - containerPort: 8080\n              name: http\n';
  const web = (probes = ''): DesiredDeployment => valid({ 'web.yaml': deployment('web', { container: `${ports}${probes}` }) }).deployments[0]!;
  const indent = (text: string): string => text.replace(/^(?=.)/gm, '          ');

  it('a template without probes has no probes key, and keeps the revision it always had', () => {
    const d = web();
    assert.equal('probes' in d.template, false, 'no probes key at all');
    // The revision of this template before probes were normalized (a change here re-rolls every probe-less Deployment).
    assert.equal(d.revision, '217e53bcf1');
  });

  it('Kubernetes defaults are filled in, named ports resolved, httpHeaders become headers', () => {
    const d = web(
      indent(
        'readinessProbe:\n  httpGet:\n    port: http\n    httpHeaders:\n      - name: X-Probe\n        value: berth\nlivenessProbe:\n  tcpSocket:\n    port: 8080\n  periodSeconds: 5\n  failureThreshold: 6\nstartupProbe:\n  exec:\n    command: [cat, /tmp/ready]\n  initialDelaySeconds: 2\n  timeoutSeconds: 3\n',
      ),
    );
    assert.deepEqual(d.template.probes, {
      readiness: {
        action: { kind: 'httpGet', path: '/', port: 8080, scheme: 'HTTP', headers: [{ name: 'X-Probe', value: 'berth' }] },
        initialDelaySeconds: 0,
        periodSeconds: 10,
        timeoutSeconds: 1,
        successThreshold: 1,
        failureThreshold: 3,
      },
      liveness: {
        action: { kind: 'tcpSocket', port: 8080 },
        initialDelaySeconds: 0,
        periodSeconds: 5,
        timeoutSeconds: 1,
        successThreshold: 1,
        failureThreshold: 6,
      },
      startup: {
        action: { kind: 'exec', command: ['cat', '/tmp/ready'] },
        initialDelaySeconds: 2,
        periodSeconds: 10,
        timeoutSeconds: 3,
        successThreshold: 1,
        failureThreshold: 3,
      },
    });
  });

  it('a readiness probe alone gives probes.readiness alone; an HTTPS scheme and a path are kept', () => {
    const d = web(indent('readinessProbe:\n  httpGet:\n    path: /healthz\n    port: 8080\n    scheme: HTTPS\n  successThreshold: 2\n'));
    assert.deepEqual(d.template.probes, {
      readiness: {
        action: { kind: 'httpGet', path: '/healthz', port: 8080, scheme: 'HTTPS', headers: [] },
        initialDelaySeconds: 0,
        periodSeconds: 10,
        timeoutSeconds: 1,
        successThreshold: 2,
        failureThreshold: 3,
      },
    });
  });

  const probe = indent('readinessProbe:\n  httpGet:\n    port: http\n');
  const same: [string, string][] = [
    ['a port by number instead of by name', indent('readinessProbe:\n  httpGet:\n    port: 8080\n')],
    [
      'the defaults written out',
      indent(
        'readinessProbe:\n  httpGet:\n    path: /\n    port: http\n    scheme: HTTP\n  initialDelaySeconds: 0\n  periodSeconds: 10\n  timeoutSeconds: 1\n  successThreshold: 1\n  failureThreshold: 3\n',
      ),
    ],
    ['an empty path (Kubernetes defaults it to /)', indent('readinessProbe:\n  httpGet:\n    path: ""\n    port: http\n')],
  ];
  for (const [what, variant] of same) {
    it(`the revision ignores ${what}`, () => assert.equal(web(variant).revision, web(probe).revision));
  }
  const different: [string, string][] = [
    ['adding a probe', ''],
    ['the path', indent('readinessProbe:\n  httpGet:\n    path: /ready\n    port: http\n')],
    ['the period', indent('readinessProbe:\n  httpGet:\n    port: http\n  periodSeconds: 1\n')],
    ['the probe kind (readiness → liveness)', indent('livenessProbe:\n  httpGet:\n    port: http\n')],
    ['the handler', indent('readinessProbe:\n  tcpSocket:\n    port: http\n')],
  ];
  for (const [what, variant] of different) {
    it(`the revision changes with ${what}`, () => assert.notEqual(web(variant).revision, web(probe).revision));
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnostic } from '../../../src/core/index.js';
import { readManifestFile } from '../../../src/manifests/file-result.js';
import { loadManifests, ManifestCache, type NamespaceManifests, type ServiceManifest } from '../../../src/manifests/index.js';
import { DEFAULT_PARSE_LIMITS } from '../../../src/manifests/parse.js';
import { folder, snapshot } from './snapshot-builder.js';

/**
 * v1 Service, table-driven: each row is one document and exactly the diagnostics it must
 * produce (code, field, line, severity; a message pattern when given). Lines refer to
 * `service()` below: 4 metadata.name, 5 spec, 6 selector, 7 its label, 8 `ports:`, 9 the first
 * port's first line, then `spec` lines appended after the ports.
 */
interface Expected {
  readonly severity: Diagnostic['severity'];
  readonly code: string;
  readonly field: string;
  readonly line: number;
  readonly message?: RegExp;
}

const err = (code: string, field: string, line: number, message?: RegExp): Expected => ({ severity: 'error', code, field, line, message });
const warn = (code: string, field: string, line: number, message?: RegExp): Expected => ({ severity: 'warning', code, field, line, message });

/** A Service; `ports` are the lines under `ports:` (indented by the caller as list items), `spec` extra lines under spec. */
function service(name: string, options: { ports?: string; spec?: string; selector?: string } = {}): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
${options.selector ?? `  selector:\n    app: ${name}\n`}  ports:
${options.ports ?? '    - port: 80\n      targetPort: 8080\n'}${options.spec ?? ''}`;
}

/** The public examples, as the Kubernetes documentation writes them ("Service", "Type NodePort", "Multi-port Services"). */
const PUBLIC_EXAMPLES: Record<string, string> = {
  'the basic Service': `apiVersion: v1
kind: Service
metadata:
  name: my-service
spec:
  selector:
    app.kubernetes.io/name: MyApp
  ports:
    - protocol: TCP
      port: 80
      targetPort: 9376
`,
  'a NodePort Service': `apiVersion: v1
kind: Service
metadata:
  name: my-service
spec:
  type: NodePort
  selector:
    app.kubernetes.io/name: MyApp
  ports:
    - port: 80
      # By default and for convenience, the \`targetPort\` is set to
      # the same value as the \`port\` field.
      targetPort: 80
      # Optional field
      # By default and for convenience, the Kubernetes control plane
      # will allocate a port from a range (default: 30000-32767)
      nodePort: 30007
`,
  'a multi-port Service': `apiVersion: v1
kind: Service
metadata:
  name: my-service
spec:
  selector:
    app.kubernetes.io/name: MyApp
  ports:
    - name: http
      protocol: TCP
      port: 80
      targetPort: 9376
    - name: https
      protocol: TCP
      port: 443
      targetPort: 9377
`,
  'a named targetPort and a LoadBalancer': `apiVersion: v1
kind: Service
metadata:
  name: nginx-service
spec:
  type: LoadBalancer
  selector:
    app.kubernetes.io/name: proxy
  ports:
  - name: name-of-service-port
    protocol: TCP
    port: 80
    targetPort: http-web-svc
`,
};

const rows: readonly { name: string; yaml: string; expect: readonly Expected[] }[] = [
  { name: 'a minimal Service is valid', yaml: service('web'), expect: [] },
  {
    name: 'sessionAffinity None and type ClusterIP are accepted silently',
    yaml: service('web', { spec: '  type: ClusterIP\n  sessionAffinity: None\n' }),
    expect: [],
  },
  // ---- selector
  {
    name: 'no selector: berth has no manual Endpoints',
    yaml: service('web', { selector: '' }),
    expect: [err('MISSING_FIELD', 'spec.selector', 5, /^a Service needs spec\.selector: berth has no manual Endpoints \(Endpoints or EndpointSlice objects\)/)],
  },
  {
    name: 'an empty selector',
    yaml: service('web', { selector: '  selector: {}\n' }),
    expect: [err('INVALID_VALUE', 'spec.selector', 6, /must select at least one label: berth has no manual Endpoints/)],
  },
  {
    name: 'a selector value must be a string',
    yaml: service('web', { selector: '  selector:\n    enabled: true\n' }),
    expect: [err('INVALID_VALUE', 'spec.selector.enabled', 7, /must be a string/)],
  },
  {
    name: 'a typo of selector',
    yaml: service('web', { selector: '  selecter:\n    app: web\n' }),
    expect: [err('UNKNOWN_FIELD', 'spec.selecter', 6, /did you mean "selector"/)],
  }, // the Service rules run only on a schema-valid document
  // ---- ports
  { name: 'no ports', yaml: service('web').replace(/ {2}ports:\n[^]*$/, ''), expect: [err('MISSING_FIELD', 'spec.ports', 5, /"ports"/)] },
  {
    name: 'an empty port list',
    yaml: service('web').replace(/ {2}ports:\n[^]*$/, '  ports: []\n'),
    expect: [err('INVALID_VALUE', 'spec.ports', 8, /at least one port/)],
  },
  {
    name: 'UDP is refused',
    yaml: service('web', { ports: '    - port: 53\n      protocol: UDP\n' }),
    expect: [err('UNSUPPORTED_FIELD', 'spec.ports[0].protocol', 10, /^not supported by berth: UDP Services; berth's data plane proxies TCP only$/)],
  },
  {
    name: 'SCTP is refused',
    yaml: service('web', { ports: '    - port: 9\n      protocol: SCTP\n' }),
    expect: [err('UNSUPPORTED_FIELD', 'spec.ports[0].protocol', 10, /SCTP Services/)],
  },
  {
    name: 'an unknown protocol',
    yaml: service('web', { ports: '    - port: 80\n      protocol: tcp\n' }),
    expect: [err('INVALID_VALUE', 'spec.ports[0].protocol', 10, /one of "TCP", "UDP", "SCTP"/)],
  },
  { name: 'port 0', yaml: service('web', { ports: '    - port: 0\n' }), expect: [err('INVALID_VALUE', 'spec.ports[0].port', 9, />= 1/)] },
  { name: 'port 70000', yaml: service('web', { ports: '    - port: 70000\n' }), expect: [err('INVALID_VALUE', 'spec.ports[0].port', 9, /<= 65535/)] },
  {
    name: 'port as a string',
    yaml: service('web', { ports: '    - port: "80"\n' }),
    expect: [err('INVALID_VALUE', 'spec.ports[0].port', 9, /must be an integer, got string "80"/)],
  },
  {
    name: 'targetPort out of range',
    yaml: service('web', { ports: '    - port: 80\n      targetPort: 0\n' }),
    expect: [err('INVALID_VALUE', 'spec.ports[0].targetPort', 10, /port number \(1-65535\) or a port name/)],
  },
  {
    name: 'targetPort name longer than 15 (IANA_SVC_NAME)',
    yaml: service('web', { ports: '    - port: 80\n      targetPort: a-very-long-port-name\n' }),
    expect: [err('INVALID_VALUE', 'spec.ports[0].targetPort', 10, /port number \(1-65535\) or a port name/)],
  },
  {
    name: 'a port name that is not a DNS label',
    yaml: service('web', { ports: '    - name: HTTP\n      port: 80\n' }),
    expect: [err('INVALID_VALUE', 'spec.ports[0].name', 9, /DNS label/)],
  },
  {
    name: 'two ports: every port needs a name',
    yaml: service('web', { ports: '    - name: http\n      port: 80\n    - port: 443\n' }),
    expect: [err('MISSING_FIELD', 'spec.ports[1].name', 11, /^every port of a Service with more than one port needs a name/)],
  },
  {
    name: 'duplicate port names',
    yaml: service('web', { ports: '    - name: http\n      port: 80\n    - name: http\n      port: 81\n' }),
    expect: [err('INVALID_VALUE', 'spec.ports[1].name', 11, /^duplicate port name "http" \(also ports\[0\]\)$/)],
  },
  {
    name: 'duplicate port numbers',
    yaml: service('web', { ports: '    - name: a\n      port: 80\n    - name: b\n      port: 80\n' }),
    expect: [err('INVALID_VALUE', 'spec.ports[1].port', 12, /^duplicate port 80 \(also ports\[0\]\)$/)],
  },
  {
    name: 'nodePort with the default type',
    yaml: service('web', { ports: '    - port: 80\n      nodePort: 30080\n' }),
    expect: [err('INVALID_VALUE', 'spec.ports[0].nodePort', 10, /may only be set with type NodePort or LoadBalancer, not ClusterIP \(the default\)/)],
  },
  {
    name: 'duplicate nodePorts',
    yaml: service('web', {
      ports: '    - name: a\n      port: 80\n      nodePort: 30080\n    - name: b\n      port: 81\n      nodePort: 30080\n',
      spec: '  type: NodePort\n',
    }),
    expect: [err('INVALID_VALUE', 'spec.ports[1].nodePort', 14, /^duplicate nodePort 30080 \(also ports\[0\]\)$/)],
  },
  {
    name: 'nodePort out of range',
    yaml: service('web', { ports: '    - port: 80\n      nodePort: 65536\n', spec: '  type: NodePort\n' }),
    expect: [err('INVALID_VALUE', 'spec.ports[0].nodePort', 10, /<= 65535/)],
  },
  {
    name: 'appProtocol is ignored with a warning',
    yaml: service('web', { ports: '    - port: 80\n      appProtocol: http\n' }),
    expect: [warn('IGNORED_FIELD', 'spec.ports[0].appProtocol', 10, /^ignored by berth: /)],
  },
  // ---- type, clusterIP, affinity
  {
    name: 'ExternalName is refused',
    yaml: service('web', { spec: '  type: ExternalName\n' }),
    expect: [err('UNSUPPORTED_FIELD', 'spec.type', 11, /ExternalName Services/)],
  },
  {
    name: 'externalName is refused',
    yaml: service('web', { spec: '  type: ExternalName\n  externalName: db.example.com\n' }),
    expect: [err('UNSUPPORTED_FIELD', 'spec.externalName', 12, /ExternalName Services/)],
  },
  {
    name: 'an unknown type',
    yaml: service('web', { spec: '  type: Headless\n' }),
    expect: [err('INVALID_VALUE', 'spec.type', 11, /one of "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"/)],
  },
  { name: 'headless (clusterIP: None) is accepted', yaml: service('web', { spec: '  clusterIP: None\n' }), expect: [] },
  {
    name: 'headless only with type ClusterIP',
    yaml: service('web', { spec: '  type: NodePort\n  clusterIP: None\n' }),
    expect: [err('INVALID_VALUE', 'spec.clusterIP', 12, /None \(headless\) only with type ClusterIP, not NodePort/)],
  },
  { name: 'a fixed clusterIP is accepted (the subnet is checked at run time)', yaml: service('web', { spec: '  clusterIP: 10.213.7.200\n' }), expect: [] },
  {
    name: 'a clusterIP that is no IPv4 address',
    yaml: service('web', { spec: '  clusterIP: fd00::1\n' }),
    expect: [err('INVALID_VALUE', 'spec.clusterIP', 11, /must be an IPv4 address inside the namespace's Service range, or None/)],
  },
  {
    name: 'clusterIPs repeating clusterIP are ignored with a warning',
    yaml: service('web', { spec: '  clusterIP: 10.96.0.12\n  clusterIPs: [10.96.0.12]\n' }),
    expect: [warn('IGNORED_FIELD', 'spec.clusterIPs', 12, /berth reads spec.clusterIP/)],
  },
  {
    name: 'clusterIPs disagreeing with clusterIP',
    yaml: service('web', { spec: '  clusterIP: 10.96.0.12\n  clusterIPs:\n    - 10.96.0.13\n' }),
    expect: [err('INVALID_VALUE', 'spec.clusterIPs[0]', 13, /must equal spec.clusterIP/)],
  },
  {
    name: 'clusterIPs alone',
    yaml: service('web', { spec: '  clusterIPs:\n    - None\n' }),
    expect: [err('UNSUPPORTED_FIELD', 'spec.clusterIPs', 11, /write the address \(or None\) in spec.clusterIP/)],
  },
  { name: 'ClientIP affinity is accepted', yaml: service('web', { spec: '  sessionAffinity: ClientIP\n' }), expect: [] },
  {
    name: 'sessionAffinityConfig is ignored with a warning',
    yaml: service('web', { spec: '  sessionAffinity: ClientIP\n  sessionAffinityConfig:\n    clientIP:\n      timeoutSeconds: 60\n' }),
    expect: [warn('IGNORED_FIELD', 'spec.sessionAffinityConfig', 12, /^ignored by berth: ClientIP affinity lasts while/)],
  },
  { name: 'publishNotReadyAddresses is accepted', yaml: service('web', { spec: '  publishNotReadyAddresses: true\n' }), expect: [] },
  // ---- one-host no-ops: warnings, the Service still valid
  ...(
    [
      ['externalTrafficPolicy', '  externalTrafficPolicy: Local\n', /no other node/],
      ['internalTrafficPolicy', '  internalTrafficPolicy: Cluster\n', /no other node/],
      ['ipFamilies', '  ipFamilies: [IPv4]\n', /address family/],
      ['ipFamilyPolicy', '  ipFamilyPolicy: SingleStack\n', /address family/],
      ['loadBalancerIP', '  loadBalancerIP: 203.0.113.7\n', /no cloud load balancer/],
      ['loadBalancerClass', '  loadBalancerClass: example.com/lb\n', /no cloud load balancer/],
      ['allocateLoadBalancerNodePorts', '  allocateLoadBalancerNodePorts: false\n', /no node ports/],
      ['healthCheckNodePort', '  healthCheckNodePort: 32000\n', /no external load balancer/],
      ['trafficDistribution', '  trafficDistribution: PreferClose\n', /no topology/],
    ] as const
  ).map(([field, spec, why]) => ({
    name: `ignored: ${field}`,
    yaml: service('web', { spec }),
    expect: [warn('IGNORED_FIELD', `spec.${field}`, 11, new RegExp(`^ignored by berth: .*${why.source}`))],
  })),
  // ---- behaviour berth cannot serve: errors naming the field
  ...(
    [
      ['externalIPs', '  externalIPs: [198.51.100.32]\n', /external IPs/],
      ['loadBalancerSourceRanges', '  loadBalancerSourceRanges: [10.0.0.0/8]\n', /allow-lists/],
    ] as const
  ).map(([field, spec, why]) => ({
    name: `unsupported: ${field}`,
    yaml: service('web', { spec }),
    expect: [err('UNSUPPORTED_FIELD', `spec.${field}`, 11, new RegExp(`^not supported by berth: .*${why.source}`))],
  })),
  // ---- metadata and the rest of the object
  { name: 'name not a DNS label', yaml: service('Web'), expect: [err('INVALID_VALUE', 'metadata.name', 4, /DNS label/)] },
  { name: 'status is not kept in Git', yaml: `${service('web')}status:\n  loadBalancer:\n    ingress: []\n`, expect: [err('UNSUPPORTED_FIELD', 'status', 11)] },
  {
    name: 'wrong apiVersion',
    yaml: service('web').replace('apiVersion: v1', 'apiVersion: apps/v1'),
    expect: [err('WRONG_API_VERSION', 'apiVersion', 1, /a Service must be apiVersion "v1"/)],
  },
];

function validate(yaml: string): { diagnostics: readonly Diagnostic[]; body: unknown } {
  const result = readManifestFile(new TextEncoder().encode(yaml), DEFAULT_PARSE_LIMITS);
  return { diagnostics: result.diagnostics, body: result.documents[0]?.body };
}

describe('v1 Service: the public examples', () => {
  for (const [name, yaml] of Object.entries(PUBLIC_EXAMPLES)) {
    it(`${name} validates without a diagnostic`, () => {
      const { diagnostics, body } = validate(yaml);
      assert.deepEqual(diagnostics, [], 'no diagnostics');
      assert.ok(body, 'the Service is handed downstream');
    });
  }

  it('an exported Service (kubectl get -o yaml) validates with warnings only, and the ignored fields are removed', () => {
    const { diagnostics, body } = validate(
      service('web', {
        spec: '  type: ClusterIP\n  clusterIP: 10.96.14.7\n  clusterIPs:\n    - 10.96.14.7\n  internalTrafficPolicy: Cluster\n  ipFamilies:\n    - IPv4\n  ipFamilyPolicy: SingleStack\n  sessionAffinity: None\n',
      }),
    );
    assert.deepEqual(
      diagnostics.map((d) => [d.severity, d.code, d.field]),
      [
        ['warning', 'IGNORED_FIELD', 'spec.internalTrafficPolicy'],
        ['warning', 'IGNORED_FIELD', 'spec.ipFamilies'],
        ['warning', 'IGNORED_FIELD', 'spec.ipFamilyPolicy'],
        ['warning', 'IGNORED_FIELD', 'spec.clusterIPs'],
      ],
    );
    assert.deepEqual(
      (body as ServiceManifest).spec,
      { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }], type: 'ClusterIP', clusterIP: '10.96.14.7', sessionAffinity: 'None' },
      'only what berth acts on is left',
    );
  });
});

describe('v1 Service: rules, each located', () => {
  for (const row of rows) {
    it(row.name, () => {
      const { diagnostics, body } = validate(row.yaml);
      const shown = JSON.stringify(diagnostics, null, 1);
      assert.equal(diagnostics.length, row.expect.length, `diagnostics: ${shown}`);
      for (const e of row.expect) {
        const match = diagnostics.find(
          (d) =>
            d.severity === e.severity &&
            d.code === e.code &&
            d.field === e.field &&
            d.line === e.line &&
            (e.message === undefined || e.message.test(d.message)),
        );
        assert.ok(match, `expected ${JSON.stringify({ ...e, message: e.message?.source })} in ${shown}`);
        assert.equal(typeof match.column, 'number', 'every diagnostic has a column');
      }
      const hasError = row.expect.some((e) => e.severity === 'error');
      assert.equal(body === undefined, hasError, hasError ? 'an invalid Service yields no object' : 'a valid Service yields its object');
    });
  }
});

function shop(files: Record<string, string>): NamespaceManifests {
  const set = loadManifests(snapshot([folder('shop', files)]), new ManifestCache());
  return set.namespaces.find((n) => n.name === 'shop')!;
}

function only(diagnostics: readonly Diagnostic[], code: string): Diagnostic {
  const found = diagnostics.filter((d) => d.code === code);
  assert.equal(found.length, 1, `one ${code} in ${JSON.stringify(diagnostics, null, 1)}`);
  return found[0]!;
}

describe('v1 Service: the namespace folder', () => {
  it('Services are loaded with their source, after the checks', () => {
    const ns = shop({ 'a.yaml': service('a'), 'b.yaml': service('b', { ports: '    - port: 81\n' }) });
    assert.equal(ns.valid, true, JSON.stringify(ns.diagnostics));
    assert.deepEqual(
      ns.objects.map((o) => [o.kind, o.metadata.name, o.source.file, o.source.line]),
      [
        ['Service', 'a', 'shop/a.yaml', 1],
        ['Service', 'b', 'shop/b.yaml', 1],
      ],
    );
  });

  const conflicts: { name: string; files: Record<string, string>; file: string; field: string; line: number; message: RegExp }[] = [
    {
      name: 'two Services on one port: the second is the error, naming the first',
      files: { 'a.yaml': service('a', { spec: '  type: LoadBalancer\n' }), 'b.yaml': service('b', { spec: '  type: LoadBalancer\n' }) },
      file: 'shop/b.yaml',
      field: 'spec.ports[0].port',
      line: 9,
      message:
        /^Service "b" would listen on port 80, as Service "a" \(spec\.ports\[0\]\.port, shop\/a\.yaml:9\) already does: .*nodePort when set, else at port/,
    },
    {
      name: "a nodePort on another Service's port",
      files: {
        'a.yaml': service('a', { ports: '    - port: 8080\n', spec: '  type: LoadBalancer\n' }),
        'b.yaml': service('b', { ports: '    - port: 80\n      nodePort: 8080\n', spec: '  type: NodePort\n' }),
      },
      file: 'shop/b.yaml',
      field: 'spec.ports[0].nodePort',
      line: 10,
      message: /would listen on port 8080, as Service "a" \(spec\.ports\[0\]\.port, shop\/a\.yaml:9\)/,
    },
    {
      name: 'one Service: a nodePort on its own other port',
      files: {
        'a.yaml': service('a', {
          ports: '    - name: x\n      port: 80\n      nodePort: 8080\n    - name: y\n      port: 8080\n',
          spec: '  type: LoadBalancer\n',
        }),
      },
      file: 'shop/a.yaml',
      field: 'spec.ports[1].port',
      line: 13,
      message: /^Service "a" would listen on port 8080, as its spec\.ports\[0\]\.nodePort already does/,
    },
    {
      name: 'two Services in one file, second document',
      files: { 'svc.yaml': `${service('a', { spec: '  type: LoadBalancer\n' })}---\n${service('b', { spec: '  type: LoadBalancer\n' })}` },
      file: 'shop/svc.yaml',
      field: 'spec.ports[0].port',
      line: 21,
      message: /as Service "a" \(spec\.ports\[0\]\.port, shop\/svc\.yaml:9\)/,
    },
  ];
  for (const c of conflicts) {
    it(`SERVICE_PORT_CONFLICT: ${c.name}`, () => {
      const ns = shop(c.files);
      assert.equal(ns.valid, false, 'the namespace is invalid');
      const d = only(ns.diagnostics, 'SERVICE_PORT_CONFLICT');
      assert.deepEqual([d.severity, d.file, d.field, d.line, d.namespace], ['error', c.file, c.field, c.line, 'shop']);
      assert.equal(typeof d.column, 'number', 'located to the column');
      assert.match(d.message, c.message);
    });
  }

  it('SERVICE_TARGET_PORT_UNKNOWN: a targetPort name no selected container declares is a located warning', () => {
    const dep =
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\nspec:\n  selector:\n    matchLabels:\n      app: a\n  template:\n    metadata:\n      labels:\n        app: a\n    spec:\n      containers:\n        - name: a\n          image: busybox:1.36\n          ports:\n            - containerPort: 8080\n              name: metrics\n';
    const ns = shop({
      'a.yaml': dep,
      'svc.yaml': service('a', { ports: '    - name: x\n      port: 80\n      targetPort: http\n    - name: y\n      port: 81\n      targetPort: metrics\n' }),
      'other.yaml': service('b', { ports: '    - port: 80\n      targetPort: unselected\n' }),
    });
    assert.equal(ns.valid, true);
    const d = only(ns.diagnostics, 'SERVICE_TARGET_PORT_UNKNOWN');
    assert.deepEqual([d.severity, d.file, d.field, d.line], ['warning', 'shop/svc.yaml', 'spec.ports[0].targetPort', 1]);
    assert.match(d.message, /^no container of Deployment "a" \(selected by app=a\) declares a port named "http"/);
  });

  it('ClusterIP Services never conflict: each listens at its own virtual address', () => {
    const ns = shop({
      'a.yaml': service('a'),
      'b.yaml': service('b'),
      'c.yaml': service('c', { ports: '    - port: 80\n      nodePort: 80\n', spec: '  type: NodePort\n' }),
    });
    assert.deepEqual([ns.valid, ns.diagnostics.map((d) => d.code)], [true, []]);
  });

  it('SERVICE_HOST_PORT_CONFLICT: a host port claimed in two namespaces: the second by name is refused, naming both files', () => {
    const set = loadManifests(
      snapshot([
        folder('shop', { 'a.yaml': service('a', { ports: '    - port: 80\n      nodePort: 30080\n', spec: '  type: NodePort\n' }) }),
        folder('blog', { 'b.yaml': service('b', { ports: '    - port: 30080\n', spec: '  type: LoadBalancer\n' }) }),
      ]),
      new ManifestCache(),
    );
    assert.deepEqual(
      set.namespaces.map((n) => [n.name, n.valid]),
      [
        ['blog', true],
        ['shop', false],
      ],
    );
    const d = only(set.namespaces[1]!.diagnostics, 'SERVICE_HOST_PORT_CONFLICT');
    assert.deepEqual([d.file, d.line, d.field], ['shop/a.yaml', 1, 'spec.ports[0].nodePort']);
    assert.match(
      d.message,
      /^NodePort Service "a" would listen on host port 30080, which Service blog\/b \(blog\/b\.yaml:1\) of another namespace already does/,
    );
  });

  it('the same ClusterIP port in two namespaces is fine (each folder is loaded on its own)', () => {
    const set = loadManifests(snapshot([folder('blog', { 'a.yaml': service('a') }), folder('shop', { 'a.yaml': service('a') })]), new ManifestCache());
    assert.deepEqual(
      set.namespaces.map((n) => [n.name, n.valid]),
      [
        ['blog', true],
        ['shop', true],
      ],
    );
  });

  it('a duplicate Service is reported once, as DUPLICATE_OBJECT, not also as a port conflict', () => {
    const ns = shop({ 'a.yaml': service('web'), 'b.yaml': service('web') });
    assert.deepEqual(
      ns.diagnostics.map((d) => d.code),
      ['DUPLICATE_OBJECT'],
    );
  });

  it('metadata.namespace must be the folder', () => {
    const ns = shop({ 'a.yaml': service('web').replace('  name: web\n', '  name: web\n  namespace: blog\n') });
    const d = only(ns.diagnostics, 'NAMESPACE_MISMATCH');
    assert.deepEqual([d.file, d.line, d.field], ['shop/a.yaml', 5, 'metadata.namespace']);
  });
});

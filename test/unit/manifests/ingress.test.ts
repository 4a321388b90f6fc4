import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnostic } from '../../../src/core/index.js';
import { readManifestFile } from '../../../src/manifests/file-result.js';
import { loadManifests, ManifestCache, type IngressManifest, type NamespaceManifests } from '../../../src/manifests/index.js';
import { DEFAULT_PARSE_LIMITS } from '../../../src/manifests/parse.js';
import { folder, snapshot } from './snapshot-builder.js';

/**
 * networking.k8s.io/v1 Ingress, table-driven: each row is one document and exactly the
 * diagnostics it must produce. Lines refer to `ingress()` below: 4 metadata.name, 5 spec,
 * 6 `rules:`, 7 `- host`, 8 `http:`, 9 `paths:`, 10 `- path`, 11 pathType, 12 backend,
 * 13 service, 14 name, 15 `port:`, 16 number; extra `spec` lines follow the rules.
 */
interface Expected {
  readonly severity: Diagnostic['severity'];
  readonly code: string;
  readonly field: string;
  readonly line: number;
  readonly message?: RegExp;
}

const err = (code: string, field: string, line: number, message?: RegExp): Expected => ({ severity: 'error', code, field, line, message });

function ingress(options: { host?: string; path?: string; pathType?: string; port?: string; service?: string; spec?: string } = {}): string {
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
spec:
  rules:
    - host: ${options.host ?? 'shop.example.com'}
      http:
        paths:
          - path: ${options.path ?? '/'}
${options.pathType ?? '            pathType: Prefix\n'}            backend:
              service:
                name: ${options.service ?? 'web'}
                port:
${options.port ?? '                  number: 80\n'}${options.spec ?? ''}`;
}

/** The public examples, as the Kubernetes documentation writes them (Ingress: minimal, default backend, fanout, name-based virtual hosting, wildcard hosts). */
const PUBLIC_EXAMPLES: Record<string, string> = {
  'the minimal Ingress': `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: minimal-ingress
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: /
spec:
  ingressClassName: nginx-example
  rules:
  - http:
      paths:
      - path: /testpath
        pathType: Prefix
        backend:
          service:
            name: test
            port:
              number: 80
`,
  'a single-service Ingress (default backend)': `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: test-ingress
spec:
  defaultBackend:
    service:
      name: test
      port:
        number: 80
`,
  'a simple fanout': `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: simple-fanout-example
spec:
  rules:
  - host: foo.bar.com
    http:
      paths:
      - path: /foo
        pathType: Prefix
        backend:
          service:
            name: service1
            port:
              number: 4200
      - path: /bar
        pathType: Prefix
        backend:
          service:
            name: service2
            port:
              number: 8080
`,
  'name-based virtual hosting with a catch-all rule': `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: name-virtual-host-ingress-no-third-host
spec:
  rules:
  - host: first.bar.com
    http:
      paths:
      - pathType: Prefix
        path: "/"
        backend:
          service:
            name: service1
            port:
              number: 80
  - host: second.bar.com
    http:
      paths:
      - pathType: Prefix
        path: "/"
        backend:
          service:
            name: service2
            port:
              number: 80
  - http:
      paths:
      - pathType: Prefix
        path: "/"
        backend:
          service:
            name: service3
            port:
              number: 80
`,
  'wildcard hosts and a port by name': `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ingress-wildcard-host
spec:
  rules:
  - host: "foo.bar.com"
    http:
      paths:
      - pathType: Prefix
        path: "/bar"
        backend:
          service:
            name: service1
            port:
              number: 80
  - host: "*.foo.com"
    http:
      paths:
      - pathType: Exact
        path: "/foo"
        backend:
          service:
            name: service2
            port:
              name: http
`,
};

const rows: readonly { name: string; yaml: string; expect: readonly Expected[] }[] = [
  { name: 'a minimal Ingress is valid', yaml: ingress(), expect: [] },
  { name: 'ImplementationSpecific and Exact are accepted', yaml: ingress({ pathType: '            pathType: ImplementationSpecific\n' }), expect: [] },
  { name: 'a port by name', yaml: ingress({ port: '                  name: http\n' }), expect: [] },
  // ---- TLS and other backends
  {
    name: 'tls is refused: plain HTTP, terminate TLS in front',
    yaml: ingress({ spec: '  tls:\n    - hosts: [shop.example.com]\n      secretName: shop-tls\n' }),
    expect: [err('UNSUPPORTED_FIELD', 'spec.tls', 17, /^not supported by berth: berth's Ingress speaks plain HTTP .*terminate TLS in front of it/)],
  },
  {
    name: 'a resource backend is refused',
    yaml: ingress().replace(
      / {14}service:\n[^]*$/,
      '              resource:\n                apiGroup: k8s.example.com\n                kind: StorageBucket\n                name: static-assets\n',
    ),
    expect: [
      err('UNSUPPORTED_FIELD', 'spec.rules[0].http.paths[0].backend.resource', 13, /resource backends/),
      err('MISSING_FIELD', 'spec.rules[0].http.paths[0].backend.service', 12),
    ],
  },
  // ---- paths
  {
    name: 'a path must start with /',
    yaml: ingress({ path: 'shop' }),
    expect: [err('INVALID_VALUE', 'spec.rules[0].http.paths[0].path', 10, /^must be an absolute path starting with '\/', got string "shop"$/)],
  },
  {
    name: 'pathType is required (as Kubernetes)',
    yaml: ingress({ pathType: '' }),
    expect: [err('MISSING_FIELD', 'spec.rules[0].http.paths[0].pathType', 10, /"pathType"/)],
  },
  {
    name: 'an unknown pathType',
    yaml: ingress({ pathType: '            pathType: Regex\n' }),
    expect: [err('INVALID_VALUE', 'spec.rules[0].http.paths[0].pathType', 11, /one of "Prefix", "Exact", "ImplementationSpecific", got string "Regex"/)],
  },
  {
    name: 'no paths',
    yaml: ingress().replace(/ {8}paths:\n[^]*$/, '        paths: []\n'),
    expect: [err('INVALID_VALUE', 'spec.rules[0].http.paths', 9, /at least 1/)],
  },
  { name: 'a rule without http', yaml: ingress().replace(/ {6}http:\n[^]*$/, ''), expect: [err('MISSING_FIELD', 'spec.rules[0].http', 7, /"http"/)] },
  // ---- hosts
  ...(
    [
      ['an IP address', '127.0.0.1'],
      ['upper case', 'Shop.example.com'],
      ['two wildcard labels', '"*.*.example.com"'],
      ['a wildcard inside', 'shop.*.com'],
      ['a port', 'shop.example.com:8080'],
    ] as const
  ).map(([what, host]) => ({
    name: `a host with ${what}`,
    yaml: ingress({ host }),
    expect: [
      err(
        'INVALID_VALUE',
        'spec.rules[0].host',
        7,
        /^must be a lowercase DNS name \(not an IP address\), optionally starting with '\*\.' for one wildcard label/,
      ),
    ],
  })),
  { name: 'a wildcard host', yaml: ingress({ host: '"*.example.com"' }), expect: [] },
  {
    name: 'a host longer than 253',
    yaml: ingress({ host: `${'a'.repeat(60)}.`.repeat(5) + 'com' }),
    expect: [err('INVALID_VALUE', 'spec.rules[0].host', 7, /at most 253/)],
  },
  // ---- backend ports
  {
    name: 'a port with both number and name',
    yaml: ingress({ port: '                  number: 80\n                  name: http\n' }),
    expect: [err('INVALID_VALUE', 'spec.rules[0].http.paths[0].backend.service.port', 15, /exactly one of number .* or name/)],
  },
  {
    name: 'a port with neither',
    yaml: ingress({ port: '                  {}\n' }).replace('port:\n                  {}', 'port: {}'),
    expect: [err('INVALID_VALUE', 'spec.rules[0].http.paths[0].backend.service.port', 15, /exactly one of number/)],
  },
  {
    name: 'a port number out of range',
    yaml: ingress({ port: '                  number: 0\n' }),
    expect: [err('INVALID_VALUE', 'spec.rules[0].http.paths[0].backend.service.port.number', 16, />= 1/)],
  },
  {
    name: 'a bad port name',
    yaml: ingress({ port: '                  name: HTTP\n' }),
    expect: [err('INVALID_VALUE', 'spec.rules[0].http.paths[0].backend.service.port.name', 16, /must be a port name/)],
  },
  {
    name: 'a Service name that is not a DNS label',
    yaml: ingress({ service: 'Web' }),
    expect: [err('INVALID_VALUE', 'spec.rules[0].http.paths[0].backend.service.name', 14, /DNS label/)],
  },
  // ---- the spec as a whole
  {
    name: 'neither rules nor defaultBackend',
    yaml: ingress().replace(/ {2}rules:\n[^]*$/, '  ingressClassName: berth\n'),
    expect: [err('MISSING_FIELD', 'spec.rules', 5, /^an Ingress needs spec\.rules or spec\.defaultBackend/)],
  },
  {
    name: 'an empty rule list and no defaultBackend',
    yaml: ingress().replace(/ {2}rules:\n[^]*$/, '  rules: []\n'),
    expect: [err('MISSING_FIELD', 'spec.rules', 6, /needs spec\.rules or spec\.defaultBackend/)],
  },
  { name: 'ingressClassName is accepted without a warning', yaml: ingress({ spec: '  ingressClassName: nginx\n' }), expect: [] },
  {
    name: 'a typo',
    yaml: ingress({ spec: '  defaultBackned:\n    service: {name: web, port: {number: 80}}\n' }),
    expect: [err('UNKNOWN_FIELD', 'spec.defaultBackned', 17, /did you mean "defaultBackend"/)],
  },
  { name: 'status is not kept in Git', yaml: `${ingress()}status:\n  loadBalancer:\n    ingress: []\n`, expect: [err('UNSUPPORTED_FIELD', 'status', 17)] },
  {
    name: 'the wrong apiVersion (extensions/v1beta1 is gone)',
    yaml: ingress().replace('networking.k8s.io/v1', 'extensions/v1beta1'),
    expect: [err('WRONG_API_VERSION', 'apiVersion', 1, /must be apiVersion "networking\.k8s\.io\/v1"/)],
  },
];

function validate(yaml: string): { diagnostics: readonly Diagnostic[]; body: unknown } {
  const result = readManifestFile(new TextEncoder().encode(yaml), DEFAULT_PARSE_LIMITS);
  return { diagnostics: result.diagnostics, body: result.documents[0]?.body };
}

describe('networking.k8s.io/v1 Ingress: the public examples', () => {
  for (const [name, yaml] of Object.entries(PUBLIC_EXAMPLES)) {
    it(`${name} validates without a diagnostic`, () => {
      const { diagnostics, body } = validate(yaml);
      assert.deepEqual(diagnostics, [], 'no diagnostics');
      assert.ok(body, 'the Ingress is handed downstream');
    });
  }

  it('the object handed downstream keeps rules in order', () => {
    const { body } = validate(PUBLIC_EXAMPLES['name-based virtual hosting with a catch-all rule']!);
    const spec = (body as IngressManifest).spec;
    assert.deepEqual(
      spec.rules?.map((r) => r.host),
      ['first.bar.com', 'second.bar.com', undefined],
    );
  });
});

describe('networking.k8s.io/v1 Ingress: rules, each located', () => {
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
      assert.equal(body === undefined, hasError, hasError ? 'an invalid Ingress yields no object' : 'a valid Ingress yields its object');
    });
  }
});

/** A Service for the folder-level checks: ports `http` 80 → 8080 and `admin` 9000. */
const webService = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - name: http
      port: 80
      targetPort: 8080
    - name: admin
      port: 9000
`;

function shop(files: Record<string, string>): NamespaceManifests {
  const set = loadManifests(snapshot([folder('shop', files)]), new ManifestCache());
  return set.namespaces.find((n) => n.name === 'shop')!;
}

const B = 'spec.rules[0].http.paths[0].backend.service';

describe('networking.k8s.io/v1 Ingress: backends name Services of the folder', () => {
  it('a backend naming a Service and port of the folder (by number or name, in any file order) is fine', () => {
    for (const port of ['                  number: 80\n', '                  number: 9000\n', '                  name: admin\n']) {
      const ns = shop({ 'a-ingress.yaml': ingress({ port }), 'z-web.yaml': webService });
      assert.equal(ns.valid, true, JSON.stringify(ns.diagnostics));
      assert.deepEqual(
        ns.objects.map((o) => o.kind),
        ['Ingress', 'Service'],
      );
    }
  });

  const cases: { name: string; files: Record<string, string>; code: string; field: string; line: number; message: RegExp }[] = [
    {
      name: 'a Service not in the folder',
      files: { 'ingress.yaml': ingress({ service: 'api' }), 'web.yaml': webService },
      code: 'SERVICE_NOT_FOUND',
      field: `${B}.name`,
      line: 14,
      message: /^Service "api" is not defined in namespace folder "shop": an Ingress routes to Services of its own namespace folder \(it defines "web"\)$/,
    },
    {
      name: 'no Service at all',
      files: { 'ingress.yaml': ingress() },
      code: 'SERVICE_NOT_FOUND',
      field: `${B}.name`,
      line: 14,
      message: /is not defined in namespace folder "shop": .*; add a v1 Service there$/,
    },
    {
      name: 'the default backend',
      files: {
        'ingress.yaml': ingress({ spec: '  defaultBackend:\n    service:\n      name: fallback\n      port:\n        number: 80\n' }),
        'web.yaml': webService,
      },
      code: 'SERVICE_NOT_FOUND',
      field: 'spec.defaultBackend.service.name',
      line: 19,
      message: /Service "fallback"/,
    },
    {
      name: 'a port number the Service does not declare',
      files: { 'ingress.yaml': ingress({ port: '                  number: 81\n' }), 'web.yaml': webService },
      code: 'SERVICE_PORT_NOT_FOUND',
      field: `${B}.port.number`,
      line: 16,
      message:
        /^Service "web" \(shop\/web\.yaml:4\) has no port 81; it declares 80 \(http\), 9000 \(admin\) \(a backend names the Service port, not the targetPort\)$/,
    },
    {
      name: 'the targetPort instead of the port',
      files: { 'ingress.yaml': ingress({ port: '                  number: 8080\n' }), 'web.yaml': webService },
      code: 'SERVICE_PORT_NOT_FOUND',
      field: `${B}.port.number`,
      line: 16,
      message: /has no port 8080; .*not the targetPort/,
    },
    {
      name: 'a port name the Service does not declare',
      files: { 'ingress.yaml': ingress({ port: '                  name: https\n' }), 'web.yaml': webService },
      code: 'SERVICE_PORT_NOT_FOUND',
      field: `${B}.port.name`,
      line: 16,
      message: /^Service "web" \(shop\/web\.yaml:4\) has no port named "https"; it declares 80 \(http\), 9000 \(admin\)$/,
    },
  ];
  for (const c of cases) {
    it(`${c.code}: ${c.name}`, () => {
      const ns = shop(c.files);
      assert.equal(ns.valid, false, 'the namespace is invalid');
      const found = ns.diagnostics.filter((d) => d.code === c.code);
      assert.equal(found.length, 1, JSON.stringify(ns.diagnostics, null, 1));
      const d = found[0]!;
      assert.deepEqual([d.severity, d.file, d.field, d.line, d.namespace, d.document], ['error', 'shop/ingress.yaml', c.field, c.line, 'shop', 0]);
      assert.equal(typeof d.column, 'number', 'located to the column');
      assert.match(d.message, c.message);
    });
  }

  it('a Service of another namespace folder does not count', () => {
    const set = loadManifests(snapshot([folder('blog', { 'web.yaml': webService }), folder('shop', { 'ingress.yaml': ingress() })]), new ManifestCache());
    assert.deepEqual(
      set.namespaces.map((n) => [n.name, n.valid]),
      [
        ['blog', true],
        ['shop', false],
      ],
    );
  });

  it('an invalid Service counts as defined: only its own error is reported', () => {
    const ns = shop({
      'ingress.yaml': ingress({ port: '                  number: 81\n' }),
      'web.yaml': webService.replace('      port: 9000\n', '      port: 9000\n      protocol: UDP\n'),
    });
    assert.deepEqual(
      ns.diagnostics.map((d) => [d.code, d.file]),
      [['UNSUPPORTED_FIELD', 'shop/web.yaml']],
    );
  });
});

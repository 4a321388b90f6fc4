import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnostic } from '../../../src/core/index.js';
import { readManifestFile } from '../../../src/manifests/file-result.js';
import { base64Length, loadManifests, ManifestCache, utf8Length, type ConfigMapManifest, type NamespaceManifests } from '../../../src/manifests/index.js';
import { DEFAULT_PARSE_LIMITS } from '../../../src/manifests/parse.js';
import { deployment, folder, snapshot } from './snapshot-builder.js';

/**
 * v1 ConfigMap (its own rules: keys, base64, 1 MiB) and the Deployment fields that use one
 * (env[].valueFrom.configMapKeyRef, envFrom, configMap volumes), checked per namespace folder;
 * plus the other Kubernetes-as-people-write-it items: ServiceAccount ignored with a warning,
 * fsGroup accepted, `kubectl create --dry-run=client -o yaml` output. Lines refer to the YAML
 * built here: configMap() puts metadata.name on line 4 and data on line 5.
 */
const configMap = (name: string, body = 'data:\n  mode: fast\n  nginx.conf: |\n    listen 80;\n'): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${body}`;

/** Lines under deployment()'s container (10 spaces in) or pod spec (6 spaces in). */
const inContainer = (lines: string): string => lines.replace(/^(?=.)/gm, '          ');
const inPod = (lines: string): string => lines.replace(/^(?=.)/gm, '      ');

function validate(yaml: string): { diagnostics: readonly Diagnostic[]; body: unknown } {
  const result = readManifestFile(new TextEncoder().encode(yaml), DEFAULT_PARSE_LIMITS);
  return { diagnostics: result.diagnostics, body: result.documents[0]?.body };
}

function shop(files: Record<string, string>, limits: { maxFileBytes?: number } = {}): NamespaceManifests {
  const set = loadManifests(snapshot([folder('shop', files)]), new ManifestCache(), limits);
  return set.namespaces.find((n) => n.name === 'shop')!;
}

const brief = (d: Diagnostic): [string, string, string | undefined, number | undefined] => [d.severity, d.code, d.field, d.line];

describe('v1 ConfigMap: one document', () => {
  it('data, binaryData and immutable are accepted as written', () => {
    const { diagnostics, body } = validate(configMap('web', 'data:\n  mode: fast\nbinaryData:\n  logo.png: iVBORw0KGgo=\nimmutable: true\n'));
    assert.deepEqual(diagnostics, []);
    const cm = body as ConfigMapManifest;
    assert.deepEqual(cm.data, { mode: 'fast' });
    assert.deepEqual(cm.binaryData, { 'logo.png': 'iVBORw0KGgo=' });
    assert.equal(cm.immutable, true);
  });

  const rows: { name: string; body: string; expect: ReturnType<typeof brief>[]; message?: RegExp }[] = [
    { name: 'an empty ConfigMap is fine', body: '', expect: [] },
    {
      name: 'a key with a slash',
      body: 'data:\n  conf/app: x\n',
      expect: [['error', 'INVALID_VALUE', 'data["conf/app"]', 6]],
      message: /invalid key "conf\/app".*ConfigMap key/,
    },
    { name: 'the key ".."', body: 'data:\n  "..": x\n', expect: [['error', 'INVALID_VALUE', 'data[".."]', 6]], message: /not "\." or "\.\."/ },
    { name: 'a key starting with ".."', body: 'data:\n  ..data: x\n', expect: [['error', 'INVALID_VALUE', 'data["..data"]', 6]] },
    {
      name: 'a key of 254 characters',
      body: `data:\n  ${'k'.repeat(254)}: x\n`,
      expect: [['error', 'INVALID_VALUE', `data.${'k'.repeat(254)}`, 6]],
      message: /at most 253/,
    },
    {
      name: 'a number value (unquoted)',
      body: 'data:\n  port: 8080\n',
      expect: [['error', 'INVALID_VALUE', 'data.port', 6]],
      message: /must be a string \(quote values/,
    },
    {
      name: 'binaryData that is not base64',
      body: 'binaryData:\n  logo.png: not base64!\n',
      expect: [['error', 'INVALID_VALUE', 'binaryData["logo.png"]', 6]],
      message: /must be base64/,
    },
    {
      name: 'binaryData without padding',
      body: 'binaryData:\n  logo.png: aGk\n',
      expect: [['error', 'INVALID_VALUE', 'binaryData["logo.png"]', 6]],
      message: /multiple of 4/,
    },
    {
      name: 'a key in data and binaryData',
      body: 'data:\n  logo: x\nbinaryData:\n  logo: aGk=\n',
      expect: [['error', 'CONFIGMAP_DUPLICATE_KEY', 'binaryData.logo', 8]],
    },
    { name: 'immutable must be a boolean', body: 'immutable: "yes"\n', expect: [['error', 'INVALID_VALUE', 'immutable', 5]] },
    { name: 'a typo', body: 'dat:\n  a: b\n', expect: [['error', 'UNKNOWN_FIELD', 'dat', 5]], message: /did you mean "data"/ },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const { diagnostics, body } = validate(configMap('web', row.body));
      assert.deepEqual(diagnostics.map(brief), row.expect);
      if (row.message) assert.match(diagnostics[0]!.message, row.message);
      if (row.expect.some((e) => e[0] === 'error')) assert.equal(body, undefined);
    });
  }

  it('over 1 MiB of values is CONFIGMAP_TOO_LARGE (the file limit raised so the ConfigMap is reached)', () => {
    const big = 'x'.repeat(600 * 1024);
    const ns = shop({ 'cfg.yaml': configMap('web', `data:\n  a: ${big}\n  b: ${big}\n`) }, { maxFileBytes: 4 * 1024 * 1024 });
    assert.equal(ns.valid, false);
    assert.deepEqual(ns.diagnostics.map(brief), [['error', 'CONFIGMAP_TOO_LARGE', 'data', 5]]);
    assert.match(ns.diagnostics[0]!.message, /1228800 bytes, more than 1 MiB \(1048576 bytes\)/);
    // Exactly 1 MiB is allowed, as in Kubernetes.
    const edge = shop({ 'cfg.yaml': configMap('web', `data:\n  a: ${'x'.repeat(1024 * 1024)}\n`) }, { maxFileBytes: 4 * 1024 * 1024 });
    assert.equal(edge.valid, true);
  });

  it('sizes are counted as Kubernetes counts them (UTF-8 bytes, decoded base64); worked examples', () => {
    assert.equal(utf8Length('héllo'), 6);
    assert.equal(utf8Length('😀'), 4);
    assert.equal(base64Length('aGk='), 2);
    assert.equal(base64Length('aGVsbG8='), 5);
    assert.equal(base64Length('aGVs\n bG8='), 5);
    assert.equal(base64Length('aGk'), undefined);
  });
});

describe('Deployments using ConfigMaps: checked per namespace folder, located', () => {
  const cmEnv = (name: string, key: string, more = ''): string =>
    inContainer(`env:\n  - name: MODE\n    valueFrom:\n      configMapKeyRef:\n        name: ${name}\n        key: ${key}\n${more}`);
  const envFrom = (lines: string): string => inContainer(`envFrom:\n${lines}`);
  const volume = (lines: string): string => inPod(`volumes:\n  - name: cfg\n    configMap:\n${lines}`);
  const mount = inContainer('volumeMounts:\n  - name: cfg\n    mountPath: /etc/app\n');
  // deployment() lines: container fields start at line 18, pod fields at line 15.
  const rows: { name: string; files: Record<string, string>; expect: ReturnType<typeof brief>[]; message?: RegExp }[] = [
    {
      name: 'configMapKeyRef to a data key',
      files: { 'cfg.yaml': configMap('app'), 'web.yaml': deployment('web', { container: cmEnv('app', 'mode') }) },
      expect: [],
    },
    {
      name: 'configMapKeyRef to a ConfigMap that does not exist',
      files: { 'web.yaml': deployment('web', { container: cmEnv('app', 'mode') }) },
      expect: [['error', 'CONFIGMAP_REF_NOT_FOUND', 'spec.template.spec.containers[0].env[0].valueFrom.configMapKeyRef.name', 22]],
      message: /ConfigMap "app" is not defined in namespace folder "shop".*optional: true/,
    },
    { name: '… unless optional', files: { 'web.yaml': deployment('web', { container: cmEnv('app', 'mode', '        optional: true\n') }) }, expect: [] },
    {
      name: 'configMapKeyRef to a missing key',
      files: { 'cfg.yaml': configMap('app'), 'web.yaml': deployment('web', { container: cmEnv('app', 'speed') }) },
      expect: [['error', 'CONFIGMAP_REF_NOT_FOUND', 'spec.template.spec.containers[0].env[0].valueFrom.configMapKeyRef.key', 23]],
      message: /has no key "speed" in data; it holds "mode", "nginx\.conf"/,
    },
    {
      name: '… unless optional (key)',
      files: { 'cfg.yaml': configMap('app'), 'web.yaml': deployment('web', { container: cmEnv('app', 'speed', '        optional: true\n') }) },
      expect: [],
    },
    {
      name: 'configMapKeyRef to a binaryData key: env reads data only',
      files: { 'cfg.yaml': configMap('app', 'binaryData:\n  mode: aGk=\n'), 'web.yaml': deployment('web', { container: cmEnv('app', 'mode') }) },
      expect: [['error', 'CONFIGMAP_REF_NOT_FOUND', 'spec.template.spec.containers[0].env[0].valueFrom.configMapKeyRef.key', 23]],
      message: /in binaryData; an environment variable reads data only/,
    },
    {
      name: 'configMapKeyRef and secretKeyRef together',
      files: {
        'cfg.yaml': configMap('app'),
        'web.yaml': deployment('web', {
          container: inContainer(
            'env:\n  - name: MODE\n    valueFrom:\n      secretKeyRef:\n        name: db\n        key: password\n      configMapKeyRef:\n        name: app\n        key: mode\n',
          ),
        }),
      },
      expect: [['error', 'INVALID_VALUE', 'spec.template.spec.containers[0].env[0].valueFrom', 20]],
      message: /exactly one source/,
    },
    {
      name: 'envFrom a ConfigMap and a Secret, with a prefix',
      files: {
        'cfg.yaml': configMap('app'),
        's.yaml':
          'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: berth.dev/host-reference\nspec:\n  keys:\n    password:\n      env: DB_PASSWORD\n',
        'web.yaml': deployment('web', { container: envFrom('  - configMapRef:\n      name: app\n    prefix: APP_\n  - secretRef:\n      name: db\n') }),
      },
      expect: [],
    },
    {
      name: 'envFrom a ConfigMap that does not exist',
      files: { 'web.yaml': deployment('web', { container: envFrom('  - configMapRef:\n      name: app\n') }) },
      expect: [['error', 'CONFIGMAP_REF_NOT_FOUND', 'spec.template.spec.containers[0].envFrom[0].configMapRef.name', 20]],
    },
    {
      name: 'envFrom a Secret that does not exist',
      files: { 'web.yaml': deployment('web', { container: envFrom('  - secretRef:\n      name: db\n') }) },
      expect: [['error', 'SECRET_REF_NOT_FOUND', 'spec.template.spec.containers[0].envFrom[0].secretRef.name', 20]],
    },
    {
      name: 'envFrom optional sources may be missing',
      files: {
        'web.yaml': deployment('web', {
          container: envFrom('  - configMapRef:\n      name: app\n      optional: true\n  - secretRef:\n      name: db\n      optional: true\n'),
        }),
      },
      expect: [],
    },
    {
      name: 'envFrom with both sources in one entry',
      files: {
        'cfg.yaml': configMap('app'),
        'web.yaml': deployment('web', { container: envFrom('  - configMapRef:\n      name: app\n    secretRef:\n      name: app\n') }),
      },
      expect: [['error', 'INVALID_VALUE', 'spec.template.spec.containers[0].envFrom[0]', 19]],
      message: /exactly one source: configMapRef or secretRef/,
    },
    {
      name: "envFrom keys starting with a digit are fine (Kubernetes' relaxed variable names)",
      files: {
        'cfg.yaml': configMap('app', 'data:\n  1st: x\n  ok: y\n'),
        'web.yaml': deployment('web', { container: envFrom('  - configMapRef:\n      name: app\n') }),
      },
      expect: [],
    },
    {
      name: 'a configMap volume with items, modes and subPath',
      files: {
        'cfg.yaml': configMap('app'),
        'web.yaml': deployment('web', {
          podSpec: volume(
            '      name: app\n      defaultMode: 0440\n      items:\n        - key: nginx.conf\n          path: conf/nginx.conf\n          mode: 0400\n',
          ),
          container: inContainer('volumeMounts:\n  - name: cfg\n    mountPath: /etc/nginx/nginx.conf\n    subPath: conf/nginx.conf\n'),
        }),
      },
      expect: [],
    },
    {
      name: 'a configMap volume naming a ConfigMap that does not exist',
      files: { 'web.yaml': deployment('web', { podSpec: volume('      name: app\n      items:\n        - key: a\n          path: a\n'), container: mount }) },
      expect: [['error', 'CONFIGMAP_REF_NOT_FOUND', 'spec.template.spec.volumes[0].configMap.name', 18]],
    },
    {
      name: 'a configMap volume item naming a missing key (binaryData keys count)',
      files: {
        'cfg.yaml': configMap('app', 'binaryData:\n  logo.png: aGk=\n'),
        'web.yaml': deployment('web', {
          podSpec: volume('      name: app\n      items:\n        - key: logo.png\n          path: logo.png\n        - key: nope\n          path: nope\n'),
          container: mount,
        }),
      },
      expect: [['error', 'CONFIGMAP_REF_NOT_FOUND', 'spec.template.spec.volumes[0].configMap.items[1].key', 22]],
      message: /has no key "nope"; it holds "logo\.png"/,
    },
    {
      name: 'an optional configMap volume may be missing',
      files: { 'web.yaml': deployment('web', { podSpec: volume('      name: app\n      optional: true\n'), container: mount }) },
      expect: [],
    },
    {
      name: 'two items at one path',
      files: {
        'cfg.yaml': configMap('app'),
        'web.yaml': deployment('web', {
          podSpec: volume('      name: app\n      items:\n        - key: mode\n          path: a\n        - key: nginx.conf\n          path: a\n'),
          container: mount,
        }),
      },
      expect: [['error', 'INVALID_VALUE', 'spec.template.spec.volumes[0].configMap.items[1].path', 23]],
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const ns = shop(row.files);
      const problems = ns.diagnostics.filter((d) => d.file === 'shop/web.yaml');
      assert.deepEqual(problems.map(brief), row.expect, JSON.stringify(ns.diagnostics, null, 1));
      if (row.message) assert.match(problems[0]!.message, row.message);
      assert.equal(ns.valid, !row.expect.some((e) => e[0] === 'error'));
      if (!ns.valid) assert.deepEqual(ns.objects, [], 'an invalid folder hands nothing downstream');
    });
  }

  it('YAML 1.1 octal modes of a configMap volume are read as Kubernetes reads them', () => {
    const ns = shop({
      'cfg.yaml': configMap('app'),
      'web.yaml': deployment('web', {
        podSpec: volume('      name: app\n      defaultMode: 0440\n      items:\n        - key: mode\n          path: mode\n          mode: 0400\n'),
        container: mount,
      }),
    });
    const web = ns.objects.find((o) => o.kind === 'Deployment');
    assert.ok(web && web.kind === 'Deployment');
    const cm = web.spec.template.spec.volumes![0]!.configMap!;
    assert.equal(cm.defaultMode, 0o440);
    assert.equal(cm.items![0]!.mode, 0o400);
  });
});

describe('Kubernetes manifests as people write them', () => {
  it('a ServiceAccount is accepted and ignored with a warning (serviceAccountName already was)', () => {
    const ns = shop({
      'sa.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n',
      'web.yaml': deployment('web', { podSpec: inPod('serviceAccountName: web\n') }),
    });
    assert.equal(ns.valid, true);
    assert.deepEqual(
      ns.diagnostics.map((d) => [d.severity, d.code, d.file, d.field, d.line]),
      [
        ['warning', 'IGNORED_KIND', 'shop/sa.yaml', 'kind', 2],
        ['warning', 'IGNORED_FIELD', 'shop/web.yaml', 'spec.template.spec.serviceAccountName', 15],
      ],
    );
    assert.deepEqual(
      ns.objects.map((o) => o.kind),
      ['Deployment'],
      'nothing downstream sees the ServiceAccount',
    );
  });

  it('fsGroup and fsGroupChangePolicy are accepted on the pod', () => {
    const ns = shop({ 'web.yaml': deployment('web', { podSpec: inPod('securityContext:\n  fsGroup: 2000\n  fsGroupChangePolicy: OnRootMismatch\n') }) });
    assert.deepEqual(ns.diagnostics, []);
    const web = ns.objects[0];
    assert.ok(web?.kind === 'Deployment');
    assert.equal(web.spec.template.spec.securityContext?.fsGroup, 2000);
  });

  it('kubectl create --dry-run=client -o yaml output validates (creationTimestamp: null, status: {}, resources: {}, strategy: {})', () => {
    const ns = shop({
      // kubectl create deployment web --image=busybox:1.36 --port=8080 --dry-run=client -o yaml
      'web.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  creationTimestamp: null\n  labels:\n    app: web\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: web\n  strategy: {}\n  template:\n    metadata:\n      creationTimestamp: null\n      labels:\n        app: web\n    spec:\n      containers:\n      - image: busybox:1.36\n        name: busybox\n        ports:\n        - containerPort: 8080\n        resources: {}\nstatus: {}\n',
      // kubectl create service clusterip web --tcp=8080:8080 --dry-run=client -o yaml
      'svc.yaml':
        'apiVersion: v1\nkind: Service\nmetadata:\n  creationTimestamp: null\n  labels:\n    app: web\n  name: web\nspec:\n  ports:\n  - name: 8080-8080\n    port: 8080\n    protocol: TCP\n    targetPort: 8080\n  selector:\n    app: web\n  type: ClusterIP\nstatus:\n  loadBalancer: {}\n',
      // kubectl create configmap app --from-literal=mode=fast --dry-run=client -o yaml
      'cfg.yaml': 'apiVersion: v1\ndata:\n  mode: fast\nkind: ConfigMap\nmetadata:\n  creationTimestamp: null\n  name: app\n',
      // kubectl create serviceaccount web --dry-run=client -o yaml
      'sa.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  creationTimestamp: null\n  name: web\n',
    });
    assert.deepEqual(
      ns.diagnostics.map((d) => [d.severity, d.code, d.file]),
      [['warning', 'IGNORED_KIND', 'shop/sa.yaml']],
    );
    assert.equal(ns.valid, true);
    assert.deepEqual(ns.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), ['ConfigMap/app', 'Deployment/web', 'Service/web']);
    const web = ns.objects.find((o) => o.kind === 'Deployment')!;
    assert.equal('status' in web, false, 'the empty status is dropped');
    assert.equal('creationTimestamp' in web.metadata, false);
  });

  it('a real creationTimestamp or a non-empty status is still refused, located', () => {
    const ns = shop({
      'web.yaml': deployment('web').replace('  name: web\n', '  name: web\n  creationTimestamp: "2024-05-01T10:00:00Z"\n') + 'status:\n  replicas: 1\n',
    });
    assert.deepEqual(ns.diagnostics.map(brief), [
      ['error', 'UNSUPPORTED_FIELD', 'metadata.creationTimestamp', 5],
      ['error', 'UNSUPPORTED_FIELD', 'status', 19],
    ]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDesiredState, CONFIGMAP_ABSENT, type DesiredDeployment, type DesiredState } from '../../../src/desired/index.js';
import { loadManifests, ManifestCache } from '../../../src/manifests/index.js';
import type { ObservedState } from '../../../src/observed/index.js';
import { renderPlanText } from '../../../src/plan/index.js';
import { livePlan } from '../../../src/controller/live-plan.js';
import { compare, renderChangeSetMarkdown, renderChangeSetText } from '../../../src/preview/index.js';
import { replicaSpec } from '../../../src/rollout/container-spec.js';
import { LABEL } from '../../../src/runtime/index.js';
import { replicas, T0 } from '../../helpers/builders.js';
import { folder, snapshot } from '../manifests/snapshot-builder.js';

/**
 * ConfigMaps through desired state: the revision rule (a template that uses a ConfigMap carries
 * its content hash, so a change rolls exactly its users and nobody else; a template that uses
 * none hashes exactly as before), env and envFrom (values from Git), configMap volume files
 * (content beside the template, not in it), fsGroup; and the plans that say why a Deployment rolls.
 */
const configMap = (name: string, data: Record<string, string>, extra = ''): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${Object.entries(data)
    .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}\n`)
    .join('')}${extra}`;

/** A Deployment; `container` lines go under the container (12 spaces in), `pod` under the pod spec (6 in). */
const deployment = (name: string, o: { container?: string; pod?: string } = {}): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
${(o.pod ?? '').replace(/^(?=.)/gm, '      ')}      containers:
        - name: main
          image: busybox:1.36
${(o.container ?? '').replace(/^(?=.)/gm, '          ')}`;

const fromKey = (cm: string, key: string, more = ''): string =>
  `env:\n  - name: MODE\n    valueFrom:\n      configMapKeyRef:\n        name: ${cm}\n        key: ${key}\n${more}`;
const volume = (cm: string, more = ''): string => `volumes:\n  - name: cfg\n    configMap:\n      name: ${cm}\n${more}`;
const mount = 'volumeMounts:\n  - name: cfg\n    mountPath: /etc/app\n';

function stateOf(files: Record<string, string>, commit = 'c0ffee'): DesiredState {
  return buildDesiredState(loadManifests(snapshot([folder('shop', files)], {}, commit), new ManifestCache()), { instance: 'default' });
}

function deploymentsOf(files: Record<string, string>): Record<string, DesiredDeployment> {
  const ns = stateOf(files).namespaces[0]!;
  assert.equal(ns.valid, true, JSON.stringify(ns.diagnostics));
  return Object.fromEntries(ns.deployments.map((d) => [d.name, d]));
}

describe('the revision rule: a ConfigMap change rolls exactly the Deployments that use it', () => {
  const base = {
    'app.yaml': configMap('app', { mode: 'fast', 'site.conf': 'listen 80;' }),
    'other.yaml': configMap('other', { x: '1' }),
    'api.yaml': deployment('api', { container: fromKey('app', 'mode') }),
    'files.yaml': deployment('files', { pod: volume('app'), container: mount }),
    'plain.yaml': deployment('plain'),
  };
  const before = deploymentsOf(base);
  const rows: { name: string; change: Record<string, string>; rolls: string[] }[] = [
    { name: 'nothing changes', change: {}, rolls: [] },
    { name: 'a key an env var reads', change: { 'app.yaml': configMap('app', { mode: 'slow', 'site.conf': 'listen 80;' }) }, rolls: ['api', 'files'] },
    {
      name: 'a key no env var reads: the whole content counts (as Reloader does)',
      change: { 'app.yaml': configMap('app', { mode: 'fast', 'site.conf': 'listen 81;' }) },
      rolls: ['api', 'files'],
    },
    { name: 'a ConfigMap nobody uses', change: { 'other.yaml': configMap('other', { x: '2' }) }, rolls: [] },
    {
      name: 'only formatting (key order, quoting)',
      change: { 'app.yaml': "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  site.conf: 'listen 80;'\n  mode: fast\n" },
      rolls: [],
    },
    {
      name: 'immutable flips (not content)',
      change: { 'app.yaml': configMap('app', { mode: 'fast', 'site.conf': 'listen 80;' }, 'immutable: true\n') },
      rolls: [],
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const after = deploymentsOf({ ...base, ...row.change });
      const rolled = Object.keys(after).filter((n) => after[n]!.revision !== before[n]!.revision);
      assert.deepEqual(rolled.sort(), row.rolls);
    });
  }

  it('a template that uses no ConfigMap hashes exactly as it did before ConfigMaps (no configMaps field)', () => {
    assert.equal(before['plain']!.template.configMaps, undefined);
    assert.equal(before['plain']!.configData, undefined);
    // The same Deployment in a folder without any ConfigMap: the same revision.
    assert.equal(deploymentsOf({ 'plain.yaml': deployment('plain') })['plain']!.revision, before['plain']!.revision);
  });

  it('the template holds each used ConfigMap by content hash; volume content rides beside it, not in it', () => {
    const api = before['api']!;
    const files = before['files']!;
    assert.deepEqual(Object.keys(api.template.configMaps!), ['app']);
    assert.match(api.template.configMaps!['app']!, /^[0-9a-f]{16}$/);
    assert.equal(files.template.configMaps!['app'], api.template.configMaps!['app']);
    assert.equal(api.configData, undefined, 'env values are in the template; nothing rides beside it');
    assert.deepEqual(files.configData, { app: { data: { mode: 'fast', 'site.conf': 'listen 80;' }, binaryData: {} } });
    assert.doesNotMatch(JSON.stringify(files.template), /listen 80/, 'file content is not in the template');
  });

  it('an optional ConfigMap not in Git is "absent": adding it later rolls', () => {
    const without = deploymentsOf({ 'api.yaml': deployment('api', { container: fromKey('app', 'mode', '        optional: true\n') }) })['api']!;
    assert.deepEqual(without.template.configMaps, { app: CONFIGMAP_ABSENT });
    assert.deepEqual(without.template.env, []);
    const withIt = deploymentsOf({
      'app.yaml': configMap('app', { mode: 'fast' }),
      'api.yaml': deployment('api', { container: fromKey('app', 'mode', '        optional: true\n') }),
    })['api']!;
    assert.notEqual(withIt.revision, without.revision);
    assert.deepEqual(withIt.template.env, [{ name: 'MODE', value: 'fast', configMap: 'app' }]);
  });
});

describe('env and envFrom', () => {
  const cm = configMap('app', { mode: 'fast', LEVEL: 'info', '1st': 'first' });
  const secret =
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: berth.dev/host-reference\nspec:\n  keys:\n    PASSWORD:\n      file: /etc/berth/secrets/db\n    mode:\n      env: DB_MODE\n';
  const rows: { name: string; container: string; env: unknown[] }[] = [
    {
      name: 'configMapKeyRef: the value from Git, tagged with its ConfigMap',
      container: fromKey('app', 'mode'),
      env: [{ name: 'MODE', value: 'fast', configMap: 'app' }],
    },
    { name: 'an optional missing key leaves the variable out', container: fromKey('app', 'nope', '        optional: true\n'), env: [] },
    {
      name: 'envFrom: keys sorted, prefix prepended',
      container: 'envFrom:\n  - configMapRef:\n      name: app\n    prefix: APP_\n',
      env: [
        { name: 'APP_1st', value: 'first', configMap: 'app' },
        { name: 'APP_LEVEL', value: 'info', configMap: 'app' },
        { name: 'APP_mode', value: 'fast', configMap: 'app' },
      ],
    },
    {
      name: "envFrom without a prefix: a key starting with a digit is a name too (Kubernetes' relaxed rule)",
      container: 'envFrom:\n  - configMapRef:\n      name: app\n',
      env: [
        { name: '1st', value: 'first', configMap: 'app' },
        { name: 'LEVEL', value: 'info', configMap: 'app' },
        { name: 'mode', value: 'fast', configMap: 'app' },
      ],
    },
    {
      name: 'a later source wins, and env wins over envFrom (as Kubernetes)',
      container: 'envFrom:\n  - configMapRef:\n      name: app\n  - secretRef:\n      name: db\nenv:\n  - name: LEVEL\n    value: debug\n',
      env: [
        { name: '1st', value: 'first', configMap: 'app' },
        { name: 'PASSWORD', secretRef: { secret: 'db', key: 'PASSWORD', source: { file: '/etc/berth/secrets/db' } } },
        { name: 'mode', secretRef: { secret: 'db', key: 'mode', source: { env: 'DB_MODE' } } },
        { name: 'LEVEL', value: 'debug' },
      ],
    },
    {
      name: 'envFrom an optional Secret that is not in Git adds nothing',
      container: 'envFrom:\n  - secretRef:\n      name: nope\n      optional: true\n',
      env: [],
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const web = deploymentsOf({ 'app.yaml': cm, 'db.yaml': secret, 'web.yaml': deployment('web', { container: row.container }) })['web']!;
      assert.deepEqual(web.template.env, row.env);
    });
  }

  it('the replica gets plain name=value pairs (where a value came from stays in the plan)', () => {
    const web = deploymentsOf({ 'app.yaml': cm, 'web.yaml': deployment('web', { container: fromKey('app', 'mode') }) })['web']!;
    const spec = replicaSpec({
      desired: web,
      creation: { revision: web.revision, replica: 0, commit: 'c0ffee', restart: false } as never,
      instance: 'default',
      network: 'n',
      env: [{ name: 'MODE', value: 'fast' }],
    });
    assert.equal(spec.labels[LABEL.configMaps], JSON.stringify({ app: web.template.configMaps!['app'] }));
  });
});

describe('configMap volumes and fsGroup', () => {
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  site.conf: "listen 80;"\n  mode: fast\nbinaryData:\n  logo.png: "aGk="\n';
  const rows: { name: string; volume: string; files: unknown[] }[] = [
    {
      name: 'every key of data and binaryData, default mode 0644',
      volume: volume('app'),
      files: [
        { path: 'logo.png', key: 'logo.png', mode: 0o644 },
        { path: 'mode', key: 'mode', mode: 0o644 },
        { path: 'site.conf', key: 'site.conf', mode: 0o644 },
      ],
    },
    {
      name: 'items with paths and modes, defaultMode for the rest',
      volume: volume(
        'app',
        '      defaultMode: 0440\n      items:\n        - key: site.conf\n          path: nginx/site.conf\n        - key: logo.png\n          path: img/logo.png\n          mode: 0400\n',
      ),
      files: [
        { path: 'img/logo.png', key: 'logo.png', mode: 0o400 },
        { path: 'nginx/site.conf', key: 'site.conf', mode: 0o440 },
      ],
    },
    { name: 'an optional volume whose ConfigMap is not in Git has no files', volume: volume('nope', '      optional: true\n'), files: [] },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const web = deploymentsOf({ 'app.yaml': cm, 'web.yaml': deployment('web', { pod: row.volume, container: mount }) })['web']!;
      const m = web.template.mounts![0]!;
      assert.equal(m.readOnly, true);
      assert.ok(m.source.kind === 'configMap');
      assert.deepEqual(m.source.files, row.files);
    });
  }

  it('the replica spec carries the files with their content (binaryData as base64), read-only, at the mount path or subPath', () => {
    const web = deploymentsOf({
      'app.yaml': cm,
      'web.yaml': deployment('web', {
        pod: volume('app'),
        container: 'volumeMounts:\n  - name: cfg\n    mountPath: /etc/nginx/site.conf\n    subPath: site.conf\n',
      }),
    })['web']!;
    const spec = replicaSpec({
      desired: web,
      creation: { revision: web.revision, replica: 0, commit: 'c0ffee', restart: false } as never,
      instance: 'default',
      network: 'n',
      env: [],
    });
    assert.deepEqual(spec.mounts, [
      {
        kind: 'files',
        volume: 'cfg',
        target: '/etc/nginx/site.conf',
        subPath: 'site.conf',
        files: [
          { path: 'logo.png', value: 'aGk=', mode: 0o644, base64: true },
          { path: 'mode', value: 'fast', mode: 0o644 },
          { path: 'site.conf', value: 'listen 80;', mode: 0o644 },
        ],
      },
    ]);
  });

  it('fsGroup: in the template (so it rolls) and handed to the engine', () => {
    const web = deploymentsOf({ 'web.yaml': deployment('web', { pod: 'securityContext:\n  fsGroup: 2000\n  fsGroupChangePolicy: Always\n' }) })['web']!;
    assert.deepEqual(web.template.security, { fsGroup: 2000 });
    const spec = replicaSpec({
      desired: web,
      creation: { revision: web.revision, replica: 0, commit: 'c0ffee', restart: false } as never,
      instance: 'default',
      network: 'n',
      env: [],
    });
    assert.deepEqual(spec.security, { fsGroup: 2000 });
    const plain = deploymentsOf({ 'web.yaml': deployment('web') })['web']!;
    assert.notEqual(plain.revision, web.revision);
  });
});

describe('plans say which Deployments roll because of which ConfigMap', () => {
  const files = {
    'app.yaml': configMap('app', { mode: 'fast' }),
    'api.yaml': deployment('api', { container: fromKey('app', 'mode') }),
    'files.yaml': deployment('files', { pod: volume('app'), container: mount }),
    'plain.yaml': deployment('plain'),
  };
  const base = stateOf(files, 'a'.repeat(40));
  const head = stateOf({ ...files, 'app.yaml': configMap('app', { mode: 'slow' }) }, 'b'.repeat(40));

  it('--base/--head: the user rolls because of the ConfigMap; the other does not change; the ConfigMap shows its short diff', () => {
    const cs = compare(base, head);
    const ns = cs.namespaces[0]!;
    const api = ns.objects.find((o) => o.kind === 'Deployment' && o.name === 'api');
    assert.ok(api && api.kind === 'Deployment');
    assert.equal(api.rolls, true);
    assert.deepEqual(api.configMapsChanged, ['app']);
    assert.deepEqual(
      api.fields.map((f) => f.field),
      ['env.MODE', 'configMap.app'],
    );
    assert.equal(ns.objects.find((o) => o.name === 'plain')!.change, 'unchanged');
    const cmChange = ns.objects.find((o) => o.kind === 'ConfigMap');
    assert.deepEqual(cmChange && { change: cmChange.change, fields: cmChange.fields }, {
      change: 'changed',
      fields: [{ field: 'data.mode', change: 'changed', from: '"fast"', to: '"slow"' }],
    });
    const text = renderChangeSetText(cs);
    assert.match(text, /~ deployment api: changed, rolls because ConfigMap app changed — RollingUpdate/);
    assert.match(text, /~ env\.MODE: "fast" \(ConfigMap app\) → "slow" \(ConfigMap app\)/);
    assert.match(text, /~ configmap app: changed — ~ data\.mode: "fast" → "slow"/);
    assert.match(text, /namespace shop: changed — 2 Deployments changed \(2 roll\), 1 ConfigMap changed/);
    assert.deepEqual(cs.summary.configMaps, { added: 0, changed: 1, removed: 0, unchanged: 0 });
    assert.match(renderChangeSetMarkdown(cs), /rolls because ConfigMap `app` changed/);
  });

  it('long values are cut short in plans (env, the ConfigMap line; a volume user shows the hash only)', () => {
    const long = 'x'.repeat(5000);
    const cs = compare(base, stateOf({ ...files, 'app.yaml': configMap('app', { mode: long }) }, 'c'.repeat(40)));
    const text = renderChangeSetText(cs);
    assert.ok(!text.includes(long.slice(0, 100)), 'a 5000-character value is not printed');
    assert.doesNotMatch(text, /configData/);
    assert.match(text, /"x{40}…" \(5000 bytes\)/);
    assert.match(text, /~ deployment files: changed, rolls because ConfigMap app changed/);
    assert.match(text, /~ configMap\.app: content [0-9a-f]{10} → content [0-9a-f]{10}/);
    const twoLong = compare(
      stateOf({ ...files, 'app.yaml': configMap('app', { mode: `${long}a` }) }, 'd'.repeat(40)),
      stateOf({ ...files, 'app.yaml': configMap('app', { mode: `${long}b` }) }, 'e'.repeat(40)),
    );
    assert.match(
      renderChangeSetText(twoLong),
      /→ "x{40}…" \(5001 bytes\) \(ConfigMap app\) \(changed further on\)/,
      'two values cut to the same text still read as a change',
    );
  });

  it('an immutable ConfigMap whose content changes: a warning located at the head ConfigMap (berth still rolls)', () => {
    const immutableBase = stateOf({ ...files, 'app.yaml': configMap('app', { mode: 'fast' }, 'immutable: true\n') }, 'a'.repeat(40));
    const cs = compare(immutableBase, head);
    const warning = cs.namespaces[0]!.diagnostics.find((d) => d.code === 'CONFIGMAP_IMMUTABLE_CHANGED');
    assert.ok(warning);
    assert.deepEqual([warning.severity, warning.file, warning.line, warning.field], ['warning', 'shop/app.yaml', 1, 'data']);
    assert.equal(cs.summary.warnings, 1);
    assert.equal(cs.summary.errors, 0);
  });

  it('--live: the running replicas carry the hashes they were made with; the plan names the ConfigMap', () => {
    const oldApi = base.namespaces[0]!.deployments.find((d) => d.name === 'api')!;
    const oldPlain = base.namespaces[0]!.deployments.find((d) => d.name === 'plain')!;
    const observed: ObservedState = {
      namespaces: [
        {
          name: 'shop',
          network: { id: 'n1', name: 'berth.shop' },
          deployments: [
            { namespace: 'shop', name: 'api', replicas: replicas(oldApi.revision, 2, { deployment: 'api', configMaps: oldApi.template.configMaps! }) },
            { namespace: 'shop', name: 'plain', replicas: replicas(oldPlain.revision, 2, { deployment: 'plain' }) },
          ],
          strays: [],
        },
      ],
    };
    const plan = livePlan(
      { ...head, namespaces: head.namespaces.map((n) => ({ ...n, deployments: n.deployments.filter((d) => d.name !== 'files') })) },
      observed,
      { now: T0 },
    );
    const actions = plan.namespaces[0]!.actions;
    assert.deepEqual(
      actions.map((a) => [a.kind, 'name' in a ? a.name : '']),
      [['update-deployment', 'api']],
    );
    const update = actions[0]!;
    assert.ok(update.kind === 'update-deployment');
    assert.deepEqual(update.configMapsChanged, ['app']);
    assert.match(renderPlanText(plan), /~ deployment api: roll .* because ConfigMap app changed/);
  });
});

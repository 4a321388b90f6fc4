import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDesiredState, type DesiredDeployment } from '../../../src/desired/index.js';
import { loadManifests, ManifestCache } from '../../../src/manifests/index.js';
import { compare, renderChangeSetJson, renderChangeSetMarkdown, renderChangeSetText } from '../../../src/preview/index.js';
import { folder, snapshot } from '../manifests/snapshot-builder.js';

/**
 * An env var from a Secret is carried through desired state as its reference: the revision
 * covers which Secret, key and host source it names, never a value (there is none in Git).
 */
const secret = (keys: Record<string, string>): string =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: berth.dev/host-reference\nspec:\n  keys:\n${Object.entries(keys)
    .map(([k, source]) => `    ${k}:\n      ${source}\n`)
    .join('')}`;

const web = (env: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
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
            - name: GREETING
              value: hello
${env}`;

const ref = (name: string, key: string, more = ''): string =>
  `            - name: ${name}\n              valueFrom:\n                secretKeyRef:\n                  name: db\n                  key: ${key}\n${more}`;

const PASSWORD_FILE = 'file: /etc/berth/secrets/db-password';
const files = (secretYaml: string | undefined, deploymentYaml: string): Record<string, string> => ({
  ...(secretYaml ? { 'db.yaml': secretYaml } : {}),
  'web.yaml': deploymentYaml,
});

function stateOf(f: Record<string, string>, commit: string) {
  return buildDesiredState(loadManifests(snapshot([folder('shop', f)], {}, commit), new ManifestCache()), { instance: 'default' });
}

function webOf(f: Record<string, string>): DesiredDeployment {
  const ns = stateOf(f, 'c0ffee').namespaces[0]!;
  assert.equal(ns.valid, true, JSON.stringify(ns.diagnostics));
  return ns.deployments[0]!;
}

describe('desired: env from a Secret', () => {
  it('carries the reference (Secret, key, host source), not a value', () => {
    const d = webOf(files(secret({ password: PASSWORD_FILE, token: 'env: SHOP_TOKEN' }), web(`${ref('DB_PASSWORD', 'password')}${ref('API_TOKEN', 'token')}`)));
    assert.deepEqual(d.template.env, [
      { name: 'GREETING', value: 'hello' },
      { name: 'DB_PASSWORD', secretRef: { secret: 'db', key: 'password', source: { file: '/etc/berth/secrets/db-password' } } },
      { name: 'API_TOKEN', secretRef: { secret: 'db', key: 'token', source: { env: 'SHOP_TOKEN' } } },
    ]);
  });

  it('the revision moves when the reference moves, not with unrelated Secret keys', () => {
    const revision = (secretYaml: string, env: string) => webOf(files(secretYaml, web(env))).revision;
    const first = revision(secret({ password: PASSWORD_FILE }), ref('DB_PASSWORD', 'password'));
    const cases: [string, string, string, boolean][] = [
      ['the Secret points the key at another file', secret({ password: 'file: /etc/berth/secrets/db-password-v2' }), ref('DB_PASSWORD', 'password'), true],
      ['the key moves from a file to a variable', secret({ password: 'env: DB_PASSWORD' }), ref('DB_PASSWORD', 'password'), true],
      ['the Deployment names another key', secret({ password: PASSWORD_FILE, other: PASSWORD_FILE }), ref('DB_PASSWORD', 'other'), true],
      ['the ref becomes optional', secret({ password: PASSWORD_FILE }), ref('DB_PASSWORD', 'password', '                  optional: true\n'), true],
      ['another key is added to the Secret', secret({ password: PASSWORD_FILE, unused: 'env: UNUSED' }), ref('DB_PASSWORD', 'password'), false],
    ];
    for (const [what, secretYaml, env, rolls] of cases) assert.equal(revision(secretYaml, env) !== first, rolls, what);
  });

  it('a Deployment without Secret refs keeps the revision it had without any Secret in its folder', () => {
    const plain = web('');
    assert.equal(webOf(files(secret({ password: PASSWORD_FILE }), plain)).revision, webOf(files(undefined, plain)).revision);
  });

  it('an optional ref to a Secret or key not in Git leaves the variable out', () => {
    const d = webOf(files(secret({ password: PASSWORD_FILE }), web(`${ref('A', 'missing', '                  optional: true\n')}`)));
    assert.deepEqual(
      d.template.env.map((e) => e.name),
      ['GREETING'],
    );
  });
});

describe('plan: a secret env shows its reference, never a value', () => {
  it('added, changed source, and a literal moved into a Secret', () => {
    const CANARY = 'canary-literal-5b1e';
    const base = stateOf(
      files(secret({ password: PASSWORD_FILE }), web(`            - name: DB_PASSWORD\n              value: ${CANARY}\n${ref('OLD_PASSWORD', 'password')}`)),
      'b'.repeat(40),
    );
    const head = stateOf(
      files(
        secret({ password: 'file: /etc/berth/secrets/db-password-v2', token: 'env: SHOP_TOKEN' }),
        web(`${ref('DB_PASSWORD', 'password')}${ref('OLD_PASSWORD', 'password')}${ref('API_TOKEN', 'token')}`),
      ),
      'h'.repeat(40),
    );
    const cs = compare(base, head);
    const change = cs.namespaces[0]!.objects[0]!;
    assert.ok(change.kind === 'Deployment', 'the one object is the Deployment');
    assert.equal(change.rolls, true);
    assert.deepEqual(change.fields, [
      { field: 'env.API_TOKEN', change: 'added', to: 'secret db/token (env SHOP_TOKEN)' },
      { field: 'env.DB_PASSWORD', change: 'changed', from: '(value masked)', to: 'secret db/password (file /etc/berth/secrets/db-password-v2)' },
      {
        field: 'env.OLD_PASSWORD',
        change: 'changed',
        from: 'secret db/password (file /etc/berth/secrets/db-password)',
        to: 'secret db/password (file /etc/berth/secrets/db-password-v2)',
      },
    ]);
    for (const out of [renderChangeSetText(cs), renderChangeSetMarkdown(cs), renderChangeSetJson(cs)]) {
      assert.equal(out.includes(CANARY), false, `the literal leaked: ${out}`);
      assert.match(out, /secret db\/token \(env SHOP_TOKEN\)/);
    }
  });

  it('a host value change is no change at all (nothing in Git moved)', () => {
    const f = files(secret({ password: PASSWORD_FILE }), web(ref('DB_PASSWORD', 'password')));
    const cs = compare(stateOf(f, 'b'.repeat(40)), stateOf(f, 'h'.repeat(40)));
    assert.equal(cs.namespaces[0]!.objects[0]!.change, 'unchanged');
  });
});

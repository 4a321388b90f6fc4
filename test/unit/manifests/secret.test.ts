import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnostic } from '../../../src/core/index.js';
import { readManifestFile } from '../../../src/manifests/file-result.js';
import { loadManifests, ManifestCache, type NamespaceManifests, type SecretManifest } from '../../../src/manifests/index.js';
import { DEFAULT_PARSE_LIMITS } from '../../../src/manifests/parse.js';
import { deployment, folder, snapshot } from './snapshot-builder.js';

/**
 * v1 Secret: references to host files and variables, never values; and the Deployments'
 * env[].valueFrom.secretKeyRef that name them. Lines refer to `secret()` below: 4 metadata.name,
 * 5 type, 7 keys, 8 first key, 9 its source.
 */
const secret = (
  name: string,
  keys = '    password:\n      file: /etc/berth/secrets/db-password\n    token:\n      env: SHOP_API_TOKEN\n',
  extra = '',
): string => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\ntype: berth.dev/host-reference\nspec:\n  keys:\n${keys}${extra}`;

/** A container env block, indented for deployment()'s container. */
const env = (lines: string): string => `          env:\n${lines.replace(/^(?=.)/gm, '            ')}`;
const ref = (name: string, secretName: string, key: string, more = ''): string =>
  `- name: ${name}\n  valueFrom:\n    secretKeyRef:\n      name: ${secretName}\n      key: ${key}\n${more}`;

function validate(yaml: string): { diagnostics: readonly Diagnostic[]; body: unknown } {
  const result = readManifestFile(new TextEncoder().encode(yaml), DEFAULT_PARSE_LIMITS);
  return { diagnostics: result.diagnostics, body: result.documents[0]?.body };
}

function one(diagnostics: readonly Diagnostic[], code: string): Diagnostic {
  const found = diagnostics.filter((d) => d.code === code);
  assert.equal(found.length, 1, `one ${code} in ${JSON.stringify(diagnostics, null, 1)}`);
  return found[0]!;
}

function shop(files: Record<string, string>): NamespaceManifests {
  const set = loadManifests(snapshot([folder('shop', files)]), new ManifestCache());
  return set.namespaces.find((n) => n.name === 'shop')!;
}

describe('v1 Secret: valid shapes', () => {
  it('keys reference a host file or an environment variable', () => {
    const { diagnostics, body } = validate(secret('db'));
    assert.deepEqual(diagnostics, []);
    const s = body as SecretManifest;
    assert.equal(s.type, 'berth.dev/host-reference');
    assert.deepEqual(s.spec.keys, { password: { file: '/etc/berth/secrets/db-password' }, token: { env: 'SHOP_API_TOKEN' } });
  });

  it('key names follow Kubernetes (letters, digits, - _ .); immutable is accepted and ignored', () => {
    const { diagnostics, body } = validate(
      secret('db', '    tls.key:\n      file: /etc/berth/secrets/tls/key.pem\n    _x-1:\n      env: _X1\n', 'immutable: true\n'),
    );
    assert.deepEqual(
      diagnostics.map((d) => [d.severity, d.code, d.field]),
      [['warning', 'IGNORED_FIELD', 'immutable']],
    );
    assert.equal((body as Record<string, unknown>)['immutable'], undefined, 'the ignored field is removed');
  });
});

describe('v1 Secret: refused shapes, located, without echoing values', () => {
  const CANARY = 'canary-plaintext-9f3a';
  const rows: { name: string; yaml: string; code: string; field: string; line: number; message: RegExp }[] = [
    {
      name: 'data is refused',
      yaml: secret('db', '    a:\n      env: A\n', `data:\n  password: ${Buffer.from(CANARY).toString('base64')}\n`),
      code: 'UNSUPPORTED_FIELD',
      field: 'data',
      line: 10,
      message: /^berth keeps no secret values in Git: reference a host file or environment variable instead/,
    },
    {
      name: 'stringData is refused',
      yaml: secret('db', '    a:\n      env: A\n', `stringData:\n  password: ${CANARY}\n`),
      code: 'UNSUPPORTED_FIELD',
      field: 'stringData',
      line: 10,
      message: /^berth keeps no secret values in Git/,
    },
    {
      name: 'type must be the reference type',
      yaml: secret('db').replace('berth.dev/host-reference', 'Opaque'),
      code: 'INVALID_VALUE',
      field: 'type',
      line: 5,
      message: /must be "berth\.dev\/host-reference"/,
    },
    {
      name: 'type is required',
      yaml: secret('db').replace('type: berth.dev/host-reference\n', ''),
      code: 'MISSING_FIELD',
      field: 'type',
      line: 1,
      message: /"type"/,
    },
    {
      name: 'a value pasted where the source goes',
      yaml: secret('db', `    password: ${CANARY}\n`),
      code: 'INVALID_VALUE',
      field: 'spec.keys.password',
      line: 8,
      message: /must be a mapping with file or env.*got a string \(value masked\)/,
    },
    {
      name: 'a relative file path',
      yaml: secret('db', '    password:\n      file: secrets/db-password\n'),
      code: 'INVALID_VALUE',
      field: 'spec.keys.password.file',
      line: 9,
      message: /must be an absolute path/,
    },
    {
      name: "a path with '..'",
      yaml: secret('db', '    password:\n      file: /etc/berth/secrets/../shadow\n'),
      code: 'INVALID_VALUE',
      field: 'spec.keys.password.file',
      line: 9,
      message: /without '\.', '\.\.' or empty segments/,
    },
    {
      name: 'a bad env name',
      yaml: secret('db', '    password:\n      env: 1DB-PASSWORD\n'),
      code: 'INVALID_VALUE',
      field: 'spec.keys.password.env',
      line: 9,
      message: /must be an environment variable name.*got a string \(value masked\)/,
    },
    {
      name: "berth's own variables",
      yaml: secret('db', '    password:\n      env: BERTH_API_TOKEN\n'),
      code: 'INVALID_VALUE',
      field: 'spec.keys.password.env',
      line: 9,
      message: /BERTH_\* variables are berth's own/,
    },
    {
      name: 'both file and env',
      yaml: secret('db', '    password:\n      file: /etc/berth/secrets/a\n      env: A\n'),
      code: 'INVALID_VALUE',
      field: 'spec.keys.password',
      line: 8,
      message: /exactly one source/,
    },
    {
      name: 'a source named value',
      yaml: secret('db', `    password:\n      value: ${CANARY}\n`),
      code: 'UNKNOWN_FIELD',
      field: 'spec.keys.password.value',
      line: 9,
      message: /unknown field "value"/,
    },
    {
      name: 'a bad key name',
      yaml: secret('db', '    "pass word":\n      env: A\n'),
      code: 'INVALID_VALUE',
      field: 'spec.keys["pass word"]',
      line: 8,
      message: /invalid key "pass word"/,
    },
    {
      name: 'no keys',
      yaml: secret('db', '    {}\n').replace('  keys:\n    {}', '  keys: {}'),
      code: 'INVALID_VALUE',
      field: 'spec.keys',
      line: 7,
      message: /at least 1/,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const { diagnostics, body } = validate(row.yaml);
      const d = one(diagnostics, row.code);
      assert.equal(d.severity, 'error');
      assert.deepEqual([d.field, d.line], [row.field, row.line], JSON.stringify(d));
      assert.match(d.message, row.message);
      assert.equal(body, undefined, 'an invalid Secret yields no object');
      const text = JSON.stringify(diagnostics);
      assert.equal(text.includes(CANARY) || text.includes(Buffer.from(CANARY).toString('base64')), false, `no value echoed: ${text}`);
    });
  }
});

describe('Deployment env[].valueFrom.secretKeyRef', () => {
  const C = 'spec.template.spec.containers[0]';

  it('is accepted by the schema, and the loader checks it against the folder', () => {
    const ns = shop({ 'db.yaml': secret('db'), 'web.yaml': deployment('web', { container: env(ref('DB_PASSWORD', 'db', 'password')) }) });
    assert.equal(ns.valid, true, JSON.stringify(ns.diagnostics));
    assert.deepEqual(
      ns.objects.map((o) => o.kind),
      ['Secret', 'Deployment'],
    );
  });

  it('a Secret not defined in the namespace folder is a located error (file:line, field)', () => {
    const ns = shop({ 'web.yaml': deployment('web', { container: env(`- name: A\n  value: "1"\n${ref('DB_PASSWORD', 'db', 'password')}`) }) });
    assert.equal(ns.valid, false);
    const d = one(ns.diagnostics, 'SECRET_REF_NOT_FOUND');
    assert.deepEqual([d.file, d.line, d.field, d.namespace], ['shop/web.yaml', 24, `${C}.env[1].valueFrom.secretKeyRef.name`, 'shop']);
    assert.match(d.message, /Secret "db" is not defined in namespace folder "shop".*optional: true/);
  });

  it('a key the Secret does not declare is a located error naming the keys it has', () => {
    const ns = shop({ 'db.yaml': secret('db'), 'web.yaml': deployment('web', { container: env(ref('DB_PASSWORD', 'db', 'passwd')) }) });
    const d = one(ns.diagnostics, 'SECRET_REF_NOT_FOUND');
    assert.deepEqual([d.file, d.line, d.field], ['shop/web.yaml', 23, `${C}.env[0].valueFrom.secretKeyRef.key`]);
    assert.match(d.message, /Secret "db" \(shop\/db\.yaml:4\) has no key "passwd"; it declares "password", "token"/);
  });

  it('a Secret of another namespace folder does not count', () => {
    const set = loadManifests(
      snapshot([
        folder('blog', { 'db.yaml': secret('db') }),
        folder('shop', { 'web.yaml': deployment('web', { container: env(ref('P', 'db', 'password')) }) }),
      ]),
      new ManifestCache(),
    );
    assert.equal(set.namespaces.find((n) => n.name === 'shop')?.valid, false);
    assert.equal(set.namespaces.find((n) => n.name === 'blog')?.valid, true);
  });

  it('optional: true runs without the Secret or the key', () => {
    const ns = shop({
      'db.yaml': secret('db'),
      'web.yaml': deployment('web', {
        container: env(`${ref('A', 'db', 'nope', '      optional: true\n')}${ref('B', 'other', 'x', '      optional: true\n')}`),
      }),
    });
    assert.equal(ns.valid, true, JSON.stringify(ns.diagnostics));
  });

  it('value and valueFrom together are refused (as Kubernetes does)', () => {
    const { diagnostics } = validate(
      deployment('web', { container: env(`- name: A\n  value: x\n  valueFrom:\n    secretKeyRef:\n      name: db\n      key: k\n`) }),
    );
    const d = one(diagnostics, 'INVALID_VALUE');
    assert.equal(d.field, `${C}.env[0].valueFrom`);
  });

  it('secretKeyRef needs name and key', () => {
    const { diagnostics } = validate(deployment('web', { container: env('- name: A\n  valueFrom:\n    secretKeyRef:\n      name: db\n') }));
    assert.equal(one(diagnostics, 'MISSING_FIELD').field, `${C}.env[0].valueFrom.secretKeyRef.key`);
  });

  it('a value echoed from an env entry is masked, whatever the name', () => {
    const { diagnostics } = validate(deployment('web', { container: env('- name: DB_PASSWORD\n  value: 31415926535\n- name: PLAIN\n  value: 27182818\n') }));
    const text = JSON.stringify(diagnostics);
    assert.equal(diagnostics.length, 2, text);
    for (const d of diagnostics) assert.match(d.message, /got an integer \(value masked\)$/);
    assert.equal(text.includes('31415926535') || text.includes('27182818'), false, text);
  });
});

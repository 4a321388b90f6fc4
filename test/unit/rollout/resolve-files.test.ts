import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BerthError } from '../../../src/core/index.js';
import type { Mount, SecretFile } from '../../../src/desired/index.js';
import { replicaSpec, resolveFiles } from '../../../src/rollout/index.js';
import { secretUnavailable, type SecretLookup, type SecretResolver } from '../../../src/secrets/index.js';
import { deployment, template } from '../../helpers/builders.js';

/**
 * Secret volumes on their way to the driver: references → values through the SecretResolver
 * port (in memory here, as in resolve-env.test.ts), and the template's security settings and
 * mounts → the runtime port's ContainerSpec.
 */
const CANARY = 'canary-resolve-files-7c1e';

function resolver(values: Record<string, string>): SecretResolver & { asked: SecretLookup[] } {
  const asked: SecretLookup[] = [];
  return {
    asked,
    async resolve(lookup) {
      asked.push(lookup);
      const value = values[lookup.ref.key];
      if (value !== undefined) return value;
      if (lookup.ref.optional) return undefined;
      throw secretUnavailable(lookup, 'no such file');
    },
  };
}

const file = (key: string, path = key, optional = false): SecretFile => ({
  path,
  secret: 'db',
  key,
  source: { file: `/etc/berth/secrets/${key}` },
  mode: 0o400,
  ...(optional ? { optional: true as const } : {}),
});
const secretMount = (volume: string, mountPath: string, files: SecretFile[]): Mount => ({
  volume,
  mountPath,
  readOnly: true,
  source: { kind: 'secret', secret: 'db', files },
});

describe('resolveFiles', () => {
  it('reads each key once, per volume, leaving out optional files whose source is absent', async () => {
    const r = resolver({ password: CANARY });
    const d = deployment({
      template: template({
        mounts: [
          secretMount('a', '/a', [file('password'), file('token', 'token', true)]),
          secretMount('b', '/b', [file('password', 'pw')]),
          secretMount('a', '/a2', [file('password')]),
          { volume: 'scratch', mountPath: '/tmp', readOnly: false, source: { kind: 'emptyDir' } },
        ],
      }),
    });
    const files = await resolveFiles(d, r);
    assert.deepEqual(
      [...files.entries()],
      [
        ['a', [{ path: 'password', value: CANARY, mode: 0o400 }]],
        ['b', [{ path: 'pw', value: CANARY, mode: 0o400 }]],
      ],
    );
    assert.deepEqual(r.asked.map((l) => l.ref.key).sort(), ['password', 'token'], 'each key read once');
  });

  it('a missing required file fails with SECRET_UNAVAILABLE naming the reference, never a value', async () => {
    const d = deployment({ template: template({ mounts: [secretMount('a', '/a', [file('password')])] }) });
    await assert.rejects(
      resolveFiles(d, resolver({})),
      (e: unknown) => e instanceof BerthError && e.code === 'SECRET_UNAVAILABLE' && /Secret shop\/db key "password"/.test(e.message),
    );
    await assert.rejects(resolveFiles(d, undefined), (e: unknown) => e instanceof BerthError && e.code === 'SECRET_UNAVAILABLE');
  });

  it('a template without secret volumes asks nothing', async () => {
    const r = resolver({});
    assert.equal((await resolveFiles(deployment(), r)).size, 0);
    assert.deepEqual(r.asked, []);
  });
});

describe('replicaSpec: security settings and mounts for the driver', () => {
  const creation = { revision: 'new', replica: 0, commit: 'c0ffee' } as Parameters<typeof replicaSpec>[0]['creation'];

  it('a template without them gives a spec without them', () => {
    const spec = replicaSpec({ desired: deployment(), creation, instance: 'default', network: 'berth.shop', env: [] });
    assert.equal('security' in spec, false, 'no security');
    assert.equal('mounts' in spec, false, 'no mounts');
  });

  it('maps the user, keeps the rest, and joins each secret volume with its values', () => {
    const d = deployment({
      template: template({
        security: { runAsUser: 1000, runAsGroup: 2000, capDrop: ['ALL'], noNewPrivileges: true, hostNetwork: true },
        mounts: [
          { volume: 'data', mountPath: '/data', readOnly: true, subPath: 'x', source: { kind: 'hostPath', path: '/srv/data', type: 'Directory' } },
          secretMount('creds', '/etc/creds', [file('password')]),
          { volume: 'scratch', mountPath: '/tmp', readOnly: false, source: { kind: 'emptyDir', sizeBytes: 1024 } },
        ],
      }),
    });
    const spec = replicaSpec({
      desired: d,
      creation,
      instance: 'default',
      network: 'berth.shop',
      env: [],
      files: new Map([['creds', [{ path: 'password', value: CANARY, mode: 0o400 }]]]),
    });
    assert.deepEqual(spec.security, { capDrop: ['ALL'], noNewPrivileges: true, hostNetwork: true, user: { uid: 1000, gid: 2000 } });
    assert.deepEqual(spec.mounts, [
      { kind: 'bind', source: '/srv/data', subPath: 'x', target: '/data', readOnly: true, type: 'Directory' },
      { kind: 'files', volume: 'creds', target: '/etc/creds', files: [{ path: 'password', value: CANARY, mode: 0o400 }] },
      { kind: 'tmpfs', target: '/tmp', readOnly: false, sizeBytes: 1024 },
    ]);
    assert.equal(JSON.stringify(spec.labels).includes(CANARY), false, 'values never reach labels');
  });
});

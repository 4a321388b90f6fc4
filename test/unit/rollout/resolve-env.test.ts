import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BerthError } from '../../../src/core/index.js';
import type { PodTemplate } from '../../../src/desired/index.js';
import { resolveEnv } from '../../../src/rollout/index.js';
import { secretUnavailable, type SecretLookup, type SecretResolver } from '../../../src/secrets/index.js';
import { deployment, template } from '../../helpers/builders.js';

/**
 * The executor's last step before the driver: Secret references → values, through the
 * SecretResolver port (here an in-memory one: the port is berth's own interface, not Docker
 * or Git; the host adapter has its own tests against a real filesystem).
 */
const CANARY = 'canary-resolve-env-41d2';

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

const withEnv = (env: PodTemplate['env']) => deployment({ template: template({ env }) });
const fileRef = (key: string, optional = false) => ({
  secret: 'db',
  key,
  source: { file: `/etc/berth/secrets/${key}` },
  ...(optional ? { optional: true as const } : {}),
});

describe('resolveEnv', () => {
  it('replaces references by values, in order, literals untouched', async () => {
    const r = resolver({ password: CANARY });
    const env = await resolveEnv(
      withEnv([
        { name: 'A', value: '1' },
        { name: 'DB_PASSWORD', secretRef: fileRef('password') },
        { name: 'B', value: '2' },
        { name: 'PGPASSWORD', secretRef: fileRef('password') },
      ]),
      r,
    );
    assert.deepEqual(env, [
      { name: 'A', value: '1' },
      { name: 'DB_PASSWORD', value: CANARY },
      { name: 'B', value: '2' },
      { name: 'PGPASSWORD', value: CANARY },
    ]);
    assert.deepEqual(r.asked, [{ namespace: 'shop', ref: fileRef('password') }], 'each key is read once');
  });

  it('an optional reference whose source is absent leaves the variable out', async () => {
    const env = await resolveEnv(
      withEnv([
        { name: 'A', value: '1' },
        { name: 'DSN', secretRef: fileRef('dsn', true) },
      ]),
      resolver({}),
    );
    assert.deepEqual(env, [{ name: 'A', value: '1' }]);
  });

  it('a template without references needs no resolver', async () => {
    assert.deepEqual(await resolveEnv(withEnv([{ name: 'A', value: '1' }]), undefined), [{ name: 'A', value: '1' }]);
  });

  it('a reference without a resolver is SECRET_UNAVAILABLE', async () => {
    await assert.rejects(
      resolveEnv(withEnv([{ name: 'P', secretRef: fileRef('password') }]), undefined),
      (err: unknown) =>
        err instanceof BerthError &&
        err.code === 'SECRET_UNAVAILABLE' &&
        /Secret shop\/db key "password" \(file \/etc\/berth\/secrets\/password\)/.test(err.message),
    );
  });

  it("a resolver's own error passes through; an unexpected one is reported by code only (its message could hold bytes read)", async () => {
    await assert.rejects(resolveEnv(withEnv([{ name: 'P', secretRef: fileRef('password') }]), resolver({})), /SECRET_UNAVAILABLE|no such file/);
    const leaky: SecretResolver = {
      resolve: () => Promise.reject(Object.assign(new Error(`unexpected token in ${CANARY}`), { code: 'EWEIRD' })),
    };
    await assert.rejects(resolveEnv(withEnv([{ name: 'P', secretRef: fileRef('password') }]), leaky), (err: unknown) => {
      assert.ok(err instanceof BerthError, 'a BerthError');
      assert.equal(err.code, 'SECRET_UNAVAILABLE');
      assert.match(err.message, /the resolver failed \(EWEIRD\)$/);
      assert.equal(`${err.message}${String(err.cause)}`.includes(CANARY), false, 'the value leaked');
      return true;
    });
  });
});

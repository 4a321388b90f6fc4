/**
 * The host SecretResolver against a real filesystem (temp dirs) and a given environment: what it
 * reads, what it refuses, and that no refusal ever carries a byte of the value.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { BerthError } from '../../src/core/index.js';
import type { SecretRef } from '../../src/desired/index.js';
import { createHostSecretResolver, DEFAULT_SECRET_DIRS, parseSecretDirs } from '../../src/secrets/host/index.js';
import type { SecretResolver } from '../../src/secrets/index.js';

const CANARY = `canary-${randomBytes(8).toString('hex')}`;

describe('secrets/host: the host SecretResolver', () => {
  let root: string;
  let allowed: string;
  let outside: string;
  let resolver: SecretResolver;
  const env = { SHOP_TOKEN: CANARY, EMPTY: '', BERTH_API_TOKEN: CANARY };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-secrets-'));
    allowed = join(root, 'allowed');
    outside = join(root, 'outside');
    await mkdir(join(allowed, 'shop'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(allowed, 'shop', 'db-password'), `${CANARY}\n`);
    await writeFile(join(allowed, 'two-lines'), `${CANARY}\nsecond\n\n`);
    await writeFile(join(allowed, 'crlf'), `${CANARY}\r\n`);
    await writeFile(join(outside, 'db-password'), CANARY);
    await symlink(join(outside, 'db-password'), join(allowed, 'link-out'));
    await symlink(join(allowed, 'shop', 'db-password'), join(allowed, 'link-in'));
    await writeFile(join(allowed, 'nul'), `${CANARY}\u0000x`);
    await writeFile(join(allowed, 'latin1'), Buffer.from([0x63, 0x61, 0xe9, 0x0a]));
    await writeFile(join(allowed, 'big'), CANARY.repeat(100));
    await promisify(execFile)('mkfifo', [join(allowed, 'fifo')]);
    resolver = createHostSecretResolver({ allowedDirs: [allowed], env, maxBytes: 1000 });
  });
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  const lookup = (source: SecretRef['source'], optional = false) => ({
    namespace: 'shop',
    ref: { secret: 'db', key: 'password', source, ...(optional ? { optional: true as const } : {}) },
  });

  /** The resolve must fail with SECRET_UNAVAILABLE naming namespace/Secret/key/source, never the value. */
  async function refused(source: SecretRef['source'], reason: RegExp, optional = false): Promise<void> {
    await assert.rejects(resolver.resolve(lookup(source, optional)), (err: unknown) => {
      assert.ok(err instanceof BerthError, `a BerthError, got ${String(err)}`);
      assert.equal(err.code, 'SECRET_UNAVAILABLE');
      assert.match(err.message, /^Secret shop\/db key "password" \((file|env) [^)]+\): /);
      assert.match(err.message, reason);
      assert.equal(
        JSON.stringify({ message: err.message, details: err.details, stack: err.stack }).includes(CANARY),
        false,
        `the value leaked: ${err.message}`,
      );
      assert.equal(err.cause, undefined, 'no cause that could carry bytes read');
      return true;
    });
  }

  it('reads a file inside the allow-list, dropping one trailing line break', async () => {
    assert.equal(await resolver.resolve(lookup({ file: join(allowed, 'shop', 'db-password') })), CANARY);
    assert.equal(await resolver.resolve(lookup({ file: join(allowed, 'crlf') })), CANARY);
    assert.equal(await resolver.resolve(lookup({ file: join(allowed, 'two-lines') })), `${CANARY}\nsecond\n`);
  });

  it('follows a symlink that stays inside the allow-list', async () => {
    assert.equal(await resolver.resolve(lookup({ file: join(allowed, 'link-in') })), CANARY);
  });

  it('reads a variable of the given environment (empty is a value)', async () => {
    assert.equal(await resolver.resolve(lookup({ env: 'SHOP_TOKEN' })), CANARY);
    assert.equal(await resolver.resolve(lookup({ env: 'EMPTY' })), '');
  });

  it('a missing file or unset variable: an error, or unset when optional', async () => {
    await refused({ file: join(allowed, 'nope') }, /no such file.*optional: true/);
    await refused({ env: 'NOT_SET_ANYWHERE' }, /not set in berth's environment/);
    assert.equal(await resolver.resolve(lookup({ file: join(allowed, 'nope') }, true)), undefined);
    assert.equal(await resolver.resolve(lookup({ env: 'NOT_SET_ANYWHERE' }, true)), undefined);
  });

  it('refuses a file outside the allow-list, even optional, even when it exists', async () => {
    await refused({ file: join(outside, 'db-password') }, /outside the allowed folders \(.*allowed\).*BERTH_SECRET_DIRS/);
    await refused({ file: join(outside, 'db-password') }, /outside the allowed folders/, true);
    await refused({ file: `${allowed}-sibling/x` }, /outside the allowed folders/);
  });

  it('refuses a symlink that leads out of the allow-list', async () => {
    await refused({ file: join(allowed, 'link-out') }, /through a symlink\) outside the allowed folders/);
  });

  it('refuses paths that are not absolute and normalized', async () => {
    await refused({ file: `${allowed}/shop/../shop/db-password` }, /not absolute and normalized/);
    await refused({ file: 'shop/db-password' }, /not absolute and normalized/);
  });

  it('refuses what cannot be an env value: a FIFO, a folder, too large, NUL bytes, not UTF-8', async () => {
    await refused({ file: join(allowed, 'fifo') }, /not a regular file/);
    await refused({ file: join(allowed, 'shop') }, /not a regular file/);
    await refused({ file: join(allowed, 'big') }, /is 2\d+ bytes; the limit is 1000/);
    await refused({ file: join(allowed, 'nul') }, /NUL byte/);
    await refused({ file: join(allowed, 'latin1') }, /not valid UTF-8/);
  });

  it("never hands out berth's own BERTH_* variables", async () => {
    await refused({ env: 'BERTH_API_TOKEN' }, /BERTH_\* variables are berth's own/);
  });

  it('an unreadable file is refused (when the test does not run as root)', { skip: process.getuid?.() === 0 ? 'root reads any file' : false }, async () => {
    const path = join(allowed, 'unreadable');
    await writeFile(path, CANARY);
    await chmod(path, 0o000);
    await refused({ file: path }, /permission denied/);
  });
});

describe('secrets/host: BERTH_SECRET_DIRS', () => {
  it('unset or empty: the default folder', () => {
    assert.deepEqual(parseSecretDirs(undefined), [...DEFAULT_SECRET_DIRS]);
    assert.deepEqual(parseSecretDirs(''), ['/etc/berth/secrets']);
  });
  it('colon-separated absolute folders, normalized', () => {
    assert.deepEqual(parseSecretDirs('/run/secrets/:/etc/berth/secrets::/srv/a/../b'), ['/run/secrets', '/etc/berth/secrets', '/srv/b']);
  });
  it('a relative folder is a usage error', () => {
    assert.throws(
      () => parseSecretDirs('/run/secrets:secrets'),
      (err: unknown) => err instanceof BerthError && err.code === 'USAGE' && /"secrets"/.test(err.message),
    );
  });
});

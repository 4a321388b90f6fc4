/**
 * Oversized git objects are refused from their headers, never inflated (#15 item 4: a 1 GiB
 * blob of zeros — 1.2 MB of `.git` — cost 4.3 GB of memory and 13 s before FILE_TOO_LARGE).
 * Real repositories (native git writes them; `git gc` packs them), a real Git HTTP server for
 * the remote case. "Never inflated" is asserted through memory: reading a snapshot beside a
 * 128 MiB blob of zeros must not grow the process by anything near 128 MiB.
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isBerthError } from '../../src/core/index.js';
import { loadManifests, ManifestCache } from '../../src/manifests/index.js';
import { openGitSource, type GitSourceOptions, type Snapshot } from '../../src/source/index.js';
import { localRepo, tmpRepo, type LocalRepo, type TmpRepo } from '../helpers/tmp-repo.js';

const BIG = 128 * 1024 * 1024;
const NAMESPACE = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n';

function fileOf(snapshot: Snapshot, p: string) {
  return snapshot.folders.flatMap((f) => f.files ?? []).find((f) => f.path === p);
}

/** Growth of the resident set while `run` runs (after a GC when exposed), in bytes. */
async function growth<T>(run: () => Promise<T>): Promise<{ value: T; bytes: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  try {
    const value = await run();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, bytes: peak - before };
  } finally {
    clearInterval(timer);
  }
}

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<Error> {
  let caught: unknown;
  await assert.rejects(promise, (err) => {
    caught = err;
    return true;
  });
  assert.ok(isBerthError(caught), `a BerthError: ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

/** A repository whose namespace folder `shop` holds a valid manifest and big.yaml: BIG zero bytes (a sparse file, written instantly). */
async function withBigBlob(repo: LocalRepo | TmpRepo): Promise<void> {
  await repo.write('manifests/shop/namespace.yaml', NAMESPACE);
  await repo.write('manifests/shop/big.yaml', '');
  await fsp.truncate(path.join(repo.dir, 'manifests/shop/big.yaml'), BIG);
  await repo.commit('a big blob of zeros');
}

describe('oversized git objects are refused from their headers', { timeout: 180_000 }, () => {
  let repo: LocalRepo;
  let cacheDir: string;
  const open = (extra: Partial<GitSourceOptions> = {}) => openGitSource({ repo: repo.dir, path: 'manifests', cacheDir, ...extra });

  before(async () => {
    repo = await localRepo();
    cacheDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-large-cache-'));
    await withBigBlob(repo);
  });
  after(async () => {
    await repo?.cleanup();
    if (cacheDir) await fsp.rm(cacheDir, { recursive: true, force: true });
  });

  const checkSnapshot = async (how: string) => {
    const source = await open();
    const { value: snapshot, bytes } = await growth(async () => source.snapshot({ commit: (await source.resolve()).oid }));
    const big = fileOf(snapshot, 'shop/big.yaml');
    assert.deepEqual(big?.tooLarge, { size: BIG, limit: 1024 * 1024 }, `${how}: the size comes from the header`);
    assert.equal(big?.content, undefined, `${how}: no content`);
    assert.ok(fileOf(snapshot, 'shop/namespace.yaml')?.content, `${how}: the small file is read`);
    assert.ok(bytes < BIG / 2, `${how}: memory grew by ${Math.round(bytes / 1048576)} MiB, the blob (${BIG / 1048576} MiB) was not inflated`);
    const set = loadManifests(snapshot, new ManifestCache());
    const d = set.namespaces[0]!.diagnostics.find((x) => x.code === 'FILE_TOO_LARGE');
    assert.ok(d, `${how}: FILE_TOO_LARGE: ${JSON.stringify(set.namespaces[0]!.diagnostics)}`);
    assert.equal(d.file, 'shop/big.yaml');
    assert.match(d.message, new RegExp(`file is ${BIG} bytes; the limit is ${1024 * 1024} bytes`));
  };

  it('a loose blob: FILE_TOO_LARGE for that file, the rest of the folder read, memory bounded', async () => {
    const objects = await repo.git('count-objects', '-v');
    assert.match(objects, /^count: [1-9]/m, 'loose objects present');
    await checkSnapshot('loose');
  });

  it('the same blob packed (git gc): the size comes from the pack entry header', async () => {
    await repo.git('gc', '--quiet');
    assert.match(await repo.git('count-objects', '-v'), /^count: 0$/m, 'everything packed');
    await checkSnapshot('packed');
  });

  it('a tree over the object limit is refused (SOURCE_OBJECT_TOO_LARGE), not read', async () => {
    for (let i = 0; i < 120; i++) await repo.write(`manifests/wide/f${String(i).padStart(3, '0')}-with-a-long-name.txt`, `${i}\n`);
    await repo.commit('a wide folder');
    const source = await open({ limits: { maxObjectBytes: 4096 } });
    const err = await rejectsWithCode(source.snapshot({ commit: (await source.resolve()).oid }), 'SOURCE_OBJECT_TOO_LARGE');
    assert.match(err.message, /is \d+ bytes .*up to 4096 bytes/);
  });

  it('a commit over the object limit is refused (SOURCE_OBJECT_TOO_LARGE)', async () => {
    await repo.git('commit', '--allow-empty', '--quiet', '-m', `huge message ${'x'.repeat(8192)}`);
    const source = await open({ limits: { maxObjectBytes: 4096 } });
    await rejectsWithCode(source.resolve(), 'SOURCE_OBJECT_TOO_LARGE');
    await repo.git('reset', '--quiet', '--hard', 'HEAD~1');
  });
});

describe('over HTTP: a fetched pack is checked before isomorphic-git indexes it', { timeout: 180_000 }, () => {
  let remote: TmpRepo;
  let cacheDir: string;

  before(async () => {
    remote = await tmpRepo();
    cacheDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-large-remote-cache-'));
  });
  after(async () => {
    await remote?.cleanup();
    if (cacheDir) await fsp.rm(cacheDir, { recursive: true, force: true });
  });

  it('a blob over the manifest limit but under the fetch limit: fetched, then FILE_TOO_LARGE from the mirror pack header', async () => {
    await remote.write('manifests/shop/namespace.yaml', NAMESPACE);
    await remote.write('manifests/shop/big.yaml', '');
    await fsp.truncate(path.join(remote.dir, 'manifests/shop/big.yaml'), 8 * 1024 * 1024);
    await remote.commit('an 8 MiB blob');
    await remote.push();
    const source = await openGitSource({ repo: remote.url, ref: 'main', path: 'manifests', cacheDir });
    const snapshot = await source.snapshot({ commit: (await source.resolve()).oid });
    assert.deepEqual(fileOf(snapshot, 'shop/big.yaml')?.tooLarge, { size: 8 * 1024 * 1024, limit: 1024 * 1024 });
  });

  it('a pack holding an object over the fetch limit is refused before indexing, memory bounded', async () => {
    await fsp.truncate(path.join(remote.dir, 'manifests/shop/big.yaml'), BIG);
    await remote.commit('a 128 MiB blob');
    await remote.push();
    const source = await openGitSource({ repo: remote.url, ref: 'main', path: 'manifests', cacheDir, maxFetchObjectBytes: 64 * 1024 * 1024 });
    const { value: err, bytes } = await growth(() => rejectsWithCode(source.resolve(), 'SOURCE_OBJECT_TOO_LARGE'));
    assert.match(err.message, new RegExp(`sent an object of ${BIG} bytes`));
    assert.ok(bytes < BIG / 2, `memory grew by ${Math.round(bytes / 1048576)} MiB: the object was not inflated`);
    const packs = await fsp
      .readdir(path.join(cacheDir))
      .then(async (dirs) => (await Promise.all(dirs.map((d) => fsp.readdir(path.join(cacheDir, d, 'objects', 'pack')).catch(() => [])))).flat());
    assert.equal(packs.filter((p) => p.endsWith('.pack')).length, 1, `only the first fetch's pack was written: ${packs.join(', ')}`);
  });
});

describe('big blobs packed among hundreds of objects are refused from their headers', { timeout: 180_000 }, () => {
  // The pack lookup is a binary search: a pack of a few objects cannot show a search that goes
  // the wrong way (it found the object where it first looked), hundreds of objects can.
  const SIZES = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => 48 * 1024 * 1024 + i);
  let repo: LocalRepo;
  let cacheDir: string;

  before(async () => {
    repo = await localRepo();
    cacheDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-large-many-cache-'));
    await repo.write('manifests/shop/namespace.yaml', NAMESPACE);
    for (let i = 0; i < 300; i++) await repo.write(`manifests/shop/small/f${i}.txt`, `file ${i}\n${'line\n'.repeat(i % 13)}`);
    for (const [i, size] of SIZES.entries()) {
      await repo.write(`manifests/shop/big-${i}.yaml`, '');
      await fsp.truncate(path.join(repo.dir, `manifests/shop/big-${i}.yaml`), size);
    }
    await repo.commit('hundreds of small files and eight big blobs of zeros');
    await repo.git('gc', '--quiet');
  });
  after(async () => {
    await repo?.cleanup();
    if (cacheDir) await fsp.rm(cacheDir, { recursive: true, force: true });
  });

  it('every big blob: FILE_TOO_LARGE with its size from the pack, none inflated', async () => {
    assert.match(await repo.git('count-objects', '-v'), /^count: 0$/m, 'everything packed');
    const source = await openGitSource({ repo: repo.dir, path: 'manifests', cacheDir });
    const { value: snapshot, bytes } = await growth(async () => source.snapshot({ commit: (await source.resolve()).oid }));
    for (const [i, size] of SIZES.entries()) {
      // git stores most of them as deltas of one another: the cost of reading one is the largest size along its chain.
      const tooLarge = fileOf(snapshot, `shop/big-${i}.yaml`)?.tooLarge;
      assert.equal(tooLarge?.limit, 1024 * 1024, `big-${i}.yaml: ${JSON.stringify(tooLarge)}`);
      assert.ok(tooLarge.size >= size && tooLarge.size <= SIZES.at(-1)!, `big-${i}.yaml: ${tooLarge.size} bytes`);
    }
    assert.equal(snapshot.folders.flatMap((f) => f.files ?? []).filter((f) => f.content).length, 301, 'the small files are read');
    assert.ok(bytes < SIZES[0]! / 2, `memory grew by ${Math.round(bytes / 1048576)} MiB: a big blob (${SIZES[0]! / 1048576} MiB) was inflated`);
  });
});

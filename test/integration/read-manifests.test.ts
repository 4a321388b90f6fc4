/**
 * readManifestSet parses each manifest as the snapshot reads it (parseAsRead) instead of after
 * the whole tree is read. That may change memory, never the answer: on real repositories, at a
 * first read and at a later commit through the same cache, its ManifestSet equals the plain
 * snapshot → loadManifests of a fresh cache, and a later commit parses only what changed.
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { readManifestSet } from '../../src/controller/index.js';
import { loadManifests, ManifestCache } from '../../src/manifests/index.js';
import { openGitSource, type GitSource } from '../../src/source/index.js';
import { localRepo, type LocalRepo } from '../helpers/tmp-repo.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every file below `from`, as paths relative to it. */
async function filesBelow(from: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fsp.readdir(from, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.relative(from, path.join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

async function copyTree(repo: LocalRepo, from: string, to: string, rename: (p: string) => string = (p) => p): Promise<void> {
  for (const rel of await filesBelow(from)) await repo.write(path.join(to, rename(rel)), await fsp.readFile(path.join(from, rel)));
}

async function plainLoad(source: GitSource, commit: string) {
  const cache = new ManifestCache();
  const set = loadManifests(await source.snapshot({ commit }), cache);
  return { set, stats: cache.stats };
}

describe('readManifestSet: parsing as the snapshot reads gives the ManifestSet of the plain read', () => {
  let repo: LocalRepo;
  let source: GitSource;
  let first: string;
  let second: string;

  before(async () => {
    repo = await localRepo();
    await copyTree(repo, path.join(ROOT, 'sample-repo'), 'm');
    await copyTree(repo, path.join(ROOT, 'test/fixtures/microservices-demo'), 'm');
    // The bad-input corpus's committed files, each case in folders of its own (c<n>-<folder>).
    const cases = (await fsp.readdir(path.join(ROOT, 'test/fixtures/bad-input'))).sort();
    for (const [i, name] of cases.entries()) {
      await copyTree(repo, path.join(ROOT, 'test/fixtures/bad-input', name), 'm', (rel) => (rel === 'case.json' ? `c${i}-case/case.json` : `c${i}-${rel}`));
    }
    // What parseAsRead must leave to the load: nested, root, '.'-folder and non-DNS-folder files,
    // a symlink, a non-manifest, a file over the blob limit, the same bytes in two folders.
    await repo.write('m/root.yaml', 'kind: Deployment\n');
    await repo.write('m/.github/ci.yaml', 'on: push\n');
    await repo.write('m/Not_A_Label/web.yaml', 'kind: Deployment\nmetadata: {name: web}\n');
    await repo.write('m/shop/sub/nested.yaml', 'kind: Deployment\n');
    await repo.write('m/shop/NOTES.md', '# notes\n');
    await repo.write('m/shop/UPPER.YML', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: upper}\ndata: {a: b}\n');
    await repo.write('m/twin/web.yaml', await fsp.readFile(path.join(ROOT, 'sample-repo/shop', (await fsp.readdir(path.join(ROOT, 'sample-repo/shop')))[0]!)));
    await repo.write('m/big/huge.yaml', `# ${'x'.repeat(1024 * 1024 + 10)}\n`);
    await repo.symlink('../shop/NOTES.md', 'm/blog/link.yaml');
    first = await repo.commit('first');
    await repo.write('m/shop/UPPER.YML', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: upper}\ndata: {a: c}\n');
    await repo.write('m/added/web.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n');
    second = await repo.commit('second');
    source = await openGitSource({ repo: repo.dir, path: 'm', cacheDir: '/nonexistent-unused' });
  });
  after(() => repo?.cleanup());

  test('a first read, then a later commit through the same cache: the same ManifestSet as a plain read, and only the changed files parsed', async () => {
    const cache = new ManifestCache();
    const atFirst = await readManifestSet(source, first, cache);
    const plain = await plainLoad(source, first);
    assert.deepEqual(atFirst, plain.set);
    assert.deepEqual(cache.stats, plain.stats, 'the same files parsed and reused (one of two identical files is a reuse)');
    assert.ok(plain.stats.reusedFiles > 0, 'identical files are among them');
    assert.ok(atFirst.namespaces.length > 80, `many namespaces read: ${atFirst.namespaces.length}`);
    assert.ok(
      atFirst.namespaces.some((n) => !n.valid),
      'bad input is among them',
    );
    const parsedAtFirst = cache.stats.parsedFiles;
    cache.retain(atFirst);

    const atSecond = await readManifestSet(source, second, cache);
    assert.deepEqual(atSecond, (await plainLoad(source, second)).set);
    assert.equal(cache.stats.parsedFiles - parsedAtFirst, 2, 'the changed file and the added one');
  });

  test('the same commit twice through one cache: nothing parsed the second time', async () => {
    const cache = new ManifestCache();
    const once = await readManifestSet(source, second, cache);
    cache.retain(once);
    const { parsedFiles } = cache.stats;
    assert.deepEqual(await readManifestSet(source, second, cache), once);
    assert.equal(cache.stats.parsedFiles, parsedFiles);
  });
});

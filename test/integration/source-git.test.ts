import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { isBerthError, type ErrorCode } from '../../src/core/index.js';
import { openGitSource, type GitSource, type GitSourceOptions, type Snapshot } from '../../src/source/index.js';
import { tmpDir } from '../helpers/tmp-dir.js';
import { localRepo, runGit, tmpRepo, type LocalRepo, type TmpRepo } from '../helpers/tmp-repo.js';

/**
 * The Git source against real repositories: local work trees and bare repositories read in
 * place, and remotes served over real HTTP by `git http-backend`. No mocks.
 */

const text = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8'));

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<Error> {
  let caught: unknown;
  await assert.rejects(promise, (err) => {
    caught = err;
    return true;
  });
  assert.ok(isBerthError(caught), `expected a BerthError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

function file(snapshot: Snapshot, filePath: string) {
  const all = [...snapshot.rootFiles, ...snapshot.folders.flatMap((f) => f.files ?? [])];
  return all.find((f) => f.path === filePath);
}

/** The manifest tree most tests start from, under `sample-repo/`. */
async function writeSample(repo: { write(p: string, c: string): Promise<void>; symlink(target: string, p: string): Promise<void> }) {
  await repo.write('README.md', '# the repository\n');
  await repo.write('sample-repo/README.md', 'not a namespace\n');
  await repo.write('sample-repo/shop/web.yaml', 'kind: Deployment\nmetadata: {name: web}\n');
  await repo.write('sample-repo/shop/db/claim.yaml', 'kind: PersistentVolumeClaim\n');
  await repo.write('sample-repo/blog/app.yaml', 'kind: Deployment\nmetadata: {name: app}\n');
  await repo.symlink('shop/web.yaml', 'sample-repo/link.yaml');
}

describe('local repository (read in place)', () => {
  let repo: LocalRepo;
  let first: string;
  let source: GitSource;

  before(async () => {
    repo = await localRepo();
    await writeSample(repo);
    first = await repo.commit('first');
    source = await openGitSource({ repo: repo.dir, path: 'sample-repo', cacheDir: '/nonexistent-unused' });
  });
  after(() => repo?.cleanup());

  test('resolve reads HEAD and the snapshot lists folders, files and root files', async () => {
    const commit = await source.resolve();
    assert.equal(commit.oid, first);
    assert.equal(commit.message, 'first');
    assert.equal(commit.author, 'Berth Test <test@berth.invalid>');
    assert.ok(!Number.isNaN(Date.parse(commit.time)));

    const snap = await source.snapshot({ commit: commit.oid });
    assert.equal(snap.commit, first);
    assert.equal(snap.root, 'sample-repo');
    assert.deepEqual(
      snap.folders.map((f) => [f.name, f.files?.map((x) => x.path)]),
      [
        ['blog', ['blog/app.yaml']],
        ['shop', ['shop/db/claim.yaml', 'shop/web.yaml']],
      ],
    );
    assert.deepEqual(
      snap.rootFiles.map((f) => [f.path, f.mode]),
      [
        ['README.md', 'file'],
        ['link.yaml', 'symlink'],
      ],
    );
    assert.equal(text(file(snap, 'shop/web.yaml')?.content), 'kind: Deployment\nmetadata: {name: web}\n');
    assert.match(source.description, /@HEAD:sample-repo$/);
  });

  test('a symlink comes with mode symlink and no content (never followed)', async () => {
    const snap = await source.snapshot({ commit: first });
    const link = file(snap, 'link.yaml');
    assert.ok(link);
    assert.equal(link.mode, 'symlink');
    assert.equal(link.content, undefined);
  });

  test('uncommitted edits are invisible; a new commit is seen by the next resolve', async () => {
    await repo.write('sample-repo/shop/web.yaml', 'edited but not committed\n');
    await repo.write('sample-repo/new-ns/app.yaml', 'untracked\n');
    await repo.write('sample-repo/blog/app.yaml', 'staged only\n');
    await repo.git('add', 'sample-repo/blog/app.yaml');

    const before = await source.resolve();
    assert.equal(before.oid, first);
    const snap = await source.snapshot({ commit: before.oid });
    assert.equal(text(file(snap, 'shop/web.yaml')?.content), 'kind: Deployment\nmetadata: {name: web}\n');
    assert.equal(text(file(snap, 'blog/app.yaml')?.content), 'kind: Deployment\nmetadata: {name: app}\n');
    assert.equal(
      snap.folders.find((f) => f.name === 'new-ns'),
      undefined,
    );

    const second = await repo.commit('second');
    const after = await source.resolve();
    assert.equal(after.oid, second);
    const snap2 = await source.snapshot({ commit: after.oid });
    assert.equal(text(file(snap2, 'shop/web.yaml')?.content), 'edited but not committed\n');
    assert.deepEqual(await source.changedPaths(first, second), ['blog/app.yaml', 'new-ns/app.yaml', 'shop/web.yaml']);
    first = second; // later tests start from here
  });

  test('the default ref follows the checked-out branch; refs and abbreviated ids resolve', async (t) => {
    const main = await repo.head();
    await repo.git('checkout', '--quiet', '-b', 'feature');
    t.after(() => repo.git('checkout', '--quiet', 'main'));
    await repo.write('sample-repo/blog/app.yaml', 'feature\n');
    const feature = await repo.commit('on feature');

    assert.equal((await source.resolve()).oid, feature);
    assert.equal((await source.resolveRef('main')).oid, main);
    assert.equal((await source.resolveRef('refs/heads/main')).oid, main);
    assert.equal((await source.resolveRef(main.slice(0, 7))).oid, main);
    assert.equal((await source.resolveRef(main.toUpperCase())).oid, main);
    await repo.tag('v1', { annotated: true, commit: main });
    assert.equal((await source.resolveRef('v1')).oid, main, 'an annotated tag peels to its commit');
    await rejectsWith(source.resolveRef('no-such-branch'), 'SOURCE_REF_NOT_FOUND', /no-such-branch/);
    await rejectsWith(source.resolveRef('main@{1}'), 'USAGE', /reflog/);
  });

  test('a bare repository is read the same way', async (t) => {
    const bare = path.join(await tmpDir(t, 'berth-bare-'), 'copy.git');
    await runGit(repo.dir, ['clone', '--quiet', '--bare', repo.dir, bare]);
    const bareSource = await openGitSource({ repo: bare, ref: 'main', path: 'sample-repo', cacheDir: '/nonexistent-unused' });
    const commit = await bareSource.resolve();
    assert.equal(commit.oid, await repo.git('rev-parse', 'main'));
    const snap = await bareSource.snapshot({ commit: commit.oid });
    assert.deepEqual(
      snap.folders.map((f) => f.name),
      ['blog', 'new-ns', 'shop'],
    );
  });

  test('objects repacked by git gc are still found', async () => {
    await repo.write('sample-repo/shop/web.yaml', 'before gc\n');
    const commit = await repo.commit('before gc');
    await source.resolve();
    await source.snapshot({ commit });
    await repo.git('gc', '--quiet', '--prune=now');
    assert.equal((await source.resolve()).oid, commit);
    const snap = await source.snapshot({ commit });
    assert.equal(text(file(snap, 'shop/web.yaml')?.content), 'before gc\n');
  });
});

describe('snapshot and changed paths', () => {
  let repo: LocalRepo;
  let base: string;

  before(async () => {
    repo = await localRepo();
    await writeSample(repo);
    base = await repo.commit('base');
  });
  after(() => repo?.cleanup());

  const open = (options: Partial<GitSourceOptions> = {}) => openGitSource({ repo: repo.dir, path: 'sample-repo', cacheDir: '/nonexistent-unused', ...options });

  test('knownTree: a known folder comes without files; knownBlob: a known file comes without content', async () => {
    const source = await open();
    const full = await source.snapshot({ commit: base });
    const shop = full.folders.find((f) => f.name === 'shop');
    assert.ok(shop?.files);

    const skipped = await source.snapshot({ commit: base, knownTree: (id) => id === shop.treeId });
    const shopAgain = skipped.folders.find((f) => f.name === 'shop');
    assert.equal(shopAgain?.treeId, shop.treeId);
    assert.equal(shopAgain?.files, undefined);
    assert.ok(skipped.folders.find((f) => f.name === 'blog')?.files, 'unknown folders are still listed');

    const web = file(full, 'shop/web.yaml');
    assert.ok(web?.content);
    const noContent = await source.snapshot({ commit: base, knownBlob: (oid) => oid === web.oid });
    const webAgain = file(noContent, 'shop/web.yaml');
    assert.equal(webAgain?.oid, web.oid);
    assert.equal(webAgain?.content, undefined);
    assert.ok(file(noContent, 'blog/app.yaml')?.content, 'unknown blobs are still read');
  });

  test('consume: each blob is offered once as it is read, with its path and bytes; a taken one comes without content, the others as before', async (t) => {
    // Two paths with the same bytes, one taken and one refused; a symlink is never offered.
    await repo.write('sample-repo/blog/copy.yaml', 'kind: Deployment\nmetadata: {name: web}\n');
    const commit = await repo.commit('a copy of shop/web.yaml in blog');
    t.after(() => repo.git('reset', '--hard', base));
    const source = await open();
    const full = await source.snapshot({ commit });
    const offered: [string, string, string][] = [];
    const taken = await source.snapshot({
      commit,
      consume: (p, oid, content) => {
        offered.push([p, oid, text(content)!]);
        return p !== 'blog/copy.yaml'; // the caller takes all but one
      },
    });
    const readable = [...full.rootFiles, ...full.folders.flatMap((f) => f.files ?? [])].filter((f) => f.content);
    assert.deepEqual(offered.map(([p]) => p).sort(), readable.map((f) => f.path).sort(), 'every read blob is offered, each path once');
    for (const [p, oid, bytes] of offered) {
      assert.equal(oid, file(full, p)?.oid, `${p}: its oid`);
      assert.equal(bytes, text(file(full, p)?.content), `${p}: its bytes`);
    }
    for (const f of readable) {
      const again = file(taken, f.path);
      assert.equal(again?.oid, f.oid);
      if (f.path === 'blog/copy.yaml') assert.equal(text(again?.content), text(f.content), 'a refused blob keeps its content, though its twin was taken');
      else assert.equal(again?.content, undefined, `${f.path} was taken: no content`);
    }
    assert.deepEqual(
      [...taken.rootFiles, ...taken.folders.flatMap((f) => f.files ?? [])].map((f) => [f.path, f.mode]),
      [...full.rootFiles, ...full.folders.flatMap((f) => f.files ?? [])].map((f) => [f.path, f.mode]),
      'the same entries either way',
    );
  });

  test('path at the repository root, nested paths, and a missing or non-folder path', async () => {
    const atRoot = await open({ path: '' });
    const snap = await atRoot.snapshot({ commit: base });
    assert.equal(snap.root, '');
    assert.deepEqual(
      snap.folders.map((f) => f.name),
      ['sample-repo'],
    );
    assert.ok(file(snap, 'sample-repo/shop/db/claim.yaml'));
    assert.deepEqual(
      snap.rootFiles.map((f) => f.path),
      ['README.md'],
    );

    const nested = await open({ path: '/sample-repo/shop/' });
    const shop = await nested.snapshot({ commit: base });
    assert.equal(shop.root, 'sample-repo/shop');
    assert.deepEqual(
      shop.folders.map((f) => [f.name, f.files?.map((x) => x.path)]),
      [['db', ['db/claim.yaml']]],
    );

    await rejectsWith((await open({ path: 'nope' })).snapshot({ commit: base }), 'SOURCE_PATH_NOT_FOUND', /nope/);
    await rejectsWith((await open({ path: 'sample-repo/README.md' })).snapshot({ commit: base }), 'SOURCE_PATH_NOT_FOUND');
    await rejectsWith((await open({ path: 'sample-repo/link.yaml' })).snapshot({ commit: base }), 'SOURCE_PATH_NOT_FOUND');
    await rejectsWith(open({ path: '../outside' }), 'USAGE');
  });

  test('executable files and submodules keep their mode', async (t) => {
    const other = await localRepo();
    t.after(() => other.cleanup());
    await other.write('x', 'x');
    const sub = await other.commit('sub');
    await other.write('ns/run.sh', '#!/bin/sh\n');
    await fsp.chmod(path.join(other.dir, 'ns/run.sh'), 0o755);
    // A gitlink exists only in the index (no checkout of the submodule), so commit without `add --all`.
    await other.git('add', 'ns/run.sh');
    await other.git('update-index', '--add', '--cacheinfo', `160000,${sub},ns/vendored`);
    await other.git('commit', '--quiet', '-m', 'modes');
    const commit = await other.head();
    const source = await openGitSource({ repo: other.dir, cacheDir: '/nonexistent-unused' });
    const snap = await source.snapshot({ commit });
    assert.equal(file(snap, 'ns/run.sh')?.mode, 'executable');
    assert.equal(text(file(snap, 'ns/run.sh')?.content), '#!/bin/sh\n');
    const gitlink = file(snap, 'ns/vendored');
    assert.equal(gitlink?.mode, 'submodule');
    assert.equal(gitlink?.oid, sub);
    assert.equal(gitlink?.content, undefined);
  });

  test('changedPaths lists only modified, added and deleted files', async (t) => {
    const source = await open();
    await repo.write('sample-repo/shop/web.yaml', 'modified\n');
    await repo.write('sample-repo/blog/extra.yaml', 'added\n');
    await repo.remove('sample-repo/shop/db/claim.yaml');
    await repo.write('outside/ignored.yaml', 'outside the manifest root\n');
    const next = await repo.commit('modify, add, delete');
    t.after(async () => {
      base = next;
    });

    assert.deepEqual(await source.changedPaths(base, next), ['blog/extra.yaml', 'shop/db/claim.yaml', 'shop/web.yaml']);
    assert.deepEqual(await source.changedPaths(next, base), ['blog/extra.yaml', 'shop/db/claim.yaml', 'shop/web.yaml']);
    assert.deepEqual(await source.changedPaths(next, next), []);

    await fsp.chmod(path.join(repo.dir, 'sample-repo/blog/app.yaml'), 0o755);
    const modeOnly = await repo.commit('mode change');
    assert.deepEqual(await source.changedPaths(next, modeOnly), ['blog/app.yaml']);

    const outsideOnly = await (async () => {
      await repo.write('outside/ignored.yaml', 'changed outside\n');
      return repo.commit('outside only');
    })();
    assert.deepEqual(await source.changedPaths(modeOnly, outsideOnly), []);

    await repo.remove('sample-repo/blog');
    await repo.write('sample-repo/blog', 'a file where a folder was\n');
    const replaced = await repo.commit('folder replaced by a file');
    assert.deepEqual(await source.changedPaths(outsideOnly, replaced), ['blog', 'blog/app.yaml', 'blog/extra.yaml']);
    base = replaced;
  });
});

describe('not a repository', () => {
  test('an empty folder, a missing path, a file and a sub-folder of a repository are refused', async (t) => {
    const empty = await tmpDir(t, 'berth-not-a-repo-');
    await rejectsWith(openGitSource({ repo: empty, cacheDir: empty }), 'SOURCE_NOT_A_REPOSITORY', /not a Git repository/);
    await rejectsWith(openGitSource({ repo: path.join(empty, 'missing'), cacheDir: empty }), 'SOURCE_NOT_A_REPOSITORY', /does not exist/);
    await fsp.writeFile(path.join(empty, 'file'), 'x');
    await rejectsWith(openGitSource({ repo: path.join(empty, 'file'), cacheDir: empty }), 'SOURCE_NOT_A_REPOSITORY', /not a directory/);

    const repo = await localRepo();
    t.after(() => repo.cleanup());
    await repo.write('sample-repo/shop/web.yaml', 'x\n');
    await repo.commit('c');
    await rejectsWith(openGitSource({ repo: path.join(repo.dir, 'sample-repo'), cacheDir: empty }), 'SOURCE_NOT_A_REPOSITORY', /--path sample-repo/);
  });

  test('a repository without commits has nothing to resolve', async (t) => {
    const repo = await localRepo();
    t.after(() => repo.cleanup());
    const source = await openGitSource({ repo: repo.dir, cacheDir: '/nonexistent-unused' });
    await rejectsWith(source.resolve(), 'SOURCE_REF_NOT_FOUND', /no commits/);
  });

  test('ssh URLs are refused with a hint', async () => {
    await rejectsWith(openGitSource({ repo: 'git@github.com:x/y.git', cacheDir: '/tmp' }), 'USAGE', /http/);
  });
});

describe('remote repository over HTTP', () => {
  let repo: TmpRepo;
  let c1: string;
  let c2: string;

  before(async () => {
    repo = await tmpRepo();
    await writeSample(repo);
    c1 = await repo.commit('c1');
    await repo.write('sample-repo/shop/web.yaml', 'c2\n');
    c2 = await repo.commit('c2');
    await repo.push();
  });
  after(() => repo?.cleanup());

  const open = async (t: TestContext, options: Partial<GitSourceOptions> = {}) =>
    openGitSource({ repo: repo.url, path: 'sample-repo', cacheDir: await tmpDir(t, 'berth-cache-'), ...options });

  test('resolve fetches the default branch; a pushed commit is seen by the next resolve', async (t) => {
    const cacheDir = await tmpDir(t, 'berth-cache-');
    const source = await open(t, { cacheDir });
    assert.equal(source.description, `${repo.url}@HEAD:sample-repo`);
    assert.equal((await source.resolve()).oid, c2);
    const snap = await source.snapshot({ commit: c2 });
    assert.equal(text(file(snap, 'shop/web.yaml')?.content), 'c2\n');
    assert.equal(file(snap, 'link.yaml')?.mode, 'symlink');
    assert.equal(file(snap, 'link.yaml')?.content, undefined);

    await repo.write('sample-repo/blog/app.yaml', 'c3\n');
    const c3 = await repo.commit('c3');
    await repo.push();
    const resolved = await source.resolve();
    assert.equal(resolved.oid, c3);
    assert.equal(resolved.message, 'c3');
    assert.deepEqual(await source.changedPaths(c2, c3), ['blog/app.yaml']);
    assert.deepEqual(await source.changedPaths(c1, c3), ['blog/app.yaml', 'shop/web.yaml']);
    const snap3 = await source.snapshot({ commit: c3, knownTree: (id) => snap.folders.some((f) => f.treeId === id) });
    assert.equal(snap3.folders.find((f) => f.name === 'shop')?.files, undefined, 'unchanged folder skipped');
    assert.equal(text(file(snap3, 'blog/app.yaml')?.content), 'c3\n');

    // A second source on the same cache directory reuses the mirror.
    const again = await open(t, { cacheDir });
    assert.equal((await again.resolveRef(c1)).oid, c1);
    assert.equal((await fsp.readdir(cacheDir)).length, 1);
  });

  test('--ref as branch, lightweight tag, annotated tag, full and abbreviated commit id', async (t) => {
    await repo.git('branch', 'release', c1);
    await repo.tag('v1', { commit: c1 });
    await repo.tag('v1-annotated', { annotated: true, commit: c1 });
    await repo.push({ refspec: 'release' });
    await repo.push({ tags: true, refspec: 'refs/tags/*' });

    for (const ref of ['release', 'refs/heads/release', 'v1', 'v1-annotated', 'refs/tags/v1-annotated', c1, c1.slice(0, 7), 'main', 'HEAD']) {
      const source = await open(t, { ref });
      const expected = ref === 'main' || ref === 'HEAD' ? await repo.git('rev-parse', 'main') : c1;
      assert.equal((await source.resolve()).oid, expected, `ref ${ref}`);
      assert.equal((await source.snapshot({ commit: expected })).commit, expected);
    }

    // resolveRef on one source, several kinds of ref in turn (the mirror accumulates them).
    const source = await open(t);
    assert.equal((await source.resolveRef('v1-annotated')).oid, c1);
    assert.equal((await source.resolveRef('main')).oid, await repo.git('rev-parse', 'main'));
    assert.equal((await source.resolveRef(c1.slice(0, 10))).oid, c1);
    assert.equal((await source.resolveRef(c1)).oid, c1);
    // Revision expressions over HTTP: the mirror holds the history, so parents are walked locally.
    for (const expression of ['main~1', 'main^', 'HEAD~1', 'v1-annotated^0', 'release~0'])
      assert.equal((await source.resolveRef(expression)).oid, (await repo.git('rev-parse', `${expression}^{commit}`)).trim(), expression);
    const configured = await open(t, { ref: 'main~1' });
    assert.equal((await configured.resolve()).oid, (await repo.git('rev-parse', 'main~1')).trim(), '--ref main~1');
    assert.equal(await configured.peekHead(), (await repo.git('rev-parse', 'main~1')).trim(), 'peekHead of an expression');
  });

  test('a missing ref is SOURCE_REF_NOT_FOUND', async (t) => {
    await rejectsWith((await open(t, { ref: 'no-such-branch' })).resolve(), 'SOURCE_REF_NOT_FOUND', /no-such-branch/);
    const source = await open(t);
    await rejectsWith(source.resolveRef('0123456789abcdef0123456789abcdef01234567'), 'SOURCE_REF_NOT_FOUND');
    await rejectsWith(source.resolveRef('abcd1234'), 'SOURCE_REF_NOT_FOUND');
    await rejectsWith(open(t, { ref: 'bad..ref' }), 'USAGE');
  });

  test('a remote HEAD naming a missing branch, and an empty remote, are clear SOURCE_REF_NOT_FOUND errors', async (t) => {
    await runGit(repo.bareDir, ['symbolic-ref', 'HEAD', 'refs/heads/gone']);
    t.after(() => runGit(repo.bareDir, ['symbolic-ref', 'HEAD', 'refs/heads/main']));
    // isomorphic-git cannot fetch any ref from such a remote (ENVIRONMENT.md, "Could not find HEAD").
    await rejectsWith((await open(t)).resolve(), 'SOURCE_REF_NOT_FOUND', /HEAD names a branch that does not exist/);
    await rejectsWith((await open(t, { ref: 'main' })).resolve(), 'SOURCE_REF_NOT_FOUND', /HEAD names a branch that does not exist/);

    const empty = await tmpRepo();
    t.after(() => empty.cleanup());
    const emptySource = await openGitSource({ repo: empty.url, cacheDir: await tmpDir(t, 'berth-cache-') });
    await rejectsWith(emptySource.resolve(), 'SOURCE_REF_NOT_FOUND', /empty repository|no default branch/);
  });

  test('server down is SOURCE_UNREACHABLE; when it is back, resolve works again', async (t) => {
    const source = await open(t);
    assert.equal((await source.resolve()).oid, await repo.git('rev-parse', 'main'));
    repo.server.setDown(true);
    t.after(() => repo.server.setDown(false));
    const err = await rejectsWith(source.resolve(), 'SOURCE_UNREACHABLE', /503/);
    assert.ok(err.message.includes(repo.url), err.message);

    // A full commit id already in the mirror needs no network.
    assert.equal((await source.resolveRef(c1)).oid, c1);
    assert.ok((await source.snapshot({ commit: c1 })).folders.length > 0);

    repo.server.setDown(false);
    await repo.write('sample-repo/blog/app.yaml', 'after the outage\n');
    const next = await repo.commit('after outage');
    await repo.push();
    assert.equal((await source.resolve()).oid, next);
  });

  test('nothing listening is SOURCE_UNREACHABLE', async (t) => {
    // A port that was just free: listen, note it, close.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const source = await openGitSource({ repo: `http://127.0.0.1:${port}/nothing.git`, cacheDir: await tmpDir(t, 'berth-cache-') });
    await rejectsWith(source.resolve(), 'SOURCE_UNREACHABLE', new RegExp(`ECONNREFUSED|127\\.0\\.0\\.1:${port}`));
  });

  test('a server that accepts but never answers fails after the idle timeout instead of hanging', async (t) => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => resolve());
        }),
    );
    const port = (silent.address() as net.AddressInfo).port;
    const source = await openGitSource({
      repo: `http://127.0.0.1:${port}/silent.git`,
      cacheDir: await tmpDir(t, 'berth-cache-'),
      httpTimeoutMs: 300,
    });
    const started = Date.now();
    await rejectsWith(source.resolve(), 'SOURCE_UNREACHABLE', /timed out/i);
    assert.ok(Date.now() - started < 10_000);
  });

  test('a force-push to older history is followed', async (t) => {
    const source = await open(t, { ref: 'rewrite' });
    await repo.push({ refspec: `${c2}:refs/heads/rewrite` });
    assert.equal((await source.resolve()).oid, c2);
    await repo.push({ refspec: `${c1}:refs/heads/rewrite`, force: true });
    assert.equal((await source.resolve()).oid, c1, 'rewound to the older commit');

    await repo.git('checkout', '--quiet', '-b', 'rewrite-work', c1);
    t.after(() => repo.git('checkout', '--quiet', 'main'));
    await repo.write('sample-repo/blog/app.yaml', 'diverged\n');
    const diverged = await repo.commit('diverged');
    await repo.push({ refspec: 'HEAD:refs/heads/rewrite', force: true });
    assert.equal((await source.resolve()).oid, diverged, 'a diverged history is followed too');
    assert.deepEqual(await source.changedPaths(c2, diverged), ['blog/app.yaml', 'shop/web.yaml']);
  });
});

describe('remote repository with token authentication', () => {
  let repo: TmpRepo;
  let head: string;

  before(async () => {
    repo = await tmpRepo({ requireToken: 's3cret-token' });
    await writeSample(repo);
    head = await repo.commit('c1');
    await repo.push();
  });
  after(() => repo?.cleanup());

  test('the right token works; none or a wrong one is a clear error without the token in it', async (t) => {
    const cacheDir = await tmpDir(t, 'berth-cache-');
    const ok = await openGitSource({ repo: repo.url, path: 'sample-repo', cacheDir, auth: { token: 's3cret-token' } });
    assert.equal((await ok.resolve()).oid, head);
    assert.ok((await ok.snapshot({ commit: head })).folders.length === 2);

    const none = await openGitSource({ repo: repo.url, cacheDir: await tmpDir(t, 'berth-cache-') });
    const noneErr = await rejectsWith(none.resolve(), 'SOURCE_UNREACHABLE', /401.*no token is configured.*BERTH_GIT_TOKEN/);
    assert.equal((noneErr as { details?: { reason?: string } }).details?.reason, 'auth');

    const wrong = await openGitSource({ repo: repo.url, cacheDir: await tmpDir(t, 'berth-cache-'), auth: { username: 'me', token: 'wrong' } });
    const wrongErr = await rejectsWith(wrong.resolve(), 'SOURCE_UNREACHABLE', /401.*refused the configured token/);
    assert.ok(!wrongErr.message.includes('wrong'));
  });

  test('credentials in the URL work and never appear in the description or the cache path', async (t) => {
    const cacheDir = await tmpDir(t, 'berth-cache-');
    const withCredentials = repo.url.replace('http://', 'http://someone:s3cret-token@');
    const source = await openGitSource({ repo: withCredentials, cacheDir });
    assert.ok(!source.description.includes('s3cret'), source.description);
    assert.equal((await source.resolve()).oid, head);
    const entries = await fsp.readdir(cacheDir);
    assert.equal(entries.length, 1);
    assert.ok(!entries[0]?.includes('s3cret'));
    const config = await fsp.readFile(path.join(cacheDir, entries[0] ?? '', 'config'), 'utf8');
    assert.ok(!config.includes('s3cret'), 'the token is not written to the mirror config');
  });
});

describe('native inflate', () => {
  test('isomorphic-git inflates with Node zlib, with identical bytes', async () => {
    const { createRequire } = await import('node:module');
    const { deflateSync } = await import('node:zlib');
    await import('../../src/source/index.js');
    const require = createRequire(import.meta.url);
    const pako = createRequire(require.resolve('isomorphic-git'))('pako') as { inflate: (d: Uint8Array) => Uint8Array; deflate: (d: Uint8Array) => Uint8Array };
    assert.match(pako.inflate.toString(), /inflateSync/, 'the swap is installed on the pako instance isomorphic-git uses');
    const data = Buffer.from('apiVersion: apps/v1\nkind: Deployment\n'.repeat(50));
    assert.deepEqual(Buffer.from(pako.inflate(deflateSync(data))), data);
    assert.deepEqual(Buffer.from(pako.inflate(pako.deflate(data))), data);
    assert.throws(() => pako.inflate(Buffer.from('not deflate data')), 'corrupt data still throws');
  });
});

describe('revision expressions resolve as `git rev-parse` does', () => {
  let repo: LocalRepo;
  let source: GitSource;

  // History (first parents on the left):  r — a — m(merge of b) — c      tags v1 → a (annotated), v2 → c
  //                                             \ b ─┘                   branch side → b
  before(async () => {
    repo = await localRepo();
    await repo.write('m/ns/x.yaml', 'r\n');
    await repo.commit('r');
    await repo.write('m/ns/x.yaml', 'a\n');
    const a = await repo.commit('a');
    await repo.tag('v1', { annotated: true, commit: a });
    await repo.git('checkout', '--quiet', '-b', 'side');
    await repo.write('m/ns/y.yaml', 'b\n');
    await repo.commit('b');
    await repo.git('checkout', '--quiet', 'main');
    await repo.write('m/ns/x.yaml', 'a2\n');
    await repo.commit('a2');
    await repo.git('merge', '--quiet', '--no-ff', '--no-edit', 'side');
    await repo.write('m/ns/x.yaml', 'c\n');
    const c = await repo.commit('c');
    await repo.tag('v2', { commit: c });
    source = await openGitSource({ repo: repo.dir, path: 'm', cacheDir: '/nonexistent-unused' });
  });
  after(() => repo?.cleanup());

  const expressions = [
    'HEAD',
    '@',
    'HEAD~0',
    'HEAD~',
    'HEAD~1',
    'HEAD^',
    'HEAD^1',
    'HEAD~1^2',
    'HEAD^^2',
    'HEAD~2',
    'HEAD~3',
    'main~1^1',
    'main^1^2~1',
    '@~2',
    'v1',
    'v1^0',
    'v1~1',
    'v2^',
    'side',
    'side~1',
    'refs/heads/side^',
  ];
  for (const expression of expressions) {
    test(expression, async () => {
      const native = (await repo.git('rev-parse', '--verify', '--quiet', `${expression}^{commit}`)).trim();
      assert.equal((await source.resolveRef(expression)).oid, native);
    });
  }

  test('a short id with steps', async () => {
    const head = (await repo.git('rev-parse', 'HEAD')).trim();
    const native = (await repo.git('rev-parse', 'HEAD~1^2')).trim();
    assert.equal((await source.resolveRef(`${head.slice(0, 9)}~1^2`)).oid, native);
  });

  test('past the history or a parent a commit does not have: SOURCE_REF_NOT_FOUND that says where the walk stopped', async () => {
    await rejectsWith(
      source.resolveRef('HEAD~9'),
      'SOURCE_REF_NOT_FOUND',
      /HEAD~9 goes past the first commit of its history \(HEAD has 4 ancestors along first parents\)/,
    );
    await rejectsWith(source.resolveRef('HEAD^2'), 'SOURCE_REF_NOT_FOUND', /HEAD \([0-9a-f]{12}\) has 1 parent, so \^2 names none/);
    await rejectsWith(source.resolveRef('HEAD~1^3'), 'SOURCE_REF_NOT_FOUND', /HEAD~1 \([0-9a-f]{12}\) has 2 parents, so \^3 names none/);
    await rejectsWith(source.resolveRef('nope~1'), 'SOURCE_REF_NOT_FOUND', /nope/);
  });

  test('what names no single commit is a usage error with the reason', async () => {
    for (const [expression, why] of [
      ['HEAD@{1}', /reflog/],
      ['HEAD^{tree}', /peeling/],
      ['HEAD:m/ns/x.yaml', /path/],
      ['HEAD~1..HEAD', /range/],
      ['HEAD^!', /several commits/],
      ['~1', /needs a revision before/],
      ['HEAD~x', /unexpected "x"/],
    ] as const)
      await rejectsWith(source.resolveRef(expression), 'USAGE', why);
  });
});

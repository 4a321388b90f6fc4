import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/core/index.js';
import { openGitSource, type GitSource } from '../../src/source/index.js';
import { FileStore, type NamespaceStatus } from '../../src/store/index.js';
import { runBerth } from '../helpers/berth-cli.js';
import { localRepo, tmpRepo, type LocalRepo, type TmpRepo } from '../helpers/tmp-repo.js';

/**
 * `berth rollout status --commit C` once berth has applied a later commit: like kubectl, whose
 * wait ends once observedGeneration reaches the generation asked about, a commit that includes C
 * (pushed after it, a revert on top) supersedes it, and its rollout is reported. A commit berth
 * applied that does not include C (older, or on another branch) is no answer: still waiting.
 * Real repositories (local, and a remote over HTTP), the real CLI, a real state directory.
 */

// History (main):  a ── b ── c ── m (merge of f)
//                   └── f ──────┘         x: on branch other, off a
describe('GitSource.includes: a commit and its history', () => {
  let repo: LocalRepo;
  let remote: TmpRepo;
  const ids: Record<string, string> = {};
  let local: GitSource;
  let cache: string;

  before(async () => {
    repo = await localRepo();
    remote = await tmpRepo();
    cache = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-includes-'));
    for (const tree of [remote, repo]) {
      // The same history in both; the remote's ids (other commit times) are read from its refs in its own test.
      await tree.write('shop/web.yaml', 'a\n');
      ids.a = await tree.commit('a');
      await tree.git('checkout', '--quiet', '-b', 'feature');
      await tree.write('shop/f.yaml', 'f\n');
      ids.f = await tree.commit('f');
      await tree.git('checkout', '--quiet', 'main');
      await tree.write('shop/web.yaml', 'b\n');
      ids.b = await tree.commit('b');
      await tree.write('shop/web.yaml', 'c\n');
      ids.c = await tree.commit('c');
      await tree.git('merge', '--quiet', '--no-edit', 'feature');
      ids.m = await tree.head();
      await tree.git('checkout', '--quiet', '-b', 'other', ids.a!);
      await tree.write('shop/web.yaml', 'x\n');
      ids.x = await tree.commit('x');
      await tree.git('checkout', '--quiet', 'main');
    }
    local = await openGitSource({ repo: repo.dir, cacheDir: '/nonexistent-unused' });
  });
  after(async () => {
    await repo?.cleanup();
    await remote?.cleanup();
    await fsp.rm(cache, { recursive: true, force: true });
  });

  const rows: [string, string, string, boolean][] = [
    ['a commit includes itself', 'c', 'c', true],
    ['its parent', 'c', 'b', true],
    ['its first commit', 'm', 'a', true],
    ['a merged branch', 'm', 'f', true],
    ['not a later commit', 'b', 'c', false],
    ['not a branch it never merged', 'c', 'f', false],
    ['not another branch', 'm', 'x', false],
    ['from the other branch: their common start', 'x', 'a', true],
  ];
  for (const [what, commit, ancestor, expected] of rows) {
    it(`local: ${what}`, async () => assert.equal(await local.includes(ids[commit]!, ids[ancestor]!), expected));
  }
  it('local: a commit the repository does not hold includes nothing, and is in nothing', async () => {
    assert.equal(await local.includes(ids.m!, 'f'.repeat(40)), false);
    assert.equal(await local.includes('f'.repeat(40), ids.a!), false);
  });

  it('remote: after the commit is resolved (fetched), its history is read from the mirror', async () => {
    await remote.push({ refspec: 'main' });
    const source = await openGitSource({ repo: remote.url, cacheDir: cache });
    const m = (await source.resolveRef(await remote.git('rev-parse', 'main'))).oid;
    assert.equal(await source.includes(m, await remote.git('rev-parse', 'feature')), true, 'the merged branch');
    assert.equal(await source.includes(m, await remote.git('rev-parse', 'main~1')), true, 'its parent');
    assert.equal(await source.includes(await remote.git('rev-parse', 'main~1'), m), false, 'not a later commit');
  });
});

describe('berth rollout status --commit, once berth applied a later commit', () => {
  let repo: LocalRepo;
  let stateDir: string;
  const ids: Record<string, string> = {};

  before(async () => {
    repo = await localRepo();
    stateDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-status-superseded-'));
    await repo.write('shop/web.yaml', 'v0\n');
    ids.base = await repo.commit('where both branches start');
    await repo.write('shop/web.yaml', 'v1\n');
    ids.asked = await repo.commit('the commit CI asks about');
    await repo.write('shop/web.yaml', 'v2\n');
    ids.later = await repo.commit('a push after it');
    await repo.git('checkout', '--quiet', '-b', 'other', ids.base!);
    await repo.write('shop/web.yaml', 'elsewhere\n');
    ids.elsewhere = await repo.commit('on another branch');
    await repo.git('checkout', '--quiet', 'main');
  });
  after(async () => {
    await repo?.cleanup();
    await fsp.rm(stateDir, { recursive: true, force: true });
  });

  /** The state a berth that applied `commit` would have written: web complete on 3 replicas. */
  async function applied(commit: string): Promise<void> {
    const store = await FileStore.open(stateDir, silentLogger);
    const status: NamespaceStatus = {
      namespace: 'shop',
      lastAttemptedCommit: commit,
      lastAppliedCommit: commit,
      phase: 'Synced',
      conditions: [],
      deployments: [{ name: 'web', revision: 'r2', replicas: 3, updatedReplicas: 3, availableReplicas: 3, phase: 'Complete' }],
      diagnostics: [],
      updatedAt: new Date().toISOString(),
    };
    await store.putNamespace(status);
  }
  const status = (commit: string) => runBerth(['rollout', 'status', 'shop/web', '--no-watch', '--commit', commit, '--repo', repo.dir, '--state-dir', stateDir]);

  it('a later commit that includes it: its rollout is reported (exit 0), and the line says which commit', async () => {
    await applied(ids.later!);
    const r = await status(ids.asked!);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, new RegExp(`commit ${ids.asked!.slice(0, 12)} is superseded by ${ids.later!.slice(0, 12)}, which includes it`));
    assert.match(r.stdout, /deployment "web" successfully rolled out/);
  });

  it('the same, asked by a name (HEAD~1)', async () => {
    const r = await status('HEAD~1');
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /superseded by/);
  });

  it('a commit on another branch does not include it: still waiting for it (exit 1)', async () => {
    await applied(ids.elsewhere!);
    const r = await status(ids.asked!);
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, new RegExp(`Waiting for commit ${ids.asked!.slice(0, 12)} to be applied`));
    assert.doesNotMatch(r.stdout, /superseded/);
  });

  it('an older commit (one it includes) is no answer either: still waiting', async () => {
    await applied(ids.asked!);
    const r = await status(ids.later!);
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, new RegExp(`Waiting for commit ${ids.later!.slice(0, 12)} to be applied`));
  });
});

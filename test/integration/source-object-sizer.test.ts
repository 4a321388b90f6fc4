/**
 * ObjectSizer reads every object's type and size from its header, never inflating the object
 * (#15). Its pack lookup is a binary search of the .idx, and a search that went the wrong way
 * still found an object that sat where the search first looked. So a test on a pack of a few
 * objects passed while, in a pack of hundreds, a third of the objects were "not found", and
 * their blobs were inflated whatever their size (and each miss re-read every listing). These
 * tests use packs of hundreds of objects (delta chains included) written by native git.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ObjectSizer } from '../../src/source/object-header.js';
import { localRepo, type LocalRepo } from '../helpers/tmp-repo.js';

/** Every object of the repository with its type and size, as `git cat-file --batch-check` says. */
async function nativeSizes(repo: LocalRepo): Promise<Map<string, { type: string; size: number }>> {
  const listed = await repo.git('cat-file', '--batch-all-objects', '--batch-check');
  const out = new Map<string, { type: string; size: number }>();
  for (const line of listed.split('\n').filter(Boolean)) {
    const [oid, type, size] = line.split(' ');
    out.set(oid!, { type: type!, size: Number(size) });
  }
  return out;
}

describe('ObjectSizer finds every packed object', { timeout: 120_000 }, () => {
  let repo: LocalRepo;

  before(async () => {
    repo = await localRepo();
    // Similar files over several commits: git stores most of them as deltas of one another.
    for (let commit = 0; commit < 4; commit++) {
      for (let i = 0; i < 60; i++) {
        await repo.write(
          `ns-${i % 6}/app-${i}.yaml`,
          `kind: Deployment\nmetadata:\n  name: app-${i}\nspec:\n  replicas: ${commit + 1}\n${'  # padding line\n'.repeat(20 + (i % 7))}`,
        );
      }
      await repo.commit(`commit ${commit}`);
    }
  });
  after(() => repo?.cleanup());

  const check = async (how: string) => {
    const expected = await nativeSizes(repo);
    assert.ok(expected.size > 250, `${how}: hundreds of objects (${expected.size})`);
    const sizer = new ObjectSizer(path.join(repo.dir, '.git'));
    const wrong: string[] = [];
    for (const [oid, want] of expected) {
      const got = await sizer.sizeOf(oid);
      if (got?.type !== want.type || got.size !== want.size) wrong.push(`${oid} ${want.type} ${want.size}: ${JSON.stringify(got)}`);
      else assert.ok(got.cost >= got.size, `${how}: a cost is at least the size`);
    }
    assert.deepEqual(wrong, [], `${how}: ${wrong.length} of ${expected.size} objects sized wrong or not found`);
  };

  it('loose objects', async () => {
    assert.match(await repo.git('count-objects', '-v'), /^count: [1-9]/m);
    await check('loose');
  });

  it('the same objects packed by git gc, delta chains included', async () => {
    await repo.git('gc', '--quiet', '--aggressive');
    assert.match(await repo.git('count-objects', '-v'), /^count: 0$/m, 'everything packed');
    const verify = await repo.git('verify-pack', '-v', ...(await packIndexes(repo)));
    assert.match(verify, /^chain length = [1-9]/m, 'the pack holds delta chains');
    await check('packed');
  });
});

async function packIndexes(repo: LocalRepo): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const dir = path.join(repo.dir, '.git', 'objects', 'pack');
  return (await readdir(dir)).filter((n) => n.endsWith('.idx')).map((n) => path.join(dir, n));
}

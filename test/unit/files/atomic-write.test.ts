import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { writeFileAtomic } from '../../../src/files/index.js';

describe('writeFileAtomic', () => {
  const dirs: string[] = [];
  const tmp = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-atomic-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('creates, then replaces the whole file, mode 0600, leaving no temp file', async () => {
    const dir = await tmp();
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, 'first\n');
    await writeFile(join(dir, 'other'), 'x');
    await writeFileAtomic(path, 'second\n');
    assert.equal(await readFile(path, 'utf8'), 'second\n');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(dir)).sort(), ['other', 'state.json']);
  });

  it('a rename that fails leaves the target as it was and no temp file behind', async () => {
    const dir = await tmp();
    const path = join(dir, 'taken');
    await mkdir(path); // a non-empty directory cannot be replaced by a file
    await writeFile(join(path, 'inside'), 'kept');
    await assert.rejects(writeFileAtomic(path, 'new'), (err: NodeJS.ErrnoException) => ['EISDIR', 'ENOTEMPTY', 'EEXIST'].includes(err.code ?? ''));
    assert.deepEqual(await readdir(dir), ['taken']);
    assert.equal(await readFile(join(path, 'inside'), 'utf8'), 'kept');
  });
});

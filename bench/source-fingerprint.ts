import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGit } from '../test/helpers/tmp-repo.js';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Which berth a benchmark measured: HEAD, how many entries under src/ differ from it, and a hash of src/ as it is on disk. */
export async function sourceFingerprint(): Promise<string> {
  const head = await runGit(REPO_ROOT, ['rev-parse', '--short', 'HEAD']).catch(() => 'unknown');
  const dirty = (await runGit(REPO_ROOT, ['status', '--porcelain', '--', 'src']).catch(() => '')).split('\n').filter(Boolean).length;
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await fsp.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) hash.update(path.relative(REPO_ROOT, full)).update(await fsp.readFile(full));
    }
  };
  await walk(path.join(REPO_ROOT, 'src'));
  return `HEAD ${head}, ${dirty} changed/untracked entries under src/, src/ content sha256 ${hash.digest('hex').slice(0, 12)}`;
}

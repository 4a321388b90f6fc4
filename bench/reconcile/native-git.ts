import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { runGit } from '../../test/helpers/tmp-repo.js';

/**
 * Native git doing the same reads, for scale. Always asynchronous: the HTTP server the
 * fetches talk to lives in this process. Each figure includes git's process start, as any
 * caller shelling out to git would pay it.
 */
export async function timeGit(cwd: string, args: readonly string[]): Promise<number> {
  const t = performance.now();
  await runGit(cwd, args);
  return performance.now() - t;
}

/**
 * `git ls-tree -r <commit>` then `git cat-file --batch` over every blob it lists: the native
 * equivalent of reading the whole manifest tree at a commit. Returns the time and what was read.
 */
export async function readWholeTree(gitdir: string, commit: string): Promise<{ ms: number; blobs: number; bytes: number }> {
  const t = performance.now();
  const listing = await runGit(gitdir, ['ls-tree', '-r', commit]);
  const oids: string[] = [];
  for (const line of listing.split('\n')) {
    // "<mode> <type> <oid>\t<path>"
    const [meta] = line.split('\t');
    const [, type, oid] = (meta ?? '').split(' ');
    if (type === 'blob' && oid) oids.push(oid);
  }
  const child = spawn('git', ['cat-file', '--batch'], {
    cwd: gitdir,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  });
  let bytes = 0;
  child.stdout.on('data', (c: Buffer) => {
    bytes += c.length;
  });
  const closed = once(child, 'close') as Promise<[number | null]>;
  child.stdin.end(oids.map((o) => `${o}\n`).join(''));
  const [code] = await closed;
  if (code !== 0) throw new Error(`git cat-file --batch exited ${code}`);
  return { ms: performance.now() - t, blobs: oids.length, bytes };
}

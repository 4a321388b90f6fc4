import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Crash-safe replace: write a temp file in the same directory (mode 0600), fsync it, rename
 * over the target, fsync the directory. A crash at any instant leaves either the old or the
 * new file, never a torn one (rename is atomic on POSIX file systems). When the rename fails,
 * the temp file is removed and the error thrown; the target is untouched.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  } finally {
    await dir.close();
  }
}

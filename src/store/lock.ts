import { open, readFile, stat, unlink } from 'node:fs/promises';
import { BerthError } from '../core/index.js';
import { isProcessAlive } from '../files/index.js';

/** The lock's file name in the state directory. */
export const LOCK_FILE = 'berth.lock';

/**
 * The berth holding the lock at `path`, and since when (the file is made when it starts);
 * undefined when none holds it (no file, or its process is gone).
 */
export async function lockHolder(path: string): Promise<{ readonly pid: number; readonly since: Date } | undefined> {
  const [text, info] = await Promise.all([readFile(path, 'utf8').catch(() => ''), stat(path).catch(() => undefined)]);
  const pid = Number(text.trim());
  if (!info || !Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return undefined;
  return { pid, since: info.mtime };
}

/**
 * An exclusive lock on the state directory: a `berth.lock` file holding the owner's pid,
 * created with O_EXCL. A lock whose pid is no longer alive is stale and taken over, so a
 * kill -9 never wedges the next start.
 */
export async function acquireLock(path: string): Promise<{ release(): Promise<void> }> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return {
        async release() {
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (pid && pid !== process.pid && isProcessAlive(pid)) {
        throw new BerthError('STATE_LOCKED', `the state directory is in use by berth process ${pid} (${path}); stop it or use another --state-dir`, {
          details: { pid },
        });
      }
      await unlink(path).catch(() => undefined);
    }
  }
  throw new BerthError('STATE_LOCKED', `could not take the lock ${path}`);
}

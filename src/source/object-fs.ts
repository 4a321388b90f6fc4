import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { FileSystem } from 'isomorphic-git/models';

/**
 * The file system isomorphic-git reads git objects through, tuned for reading thousands of
 * objects in a row. For every object read isomorphic-git would otherwise stat the git
 * directory, try to open a loose object file (which, in a packed repository, never exists),
 * list `objects/pack`, and probe whether the fs returns promises. Here:
 *  - the listings of `objects/pack` and of each `objects/xx` folder are read once and kept,
 *    so a loose object that is not there costs no system call;
 *  - the stat of the git directory itself is kept;
 *  - the isomorphic-git wrapper is built once (it short-circuits on an already wrapped fs).
 * Listings can go stale when objects are added (a fetch, a commit in a local repository) or
 * packs are rewritten (`git gc`): `invalidate()` forgets them. The ObjectStore calls it after
 * each fetch and retries once, with fresh listings, any read that did not find its object.
 * Only object reads go through here; refs are always read from disk.
 */
export class ObjectFs {
  /** The value to pass as `fs` to isomorphic-git. */
  readonly client: FileSystem;
  private listings = new Map<string, Promise<Set<string>>>();
  private gitdirStat: ReturnType<typeof fsp.stat> | undefined;
  private readonly objectsDir: string;

  constructor(private readonly gitdir: string) {
    this.objectsDir = path.join(gitdir, 'objects');
    this.client = new FileSystem(this.promiseClient());
  }

  invalidate(): void {
    this.listings = new Map();
    this.gitdirStat = undefined;
  }

  private promiseClient() {
    const listing = (dir: string): Promise<Set<string>> => {
      let names = this.listings.get(dir);
      if (!names) {
        names = fsp.readdir(dir).then(
          (entries) => new Set(entries),
          () => new Set<string>(),
        );
        this.listings.set(dir, names);
      }
      return names;
    };
    // A folder directly under objects/ whose listing is cached: `objects/xx` or `objects/pack`.
    const cachedFolder = (p: string): string | undefined => {
      const parent = path.dirname(p);
      return path.dirname(parent) === this.objectsDir ? parent : undefined;
    };
    return {
      readFile: async (p: string, options?: unknown) => {
        if (typeof p !== 'string') throw missing(); // isomorphic-git probes readFile() without arguments
        const folder = cachedFolder(p);
        if (folder !== undefined && !(await listing(folder)).has(path.basename(p))) throw missing();
        return fsp.readFile(p, options as Parameters<typeof fsp.readFile>[1]);
      },
      readdir: async (p: string) => {
        if (p === path.join(this.objectsDir, 'pack') || path.dirname(p) === this.objectsDir) {
          const names = await listing(p);
          return [...names];
        }
        return fsp.readdir(p);
      },
      stat: (p: string) => {
        if (p !== this.gitdir) return fsp.stat(p);
        this.gitdirStat ??= fsp.stat(p);
        return this.gitdirStat;
      },
      lstat: (p: string) => fsp.lstat(p),
      writeFile: (p: string, data: Uint8Array | string, options?: unknown) => fsp.writeFile(p, data, options as Parameters<typeof fsp.writeFile>[2]),
      mkdir: (p: string, options?: unknown) => fsp.mkdir(p, options as Parameters<typeof fsp.mkdir>[1]),
      rmdir: (p: string) => fsp.rmdir(p),
      rm: (p: string, options?: unknown) => fsp.rm(p, options as Parameters<typeof fsp.rm>[1]),
      unlink: (p: string) => fsp.unlink(p),
      readlink: (p: string) => fsp.readlink(p),
      symlink: (target: string, p: string) => fsp.symlink(target, p),
    };
  }
}

// One shared instance: isomorphic-git turns ENOENT into "absent" and drops the error, and
// building a fresh Error (with its stack) for each of 10,000 absent loose objects shows in profiles.
const MISSING = Object.assign(new Error('ENOENT: no such object file'), { code: 'ENOENT' });

function missing(): Error {
  return MISSING;
}

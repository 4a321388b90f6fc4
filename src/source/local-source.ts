import { BerthError } from '../core/index.js';
import { CommitSource } from './commit-source.js';
import { ObjectStore, type ObjectLimits, type StoredCommit } from './object-store.js';
import { isAbbreviatedOid, isFullOid } from './ref-name.js';

/**
 * A repository on this machine, read in place from its git directory: no fetch, no copy.
 * Refs are re-read on every resolve, so a commit made by the user is seen by the next one;
 * the work tree and the index are never read, so uncommitted edits are invisible.
 * The default ref is HEAD, i.e. whatever branch is checked out at the time of the resolve.
 */
export class LocalGitSource extends CommitSource {
  private readonly store: ObjectStore;
  private seenPacks = new Set<string>();

  constructor(args: { description: string; gitdir: string; ref: string | undefined; manifestPath: string; concurrency: number; limits?: ObjectLimits }) {
    const store = new ObjectStore(args.gitdir, args.limits);
    super({ ...args, store });
    this.store = store;
  }

  protected override async beforeResolve(): Promise<void> {
    this.store.refresh(); // the user may have committed or repacked since the last resolve
    await this.forgetRemovedPacks();
  }

  protected async lookup(ref: string): Promise<StoredCommit> {
    let oid: string | undefined;
    if (isFullOid(ref)) oid = ref.toLowerCase();
    else {
      oid = await this.store.resolveRefName(ref);
      if (oid === undefined && isAbbreviatedOid(ref)) oid = await this.store.expandOid(ref.toLowerCase());
    }
    const commit = oid === undefined ? undefined : await this.store.readCommit(oid);
    if (commit) return commit;
    const message =
      ref === 'HEAD' ? `the repository ${this.description} has no commits on its current branch yet` : `ref "${ref}" does not exist in ${this.description}`;
    throw new BerthError('SOURCE_REF_NOT_FOUND', message, { details: { ref } });
  }

  /**
   * After a `git gc` the packfiles berth cached are deleted; drop the cache then so the old
   * packs are not held in memory for the life of the process.
   */
  private async forgetRemovedPacks(): Promise<void> {
    const now = new Set(await this.store.packIndexes());
    for (const name of this.seenPacks) {
      if (!now.has(name)) {
        this.store.resetCache();
        break;
      }
    }
    this.seenPacks = now;
  }
}

import { BerthError } from '../core/index.js';
import { CommitReader } from './commit-reader.js';
import type { GitSource, SnapshotArgs } from './git-source.js';
import { ObjectStore, type StoredCommit } from './object-store.js';
import { checkRefName, isAbbreviatedOid, isFullOid } from './ref-name.js';
import type { CommitInfo, Snapshot } from './snapshot.js';

/**
 * A repository on this machine, read in place from its git directory: no fetch, no copy.
 * Refs are re-read on every resolve, so a commit made by the user is seen by the next one;
 * the work tree and the index are never read, so uncommitted edits are invisible.
 * The default ref is HEAD, i.e. whatever branch is checked out at the time of the resolve.
 */
export class LocalGitSource implements GitSource {
  readonly description: string;
  private readonly store: ObjectStore;
  private readonly reader: CommitReader;
  private readonly ref: string | undefined;
  private seenPacks = new Set<string>();

  constructor(args: { description: string; gitdir: string; ref: string | undefined; manifestPath: string; concurrency: number }) {
    this.description = args.description;
    this.ref = args.ref;
    this.store = new ObjectStore(args.gitdir);
    this.reader = new CommitReader({
      store: this.store,
      manifestPath: args.manifestPath,
      concurrency: args.concurrency,
      commitAt: (ref) => this.lookup(ref),
    });
  }

  resolve(): Promise<CommitInfo> {
    return this.resolveRef(this.ref ?? 'HEAD');
  }

  async resolveRef(ref: string): Promise<CommitInfo> {
    checkRefName(ref);
    this.store.refresh(); // the user may have committed or repacked since the last resolve
    await this.forgetRemovedPacks();
    return (await this.lookup(ref)).info;
  }

  snapshot(args: SnapshotArgs): Promise<Snapshot> {
    return this.reader.snapshot(args);
  }

  changedPaths(from: string, to: string): Promise<string[]> {
    return this.reader.changedPaths(from, to);
  }

  private async lookup(ref: string): Promise<StoredCommit> {
    let oid: string | undefined;
    if (isFullOid(ref)) oid = ref.toLowerCase();
    else {
      oid = await this.store.resolveRefName(ref);
      if (oid === undefined && isAbbreviatedOid(ref)) oid = await this.store.expandOid(ref.toLowerCase());
    }
    const commit = oid === undefined ? undefined : await this.store.readCommit(oid);
    if (commit) return commit;
    const message =
      ref === 'HEAD'
        ? `the repository ${this.description} has no commits on its current branch yet`
        : `ref "${ref}" does not exist in ${this.description}`;
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

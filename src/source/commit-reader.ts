import { boundedPool, type Pool } from '../core/index.js';
import { changedPathsBetween } from './changed-paths.js';
import { findManifestTree, pathNotFound } from './manifest-root.js';
import type { ObjectStore, StoredCommit } from './object-store.js';
import { readSnapshot } from './tree-snapshot.js';
import type { Snapshot } from './snapshot.js';
import type { SnapshotArgs } from './git-source.js';

/**
 * Reading at a commit, the part local and remote sources share: snapshot and changed paths
 * below the manifest root. `commitAt` is the source's way to find a commit (a remote fetches
 * when the commit is missing); it throws SOURCE_REF_NOT_FOUND when there is none.
 */
export class CommitReader {
  private readonly pool: Pool;
  private readonly store: ObjectStore;
  private readonly manifestPath: string;
  private readonly commitAt: (ref: string) => Promise<StoredCommit>;

  constructor(args: {
    readonly store: ObjectStore;
    readonly manifestPath: string;
    /** How many objects are read at once. */
    readonly concurrency: number;
    readonly commitAt: (ref: string) => Promise<StoredCommit>;
  }) {
    this.store = args.store;
    this.manifestPath = args.manifestPath;
    this.commitAt = args.commitAt;
    this.pool = boundedPool(args.concurrency);
  }

  async snapshot(args: SnapshotArgs): Promise<Snapshot> {
    const commit = await this.commitAt(args.commit);
    const rootTreeId = await findManifestTree(this.store, commit.tree, this.manifestPath);
    if (rootTreeId === undefined) throw pathNotFound(this.manifestPath, commit.oid);
    return readSnapshot({
      store: this.store,
      pool: this.pool,
      commit: commit.oid,
      root: this.manifestPath,
      rootTreeId,
      ...(args.knownTree ? { knownTree: args.knownTree } : {}),
      ...(args.knownBlob ? { knownBlob: args.knownBlob } : {}),
      ...(args.consume ? { consume: args.consume } : {}),
    });
  }

  /** A manifest root absent on one side counts as an empty folder there (everything added or removed). */
  async changedPaths(from: string, to: string): Promise<string[]> {
    const [a, b] = await Promise.all([this.commitAt(from), this.commitAt(to)]);
    if (a.tree === b.tree) return [];
    const [treeA, treeB] = await Promise.all([
      findManifestTree(this.store, a.tree, this.manifestPath),
      findManifestTree(this.store, b.tree, this.manifestPath),
    ]);
    return changedPathsBetween({ store: this.store, pool: this.pool, from: treeA, to: treeB });
  }
}

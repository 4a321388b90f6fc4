import { byCodeUnit, type Pool } from '../core/index.js';
import type { BlobRead, ObjectStore } from './object-store.js';
import type { Snapshot, SnapshotFile, SnapshotFolder } from './snapshot.js';

/**
 * Reads the manifest tree below one root tree into a Snapshot, skipping what the caller knows:
 *  - a folder (direct sub-tree of the root) whose tree id is known comes without `files`,
 *    and nothing below it is read: a poll with no change reads the root tree(s) only;
 *  - a regular file whose blob id is known comes without `content`;
 *  - a regular file whose blob is over the store's blob limit comes with `tooLarge` instead of
 *    `content` (its size read from the object header; the blob is never inflated).
 * Symlinks and submodules are listed (mode `symlink`/`submodule`) but never read or followed.
 * Every object read goes through the bounded pool; identical blobs are read once while a read
 * is pending or its bytes are kept.
 * A blob `consume` takes (it answers true) comes without `content` and its bytes are dropped at
 * once: a caller that parses as it reads holds one file's bytes at a time, not every file's.
 * Order: folders by name, files by path (code-unit order), so equal trees give equal snapshots.
 */
export interface ReadSnapshotArgs {
  readonly store: ObjectStore;
  readonly pool: Pool;
  readonly commit: string;
  readonly root: string;
  readonly rootTreeId: string;
  readonly knownTree?: (treeId: string) => boolean;
  readonly knownBlob?: (oid: string) => boolean;
  readonly consume?: (path: string, oid: string, content: Uint8Array) => boolean;
}

export async function readSnapshot(args: ReadSnapshotArgs): Promise<Snapshot> {
  const { store, pool, knownTree, knownBlob, consume } = args;
  const contents = new Map<string, Promise<BlobRead>>();

  const contentOf = (oid: string): Promise<BlobRead> => {
    let pending = contents.get(oid);
    if (!pending) {
      pending = pool(() => store.readBlob(oid));
      contents.set(oid, pending);
    }
    return pending;
  };

  const toFile = async (oid: string, mode: SnapshotFile['mode'], path: string): Promise<SnapshotFile> => {
    const isRegular = mode === 'file' || mode === 'executable';
    if (!isRegular || knownBlob?.(oid)) return { path, oid, mode };
    const read = await contentOf(oid);
    if ('content' in read && consume?.(path, oid, read.content)) {
      contents.delete(oid); // its bytes go with the last reader; a later path with this oid reads it again (or finds it known)
      return { path, oid, mode };
    }
    return 'content' in read ? { path, oid, mode, content: read.content } : { path, oid, mode, tooLarge: read.tooLarge };
  };

  /** Every leaf below `treeId`, depth first; sub-trees and blobs are requested concurrently. */
  const listFiles = async (treeId: string, prefix: string): Promise<SnapshotFile[]> => {
    const entries = await pool(() => store.readTree(treeId));
    const parts = await Promise.all(
      entries.map((e) => (e.kind === 'tree' ? listFiles(e.oid, `${prefix}${e.name}/`) : toFile(e.oid, e.kind, `${prefix}${e.name}`).then((f) => [f]))),
    );
    return parts.flat();
  };

  const rootEntries = await pool(() => store.readTree(args.rootTreeId));
  const folderPromises: Promise<SnapshotFolder>[] = [];
  const rootFilePromises: Promise<SnapshotFile>[] = [];
  for (const entry of rootEntries) {
    if (entry.kind !== 'tree') {
      rootFilePromises.push(toFile(entry.oid, entry.kind, entry.name));
    } else if (knownTree?.(entry.oid)) {
      folderPromises.push(Promise.resolve({ name: entry.name, treeId: entry.oid }));
    } else {
      folderPromises.push(
        listFiles(entry.oid, `${entry.name}/`).then((files) => ({
          name: entry.name,
          treeId: entry.oid,
          files: files.sort(byPath),
        })),
      );
    }
  }
  const [folders, rootFiles] = await Promise.all([Promise.all(folderPromises), Promise.all(rootFilePromises)]);
  return {
    commit: args.commit,
    root: args.root,
    rootTreeId: args.rootTreeId,
    folders: folders.sort((a, b) => byCodeUnit(a.name, b.name)),
    rootFiles: rootFiles.sort(byPath),
  };
}

function byPath(a: SnapshotFile, b: SnapshotFile): number {
  return byCodeUnit(a.path, b.path);
}

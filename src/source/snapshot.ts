/**
 * A Snapshot is the manifest tree at one commit, read from git objects (never a work tree).
 * Paths are relative to the manifest root (the --path folder inside the repository),
 * with forward slashes. To keep polls cheap the reader skips what the caller already knows:
 * a folder whose tree id is known comes without `files`; a file whose blob id is known comes
 * without `content`.
 */
export interface SnapshotFile {
  /** Path relative to the manifest root, e.g. `shop/web.yaml`. */
  readonly path: string;
  /** Git blob id. */
  readonly oid: string;
  readonly mode: 'file' | 'executable' | 'symlink' | 'submodule';
  /** Raw bytes; absent when the caller said the blob is known, the entry is not a regular file, or it is `tooLarge`. */
  readonly content?: Uint8Array;
  /** Set instead of `content` when the blob is larger than the source reads: its size (from its header) and the limit. */
  readonly tooLarge?: { readonly size: number; readonly limit: number };
}

export interface SnapshotFolder {
  /** Folder name directly under the manifest root (= the namespace name). */
  readonly name: string;
  /** Git tree id of the folder. */
  readonly treeId: string;
  /** Every entry below the folder, recursively; absent when the caller said the tree is known. */
  readonly files?: readonly SnapshotFile[];
}

export interface Snapshot {
  readonly commit: string;
  /** The manifest root inside the repository ('' = repository root). */
  readonly root: string;
  /** Tree id of the manifest root: equal ids mean nothing below it changed. */
  readonly rootTreeId: string;
  readonly folders: readonly SnapshotFolder[];
  /** Entries directly under the root that are not folders (they belong to no namespace). */
  readonly rootFiles: readonly SnapshotFile[];
}

export interface CommitInfo {
  readonly oid: string;
  readonly message: string;
  readonly author: string;
  /** Commit time, ISO 8601. */
  readonly time: string;
}

import type { SnapshotFile } from '../source/index.js';
import type { FileResult } from './file-result.js';
import type { ParseLimits } from './parse.js';
import type { ManifestSet, NamespaceManifests } from './types.js';

/**
 * Keeps parse and validation results between loads so a poll costs O(changed files).
 *
 *  - Files by blob id. A file's result depends only on its bytes (see file-result.ts), so the
 *    key is the oid alone, and the loader adds the path: a file moved or copied between
 *    folders is not parsed again.
 *  - Namespace folders by tree id. Equal tree ids mean equal contents, but a folder's result
 *    also depends on its name (paths, the metadata.namespace check). So a tree entry holds the
 *    folder's listing (relative paths, blob ids, modes of the entries that matter) plus the
 *    finished result per folder name. The same tree under a new name is re-assembled from the
 *    listing and the cached files, without parsing.
 *
 * `hasTree(treeId)` and `hasBlob(oid)` have the shape of the source's `knownTree`/`knownBlob`
 * callbacks (and are bound, so they can be passed as they are): when they answer true the
 * Snapshot omits that folder's files or that file's content, and the loader takes them from
 * here. The invariant making that safe: a tree is stored only after every file it lists, and
 * `retain` keeps the files of every tree it keeps.
 *
 * Memory stays bounded when the caller calls `retain(set)` after adopting each load: everything
 * the latest ManifestSet does not reference is dropped.
 *
 * The results depend on the parse limits; a load with different limits empties the cache.
 */
export interface ManifestCacheStats {
  /** Files parsed and validated since the cache was made (cache misses). */
  readonly parsedFiles: number;
  /** Files taken from the cache instead of being parsed. */
  readonly reusedFiles: number;
  /** Namespace folders whose finished result was taken from the cache. */
  readonly reusedNamespaces: number;
  /** Entries held now. */
  readonly files: number;
  readonly trees: number;
}

/** One entry of a folder listing, relative to the folder (`web.yaml`, `sub/x.yaml`). */
export interface FolderEntry {
  readonly path: string;
  readonly oid: string;
  readonly mode: SnapshotFile['mode'];
}

interface TreeEntry {
  readonly entries: readonly FolderEntry[];
  readonly results: Map<string, NamespaceManifests>;
}

export class ManifestCache {
  private readonly files = new Map<string, FileResult>();
  private readonly trees = new Map<string, TreeEntry>();
  /** Blobs parsed ahead of the load that has not looked them up yet (`fileAhead`). */
  private readonly ahead = new Set<string>();
  private limitsKey: string | undefined;
  private parsed = 0;
  private reusedFiles = 0;
  private reusedNamespaces = 0;

  /** True when the folder with this tree id can be loaded without its files. */
  readonly hasTree = (treeId: string): boolean => this.trees.has(treeId);

  /** True when the file with this blob id can be loaded without its content. */
  readonly hasBlob = (oid: string): boolean => this.files.has(oid);

  get stats(): ManifestCacheStats {
    return {
      parsedFiles: this.parsed,
      reusedFiles: this.reusedFiles,
      reusedNamespaces: this.reusedNamespaces,
      files: this.files.size,
      trees: this.trees.size,
    };
  }

  /** Drops everything `set` does not reference. Call it after adopting a load. */
  retain(set: ManifestSet): void {
    const keepTrees = new Map<string, Set<string>>();
    for (const ns of set.namespaces) {
      const names = keepTrees.get(ns.treeId) ?? new Set<string>();
      names.add(ns.name);
      keepTrees.set(ns.treeId, names);
    }
    const keepFiles = new Set<string>();
    for (const [treeId, entry] of this.trees) {
      const names = keepTrees.get(treeId);
      if (!names) {
        this.trees.delete(treeId);
        continue;
      }
      for (const name of [...entry.results.keys()]) if (!names.has(name)) entry.results.delete(name);
      for (const e of entry.entries) keepFiles.add(e.oid);
    }
    for (const oid of [...this.files.keys()]) if (!keepFiles.has(oid)) this.files.delete(oid);
    this.ahead.clear();
  }

  // ---- for the loader (load.ts) ----

  /** @internal Empties the cache when the limits differ from those its results were made with. */
  useLimits(limits: ParseLimits): void {
    const key = `${limits.maxFileBytes}/${limits.maxAliasCount}/${limits.maxDepth}`;
    if (this.limitsKey !== undefined && this.limitsKey !== key) {
      this.files.clear();
      this.trees.clear();
      this.ahead.clear();
    }
    this.limitsKey = key;
  }

  /** @internal The cached result of a blob, or the result of `read()` (counted as a parse) stored under it. */
  file(oid: string, read: (() => FileResult) | undefined): FileResult | undefined {
    const hit = this.files.get(oid);
    if (hit) {
      if (!this.ahead.delete(oid)) this.reusedFiles++; // a blob parsed ahead is used for the first time, not reused
      return hit;
    }
    if (!read) return undefined;
    const result = read();
    this.parsed++;
    this.files.set(oid, result);
    return result;
  }

  /** @internal Parses a blob as its bytes are read, before the load (`parseAsRead`); a blob held already is not parsed again. */
  fileAhead(oid: string, read: () => FileResult): void {
    if (this.files.has(oid)) return;
    this.files.set(oid, read());
    this.parsed++;
    this.ahead.add(oid);
  }

  /** @internal The listing of a tree stored by an earlier load. */
  listing(treeId: string): readonly FolderEntry[] | undefined {
    return this.trees.get(treeId)?.entries;
  }

  /** @internal The finished result for folder `name` with this tree id. */
  namespace(name: string, treeId: string): NamespaceManifests | undefined {
    const hit = this.trees.get(treeId)?.results.get(name);
    if (hit) this.reusedNamespaces++;
    return hit;
  }

  /** @internal Stores a finished folder result (and the tree's listing, the first time). */
  storeNamespace(result: NamespaceManifests, entries: readonly FolderEntry[]): void {
    let tree = this.trees.get(result.treeId);
    if (!tree) {
      tree = { entries, results: new Map() };
      this.trees.set(result.treeId, tree);
    }
    tree.results.set(result.name, result);
  }
}

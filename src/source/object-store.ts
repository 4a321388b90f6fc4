import fs from 'node:fs';
import git, { type FsClient } from 'isomorphic-git';
import { BerthError } from '../core/index.js';
import { ObjectFs } from './object-fs.js';
import { ObjectSizer } from './object-header.js';
import type { CommitInfo } from './snapshot.js';
import { useNativeInflate } from './native-inflate.js';

useNativeInflate();

/**
 * The one place berth reads git objects, and the anti-corruption layer over isomorphic-git:
 * callers see `TreeEntry`/`StoredCommit`, never isomorphic-git's types or errors.
 *
 * Every call passes the same isomorphic-git `cache` object: it holds the parsed packfile
 * indexes and packfile bytes. Without it each object read re-parses the pack index
 * (ENVIRONMENT.md: reading 10k blobs took 110 s without, 2-4 s with).
 * The cache can be replaced (`resetCache`) when packfiles disappear from under it
 * (a `git gc` in a local repository), so it does not pin deleted packs in memory forever.
 *
 * Objects are read through an ObjectFs that caches folder listings (see object-fs.ts). A read
 * that fails is retried once with fresh listings: the object may have arrived, or its pack
 * may have been rewritten, since the listings were taken. Refs are always read from disk.
 *
 * Sizes are checked before anything is inflated (object-header.ts reads them from the loose
 * object's header or the pack entry's, delta chains included): a blob over `maxBlobBytes` is
 * answered `tooLarge` (the manifests module reports FILE_TOO_LARGE for that file), a tree or
 * commit over `maxObjectBytes` is refused. A 1 GiB blob of zeros costs a few header bytes.
 */

/** `tree` for sub-trees; the others are the Snapshot modes of leaf entries. */
export type TreeEntryKind = 'tree' | 'file' | 'executable' | 'symlink' | 'submodule';

export interface TreeEntry {
  /** The entry's name inside its tree (no slashes). */
  readonly name: string;
  readonly oid: string;
  readonly kind: TreeEntryKind;
}

export interface StoredCommit {
  /** The commit's oid (annotated tags already peeled). */
  readonly oid: string;
  /** Its root tree. */
  readonly tree: string;
  /** Its parents, first parent first (none for a root commit). */
  readonly parents: readonly string[];
  readonly info: CommitInfo;
}

/** Sizes above which objects are not read (see `ObjectStore`). */
export interface ObjectLimits {
  /** A blob (a manifest file) larger than this comes back as `tooLarge`, unread. Default 1 MiB (the manifest file limit). */
  readonly maxBlobBytes?: number;
  /** A tree or commit larger than this is refused (SOURCE_OBJECT_TOO_LARGE). Default 16 MiB. */
  readonly maxObjectBytes?: number;
}

export const DEFAULT_MAX_BLOB_BYTES = 1024 * 1024;
export const DEFAULT_MAX_OBJECT_BYTES = 16 * 1024 * 1024;

/** A blob's bytes, or why they were not read: its size (from its header) is over the limit. */
export type BlobRead = { readonly content: Uint8Array } | { readonly tooLarge: { readonly size: number; readonly limit: number } };

/** The well-known id of the empty tree; every git knows it without storing it. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export class ObjectStore {
  private cache: object = {};
  private readonly objectFs: ObjectFs;
  private readonly sizer: ObjectSizer;
  private readonly maxBlobBytes: number;
  private readonly maxObjectBytes: number;

  constructor(
    readonly gitdir: string,
    limits: ObjectLimits = {},
  ) {
    this.objectFs = new ObjectFs(gitdir);
    this.sizer = new ObjectSizer(gitdir);
    this.maxBlobBytes = limits.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
    this.maxObjectBytes = limits.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  }

  /** Forget cached folder listings: objects were added (fetch, commit) or repacked. */
  refresh(): void {
    this.objectFs.invalidate();
    this.sizer.invalidate();
  }

  /** The isomorphic-git cache object, for isomorphic-git calls made elsewhere in source/ (fetch). */
  cacheObject(): object {
    return this.cache;
  }

  /** Drop everything cached about packfiles (call when packs were removed or rewritten). */
  resetCache(): void {
    this.cache = {};
  }

  /** The commit `oid` points at (peeling annotated tags); undefined when the object is absent. */
  async readCommit(oid: string): Promise<StoredCommit | undefined> {
    await this.refuseLarge(oid, this.maxObjectBytes);
    try {
      const { oid: commitOid, commit } = await this.withRetry((objectFs) => git.readCommit({ fs: objectFs, gitdir: this.gitdir, oid, cache: this.cache }));
      const { committer, author } = commit;
      return {
        oid: commitOid,
        tree: commit.tree,
        parents: commit.parent,
        info: {
          oid: commitOid,
          message: commit.message.replace(/\s+$/, ''),
          author: `${author.name} <${author.email}>`,
          time: new Date(committer.timestamp * 1000).toISOString(),
        },
      };
    } catch (err) {
      if (isGitError(err, 'NotFoundError')) return undefined;
      if (isGitError(err, 'ObjectTypeError')) {
        throw new BerthError('SOURCE_REF_NOT_FOUND', `${oid} names a git object that is not a commit`, { cause: err });
      }
      throw this.unreadable(oid, err);
    }
  }

  async readTree(oid: string): Promise<TreeEntry[]> {
    if (oid === EMPTY_TREE) return [];
    await this.refuseLarge(oid, this.maxObjectBytes);
    try {
      const { tree } = await this.withRetry((objectFs) => git.readTree({ fs: objectFs, gitdir: this.gitdir, oid, cache: this.cache }));
      return tree.map((e) => ({ name: e.path, oid: e.oid, kind: kindOf(e.mode, e.type) }));
    } catch (err) {
      throw this.unreadable(oid, err);
    }
  }

  async readBlob(oid: string): Promise<BlobRead> {
    const size = await this.costOf(oid);
    if (size !== undefined && size > this.maxBlobBytes) return { tooLarge: { size, limit: this.maxBlobBytes } };
    try {
      const { blob } = await this.withRetry((objectFs) => git.readBlob({ fs: objectFs, gitdir: this.gitdir, oid, cache: this.cache }));
      // The header could not say (an object the sizer did not find in the listings it took): the
      // verdict on the blob stays the same, only its cost was paid (the fetch bounds that).
      if (blob.length > this.maxBlobBytes) return { tooLarge: { size: blob.length, limit: this.maxBlobBytes } };
      return { content: blob };
    } catch (err) {
      throw this.unreadable(oid, err);
    }
  }

  /** What reading `oid` would inflate at most (its delta chain included); undefined when not known here. */
  private async costOf(oid: string): Promise<number | undefined> {
    try {
      let found = await this.sizer.sizeOf(oid);
      if (!found) {
        // The object may have arrived (or its pack been rewritten) since the listings were taken.
        this.sizer.invalidate();
        found = await this.sizer.sizeOf(oid);
      }
      return found?.cost;
    } catch {
      return undefined; // a damaged header: the read itself reports it
    }
  }

  private async refuseLarge(oid: string, limit: number): Promise<void> {
    const size = await this.costOf(oid);
    if (size !== undefined && size > limit) {
      throw new BerthError(
        'SOURCE_OBJECT_TOO_LARGE',
        `git object ${oid} in ${this.gitdir} is ${size} bytes (its delta chain included); berth reads trees and commits up to ${limit} bytes`,
        {
          details: { gitdir: this.gitdir, oid, size, limit },
        },
      );
    }
  }

  /**
   * An object a present commit needs could not be read: a repository being repacked under us,
   * or a damaged one. Transient: the next pass retries (a repack finishes; a fetch can repair).
   */
  private unreadable(oid: string, err: unknown): BerthError {
    const why = err instanceof Error ? err.message : String(err);
    return new BerthError('SOURCE_UNREACHABLE', `cannot read git object ${oid} in ${this.gitdir}: ${why}`, {
      cause: err,
      details: { gitdir: this.gitdir, oid },
    });
  }

  /** The oid a ref name resolves to (HEAD, branch, tag, remote-tracking ref); undefined when none. */
  async resolveRefName(ref: string): Promise<string | undefined> {
    try {
      return await git.resolveRef({ fs, gitdir: this.gitdir, ref });
    } catch (err) {
      if (isGitError(err, 'NotFoundError')) return undefined;
      throw err;
    }
  }

  /** The full oid of the only object whose id starts with `prefix`; undefined when none. */
  async expandOid(prefix: string): Promise<string | undefined> {
    try {
      this.refresh(); // an abbreviation must be matched against every object present now
      return await git.expandOid({ fs: this.objectFs.client as unknown as FsClient, gitdir: this.gitdir, oid: prefix, cache: this.cache });
    } catch (err) {
      if (isGitError(err, 'NotFoundError')) return undefined;
      if (isGitError(err, 'AmbiguousError')) {
        throw new BerthError('SOURCE_REF_NOT_FOUND', `the abbreviated commit "${prefix}" is ambiguous; give more characters`, {
          cause: err,
        });
      }
      throw this.unreadable(prefix, err);
    }
  }

  private async withRetry<T>(read: (objectFs: FsClient) => Promise<T>): Promise<T> {
    const objectFs = this.objectFs.client as unknown as FsClient;
    try {
      return await read(objectFs);
    } catch (err) {
      if (isGitError(err, 'ObjectTypeError') || isGitError(err, 'AmbiguousError')) throw err;
      this.objectFs.invalidate();
      this.sizer.invalidate();
      return read(objectFs);
    }
  }

  async writeRef(ref: string, oid: string): Promise<void> {
    await git.writeRef({ fs, gitdir: this.gitdir, ref, value: oid, force: true });
  }

  /** Names of the packfile indexes present now (to notice a repack). */
  async packIndexes(): Promise<string[]> {
    try {
      const names = await fs.promises.readdir(`${this.gitdir}/objects/pack`);
      return names.filter((n) => n.endsWith('.idx')).sort();
    } catch {
      return [];
    }
  }
}

function kindOf(mode: string, type: string): TreeEntryKind {
  if (type === 'tree') return 'tree';
  if (type === 'commit' || mode === '160000') return 'submodule';
  if (mode === '120000') return 'symlink';
  if (mode === '100755') return 'executable';
  return 'file';
}

/** isomorphic-git errors carry their class name in `code`. */
export function isGitError(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

import { silentLogger, type Clock, type Logger } from '../core/index.js';
import { locateRepository } from './repository-location.js';
import { normalizeManifestPath } from './manifest-root.js';
import { checkRefName } from './ref-name.js';
import { LocalGitSource } from './local-source.js';
import { RemoteGitSource } from './remote-source.js';
import { RemoteMirror } from './remote-mirror.js';
import type { CommitInfo, Snapshot } from './snapshot.js';
import type { ObjectLimits } from './object-store.js';

/** The Git side of berth: resolve refs to commits and read manifest trees at a commit. */
export interface GitSource {
  /** For logs, e.g. `https://host/x.git@main:sample-repo` (never with credentials). */
  readonly description: string;
  /** Fetch (remote only) then resolve the configured ref to a commit. */
  resolve(): Promise<CommitInfo>;
  /** Resolve any ref (branch, tag, full or abbreviated (>=4 hex) commit sha, HEAD) to a commit, fetching first for remotes if needed. */
  resolveRef(ref: string): Promise<CommitInfo>;
  /**
   * The commit the configured ref names now, as cheaply as the repository allows: a local
   * repository reads its refs; a remote is asked for its ref advertisement (one GET) and no
   * objects are fetched, so a reader beside the running berth (`berth rollout status`) never
   * writes to a mirror. SOURCE_REF_NOT_FOUND when the ref does not exist.
   */
  peekHead(): Promise<string>;
  /**
   * Whether `ancestor` is `commit` or in its history (`git merge-base --is-ancestor`): a later
   * commit that includes it supersedes it (`berth rollout status --commit`). Reads what the
   * repository holds (a remote: resolve `commit` first); a commit not held is not included.
   */
  includes(commit: string, ancestor: string): Promise<boolean>;
  /** The manifest tree at a commit; skips subtrees/blobs the caller knows. */
  snapshot(args: SnapshotArgs): Promise<Snapshot>;
  /** Paths (relative to the manifest root) whose blob or mode differ between two commits, found by comparing tree ids (unchanged subtrees are not descended). */
  changedPaths(from: string, to: string): Promise<string[]>;
}

export interface SnapshotArgs {
  /** A commit id as returned by resolve()/resolveRef() (any ref is accepted and resolved first). */
  readonly commit: string;
  /** True for a folder tree id the caller already holds: that folder comes without `files`. */
  readonly knownTree?: (treeId: string) => boolean;
  /** True for a blob id the caller already holds: that file comes without `content`. */
  readonly knownBlob?: (oid: string) => boolean;
  /**
   * Offered each blob read (path relative to the manifest root) as soon as its bytes arrive.
   * True means the caller took what it needs from them: that file then comes without `content`,
   * as a known blob does, and the bytes are not kept until the snapshot is done. At 10,000 files
   * keeping every blob until the load is what set the cold peak (BENCHMARKS.md).
   */
  readonly consume?: (path: string, oid: string, content: Uint8Array) => boolean;
}

export interface GitSourceOptions {
  /** An http(s) URL, or the top-level folder of a local repository (work tree or bare). */
  readonly repo: string;
  /** Branch, tag or commit. Default: a local repository's HEAD; a remote's default branch (its HEAD), else `main`. */
  readonly ref?: string;
  /** The manifest root inside the repository. Default: the repository root. */
  readonly path?: string;
  /** Where remote mirrors are kept (one bare repository per URL). Unused for local repositories. */
  readonly cacheDir: string;
  /** HTTP basic credentials for a remote; username defaults to `x-access-token`. */
  readonly auth?: { readonly username?: string; readonly token: string };
  readonly logger?: Logger;
  /** Times fetches for the debug log (their `ms`); without one no duration is logged. */
  readonly clock?: Clock;
  /** Socket idle timeout of each HTTP request to a remote, ms. Default 60 000. */
  readonly httpTimeoutMs?: number;
  /** How many git objects are read at once. Default 16. */
  readonly concurrency?: number;
  /** Object size limits (object-store.ts); sizes are read from object headers, never by inflating. */
  readonly limits?: ObjectLimits;
  /**
   * A fetched pack holding an object that inflates beyond this is refused before it is indexed
   * (indexing inflates every object whole). Default 100 MiB, GitHub's own file size limit.
   */
  readonly maxFetchObjectBytes?: number;
}

/**
 * Open a source. Checks the location (SOURCE_NOT_A_REPOSITORY for a local path that is not a
 * repository root), the ref's syntax and the path (USAGE), and prepares a remote's mirror
 * directory; it does not contact the remote (resolve() does).
 */
export async function openGitSource(options: GitSourceOptions): Promise<GitSource> {
  const location = await locateRepository(options.repo);
  const manifestPath = normalizeManifestPath(options.path);
  if (options.ref !== undefined) checkRefName(options.ref);
  const logger = (options.logger ?? silentLogger).child({ component: 'source' });
  const concurrency = options.concurrency ?? 16;
  const suffix = `@${options.ref ?? 'HEAD'}${manifestPath ? `:${manifestPath}` : ''}`;

  if (location.kind === 'local') {
    return new LocalGitSource({
      description: `${location.displayPath}${suffix}`,
      gitdir: location.gitdir,
      ref: options.ref,
      manifestPath,
      concurrency,
      ...(options.limits ? { limits: options.limits } : {}),
    });
  }
  const mirror = await RemoteMirror.open({
    url: location.url,
    displayUrl: location.displayUrl,
    cacheDir: options.cacheDir,
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.httpTimeoutMs !== undefined ? { httpTimeoutMs: options.httpTimeoutMs } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.maxFetchObjectBytes !== undefined ? { maxFetchObjectBytes: options.maxFetchObjectBytes } : {}),
    logger,
  });
  return new RemoteGitSource({
    description: `${location.displayUrl}${suffix}`,
    mirror,
    ref: options.ref,
    manifestPath,
    concurrency,
  });
}

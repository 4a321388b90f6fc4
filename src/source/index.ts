/**
 * source: everything berth knows about Git. It resolves a ref to a commit and reads the
 * manifest tree *at that commit* into a Snapshot; it lists the paths that changed between two
 * commits by comparing tree ids. Downstream modules consume Snapshots and never talk to Git.
 *
 * Invariants:
 *  - Only committed objects count. A local repository is read from its git directory (never
 *    its work tree or index); a remote is fetched into a bare mirror under the cache directory
 *    and never checked out.
 *  - A resolve always reflects the repository now: local refs are re-read, remote refs are
 *    fetched and follow force-pushes.
 *  - Reads are by object id through one shared isomorphic-git cache per source, and skip what
 *    the caller already knows (tree ids, blob ids): a poll with no change reads the root trees only.
 *  - Symlinks and submodules are reported, never followed or read.
 *  - Failures are BerthErrors: SOURCE_UNREACHABLE (network, HTTP, auth), SOURCE_REF_NOT_FOUND,
 *    SOURCE_PATH_NOT_FOUND, SOURCE_NOT_A_REPOSITORY, USAGE (malformed ref or path).
 *  - isomorphic-git types and errors do not leave this folder; native git is never run.
 */
export type { CommitInfo, Snapshot, SnapshotFile, SnapshotFolder } from './snapshot.js';
export { openGitSource } from './git-source.js';
export type { GitSource, GitSourceOptions, SnapshotArgs } from './git-source.js';
export { parseRevision } from './revision.js';
export { commitSummary, type CommitSummary, SUBJECT_MAX } from './commit-summary.js';

import { CommitReader } from './commit-reader.js';
import type { GitSource, SnapshotArgs } from './git-source.js';
import type { ObjectStore, StoredCommit } from './object-store.js';
import { checkRefName } from './ref-name.js';
import type { CommitInfo, Snapshot } from './snapshot.js';

/**
 * What every Git source shares: a configured ref (default HEAD), refs checked before use,
 * snapshots and changed paths read from an ObjectStore. A source differs only in how a ref
 * becomes a commit (`lookup`) and in what it refreshes before resolving (`beforeResolve`).
 */
export abstract class CommitSource implements GitSource {
  readonly description: string;
  private readonly reader: CommitReader;
  private readonly ref: string | undefined;

  protected constructor(args: { description: string; store: ObjectStore; ref: string | undefined; manifestPath: string; concurrency: number }) {
    this.description = args.description;
    this.ref = args.ref;
    this.reader = new CommitReader({
      store: args.store,
      manifestPath: args.manifestPath,
      concurrency: args.concurrency,
      commitAt: (ref) => this.lookup(ref),
    });
  }

  resolve(): Promise<CommitInfo> {
    return this.resolveRef(this.ref ?? 'HEAD');
  }

  async peekHead(): Promise<string> {
    return (await this.resolve()).oid;
  }

  /** The configured ref (HEAD when none was given). */
  protected get configuredRef(): string {
    return this.ref ?? 'HEAD';
  }

  async resolveRef(ref: string): Promise<CommitInfo> {
    checkRefName(ref);
    await this.beforeResolve();
    return (await this.lookup(ref)).info;
  }

  snapshot(args: SnapshotArgs): Promise<Snapshot> {
    return this.reader.snapshot(args);
  }

  changedPaths(from: string, to: string): Promise<string[]> {
    return this.reader.changedPaths(from, to);
  }

  /** Called before every resolve; a local repository re-reads what the user may have changed. */
  protected async beforeResolve(): Promise<void> {}

  /** The commit `ref` names now; SOURCE_REF_NOT_FOUND when there is none. */
  protected abstract lookup(ref: string): Promise<StoredCommit>;
}

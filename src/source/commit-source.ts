import { CommitReader } from './commit-reader.js';
import type { GitSource, SnapshotArgs } from './git-source.js';
import type { ObjectStore, StoredCommit } from './object-store.js';
import { BerthError } from '../core/index.js';
import { checkRefName } from './ref-name.js';
import { formatRevision, type RevisionStep } from './revision.js';
import type { CommitInfo, Snapshot } from './snapshot.js';

/** How far a commit's time may run ahead of its child's (skewed clocks) while its history is walked. */
const CLOCK_SKEW_MS = 86_400_000;

/**
 * What every Git source shares: a configured ref (default HEAD), refs checked before use,
 * snapshots and changed paths read from an ObjectStore. A source differs only in how a ref
 * becomes a commit (`lookup`) and in what it refreshes before resolving (`beforeResolve`).
 */
export abstract class CommitSource implements GitSource {
  readonly description: string;
  private readonly reader: CommitReader;
  private readonly ref: string | undefined;
  private readonly objects: ObjectStore;

  protected constructor(args: { description: string; store: ObjectStore; ref: string | undefined; manifestPath: string; concurrency: number }) {
    this.description = args.description;
    this.ref = args.ref;
    this.objects = args.store;
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
    const revision = checkRefName(ref);
    await this.beforeResolve();
    let commit = await this.lookup(revision.base);
    const walked: RevisionStep[] = [];
    for (const step of revision.steps) {
      for (let i = 0; i < (step.op === '~' ? step.n : Math.min(step.n, 1)); i++) {
        const parent = step.op === '~' ? commit.parents[0] : commit.parents[step.n - 1];
        if (parent === undefined) {
          const at = formatRevision(revision.base, walked);
          const why =
            step.op === '~'
              ? `${at}~${step.n} goes past the first commit of its history (${at} has ${i} ancestor${i === 1 ? '' : 's'} along first parents)`
              : `${at} (${commit.oid.slice(0, 12)}) has ${commit.parents.length} parent${commit.parents.length === 1 ? '' : 's'}, so ^${step.n} names none`;
          throw new BerthError('SOURCE_REF_NOT_FOUND', `"${ref}" names no commit in ${this.description}: ${why}`, { details: { ref } });
        }
        commit = await this.commitAt(parent, ref);
      }
      walked.push(step);
    }
    return commit.info;
  }

  /** A parent named by its id (present: a commit's history comes with it). */
  private async commitAt(oid: string, ref: string): Promise<StoredCommit> {
    const commit = await this.objects.readCommit(oid);
    if (!commit)
      throw new BerthError('SOURCE_REF_NOT_FOUND', `"${ref}": commit ${oid} is not in ${this.description} (a shallow history?)`, { details: { ref } });
    return commit;
  }

  /**
   * Walks `commit`'s history, every parent, until `ancestor` is found, or the history runs out
   * (a shallow one ends where it was cut). A commit older than `ancestor` (a day's leeway for
   * skewed clocks) is not walked past: its own history is older still.
   */
  async includes(commit: string, ancestor: string): Promise<boolean> {
    if (commit === ancestor) return true;
    const target = await this.objects.readCommit(ancestor);
    const start = await this.objects.readCommit(commit);
    if (!target || !start) return false;
    const oldest = Date.parse(target.info.time) - CLOCK_SKEW_MS;
    const seen = new Set<string>([start.oid]);
    const queue: StoredCommit[] = [start];
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      for (const oid of next.parents) {
        if (oid === target.oid) return true;
        if (seen.has(oid)) continue;
        seen.add(oid);
        const parent = await this.objects.readCommit(oid);
        if (parent && !(Date.parse(parent.info.time) < oldest)) queue.push(parent);
      }
    }
    return false;
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

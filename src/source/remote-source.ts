import { BerthError, isBerthError } from '../core/index.js';
import { CommitSource } from './commit-source.js';
import type { StoredCommit } from './object-store.js';
import { isAbbreviatedOid, isExpression, isFullOid } from './ref-name.js';
import type { RemoteMirror } from './remote-mirror.js';

/**
 * A repository reached over smart HTTP, read from a local bare mirror.
 *  - A ref name (branch, tag, HEAD) is fetched every time it is resolved: the answer is what
 *    the server says now, even when a branch was force-pushed to older history.
 *  - A full commit id present in the mirror needs no network (objects are immutable); a
 *    missing one, or an abbreviated id no ref name matches, fetches every branch and tag first.
 *  - Without a configured ref the remote's HEAD (its default branch) is used. A remote whose
 *    HEAD names a missing branch cannot be fetched at all by isomorphic-git (whatever ref is
 *    asked for): that is reported as such, so a fallback to `main` would never get the chance.
 */
export class RemoteGitSource extends CommitSource {
  private readonly mirror: RemoteMirror;

  constructor(args: { description: string; mirror: RemoteMirror; ref: string | undefined; manifestPath: string; concurrency: number }) {
    super({ ...args, store: args.mirror.store });
    this.mirror = args.mirror;
  }

  override async peekHead(): Promise<string> {
    const ref = this.configuredRef;
    if (isFullOid(ref)) return ref.toLowerCase();
    if (isAbbreviatedOid(ref) || isExpression(ref)) return super.peekHead(); // only a fetch can expand it or walk its history
    return this.mirror.advertisedCommit(ref);
  }

  protected async lookup(ref: string): Promise<StoredCommit> {
    const store = this.mirror.store;
    if (isFullOid(ref)) {
      const oid = ref.toLowerCase();
      let commit = await store.readCommit(oid);
      if (!commit) {
        await this.mirror.fetchAll();
        commit = await store.readCommit(oid);
      }
      if (!commit) throw this.notFound(ref);
      return commit;
    }
    try {
      const { oid } = await this.mirror.fetchRef(ref);
      return await this.readFetched(oid, ref);
    } catch (err) {
      if (!(isAbbreviatedOid(ref) && isRefNotFound(err))) throw err;
    }
    const prefix = ref.toLowerCase();
    let oid = await store.expandOid(prefix);
    if (oid === undefined) {
      await this.mirror.fetchAll();
      oid = await store.expandOid(prefix);
    }
    const commit = oid === undefined ? undefined : await store.readCommit(oid);
    if (!commit) throw this.notFound(ref);
    return commit;
  }

  private async readFetched(oid: string, ref: string): Promise<StoredCommit> {
    const commit = await this.mirror.store.readCommit(oid);
    if (!commit) throw this.notFound(ref);
    return commit;
  }

  private notFound(ref: string): BerthError {
    return new BerthError('SOURCE_REF_NOT_FOUND', `ref "${ref}" does not exist in ${this.description}`, { details: { ref } });
  }
}

function isRefNotFound(err: unknown): boolean {
  return isBerthError(err) && err.code === 'SOURCE_REF_NOT_FOUND';
}

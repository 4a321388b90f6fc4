import fs from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import git from 'isomorphic-git';
import type nodeHttp from 'isomorphic-git/http/node';
import { BerthError, type Clock, type Logger } from '../core/index.js';
import { fetchPackApart } from './fetch-apart.js';
import { ObjectStore, type ObjectLimits } from './object-store.js';
import { fetchPack, httpWithTimeout, type PackFetchRequest, tokenAuth } from './pack-fetch.js';
import { remoteError } from './remote-errors.js';

/**
 * A bare mirror of a remote repository under the cache directory, kept current by fetches
 * over smart HTTP. Never checked out. Remote branches land in `refs/remotes/origin/*`; the
 * commit fetched last is kept in `refs/berth/last` so the next fetch of any ref can tell the
 * server what we already have.
 *
 * Invariants:
 *  - one fetch at a time per mirror (fetches are queued);
 *  - a fetch always moves the local ref to what the server says, fast-forward or not
 *    (a force-pushed branch is followed);
 *  - history is fetched in full (no depth): rollback and changed-path detection need it;
 *  - the first fetch, which brings that whole history, runs in a process of its own
 *    (fetch-apart.ts), so what indexing it leaves in the malloc heap does not stay in berth's;
 *  - credentials never reach the disk (the configured remote URL has them stripped) nor messages.
 */
export interface RemoteMirrorOptions {
  readonly url: string;
  readonly displayUrl: string;
  readonly cacheDir: string;
  readonly auth?: { readonly username?: string; readonly token: string };
  readonly logger: Logger;
  /** Times fetches for the debug log (`ms`); without one no duration is logged. */
  readonly clock?: Clock;
  /** Socket idle timeout for every HTTP request, ms. Default 60 000. */
  readonly httpTimeoutMs?: number;
  readonly limits?: ObjectLimits;
  /** See GitSourceOptions.maxFetchObjectBytes. Default 100 MiB. */
  readonly maxFetchObjectBytes?: number;
}

export const DEFAULT_MAX_FETCH_OBJECT_BYTES = 100 * 1024 * 1024;
const DEFAULT_HTTP_TIMEOUT_MS = 60_000;

/** What a fetch of one ref produced. */
export interface FetchedRef {
  /** The object the remote ref points at (a commit, or an annotated tag object). */
  readonly oid: string;
}

const REMOTE = 'origin';
const LAST_FETCHED = 'refs/berth/last';

export class RemoteMirror {
  readonly store: ObjectStore;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly http: typeof nodeHttp;

  private constructor(
    private readonly options: RemoteMirrorOptions,
    gitdir: string,
  ) {
    this.store = new ObjectStore(gitdir, options.limits);
    this.http = httpWithTimeout(options.httpTimeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS);
  }

  static async open(options: RemoteMirrorOptions): Promise<RemoteMirror> {
    const gitdir = path.join(options.cacheDir, mirrorDirName(options.displayUrl));
    try {
      await fs.promises.mkdir(gitdir, { recursive: true });
      // Both calls are idempotent: init leaves an existing repository alone, addRemote overwrites.
      await git.init({ fs, gitdir, bare: true, defaultBranch: 'main' });
      await git.addRemote({ fs, gitdir, remote: REMOTE, url: options.displayUrl, force: true });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new BerthError('USAGE', `cannot keep a Git mirror in ${gitdir}: ${why}`, { cause: err, details: { cacheDir: options.cacheDir } });
    }
    return new RemoteMirror(options, gitdir);
  }

  get gitdir(): string {
    return this.store.gitdir;
  }

  /**
   * Fetch one remote ref (branch, tag, HEAD) and what it needs. Throws SOURCE_REF_NOT_FOUND when
   * the server has no such ref, SOURCE_UNREACHABLE when it cannot be reached.
   */
  fetchRef(ref: string): Promise<FetchedRef> {
    return this.exclusive(async () => {
      const elapsed = this.stopwatch();
      // A poll that finds nothing new costs one ref advertisement (a GET) instead of the
      // fetch's GET + POST: the bench's no-change poll dropped from ~300 ms to ~140 ms.
      const unchanged = await this.advertisedAndPresent(ref);
      if (unchanged) {
        this.options.logger.debug({ url: this.options.displayUrl, ref, oid: unchanged, ...elapsed() }, 'ref unchanged');
        return { oid: unchanged };
      }
      const { result, apart } = await this.fetch({ remoteRef: ref, haveHint: await this.haveHint(ref) });
      if (!result.fetchHead) {
        throw new BerthError('SOURCE_REF_NOT_FOUND', `${this.options.displayUrl} is an empty repository (no branches or tags)`, {
          details: { url: this.options.displayUrl, ref },
        });
      }
      await this.store.writeRef(LAST_FETCHED, result.fetchHead);
      this.options.logger.debug(
        {
          url: this.options.displayUrl,
          ref,
          oid: result.fetchHead,
          defaultBranch: result.defaultBranch,
          apart,
          ...('processPeakRssKb' in result ? { fetchProcessPeakRssKb: result.processPeakRssKb } : {}),
          ...elapsed(),
        },
        'fetched ref',
      );
      return { oid: result.fetchHead };
    });
  }

  /**
   * The commit the server advertises for `ref` when the mirror already holds it (nothing to
   * fetch); undefined when anything is new, unknown or the mirror is empty.
   */
  private async advertisedAndPresent(ref: string): Promise<string | undefined> {
    if ((await this.store.resolveRefName(LAST_FETCHED)) === undefined) return undefined;
    let refs: { ref: string; oid: string }[];
    try {
      refs = await git.listServerRefs({ http: this.http, url: this.options.url, onAuth: this.onAuth(), protocolVersion: 1 });
    } catch (err) {
      throw remoteError(err, { displayUrl: this.options.displayUrl, ref, hasToken: Boolean(this.options.auth) });
    }
    const names = ref === 'HEAD' || ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`];
    const found = names.map((n) => refs.find((r) => r.ref === n)).find((r) => r !== undefined);
    if (!found) return undefined;
    return (await this.store.readCommit(found.oid)) ? found.oid : undefined;
  }

  /**
   * The commit the server advertises for `ref` (a branch, tag — peeled — or HEAD), without
   * fetching anything or touching the mirror. SOURCE_REF_NOT_FOUND when the server has no such ref.
   */
  async advertisedCommit(ref: string): Promise<string> {
    let refs: { ref: string; oid: string; peeled?: string }[];
    try {
      refs = await git.listServerRefs({ http: this.http, url: this.options.url, onAuth: this.onAuth(), protocolVersion: 1, peelTags: true });
    } catch (err) {
      throw remoteError(err, { displayUrl: this.options.displayUrl, ref, hasToken: Boolean(this.options.auth) });
    }
    const names = ref === 'HEAD' || ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`];
    const found = names.map((n) => refs.find((r) => r.ref === n)).find((r) => r !== undefined);
    if (!found)
      throw new BerthError('SOURCE_REF_NOT_FOUND', `${this.options.displayUrl} has no ref ${JSON.stringify(ref)}`, {
        details: { url: this.options.displayUrl, ref },
      });
    return found.peeled ?? found.oid;
  }

  /** Fetch every branch and tag (to find a commit named by its id that no fetched ref contained). */
  fetchAll(): Promise<void> {
    return this.exclusive(async () => {
      const elapsed = this.stopwatch();
      let apart = false;
      try {
        const refs = await git.listServerRefs({ http: this.http, url: this.options.url, onAuth: this.onAuth() });
        // isomorphic-git wants one ref it can resolve even when fetching everything; a remote
        // HEAD naming a missing branch would fail, so anchor on a ref the server listed.
        const anchor = refs.find((r) => r.ref === 'HEAD') ?? refs.find((r) => r.ref.startsWith('refs/heads/')) ?? refs[0];
        if (!anchor) return;
        apart = (await this.fetch({ remoteRef: anchor.ref, haveHint: undefined, all: true })).apart;
      } catch (err) {
        throw remoteError(err, { displayUrl: this.options.displayUrl, hasToken: Boolean(this.options.auth) });
      }
      this.options.logger.debug({ url: this.options.displayUrl, apart, ...elapsed() }, 'fetched all refs');
    });
  }

  /**
   * One fetch into the mirror. The first, into a mirror that holds no pack yet (it brings the
   * whole history), runs in a process of its own (fetch-apart.ts); the others in this one.
   */
  private async fetch(what: Pick<PackFetchRequest, 'remoteRef' | 'haveHint' | 'all'>) {
    const request: PackFetchRequest = {
      url: this.options.url,
      displayUrl: this.options.displayUrl,
      gitdir: this.gitdir,
      remote: REMOTE,
      ...what,
      ...(this.options.auth ? { auth: this.options.auth } : {}),
      httpTimeoutMs: this.options.httpTimeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS,
      maxFetchObjectBytes: this.options.maxFetchObjectBytes ?? DEFAULT_MAX_FETCH_OBJECT_BYTES,
    };
    const apart = !(await this.holdsAPack());
    try {
      return { result: apart ? await fetchPackApart(request) : await fetchPack(request, this.store.cacheObject()), apart };
    } finally {
      this.store.refresh();
    }
  }

  /** Whether the mirror holds a pack (every fetch writes one). */
  private async holdsAPack(): Promise<boolean> {
    const names = await fs.promises.readdir(path.join(this.gitdir, 'objects', 'pack')).catch(() => [] as string[]);
    return names.some((n) => n.endsWith('.pack'));
  }

  /** From now: a function giving `{ ms }` since this call for the debug log, or `{}` without a clock. */
  private stopwatch(): () => { ms?: number } {
    const clock = this.options.clock;
    if (!clock) return () => ({});
    const started = clock.now().getTime();
    return () => ({ ms: clock.now().getTime() - started });
  }

  private onAuth() {
    return tokenAuth(this.options.auth);
  }

  /** The best local ref to offer as "have": the ref's own tracking ref, else the last fetched commit. */
  private async haveHint(ref: string): Promise<string | undefined> {
    const branch = ref.replace(/^refs\/heads\//, '');
    const candidates = ref.startsWith('refs/tags/') ? [ref, LAST_FETCHED] : [`refs/remotes/${REMOTE}/${branch}`, `refs/tags/${ref}`, LAST_FETCHED];
    for (const candidate of candidates) {
      if ((await this.store.resolveRefName(candidate)) !== undefined) return candidate;
    }
    return undefined;
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** A readable, collision-free directory name: `<host>-<last path segment>-<sha256(url)[:16]>.git`. */
function mirrorDirName(displayUrl: string): string {
  const hash = createHash('sha256').update(displayUrl).digest('hex').slice(0, 16);
  let slug = 'repo';
  try {
    const u = new URL(displayUrl);
    const last = u.pathname.split('/').filter(Boolean).pop() ?? 'repo';
    slug = `${u.hostname}-${last.replace(/\.git$/, '')}`;
  } catch {
    // keep the generic slug
  }
  return `${slug.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60)}-${hash}.git`;
}

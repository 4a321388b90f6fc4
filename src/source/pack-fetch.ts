import fs from 'node:fs';
import git from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import { BerthError } from '../core/index.js';
import { firstOversizedPackEntry } from './object-header.js';
import { remoteError } from './remote-errors.js';

/** One fetch of a remote ref into a bare mirror: everything it needs, plain data (it crosses a process boundary). */
export interface PackFetchRequest {
  readonly url: string;
  readonly displayUrl: string;
  readonly gitdir: string;
  /** The remote's name in the mirror's config. */
  readonly remote: string;
  /** The ref fetched; with `all`, the one isomorphic-git anchors on while it fetches every branch and tag. */
  readonly remoteRef: string;
  /** Every branch and tag, not only `remoteRef`. */
  readonly all?: boolean;
  /** A local ref whose commit is offered to the server as "have", if any. */
  readonly haveHint: string | undefined;
  readonly auth?: { readonly username?: string; readonly token: string };
  /** Socket idle timeout of each HTTP request, ms. */
  readonly httpTimeoutMs: number;
  /** A pack holding an object that inflates beyond this is refused before it is written. */
  readonly maxFetchObjectBytes: number;
}

export interface PackFetchResult {
  /** The commit (or tag object) fetched; null for an empty repository. */
  readonly fetchHead: string | null;
  readonly defaultBranch: string | null;
}

/** isomorphic-git's HTTP client with a socket idle timeout: a server that stops answering fails the request instead of hanging it. */
export function httpWithTimeout(timeoutMs: number): typeof nodeHttp {
  return { request: (req) => nodeHttp.request({ ...req, fetchOptions: { ...req.fetchOptions, timeout: timeoutMs } }) };
}

/** isomorphic-git's onAuth for a token (GitHub and Gitea accept any user name with one; x-access-token is GitHub's documented one). */
export function tokenAuth(auth: PackFetchRequest['auth']) {
  if (!auth) return undefined;
  return () => ({ username: auth.username ?? 'x-access-token', password: auth.token });
}

/**
 * Fetches `remoteRef` into the mirror. Every error is a BerthError (remote-errors.ts), with the
 * URL named without credentials. `cache` is isomorphic-git's cache object of the caller's store.
 */
export async function fetchPack(request: PackFetchRequest, cache: object = {}): Promise<PackFetchResult> {
  try {
    const result = await git.fetch({
      fs: checkedFs(request),
      http: httpWithTimeout(request.httpTimeoutMs),
      gitdir: request.gitdir,
      url: request.url,
      cache,
      onAuth: tokenAuth(request.auth),
      remote: request.remote,
      // `ref` is only used by isomorphic-git to find a local commit to offer as "have";
      // `remoteRef` is what is fetched.
      ref: request.haveHint,
      remoteRef: request.remoteRef,
      singleBranch: !request.all,
      tags: Boolean(request.all),
    });
    return { fetchHead: result.fetchHead ?? null, defaultBranch: result.defaultBranch ?? null };
  } catch (err) {
    throw remoteError(err, { displayUrl: request.displayUrl, ...(request.all ? {} : { ref: request.remoteRef }), hasToken: Boolean(request.auth) });
  }
}

/**
 * The file system fetches write through: a received pack is checked before it is written,
 * because isomorphic-git indexes it next by inflating every object whole (a 1 GiB blob of
 * zeros, 1 MB on the wire, cost 4.3 GB: #15). An object whose inflated size (read from its
 * entry header, delta chains included) is over the limit fails the fetch; nothing is written.
 */
function checkedFs(request: Pick<PackFetchRequest, 'displayUrl' | 'maxFetchObjectBytes'>) {
  const limit = request.maxFetchObjectBytes;
  const displayUrl = request.displayUrl;
  const writeFile: typeof fs.promises.writeFile = async (file, data, options) => {
    if (typeof file === 'string' && /[\\/]objects[\\/]pack[\\/]pack-[0-9a-f]+\.pack$/.test(file) && data instanceof Uint8Array) {
      const over = firstOversizedPackEntry(data, limit);
      if (over) {
        throw new BerthError(
          'SOURCE_OBJECT_TOO_LARGE',
          `${displayUrl} sent an object of ${over.size} bytes (inflated, its delta chain included); berth fetches objects up to ${limit} bytes, so the fetch is refused`,
          { details: { url: displayUrl, size: over.size, limit } },
        );
      }
    }
    return fs.promises.writeFile(file, data, options);
  };
  return { promises: { ...fs.promises, writeFile } };
}

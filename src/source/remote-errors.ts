import { BerthError, isBerthError } from '../core/index.js';
import { isGitError } from './object-store.js';

/**
 * Turns whatever a network git operation threw into a BerthError. Messages name the URL
 * without credentials. Authentication failures stay SOURCE_UNREACHABLE (a transient family:
 * a token can be fixed or rotated without a new commit) with `details.reason = 'auth'`.
 */
export function remoteError(err: unknown, args: { displayUrl: string; ref?: string; hasToken: boolean }): BerthError {
  if (isBerthError(err)) return err;
  const { displayUrl } = args;
  if (isGitError(err, 'NotFoundError') && (err as { data?: { what?: unknown } }).data?.what === 'HEAD' && args.ref !== undefined) {
    // isomorphic-git resolves the remote's HEAD on every fetch, whatever ref was asked for.
    return new BerthError(
      'SOURCE_REF_NOT_FOUND',
      `${displayUrl} has no default branch: its HEAD names a branch that does not exist, and berth's Git client cannot fetch from such a repository; create that branch or change the repository's default branch`,
      { cause: err, details: { url: displayUrl, ref: args.ref } },
    );
  }
  if (isGitError(err, 'NotFoundError') && args.ref !== undefined) {
    return new BerthError('SOURCE_REF_NOT_FOUND', `ref "${args.ref}" does not exist in ${displayUrl}`, {
      cause: err,
      details: { url: displayUrl, ref: args.ref },
    });
  }
  if (isGitError(err, 'HttpError')) {
    const data = (err as { data?: { statusCode?: number; statusMessage?: string } }).data ?? {};
    const status = data.statusCode ?? 0;
    if (status === 401 || status === 403) {
      const why = args.hasToken
        ? 'the server refused the configured token (check BERTH_GIT_TOKEN and its scopes)'
        : 'the server requires authentication and no token is configured (set BERTH_GIT_TOKEN)';
      return new BerthError('SOURCE_UNREACHABLE', `cannot fetch ${displayUrl}: HTTP ${status}: ${why}`, {
        cause: err,
        details: { url: displayUrl, status, reason: 'auth' },
      });
    }
    return new BerthError('SOURCE_UNREACHABLE', `cannot fetch ${displayUrl}: HTTP ${status} ${data.statusMessage ?? ''}`.trim(), {
      cause: err,
      details: { url: displayUrl, status },
    });
  }
  if (isGitError(err, 'UserCanceledError')) {
    return new BerthError('SOURCE_UNREACHABLE', `cannot fetch ${displayUrl}: authentication failed`, {
      cause: err,
      details: { url: displayUrl, reason: 'auth' },
    });
  }
  if (isGitError(err, 'SmartHttpError')) {
    return new BerthError('SOURCE_UNREACHABLE', `${displayUrl} did not answer as a Git smart-HTTP server (is the URL right?)`, {
      cause: err,
      details: { url: displayUrl },
    });
  }
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const message = err instanceof Error ? err.message : String(err);
  return new BerthError('SOURCE_UNREACHABLE', `cannot fetch ${displayUrl}: ${message}`, {
    cause: err,
    details: { url: displayUrl, ...(typeof code === 'string' ? { errno: code } : {}) },
  });
}

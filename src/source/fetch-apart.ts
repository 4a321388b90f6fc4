import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError, ERROR_CODES, type ErrorCode } from '../core/index.js';
import { PROJECT_ROOT } from '../files/index.js';
import type { PackFetchRequest, PackFetchResult } from './pack-fetch.js';

/** What fetch-child.ts answers. */
export type ChildReply =
  | { readonly ok: true; readonly result: PackFetchResult; readonly peakRssKb?: number }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly details: Record<string, unknown> };

/** The last characters of the child's stderr kept for an error message. */
const STDERR_KEPT = 2_000;

/** The parent's Node flags the child takes too: the heap's sizes (bin/berth.mjs's first line sets one). */
const INHERITED_FLAG = /^--max-(semi|old)-space-size=\d+$/;

/**
 * fetch-child's file, and the Node flags to run it with. From berth's bundle (or another bundle
 * in `dist/`, as the benchmark's worker), `dist/fetch-child.mjs`, which bin/bundle.mjs builds
 * beside it from the same inputs. From anywhere else (tsx running the sources, a test file's own
 * bundle), the source `src/source/fetch-child.ts` through tsx. Of the parent's flags only the
 * heap's sizes carry over (not --test, --eval or --inspect); its environment does too (one malloc arena).
 */
export function childEntry(here = import.meta.url, root = PROJECT_ROOT): { readonly file: string; readonly execArgv: string[] } {
  const flags = process.execArgv.filter((a) => INHERITED_FLAG.test(a));
  const dist = path.join(root, 'dist');
  if (path.dirname(fileURLToPath(here)) === dist) return { file: path.join(dist, 'fetch-child.mjs'), execArgv: flags };
  return { file: path.join(root, 'src', 'source', 'fetch-child.ts'), execArgv: [...flags, '--import', import.meta.resolve('tsx')] };
}

/**
 * Runs one fetch in a Node process of its own, as git runs index-pack apart from fetch.
 * isomorphic-git indexes a received pack by inflating every object and keeps them in a 32 MB
 * cache until the fetch ends; the first fetch of a mirror brings the whole history, and what
 * it leaves in the process's malloc heap stayed there (at 10,000 Deployments, ~28 MB of RSS
 * for the life of the daemon: BENCHMARKS.md, "The first fetch apart"). Its errors are the
 * BerthErrors the fetch would have thrown in this process; a child that dies without
 * answering is SOURCE_UNREACHABLE (a transient failure: the next poll tries again). The result
 * carries the child's peak RSS where the OS tells it (Linux), for the log.
 */
export function fetchPackApart(request: PackFetchRequest, entry = childEntry()): Promise<PackFetchResult & { readonly processPeakRssKb?: number }> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    let reply: ChildReply | undefined;
    const child = fork(entry.file, [], { execArgv: entry.execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_KEPT)));
    child.once('message', (message: ChildReply) => (reply = message));
    const failed = (why: string, cause?: unknown) =>
      new BerthError('SOURCE_UNREACHABLE', `cannot fetch ${request.displayUrl}: the fetch process ${why}${stderr.trim() ? `: ${stderr.trim()}` : ''}`, {
        ...(cause === undefined ? {} : { cause }),
        details: { url: request.displayUrl, reason: 'fetch-process' },
      });
    child.once('error', (err) => reject(failed(`could not run (${err.message})`, err)));
    child.once('exit', (code, signal) => {
      if (reply?.ok) resolve({ ...reply.result, ...(reply.peakRssKb === undefined ? {} : { processPeakRssKb: reply.peakRssKb }) });
      // A code this berth does not know (a child of another version, say) must not throw here, in an event handler.
      else if (reply && Object.hasOwn(ERROR_CODES, reply.code)) reject(new BerthError(reply.code, reply.message, { details: reply.details }));
      else if (reply) reject(failed(`answered with an unknown error code ${JSON.stringify(reply.code)}: ${reply.message}`));
      else reject(failed(`ended (${signal ?? `exit code ${code}`}) before it answered`));
    });
    child.send(request);
  });
}

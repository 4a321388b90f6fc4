/**
 * The entry of a process that runs one Git fetch (fetch-apart.ts starts it): it takes a
 * PackFetchRequest from its parent over the IPC channel, fetches, answers with the result or
 * the BerthError's code, message and details, and exits. A parent that goes away (its channel
 * disconnects) ends it at once: a fetch never outlives the berth that asked for it.
 */
import { readFileSync } from 'node:fs';
import { isBerthError } from '../core/index.js';
import { fetchPack, type PackFetchRequest } from './pack-fetch.js';
import type { ChildReply } from './fetch-apart.js';

process.on('disconnect', () => process.exit(1));
process.once('message', (request: PackFetchRequest) => {
  void fetchPack(request)
    .then(
      (result): ChildReply => ({ ok: true, result, ...peakRss() }),
      (err: unknown): ChildReply =>
        isBerthError(err)
          ? { ok: false, code: err.code, message: err.message, details: { ...err.details } }
          : {
              ok: false,
              code: 'SOURCE_UNREACHABLE',
              message: `cannot fetch ${request.displayUrl}: ${err instanceof Error ? err.message : String(err)}`,
              details: { url: request.displayUrl },
            },
    )
    .then((reply) => process.send?.(reply, () => process.exit(0)));
});

/** This process's peak RSS (VmHWM; Linux), for the parent's log: what the fetch cost, apart. */
function peakRss(): { peakRssKb?: number } {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? {} : { peakRssKb: Number(kb) };
  } catch {
    return {};
  }
}

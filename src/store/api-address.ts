import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

/**
 * Where the running berth's HTTP API answers, kept in its state directory, so a CLI command on
 * the same state directory can ask it what only the running process knows (its probes'
 * verdicts: `berth plan --live`), as kubectl asks the API server rather than guessing.
 */
export const API_ADDRESS_FILE = 'api.json';

/**
 * Records the API's URL for this process, with what its plans are of (`plans`, see RunningApi).
 * A wildcard listen address is recorded as the loopback address of its family: that is where a
 * command on this host reaches it.
 *   http://0.0.0.0:7070 → http://127.0.0.1:7070     http://[::]:7070 → http://[::1]:7070
 */
export async function recordApiAddress(stateDir: string, url: string, plans: string): Promise<void> {
  const reachable = url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
  await writeFileAtomic(join(stateDir, API_ADDRESS_FILE), `${JSON.stringify({ pid: process.pid, url: reachable, plans })}\n`);
}

/** The running berth's API (runningApi). */
export interface RunningApi {
  readonly pid: number;
  readonly url: string;
  /**
   * What its plans are of, as the recorder put it (a fingerprint of the source, path, instance and
   * policy): a command asks it only for a plan of the same.
   */
  readonly plans: string;
}

/** Removes the record (berth stopping); a record left by a process that died is ignored by runningApi. */
export async function forgetApiAddress(stateDir: string): Promise<void> {
  await unlink(join(stateDir, API_ADDRESS_FILE)).catch(() => undefined);
}

/**
 * The API of the berth running on `stateDir`: the record's process must be `holder`, the live
 * holder of the state directory's lock (lockHolder). Undefined when it serves no API, or the
 * record is unreadable or left by another process.
 */
export async function runningApi(stateDir: string, holder: { readonly pid: number }): Promise<RunningApi | undefined> {
  const text = await readFile(join(stateDir, API_ADDRESS_FILE), 'utf8').catch(() => '');
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  const { pid, url, plans } = record as { pid?: unknown; url?: unknown; plans?: unknown };
  if (pid !== holder.pid || typeof url !== 'string' || !/^https?:\/\//.test(url) || typeof plans !== 'string') return undefined;
  return { pid: holder.pid, url, plans };
}

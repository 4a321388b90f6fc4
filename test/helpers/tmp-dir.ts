import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';

/** A new folder under the system's temp folder, removed after the test `t` (kept when `t` is undefined). */
export async function tmpDir(t: TestContext | undefined, prefix: string): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
  t?.after(() => fsp.rm(dir, { recursive: true, force: true }));
  return dir;
}

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * berth's own folder (the one holding its package.json), found from where this code runs:
 * `src/files/` when tsx runs the sources, `dist/` when `bin/berth.mjs` runs the bundle. Files
 * berth ships beside its code (package.json, the dashboard's UI) are read from here, never from
 * a path relative to one source file, which the bundle does not keep.
 */
export const PROJECT_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return start;
  }
}

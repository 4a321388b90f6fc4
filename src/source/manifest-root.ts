import { BerthError } from '../core/index.js';
import type { ObjectStore } from './object-store.js';

/**
 * The manifest root is the `--path` folder inside the repository ('' = repository root).
 * Normalized form: forward slashes, no leading/trailing slash, no '.' segments; '..' is refused
 * (the manifest root cannot lie outside the repository).
 */
export function normalizeManifestPath(input: string | undefined): string {
  const segments = (input ?? '')
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) {
    throw new BerthError('USAGE', `--path "${input}" must be a folder inside the repository (no "..")`);
  }
  return segments.join('/');
}

/**
 * The tree id of the manifest root in the tree `rootTree`; undefined when the path is absent
 * or is not a folder at that commit. Reads one tree per path segment, nothing else.
 */
export async function findManifestTree(store: ObjectStore, rootTree: string, manifestPath: string): Promise<string | undefined> {
  let tree = rootTree;
  if (manifestPath === '') return tree;
  for (const segment of manifestPath.split('/')) {
    const entry = (await store.readTree(tree)).find((e) => e.name === segment);
    if (!entry || entry.kind !== 'tree') return undefined;
    tree = entry.oid;
  }
  return tree;
}

export function pathNotFound(manifestPath: string, commit: string): BerthError {
  return new BerthError('SOURCE_PATH_NOT_FOUND', `--path "${manifestPath}" is not a folder at commit ${commit.slice(0, 12)}`, {
    details: { path: manifestPath, commit },
  });
}

import type { Pool } from '../core/index.js';
import type { ObjectStore, TreeEntry } from './object-store.js';

/**
 * Paths (relative to the manifest root) whose blob id or mode differ between two manifest
 * trees: added, removed and modified leaves. Sub-trees with equal ids are skipped without
 * being read, so the cost follows the size of the change, not the size of the repository.
 * A tree replaced by a file (or the reverse) lists every leaf below the tree and the file.
 * `undefined` stands for an absent tree (the manifest root did not exist on that side).
 * Result sorted in code-unit order, without duplicates.
 */
export async function changedPathsBetween(args: {
  readonly store: ObjectStore;
  readonly pool: Pool;
  readonly from: string | undefined;
  readonly to: string | undefined;
}): Promise<string[]> {
  const { store, pool } = args;
  const out: string[] = [];

  const readSide = (tree: string | undefined): Promise<TreeEntry[]> => (tree === undefined ? Promise.resolve([]) : pool(() => store.readTree(tree)));

  const walk = async (a: string | undefined, b: string | undefined, prefix: string): Promise<void> => {
    if (a === b) return;
    const [left, right] = await Promise.all([readSide(a), readSide(b)]);
    const rightByName = new Map(right.map((e) => [e.name, e]));
    const pending: Promise<void>[] = [];
    const compareEntries = (x: TreeEntry | undefined, y: TreeEntry | undefined, name: string): void => {
      if (x && y && x.oid === y.oid && x.kind === y.kind) return;
      const xTree = x?.kind === 'tree' ? x.oid : undefined;
      const yTree = y?.kind === 'tree' ? y.oid : undefined;
      if (xTree !== undefined || yTree !== undefined) pending.push(walk(xTree, yTree, `${prefix}${name}/`));
      if ((x && x.kind !== 'tree') || (y && y.kind !== 'tree')) out.push(`${prefix}${name}`);
    };
    for (const x of left) {
      compareEntries(x, rightByName.get(x.name), x.name);
      rightByName.delete(x.name);
    }
    for (const y of rightByName.values()) compareEntries(undefined, y, y.name);
    await Promise.all(pending);
  };

  await walk(args.from, args.to, '');
  return [...new Set(out)].sort((p, q) => (p < q ? -1 : p > q ? 1 : 0));
}

/**
 * berth's sources as one ES module, `dist/berth.mjs`, built with esbuild (the transformer tsx
 * itself runs on every file) whenever its sources change, then loaded by `bin/berth.mjs`; beside
 * it `dist/fetch-child.mjs`, the entry of the process that runs a mirror's first Git fetch.
 * Loading one file instead of ~250 TypeScript modules through tsx's loader hooks takes a start
 * of the CLI from ~1.4 s and ~2 CPU-seconds to ~0.8 s and ~1 (bench/startup.ts, BENCHMARKS.md
 * "Starting berth"): `berth status` answers sooner, and the e2e suite, which starts berth
 * hundreds of times on two cores, runs faster.
 *
 * No build step to forget: a fresh checkout builds on its first start (~0.4 s), an edit rebuilds
 * on the next (the bundle's first line names a digest of the sources it was made from).
 * Processes starting at once each write their own file and rename it into place. Dependencies
 * stay in node_modules (`packages: 'external'`). The inline source map keeps stack traces on
 * the TypeScript lines. No `keepNames`: it wraps every named closure in a call that sets its
 * `name` each time the closure is made, which cost a third of a pass's decision at 10,000
 * Deployments (bench/reconcile.ts, 2026-12-05: 49 → 33 ms); only a function whose top-level
 * name collides with another module's is renamed (`summarize2` in a stack trace, whose file and
 * line the source map still gives), and nothing in berth reads a function's name.
 * BERTH_BUNDLE=0 runs the sources through tsx instead, and so does a bundle that cannot be built (tsx then reports the same error, located).
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** What the bundle is made of: a change to any of these (an edit, a new or removed file) rebuilds it. */
const INPUTS = ['src', 'schemas', 'package.json', 'tsconfig.json', 'bin/bundle.mjs'];
/**
 * esbuild's settings for the bundle, without its entry, output and banner; exported so a
 * benchmark can load its own entry the way berth ships (bench/reconcile/worker-process.ts).
 */
export const BUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  sourcesContent: false,
  keepNames: false,
  logLevel: 'silent',
};
/**
 * What is built into `dist/`: berth itself, and the entry of the process that runs a mirror's
 * first Git fetch apart from berth's (src/source/fetch-apart.ts finds it beside the bundle).
 */
export const ENTRIES = { berth: 'src/main.ts', 'fetch-child': 'src/source/fetch-child.ts' };
/** Each bundle's first line names the inputs it was built from. */
const BANNER = '// berth bundle of inputs ';

/**
 * A digest of every input file's path and content. Content, not modification times: a copy that
 * keeps older times (`rsync -a`, `cp -p`, an unpacked archive) must not leave a stale bundle,
 * and reading ~1 MB of sources costs a few milliseconds.
 */
function inputsDigest(root) {
  const hash = createHash('sha256');
  const add = (rel) => {
    const path = join(root, rel);
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) add(join(rel, entry));
      return;
    }
    const content = readFileSync(path);
    hash.update(`${rel}\0${content.length}\0`);
    hash.update(content);
  };
  for (const input of INPUTS) add(input);
  return hash.digest('hex');
}

/** The digest the bundle's banner names, or undefined (no bundle, or not one of ours). */
function builtFrom(bundle) {
  let fd;
  try {
    fd = openSync(bundle, 'r');
    const head = Buffer.alloc(BANNER.length + 64);
    const line = head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString('utf8');
    return line.startsWith(BANNER) ? line.slice(BANNER.length) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The URL of `<root>/dist/berth.mjs`, built first when missing or made from other inputs;
 * undefined when it cannot be built. `root` is berth's folder (another one in tests).
 */
export async function bundledEntry(root = ROOT) {
  if (process.env.BERTH_BUNDLE === '0') return undefined;
  const dist = join(root, 'dist');
  const bundle = join(dist, 'berth.mjs');
  const tmp = join(root, `dist.${process.pid}.tmp`);
  try {
    const digest = inputsDigest(root);
    if (Object.keys(ENTRIES).some((name) => builtFrom(join(dist, `${name}.mjs`)) !== digest)) {
      const { build } = await import('esbuild');
      mkdirSync(dist, { recursive: true });
      const entryPoints = Object.fromEntries(Object.entries(ENTRIES).map(([name, source]) => [name, join(root, source)]));
      await build({ ...BUILD_OPTIONS, entryPoints, outdir: tmp, outExtension: { '.js': '.mjs' }, banner: { js: `${BANNER}${digest}` } });
      // The child's file first: a bundle in place always finds a child of its own inputs beside it.
      for (const name of Object.keys(ENTRIES).reverse()) renameSync(join(tmp, `${name}.mjs`), join(dist, `${name}.mjs`));
      rmSync(tmp, { recursive: true, force: true });
    }
    return pathToFileURL(bundle).href;
  } catch {
    rmSync(tmp, { recursive: true, force: true });
    return undefined;
  }
}

/**
 * berth's sources as one ES module, `dist/berth.mjs`, built with esbuild (the transformer tsx
 * itself runs on every file) whenever a source is newer than the bundle, then loaded by
 * `bin/berth.mjs`. Loading one file instead of ~250 TypeScript modules through tsx's loader
 * hooks takes a start of the CLI from ~1.7 s and ~2.5 CPU-seconds to ~0.7 s and ~0.9 (measured
 * in BENCHMARKS.md, "Starting berth"): `berth status` answers sooner, and the e2e suite, which
 * starts berth hundreds of times on two cores, runs faster.
 *
 * No build step to forget: a fresh checkout builds on its first start (~1 s), an edit rebuilds
 * on the next. Processes starting at once each write their own file and rename it into place.
 * Dependencies stay in node_modules (`packages: 'external'`). The inline source map keeps stack
 * traces on the TypeScript lines; `keepNames` keeps functions' and classes' names when the
 * bundle renames two top-level names that collide. BERTH_BUNDLE=0 runs the sources through tsx
 * instead, and so does a bundle that cannot be built (tsx then reports the same error, located).
 */
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** What the bundle is made of: a change to any of these (an edit, a new or removed file) rebuilds it. */
const INPUTS = ['src', 'schemas', 'package.json', 'tsconfig.json', 'bin/bundle.mjs'];

/** The newest modification time under `path` (a removed file changes its folder's). */
function newest(path) {
  const stat = statSync(path);
  let time = stat.mtimeMs;
  if (stat.isDirectory()) for (const entry of readdirSync(path)) time = Math.max(time, newest(join(path, entry)));
  return time;
}

/**
 * The URL of `<root>/dist/berth.mjs`, built first when missing or older than a source;
 * undefined when it cannot be built. `root` is berth's folder (another one in tests).
 */
export async function bundledEntry(root = ROOT) {
  if (process.env.BERTH_BUNDLE === '0') return undefined;
  const bundle = join(root, 'dist', 'berth.mjs');
  const tmp = `${bundle}.${process.pid}.tmp`;
  try {
    const sources = Math.max(...INPUTS.map((input) => newest(join(root, input))));
    let built = -Infinity;
    try {
      built = statSync(bundle).mtimeMs;
    } catch {}
    // The bundle carries the newest source time it was built from (1 ms of slack for rounding).
    if (built + 1 < sources) {
      const { build } = await import('esbuild');
      mkdirSync(join(root, 'dist'), { recursive: true });
      await build({
        entryPoints: [join(root, 'src', 'main.ts')],
        outfile: tmp,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        sourcemap: 'inline',
        sourcesContent: false,
        keepNames: true,
        logLevel: 'silent',
      });
      utimesSync(tmp, new Date(), sources / 1000);
      renameSync(tmp, bundle);
    }
    return pathToFileURL(bundle).href;
  } catch {
    rmSync(tmp, { force: true });
    return undefined;
  }
}

/**
 * Builds each test file given on the command line into one ES module beside it,
 * `.<name>.bundle.mjs` (git ignores them), and prints their paths, one per line, in the order given.
 *
 * Why: through tsx, each test file's process loads ~250 TypeScript modules through its loader
 * hooks, ~1–2 CPU-seconds per file before a test runs; ×150 files that was the largest part of
 * the suite's CPU on two cores (BENCHMARKS.md, "Starting berth and the suite's time"). One
 * esbuild call (the transformer tsx itself runs) builds them all in a few seconds, the way
 * `bin/bundle.mjs` builds berth; node then loads one file per test process.
 *
 * Beside its source, a bundle keeps what a test file reads from `import.meta.url` (fixtures,
 * docs, sources) where it was. Helpers are bundled into the files that use them, so a helper
 * finds berth's files from the project root (src/files/project-root.ts), never relative to
 * itself. The inline source maps (node --enable-source-maps) keep failures located on the
 * TypeScript lines. `scripts/test.sh` runs them; `node --import tsx --test <file>.ts` still
 * runs any one file from its source.
 */
import { build } from 'esbuild';
import { basename, dirname, join } from 'node:path';
import { BUILD_OPTIONS } from '../bin/bundle.mjs';

export function bundlePathOf(file) {
  return join(dirname(file), `.${basename(file).replace(/\.ts$/, '')}.bundle.mjs`);
}

const files = process.argv.slice(2);
if (files.length > 0) {
  await build({
    ...BUILD_OPTIONS,
    logLevel: 'error',
    entryPoints: files.map((file) => ({ in: file, out: bundlePathOf(file).replace(/\.mjs$/, '') })),
    outdir: '.',
    outExtension: { '.js': '.mjs' },
  });
  process.stdout.write(files.map((file) => `${bundlePathOf(file)}\n`).join(''));
}

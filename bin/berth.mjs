#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-semi-space-size=4
// The flag above: a young generation of 2 × 4 MB instead of Node's 2 × 16 MB. At 10,000
// Deployments it takes the cold plan's peak RSS from ~236 to ~200 MB at no cost in time.
// The variable: one glibc malloc arena, not one per thread that allocates (libuv's pool runs the
// file reads of a Git fetch, each thread in its own arena, and freed memory stays in each): at
// 10,000 Deployments 6–34 MB less RSS at every figure, cold and warm, with no CPU cost beyond
// the VM's noise (BENCHMARKS.md, "One malloc arena"). Both are read only at start, so they live
// here, where `./bin/berth.mjs`, `npm start`, `npm run berth` and an `npm link`ed `berth` all pass them.
// berth runs its TypeScript sources as one bundle (bin/bundle.mjs rebuilds it when they change),
// or through tsx when BERTH_BUNDLE=0 or the bundle cannot be built.
import { bundledEntry } from './bundle.mjs';

const entry = await bundledEntry();
if (entry) {
  process.setSourceMapsEnabled(true);
  await import(entry);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}

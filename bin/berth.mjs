#!/usr/bin/env -S node --max-semi-space-size=4
// The flag above: a young generation of 2 × 4 MB instead of Node's 2 × 16 MB. At 10,000
// Deployments it takes the cold plan's peak RSS from ~236 to ~200 MB at no cost in time
// (BENCHMARKS.md, "10,000 Deployments"). Node reads it only at start, so it lives here, where
// `./bin/berth.mjs`, `npm start`, `npm run berth` and an `npm link`ed `berth` all pass it.
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
